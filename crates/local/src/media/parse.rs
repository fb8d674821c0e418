//! The Converse API's `image`, `video` and `document` blocks, read member by member
//! and refused with the service's constraint messages where a member breaks the
//! service model (an enum value, a source union, a URI pattern, a length).

use base64::Engine;
use serde_json::Value;

use super::super::error::ServiceError;
use super::super::json::{Obj, Result, objects};
use super::super::query::one_of;
use super::{Document, Image, Layout, Source, Video};

pub(crate) const IMAGE_FORMATS: &[&str] = &["png", "jpeg", "gif", "webp"];
pub(crate) const VIDEO_FORMATS: &[&str] = &[
    "mkv", "mov", "mp4", "webm", "flv", "mpeg", "mpg", "wmv", "three_gp",
];
pub(crate) const DOCUMENT_FORMATS: &[&str] = &[
    "pdf", "csv", "doc", "docx", "xls", "xlsx", "html", "txt", "md",
];

/// The error of a union member (a content block, a source) with no supported member
/// set, or more than one.
pub(crate) fn union_error(o: &Obj) -> ServiceError {
    let keys: Vec<&str> = o
        .map
        .iter()
        .filter(|(_, v)| !v.is_null())
        .map(|(k, _)| k.as_str())
        .collect();
    ServiceError::validation(format!(
        "1 validation error detected: Value at '{}' failed to satisfy constraint: Member must have exactly one supported member set (got [{}])",
        o.path("").trim_end_matches('.'),
        keys.join(", ")
    ))
}

/// What a source union holds, before it is read into an attachment.
enum Given<'a> {
    Bytes(Vec<u8>, usize),
    S3(String),
    Text(&'a str),
    Content(Vec<String>),
}

/// Reads `source`, which may set one of `allowed` (`bytes` and `s3Location` always).
fn source<'a>(o: &Obj<'a>, allowed: &[&str]) -> Result<Given<'a>> {
    let src = o.child("source")?.ok_or_else(|| o.missing("source"))?;
    let set: Vec<&str> = src
        .map
        .iter()
        .filter(|(_, v)| !v.is_null())
        .map(|(k, _)| k.as_str())
        .collect();
    let [member] = set.as_slice() else {
        return Err(union_error(&src));
    };
    match *member {
        "bytes" => {
            let encoded = src.req_str("bytes")?;
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(encoded)
                .map_err(|_| {
                    ServiceError::constraint(
                        &src.path("bytes"),
                        "Member must be valid base64-encoded data",
                    )
                })?;
            if bytes.is_empty() {
                return Err(ServiceError::constraint(
                    &src.path("bytes"),
                    "Member must have length greater than or equal to 1",
                ));
            }
            Ok(Given::Bytes(bytes, encoded.len()))
        }
        "s3Location" => {
            let loc = src
                .child("s3Location")?
                .ok_or_else(|| src.missing("s3Location"))?;
            let uri = loc.req_str("uri")?;
            if !crate::jobs::valid_s3_uri(uri) {
                return Err(ServiceError::validation(format!(
                    "1 validation error detected: Value '{uri}' at '{}' failed to satisfy constraint: Member must satisfy regular expression pattern: {}",
                    loc.path("uri"),
                    r"s3://[a-z0-9][\.\-a-z0-9]{1,61}[a-z0-9](/.*)?"
                )));
            }
            if let Some(owner) = loc.str("bucketOwner")?
                && !(owner.len() == 12 && owner.bytes().all(|b| b.is_ascii_digit()))
            {
                return Err(ServiceError::validation(format!(
                    "1 validation error detected: Value '{owner}' at '{}' failed to satisfy constraint: Member must satisfy regular expression pattern: [0-9]{{12}}",
                    loc.path("bucketOwner")
                )));
            }
            Ok(Given::S3(uri.to_owned()))
        }
        "text" if allowed.contains(&"text") => Ok(Given::Text(src.req_str("text")?)),
        "content" if allowed.contains(&"content") => {
            let chunks = objects(src.req_arr("content")?, &src.path("content"))?
                .iter()
                .map(|c| match c.str("text")? {
                    Some(t) => Ok(t.to_owned()),
                    None => Err(union_error(c)),
                })
                .collect::<Result<Vec<_>>>()?;
            Ok(Given::Content(chunks))
        }
        _ => Err(union_error(&src)),
    }
}

