//! What went over the wire for one answer: the request body as sent, the HTTP exchange
//! (status, request id, attempts and their causes), the stream's events with their
//! arrival times, and the response's metadata. The Bedrock layer records it, the
//! conversation keeps it with the answer, the history stores it, and the inspector shows
//! it and turns it into code.
//!
//! Attachments' bytes are not kept twice: the request holds a reference to each blob
//! (its SHA-256 and size), which the conversation's own attachments fill back in when
//! the request is turned into a runnable snippet.

use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::Digest;

/// The marker that stands for the bytes of an attachment in a kept request.
pub const BLOB: &str = "$blob";

/// Base64 strings shorter than this are kept as they are: a reference would be longer.
const INLINE_LIMIT: usize = 128;

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Exchange {
    /// `ConverseStream`, `InvokeModel` or `InvokeModelWithResponseStream`.
    pub operation: String,
    pub model_id: String,
    /// The URL the request went to.
    pub url: String,
    pub region: String,
    /// How the request authenticated: "SigV4 (environment)", "API key", ...
    pub auth: String,
    /// The body as sent, attachments' bytes replaced by references.
    pub request: Value,
    /// The final HTTP status.
    pub status: Option<u16>,
    /// `x-amzn-RequestId` of the final attempt.
    pub request_id: Option<String>,
    /// Every attempt the SDK made, the retried ones with their causes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attempts: Vec<Attempt>,
    /// What arrived, in order, with milliseconds since the request began.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<Event>,
    /// The response's metadata, once it came.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response: Option<Response>,
    /// Why the call or the stream failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// A native call's response as it came: the body, or each chunk's JSON.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub chunks: Vec<String>,
}

/// One try of the request.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Attempt {
    /// Milliseconds since the request began.
    pub at_ms: u64,
    pub status: Option<u16>,
    /// What went wrong: the service's error code, or the transport's error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cause: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Event {
    /// Milliseconds since the request began.
    pub at_ms: u64,
    pub kind: EventKind,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "type")]
pub enum EventKind {
    /// The status line and headers of attempt `attempt` (from 1).
    FirstByte {
        status: u16,
        attempt: u32,
    },
    /// The first text, reasoning or tool call of the answer.
    FirstToken,
    /// A content block: what it holds, and how many deltas and characters it took.
    Block {
        index: u32,
        content: String,
        deltas: u32,
        chars: u64,
    },
    MessageStop {
        reason: String,
    },
    Metadata,
    /// A chunk of a native stream: its size.
    Chunk {
        bytes: u64,
    },
    /// The stream broke or the call failed.
    Error {
        message: String,
    },
}

/// The response's metadata.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Response {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_reason: Option<String>,
    /// Which traces came with the metadata (`guardrail`, `promptRouter`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub trace: Vec<String>,
}

impl Exchange {
    /// Milliseconds from the request to the first token, if one came.
    pub fn first_token_ms(&self) -> Option<u64> {
        self.events
            .iter()
            .find(|e| e.kind == EventKind::FirstToken)
            .map(|e| e.at_ms)
    }

    /// How many attempts the SDK retried.
    pub fn retries(&self) -> usize {
        self.attempts.len().saturating_sub(1)
    }
}

/// `body` with every long base64 `bytes` string replaced by a reference to its blob:
/// `{"$blob": SHA-256, "size": bytes}`.
pub fn abbreviate(body: &Value) -> Value {
    match body {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let v = match (k.as_str(), v) {
                        ("bytes", Value::String(s)) if s.len() >= INLINE_LIMIT => {
                            reference(s).unwrap_or_else(|| v.clone())
                        }
                        _ => abbreviate(v),
                    };
                    (k.clone(), v)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(abbreviate).collect()),
        other => other.clone(),
    }
}

fn reference(base64: &str) -> Option<Value> {
    let data = base64::engine::general_purpose::STANDARD
        .decode(base64)
        .ok()?;
    let sha = crate::conversation::hex(&sha2::Sha256::digest(&data));
    let mut map = Map::new();
    map.insert(BLOB.into(), Value::String(sha));
    map.insert("size".into(), Value::from(data.len()));
    Some(Value::Object(map))
}

