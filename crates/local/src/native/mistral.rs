//! Mistral AI: the `<s>[INST] ... [/INST]` prompt completion (`outputs`) and the chat
//! completion of Mistral Large (`messages`, tools; `choices` with `stop_reason`).

use bedrock_catalog::Model;
use serde_json::{Value, json};

use crate::conversation::Request;
use crate::converse::Usage;
use crate::simulator::Generation;
use crate::stream::StreamItem;

use super::doc::{Doc, Result};
use super::{
    COMPLETION_STOPS, Parsed, Variant, chat, default_max, model_name, prompt, set_turns,
    text_chunks, uuid,
};

pub(super) fn parse(model: &Model, doc: &Doc) -> Result<Parsed> {
    let variant = if doc.has("messages") {
        Variant::Chat
    } else {
        Variant::Default
    };
    let mut req = Request::default();
    if variant == Variant::Chat {
        doc.keys(
            &["messages"],
            &[
                "tools",
                "tool_choice",
                "max_tokens",
                "temperature",
                "top_p",
                "stop",
            ],
        )?;
        chat::parse_messages(doc, &mut req)?;
        chat::parse_tools(doc, &mut req)?;
    } else {
        doc.keys(
            &["prompt"],
            &["max_tokens", "stop", "temperature", "top_p", "top_k"],
        )?;
        let text = doc.req_str("prompt")?;
        set_turns(&mut req, text, prompt::inst(text));
        doc.u32("top_k", 1)?;
    }
    let max = doc.u32("max_tokens", 1)?;
    doc.at_most("max_tokens", max, model.max_output_tokens)?;
    req.max_tokens = max.or_else(|| default_max(model, 8192));
    req.stop_sequences = doc.strings("stop", false)?;
    req.temperature = doc.num("temperature", 0.0, 1.0)?;
    doc.num("top_p", 0.0, 1.0)?;
    Ok(Parsed {
        request: req,
        variant,
    })
}

fn stop(g: &Generation) -> &'static str {
    COMPLETION_STOPS.of(&g.stop)
}

fn calls_or_null(g: &Generation) -> Value {
    let calls = chat::tool_calls(g, false);
    if calls.is_empty() {
        Value::Null
    } else {
        json!(calls)
    }
}

/// The envelope of a chat completion (or of one of its chunks).
fn envelope(model: &Model, req: &Request, object: &str, choice: Value) -> Value {
    json!({
        "id": uuid(req.digest(), "mistral-chat"),
        "object": object,
        "model": model_name(model),
        "choices": [choice],
    })
}

pub(super) fn response(model: &Model, parsed: &Parsed, g: &Generation, u: Usage) -> Value {
    if parsed.variant == Variant::Default {
        return json!({"outputs": [{"text": g.text(), "stop_reason": stop(g)}]});
    }
    let message = json!({"role": "assistant", "content": g.text(), "tool_calls": calls_or_null(g)});
    let choice = json!({"index": 0, "message": message, "stop_reason": stop(g)});
    let mut body = envelope(model, &parsed.request, "chat.completion", choice);
    body["usage"] = chat::usage(&u);
    body
}

/// Text chunks (then tool calls, in chat); the last carries the stop reason, and in
/// chat the usage.
pub(super) fn chunks(model: &Model, parsed: &Parsed, g: &Generation, u: Usage) -> Vec<StreamItem> {
    if parsed.variant == Variant::Default {
        return text_chunks(&g.text(), |piece, _, last| {
            let reason = if last { json!(stop(g)) } else { Value::Null };
            json!({"outputs": [{"text": piece, "stop_reason": reason}]})
        });
    }
    let chunk = |message: Value| {
        let choice = json!({"index": 0, "message": message, "stop_reason": null});
        envelope(model, &parsed.request, "chat.completion.chunk", choice)
    };
    let mut first = true;
    let mut items = text_chunks(&g.text(), |piece, _, _| {
        let role = if first {
            json!("assistant")
        } else {
            Value::Null
        };
        first = false;
        chunk(json!({"role": role, "content": piece, "tool_calls": null}))
    });
    if let Value::Array(calls) = calls_or_null(g) {
        items.push(StreamItem::chunk(
            chunk(json!({"role": null, "content": "", "tool_calls": calls})),
            chat::tool_tokens(g),
        ));
    }
    if let Some(last) = items.last_mut() {
        last.payload["choices"][0]["stop_reason"] = json!(stop(g));
        last.payload["usage"] = chat::usage(&u);
    }
    items
}

#[cfg(test)]
mod tests {
    use bedrock_catalog::Family;
    use serde_json::{Value, json};

    use crate::conversation::{Block, Role, ToolChoice};
    use crate::tokens;

    use super::super::Variant;
    use super::super::testing::{model, parse_err, run, text_of};

    fn large() -> bedrock_catalog::Model {
        model("mistral.mistral-large-2407-v1:0", Family::Mistral, 8192)
    }

