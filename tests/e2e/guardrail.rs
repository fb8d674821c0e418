//! Guardrails as a person sees them, against the local endpoint's `demo` guardrail: a
//! prompt blocked on a denied topic, an answer with PII masked, a custom word blocked,
//! a clean turn, the trace pane following the answer scrolled to, checks of the draft
//! and of an answer that call no model, a draft's `:::guard` part screened alone, and
//! interventions kept in history.

use std::time::Duration;

use bedrock_tui::local::Settings;

use super::*;

const PAGE_UP: &str = "\x1b[5~";
const CTRL_END: &str = "\x1b[1;5F";

/// How many requests of `operation` the endpoint has logged.
fn calls(dir: &std::path::Path, operation: &str) -> usize {
    let log = std::fs::read_to_string(dir.join("requests.jsonl")).unwrap_or_default();
    log.lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["operation"] == operation)
        .count()
}

/// The trace pane's rows of a screen: from its title to the composer's border.
fn pane(screen: &str) -> String {
    let rows: Vec<&str> = screen
        .lines()
        .skip_while(|l| !l.starts_with("─ guardrail trace") && !l.starts_with("─ check of"))
        .take_while(|l| !l.starts_with("──────────"))
        .collect();
    rows.join("\n")
}

#[tokio::test(flavor = "multi_thread")]
async fn blocked_masked_clean_turns_checks_and_history() {
    let dir = tempfile::tempdir().unwrap();
    let ep = endpoint_with(Settings {
        data_dir: Some(dir.path().to_owned()),
        ..Settings::default()
    })
    .await;
    let url = ep.url();
    let args = [
        "--endpoint-url",
        &url,
        "--region",
        "us-east-1",
        "--guardrail",
        "demo",
    ];
    let mut tui = Tui::start(&args, None);
    let s = tui.wait_for("guardrail demo:DRAFT").await;
    assert!(s.contains("no guarded answer yet"), "{s}");

    // Blocked on input: a denied topic.
    tui.send("Should I buy Tesla stock?").await;
    let s = tui
        .wait_for("blocked the prompt: denied topic Investment advice")
        .await;
    assert!(s.contains("[guardrail intervened]"), "{s}");
    assert!(
        s.contains("Sorry, I can't help with that request. It was blocked by the demo guardrail."),
        "{s}"
    );
    assert!(s.contains("guardrail trace · answer 1 · demo:DRAFT"), "{s}");
    assert!(
        s.contains("▸ denied topic        Investment advice (deny)  BLOCKED"),
        "{s}"
    );

    // An answer with PII: masked in the answer, masked in the pane.
    tui.send("A contact line please [[say:Reach Jane at jane.doe@example.com today.]]")
        .await;
    let s = tui.wait_for("masked the answer: PII EMAIL").await;
    assert!(s.contains("Reach Jane at {EMAIL} today."), "{s}");
    let p = pane(&s);
    assert!(!p.contains("jane.doe@example.com"), "{p}");
    assert!(p.contains("EMAIL j••••••••••••••••••m  ANONYMIZED"), "{p}");
    assert!(s.contains("guardrail trace · answer 2"), "{s}");

    // A custom word.
    tui.send("Tell me about Project Falcon").await;
    let s = tui
        .wait_for("blocked the prompt: custom word \u{201c}Project Falcon\u{201d}")
        .await;
    assert!(s.contains("guardrail trace · answer 3"), "{s}");

    // A clean turn passes, and the blocked questions are not sent again with it.
    tui.send("What is the capital of France?").await;
    let s = tui.wait_for("✓ passed · nothing acted").await;
    assert!(s.contains("guardrail trace · answer 4"), "{s}");

    // The pane follows the answer the view is on.
    for _ in 0..8 {
        tui.keys(PAGE_UP);
        tokio::time::sleep(Duration::from_millis(40)).await;
    }
    let s = tui.wait_for("guardrail trace · answer 1").await;
    assert!(s.contains("Investment advice (deny)  BLOCKED"), "{s}");
    tui.keys(CTRL_END);
    tui.wait_for("guardrail trace · answer 4").await;

    // Checking the draft calls ApplyGuardrail and no model.
    let converse = calls(dir.path(), "ConverseStream") + calls(dir.path(), "Converse");
    let applied = calls(dir.path(), "ApplyGuardrail");
    tui.keys("Which crypto should I invest in right now?");
    tokio::time::sleep(Duration::from_millis(100)).await;
    tui.keys("\x0b");
    let s = tui.wait_for("GUARDRAIL_INTERVENED").await;
    assert!(s.contains("check of the draft · demo:DRAFT"), "{s}");
    assert!(s.contains("Investment advice (deny)  BLOCKED"), "{s}");
    assert!(
        s.contains("Which crypto should I invest in right now?"),
        "the draft stays: {s}"
    );
    // The last answer, checked as model output, passes.
    tui.keys("\x1bk");
    let s = tui
        .wait_for_all(&["check of answer 4", "it would pass"])
        .await;
    assert!(s.contains("as a model output"), "{s}");
    assert_eq!(
        calls(dir.path(), "ConverseStream") + calls(dir.path(), "Converse"),
        converse,
        "a check calls no model"
    );
    assert_eq!(calls(dir.path(), "ApplyGuardrail"), applied + 2);
    tui.keys("\r");
    tui.wait_for("guardrail trace · answer 5").await;

    // A draft that marks a part for the guardrail: only that part is checked and, once
    // sent, screened; the denied topic outside it is not.
    tui.keys("Should I buy Tesla stock?");
    for line in [":::guard", "The weather in Paris is mild.", ":::"] {
        tokio::time::sleep(Duration::from_millis(60)).await;
        tui.keys("\x1b\r");
        tokio::time::sleep(Duration::from_millis(60)).await;
        tui.keys(line);
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    tui.keys("\x0b");
    let s = tui
        .wait_for_all(&["check of the draft's guarded part", "it would pass"])
        .await;
    assert!(pane(&s).contains("NONE"), "{s}");
    tui.keys("\r");
    let s = tui
        .wait_for_all(&["guardrail trace · answer 6", "reason: Guardrail"])
        .await;
    assert!(!pane(&s).contains("blocked the prompt"), "{s}");

    // History keeps the interventions.
    let mut tui = tui.quit_and_resume(&url).await;
    tui.wait_for("guardrail trace · answer 6").await;
    // Scrolling up through the resumed conversation shows every intervention.
    let mut seen = String::new();
    for _ in 0..40 {
        tui.keys(PAGE_UP);
        tokio::time::sleep(Duration::from_millis(60)).await;
        seen.push_str(&tui.screen());
        if seen.contains("guardrail trace · answer 1 ") {
            break;
        }
    }
    let s = tui.wait_for("guardrail trace · answer 1 ").await;
    seen.push_str(&s);
    for note in [
        "blocked the prompt: denied topic Investment advice",
        "masked the answer: PII EMAIL",
        "blocked the prompt: custom word \u{201c}Project Falcon\u{201d}",
        "[guardrail intervened]",
    ] {
        assert!(seen.contains(note), "{note} after a restart: {seen}");
    }
    assert!(s.contains("Investment advice (deny)  BLOCKED"), "{s}");
    tui.keys("\x03");
    assert!(tui.exit_status().await.success());
}
