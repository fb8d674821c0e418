//! `bedrock-tui ask` against the local endpoint: only the answer on stdout, JSON on
//! request, stdin input, and errors on stderr with a non-zero exit.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use super::*;

async fn ask(ep: &LocalEndpoint, args: &[&str], stdin: Option<&str>) -> Output {
    run_command(ep, "ask", args, stdin).await
}

/// Runs `bedrock-tui SUBCOMMAND` against `ep` in an environment of its own (see
/// [`isolated`]). A subcommand of several words (`guardrail apply`) is passed as
/// several arguments.
pub async fn run_command(
    ep: &LocalEndpoint,
    subcommand: &str,
    args: &[&str],
    stdin: Option<&str>,
) -> Output {
    let mut cmd = isolated(&ep.url(), subcommand);
    cmd.args(args);
    let input = stdin.map(str::to_owned);
    tokio::task::spawn_blocking(move || {
        let mut child = cmd.spawn().unwrap();
        let mut pipe = child.stdin.take().unwrap();
        if let Some(text) = input {
            pipe.write_all(text.as_bytes()).unwrap();
        }
        drop(pipe);
        child.wait_with_output().unwrap()
    })
    .await
    .unwrap()
}

/// `bedrock-tui SUBCOMMAND --endpoint-url URL --region us-east-1`, its standard streams
/// piped, in an environment of its own: no AWS profile or credentials files, no
/// instance metadata, no user config.
pub fn isolated(url: &str, subcommand: &str) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_bedrock-tui"));
    cmd.args(subcommand.split_whitespace())
        .args(["--endpoint-url", url, "--region", "us-east-1"])
        // No credential chain lookups: no profile files and no instance metadata.
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", "/nonexistent")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
        // No user config either, unless a test passes --config.
        .env("XDG_CONFIG_HOME", "/nonexistent")
        .env_remove("BEDROCK_TUI_CONFIG")
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_PROFILE")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

#[tokio::test]
async fn ask_prints_only_the_answer() {
    let ep = endpoint().await;
    let expected = client(&ep)
        .converse()
        .model_id(HAIKU3)
        .messages(user("How do I sort a list in Python?"))
        .send()
        .await
        .unwrap();
    let expected = expected.output().unwrap().as_message().unwrap().content()[0]
        .as_text()
        .unwrap()
        .clone();
    let out = ask(
        &ep,
        &["--model", HAIKU3, "How do I sort a list in Python?"],
        None,
    )
    .await;
    succeeded(&out);
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        format!("{expected}\n")
    );

    let out = ask(
        &ep,
        &["--model", HAIKU3, "-"],
        Some("How do I sort a list in Python?\r\n"),
    )
    .await;
    assert!(out.status.success());
    assert!(
        String::from_utf8(out.stdout)
            .unwrap()
            .contains("sort a list in Python")
    );
}

#[tokio::test]
async fn ask_json_and_profile_resolution() {
    let ep = endpoint().await;
    let v = ask_json(
        &ep,
        &[
            "--model",
            SONNET45,
            "--json",
            "--max-tokens",
            "12",
            "--system",
            "Be helpful",
            "Explain traits",
        ],
    )
    .await;
    assert_eq!(
        v["model"],
        format!("us.{SONNET45}"),
        "a profile-only model goes through the region's profile"
    );
    assert_eq!(v["stopReason"], "max_tokens");
    assert_eq!(v["usage"]["outputTokens"], 12);
    assert!(
        v["text"]
            .as_str()
            .unwrap()
            .starts_with("_Following the system prompt")
    );
}

#[tokio::test]
async fn ask_errors_go_to_stderr_with_a_failing_exit() {
    let ep = endpoint().await;
    let out = ask(
        &ep,
        &["--model", HAIKU3, "hello [[fault:validation]]"],
        None,
    )
    .await;
    assert!(!out.status.success());
    assert!(out.stdout.is_empty());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.starts_with("bedrock-tui: "), "{err}");
    assert_eq!(err.lines().count(), 1, "one plain line: {err}");

    let out = ask(&ep, &["--model", HAIKU3, "hello [[fault:throttle]]"], None).await;
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("Throttled"));

    let out = ask(&ep, &["--model", HAIKU3], Some("   ")).await;
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("the prompt is empty"));
}

/// `ask ARGS` that must succeed, its stdout parsed as JSON.
async fn ask_json(ep: &LocalEndpoint, args: &[&str]) -> serde_json::Value {
    command_json(ep, "ask", args).await
}

/// `bedrock-tui SUBCOMMAND ARGS` that must succeed, its stdout parsed as JSON.
pub async fn command_json(
    ep: &LocalEndpoint,
    subcommand: &str,
    args: &[&str],
) -> serde_json::Value {
    let out = run_command(ep, subcommand, args, None).await;
    succeeded(&out);
    serde_json::from_slice(&out.stdout).unwrap()
}

