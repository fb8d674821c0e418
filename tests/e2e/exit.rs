//! Every way out keeps what was on screen: SIGTERM, SIGHUP and SIGINT sent from outside
//! while an answer streams end the app with the terminal restored, and `--continue`
//! shows the whole answer, marked interrupted. A question stopped before its answer
//! began is not sent again with the next one, which is not delayed by it.

use nix::sys::signal::Signal;
use nix::sys::termios::LocalFlags;

use super::*;

const HAIKU3: &str = "anthropic.claude-3-haiku-20240307-v1:0";

/// The last `wNNN` word of the answer on the screen (below its `◆` header; the question
/// above holds them all): how far the answer got.
fn last_word(screen: &str) -> Option<(String, u32)> {
    let (_, answer) = screen.split_once('◆')?;
    answer
        .split(|c: char| !c.is_ascii_alphanumeric())
        .rev()
        .find_map(|w| {
            let n = w.strip_prefix('w').filter(|d| d.len() == 3)?.parse().ok()?;
            Some((w.to_owned(), n))
        })
}

async fn killed_mid_answer(signal: Signal) {
    let ep = endpoint(40.0).await;
    let url = ep.url();
    let mut tui = Tui::chat(&url, HAIKU3).await;
    let words: Vec<String> = (1..=200).map(|i| format!("w{i:03}")).collect();
    // The question holds every word too; the answer, below it, says them one by one.
    tui.send(&format!("[[say:{}]] Count", words.join(" ")))
        .await;
    tui.wait_for_now("streaming").await;
    let deadline = Instant::now() + Duration::from_secs(30);
    let reached = loop {
        match last_word(&tui.screen()) {
            Some((word, n)) if n >= 30 => break word,
            _ => assert!(Instant::now() < deadline, "{}", tui.screen()),
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    tui.signal(signal);
    let status = tui.exited().await;
    assert!(status.success(), "{signal}: {status:?}");

    let (screen, termios) = tui.terminal();
    assert!(
        !screen.alternate_screen(),
        "{signal}: the main screen is back"
    );
    assert!(!screen.hide_cursor(), "{signal}: the cursor is shown");
    assert!(
        !screen.bracketed_paste(),
        "{signal}: bracketed paste is off"
    );
    assert_eq!(
        screen.mouse_protocol_mode(),
        vt100::MouseProtocolMode::None,
        "{signal}: mouse capture is off"
    );
    let flags = termios.expect("the pty's termios").local_flags;
    assert!(
        flags.contains(LocalFlags::ICANON | LocalFlags::ECHO),
        "{signal}: raw mode is off: {flags:?}"
    );

    // What was on screen when the signal came is in the history, to the last word.
    let store =
        bedrock_tui::store::Store::open(tui.home.join("data/bedrock-tui/history.sqlite3")).unwrap();
    let conv = store.load(store.last().unwrap().unwrap()).unwrap();
    let answer = conv.messages[1].message.text();
    assert!(
        answer.contains(&reached),
        "{signal}: {reached} was on screen but the stored answer is {answer:?}"
    );

    let home = tui.home.clone();
    let again = Tui::start(
        &[
            "--endpoint-url",
            &url,
            "--region",
            "us-east-1",
            "--continue",
        ],
        Some(home),
    );
    let s = again.wait_for("[interrupted]").await;
    assert!(s.contains(&reached), "{signal}: {s}");
    drop(again);
}

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_mid_answer_keeps_it_whole() {
    killed_mid_answer(Signal::SIGTERM).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn sighup_mid_answer_keeps_it_whole() {
    killed_mid_answer(Signal::SIGHUP).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn sigint_from_kill_mid_answer_keeps_it_whole() {
    killed_mid_answer(Signal::SIGINT).await;
}
