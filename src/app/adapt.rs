//! Adapts a conversation to the model it is switched to: blocks the target cannot take
//! are converted to text or dropped, and the change is summed up in one line for the user.

use crate::catalog::{Catalog, Model};
use crate::conversation::{Block, Message, Role};

use super::state::{Entry, EntryState};

/// The model of a user-facing id (bare, profile, or ARN), whatever the region.
pub fn model_of(id: &str) -> Option<&'static Model> {
    Catalog::builtin().lookup(id)
}

/// Rewrites `entries` for `target`; returns what changed, or `None` if nothing did.
pub fn adapt(entries: &mut [Entry], system: &mut Option<String>, target: &str) -> Option<String> {
    let Some(model) = model_of(target) else {
        return Some(format!(
            "{target} is not in the catalog, so the conversation is sent as it is"
        ));
    };
    let caps = model.capabilities;
    let (mut reasoning, mut tools) = (0, 0);
    for e in entries
        .iter_mut()
        .filter(|e| e.state != EntryState::Streaming)
    {
        let producer = e.message.model.as_deref().and_then(model_of);
        let keep_reasoning = caps.reasoning && producer.is_some_and(|p| p.family == model.family);
        let before = e.message.blocks.len();
        let mut changed = false;
        let blocks = std::mem::take(&mut e.message.blocks);
        for b in blocks {
            match b {
                Block::Reasoning { .. } if !keep_reasoning => {
                    reasoning += 1;
                    changed = true;
                }
                b @ (Block::ToolUse { .. } | Block::ToolResult { .. }) if !caps.tools => {
                    tools += 1;
                    changed = true;
                    e.message.blocks.push(tool_as_text(&b));
                }
                other => e.message.blocks.push(other),
            }
        }
        if changed || e.message.blocks.len() != before {
            e.revision += 1;
        }
    }
    let mut parts = Vec::new();
    if reasoning > 0 {
        parts.push(format!(
            "dropped {reasoning} reasoning block(s) it cannot verify"
        ));
    }
    if tools > 0 {
        parts.push(format!("turned {tools} tool block(s) into text"));
    }
    let media = media_not_taken(entries, target);
    if media > 0 {
        parts.push(format!(
            "{media} attachment(s) it cannot take are kept but sent as a note"
        ));
    }
    if system.is_some() && !caps.system_prompt {
        parts.push(
            "the system prompt goes in the first message, as it takes no system prompt".into(),
        );
    }
    (!parts.is_empty()).then(|| parts.join(", "))
}

/// A tool block as the text a model without tools is sent in its place; other blocks
/// as they are.
pub fn tool_as_text(b: &Block) -> Block {
    match b {
        Block::ToolUse { name, input, .. } => {
            Block::Text(format!("[called tool {name} with {input}]"))
        }
        Block::ToolResult { content, .. } => Block::Text(format!(
            "[tool result: {}]",
            content
                .iter()
                .map(crate::tools::Content::text)
                .collect::<String>()
        )),
        other => other.clone(),
    }
}

/// The attachments of `messages` as model `model_id` takes them: documents ask for
/// citations where the model gives them, and an attachment it cannot take is sent as a
/// line of text saying so (the conversation keeps it, for models that can). Returns how
/// many were replaced. A model the catalog does not know is sent everything.
pub fn fit_media(messages: &mut [Message], model_id: &str) -> usize {
    let Some(model) = model_of(model_id) else {
        return 0;
    };
    let caps = model.capabilities;
    let mut replaced = 0;
    for b in messages.iter_mut().flat_map(|m| m.blocks.iter_mut()) {
        let Block::Media(m) = b else {
            continue;
        };
        let takes = match m.kind {
            crate::conversation::Kind::Image => caps.images,
            crate::conversation::Kind::Document => caps.documents,
            crate::conversation::Kind::Video => caps.video,
        } && (caps.s3_media
            || !matches!(m.source, crate::conversation::Source::S3 { .. }));
        if takes {
            m.citations = m.kind == crate::conversation::Kind::Document && caps.citations;
        } else {
            *b = Block::Text(format!(
                "[{} {} not sent: {} cannot take it]",
                m.kind.member(),
                m.file,
                model.name
            ));
            replaced += 1;
        }
    }
    replaced
}

/// Documents ask for citations where model `model_id` gives them.
pub fn fit_citations(messages: &mut [Message], model_id: &str) {
    let citations = model_of(model_id).is_some_and(|m| m.capabilities.citations);
    for b in messages.iter_mut().flat_map(|m| m.blocks.iter_mut()) {
        if let Block::Media(m) = b {
            m.citations = citations && m.kind == crate::conversation::Kind::Document;
        }
    }
}

/// How many attachments of `entries` `model_id` cannot take, for the line that says
/// what a switch changed.
pub fn media_not_taken(entries: &[Entry], model_id: &str) -> usize {
    let mut messages: Vec<Message> = entries.iter().map(|e| e.message.clone()).collect();
    fit_media(&mut messages, model_id)
}

/// The system prompt placed in front of the first user message, for models without one.
pub fn inline_system(messages: &mut [Message], system: &str) {
    if let Some(first) = messages.iter_mut().find(|m| m.role == Role::User) {
        first.blocks.insert(0, Block::Text(format!("{system}\n\n")));
    }
}
