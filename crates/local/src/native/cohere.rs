//! Cohere Command R/R+ chat (`message`, `chat_history`, `preamble`, documents, tools):
//! the chat response with `finish_reason`, streamed as `stream-start`,
//! `text-generation` and `stream-end` events.

use bedrock_catalog::Model;
use serde_json::{Map, Value, json};

use crate::conversation::{Block, Request, Role, ToolSpec};
use crate::converse::Usage;
use crate::media::Document;
use crate::simulator::{Generation, OutBlock};
use crate::stream::StreamItem;

use super::doc::{Doc, Result};
use super::{Parsed, StopNames, Variant, chat, input_tokens, push_block, text_chunks, uuid};

const STOPS: StopNames = StopNames {
    end: "COMPLETE",
    max: "MAX_TOKENS",
    sequence: "STOP_SEQUENCE",
    tool: "COMPLETE",
};

const OPTIONAL: [&str; 17] = [
    "chat_history",
    "documents",
    "search_queries_only",
    "preamble",
    "max_tokens",
    "temperature",
    "p",
    "k",
    "prompt_truncation",
    "frequency_penalty",
    "presence_penalty",
    "seed",
    "return_prompt",
    "tools",
    "tool_results",
    "stop_sequences",
    "raw_prompting",
];

pub(super) fn parse(model: &Model, doc: &Doc) -> Result<Parsed> {
    doc.keys(&["message"], &OPTIONAL)?;
    let mut req = Request::default();
    if let Some(p) = doc.str("preamble")? {
        req.system.push(Some(p.to_owned()));
    }
    for turn in doc.items("chat_history")? {
        turn.keys(&["role"], &["message", "tool_calls", "tool_results"])?;
        let text = turn.str("message")?.unwrap_or_default().to_owned();
        match turn.one_of("role", &["USER", "CHATBOT", "SYSTEM", "TOOL"])? {
            Some("SYSTEM") => req.system.push(Some(text)),
            Some("CHATBOT") => push_block(&mut req.messages, Role::Assistant, Block::Text(text)),
            Some("TOOL") => {}
            _ => push_block(&mut req.messages, Role::User, Block::Text(text)),
        }
    }
    for t in doc.items("tools")? {
        req.tools.push(tool_spec(&t)?);
    }
    for (i, result) in doc.items("tool_results")?.iter().enumerate() {
        let call = result.req_child("call")?;
        let id = format!("cohere_call_{i}");
        let input = call.get("parameters").cloned().unwrap_or_else(|| json!({}));
        let name = call.req_str("name")?.to_owned();
        push_block(
            &mut req.messages,
            Role::Assistant,
            Block::ToolUse {
                id: id.clone(),
                name,
                input,
            },
        );
        let content = result
            .arr("outputs")?
            .map(|o| Value::Array(o.clone()).to_string())
            .unwrap_or_default();
        push_block(
            &mut req.messages,
            Role::User,
            Block::ToolResult {
                id,
                content,
                error: false,
            },
        );
    }
    for (i, d) in doc.items("documents")?.iter().enumerate() {
        let name = d
            .str("title")?
            .map_or_else(|| format!("doc_{i}"), str::to_owned);
        let text = match d.str("snippet")? {
            Some(s) => s.to_owned(),
            None => d
                .map
                .values()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join("\n"),
        };
        push_block(
            &mut req.messages,
            Role::User,
            Block::Document(Document::text(name, text)),
        );
    }
    let message = doc.req_str("message")?;
    if !message.is_empty() || req.messages.last().is_none_or(|m| m.role != Role::User) {
        push_block(
            &mut req.messages,
            Role::User,
            Block::Text(message.to_owned()),
        );
    }
    let max = doc.u32("max_tokens", 1)?;
    doc.at_most("max_tokens", max, model.max_output_tokens)?;
    req.max_tokens = max;
    req.temperature = doc.num("temperature", 0.0, 1.0)?;
    doc.num("p", 0.0, 0.99)?;
    doc.u32("k", 0)?;
    req.stop_sequences = doc.strings("stop_sequences", false)?;
    Ok(Parsed {
        request: req,
        variant: Variant::Default,
    })
}

