//! Routing and cost against the local endpoint: a three-turn conversation with
//! `cache = "5m"` sends well-placed checkpoints and its later turns read the cache,
//! priced as the meter prices them; the tier and latency a turn asks for are sent and
//! echoed.

use bedrock_tui::app::turn::{TurnEvent, TurnRequest};
use bedrock_tui::bedrock;
use bedrock_tui::conversation::{Block, Cache, Inference, Latency, Message, Role, Tier, Usage};
use bedrock_tui::inspect::Exchange;
use bedrock_tui::pricing::{Prices, cost};
use serde_json::Value;

use super::count::connection;
use super::*;

const SONNET45: &str = "us.anthropic.claude-sonnet-4-5-20250929-v1:0";

/// A system prompt long enough for its own checkpoint (Claude Sonnet 4.5 needs 1,024
/// tokens a checkpoint).
fn system() -> String {
    "You are a careful reviewer of distributed systems designs. ".repeat(150)
}

fn question(n: usize) -> String {
    format!(
        "Question {n}: {}",
        "Explain how leader election interacts with lease expiry and clock skew. ".repeat(90)
    )
}

/// Sends `messages` as a turn; its answer, usage and exchange.
async fn send(
    conn: &bedrock::Connection,
    messages: &[Message],
    inference: &Inference,
) -> (String, Usage, Exchange) {
    let req = TurnRequest {
        model_id: SONNET45.into(),
        system: Some(system()),
        messages: messages.to_vec(),
        inference: inference.clone(),
        guardrail: None,
        tools: None,
    };
    let (mut text, mut usage, mut exchange) = (String::new(), None, None);
    bedrock::stream_turn(conn, &req, |e| match e {
        TurnEvent::Text(t) => text.push_str(&t),
        TurnEvent::Metadata { usage: u, .. } => usage = Some(u),
        TurnEvent::Exchange(x) => exchange = Some(*x),
        _ => {}
    })
    .await
    .unwrap();
    (text, usage.unwrap(), exchange.unwrap())
}

/// Where a request body has its checkpoints: "system", and the message indexes.
fn checkpoints(body: &Value) -> (bool, Vec<usize>, Vec<String>) {
    let is_point = |b: &Value| b.get("cachePoint").is_some();
    let mut ttls = Vec::new();
    let mut collect = |b: &Value| {
        if let Some(t) = b["cachePoint"]["ttl"].as_str() {
            ttls.push(t.to_owned());
        }
    };
    let system = body["system"].as_array().unwrap();
    system.iter().for_each(&mut collect);
    let messages: Vec<usize> = body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
        .filter(|(_, m)| m["content"].as_array().unwrap().iter().any(is_point))
        .map(|(i, _)| i)
        .collect();
    for m in body["messages"].as_array().unwrap() {
        m["content"]
            .as_array()
            .unwrap()
            .iter()
            .for_each(&mut collect);
    }
    (system.iter().any(is_point), messages, ttls)
}

