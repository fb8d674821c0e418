//! What the request log tells of a request's attachments: per message, the kind,
//! format, source and size of each image, video and document (dimensions, names and
//! citations where they apply), never their content. Read from the raw body, so a
//! request the endpoint refuses is still described as far as it can be read.

use base64::Engine;
use serde::Serialize;
use serde_json::Value;

/// One attachment as the log shows it.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub(crate) struct MediaEntry {
    pub kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
    /// `bytes`, `s3`, `text` or `content`; what the block set when it is none of those.
    pub source: String,
    /// Bytes of an inline attachment (or of a document's text).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub width: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub height: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub citations: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uri: Option<String>,
}

/// The attachments of each message of a Converse body (or of CountTokens' `converse`
/// input), in order; `None` when no message has any or the body is not readable.
pub(crate) fn of_body(body: &[u8]) -> Option<Vec<Vec<MediaEntry>>> {
    // Every attachment has a `source`: a body without one is not parsed a second time.
    if !body.windows(8).any(|w| w == b"\"source\"") {
        return None;
    }
    let value: Value = serde_json::from_slice(body).ok()?;
    let messages = value
        .get("messages")
        .or_else(|| value.pointer("/input/converse/messages"))?
        .as_array()?;
    let media: Vec<Vec<MediaEntry>> = messages
        .iter()
        .map(|m| {
            m.get("content")
                .and_then(Value::as_array)
                .map(|blocks| blocks.iter().filter_map(entry).collect())
                .unwrap_or_default()
        })
        .collect();
    media.iter().any(|m| !m.is_empty()).then_some(media)
}

fn entry(block: &Value) -> Option<MediaEntry> {
    let (kind, o) = ["image", "video", "document"]
        .into_iter()
        .find_map(|k| block.get(k)?.as_object().map(|m| (k, m)))?;
    let text = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_owned);
    let source = o.get("source").and_then(Value::as_object);
    // The member the source sets; a source setting none (or more) is told as it is.
    let set = source.and_then(|s| s.iter().find(|(_, v)| !v.is_null()));
    let mut e = MediaEntry {
        kind,
        format: text(o.get("format")),
        source: match set {
            Some((k, _)) if k == "s3Location" => "s3".to_owned(),
            Some((k, _)) => k.clone(),
            None => "none".to_owned(),
        },
        ..MediaEntry::default()
    };
    match set {
        Some((k, Value::String(b64))) if k == "bytes" => {
            // Decoded for the size and an image's header; a document's text is not
            // extracted here, only when the request is run.
            if let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(b64) {
                e.size = Some(bytes.len());
                if kind == "image"
                    && let Ok(size) = imagesize::blob_size(&bytes)
                {
                    e.width = u32::try_from(size.width).ok();
                    e.height = u32::try_from(size.height).ok();
                }
            }
        }
        Some((k, Value::String(t))) if k == "text" => e.size = Some(t.len()),
        Some((k, Value::Array(chunks))) if k == "content" => {
            e.size = Some(
                chunks
                    .iter()
                    .filter_map(|c| c.get("text")?.as_str())
                    .map(str::len)
                    .sum(),
            );
        }
        Some((k, loc)) if k == "s3Location" => e.uri = text(loc.get("uri")),
        _ => {}
    }
    if kind == "document" {
        e.name = text(o.get("name"));
        e.citations =
            Some(o.get("citations").and_then(|c| c.get("enabled")) == Some(&Value::Bool(true)));
    }
    Some(e)
}
