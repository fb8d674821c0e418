//! Tests of the Anthropic Messages format.

use bedrock_catalog::Family;
use serde_json::{Value, json};

use crate::conversation::{Block, Role, ToolChoice};
use crate::media::{Image, Source};
use crate::tokens;

use super::super::testing::{model, parse_err, parse_ok, run, text_of};

fn claude() -> bedrock_catalog::Model {
    model(
        "anthropic.claude-3-haiku-20240307-v1:0",
        Family::Anthropic,
        4096,
    )
}

fn body(extra: Value) -> String {
    let mut b = json!({
        "anthropic_version": "bedrock-2023-05-31",
        "max_tokens": 1024,
        "messages": [{"role": "user", "content": "Explain ownership and borrowing in Rust."}],
    });
    for (k, v) in extra.as_object().unwrap() {
        b[k] = v.clone();
    }
    b.to_string()
}

fn types(payloads: &[&Value]) -> Vec<String> {
    payloads
        .iter()
        .map(|p| p["type"].as_str().unwrap().to_owned())
        .collect()
}

fn deltas(payloads: &[&Value], kind: &str, field: &str) -> String {
    payloads
        .iter()
        .filter(|p| p["type"] == "content_block_delta" && p["delta"]["type"] == kind)
        .map(|p| p["delta"][field].as_str().unwrap())
        .collect()
}