#[tokio::test]
async fn three_cached_turns_place_checkpoints_read_the_cache_and_price_it() {
    let ep = endpoint().await;
    let conn = connection(&ep).await;
    let inference = Inference {
        max_tokens: Some(400),
        cache: Cache::FiveMinutes,
        ..Inference::default()
    };
    let prices = Prices::builtin();
    let price = prices.lookup(SONNET45, "us-east-1").unwrap();
    let mut messages = Vec::new();
    let mut usages = Vec::new();
    for n in 1..=3 {
        messages.push(Message::user(question(n)));
        let (answer, usage, x) = send(&conn, &messages, &inference).await;
        let (system_point, points, ttls) = checkpoints(&x.request);
        assert!(system_point, "turn {n}: {}", x.request);
        assert!(ttls.iter().all(|t| t == "5m"), "{ttls:?}");
        // After the new question, and from the second turn where the previous
        // turn's request ended (its question).
        let last = messages.len() - 1;
        let want = if n == 1 {
            vec![last]
        } else {
            vec![last - 2, last]
        };
        assert_eq!(points, want, "turn {n}");
        if n == 1 {
            assert_eq!(usage.cache_read, 0);
            assert!(usage.cache_write > 0, "{usage:?}");
        } else {
            // The system prompt and the conversation up to the previous question.
            assert!(
                usage.cache_read
                    > usages
                        .iter()
                        .map(|u: &Usage| u.cache_read)
                        .max()
                        .unwrap_or(0),
                "turn {n}: {usage:?}"
            );
            assert!(usage.cache_write > 0, "turn {n}: {usage:?}");
        }
        // The response told the TTL of what was written, as the inspector shows it.
        let reported = x.response.as_ref().unwrap().usage.clone().unwrap();
        assert_eq!(
            reported["cacheDetails"],
            serde_json::json!([{"ttl": "5m", "inputTokens": usage.cache_write}]),
            "{reported}"
        );
        usages.push(usage);
        messages.push(Message {
            role: Role::Assistant,
            blocks: vec![Block::Text(answer)],
            model: Some(SONNET45.into()),
        });
    }
    // The endpoint's request log saw the same checkpoints, message by message.
    let log = super::jobs::request_log(&ep).await;
    let blocks: Vec<&Value> = log["requests"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["operation"] == "ConverseStream")
        .map(|r| &r["blocks"])
        .collect();
    let point = serde_json::json!(["text", "cachePoint"]);
    let text = serde_json::json!(["text"]);
    assert_eq!(
        blocks,
        [
            &serde_json::json!([point]),
            &serde_json::json!([point, text, point]),
            &serde_json::json!([text, text, point, text, point]),
        ]
    );
    // The meter's price of each turn is its usage priced by hand at the US profile's
    // per-million prices: input, output, cache read, 5-minute cache write.
    let by_hand = |u: &Usage| {
        (f64::from(u.input) * price.input
            + f64::from(u.output) * price.output
            + f64::from(u.cache_read) * price.cache_read.unwrap()
            + f64::from(u.cache_write) * price.cache_write_5m.unwrap())
            / 1e6
    };
    let mut app = bedrock_tui::app::App::new(SONNET45);
    app.inference.cache = Cache::FiveMinutes;
    for u in &usages {
        let mut answer = bedrock_tui::app::Entry::new(
            Message {
                role: Role::Assistant,
                blocks: vec![Block::Text("a".into())],
                model: Some(SONNET45.into()),
            },
            bedrock_tui::app::EntryState::Done,
        );
        answer.usage = Some(*u);
        app.entries.push(answer);
    }
    let totals = bedrock_tui::ui::meter::Totals::of(&app, prices);
    let total = totals.usd().unwrap();
    let hand: f64 = usages.iter().map(by_hand).sum();
    assert!((total - hand).abs() < 1e-12, "{total} vs {hand}");
    // Reading the cache made the turns cheaper than sending them uncached, and the
    // meter's saving is the difference.
    let uncached: f64 = usages
        .iter()
        .map(|u| {
            (f64::from(u.input + u.cache_read + u.cache_write) * price.input
                + f64::from(u.output) * price.output)
                / 1e6
        })
        .sum();
    assert!(total < uncached, "{total} vs {uncached}");
    assert!((totals.uncached_usd().unwrap() - uncached).abs() < 1e-12);
}

#[tokio::test]
async fn tier_and_latency_are_sent_and_echoed_and_off_sends_no_checkpoint() {
    let ep = endpoint().await;
    let conn = connection(&ep).await;
    let messages = vec![Message::user(question(1))];
    for tier in [Tier::Priority, Tier::Flex] {
        let inference = Inference {
            tier: Some(tier),
            ..Inference::default()
        };
        let (_, _, x) = send(&conn, &messages, &inference).await;
        assert_eq!(x.request["serviceTier"]["type"], tier.as_str());
        assert!(!x.request.to_string().contains("cachePoint"));
    }
    // Claude Sonnet 4.5 does not offer optimized latency: refused with the service's
    // message, which the turn's error carries.
    let req = TurnRequest {
        model_id: SONNET45.into(),
        system: None,
        messages,
        inference: Inference {
            latency: Latency::Optimized,
            ..Inference::default()
        },
        guardrail: None,
        tools: None,
    };
    let err = bedrock::stream_turn(&conn, &req, |_| {}).await.unwrap_err();
    assert!(
        matches!(
            err,
            bedrock_tui::app::error::BedrockError::Validation { .. }
        ),
        "{err:?}"
    );
}

const META_ROUTER: &str =
    "arn:aws:bedrock:us-east-1:123456789012:default-prompt-router/meta.llama:1";

#[tokio::test]
async fn a_prompt_routers_answer_names_and_prices_the_chosen_model() {
    let ep = endpoint().await;
    let conn = connection(&ep).await;
    let prices = Prices::builtin();
    for (question, chosen) in [
        (
            "What is a lease?".to_owned(),
            "us.meta.llama3-1-8b-instruct-v1:0",
        ),
        (question(1), "us.meta.llama3-1-70b-instruct-v1:0"),
    ] {
        let req = one_question(META_ROUTER, &question, Inference::default());
        let events = events_of(&conn, &req).await;
        assert!(
            events.contains(&TurnEvent::Routed(chosen.into())),
            "{events:?}"
        );
        // The chosen model has a price, and it prices the turn's usage.
        let usage = usage_of(&events);
        let price = prices.lookup(chosen, "us-east-1").unwrap();
        assert!(cost(&usage, &price) > 0.0);
    }
}

