//! A comparison as a person runs one: three models of different families answer one
//! question side by side, the summary's costs are each answer's usage at its model's
//! price, the second answer is kept (with its model), and the follow-up request carries
//! it, while the other two are stored as its alternatives.

use bedrock_tui::pricing::{Prices, cost, format_usd};

use super::*;

const HAIKU3: &str = "anthropic.claude-3-haiku-20240307-v1:0";
/// Takes no system prompt: the prompt goes in its first message, so it answers a
/// different request, and differently, from the two others.
const TITAN: &str = "amazon.titan-text-express-v1";
const NOVA: &str = "amazon.nova-lite-v1:0";

/// The ConverseStream requests the endpoint has answered.
async fn streams(url: &str) -> Vec<serde_json::Value> {
    (request_log(url).await.into_iter())
        .filter(|r| r["operation"] == "ConverseStream" && r["status"] == 200)
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn compare_three_models_keep_the_second_and_go_on_with_it() {
    let ep = endpoint(4000.0).await;
    let url = ep.url();
    let mut tui = Tui::chat(&url, HAIKU3).await;
    tui.send("/system Be brief.").await;
    tui.wait_for("System prompt set.").await;

    tui.send(&format!(
        "/compare {HAIKU3} {TITAN} {NOVA} How do I sort a vector in Rust?"
    ))
    .await;
    let s = tui.wait_for("3 of 3 answers are in").await;
    // Titles name the models (by their catalog names where the id does not fit).
    for (i, name) in [
        "Claude 3 Haiku",
        "Titan Text G1 - Express",
        "amazon.nova-lite-v1:0",
    ]
    .iter()
    .enumerate()
    {
        assert!(s.contains(&format!("#{} {name} done", i + 1)), "{s}");
    }
    assert!(
        s.contains("3 answers to: How do I sort a vector in Rust?"),
        "{s}"
    );
    let by_cost = s
        .lines()
        .find(|l| l.starts_with("By cost:"))
        .unwrap_or_else(|| panic!("no summary: {s}"))
        .to_owned();
    assert!(s.lines().any(|l| l.starts_with("By latency:")), "{s}");
    let sent = streams(&url).await;
    let mut models: Vec<&str> = sent.iter().filter_map(|r| r["modelId"].as_str()).collect();
    models.sort();
    assert_eq!(models, vec![NOVA, TITAN, HAIKU3], "{sent:?}");

    // The second answer, kept with its model.
    tui.keys("\x1b[C");
    tui.wait_for("▶ #2").await;
    tui.keys("\r");
    tui.wait_for("Keep #2").await;
    tui.keys("\r");
    tui.wait_for(&format!("Switched to {TITAN}")).await;
    let s = tui.wait_for("kept from a comparison").await;
    assert!(s.contains(HAIKU3) && s.contains(NOVA), "{s}");

    tui.send("And in Python?").await;
    tui.wait_for("turn 2 of our conversation").await;
    let follow_up = loop {
        let sent = streams(&url).await;
        if sent.len() == 4 {
            break sent[3].clone();
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    let home = tui.home.clone();
    tui.keys("\x03");
    assert!(tui.exit_status().await.success());

    // The history: the kept answer with the two others as its alternatives.
    let store =
        bedrock_tui::store::Store::open(home.join("data/bedrock-tui/history.sqlite3")).unwrap();
    let conv = store.load(store.last().unwrap().unwrap()).unwrap();
    assert_eq!(conv.messages.len(), 4, "{conv:?}");
    let kept = &conv.messages[1];
    let mut answers = vec![&kept.alternatives[0], kept, &kept.alternatives[1]];
    let models: Vec<Option<&str>> = answers.iter().map(|m| m.message.model.as_deref()).collect();
    assert_eq!(models, vec![Some(HAIKU3), Some(TITAN), Some(NOVA)]);
    assert_ne!(
        kept.message.text(),
        kept.alternatives[0].message.text(),
        "the prompt-less model answered another request"
    );

    // The summary's costs: each answer's usage at its model's price, worked out here.
    for (i, m) in answers.drain(..).enumerate() {
        let model = m.message.model.as_deref().unwrap();
        let price = Prices::builtin().lookup(model, "us-east-1").unwrap();
        let usd = format_usd(cost(&m.usage.unwrap(), &price));
        assert!(
            by_cost.contains(&format!("#{} {usd}", i + 1)),
            "#{} {model} costs {usd}: {by_cost}",
            i + 1
        );
    }

    // The follow-up went to the kept answer's model and carried that answer.
    assert_eq!(follow_up["modelId"], TITAN, "{follow_up}");
    assert_eq!(
        follow_up["roles"],
        serde_json::json!(["user", "assistant", "user"]),
        "{follow_up}"
    );
    let carried = follow_up["texts"][1].as_str().unwrap();
    let kept_text: String = kept.message.text().chars().take(200).collect();
    assert!(
        carried.starts_with(&kept_text),
        "{carried:?} is not {kept_text:?}"
    );
    assert!(
        follow_up["texts"][2]
            .as_str()
            .unwrap()
            .contains("And in Python?")
    );
}
