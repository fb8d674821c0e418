//! Counting a turn before it is sent: `bedrock::count_input` equals the endpoint's
//! CountTokens for a Claude model and says it is exact; a Nova model gets the local
//! estimate, marked as one; `bedrock-tui count` prints both with the turn's cost.

use aws_sdk_bedrockruntime::types::{ConverseTokensRequest, CountTokensInput, SystemContentBlock};
use bedrock_tui::app::turn::TurnRequest;
use bedrock_tui::bedrock::{self, ConnectOptions, count_input, estimate};
use bedrock_tui::conversation::{Block, Inference, Message, Role};
use bedrock_tui::pricing::{Prices, turn_range};

use super::ask::{command_json, run_command};
use super::*;

const HAIKU45: &str = "anthropic.claude-haiku-4-5-20251001-v1:0";
const SYSTEM: &str = "Be helpful.";

fn history() -> Vec<Message> {
    vec![
        Message::user("What is ownership?"),
        Message {
            role: Role::Assistant,
            blocks: vec![Block::Text("Ownership is...".into())],
            model: None,
        },
        Message::user("And borrowing?"),
    ]
}

fn turn(model_id: &str) -> TurnRequest {
    TurnRequest {
        model_id: model_id.into(),
        system: Some(SYSTEM.into()),
        messages: history(),
        inference: Inference::default(),
        guardrail: None,
        tools: None,
    }
}

pub async fn connection(ep: &LocalEndpoint) -> bedrock::Connection {
    bedrock::connect(&ConnectOptions {
        endpoint_url: Some(ep.url()),
        region: Some("us-east-1".into()),
        ..ConnectOptions::default()
    })
    .await
    .unwrap()
}

#[tokio::test]
async fn a_claude_count_is_the_endpoints_count_tokens() {
    let ep = endpoint().await;
    let conn = connection(&ep).await;
    let messages = vec![
        user("What is ownership?"),
        assistant("Ownership is..."),
        user("And borrowing?"),
    ];
    let expected = endpoint_count(&ep, HAIKU45, messages).await;
    // The profile id a turn is sent with counts as its foundation model.
    for id in [format!("us.{HAIKU45}"), HAIKU45.to_owned()] {
        let n = count_input(&conn, &turn(&id)).await.unwrap();
        assert!(n.exact, "{id}");
        assert_eq!(i64::from(n.tokens), i64::from(expected), "{id}");
    }
    // Without the system prompt the count is smaller: every part is sent.
    let mut bare = turn(HAIKU45);
    bare.system = None;
    let n = count_input(&conn, &bare).await.unwrap();
    assert!(n.exact && i64::from(n.tokens) < i64::from(expected));
}

#[tokio::test]
async fn a_nova_count_is_the_local_estimate() {
    let ep = endpoint().await;
    let conn = connection(&ep).await;
    let req = turn(NOVA_LITE);
    let n = count_input(&conn, &req).await.unwrap();
    assert!(!n.exact);
    assert_eq!(n.tokens, estimate(&req));
    assert!(n.tokens > 10);
}

#[tokio::test]
async fn a_refused_count_falls_back_to_the_estimate() {
    let ep = endpoint().await;
    let conn = connection(&ep).await;
    let mut req = turn(HAIKU45);
    req.messages = vec![Message::user("count me [[fault:access-denied]]")];
    let n = count_input(&conn, &req).await.unwrap();
    assert_eq!((n.tokens, n.exact), (estimate(&req), false));
    // An error that is not about counting is reported, not estimated away.
    req.messages = vec![Message::user("count me [[fault:throttle]]")];
    let e = count_input(&conn, &req).await.unwrap_err();
    assert!(e.to_string().contains("Throttled"), "{e}");
}

async fn count_json(ep: &LocalEndpoint, args: &[&str]) -> serde_json::Value {
    command_json(ep, "count", args).await
}

/// What the endpoint's CountTokens says of a Converse request with `SYSTEM`.
async fn endpoint_count(
    ep: &LocalEndpoint,
    model: &str,
    messages: Vec<aws_sdk_bedrockruntime::types::Message>,
) -> i32 {
    client(ep)
        .count_tokens()
        .model_id(model)
        .input(CountTokensInput::Converse(
            ConverseTokensRequest::builder()
                .set_messages(Some(messages))
                .system(SystemContentBlock::Text(SYSTEM.into()))
                .build(),
        ))
        .send()
        .await
        .unwrap()
        .input_tokens()
}