/// A Cohere tool (`parameter_definitions` with Python-style type names) as a JSON schema.
fn tool_spec(t: &Doc) -> Result<ToolSpec> {
    t.keys(&["name"], &["description", "parameter_definitions"])?;
    let mut properties = Map::new();
    let mut required = Vec::new();
    if let Some(defs) = t.child("parameter_definitions")? {
        for (name, _) in defs.map {
            let def = defs.req_child(name)?;
            let ty = def.str("type")?.unwrap_or("str").to_lowercase();
            let json_type = match ty.as_str() {
                "int" | "integer" => "integer",
                "float" | "number" => "number",
                "bool" | "boolean" => "boolean",
                t if t.starts_with("list") => "array",
                t if t.starts_with("dict") => "object",
                _ => "string",
            };
            let desc = def.str("description")?.unwrap_or_default();
            properties.insert(
                name.clone(),
                json!({"type": json_type, "description": desc}),
            );
            if def.bool("required")?.unwrap_or(false) {
                required.push(name.clone());
            }
        }
    }
    Ok(ToolSpec {
        name: t.req_str("name")?.to_owned(),
        description: t.str("description")?.unwrap_or_default().to_owned(),
        schema: json!({"type": "object", "properties": properties, "required": required}),
    })
}

fn tool_calls(g: &Generation) -> Vec<Value> {
    g.blocks
        .iter()
        .filter_map(|b| match b {
            OutBlock::ToolUse { name, input, .. } => {
                Some(json!({"name": name, "parameters": input}))
            }
            _ => None,
        })
        .collect()
}

/// The text of a turn as Cohere's chat history carries it (documents and tool data apart).
fn turn_text(blocks: &[Block]) -> String {
    let texts: Vec<&str> = blocks
        .iter()
        .filter_map(|b| match b {
            Block::Text(t) => Some(t.as_str()),
            _ => None,
        })
        .collect();
    texts.join("\n")
}

pub(super) fn response(req: &Request, g: &Generation, u: Usage) -> Value {
    let seed = req.digest();
    let text = g.text();
    let calls = tool_calls(g);
    let mut history: Vec<Value> = req
        .messages
        .iter()
        .map(|m| {
            let role = if m.role == Role::User {
                "USER"
            } else {
                "CHATBOT"
            };
            json!({"role": role, "message": turn_text(&m.blocks)})
        })
        .collect();
    let mut reply = json!({"role": "CHATBOT", "message": text});
    let mut body = json!({
        "response_id": uuid(seed, "cohere-response"),
        "text": text,
        "generation_id": uuid(seed, "cohere-generation"),
        "finish_reason": STOPS.of(&g.stop),
        "meta": {
            "api_version": {"version": "1"},
            "billed_units": {"input_tokens": input_tokens(&u), "output_tokens": u.output},
            "tokens": {"input_tokens": input_tokens(&u), "output_tokens": u.output},
        },
    });
    if !calls.is_empty() {
        reply["tool_calls"] = json!(calls);
        body["tool_calls"] = json!(calls);
    }
    history.push(reply);
    body["chat_history"] = json!(history);
    body
}

pub(super) fn chunks(req: &Request, g: &Generation, u: Usage) -> Vec<StreamItem> {
    let generation_id = uuid(req.digest(), "cohere-generation");
    let mut items = vec![StreamItem::chunk(
        json!({"is_finished": false, "event_type": "stream-start", "generation_id": generation_id}),
        0,
    )];
    let text = g.text();
    if !text.is_empty() {
        items.extend(text_chunks(&text, |piece, _, _| {
            json!({"is_finished": false, "event_type": "text-generation", "text": piece})
        }));
    }
    let calls = tool_calls(g);
    if !calls.is_empty() {
        items.push(StreamItem::chunk(
            json!({"is_finished": false, "event_type": "tool-calls-generation", "text": text, "tool_calls": calls}),
            chat::tool_tokens(g),
        ));
    }
    items.push(StreamItem::chunk(
        json!({"is_finished": true, "event_type": "stream-end", "finish_reason": STOPS.of(&g.stop),
               "response": response(req, g, u)}),
        0,
    ));
    items
}

#[cfg(test)]
mod tests {
    use bedrock_catalog::Family;
    use serde_json::{Value, json};

    use crate::conversation::{Block, Role};
    use crate::media::Document;
    use crate::tokens;

    use super::super::testing::{model, parse_err, run, text_of};

    fn command_r() -> bedrock_catalog::Model {
        model("cohere.command-r-plus-v1:0", Family::CohereCommandR, 4000)
    }

    fn body(extra: Value) -> String {
        let mut b = json!({
            "message": "Which planet has the most moons?",
            "chat_history": [{"role": "USER", "message": "Hi"}, {"role": "CHATBOT", "message": "Hello! Ask me about space."}],
            "preamble": "You are an astronomy tutor.",
            "documents": [{"title": "Moons", "snippet": "Saturn has 146 known moons."}],
            "max_tokens": 400, "temperature": 0.3, "p": 0.75, "k": 0,
        });
        for (k, v) in extra.as_object().unwrap() {
            b[k] = v.clone();
        }
        b.to_string()
    }

