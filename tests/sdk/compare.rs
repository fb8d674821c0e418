//! `ask --compare`: one prompt to three models of different families at once against
//! the local endpoint; each answer is the one `ask` gives that model alone, each cost
//! its usage priced by hand, and a throttled model fails alone, with exit code 1.

use bedrock_tui::local::{FailRoute, Settings};
use bedrock_tui::pricing::Prices;
use serde_json::Value;

use super::ask::{command_json, run_command};
use super::*;

const MODELS: [&str; 3] = [
    "us.anthropic.claude-haiku-4-5-20251001-v1:0",
    "amazon.nova-lite-v1:0",
    "us.meta.llama3-1-8b-instruct-v1:0",
];
const PROMPT: &str = "What is a lease, in two sentences?";

#[tokio::test]
async fn three_models_answer_at_once_and_a_throttled_one_fails_alone() {
    let ep = endpoint_with(Settings {
        fail_routes: vec![FailRoute::parse("us.meta.:throttle").unwrap()],
        ..Settings::default()
    })
    .await;
    let out = run_command(
        &ep,
        "ask",
        &["--compare", &MODELS.join(","), "--json", PROMPT],
        None,
    )
    .await;
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("1 of 3 models failed: us.meta.llama3-1-8b-instruct-v1:0"),
        "{err}"
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let answers = v["answers"].as_array().unwrap();
    assert_eq!(answers.len(), 3);
    let prices = Prices::builtin();
    for (a, model) in answers.iter().zip(MODELS).take(2) {
        assert_eq!(a["model"], model);
        assert_eq!(a["error"], Value::Null, "{a}");
        // The answer `ask` gives the model alone.
        let alone = command_json(&ep, "ask", &["--model", model, "--json", PROMPT]).await;
        assert_eq!(a["text"], alone["text"], "{model}");
        // Its cost: the usage at the model's per-million prices.
        let p = prices.lookup(model, "us-east-1").unwrap();
        let u = &a["usage"];
        let by_hand = (u["inputTokens"].as_f64().unwrap() * p.input
            + u["outputTokens"].as_f64().unwrap() * p.output)
            / 1e6;
        assert!(
            (a["costUsd"].as_f64().unwrap() - by_hand).abs() < 1e-12,
            "{a}"
        );
        assert_eq!(a["stopReason"], "end_turn");
        assert!(a["ttftMs"].as_u64().is_some());
    }
    let throttled = &answers[2];
    assert!(
        throttled["error"]
            .as_str()
            .unwrap()
            .starts_with("Throttled"),
        "{throttled}"
    );
    assert_eq!(throttled["usage"], Value::Null);
    // Ranked among the answers that came.
    assert_eq!(v["cheapest"], MODELS[1]);
    assert!(MODELS[..2].contains(&v["fastest"].as_str().unwrap()));
}

#[tokio::test]
async fn compare_takes_two_to_four_known_models() {
    let ep = endpoint().await;
    for (arg, says) in [
        ("amazon.nova-lite-v1:0", "takes 2 to 4 models"),
        ("amazon.nova-lite-v1:0,amazon.nova-lite-v1:0", "named twice"),
        ("amazon.nova-lite-v1:0,acme.nope-v1", "--compare:"),
    ] {
        let out = run_command(&ep, "ask", &["--compare", arg, PROMPT], None).await;
        assert_eq!(out.status.code(), Some(1));
        assert!(String::from_utf8_lossy(&out.stderr).contains(says), "{arg}");
        assert!(out.stdout.is_empty());
    }
    // Nothing was sent.
    let log = super::jobs::request_log(&ep).await;
    assert_eq!(log["requests"].as_array().unwrap().len(), 0, "{log}");
}
