//! Escape-laden text through every path that brings outside text in — a paste into
//! the composer, `$EDITOR`, the model's streamed answer, a history title and its
//! rename, an export, a job's prompt, a service error, `ask`'s output — and nothing
//! but printable text and the app's own styling reaches the terminal or the file.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::*;

/// Sequences a terminal acts on: window and icon titles, a full reset, clearing the
/// scrollback, a device query, a C1 CSI, leaving the alternate screen, bells. What is
/// left once they are removed is `<>`.
const EVIL: &str =
    "<\x1b]0;PWNED\x07\x1b]2;PWNED\x1b\\\x1bc\x1b[3J\x1bP+qPWNED\x1b\\\u{9b}2J\x1b[?1049l\x07>";

/// The same for the model to say, as JSON escapes in a `[[say:…]]` directive; the
/// question shows it as typed, which names no payload.
const SAY: &str = "[[say:\\u001b]0;\\u0050WNED\\u0007Hi \\u001b[3J\\u001bcthere \\u001b[31mred\\u001b[0m\\u0007 \\u009b2Jend]]";

/// Asserts that nothing the app wrote so far acted on the terminal.
fn assert_clean(tui: &Tui, step: &str) {
    let (screen, _) = tui.terminal();
    assert_eq!(screen.title(), "", "{step}: the window title changed");
    assert_eq!(screen.icon_name(), "", "{step}: the icon name changed");
    assert_eq!(screen.audible_bell_count(), 0, "{step}: a bell rang");
    assert_eq!(screen.visual_bell_count(), 0, "{step}: a bell flashed");
    assert!(
        screen.alternate_screen(),
        "{step}: the alternate screen was left"
    );
    let contents = screen.contents();
    assert!(
        !contents.contains("PWNED"),
        "{step}: a payload is on screen:\n{contents}"
    );
    assert_raw_clean(&tui.raw(), step);
}

/// Asserts that `bytes` hold none of the sequences of `EVIL` and `SAY`.
fn assert_raw_clean(bytes: &[u8], step: &str) {
    for (needle, what) in [
        (&b"PWNED"[..], "a payload"),
        (b"\x07", "BEL"),
        (b"\x1b]", "an OSC sequence"),
        (b"\x1bP", "a DCS sequence"),
        (b"\x1bc", "a full reset"),
        (b"\x1b[3J", "a scrollback clear"),
        (b"\xc2\x9b", "a C1 CSI"),
    ] {
        assert!(
            !bytes.windows(needle.len()).any(|w| w == needle),
            "{step}: {what} reached the terminal"
        );
    }
}

/// Asserts that a file holds text only: no control character but newline and tab.
fn assert_file_clean(path: &std::path::Path) {
    let text = std::fs::read_to_string(path).unwrap();
    let bad: Vec<char> = text
        .chars()
        .filter(|c| c.is_control() && *c != '\n' && *c != '\t')
        .collect();
    assert!(bad.is_empty(), "{}: {bad:?} in\n{text}", path.display());
    assert!(!text.contains("PWNED"), "{}:\n{text}", path.display());
}

