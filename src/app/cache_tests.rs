//! Where checkpoints go: after the system prompt (or the tools), where the previous
//! turn's request ended and after the new question, each only with a prefix long
//! enough to cache, within the service's four, at a TTL the model keeps.

use pretty_assertions::assert_eq;

use super::*;
use crate::catalog::Catalog;
use crate::conversation::Role;

const SONNET45: &str = "anthropic.claude-sonnet-4-5-20250929-v1:0";

/// Text of `n` tokens, give or take one.
fn words(n: usize) -> String {
    " the".repeat(n)
}

fn answer(text: &str) -> Message {
    Message {
        role: Role::Assistant,
        blocks: vec![Block::Text(text.into())],
        model: None,
    }
}

fn model(id: &str) -> Option<&'static crate::catalog::Model> {
    Catalog::builtin().get(id)
}

/// Three turns: the third question, after two answered ones; each turn adds about
/// 1,100 tokens.
fn third_turn() -> Vec<Message> {
    vec![
        Message::user(words(600)),
        answer(&words(500)),
        Message::user(words(600)),
        answer(&words(500)),
        Message::user(words(600)),
    ]
}

#[test]
fn a_long_system_prompt_and_the_conversation_get_checkpoints() {
    let system = words(1500);
    let p = plan(
        Cache::FiveMinutes,
        model(SONNET45),
        Some(&system),
        None,
        &third_turn(),
    );
    let p = p.unwrap();
    assert_eq!(
        (p.ttl, p.tools, p.system, p.messages.clone()),
        // The second question (where turn 2's request ended) and the third.
        (Cache::FiveMinutes, false, true, vec![2, 4])
    );
    // An earlier turn wrote up to the second question; this one writes the rest.
    // (The system prompt, then two questions and their answers, in tokens.)
    assert_eq!((p.read, p.written, p.total), (3200, 1100, 4300));
    // One hour where the model keeps it.
    let p = plan(
        Cache::OneHour,
        model(SONNET45),
        Some(&system),
        None,
        &third_turn(),
    );
    assert_eq!(p.unwrap().ttl, Cache::OneHour);
}

#[test]
fn prefixes_under_the_models_minimum_get_none() {
    // A short system prompt: the first checkpoint is where the prefix reaches 1,024.
    let p = plan(
        Cache::FiveMinutes,
        model(SONNET45),
        Some("Be brief."),
        None,
        &third_turn(),
    )
    .unwrap();
    assert!(!p.system);
    assert_eq!(p.messages, vec![2, 4]);
    // The last turn adds too little since the previous checkpoint: it gets none.
    let mut short_last = third_turn();
    short_last[4] = Message::user("And then?");
    short_last[3] = answer("Yes.");
    let p = plan(
        Cache::FiveMinutes,
        model(SONNET45),
        Some("Be brief."),
        None,
        &short_last,
    )
    .unwrap();
    assert_eq!(p.messages, vec![2]);
    // A first short question: nothing worth caching.
    assert_eq!(
        plan(
            Cache::FiveMinutes,
            model(SONNET45),
            Some("Be brief."),
            None,
            &[Message::user("Hi")]
        ),
        None
    );
    // Haiku 4.5 needs 4,096 tokens a checkpoint: the whole conversation has fewer.
    assert_eq!(
        plan(
            Cache::FiveMinutes,
            model("anthropic.claude-haiku-4-5-20251001-v1:0"),
            Some("Be brief."),
            None,
            &third_turn()
        ),
        None
    );
}

#[test]
fn off_or_a_model_that_does_not_cache_sends_none_and_nova_keeps_five_minutes() {
    let system = words(1500);
    assert_eq!(
        plan(
            Cache::Off,
            model(SONNET45),
            Some(&system),
            None,
            &third_turn()
        ),
        None
    );
    assert_eq!(
        plan(
            Cache::FiveMinutes,
            model("meta.llama3-1-8b-instruct-v1:0"),
            Some(&system),
            None,
            &third_turn()
        ),
        None
    );
    let nova = plan(
        Cache::OneHour,
        model("amazon.nova-lite-v1:0"),
        Some(&system),
        None,
        &third_turn(),
    )
    .unwrap();
    assert_eq!(nova.ttl, Cache::FiveMinutes);
}

#[test]
fn tools_before_the_system_prompt_share_its_checkpoint() {
    let tools = crate::tools::ToolConfig {
        tools: vec![crate::tools::ToolSpec {
            name: "search".into(),
            description: words(1200),
            input_schema: serde_json::json!({"type": "object"}),
        }],
        choice: crate::tools::Choice::Auto,
    };
    let with_system = plan(
        Cache::FiveMinutes,
        model(SONNET45),
        Some("Be brief."),
        Some(&tools),
        &[Message::user("Hi")],
    )
    .unwrap();
    assert!(with_system.system && !with_system.tools);
    let without = plan(
        Cache::FiveMinutes,
        model(SONNET45),
        None,
        Some(&tools),
        &[Message::user("Hi")],
    )
    .unwrap();
    assert!(without.tools && !without.system);
    assert!(without.messages.len() < MAX_POINTS);
}

#[test]
fn the_cache_command_sets_and_reports() {
    let mut app = App::new(SONNET45);
    command(&mut app, "5m");
    assert_eq!(app.inference.cache, Cache::FiveMinutes);
    command(&mut app, "");
    assert!(
        app.notice
            .as_ref()
            .unwrap()
            .text()
            .starts_with("Prompt cache: 5m")
    );
    let before = app.inference.clone();
    command(&mut app, "forever");
    assert_eq!(app.inference, before);
    assert!(matches!(app.notice, Some(Notice::Error(_))));
    let mut app = App::new("amazon.nova-lite-v1:0");
    command(&mut app, "1h");
    assert!(
        app.notice
            .as_ref()
            .unwrap()
            .text()
            .contains("5 minutes only")
    );
}
