//! Conversion between the app's `Message` and the Bedrock Converse API's JSON message
//! shape, the format messages are stored and exported in.
//!
//! The stored form is exactly what Converse accepts and returns
//! (`{"role":"user","content":[{"text":"..."}, ...]}`), so an export can be replayed
//! against the API and the history stays readable by other tools. The producing model,
//! usage and stop reason are not part of the Converse message; the store keeps them in
//! their own columns.

use serde_json::{Map, Value, json};

use crate::conversation::{Blob, Block, Kind, Message, Role, StopReason};
use crate::tools::Content;

pub use super::converse_media::{Blobs, citation};
use super::converse_media::{
    cited_from_converse, cited_to_converse, media_from_converse, media_to_converse,
};

/// Why a stored Converse message could not be turned back into a `Message`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConverseError {
    #[error("message is not a JSON object")]
    NotAnObject,
    #[error("unknown role {0:?}")]
    Role(String),
    #[error("`content` is missing or not an array")]
    Content,
    #[error("content block {index} is malformed: {reason}")]
    Block { index: usize, reason: String },
    /// A block type this version does not know. Refused rather than dropped so that
    /// loading never silently loses part of a message.
    #[error("content block {index} has unknown type {kind:?}")]
    UnknownBlock { index: usize, kind: String },
}

/// The Converse JSON of a message (role and content; the model is not part of it),
/// attachments with their bytes inline, as a request carries them.
pub fn to_converse(message: &Message) -> Value {
    to_converse_with(message, Blobs::Inline)
}

/// The Converse JSON of a message, attachments written as `blobs` says.
pub fn to_converse_with(message: &Message, blobs: Blobs) -> Value {
    json!({
        "role": role_str(message.role),
        "content": message.blocks.iter().map(|b| block_to_converse(b, blobs)).collect::<Vec<_>>(),
    })
}

/// The message of a Converse JSON message; `model` is `None` (it is stored apart).
/// Attachments must carry their bytes inline.
pub fn from_converse(value: &Value) -> Result<Message, ConverseError> {
    from_converse_with(value, &|_| None)
}

/// The message of a Converse JSON message whose attachments may be references to
/// blobs, which `blob` finds by digest.
pub fn from_converse_with(
    value: &Value,
    blob: &dyn Fn(&str) -> Option<Blob>,
) -> Result<Message, ConverseError> {
    let obj = value.as_object().ok_or(ConverseError::NotAnObject)?;
    let role = match obj.get("role").and_then(Value::as_str) {
        Some("user") => Role::User,
        Some("assistant") => Role::Assistant,
        other => return Err(ConverseError::Role(other.unwrap_or_default().to_owned())),
    };
    let content = obj
        .get("content")
        .and_then(Value::as_array)
        .ok_or(ConverseError::Content)?;
    let blocks = content
        .iter()
        .enumerate()
        .map(|(index, b)| block_from_converse(index, b, blob))
        .collect::<Result<_, _>>()?;
    Ok(Message {
        role,
        blocks,
        model: None,
    })
}

pub fn role_str(role: Role) -> &'static str {
    match role {
        Role::User => "user",
        Role::Assistant => "assistant",
    }
}

/// The Converse API's name of a stop reason (`end_turn`, `max_tokens`, ...).
pub fn stop_reason_str(stop: &StopReason) -> &str {
    match stop {
        StopReason::EndTurn => "end_turn",
        StopReason::MaxTokens => "max_tokens",
        StopReason::StopSequence => "stop_sequence",
        StopReason::ToolUse => "tool_use",
        StopReason::GuardrailIntervened => "guardrail_intervened",
        StopReason::ContentFiltered => "content_filtered",
        StopReason::Other(s) => s,
    }
}

/// The stop reason of a Converse name; names this version does not know are kept as
/// `Other` so that a newer API value survives a round trip.
pub fn parse_stop_reason(s: &str) -> StopReason {
    match s {
        "end_turn" => StopReason::EndTurn,
        "max_tokens" => StopReason::MaxTokens,
        "stop_sequence" => StopReason::StopSequence,
        "tool_use" => StopReason::ToolUse,
        "guardrail_intervened" => StopReason::GuardrailIntervened,
        "content_filtered" => StopReason::ContentFiltered,
        other => StopReason::Other(other.to_owned()),
    }
}

fn block_to_converse(block: &Block, blobs: Blobs) -> Value {
    match block {
        Block::Text(text) => json!({ "text": text }),
        Block::Cited { text, citations } => cited_to_converse(text, citations),
        Block::Media(m) => media_to_converse(m, blobs),
        Block::Reasoning { text, signature } => {
            let mut rt = Map::new();
            rt.insert("text".into(), Value::String(text.clone()));
            if let Some(sig) = signature {
                rt.insert("signature".into(), Value::String(sig.clone()));
            }
            json!({ "reasoningContent": { "reasoningText": rt } })
        }
        Block::ToolUse { id, name, input } => json!({
            "toolUse": { "toolUseId": id, "name": name, "input": input }
        }),
        Block::ToolResult { id, content, error } => {
            let mut tr = Map::new();
            tr.insert("toolUseId".into(), Value::String(id.clone()));
            let parts: Vec<Value> = content
                .iter()
                .map(|c| match c {
                    Content::Text(t) => json!({ "text": t }),
                    Content::Json(v) => json!({ "json": v }),
                })
                .collect();
            tr.insert("content".into(), Value::Array(parts));
            // Converse's default status is success; only errors are marked, as the
            // Bedrock layer does when it sends the block.
            if *error {
                tr.insert("status".into(), Value::String("error".into()));
            }
            json!({ "toolResult": tr })
        }
    }
}

