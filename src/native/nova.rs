//! Amazon Nova's `messages-v1` schema: Converse-shaped messages and system prompt with
//! an `inferenceConfig`, answered like Converse and streamed as Converse events
//! wrapped in chunks.

use base64::Engine;
use serde_json::{Value, json};

use crate::conversation::Inference;

use super::turns::{Part, Turn};
use super::{Error, Names, Reply, role_name, set_stop, settings, str_at, usage_of};

const NAMES: Names = Names {
    max_tokens: "maxTokens",
    temperature: "temperature",
    top_p: "topP",
    stop: Some("stopSequences"),
};

pub(super) fn body(system: Option<&str>, turns: &[Turn], inference: &Inference) -> Value {
    let messages: Vec<Value> = turns
        .iter()
        .map(|t| json!({"role": role_name(t), "content": t.parts.iter().map(block).collect::<Vec<_>>()}))
        .collect();
    let mut b = json!({"schemaVersion": "messages-v1", "messages": messages});
    if let Some(s) = system {
        b["system"] = json!([{"text": s}]);
    }
    let config = settings(inference, &NAMES);
    if !config.is_empty() {
        b["inferenceConfig"] = Value::Object(config);
    }
    b
}

fn block(part: &Part) -> Value {
    match part {
        Part::Text(t) => json!({"text": t}),
        Part::Image { format, data } => json!({"image": {
            "format": format,
            "source": {"bytes": base64::engine::general_purpose::STANDARD.encode(data)},
        }}),
    }
}

fn usage(v: &Value, at: &str) -> Option<crate::conversation::Usage> {
    usage_of(
        v,
        &format!("{at}/inputTokens"),
        &format!("{at}/outputTokens"),
        Some((
            &format!("{at}/cacheReadInputTokenCount"),
            &format!("{at}/cacheWriteInputTokenCount"),
        )),
    )
}

pub(super) fn response(v: &Value) -> Result<Reply, Error> {
    let content = v
        .pointer("/output/message/content")
        .and_then(Value::as_array)
        .ok_or_else(|| Error::Shape("no `output.message.content` list".into()))?;
    Ok(Reply {
        text: content.iter().filter_map(|b| b["text"].as_str()).collect(),
        stop: str_at(v, "/stopReason").map(str::to_owned),
        usage: usage(v, "/usage"),
    })
}

pub(super) fn chunk(v: &Value, reply: &mut Reply) -> String {
    set_stop(reply, str_at(v, "/messageStop/stopReason"));
    if let Some(u) = usage(v, "/metadata/usage") {
        reply.usage = Some(u);
    }
    str_at(v, "/contentBlockDelta/delta/text")
        .unwrap_or_default()
        .to_owned()
}
