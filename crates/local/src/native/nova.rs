//! Amazon Nova's native `messages-v1` format: Converse-shaped messages with
//! `inferenceConfig.max_new_tokens`, answered like Converse and streamed as Converse
//! events wrapped in chunks, ending with a `metadata` chunk.

use bedrock_catalog::Model;
use serde_json::{Map, Value, json};

use crate::converse::{self, Usage};
use crate::simulator::{Generation, OutBlock};
use crate::stream::{ItemKind, StreamItem};

use super::doc::{Doc, Result};
use super::{Parsed, Variant};

pub(super) fn parse(model: &Model, doc: &Doc) -> Result<Parsed> {
    doc.keys(
        &["messages"],
        &[
            "schemaVersion",
            "system",
            "inferenceConfig",
            "toolConfig",
            "reasoningConfig",
        ],
    )?;
    doc.one_of("schemaVersion", &["messages-v1"])?;
    doc.req_items("messages")?;
    // Nova's body is Converse's, but for the names of inference parameters.
    let mut converse_body = Map::new();
    for key in ["messages", "system", "toolConfig"] {
        if let Some(v) = doc.get(key) {
            converse_body.insert(key.into(), v.clone());
        }
    }
    if let Some(cfg) = doc.child("inferenceConfig")? {
        cfg.keys(
            &[],
            &[
                "max_new_tokens",
                "maxTokens",
                "temperature",
                "topP",
                "topK",
                "stopSequences",
            ],
        )?;
        let key = if cfg.has("max_new_tokens") {
            "max_new_tokens"
        } else {
            "maxTokens"
        };
        let max = cfg.u32(key, 1)?;
        cfg.at_most(key, max, model.max_output_tokens)?;
        cfg.num("temperature", 0.0, 1.0)?;
        cfg.num("topP", 0.0, 1.0)?;
        cfg.u32("topK", 0)?;
        let mut c = json!({"stopSequences": cfg.strings("stopSequences", false)?});
        if let Some(m) = max {
            c["maxTokens"] = json!(m);
        }
        for k in ["temperature", "topP"] {
            if let Some(v) = cfg.get(k) {
                c[k] = v.clone();
            }
        }
        converse_body.insert("inferenceConfig".into(), c);
    }
    let mut request = converse::parse(&Value::Object(converse_body))?;
    request.reasoning_budget = converse::reasoning_budget(&doc.obj())?;
    Ok(Parsed {
        request,
        variant: Variant::Default,
    })
}

fn usage_json(u: Usage) -> Value {
    json!({
        "inputTokens": u.input,
        "outputTokens": u.output,
        "totalTokens": u.total(),
        "cacheReadInputTokenCount": u.cache_read,
        "cacheWriteInputTokenCount": u.cache_write,
    })
}

fn block_json(b: &OutBlock) -> Value {
    match b {
        OutBlock::Text(t) | OutBlock::Cited { text: t, .. } => json!({"text": t}),
        OutBlock::Reasoning { text, .. } => {
            json!({"reasoningContent": {"reasoningText": {"text": text}}})
        }
        OutBlock::ToolUse { id, name, input } => {
            json!({"toolUse": {"toolUseId": id, "name": name, "input": input}})
        }
    }
}

pub(super) fn response(g: &Generation, u: Usage) -> Value {
    json!({
        "output": {"message": {"role": "assistant", "content": g.blocks.iter().map(block_json).collect::<Vec<_>>()}},
        "stopReason": g.stop.converse(),
        "usage": usage_json(u),
    })
}

pub(super) fn chunks(g: &Generation, u: Usage) -> Vec<StreamItem> {
    let mut out: Vec<StreamItem> = converse::stream_items(g)
        .into_iter()
        .filter_map(|item| {
            let ItemKind::Event(name) = item.kind else {
                return None;
            };
            // Nova streams reasoning without a signature.
            if item
                .payload
                .pointer("/delta/reasoningContent/signature")
                .is_some()
            {
                return None;
            }
            let mut chunk = Map::new();
            chunk.insert(name.into(), item.payload);
            Some(StreamItem::chunk(Value::Object(chunk), item.tokens))
        })
        .collect();
    out.push(StreamItem::chunk(
        json!({"metadata": {"usage": usage_json(u), "metrics": {}, "trace": {}}}),
        0,
    ));
    out
}

#[cfg(test)]
mod tests {
    use bedrock_catalog::Family;
    use serde_json::{Value, json};

    use crate::conversation::{Block, ToolChoice};
    use crate::tokens;

    use super::super::testing::{model, parse_err, run, text_of};

    fn nova() -> bedrock_catalog::Model {
        model("amazon.nova-lite-v1:0", Family::Nova, 5000)
    }

    fn body(cfg: Value, extra: Value) -> String {
        let mut b = json!({
            "schemaVersion": "messages-v1",
            "system": [{"text": "You are a helpful travel assistant."}],
            "messages": [{"role": "user", "content": [{"text": "Plan a weekend in Lisbon."}]}],
            "inferenceConfig": cfg,
        });
        for (k, v) in extra.as_object().unwrap() {
            b[k] = v.clone();
        }
        b.to_string()
    }

    fn names(r: &super::super::testing::Run) -> Vec<String> {
        r.payloads()
            .iter()
            .map(|p| p.as_object().unwrap().keys().next().unwrap().clone())
            .collect()
    }

