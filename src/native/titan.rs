//! Amazon Titan Text: the conversation as a "User: ... / Bot: ..." transcript in
//! `inputText` with a `textGenerationConfig`; `results` back, `outputText` chunks.

use serde_json::{Value, json};

use crate::conversation::{Inference, Role};

use super::turns::Turn;
use super::{Error, Fields, Names, Reply, read, read_response, settings};

const NAMES: Names = Names {
    max_tokens: "maxTokenCount",
    temperature: "temperature",
    top_p: "topP",
    stop: Some("stopSequences"),
};

const RESPONSE: Fields = Fields {
    text: "/results/0/outputText",
    stop: "/results/0/completionReason",
    input: Some("/inputTextTokenCount"),
    output: Some("/results/0/tokenCount"),
};

/// The first chunk counts the input, the last the output and why it stopped.
const CHUNK: Fields = Fields {
    text: "/outputText",
    stop: "/completionReason",
    input: Some("/inputTextTokenCount"),
    output: Some("/totalOutputTextTokenCount"),
};

/// The transcript: the system prompt as its preamble, a line per turn, and an open
/// `Bot:` line for the answer (or the last assistant turn left open to continue).
pub(super) fn body(system: Option<&str>, turns: &[Turn], inference: &Inference) -> Value {
    let mut text = String::new();
    if let Some(s) = system {
        text.push_str(s);
        text.push_str("\n\n");
    }
    for t in turns {
        let name = match t.role {
            Role::User => "User",
            Role::Assistant => "Bot",
        };
        text.push_str(&format!("{name}: {}\n", t.text()));
    }
    match turns.last() {
        Some(t) if t.role == Role::Assistant => {
            text.pop();
        }
        _ => text.push_str("Bot:"),
    }
    let mut b = json!({"inputText": text});
    let config = settings(inference, &NAMES);
    if !config.is_empty() {
        b["textGenerationConfig"] = Value::Object(config);
    }
    b
}

pub(super) fn response(v: &Value) -> Result<Reply, Error> {
    read_response(v, &RESPONSE)
}

pub(super) fn chunk(v: &Value, reply: &mut Reply) -> String {
    read(v, &CHUNK, reply).unwrap_or_default()
}
