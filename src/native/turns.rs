//! A conversation as the native formats see it: alternating turns of text (and, for
//! the families that take them, images given as bytes), the rest left out.

use crate::conversation::{Block, Kind, Media, Message, Role, Source};

/// A piece of a turn.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Part<'a> {
    Text(String),
    /// An image's Converse format (`png`, `jpeg`, `gif`, `webp`) and bytes.
    Image {
        format: &'a str,
        data: &'a [u8],
    },
}

/// One role's consecutive messages, merged.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Turn<'a> {
    pub role: Role,
    pub parts: Vec<Part<'a>>,
}

impl Turn<'_> {
    /// The turn's text, its images left out (the text families get none).
    pub fn text(&self) -> String {
        let texts: Vec<&str> = self
            .parts
            .iter()
            .filter_map(|p| match p {
                Part::Text(t) => Some(t.as_str()),
                Part::Image { .. } => None,
            })
            .collect();
        texts.join("\n\n")
    }
}

/// Image formats every family that takes images reads.
const IMAGE_FORMATS: [&str; 4] = ["png", "jpeg", "gif", "webp"];

/// The conversation's turns: consecutive messages of one role merged (most families
/// require alternation), messages with nothing to carry dropped, and an empty user turn
/// for an empty conversation so there is a body to edit. With `images`, images given as
/// bytes are parts of their own; other attachments are placeholder lines.
pub(super) fn of(messages: &[Message], images: bool) -> Vec<Turn<'_>> {
    let mut turns: Vec<Turn> = Vec::new();
    for m in messages {
        let parts = parts(m, images);
        if parts.is_empty() {
            continue;
        }
        match turns.last_mut() {
            Some(t) if t.role == m.role => t.parts.extend(parts),
            _ => turns.push(Turn {
                role: m.role,
                parts,
            }),
        }
    }
    if turns.is_empty() {
        turns.push(Turn {
            role: Role::User,
            parts: vec![Part::Text(String::new())],
        });
    }
    turns
}

/// A message's parts: its text blocks joined as they read, attachments in between.
fn parts(m: &Message, images: bool) -> Vec<Part<'_>> {
    let mut out: Vec<Part> = Vec::new();
    let mut text = String::new();
    for b in &m.blocks {
        match b {
            Block::Text(t) | Block::Cited { text: t, .. } => text.push_str(t),
            Block::Media(media) => match image(media).filter(|_| images) {
                Some(part) => {
                    flush(&mut out, &mut text);
                    out.push(part);
                }
                None => {
                    if !text.is_empty() && !text.ends_with('\n') {
                        text.push('\n');
                    }
                    text.push_str(&placeholder(media));
                    text.push('\n');
                }
            },
            Block::Reasoning { .. } | Block::ToolUse { .. } | Block::ToolResult { .. } => {}
        }
    }
    flush(&mut out, &mut text);
    out
}

fn flush<'a>(out: &mut Vec<Part<'a>>, text: &mut String) {
    let t = text.trim_end_matches('\n');
    if !t.is_empty() {
        out.push(Part::Text(t.to_owned()));
    }
    text.clear();
}

/// An image the families that take images read: given as bytes, in a format they know.
fn image(media: &Media) -> Option<Part<'_>> {
    match &media.source {
        Source::Bytes(blob)
            if media.kind == Kind::Image && IMAGE_FORMATS.contains(&media.format.as_str()) =>
        {
            Some(Part::Image {
                format: &media.format,
                data: &blob.data,
            })
        }
        _ => None,
    }
}

/// What stands for an attachment a format cannot carry: `[image chart.png]`.
fn placeholder(media: &Media) -> String {
    format!("[{} {}]", media.kind.member(), media.file)
}
