//! AI21 Jamba's OpenAI-like chat completion: `choices` with `finish_reason` and
//! `usage`, streamed as `delta` chunks with the usage in the last.

use bedrock_catalog::Model;
use serde_json::{Value, json};

use crate::conversation::Request;
use crate::converse::Usage;
use crate::error::ServiceError;
use crate::simulator::Generation;
use crate::stream::StreamItem;

use super::doc::{Doc, Result};
use super::{COMPLETION_STOPS, Parsed, Variant, chat, default_max, model_name, text_chunks, uuid};

pub(super) fn parse(model: &Model, doc: &Doc) -> Result<Parsed> {
    doc.keys(
        &["messages"],
        &[
            "max_tokens",
            "temperature",
            "top_p",
            "stop",
            "n",
            "frequency_penalty",
            "presence_penalty",
            "tools",
            "response_format",
        ],
    )?;
    let mut req = Request::default();
    chat::parse_messages(doc, &mut req)?;
    chat::parse_tools(doc, &mut req)?;
    let max = doc.u32("max_tokens", 1)?;
    doc.at_most("max_tokens", max, model.max_output_tokens)?;
    req.max_tokens = max.or_else(|| default_max(model, 4096));
    req.temperature = doc.num("temperature", 0.0, 2.0)?;
    doc.num("top_p", 0.0, 1.0)?;
    req.stop_sequences = doc.strings("stop", true)?;
    if let Some(n) = doc.u32("n", 1)? {
        doc.at_most("n", Some(n), 16)?;
        if n > 1 {
            return Err(ServiceError::validation(
                "The local endpoint's simulated model returns one choice: n must be 1.",
            ));
        }
    }
    Ok(Parsed {
        request: req,
        variant: Variant::Default,
    })
}

fn id(req: &Request) -> String {
    format!("chatcmpl-{}", uuid(req.digest(), "jamba"))
}

pub(super) fn response(model: &Model, req: &Request, g: &Generation, u: Usage) -> Value {
    let calls = chat::tool_calls(g, true);
    json!({
        "id": id(req),
        "choices": [{
            "index": 0,
            "message": {
                "role": "assistant",
                "content": g.text(),
                "tool_calls": if calls.is_empty() { Value::Null } else { json!(calls) },
            },
            "logprobs": null,
            "finish_reason": COMPLETION_STOPS.of(&g.stop),
        }],
        "usage": chat::usage(&u),
        "meta": {"requestDurationMillis": 0},
        "model": model_name(model),
    })
}

/// A role chunk, content deltas, tool-call deltas, then the finish reason and usage.
pub(super) fn chunks(req: &Request, g: &Generation, u: Usage) -> Vec<StreamItem> {
    let id = id(req);
    let chunk = |delta: Value, finish: Value| json!({"id": id, "choices": [{"index": 0, "delta": delta, "logprobs": null, "finish_reason": finish}]});
    let mut items = vec![StreamItem::chunk(
        chunk(json!({"role": "assistant"}), Value::Null),
        0,
    )];
    items.extend(text_chunks(&g.text(), |piece, _, _| {
        chunk(json!({"content": piece}), Value::Null)
    }));
    let calls = chat::tool_calls(g, true);
    if !calls.is_empty() {
        let indexed: Vec<Value> = calls
            .into_iter()
            .enumerate()
            .map(|(i, mut c)| {
                c["index"] = json!(i);
                c
            })
            .collect();
        items.push(StreamItem::chunk(
            chunk(json!({"tool_calls": indexed}), Value::Null),
            chat::tool_tokens(g),
        ));
    }
    let mut last = chunk(json!({}), json!(COMPLETION_STOPS.of(&g.stop)));
    last["usage"] = chat::usage(&u);
    items.push(StreamItem::chunk(last, 0));
    items
}

#[cfg(test)]
mod tests {
    use bedrock_catalog::Family;
    use serde_json::{Value, json};

    use crate::tokens;

    use super::super::testing::{model, parse_err, run, text_of};

    fn jamba() -> bedrock_catalog::Model {
        model("ai21.jamba-1-5-large-v1:0", Family::Jamba, 4096)
    }