fn block_from_converse(
    index: usize,
    value: &Value,
    blob: &dyn Fn(&str) -> Option<Blob>,
) -> Result<Block, ConverseError> {
    let bad = |reason: &str| ConverseError::Block {
        index,
        reason: reason.to_owned(),
    };
    let obj = value.as_object().ok_or_else(|| bad("not an object"))?;
    // A content block is a union: exactly one member.
    let mut members = obj.iter();
    let (kind, body) = match (members.next(), members.next()) {
        (Some(member), None) => member,
        _ => return Err(bad("a content block has exactly one member")),
    };
    match kind.as_str() {
        "text" => {
            let text = body.as_str().ok_or_else(|| bad("`text` is not a string"))?;
            Ok(Block::Text(text.to_owned()))
        }
        "reasoningContent" => {
            let rt = body
                .get("reasoningText")
                .and_then(Value::as_object)
                .ok_or_else(|| bad("`reasoningContent` has no `reasoningText`"))?;
            let text = string_field(rt, "text").ok_or_else(|| bad("reasoning without text"))?;
            let signature = match rt.get("signature") {
                None | Some(Value::Null) => None,
                Some(Value::String(s)) => Some(s.clone()),
                Some(_) => return Err(bad("reasoning signature is not a string")),
            };
            Ok(Block::Reasoning { text, signature })
        }
        "toolUse" => {
            let tu = body
                .as_object()
                .ok_or_else(|| bad("`toolUse` is not an object"))?;
            Ok(Block::ToolUse {
                id: string_field(tu, "toolUseId").ok_or_else(|| bad("toolUse without id"))?,
                name: string_field(tu, "name").ok_or_else(|| bad("toolUse without name"))?,
                input: tu.get("input").cloned().unwrap_or(Value::Null),
            })
        }
        "toolResult" => {
            let tr = body
                .as_object()
                .ok_or_else(|| bad("`toolResult` is not an object"))?;
            let id = string_field(tr, "toolUseId").ok_or_else(|| bad("toolResult without id"))?;
            let items = tr
                .get("content")
                .and_then(Value::as_array)
                .ok_or_else(|| bad("toolResult content is not an array"))?;
            let mut content = Vec::new();
            for item in items {
                if let Some(t) = item.get("text").and_then(Value::as_str) {
                    content.push(Content::Text(t.to_owned()));
                } else if let Some(j) = item.get("json") {
                    content.push(Content::Json(j.clone()));
                } else {
                    return Err(bad("toolResult content item is neither text nor json"));
                }
            }
            let error = match tr.get("status").and_then(Value::as_str) {
                None | Some("success") => false,
                Some("error") => true,
                Some(_) => return Err(bad("toolResult status is neither success nor error")),
            };
            Ok(Block::ToolResult { id, content, error })
        }
        "image" | "document" | "video" => {
            let kind = match kind.as_str() {
                "image" => Kind::Image,
                "document" => Kind::Document,
                _ => Kind::Video,
            };
            media_from_converse(kind, body, blob)
                .map(Block::Media)
                .map_err(|e| bad(&e))
        }
        "citationsContent" => {
            let (text, citations) = cited_from_converse(body).map_err(|e| bad(&e))?;
            Ok(Block::Cited { text, citations })
        }
        other => Err(ConverseError::UnknownBlock {
            index,
            kind: other.to_owned(),
        }),
    }
}

fn string_field(obj: &Map<String, Value>, key: &str) -> Option<String> {
    obj.get(key).and_then(Value::as_str).map(str::to_owned)
}

/// The searchable text of a message: every human-readable part, one per line, so the
/// full-text index finds words in answers, reasoning, tool calls and tool results.
pub fn search_text(message: &Message) -> String {
    let mut out = String::new();
    for block in &message.blocks {
        if !out.is_empty() {
            out.push('\n');
        }
        match block {
            Block::Text(t) | Block::Cited { text: t, .. } => out.push_str(t),
            Block::Media(m) => out.push_str(&m.file),
            Block::Reasoning { text, .. } => out.push_str(text),
            Block::ToolUse { name, input, .. } => {
                out.push_str(name);
                out.push(' ');
                out.push_str(&input.to_string());
            }
            Block::ToolResult { content, .. } => {
                out.push_str(&content.iter().map(Content::text).collect::<String>())
            }
        }
    }
    out
}