#[test]
fn parses_a_full_request() {
    let p = parse_ok(
        &claude(),
        &body(json!({
            "system": [{"type": "text", "text": "You are terse.", "cache_control": {"type": "ephemeral"}},
                       {"type": "text", "text": "Answer in English."}],
            "messages": [
                {"role": "user", "content": [
                    {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="}},
                    {"type": "text", "text": "What is the weather in Paris?", "cache_control": {"type": "ephemeral"}}]},
                {"role": "assistant", "content": [{"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {"city": "Paris"}}]},
                {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": [{"type": "text", "text": "18C"}], "is_error": false}]}
            ],
            "tools": [{"name": "get_weather", "description": "Weather of a city", "input_schema": {"type": "object"}}],
            "tool_choice": {"type": "any"},
            "stop_sequences": ["\n\nHuman:"],
            "temperature": 0.5, "top_p": 0.9, "top_k": 40,
            "anthropic_beta": ["token-efficient-tools-2025-02-19"],
        })),
    );
    let r = &p.request;
    assert_eq!(
        r.system,
        vec![
            Some("You are terse.".into()),
            None,
            Some("Answer in English.".into())
        ]
    );
    assert_eq!(r.messages.len(), 3);
    assert_eq!(
        r.messages[0].blocks,
        vec![
            Block::Image(Image::new("png", Source::Bytes { encoded: 12 }, &[0; 8])),
            Block::Text("What is the weather in Paris?".into()),
            Block::CachePoint
        ]
    );
    assert_eq!(r.messages[1].role, Role::Assistant);
    assert_eq!(
        r.messages[2].blocks,
        vec![Block::ToolResult {
            id: "toolu_1".into(),
            content: "18C".into(),
            error: false
        }]
    );
    assert_eq!(r.tools[0].name, "get_weather");
    assert_eq!(r.tool_choice, Some(ToolChoice::Any));
    assert_eq!((r.max_tokens, r.temperature), (Some(1024), Some(0.5)));
    assert_eq!(r.stop_sequences, vec!["\n\nHuman:".to_owned()]);
}

#[test]
fn renders_response_and_matching_stream() {
    let m = claude();
    let r = run(&m, &body(json!({})));
    let res = &r.response;
    assert!(res["id"].as_str().unwrap().starts_with("msg_bdrk_01"));
    assert_eq!(
        res["id"],
        run(&m, &body(json!({}))).response["id"],
        "ids are deterministic"
    );
    assert_eq!(
        (res["type"].as_str(), res["role"].as_str()),
        (Some("message"), Some("assistant"))
    );
    assert_eq!(res["model"], "claude-3-haiku-20240307");
    assert_eq!(res["stop_reason"], "end_turn");
    assert_eq!(res["stop_sequence"], Value::Null);
    assert_eq!(
        res["usage"],
        json!({"input_tokens": 21, "output_tokens": r.generation.output_tokens,
               "cache_creation_input_tokens": 5, "cache_read_input_tokens": 3})
    );
    let text = res["content"][0]["text"].as_str().unwrap();
    assert_eq!(text, text_of(&r.generation));
    assert_eq!(tokens::count(text), r.generation.output_tokens);

    let payloads = r.payloads();
    let t = types(&payloads);
    assert_eq!(&t[..2], ["message_start", "content_block_start"]);
    assert_eq!(
        &t[t.len() - 3..],
        ["content_block_stop", "message_delta", "message_stop"]
    );
    assert!(t[2..t.len() - 3].iter().all(|x| x == "content_block_delta"));
    assert_eq!(payloads[0]["message"]["id"], res["id"]);
    assert_eq!(deltas(&payloads, "text_delta", "text"), text);
    let delta = payloads[payloads.len() - 2];
    assert_eq!(delta["delta"]["stop_reason"], "end_turn");
    assert_eq!(delta["usage"]["output_tokens"], r.generation.output_tokens);
    assert!(r.last().get("type").is_some_and(|t| t == "message_stop"));
}

#[test]
fn reports_max_tokens_and_stop_sequences() {
    let m = claude();
    let r = run(&m, &body(json!({"max_tokens": 5})));
    assert_eq!(r.response["stop_reason"], "max_tokens");
    assert_eq!(r.response["usage"]["output_tokens"], 5);

    let full = text_of(&run(&m, &body(json!({}))).generation);
    let word = full.split_whitespace().nth(6).unwrap().to_owned();
    let r = run(&m, &body(json!({"stop_sequences": [word]})));
    assert_eq!(r.response["stop_reason"], "stop_sequence");
    assert_eq!(r.response["stop_sequence"], word);
    assert!(
        !r.response["content"][0]["text"]
            .as_str()
            .unwrap()
            .contains(&word)
    );
    assert_eq!(
        r.payloads()[r.chunks.len() - 2]["delta"]["stop_sequence"],
        word
    );
}

#[test]
fn streams_tool_use_and_thinking() {
    let m = model(
        "anthropic.claude-sonnet-4-5-20250929-v1:0",
        Family::Anthropic,
        64000,
    );
    let r = run(
        &m,
        &body(json!({
            "messages": [{"role": "user", "content": "What is the weather in Paris?"}],
            "tools": [{"name": "get_weather", "description": "Get the current weather for a city",
                       "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}],
            "tool_choice": {"type": "tool", "name": "get_weather"},
            "thinking": {"type": "enabled", "budget_tokens": 2048},
            "max_tokens": 8000,
        })),
    );
    let content = r.response["content"].as_array().unwrap();
    let kinds: Vec<&str> = content
        .iter()
        .map(|b| b["type"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["thinking", "text", "tool_use"]);
    assert!(!content[0]["signature"].as_str().unwrap().is_empty());
    let tool = &content[2];
    assert!(tool["id"].as_str().unwrap().starts_with("toolu_bdrk_01"));
    assert_eq!(tool["name"], "get_weather");
    assert!(tool["input"]["city"].is_string());
    assert_eq!(r.response["stop_reason"], "tool_use");

    let payloads = r.payloads();
    assert_eq!(
        deltas(&payloads, "thinking_delta", "thinking"),
        content[0]["thinking"]
    );
    assert_eq!(
        deltas(&payloads, "signature_delta", "signature"),
        content[0]["signature"]
    );
    let json_text = deltas(&payloads, "input_json_delta", "partial_json");
    assert_eq!(
        serde_json::from_str::<Value>(&json_text).unwrap(),
        tool["input"]
    );
    let start = payloads
        .iter()
        .find(|p| p["type"] == "content_block_start" && p["content_block"]["type"] == "tool_use")
        .unwrap();
    assert_eq!(start["index"], 2);
    assert_eq!(start["content_block"]["id"], tool["id"]);
}

#[test]
fn rejects_what_the_service_rejects() {
    let m = claude();
    let no_max = json!({"anthropic_version": "bedrock-2023-05-31", "messages": []}).to_string();
    assert_eq!(
        parse_err(&m, &no_max),
        "Malformed input request: #: required key [max_tokens] not found, please reformat your input and try again."
    );
    assert!(
        parse_err(&m, &body(json!({"model": "claude"})))
            .contains("#: extraneous key [model] is not permitted")
    );
    assert!(
        parse_err(&m, &body(json!({"stream": true})))
            .contains("#: extraneous key [stream] is not permitted")
    );
    assert!(
        parse_err(&m, &body(json!({"max_tokens": "100"})))
            .contains("#/max_tokens: expected type: Integer, found: String")
    );
    assert_eq!(
        parse_err(&m, &body(json!({"max_tokens": 5000}))),
        "max_tokens: 5000 > 4096, which is the maximum allowed number of output tokens for claude-3-haiku-20240307"
    );
    assert!(
        parse_err(&m, &body(json!({"anthropic_version": "2023-06-01"})))
            .contains("is not a valid enum value")
    );
    assert!(
        parse_err(&m, &body(json!({"temperature": 1.5})))
            .contains("#/temperature: 1.5 is not less or equal to 1")
    );
    let orphan = json!({"messages": [{"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_x", "content": "1"}]}]});
    assert!(
        parse_err(&m, &body(orphan)).starts_with("messages.0.content.0: unexpected `tool_use_id`")
    );
    let bad_image = json!({"messages": [{"role": "user", "content": [{"type": "image", "source": {"type": "base64", "media_type": "image/bmp", "data": "AA=="}}]}]});
    assert!(
        parse_err(&m, &body(bad_image))
            .starts_with("messages.0.content.0.image.source.base64.media_type")
    );
    let bad_role = json!({"messages": [{"role": "system", "content": "hi"}]});
    assert_eq!(
        parse_err(&m, &body(bad_role)),
        "messages.0.role: Input should be 'user' or 'assistant'"
    );
    // Thinking: only on reasoning models, with a budget below max_tokens.
    let mut old = claude();
    old.capabilities.reasoning = false;
    let thinking = json!({"thinking": {"type": "enabled", "budget_tokens": 2048}});
    assert!(parse_err(&old, &body(thinking.clone())).contains("extraneous key [thinking]"));
    let m4 = model(
        "anthropic.claude-sonnet-4-5-20250929-v1:0",
        Family::Anthropic,
        64000,
    );
    assert_eq!(
        parse_err(&m4, &body(thinking)),
        "`max_tokens` must be greater than `thinking.budget_tokens`."
    );
}