fn s3(uri: String) -> Source {
    Source::S3 { uri, lookup: None }
}

pub(crate) fn image(o: &Obj) -> Result<Image> {
    let format = one_of(&o.path("format"), o.req_str("format")?, IMAGE_FORMATS)?;
    Ok(match source(o, &[])? {
        Given::Bytes(bytes, encoded) => Image::new(format, Source::Bytes { encoded }, &bytes),
        Given::S3(uri) => Image::new(format, s3(uri), &[]),
        Given::Text(_) | Given::Content(_) => return Err(o.missing("source")),
    })
}

pub(crate) fn video(o: &Obj) -> Result<Video> {
    let format = one_of(&o.path("format"), o.req_str("format")?, VIDEO_FORMATS)?;
    Ok(match source(o, &[])? {
        Given::Bytes(bytes, encoded) => Video::new(format, Source::Bytes { encoded }, &bytes),
        Given::S3(uri) => Video::new(format, s3(uri), &[]),
        Given::Text(_) | Given::Content(_) => return Err(o.missing("source")),
    })
}

pub(crate) fn document(o: &Obj) -> Result<Document> {
    let format = o
        .str("format")?
        .map(|f| one_of(&o.path("format"), f, DOCUMENT_FORMATS))
        .transpose()?;
    let name = o.req_str("name")?;
    let length = name.chars().count();
    if length == 0 || length > 200 {
        let bound = if length == 0 {
            "greater than or equal to 1"
        } else {
            "less than or equal to 200"
        };
        return Err(ServiceError::constraint(
            &o.path("name"),
            &format!("Member must have length {bound}"),
        ));
    }
    let citations = match o.child("citations")? {
        Some(c) => match c.get("enabled") {
            Some(Value::Bool(b)) => *b,
            Some(_) => {
                return Err(ServiceError::constraint(
                    &c.path("enabled"),
                    "Member must be of type boolean",
                ));
            }
            None => return Err(c.missing("enabled")),
        },
        None => false,
    };
    let context = o.str("context")?.map(str::to_owned);
    let mut doc = match source(o, &["text", "content"])? {
        Given::Bytes(bytes, encoded) => {
            Document::bytes(name, format, Source::Bytes { encoded }, &bytes)
        }
        Given::S3(uri) => {
            let mut d = Document::bytes(name, format, s3(uri), &[]);
            // Until the object is read the model knows only its name.
            d.text = format!("[{name}]");
            d.layout = Layout::Opaque;
            d
        }
        Given::Text(text) => Document {
            format: format.map(str::to_owned),
            ..Document::text(name, text)
        },
        Given::Content(chunks) => Document {
            format: format.map(str::to_owned),
            source: Source::Content,
            size: chunks.iter().map(String::len).sum(),
            text: chunks.join("\n"),
            layout: Layout::Chunks(chunks),
            ..Document::text(name, "")
        },
    };
    doc.citations = citations;
    doc.context = context;
    Ok(doc)
}

/// The text a `citationsContent` block generated: how an assistant message that
/// quoted documents is read back when the conversation goes on.
pub(crate) fn citations_content(o: &Obj) -> Result<String> {
    let Some(content) = o.arr("content")? else {
        return Ok(String::new());
    };
    let mut text = String::new();
    for c in objects(content, &o.path("content"))? {
        match c.str("text")? {
            Some(t) => text.push_str(t),
            None => return Err(union_error(&c)),
        }
    }
    Ok(text)
}
