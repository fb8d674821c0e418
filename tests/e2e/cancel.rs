//! A question stopped before its answer began: it stays on screen, it is not merged
//! into the next question, and the stalled request does not hold up the next answer.

use std::time::Instant;

use super::*;

const HAIKU3: &str = "anthropic.claude-3-haiku-20240307-v1:0";

#[tokio::test(flavor = "multi_thread")]
async fn esc_before_the_first_token_then_a_new_question() {
    let ep = endpoint(4000.0).await;
    let url = ep.url();
    let mut tui = Tui::chat(&url, HAIKU3).await;

    // The endpoint holds this request for a minute before its first byte.
    tui.send("First question [[fault:stall-60000]]").await;
    tui.wait_for_now("streaming…").await;
    tui.keys("\x1b");
    let s = tui.wait_for("Stopped before the answer began").await;
    assert!(s.contains("First question"), "the question stays: {s}");
    // A key right after Esc would read as Alt+key.
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;

    let asked = Instant::now();
    tui.send("Second question").await;
    let s = tui.wait_for("Let me know if you want more detail").await;
    let took = asked.elapsed();
    assert!(
        took < std::time::Duration::from_secs(20),
        "the answer waited for the stalled request: {took:?}"
    );
    assert!(s.contains("First question"), "{s}");
    assert!(s.contains("Second question"), "{s}");

    // The stalled request never finished, so only the second one is logged: the stopped
    // question is not sent again, and the request is one user message, not two in a row.
    let log = request_log(&url).await;
    let turns: Vec<&serde_json::Value> = log
        .iter()
        .filter(|r| r["operation"] == "ConverseStream")
        .collect();
    assert_eq!(turns.len(), 1, "{log:?}");
    assert_eq!(turns[0]["roles"], serde_json::json!(["user"]), "{log:?}");
    assert_eq!(turns[0]["status"], 200, "{log:?}");
    tui.keys("\x03");
    assert!(tui.exit_status().await.success());
}
