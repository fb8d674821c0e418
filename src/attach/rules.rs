//! The service's rules for attachments, checked before anything is sent: sizes,
//! dimensions, counts per request, document names, and what the model can take.

use crate::catalog::{Catalog, Model};
use crate::conversation::{Kind, Media, Message, Source};

/// Bedrock's limits for Converse attachments (the Converse API reference: ImageBlock,
/// DocumentBlock, VideoSource, and the user guide's "Using the Converse API").
pub const IMAGE_MAX_BYTES: u64 = 3_932_160; // 3.75 MB
pub const IMAGE_MAX_SIDE: u32 = 8000;
pub const IMAGES_PER_REQUEST: usize = 20;
pub const DOCUMENT_MAX_BYTES: u64 = 4_718_592; // 4.5 MB
pub const DOCUMENTS_PER_REQUEST: usize = 5;
/// Inline video travels base64-encoded and may be 25 MB so; larger goes by S3 location.
pub const VIDEO_INLINE_MAX_ENCODED: u64 = 25 * 1024 * 1024;
/// The longest document name the service takes.
pub const DOCUMENT_NAME_MAX: usize = 200;

/// The largest file of `kind` sent inline.
pub fn max_bytes(kind: Kind) -> u64 {
    match kind {
        Kind::Image => IMAGE_MAX_BYTES,
        Kind::Document => DOCUMENT_MAX_BYTES,
        // base64 makes 4 bytes of every 3.
        Kind::Video => VIDEO_INLINE_MAX_ENCODED / 4 * 3,
    }
}

/// The largest file of any kind sent inline: past it, a file is refused unread.
pub fn max_any() -> u64 {
    [Kind::Image, Kind::Document, Kind::Video]
        .into_iter()
        .map(max_bytes)
        .max()
        .unwrap_or(0)
}

/// "3.8 MB", "512 KB", "12 bytes".
pub fn size(bytes: u64) -> String {
    const K: f64 = 1024.0;
    let b = bytes as f64;
    if b >= K * K * K {
        format!("{:.1} GB", b / (K * K * K))
    } else if b >= K * K {
        format!("{:.1} MB", b / (K * K))
    } else if b >= K {
        format!("{:.0} KB", b / K)
    } else {
        format!("{bytes} bytes")
    }
}

/// A document name the service accepts, from a file name: the stem, with every
/// character outside its pattern (letters, digits, single spaces, hyphens, parentheses,
/// square brackets) made a hyphen, at most 200 characters. The name is also a prompt
/// the model reads, so it is kept neutral: nothing but the file's own name.
pub fn document_name(file: &str) -> String {
    let stem = std::path::Path::new(file)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut out = String::new();
    for c in stem.chars() {
        let c = if c.is_alphanumeric() || matches!(c, '-' | '(' | ')' | '[' | ']') {
            c
        } else if c == ' ' {
            ' '
        } else {
            '-'
        };
        if c == ' ' && (out.is_empty() || out.ends_with(' ')) {
            continue;
        }
        out.push(c);
    }
    let mut out: String = out
        .trim_matches(|c| c == ' ' || c == '-')
        .chars()
        .take(DOCUMENT_NAME_MAX)
        .collect();
    out.truncate(out.trim_end().len());
    if out.is_empty() {
        out.push_str("document");
    }
    out
}

/// `name`, or `name (2)`, `name (3)`... so that no two documents of a request share it
/// (the service refuses a request whose documents do).
pub fn unique_name(name: &str, taken: &[&str]) -> String {
    if !taken.contains(&name) {
        return name.to_owned();
    }
    (2..)
        .map(|n| {
            let suffix = format!(" ({n})");
            let keep = DOCUMENT_NAME_MAX - suffix.len();
            format!("{}{suffix}", name.chars().take(keep).collect::<String>())
        })
        .find(|n| !taken.contains(&n.as_str()))
        .unwrap_or_else(|| name.to_owned())
}

/// Why attachments cannot go to a model.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("{model} cannot take {what}. {models}")]
    Unsupported {
        model: String,
        what: String,
        models: String,
    },
    #[error(
        "A request takes at most {max} {kind}s, and this one would send {count} (the conversation's included). Remove some, or start a new conversation (/new)."
    )]
    TooMany {
        kind: &'static str,
        count: usize,
        max: usize,
    },
}