    #[test]
    fn parses_history_documents_and_renders() {
        let m = command_r();
        let r = run(&m, &body(json!({})));
        let req = &r.parsed.request;
        assert_eq!(req.system, vec![Some("You are an astronomy tutor.".into())]);
        assert_eq!(req.messages.len(), 3);
        assert_eq!(
            req.messages[2].blocks,
            vec![
                Block::Document(Document::text("Moons", "Saturn has 146 known moons.")),
                Block::Text("Which planet has the most moons?".into())
            ]
        );

        let res = &r.response;
        assert_eq!(res["finish_reason"], "COMPLETE");
        let text = res["text"].as_str().unwrap();
        assert_eq!(text, text_of(&r.generation));
        assert_eq!(
            res["meta"]["billed_units"],
            json!({"input_tokens": 29, "output_tokens": tokens::count(text)})
        );
        let history = res["chat_history"].as_array().unwrap();
        assert_eq!(history.len(), 4);
        assert_eq!(
            history[2],
            json!({"role": "USER", "message": "Which planet has the most moons?"})
        );
        assert_eq!(history[3], json!({"role": "CHATBOT", "message": text}));
        assert_eq!(res["response_id"].as_str().unwrap().len(), 36);
        assert_ne!(res["response_id"], res["generation_id"]);

        let p = r.payloads();
        assert_eq!(p[0]["event_type"], "stream-start");
        assert_eq!(p[0]["generation_id"], res["generation_id"]);
        let streamed: String = p
            .iter()
            .filter(|c| c["event_type"] == "text-generation")
            .map(|c| c["text"].as_str().unwrap())
            .collect();
        assert_eq!(streamed, text);
        assert!(p[..p.len() - 1].iter().all(|c| c["is_finished"] == false));
        let last = r.last();
        assert_eq!(
            (last["event_type"].as_str(), last["is_finished"].as_bool()),
            (Some("stream-end"), Some(true))
        );
        assert_eq!(last["response"], *res);
    }

    #[test]
    fn tools_limits_and_errors() {
        let m = command_r();
        let tools = json!([{"name": "query_daily_sales_report", "description": "Connects to a database to retrieve overall sales volumes",
                            "parameter_definitions": {"day": {"description": "Day in YYYY-MM-DD", "type": "str", "required": true}}}]);
        let r = run(
            &m,
            &json!({"message": "Show the daily sales report for 2024-05-01", "tools": tools})
                .to_string(),
        );
        assert_eq!(r.parsed.request.tools[0].schema["required"], json!(["day"]));
        let calls = r.response["tool_calls"].as_array().unwrap();
        assert_eq!(calls[0]["name"], "query_daily_sales_report");
        assert!(calls[0]["parameters"]["day"].is_string());
        let streamed = r
            .payloads()
            .into_iter()
            .find(|c| c["event_type"] == "tool-calls-generation")
            .unwrap();
        assert_eq!(streamed["tool_calls"], r.response["tool_calls"]);

        let results = json!([{"call": {"name": "query_daily_sales_report", "parameters": {"day": "2024-05-01"}},
                              "outputs": [{"total_sales": 1200}]}]);
        let r = run(
            &m,
            &json!({"message": "", "tools": tools, "tool_results": results}).to_string(),
        );
        let req = &r.parsed.request;
        assert_eq!(req.messages[0].role, Role::Assistant);
        assert!(
            matches!(&req.messages[1].blocks[0], Block::ToolResult { content, .. } if content.contains("1200"))
        );
        assert!(r.response.get("tool_calls").is_none());

        let r = run(&m, &body(json!({"max_tokens": 3})));
        assert_eq!(r.response["finish_reason"], "MAX_TOKENS");
        assert_eq!(r.last()["finish_reason"], "MAX_TOKENS");
        let full = text_of(&run(&m, &body(json!({}))).generation);
        let word = full.split_whitespace().nth(5).unwrap();
        let r = run(&m, &body(json!({"stop_sequences": [word]})));
        assert_eq!(r.response["finish_reason"], "STOP_SEQUENCE");

        assert!(parse_err(&m, "{}").contains("#: required key [message] not found"));
        assert!(
            parse_err(&m, &body(json!({"max_tokens": 4001})))
                .contains("#/max_tokens: 4001 is not less or equal to 4000")
        );
        assert!(parse_err(&m, &body(json!({"prompt": "x"}))).contains("extraneous key [prompt]"));
        assert!(
            parse_err(
                &m,
                &body(json!({"chat_history": [{"role": "ASSISTANT", "message": "x"}]}))
            )
            .contains("#/chat_history/0/role: ASSISTANT is not a valid enum value")
        );
    }
}