/// One of each block kind, with the edge cases (empty text, no signature, error
/// result), for round-trip tests here and in the store.
#[cfg(test)]
pub(crate) fn every_block() -> Vec<Block> {
    vec![
        Block::Text("Hello \"world\" — ünïcode 🦀\nline two".into()),
        Block::Text(String::new()),
        Block::Reasoning {
            text: "Let me think.".into(),
            signature: Some("sig-abc==".into()),
        },
        Block::Reasoning {
            text: "Unsigned thought".into(),
            signature: None,
        },
        Block::ToolUse {
            id: "tooluse_1".into(),
            name: "get_weather".into(),
            input: json!({"city": "Paris", "days": [1, 2], "nested": {"x": null}}),
        },
        Block::tool_text("tooluse_1", "sunny, 21°C", false),
        Block::tool_text("tooluse_2", "city not found", true),
        Block::ToolResult {
            id: "tooluse_3".into(),
            content: vec![
                Content::Json(json!({"temp": 21})),
                Content::Text("!".into()),
            ],
            error: false,
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn every_block_type_round_trips() {
        for role in [Role::User, Role::Assistant] {
            let m = Message {
                role,
                blocks: every_block(),
                model: None,
            };
            assert_eq!(from_converse(&to_converse(&m)).unwrap(), m);
        }
    }

    #[test]
    fn shape_is_the_converse_shape() {
        let m = Message {
            role: Role::Assistant,
            blocks: every_block(),
            model: Some("not-in-the-json".into()),
        };
        let v = to_converse(&m);
        assert_eq!(v["role"], "assistant");
        assert!(v.get("model").is_none(), "the model is stored apart");
        let c = &v["content"];
        assert_eq!(
            c[0],
            json!({"text": "Hello \"world\" — ünïcode 🦀\nline two"})
        );
        assert_eq!(
            c[2],
            json!({"reasoningContent": {"reasoningText": {"text": "Let me think.", "signature": "sig-abc=="}}})
        );
        assert_eq!(
            c[3],
            json!({"reasoningContent": {"reasoningText": {"text": "Unsigned thought"}}})
        );
        assert_eq!(c[4]["toolUse"]["toolUseId"], "tooluse_1");
        assert_eq!(c[4]["toolUse"]["input"]["city"], "Paris");
        assert_eq!(
            c[5],
            json!({"toolResult": {"toolUseId": "tooluse_1", "content": [{"text": "sunny, 21°C"}]}})
        );
        assert_eq!(c[6]["toolResult"]["status"], "error");
    }

    #[test]
    fn reads_what_other_converse_clients_write() {
        let v = json!({"role": "user", "content": [
            {"toolResult": {"toolUseId": "t", "content": [{"json": {"a": 1}}, {"text": "!"}], "status": "success"}}
        ]});
        let m = from_converse(&v).unwrap();
        assert_eq!(
            m.blocks,
            vec![Block::ToolResult {
                id: "t".into(),
                content: vec![Content::Json(json!({"a": 1})), Content::Text("!".into())],
                error: false
            }]
        );
    }

    #[test]
    fn malformed_and_unknown_blocks_are_errors() {
        let unknown = json!({"role": "user", "content": [{"text": "a"}, {"audio": {}}]});
        assert_eq!(
            from_converse(&unknown),
            Err(ConverseError::UnknownBlock {
                index: 1,
                kind: "audio".into()
            })
        );
        assert_eq!(
            from_converse(&json!({"role": "system", "content": []})),
            Err(ConverseError::Role("system".into()))
        );
        assert_eq!(
            from_converse(&json!({"role": "user"})),
            Err(ConverseError::Content)
        );
        assert_eq!(from_converse(&json!([])), Err(ConverseError::NotAnObject));
        let two = json!({"role": "user", "content": [{"text": "a", "toolUse": {}}]});
        assert!(matches!(
            from_converse(&two),
            Err(ConverseError::Block { index: 0, .. })
        ));
        let bad_status = json!({"role": "user", "content": [
            {"toolResult": {"toolUseId": "t", "content": [], "status": "maybe"}}
        ]});
        assert!(matches!(
            from_converse(&bad_status),
            Err(ConverseError::Block { .. })
        ));
    }

    #[test]
    fn stop_reasons_round_trip_by_api_name() {
        for s in [
            StopReason::EndTurn,
            StopReason::MaxTokens,
            StopReason::StopSequence,
            StopReason::ToolUse,
            StopReason::GuardrailIntervened,
            StopReason::ContentFiltered,
            StopReason::Other("model_context_window_exceeded".into()),
        ] {
            assert_eq!(parse_stop_reason(stop_reason_str(&s)), s);
        }
        assert_eq!(stop_reason_str(&StopReason::MaxTokens), "max_tokens");
    }

    #[test]
    fn search_text_covers_every_readable_part() {
        let m = Message {
            role: Role::Assistant,
            blocks: every_block(),
            model: None,
        };
        let t = search_text(&m);
        for needle in [
            "ünïcode",
            "Let me think",
            "Unsigned",
            "get_weather",
            "Paris",
            "sunny",
            "city not found",
        ] {
            assert!(t.contains(needle), "{needle} missing from {t:?}");
        }
        assert!(!t.contains("sig-abc"), "signatures are not text");
    }
}
