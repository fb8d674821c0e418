//! The alternatives of an answer kept from a comparison, in the `alternatives` column:
//! a JSON array of messages shaped as the JSON export writes them (attachments
//! inline), read back through the same decoding as a row.

use std::collections::HashMap;

use serde_json::Value;

use super::converse_json::Blobs;
use super::messages::Row;
use super::{ConversationId, StoredMessage};
use crate::conversation::Blob;

/// The column's text for `alternatives`; `None` (NULL) when there are none.
pub(super) fn to_column(alternatives: &[StoredMessage]) -> Option<String> {
    (!alternatives.is_empty()).then(|| {
        Value::Array(
            alternatives
                .iter()
                .map(|a| super::export::message_json(a, Blobs::Inline))
                .collect(),
        )
        .to_string()
    })
}

/// The alternatives in the column's text. One that no longer reads is left out, with a
/// warning in the log, rather than losing the conversation: it is never sent.
pub(super) fn from_column(
    text: &str,
    conversation: ConversationId,
    blobs: &HashMap<String, Blob>,
) -> Vec<StoredMessage> {
    let list: Vec<Value> = match serde_json::from_str(text) {
        Ok(l) => l,
        Err(e) => {
            tracing::warn!("alternatives of conversation {conversation}: {e}");
            return Vec::new();
        }
    };
    list.iter()
        .enumerate()
        .filter_map(|(i, v)| match row(v, i).decode(conversation, blobs) {
            Ok(m) => Some(m),
            Err(e) => {
                tracing::warn!("alternative {i} of conversation {conversation}: {e}");
                None
            }
        })
        .collect()
}

/// An alternative's JSON as the row it would be.
fn row(v: &Value, i: usize) -> Row {
    let text = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
    let number = |k: &str| v.get(k).and_then(Value::as_i64);
    let usage = |k: &str| {
        v.get("usage")
            .and_then(|u| u.get(k))
            .and_then(Value::as_i64)
    };
    Row {
        seq: u32::try_from(i).unwrap_or(u32::MAX),
        content: v.to_string(),
        model: text("model"),
        state: text("state").unwrap_or_default(),
        stop: text("stopReason"),
        usage: [
            usage("inputTokens"),
            usage("outputTokens"),
            usage("cacheReadInputTokens"),
            usage("cacheWriteInputTokens"),
        ],
        error: text("error"),
        created_ms: number("createdMs").unwrap_or(0),
        updated_ms: number("updatedMs").unwrap_or(0),
        guardrail: v.get("guardrailTrace").map(Value::to_string),
        exchange: None,
        alternatives: None,
    }
}

#[cfg(test)]
#[path = "alternatives_tests.rs"]
mod tests;