/// Checks the attachments of a request to `model_id`: each kind, S3 sources and
/// citations against what the catalog says the model takes, and the counts per request
/// over every message sent. A model the catalog does not know is left to the service.
pub fn check(catalog: &Catalog, model_id: &str, messages: &[Message]) -> Result<(), Refusal> {
    let media: Vec<&Media> = messages.iter().flat_map(Message::media).collect();
    if media.is_empty() {
        return Ok(());
    }
    let count = |k: Kind| media.iter().filter(|m| m.kind == k).count();
    for (kind, max) in [
        (Kind::Image, IMAGES_PER_REQUEST),
        (Kind::Document, DOCUMENTS_PER_REQUEST),
    ] {
        let n = count(kind);
        if n > max {
            return Err(Refusal::TooMany {
                kind: kind.member(),
                count: n,
                max,
            });
        }
    }
    let Some(model) = catalog.lookup(model_id) else {
        return Ok(());
    };
    let caps = &model.capabilities;
    type Can = fn(&Model) -> bool;
    let needs: [(bool, &str, Can); 5] = [
        (count(Kind::Image) > 0 && !caps.images, "images", |m| {
            m.capabilities.images
        }),
        (
            count(Kind::Document) > 0 && !caps.documents,
            "documents",
            |m| m.capabilities.documents,
        ),
        (count(Kind::Video) > 0 && !caps.video, "video", |m| {
            m.capabilities.video
        }),
        (
            media.iter().any(|m| matches!(m.source, Source::S3 { .. })) && !caps.s3_media,
            "attachments by S3 location",
            |m| m.capabilities.s3_media,
        ),
        (
            media.iter().any(|m| m.citations) && !caps.citations,
            "documents with citations",
            |m| m.capabilities.citations,
        ),
    ];
    match needs.into_iter().find(|(refused, _, _)| *refused) {
        Some((_, what, can)) => Err(Refusal::Unsupported {
            model: model.name.clone(),
            what: what.to_owned(),
            models: models_that(catalog, can),
        }),
        None => Ok(()),
    }
}

/// "Models that can: Claude Sonnet 4.5, Nova Pro, ... (/model switches)."
fn models_that(catalog: &Catalog, can: fn(&Model) -> bool) -> String {
    const SHOWN: usize = 5;
    let names: Vec<&str> = catalog
        .models
        .iter()
        .filter(|m| m.capabilities.converse && can(m))
        .map(|m| m.name.as_str())
        .collect();
    match names.len() {
        0 => "No model in the catalog can.".to_owned(),
        n if n <= SHOWN => format!("Models that can: {} (/model switches).", names.join(", ")),
        n => format!(
            "Models that can: {} and {} more (/model switches).",
            names[..SHOWN].join(", "),
            n - SHOWN
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn document_names_fit_the_service_pattern() {
        assert_eq!(
            document_name("Q3 report_v2.final.pdf"),
            "Q3 report-v2-final"
        );
        assert_eq!(document_name("  a   b  .txt"), "a b");
        assert_eq!(document_name("données (été) [1].csv"), "données (été) [1]");
        assert_eq!(document_name(".pdf"), "pdf");
        assert_eq!(document_name("...."), "document");
        assert_eq!(document_name(&format!("{}.md", "x".repeat(300))).len(), 200);
        assert_eq!(unique_name("a", &["a", "a (2)"]), "a (3)");
        assert_eq!(unique_name("b", &["a"]), "b");
    }

    fn doc(n: usize) -> Media {
        Media {
            kind: Kind::Document,
            format: "txt".into(),
            file: format!("d{n}.txt"),
            name: format!("d{n}"),
            source: Source::Bytes(crate::conversation::Blob::new(vec![b'x'; n + 1])),
            citations: false,
        }
    }

    #[test]
    fn a_request_is_checked_over_the_whole_conversation_and_the_models_capabilities() {
        let catalog = Catalog::builtin();
        let haiku = "us.anthropic.claude-haiku-4-5-20251001-v1:0";
        let earlier = Message::question("first", (0..3).map(doc).collect());
        let next = Message::question("second", (3..6).map(doc).collect());
        let e = check(catalog, haiku, &[earlier.clone(), next]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "A request takes at most 5 documents, and this one would send 6 (the conversation's included). Remove some, or start a new conversation (/new)."
        );
        assert_eq!(
            check(catalog, haiku, std::slice::from_ref(&earlier)),
            Ok(())
        );
        let video = Media {
            kind: Kind::Video,
            format: "mp4".into(),
            file: "a.mp4".into(),
            name: String::new(),
            source: Source::S3 {
                uri: "s3://media/a.mp4".into(),
                bucket_owner: None,
            },
            citations: false,
        };
        let q = Message::question("what happens?", vec![video]);
        let e = check(catalog, haiku, std::slice::from_ref(&q))
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("Claude Haiku 4.5 cannot take video. Models that can: Nova Premier"),
            "{e}"
        );
        assert_eq!(check(catalog, "amazon.nova-pro-v1:0", &[q]), Ok(()));
        // A model the catalog does not know is left to the service.
        assert_eq!(check(catalog, "acme.unknown-v1", &[earlier]), Ok(()));
    }

    #[test]
    fn sizes_read_as_people_write_them() {
        assert_eq!(size(12), "12 bytes");
        assert_eq!(size(3_932_160), "3.8 MB");
        assert_eq!(size(2 * 1024 * 1024 * 1024), "2.0 GB");
        assert_eq!(max_bytes(Kind::Video), 19_660_800);
        assert_eq!(max_any(), max_bytes(Kind::Video));
    }
}