/// The SHA-256 and size of a blob reference.
pub fn blob_reference(v: &Value) -> Option<(&str, u64)> {
    let map = v.as_object()?;
    Some((map.get(BLOB)?.as_str()?, map.get("size")?.as_u64()?))
}

/// `body` with every blob reference filled in with its bytes, as base64, from `lookup`;
/// the SHA-256s of the blobs `lookup` does not have are returned.
pub fn inflate(body: &Value, lookup: &dyn Fn(&str) -> Option<Vec<u8>>) -> (Value, Vec<String>) {
    let mut missing = Vec::new();
    let v = fill(body, lookup, &mut missing);
    (v, missing)
}

fn fill(v: &Value, lookup: &dyn Fn(&str) -> Option<Vec<u8>>, missing: &mut Vec<String>) -> Value {
    if let Some((sha, _)) = blob_reference(v) {
        return match lookup(sha) {
            Some(data) => Value::String(base64::engine::general_purpose::STANDARD.encode(data)),
            None => {
                missing.push(sha.to_owned());
                v.clone()
            }
        };
    }
    match v {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), fill(v, lookup, missing)))
                .collect(),
        ),
        Value::Array(items) => {
            Value::Array(items.iter().map(|i| fill(i, lookup, missing)).collect())
        }
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn long_bytes_become_references_and_come_back() {
        let data: Vec<u8> = (0..=255u8).cycle().take(4000).collect();
        let b64 = base64::engine::general_purpose::STANDARD.encode(&data);
        let body = json!({"messages": [{"role": "user", "content": [
            {"image": {"format": "png", "source": {"bytes": b64}}},
            {"text": "what is this?"},
            {"document": {"name": "n", "format": "txt", "source": {"bytes": "c2hvcnQ="}}}
        ]}]});
        let short = abbreviate(&body);
        let r = &short["messages"][0]["content"][0]["image"]["source"]["bytes"];
        let (sha, size) = blob_reference(r).expect("a reference");
        assert_eq!(size, 4000);
        assert_eq!(sha.len(), 64);
        // Short strings stay, and everything else is untouched.
        assert_eq!(
            short["messages"][0]["content"][2]["document"]["source"]["bytes"],
            "c2hvcnQ="
        );
        assert_eq!(short["messages"][0]["content"][1]["text"], "what is this?");

        let want = sha.to_owned();
        let (back, missing) = inflate(&short, &|s| (s == want).then(|| data.clone()));
        assert!(missing.is_empty());
        assert_eq!(back, body);

        let (_, missing) = inflate(&short, &|_| None);
        assert_eq!(missing, vec![want]);
    }

    #[test]
    fn bytes_that_are_not_base64_stay_as_they_are() {
        let s = "%".repeat(200);
        let body = json!({"source": {"bytes": s}});
        assert_eq!(abbreviate(&body), body);
    }

    #[test]
    fn the_exchange_round_trips_through_json() {
        let x = Exchange {
            operation: "ConverseStream".into(),
            model_id: "m".into(),
            status: Some(200),
            attempts: vec![
                Attempt {
                    at_ms: 0,
                    status: Some(503),
                    cause: Some("ServiceUnavailableException".into()),
                },
                Attempt {
                    at_ms: 90,
                    status: Some(200),
                    cause: None,
                },
            ],
            events: vec![
                Event {
                    at_ms: 120,
                    kind: EventKind::FirstByte {
                        status: 200,
                        attempt: 2,
                    },
                },
                Event {
                    at_ms: 300,
                    kind: EventKind::Block {
                        index: 0,
                        content: "text".into(),
                        deltas: 3,
                        chars: 40,
                    },
                },
            ],
            ..Exchange::default()
        };
        let s = serde_json::to_string(&x).unwrap();
        assert_eq!(serde_json::from_str::<Exchange>(&s).unwrap(), x);
        assert_eq!(x.retries(), 1);
        assert_eq!(x.first_token_ms(), None);
    }
}