#[tokio::test]
async fn the_live_list_has_the_accounts_application_profiles_and_routers() {
    let ep = endpoint().await;
    let conn = connection(&ep).await;
    let live = bedrock::control::list_live(&conn).await.unwrap();
    let merged =
        bedrock_tui::catalog::merge::merge(bedrock_tui::catalog::Catalog::builtin(), &live);
    let mut routes: Vec<(&str, &str, Vec<&str>)> = merged
        .routes
        .iter()
        .map(|r| {
            (
                r.name.as_str(),
                r.kind.as_str(),
                r.model_ids.iter().map(String::as_str).collect(),
            )
        })
        .collect();
    routes.sort();
    assert!(
        routes.contains(&(
            "team-chat",
            "APPLICATION",
            vec!["anthropic.claude-haiku-4-5-20251001-v1:0"]
        )),
        "{routes:?}"
    );
    let meta = merged
        .route(META_ROUTER)
        .expect("the Meta router is listed");
    assert!(meta.is_router());
    assert_eq!(
        meta.model_ids,
        // A router reaches its models through the region's profiles.
        vec![
            "us.meta.llama3-1-8b-instruct-v1:0".to_owned(),
            "us.meta.llama3-1-70b-instruct-v1:0".to_owned()
        ]
    );
    // System profiles stay what a model's routes come from.
    assert!(
        live.profiles_for("anthropic.claude-haiku-4-5-20251001-v1:0")
            .iter()
            .all(|p| p.kind == "SYSTEM_DEFINED")
    );
}

#[tokio::test]
async fn priority_and_flex_turns_are_priced_at_their_tiers() {
    use bedrock_tui::app::{App, Entry, EntryState};
    const NOVA2: &str = "us.amazon.nova-2-lite-v1:0";
    let ep = endpoint().await;
    let conn = connection(&ep).await;
    // The US profile's prices per million tokens (input, output) at each tier, from
    // the pricing file's sources.
    for (tier, input, output) in [(Tier::Priority, 0.5775, 4.8125), (Tier::Flex, 0.165, 1.375)] {
        let inference = Inference {
            tier: Some(tier),
            ..Inference::default()
        };
        let req = one_question(NOVA2, "Summarize leader election in one line.", inference);
        let usage = usage_of(&events_of(&conn, &req).await);
        // The meter's total of a conversation holding that answer.
        let mut app = App::new(NOVA2);
        app.entries
            .push(Entry::new(Message::user("q"), EntryState::Done));
        let mut answer = Entry::new(
            Message {
                role: Role::Assistant,
                blocks: vec![Block::Text("a".into())],
                model: Some(NOVA2.into()),
            },
            EntryState::Done,
        );
        answer.usage = Some(usage);
        answer.tier = Some(tier);
        app.entries.push(answer);
        let totals = bedrock_tui::ui::meter::Totals::of(&app, Prices::builtin());
        let by_hand = (f64::from(usage.input) * input + f64::from(usage.output) * output) / 1e6;
        let usd = totals.usd().unwrap();
        assert!((usd - by_hand).abs() < 1e-12, "{tier}: {usd} vs {by_hand}");
    }
}

#[tokio::test]
async fn count_prices_the_prompt_at_a_tier_and_with_the_cache() {
    let ep = endpoint().await;
    let prompt = question(1);
    let v = super::ask::command_json(
        &ep,
        "count",
        &["--model", SONNET45, "--cache", "1h", "--json", &prompt],
    )
    .await;
    let tokens = v["inputTokens"].as_f64().unwrap();
    assert!(tokens > 1024.0, "{v}");
    let cache = &v["cache"];
    assert_eq!(cache["ttl"], "1h");
    assert_eq!(cache["cached"], true);
    // The US profile's 1-hour write, cache read and input prices per million.
    let close = |a: &Value, b: f64| (a.as_f64().unwrap() - b).abs() < 1e-12;
    assert!(close(&cache["writeUsd"], tokens * 6.6 / 1e6), "{v}");
    assert!(close(&cache["readUsd"], tokens * 0.33 / 1e6), "{v}");
    assert!(close(&cache["uncachedUsd"], tokens * 3.3 / 1e6), "{v}");

    // Nova 2 Lite at the flex tier: its flex prices.
    let v = super::ask::command_json(
        &ep,
        "count",
        &[
            "--model",
            "us.amazon.nova-2-lite-v1:0",
            "--tier",
            "flex",
            "--json",
            "Hi",
        ],
    )
    .await;
    assert_eq!(v["tier"], "flex");
    assert_eq!(v["price"]["input"], 0.165);
    assert_eq!(v["price"]["output"], 1.375);
    // A tier the pricing file has no price for is said to be unknown, not guessed.
    let v = super::ask::command_json(
        &ep,
        "count",
        &["--model", SONNET45, "--tier", "priority", "--json", "Hi"],
    )
    .await;
    assert_eq!(v["price"], Value::Null);
    assert_eq!(v["costUsd"], Value::Null);
}
