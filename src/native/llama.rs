//! Meta Llama: the conversation in the Llama 3 chat template (Llama 4's for Llama 4
//! models) as `prompt`, with `max_gen_len`, `temperature` and `top_p` (Llama has no stop
//! sequences); `generation` back, in chunks with running counts.

use serde_json::{Value, json};

use crate::catalog::Model;
use crate::conversation::{Inference, Role};

use super::turns::Turn;
use super::{Error, Fields, Names, Reply, merge, read, read_response, role_name, settings};

const NAMES: Names = Names {
    max_tokens: "max_gen_len",
    temperature: "temperature",
    top_p: "top_p",
    stop: None,
};

/// A chat template's header and end-of-turn tokens.
struct Template {
    start: &'static str,
    end: &'static str,
    eot: &'static str,
}

const LLAMA3: Template = Template {
    start: "<|start_header_id|>",
    end: "<|end_header_id|>",
    eot: "<|eot_id|>",
};

const LLAMA4: Template = Template {
    start: "<|header_start|>",
    end: "<|header_end|>",
    eot: "<|eot|>",
};

pub(super) fn body(
    model: &Model,
    system: Option<&str>,
    turns: &[Turn],
    inference: &Inference,
) -> Value {
    let t = if model.id.contains("llama4") {
        &LLAMA4
    } else {
        &LLAMA3
    };
    let header = |role: &str| format!("{}{role}{}\n\n", t.start, t.end);
    let mut prompt = String::from("<|begin_of_text|>");
    if let Some(s) = system {
        prompt.push_str(&format!("{}{s}{}", header("system"), t.eot));
    }
    for turn in turns {
        prompt.push_str(&format!(
            "{}{}{}",
            header(role_name(turn)),
            turn.text(),
            t.eot
        ));
    }
    match turns.last() {
        // A last assistant turn stays open: the model continues it.
        Some(last) if last.role == Role::Assistant => {
            prompt.truncate(prompt.len() - t.eot.len());
        }
        _ => prompt.push_str(&header("assistant")),
    }
    let mut b = json!({"prompt": prompt});
    merge(&mut b, settings(inference, &NAMES));
    b
}

/// A response and each chunk alike: chunks count the prompt in the first and the
/// generation as a running total, and the last has the stop reason.
const FIELDS: Fields = Fields {
    text: "/generation",
    stop: "/stop_reason",
    input: Some("/prompt_token_count"),
    output: Some("/generation_token_count"),
};

pub(super) fn response(v: &Value) -> Result<Reply, Error> {
    read_response(v, &FIELDS)
}

pub(super) fn chunk(v: &Value, reply: &mut Reply) -> String {
    read(v, &FIELDS, reply).unwrap_or_default()
}