#[tokio::test]
async fn ask_takes_what_the_flags_leave_out_from_the_config() {
    let ep = endpoint().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    std::fs::write(
        &path,
        "model = \"amazon.nova-lite-v1:0\"\n[inference]\nmax_tokens = 7\n",
    )
    .unwrap();
    let cfg = path.to_str().unwrap();
    let v = ask_json(&ep, &["--config", cfg, "--json", "Explain TCP slow start"]).await;
    assert_eq!(v["model"], "amazon.nova-lite-v1:0", "{v}");
    assert_eq!(v["stopReason"], "max_tokens", "{v}");
    assert_eq!(v["usage"]["outputTokens"], 7, "{v}");

    // A flag wins over the file.
    let v = ask_json(
        &ep,
        &[
            "--config",
            cfg,
            "--json",
            "--model",
            HAIKU3,
            "--max-tokens",
            "5",
            "hi",
        ],
    )
    .await;
    assert_eq!(v["model"], HAIKU3, "{v}");
    assert_eq!(v["usage"]["outputTokens"], 5, "{v}");

    // A broken config is refused before anything is sent.
    std::fs::write(&path, "[inference]\nmax_tokens = 0\n").unwrap();
    let out = ask(&ep, &["--config", cfg, "hi"], None).await;
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!(
            "{cfg}:2:14: inference.max_tokens must be at least 1"
        )),
        "{err}"
    );
    assert!(out.stdout.is_empty());
}

#[tokio::test]
async fn an_unknown_model_is_refused_before_anything_is_sent() {
    let ep = endpoint().await;
    for (cmd, args) in [
        (
            "ask",
            &["--model", "anthropic.claude-sonet-4-5", "hello"][..],
        ),
        ("count", &["--model", "anthropic.claude-sonet-4-5", "hello"]),
        (
            "jobs start",
            &[
                "--model",
                "amazon.nova-reel-v9",
                "--prompt",
                "A fox",
                "--output",
                "s3://videos/x",
            ],
        ),
    ] {
        let out = run_command(&ep, cmd, args, None).await;
        assert_eq!(out.status.code(), Some(1), "{cmd}");
        assert!(out.stdout.is_empty(), "{cmd}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("unknown model '"), "{cmd}: {err}");
        assert!(err.contains("did you mean"), "{cmd}: {err}");
    }
    // An ARN is the service's to judge.
    let arn = "arn:aws:bedrock:us-east-1:123456789012:custom-model/mine";
    let out = ask(&ep, &["--model", arn, "hello"], None).await;
    assert!(!out.status.success());
    let log = super::jobs::request_log(&ep).await;
    let ops: Vec<&str> = log["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["modelId"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(ops, [arn], "only the ARN reached the endpoint");
}

#[tokio::test]
async fn an_escape_sequence_split_across_stream_chunks_is_removed_whole() {
    let ep = endpoint().await;
    let said = "A\x1b]0;pwned\x07B\x1b[2JC\u{9b}31mD";
    let prompt = format!("[[say:{said}]] hello");
    // The stream does split the sequences: some chunk holds an ESC without its end.
    let mut chunks = Vec::new();
    let mut stream = client(&ep)
        .converse_stream()
        .model_id(HAIKU3)
        .messages(user(&prompt))
        .send()
        .await
        .unwrap();
    while let Some(ev) = stream.stream.recv().await.unwrap() {
        if let Ok(d) = ev.as_content_block_delta()
            && let Some(Ok(t)) = d.delta().map(|d| d.as_text())
        {
            chunks.push(t.clone());
        }
    }
    assert!(
        chunks
            .iter()
            .any(|c| c.contains('\x1b') && !c.contains("pwned\x07")),
        "{chunks:?}"
    );
    for json in [false, true] {
        let args: &[&str] = if json {
            &["--model", HAIKU3, "--json", &prompt]
        } else {
            &["--model", HAIKU3, &prompt]
        };
        let out = ask(&ep, args, None).await;
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8(out.stdout).unwrap();
        let answer = if json {
            serde_json::from_str::<serde_json::Value>(&text).unwrap()["text"]
                .as_str()
                .unwrap()
                .to_owned()
        } else {
            text
        };
        assert!(answer.starts_with("ABCD\n"), "{answer:?}");
        assert!(
            !answer.contains(['\x1b', '\x07', '\u{9b}']) && !answer.contains("pwned"),
            "{answer:?}"
        );
    }
}

#[tokio::test]
async fn a_reader_that_stops_early_ends_ask_quietly() {
    // Slow enough that most of the answer comes after the reader has gone.
    let ep = endpoint_with(Settings {
        pacing: bedrock_tui::local::Pacing {
            ttft: std::time::Duration::ZERO,
            tokens_per_second: Some(50.0),
        },
        ..Settings::default()
    })
    .await;
    let mut cmd = isolated(&ep.url(), "ask");
    cmd.args(["--model", HAIKU3, "Tell me a story [[tokens:600]]"])
        .stdin(Stdio::null());
    let (out, took) = tokio::task::spawn_blocking(move || {
        let started = std::time::Instant::now();
        let mut child = cmd.spawn().unwrap();
        // `| head -c 10`: ten bytes, then the pipe is closed.
        let mut first = [0u8; 10];
        std::io::Read::read_exact(&mut child.stdout.take().unwrap(), &mut first).unwrap();
        let out = child.wait_with_output().unwrap();
        (out, started.elapsed())
    })
    .await
    .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
    // The rest of the answer (12 s at this pace) is not waited for.
    assert!(took < std::time::Duration::from_secs(6), "{took:?}");
}

#[tokio::test]
async fn a_transport_error_is_said_plainly() {
    // A port nothing listens on any more.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut cmd = isolated(&format!("http://127.0.0.1:{port}"), "ask");
    cmd.args(["--model", HAIKU3, "hello"]).stdin(Stdio::null());
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.starts_with("bedrock-tui: Cannot reach the Bedrock endpoint: Connection refused"),
        "{err}"
    );
    // No debug dump of the connector's types.
    assert!(
        !err.contains("DispatchFailure") && !err.contains("ConnectorError"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
}
