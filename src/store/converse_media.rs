//! Attachments and citations in the Converse JSON shape: `image`, `document` and
//! `video` blocks with their bytes inline (base64, as a request carries them and a
//! JSON export writes them) or as a reference to the history's blob table, and
//! `citationsContent` blocks.

use base64::Engine;
use serde_json::{Map, Value, json};

use crate::conversation::{Blob, Citation, Kind, Media, Place, Source};

/// How a block's bytes are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Blobs {
    /// `"source": {"bytes": "<base64>"}`, as the Converse API takes it.
    Inline,
    /// `"source": {"blob": {"sha256", "size"}}` and the file name beside it: the
    /// history's form (the bytes are in its blob table) and `--no-blobs` exports.
    Reference,
}

const BASE64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

pub(super) fn media_to_converse(m: &Media, blobs: Blobs) -> Value {
    let source = match (&m.source, blobs) {
        (Source::Bytes(b), Blobs::Inline) => json!({ "bytes": BASE64.encode(&b.data) }),
        (Source::Bytes(b), Blobs::Reference) => {
            json!({ "blob": { "sha256": b.sha256, "size": b.data.len() } })
        }
        (Source::S3 { uri, bucket_owner }, _) => {
            let mut loc = Map::new();
            loc.insert("uri".into(), Value::String(uri.clone()));
            if let Some(owner) = bucket_owner {
                loc.insert("bucketOwner".into(), Value::String(owner.clone()));
            }
            json!({ "s3Location": loc })
        }
    };
    let mut body = Map::new();
    body.insert("format".into(), Value::String(m.format.clone()));
    if m.kind == Kind::Document {
        body.insert("name".into(), Value::String(m.name.clone()));
    }
    body.insert("source".into(), source);
    if m.citations {
        body.insert("citations".into(), json!({ "enabled": true }));
    }
    if blobs == Blobs::Reference {
        body.insert("file".into(), Value::String(m.file.clone()));
    }
    json!({ m.kind.member(): body })
}

/// The media of an `image`, `document` or `video` block's body; `blob` finds the bytes
/// of a reference.
pub(super) fn media_from_converse(
    kind: Kind,
    body: &Value,
    blob: &dyn Fn(&str) -> Option<Blob>,
) -> Result<Media, String> {
    let member = kind.member();
    let body = body
        .as_object()
        .ok_or_else(|| format!("`{member}` is not an object"))?;
    let text = |k: &str| body.get(k).and_then(Value::as_str).map(str::to_owned);
    let format = text("format").ok_or_else(|| format!("{member} without format"))?;
    let name = match kind {
        Kind::Document => text("name").ok_or("document without name")?,
        _ => String::new(),
    };
    let src = body
        .get("source")
        .and_then(Value::as_object)
        .ok_or_else(|| format!("{member} without source"))?;
    let source = if let Some(b64) = src.get("bytes").and_then(Value::as_str) {
        let data = BASE64
            .decode(b64)
            .map_err(|e| format!("{member} bytes are not base64: {e}"))?;
        Source::Bytes(Blob::new(data))
    } else if let Some(r) = src.get("blob") {
        let sha = r
            .get("sha256")
            .and_then(Value::as_str)
            .ok_or_else(|| format!("{member} blob without sha256"))?;
        Source::Bytes(blob(sha).ok_or_else(|| format!("{member} blob {sha} is missing"))?)
    } else if let Some(loc) = src.get("s3Location") {
        Source::S3 {
            uri: loc
                .get("uri")
                .and_then(Value::as_str)
                .ok_or_else(|| format!("{member} s3Location without uri"))?
                .to_owned(),
            bucket_owner: loc
                .get("bucketOwner")
                .and_then(Value::as_str)
                .map(str::to_owned),
        }
    } else {
        return Err(format!(
            "{member} source is neither bytes, blob nor s3Location"
        ));
    };
    let file = text("file").unwrap_or_else(|| match &source {
        Source::S3 { uri, .. } => uri.rsplit('/').next().unwrap_or(uri).to_owned(),
        Source::Bytes(_) if kind == Kind::Document => format!("{name}.{format}"),
        Source::Bytes(_) => format!("{member}.{format}"),
    });
    let citations = body
        .get("citations")
        .and_then(|c| c.get("enabled"))
        .and_then(Value::as_bool)
        .unwrap_or(false);
    Ok(Media {
        kind,
        format,
        file,
        name,
        source,
        citations,
    })
}

pub(super) fn cited_to_converse(text: &str, citations: &[Citation]) -> Value {
    let citations: Vec<Value> = citations
        .iter()
        .map(|c| {
            let mut v = json!({
                "title": c.title,
                "sourceContent": [{ "text": c.quote }],
            });
            if let Some(place) = c.place {
                v["location"] = json!({ place.member(): {
                    "documentIndex": c.document, "start": c.start, "end": c.end,
                }});
            }
            v
        })
        .collect();
    json!({ "citationsContent": {
        "content": [{ "text": text }],
        "citations": citations,
    }})
}

/// The text and citations of a `citationsContent` block's body.
pub(super) fn cited_from_converse(body: &Value) -> Result<(String, Vec<Citation>), String> {
    let text = body
        .get("content")
        .and_then(Value::as_array)
        .ok_or("citationsContent without content")?
        .iter()
        .filter_map(|c| c.get("text").and_then(Value::as_str))
        .collect::<String>();
    let citations = body
        .get("citations")
        .and_then(Value::as_array)
        .map(|list| list.iter().map(citation).collect())
        .unwrap_or_default();
    Ok((text, citations))
}

/// A `Citation` of the Converse shape, as the service sends it in a response or a
/// stream's `citation` delta; members it lacks are left empty.
pub fn citation(v: &Value) -> Citation {
    let quote = v
        .get("sourceContent")
        .and_then(Value::as_array)
        .map(|parts| {
            parts
                .iter()
                .filter_map(|p| p.get("text").and_then(Value::as_str))
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_default();
    let located = v
        .get("location")
        .and_then(Value::as_object)
        .and_then(|loc| {
            loc.iter()
                .find_map(|(k, v)| Some((Place::from_member(k)?, v)))
        });
    let n = |v: &Value, k: &str| {
        v.get(k)
            .and_then(Value::as_u64)
            .and_then(|n| u32::try_from(n).ok())
            .unwrap_or(0)
    };
    Citation {
        title: v
            .get("title")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        quote,
        place: located.map(|(p, _)| p),
        document: located.map_or(0, |(_, l)| n(l, "documentIndex")),
        start: located.map_or(0, |(_, l)| n(l, "start")),
        end: located.map_or(0, |(_, l)| n(l, "end")),
    }
}
