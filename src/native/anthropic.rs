//! Anthropic Claude's Messages API on Bedrock (`anthropic_version: bedrock-2023-05-31`):
//! content blocks with base64 images, `content` blocks back, and the `message_start` ...
//! `message_stop` stream.

use base64::Engine;
use serde_json::{Value, json};

use crate::catalog::Model;

use super::turns::{Part, Turn};
use super::{
    Error, Names, Reply, add_usage, merge, role_name, set_stop, settings, str_at, u32_at, usage_of,
};

const VERSION: &str = "bedrock-2023-05-31";

/// The output limit when none is set: the API requires one, and a long answer costs.
const DEFAULT_MAX_TOKENS: u32 = 4096;

const NAMES: Names = Names {
    max_tokens: "max_tokens",
    temperature: "temperature",
    top_p: "top_p",
    stop: Some("stop_sequences"),
};

pub(super) fn body(
    model: &Model,
    system: Option<&str>,
    turns: &[Turn],
    inference: &crate::conversation::Inference,
) -> Value {
    let max = match model.max_output_tokens {
        0 => DEFAULT_MAX_TOKENS,
        n => n.min(DEFAULT_MAX_TOKENS),
    };
    let messages: Vec<Value> = turns
        .iter()
        .map(|t| json!({"role": role_name(t), "content": t.parts.iter().map(block).collect::<Vec<_>>()}))
        .collect();
    let mut b = json!({"anthropic_version": VERSION, "max_tokens": max, "messages": messages});
    if let Some(s) = system {
        b["system"] = json!(s);
    }
    merge(&mut b, settings(inference, &NAMES));
    b
}

fn block(part: &Part) -> Value {
    match part {
        Part::Text(t) => json!({"type": "text", "text": t}),
        Part::Image { format, data } => json!({"type": "image", "source": {
            "type": "base64",
            "media_type": format!("image/{format}"),
            "data": base64::engine::general_purpose::STANDARD.encode(data),
        }}),
    }
}

pub(super) fn response(v: &Value) -> Result<Reply, Error> {
    let content = v
        .get("content")
        .and_then(Value::as_array)
        .ok_or_else(|| Error::Shape("no `content` list".into()))?;
    // Thinking and tool-use blocks are not the answer's text.
    let text = content
        .iter()
        .filter(|b| b["type"] == "text")
        .filter_map(|b| b["text"].as_str())
        .collect();
    Ok(Reply {
        text,
        stop: str_at(v, "/stop_reason").map(str::to_owned),
        usage: usage_of(
            v,
            "/usage/input_tokens",
            "/usage/output_tokens",
            Some((
                "/usage/cache_read_input_tokens",
                "/usage/cache_creation_input_tokens",
            )),
        ),
    })
}

/// `message_start` has the input count, `content_block_delta`s the text, and
/// `message_delta` the stop reason and output count.
pub(super) fn chunk(v: &Value, reply: &mut Reply) -> String {
    match str_at(v, "/type") {
        Some("message_start") => {
            add_usage(reply, u32_at(v, "/message/usage/input_tokens"), None);
            String::new()
        }
        Some("content_block_delta") if str_at(v, "/delta/type") == Some("text_delta") => {
            str_at(v, "/delta/text").unwrap_or_default().to_owned()
        }
        Some("message_delta") => {
            set_stop(reply, str_at(v, "/delta/stop_reason"));
            add_usage(reply, None, u32_at(v, "/usage/output_tokens"));
            String::new()
        }
        _ => String::new(),
    }
}