    fn body(extra: Value) -> String {
        let mut b = json!({
            "messages": [{"role": "system", "content": "You are a poet."},
                         {"role": "user", "content": "Write a short poem about the sea."}],
            "max_tokens": 300, "temperature": 0.7, "top_p": 0.9, "n": 1,
        });
        for (k, v) in extra.as_object().unwrap() {
            b[k] = v.clone();
        }
        b.to_string()
    }

    #[test]
    fn renders_response_and_stream() {
        let m = jamba();
        let r = run(&m, &body(json!({})));
        assert_eq!(
            r.parsed.request.system,
            vec![Some("You are a poet.".into())]
        );
        let res = &r.response;
        assert!(res["id"].as_str().unwrap().starts_with("chatcmpl-"));
        assert_eq!(res["model"], "jamba-1-5-large");
        let choice = &res["choices"][0];
        assert_eq!(choice["finish_reason"], "stop");
        assert_eq!(choice["message"]["role"], "assistant");
        assert!(choice["message"]["tool_calls"].is_null());
        let text = choice["message"]["content"].as_str().unwrap();
        assert_eq!(text, text_of(&r.generation));
        let n = tokens::count(text);
        assert_eq!(
            res["usage"],
            json!({"prompt_tokens": 29, "completion_tokens": n, "total_tokens": 29 + n})
        );

        let p = r.payloads();
        assert!(p.iter().all(|c| c["id"] == res["id"]));
        assert_eq!(p[0]["choices"][0]["delta"], json!({"role": "assistant"}));
        let streamed: String = p
            .iter()
            .filter_map(|c| c["choices"][0]["delta"]["content"].as_str())
            .collect();
        assert_eq!(streamed, text);
        assert!(
            p[..p.len() - 1]
                .iter()
                .all(|c| c["choices"][0]["finish_reason"].is_null() && c.get("usage").is_none())
        );
        let last = r.last();
        assert_eq!(last["choices"][0]["finish_reason"], "stop");
        assert_eq!(last["usage"], res["usage"]);
    }

    #[test]
    fn limits_tools_and_errors() {
        let m = jamba();
        let r = run(&m, &body(json!({"max_tokens": 4})));
        assert_eq!(r.response["choices"][0]["finish_reason"], "length");
        assert_eq!(r.response["usage"]["completion_tokens"], 4);

        let full = text_of(&run(&m, &body(json!({}))).generation);
        let word = full.split_whitespace().nth(3).unwrap();
        let r = run(&m, &body(json!({"stop": word})));
        assert_eq!(r.parsed.request.stop_sequences, vec![word.to_owned()]);
        assert!(r.generation.text().len() < full.len());

        let tools = json!([{"type": "function", "function": {"name": "get_tide_times", "description": "Tide times for a harbour",
                            "parameters": {"type": "object", "properties": {"harbour": {"type": "string"}}}}}]);
        let r = run(
            &m,
            &body(
                json!({"tools": tools, "messages": [{"role": "user", "content": "When are the tide times in Brest harbour?"}]}),
            ),
        );
        let choice = &r.response["choices"][0];
        assert_eq!(choice["finish_reason"], "tool_calls");
        assert_eq!(choice["message"]["tool_calls"][0]["type"], "function");
        assert_eq!(
            choice["message"]["tool_calls"][0]["function"]["name"],
            "get_tide_times"
        );
        let streamed = r
            .payloads()
            .iter()
            .find_map(|c| c["choices"][0]["delta"]["tool_calls"].as_array().cloned())
            .unwrap();
        assert_eq!(streamed[0]["index"], 0);
        assert_eq!(streamed[0]["id"], choice["message"]["tool_calls"][0]["id"]);

        assert!(
            parse_err(&m, &body(json!({"max_tokens": 5000})))
                .contains("#/max_tokens: 5000 is not less or equal to 4096")
        );
        assert!(parse_err(&m, &body(json!({"n": 2}))).contains("n must be 1"));
        assert!(parse_err(&m, &body(json!({"model": "jamba"}))).contains("extraneous key [model]"));
        assert!(
            parse_err(&m, &json!({"messages": []}).to_string())
                .contains("#/messages: expected minimum item count: 1, found: 0")
        );
    }
}