    #[test]
    fn parses_and_renders_text() {
        let m = nova();
        let r = run(
            &m,
            &body(
                json!({"max_new_tokens": 800, "temperature": 0.3, "topK": 20}),
                json!({}),
            ),
        );
        let req = &r.parsed.request;
        assert_eq!(
            req.system,
            vec![Some("You are a helpful travel assistant.".into())]
        );
        assert_eq!(
            req.messages[0].blocks,
            vec![Block::Text("Plan a weekend in Lisbon.".into())]
        );
        assert_eq!((req.max_tokens, req.temperature), (Some(800), Some(0.3)));

        let res = &r.response;
        assert_eq!(res["stopReason"], "end_turn");
        assert_eq!(res["output"]["message"]["role"], "assistant");
        let text = res["output"]["message"]["content"][0]["text"]
            .as_str()
            .unwrap();
        assert_eq!(text, text_of(&r.generation));
        assert_eq!(
            res["usage"],
            json!({"inputTokens": 21, "outputTokens": tokens::count(text), "totalTokens": 29 + tokens::count(text),
                   "cacheReadInputTokenCount": 3, "cacheWriteInputTokenCount": 5})
        );

        let n = names(&r);
        assert_eq!(n.first().map(String::as_str), Some("messageStart"));
        assert_eq!(
            &n[n.len() - 3..],
            ["contentBlockStop", "messageStop", "metadata"]
        );
        let streamed: String = r
            .payloads()
            .iter()
            .filter_map(|p| {
                p.pointer("/contentBlockDelta/delta/text")
                    .and_then(Value::as_str)
            })
            .collect();
        assert_eq!(streamed, text);
        let last = r.last();
        assert_eq!(
            last["metadata"]["usage"]["outputTokens"],
            tokens::count(text)
        );
        assert_eq!(last["metadata"]["metrics"], json!({}));
    }

    #[test]
    fn tool_use_max_tokens_and_stop_sequences() {
        let m = nova();
        let tools = json!({"toolConfig": {
            "tools": [{"toolSpec": {"name": "search_hotels", "description": "Search hotels in a city",
                "inputSchema": {"json": {"type": "object", "properties": {"city": {"type": "string"}}}}}}],
            "toolChoice": {"any": {}}}});
        let r = run(&m, &body(json!({"maxTokens": 1000}), tools));
        assert_eq!(r.parsed.request.tool_choice, Some(ToolChoice::Any));
        assert_eq!(r.response["stopReason"], "tool_use");
        let content = r.response["output"]["message"]["content"]
            .as_array()
            .unwrap();
        let tool = &content.last().unwrap()["toolUse"];
        assert_eq!(tool["name"], "search_hotels");
        let start = r
            .payloads()
            .iter()
            .find_map(|p| p.pointer("/contentBlockStart/start/toolUse").cloned())
            .unwrap();
        assert_eq!(start["toolUseId"], tool["toolUseId"]);
        let input: String = r
            .payloads()
            .iter()
            .filter_map(|p| {
                p.pointer("/contentBlockDelta/delta/toolUse/input")
                    .and_then(Value::as_str)
            })
            .collect();
        assert_eq!(
            serde_json::from_str::<Value>(&input).unwrap(),
            tool["input"]
        );

        let r = run(&m, &body(json!({"max_new_tokens": 4}), json!({})));
        assert_eq!(r.response["stopReason"], "max_tokens");
        assert_eq!(r.last()["metadata"]["usage"]["outputTokens"], 4);

        let full = text_of(&run(&m, &body(json!({}), json!({}))).generation);
        let word = full.split_whitespace().nth(5).unwrap();
        let r = run(&m, &body(json!({"stopSequences": [word]}), json!({})));
        assert_eq!(r.response["stopReason"], "stop_sequence");
    }

    #[test]
    fn reasoning_and_validation() {
        let m = model("amazon.nova-2-lite-v1:0", Family::Nova, 64000);
        let r = run(
            &m,
            &body(
                json!({}),
                json!({"reasoningConfig": {"type": "enabled", "maxReasoningEffort": "low"}}),
            ),
        );
        assert_eq!(r.parsed.request.reasoning_budget, Some(1024));
        let first = &r.response["output"]["message"]["content"][0];
        assert!(first["reasoningContent"]["reasoningText"]["text"].is_string());
        assert!(r.payloads().iter().any(|p| {
            p.pointer("/contentBlockDelta/delta/reasoningContent/text")
                .is_some()
        }));

        let m = nova();
        assert!(
            parse_err(&m, &body(json!({"max_new_tokens": 6000}), json!({})))
                .contains("#/inferenceConfig/max_new_tokens: 6000 is not less or equal to 5000")
        );
        assert!(
            parse_err(&m, &body(json!({"max_tokens": 10}), json!({})))
                .contains("extraneous key [max_tokens]")
        );
        assert!(parse_err(&m, "{}").contains("#: required key [messages] not found"));
        assert!(
            parse_err(&m, &body(json!({}), json!({"messages": []})))
                .contains("expected minimum item count: 1")
        );
        assert!(
            parse_err(&m, &body(json!({"topP": "x"}), json!({})))
                .contains("expected type: Number, found: String")
        );
    }
}
