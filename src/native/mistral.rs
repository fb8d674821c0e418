//! Mistral AI: Mistral Large takes the chat completion (`messages`), as AWS documents
//! for Mistral Large 2; the other Mistral models the `<s>[INST] ... [/INST]` prompt
//! completion, answered with `outputs`. Each answer is read by its own shape.

use serde_json::{Value, json};

use crate::catalog::Model;
use crate::conversation::{Inference, Role};

use super::turns::Turn;
use super::{Error, Fields, Reply, chat, merge, read, read_response, settings};

/// The prompt completion's response and chunks alike; it reports no counts (a stream's
/// come in its invocation metrics).
const OUTPUTS: Fields = Fields {
    text: "/outputs/0/text",
    stop: "/outputs/0/stop_reason",
    input: None,
    output: None,
};

/// Whether the model takes the chat completion rather than the prompt.
fn chat_form(model: &Model) -> bool {
    model.id.contains("mistral-large")
}

pub(super) fn body(
    model: &Model,
    system: Option<&str>,
    turns: &[Turn],
    inference: &Inference,
) -> Value {
    if chat_form(model) {
        return chat::body(system, turns, inference);
    }
    let mut b = json!({"prompt": prompt(system, turns)});
    merge(&mut b, settings(inference, &chat::NAMES));
    b
}

/// `<s>[INST] question [/INST] answer</s>[INST] next question [/INST]`. The format has
/// no system role: the system prompt opens the first instruction.
fn prompt(system: Option<&str>, turns: &[Turn]) -> String {
    let mut out = String::from("<s>");
    let mut system = system;
    for (i, t) in turns.iter().enumerate() {
        let text = t.text();
        match t.role {
            Role::User => match system.take() {
                Some(s) => out.push_str(&format!("[INST] {s}\n\n{text} [/INST]")),
                None => out.push_str(&format!("[INST] {text} [/INST]")),
            },
            // A last assistant turn stays open: the model continues it.
            Role::Assistant if i + 1 == turns.len() => out.push_str(&format!(" {text}")),
            Role::Assistant => out.push_str(&format!(" {text}</s>")),
        }
    }
    out
}

pub(super) fn response(v: &Value) -> Result<Reply, Error> {
    if v.get("outputs").is_some() {
        read_response(v, &OUTPUTS)
    } else {
        chat::response(v)
    }
}

pub(super) fn chunk(v: &Value, reply: &mut Reply) -> String {
    if v.get("outputs").is_some() {
        read(v, &OUTPUTS, reply).unwrap_or_default()
    } else {
        chat::chunk(v, reply)
    }
}