#[tokio::test]
async fn count_cli_prints_exact_counts_estimates_and_costs() {
    let ep = endpoint().await;
    let v = count_json(
        &ep,
        &[
            "--model",
            SONNET45,
            "--system",
            SYSTEM,
            "--max-tokens",
            "1000",
            "--json",
            "What is ownership?",
        ],
    )
    .await;
    let profile = format!("us.{SONNET45}");
    assert_eq!(v["model"], profile.as_str());
    assert_eq!(v["exact"], true);
    let expected = endpoint_count(&ep, SONNET45, vec![user("What is ownership?")]).await;
    assert_eq!(v["inputTokens"], expected);
    // The us. profile's price: 10% over global, from the pricing file.
    let price = Prices::builtin().lookup(&profile, "us-east-1").unwrap();
    assert!((v["price"]["input"].as_f64().unwrap() - 3.3).abs() < 1e-9);
    let tokens = u32::try_from(expected).unwrap();
    let (min, max) = turn_range(tokens, 1000, &price);
    assert!((v["costUsd"]["min"].as_f64().unwrap() - min).abs() < 1e-12);
    assert!((v["costUsd"]["max"].as_f64().unwrap() - max).abs() < 1e-12);
    assert!((max - min - 1000.0 * 16.5 / 1e6).abs() < 1e-12);

    let v = count_json(&ep, &["--model", NOVA_LITE, "--json", "What is ownership?"]).await;
    assert_eq!(v["exact"], false);
    assert!(v["inputTokens"].as_u64().unwrap() > 0);

    let v = count_json(
        &ep,
        &["--model", "amazon.nova-reel-v1:1", "--json", "A cat"],
    )
    .await;
    assert_eq!(v["price"], serde_json::Value::Null);
    assert_eq!(v["costUsd"], serde_json::Value::Null);

    let out = run_command(&ep, "count", &["--model", HAIKU45, "Hello"], None).await;
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("exact (CountTokens)"), "{text}");
    assert!(text.contains("cost: $"), "{text}");
    let out = run_command(&ep, "count", &["--model", NOVA_LITE, "-"], Some("Hello")).await;
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("estimate (cl100k, not the model's tokenizer)"),
        "{text}"
    );
    let out = run_command(
        &ep,
        "count",
        &["--model", "amazon.nova-reel-v1:1", "A cat"],
        None,
    )
    .await;
    assert!(
        String::from_utf8(out.stdout)
            .unwrap()
            .contains("price unknown")
    );
}

#[tokio::test]
async fn count_cli_uses_the_configs_prices_and_reports_errors() {
    let ep = endpoint().await;
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!("[prices.\"us.{HAIKU45}\"]\ninput = 2.0\noutput = 8.0\n"),
    )
    .unwrap();
    let config = config.to_str().unwrap();
    let v = count_json(
        &ep,
        &[
            "--config",
            config,
            "--model",
            HAIKU45,
            "--max-tokens",
            "10",
            "--json",
            "Hi",
        ],
    )
    .await;
    assert_eq!(v["price"]["input"], 2.0);
    assert_eq!(v["price"]["source"], "config [prices]");
    let tokens = v["inputTokens"].as_f64().unwrap();
    assert!((v["costUsd"]["max"].as_f64().unwrap() - (tokens * 2.0 + 80.0) / 1e6).abs() < 1e-12);

    let out = run_command(&ep, "count", &["--model", HAIKU45], Some("  ")).await;
    assert!(!out.status.success());
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("the prompt is empty"));
    let out = run_command(
        &ep,
        "count",
        &["--model", HAIKU45, "hi [[fault:throttle]]"],
        None,
    )
    .await;
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("Throttled"));
}

/// The numbers of a JSON text as written, e.g. `0.0000121` or `1.2100000000000001e-5`;
/// strings are skipped.
fn numbers_as_written(json: &str) -> Vec<String> {
    let (mut out, mut number, mut in_string, mut escaped) =
        (Vec::new(), String::new(), false, false);
    for c in json.chars() {
        if in_string {
            (in_string, escaped) = (escaped || c != '"', !escaped && c == '\\');
        } else if c.is_ascii_digit() || ".eE+-".contains(c) {
            number.push(c);
        } else {
            in_string = c == '"';
            // `true` and `false` hold an `e` but no digit.
            if number.chars().any(|c| c.is_ascii_digit()) {
                out.push(number.clone());
            }
            number.clear();
        }
    }
    out
}

#[tokio::test]
async fn count_json_prices_are_decimals_a_person_can_read() {
    let ep = endpoint().await;
    let mut seen = 0;
    for model in [HAIKU45, NOVA_LITE, "amazon.nova-micro-v1:0", SONNET45] {
        for prompt in [
            "Hi",
            "What is ownership?",
            "Hello there, how are you doing today",
        ] {
            let out = run_command(&ep, "count", &["--model", model, "--json", prompt], None).await;
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            let text = String::from_utf8(out.stdout).unwrap();
            for n in numbers_as_written(&text) {
                let digits = n.trim_start_matches(['-', '0', '.']).replace('.', "");
                assert!(
                    !n.contains(['e', 'E']) && digits.len() <= 12,
                    "{model} {prompt:?}: {n} in {text}"
                );
                seen += 1;
            }
            // Still the same value, to the last cent of a cent.
            let v: serde_json::Value = serde_json::from_str(&text).unwrap();
            if let Some(min) = v["costUsd"]["min"].as_f64() {
                let price = v["price"]["input"].as_f64().unwrap();
                let tokens = v["inputTokens"].as_f64().unwrap();
                assert!((min - tokens * price / 1e6).abs() < 1e-15, "{text}");
            }
        }
    }
    assert!(seen > 50);
}