#[tokio::test(flavor = "multi_thread")]
async fn no_escape_sequence_reaches_the_terminal_or_a_file() {
    let ep = endpoint(4000.0).await;
    let url = ep.url();
    let home = config_home(&format!(
        "endpoint_url = \"{url}\"\nregion = \"us-east-1\"\nexport_dir = \"HOME/exports\"\njobs_output = \"s3://e2e-videos/escapes\"\n"
    ));
    // The "editor" writes escape-laden text, as a file from anywhere might hold.
    let env = editor_env(
        &home,
        "printf 'from the editor \\033]0;PWNED\\007\\033c\\033[3Jdone' > \"$1\"",
    );
    let env: Vec<_> = env.iter().map(|(k, v)| (*k, v.as_os_str())).collect();
    let mut tui = Tui::start_env(&[], home.clone(), &env);
    tui.wait_for("F1 help").await;

    // A paste, and an answer whose escapes come split across stream chunks.
    tui.paste(&format!("Tell me about {EVIL} escapes {SAY}"));
    // The composer shows the end of the long line it holds.
    tui.wait_for("about <> escapes [[say:").await;
    assert_clean(&tui, "paste");
    tui.keys("\r");
    let s = tui.wait_for("Let me know if you want more detail").await;
    assert!(s.contains("Hi there red end"), "{s}");
    assert_clean(&tui, "streamed answer");

    // $EDITOR.
    tui.keys("\x0f"); // Ctrl+O
    let s = tui.wait_for("from the editor done").await;
    assert_clean(&tui, "editor");
    assert!(s.contains("from the editor done"), "{s}");
    tui.keys("\r");
    tui.wait_for("turn 2 of our conversation").await;
    assert_clean(&tui, "second answer");

    // The history's title (from the first question), a rename pasted in, an export.
    tui.keys("\x07"); // Ctrl+G
    tui.wait_for("1 conversation").await;
    assert_clean(&tui, "history title");
    tui.keys("\x12"); // Ctrl+R
    tui.wait_for("new title").await;
    tui.paste(&format!(" {EVIL} renamed"));
    tui.keys("\r");
    tui.wait_for("Renamed to").await;
    assert_clean(&tui, "rename");
    tui.keys("\x05"); // Ctrl+E
    tui.wait_for("Exported to").await;
    assert_clean(&tui, "export");
    tui.keys("\x1b");
    tokio::time::sleep(Duration::from_millis(100)).await;

    // A job's prompt, from the composer.
    tui.paste(&format!("A fox {EVIL} in snow"));
    tui.wait_for("A fox <> in snow").await;
    tui.keys("\x1b[15~"); // F5
    tui.wait_for("No async or batch jobs in us-east-1 yet")
        .await;
    tui.keys("n");
    let s = tui.wait_for("Start an async job").await;
    assert!(s.contains("A fox <> in snow"), "{s}");
    assert_clean(&tui, "job prompt");
    tui.keys("\x1b");
    tokio::time::sleep(Duration::from_millis(100)).await;
    tui.keys("\x03");
    assert!(tui.exit_status().await.success());

    let exports: Vec<_> = std::fs::read_dir(home.join("exports"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(exports.len(), 1, "{exports:?}");
    assert_file_clean(&exports[0]);
    let store = bedrock_tui::store::Store::open(
        home.join("data")
            .join("bedrock-tui")
            .join("history.sqlite3"),
    )
    .unwrap();
    let rows = store.list(10, 0).unwrap();
    assert_eq!(rows.len(), 1);
    assert!(
        rows[0].title.ends_with("… <> renamed"),
        "{:?}",
        rows[0].title
    );
    assert!(
        !rows[0].title.chars().any(char::is_control),
        "{:?}",
        rows[0].title
    );
}

/// A stand-in for Bedrock that answers every request with a validation error whose
/// message is escape-laden.
async fn hostile_endpoint() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let body = serde_json::json!({ "message": format!("bad {EVIL} input") }).to_string();
    tokio::spawn(async move {
        loop {
            let Ok((mut s, _)) = listener.accept().await else {
                return;
            };
            let body = body.clone();
            tokio::spawn(async move {
                // The whole request first, so the answer is not cut off by a reset.
                let mut req = Vec::new();
                let mut buf = [0u8; 8192];
                loop {
                    let Ok(n) = s.read(&mut buf).await else {
                        return;
                    };
                    if n == 0 {
                        return;
                    }
                    req.extend_from_slice(&buf[..n]);
                    let text = String::from_utf8_lossy(&req).to_ascii_lowercase();
                    if let Some(end) = text.find("\r\n\r\n") {
                        let len = text[..end]
                            .lines()
                            .find_map(|l| l.strip_prefix("content-length:"))
                            .and_then(|v| v.trim().parse::<usize>().ok())
                            .unwrap_or(0);
                        if req.len() >= end + 4 + len {
                            break;
                        }
                    }
                }
                let reply = format!(
                    "HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\nx-amzn-errortype: ValidationException\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = s.write_all(reply.as_bytes()).await;
            });
        }
    });
    url
}

#[tokio::test(flavor = "multi_thread")]
async fn service_errors_and_ask_output_reach_the_terminal_clean() {
    let bad = hostile_endpoint().await;
    let mut tui = Tui::start(&["--endpoint-url", &bad, "--region", "us-east-1"], None);
    tui.wait_for("F1 help").await;
    tui.send("Hello").await;
    let s = tui.wait_for("bad <> input").await;
    assert_clean(&tui, "service error");
    assert!(s.contains("[failed]"), "{s}");
    tui.keys("\x1b[20~"); // F9: the notice log
    tui.wait_for("Notice log").await;
    assert_clean(&tui, "notice log");
    tui.keys("\x03");
    assert!(tui.exit_status().await.success());

    // `ask`: the error on stderr, and an answer streamed to stdout.
    let ask = |url: &str, prompt: &str| {
        std::process::Command::new(env!("CARGO_BIN_EXE_bedrock-tui"))
            .args([
                "ask",
                "--endpoint-url",
                url,
                "--region",
                "us-east-1",
                prompt,
            ])
            .env("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
            .env("AWS_SECRET_ACCESS_KEY", "secret")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .output()
            .unwrap()
    };
    let failed = ask(&bad, "Hello");
    assert!(!failed.status.success());
    let stderr = String::from_utf8_lossy(&failed.stderr);
    assert!(stderr.contains("bad <> input"), "{stderr}");
    assert_raw_clean(&failed.stderr, "ask's error");

    let ep = endpoint(4000.0).await;
    let answered = ask(&ep.url(), &format!("Hi {SAY}"));
    assert!(answered.status.success(), "{answered:?}");
    let stdout = String::from_utf8_lossy(&answered.stdout);
    assert!(stdout.starts_with("Hi there red end"), "{stdout}");
    assert_raw_clean(&answered.stdout, "ask's answer");
}
