//! Cohere Command R/R+ chat: the last user turn as `message`, the turns before it as
//! `chat_history` (`USER`/`CHATBOT`), the system prompt as `preamble`; the answer's
//! `text` back, streamed as `text-generation` events up to a `stream-end`.

use serde_json::{Value, json};

use crate::conversation::{Inference, Role};

use super::turns::Turn;
use super::{Error, Fields, Names, Reply, merge, read, read_response, settings};

const NAMES: Names = Names {
    max_tokens: "max_tokens",
    temperature: "temperature",
    top_p: "p",
    stop: Some("stop_sequences"),
};

/// Cohere's `p` is at most 0.99.
const MAX_P: f64 = 0.99;

const RESPONSE: Fields = Fields {
    text: "/text",
    stop: "/finish_reason",
    input: Some("/meta/billed_units/input_tokens"),
    output: Some("/meta/billed_units/output_tokens"),
};

/// The `stream-end` event: the stop reason, and the whole response with its counts.
const STREAM_END: Fields = Fields {
    text: "/text",
    stop: "/finish_reason",
    input: Some("/response/meta/billed_units/input_tokens"),
    output: Some("/response/meta/billed_units/output_tokens"),
};

pub(super) fn body(system: Option<&str>, turns: &[Turn], inference: &Inference) -> Value {
    // A conversation that ends with the assistant has no new message to send.
    let (message, history) = match turns.split_last() {
        Some((last, rest)) if last.role == Role::User => (last.text(), rest),
        _ => (String::new(), turns),
    };
    let mut b = json!({"message": message});
    if !history.is_empty() {
        let history: Vec<Value> = history
            .iter()
            .map(|t| {
                let role = match t.role {
                    Role::User => "USER",
                    Role::Assistant => "CHATBOT",
                };
                json!({"role": role, "message": t.text()})
            })
            .collect();
        b["chat_history"] = json!(history);
    }
    if let Some(s) = system {
        b["preamble"] = json!(s);
    }
    let mut config = settings(inference, &NAMES);
    if let Some(p) = config.get_mut("p")
        && p.as_f64().is_some_and(|p| p > MAX_P)
    {
        *p = json!(MAX_P);
    }
    merge(&mut b, config);
    b
}

pub(super) fn response(v: &Value) -> Result<Reply, Error> {
    read_response(v, &RESPONSE)
}

pub(super) fn chunk(v: &Value, reply: &mut Reply) -> String {
    match v.get("event_type").and_then(Value::as_str) {
        Some("text-generation") => read(v, &RESPONSE, reply).unwrap_or_default(),
        Some("stream-end") => {
            // The final event repeats the whole text: it is not new.
            read(v, &STREAM_END, reply);
            String::new()
        }
        _ => String::new(),
    }
}
