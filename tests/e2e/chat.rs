//! Chatting as a person would: ask, switch models through the picker, cancel a long
//! answer, recover from throttling, quit.

use super::*;

const HAIKU3: &str = "anthropic.claude-3-haiku-20240307-v1:0";

#[tokio::test(flavor = "multi_thread")]
async fn ask_switch_model_cancel_and_quit() {
    let ep = endpoint(400.0).await;
    let url = ep.url();
    let mut tui = Tui::start(
        &[
            "--endpoint-url",
            &url,
            "--region",
            "us-east-1",
            "--model",
            HAIKU3,
        ],
        None,
    );
    tui.wait_for("F1 help").await;

    tui.send("How do I reverse a list in Python?").await;
    let s = tui.wait_for("Let me know if you want more detail").await;
    assert!(s.contains(&format!("◆ {HAIKU3}")), "{s}");
    assert!(s.contains("╭─ python"), "{s}");

    // The picker: filter, choose a model of another provider.
    tui.keys("\x10"); // Ctrl+P
    tui.wait_for("Tab profile").await;
    // The endpoint's control plane answered: the picker merges its list.
    tui.wait_for("catalog + live list of us-east-1").await;
    tui.keys("llama 3.3");
    tui.wait_for("Llama 3.3 70B").await;
    tui.keys("\r");
    let s = tui.wait_for("Switched to").await;
    assert!(
        s.contains(" us.meta.llama3-3-70b-instruct-v1:0 │"),
        "the status bar names the new model: {s}"
    );
    assert!(
        s.contains("How do I reverse a list in Python?"),
        "the conversation is kept: {s}"
    );

    tui.send("And in Rust?").await;
    let s = tui.wait_for("turn 2 of our conversation").await;
    assert!(s.contains("◆ us.meta.llama3-3-70b-instruct-v1:0"), "{s}");
    assert!(
        s.contains("earlier you asked"),
        "the new model saw the history: {s}"
    );

    // A long answer, stopped halfway.
    tui.send("Write at length [[tokens:20000]]").await;
    tui.wait_for_now("Section 2").await;
    tui.keys("\x1b");
    let s = tui.wait_for("[stopped]").await;
    assert!(s.contains("partial text is kept"), "{s}");

    // The conversation comes back with --continue, model and all.
    let mut again = tui.quit_and_resume(&url).await;
    let s = again.wait_for("Continuing").await;
    assert!(s.contains("Write at length"), "{s}");
    assert!(s.contains("[stopped]"), "the stopped answer is kept: {s}");
    assert!(
        s.contains(" us.meta.llama3-3-70b-instruct-v1:0 │"),
        "the last model is restored: {s}"
    );
    again.keys("\x1b[5~\x1b[5~\x1b[5~"); // PageUp
    let s = again.wait_for("And in Rust?").await;
    assert!(s.contains("◆ us.meta.llama3-3-70b-instruct-v1:0"), "{s}");
    again.keys("\x03");
    assert!(again.exit_status().await.success());
}

#[tokio::test(flavor = "multi_thread")]
async fn throttled_then_recovers() {
    let ep = endpoint(2000.0).await;
    let url = ep.url();
    let mut tui = Tui::start(
        &[
            "--endpoint-url",
            &url,
            "--region",
            "us-east-1",
            "--model",
            HAIKU3,
        ],
        None,
    );
    tui.wait_for("F1 help").await;
    tui.send("hello [[fault:throttle]]").await;
    let s = tui.wait_for("[failed]").await;
    assert!(s.contains("Throttled by Bedrock"), "{s}");
    tui.send("hello again").await;
    let s = tui.wait_for("Let me know if you want more detail").await;
    assert!(s.contains("hello again"), "{s}");
    tui.keys("\x03");
    assert!(tui.exit_status().await.success());
}