    #[test]
    fn prompt_form() {
        let m = large();
        let body = json!({"prompt": "<s>[INST] What is a monad? [/INST] A design pattern.</s>[INST] Show one in Haskell. [/INST]",
                          "max_tokens": 600, "temperature": 0.4, "top_p": 0.9, "top_k": 50});
        let r = run(&m, &body.to_string());
        assert_eq!(r.parsed.variant, Variant::Default);
        let req = &r.parsed.request;
        assert_eq!(req.messages.len(), 3);
        assert_eq!(req.last_user_text(), "Show one in Haskell.");
        let out = &r.response["outputs"][0];
        assert_eq!(out["stop_reason"], "stop");
        let text = out["text"].as_str().unwrap();
        assert_eq!(text, text_of(&r.generation));
        assert_eq!(tokens::count(text), r.generation.output_tokens);
        let p = r.payloads();
        let streamed: String = p
            .iter()
            .map(|c| c["outputs"][0]["text"].as_str().unwrap())
            .collect();
        assert_eq!(streamed, text);
        assert!(
            p[..p.len() - 1]
                .iter()
                .all(|c| c["outputs"][0]["stop_reason"].is_null())
        );
        assert_eq!(r.last()["outputs"][0]["stop_reason"], "stop");

        let r = run(
            &m,
            &json!({"prompt": "[INST] Explain TCP. [/INST]", "max_tokens": 3}).to_string(),
        );
        assert_eq!(r.response["outputs"][0]["stop_reason"], "length");
        let full = text_of(
            &run(
                &m,
                &json!({"prompt": "[INST] Explain TCP. [/INST]"}).to_string(),
            )
            .generation,
        );
        let word = full.split_whitespace().nth(4).unwrap();
        let r = run(
            &m,
            &json!({"prompt": "[INST] Explain TCP. [/INST]", "stop": [word]}).to_string(),
        );
        assert_eq!(r.response["outputs"][0]["stop_reason"], "stop");
        assert!(r.generation.text().len() < full.len());
    }

    #[test]
    fn chat_form_with_tools() {
        let m = large();
        let tools = json!([{"type": "function", "function": {"name": "get_stock_price", "description": "Get the stock price of a company",
                            "parameters": {"type": "object", "properties": {"ticker": {"type": "string"}}, "required": ["ticker"]}}}]);
        let body = json!({
            "messages": [{"role": "system", "content": "You are a finance bot."},
                         {"role": "user", "content": "What is the stock price of ACME?"}],
            "tools": tools, "tool_choice": "any", "max_tokens": 500,
        });
        let r = run(&m, &body.to_string());
        assert_eq!(r.parsed.variant, Variant::Chat);
        assert_eq!(
            r.parsed.request.system,
            vec![Some("You are a finance bot.".into())]
        );
        assert_eq!(r.parsed.request.tool_choice, Some(ToolChoice::Any));
        assert_eq!(r.response["object"], "chat.completion");
        assert_eq!(r.response["model"], "mistral-large-2407");
        let n = r.generation.output_tokens;
        assert_eq!(
            r.response["usage"],
            json!({"prompt_tokens": 29, "completion_tokens": n, "total_tokens": 29 + n})
        );
        let choice = &r.response["choices"][0];
        assert_eq!(choice["stop_reason"], "tool_calls");
        let call = &choice["message"]["tool_calls"][0];
        assert_eq!(call["function"]["name"], "get_stock_price");
        let args: Value =
            serde_json::from_str(call["function"]["arguments"].as_str().unwrap()).unwrap();
        assert!(args["ticker"].is_string());
        let p = r.payloads();
        assert!(
            p.iter()
                .all(|c| c["id"] == r.response["id"] && c["object"] == "chat.completion.chunk")
        );
        assert_eq!(p[0]["choices"][0]["message"]["role"], "assistant");
        assert!(
            p[..p.len() - 1]
                .iter()
                .all(|c| c.get("usage").is_none() && c["choices"][0]["stop_reason"].is_null())
        );
        let last = r.last();
        assert_eq!(last["usage"], r.response["usage"]);
        assert_eq!(last["choices"][0]["stop_reason"], "tool_calls");
        assert_eq!(
            last["choices"][0]["message"]["tool_calls"][0]["id"],
            call["id"]
        );

        // The tool result goes back as a `tool` message; the answer is text.
        let follow = json!({
            "messages": [{"role": "user", "content": "What is the stock price of ACME?"},
                         {"role": "assistant", "content": "", "tool_calls": [{"id": call["id"], "function": call["function"]}]},
                         {"role": "tool", "tool_call_id": call["id"], "content": "{\"price\": 12.5}"}],
            "tools": tools,
        });
        let r = run(&m, &follow.to_string());
        let req = &r.parsed.request;
        assert_eq!(req.messages[1].role, Role::Assistant);
        assert!(
            matches!(&req.messages[1].blocks[0], Block::ToolUse { input, .. } if input["ticker"].is_string())
        );
        assert!(
            matches!(&req.messages[2].blocks[0], Block::ToolResult { content, .. } if content.contains("12.5"))
        );
        let choice = &r.response["choices"][0];
        assert_eq!(choice["stop_reason"], "stop");
        assert!(choice["message"]["tool_calls"].is_null());
        let streamed: String = r
            .payloads()
            .iter()
            .map(|c| c["choices"][0]["message"]["content"].as_str().unwrap())
            .collect();
        assert_eq!(streamed, choice["message"]["content"].as_str().unwrap());
    }

    #[test]
    fn errors() {
        let m = large();
        assert!(parse_err(&m, "{}").contains("#: required key [prompt] not found"));
        assert!(
            parse_err(&m, &json!({"prompt": "x", "max_new_tokens": 5}).to_string())
                .contains("extraneous key [max_new_tokens]")
        );
        assert!(
            parse_err(&m, &json!({"prompt": "x", "max_tokens": 9000}).to_string())
                .contains("#/max_tokens: 9000 is not less or equal to 8192")
        );
        assert!(
            parse_err(
                &m,
                &json!({"messages": [{"role": "bot", "content": "x"}]}).to_string()
            )
            .contains("#/messages/0/role: bot is not a valid enum value")
        );
        assert!(
            parse_err(
                &m,
                &json!({"messages": [{"role": "user"}], "tool_choice": "sometimes"}).to_string()
            )
            .contains("#/tool_choice: sometimes is not a valid enum value")
        );
    }
}
