//! Exports of a stored conversation: Markdown to read and share, JSON (Converse-shaped
//! messages plus models and usage) to process or replay.
//!
//! Both are built only from the history rows, which hold no credentials.

use serde_json::{Map, Value, json};

use super::converse_json::{Blobs, stop_reason_str, to_converse_with};
use super::{ConversationId, MessageState, Result, Store, StoredMessage};
use crate::conversation::{Block, Role, StopReason, Usage};

/// Identifies the JSON export's layout for tools that read it.
pub const JSON_FORMAT: &str = "bedrock-tui.conversation.v1";

impl Store {
    /// The conversation as Markdown: title, each message under a role (and model)
    /// heading, reasoning as a quote, tool calls and results in fenced blocks.
    pub fn export_markdown(&self, id: ConversationId) -> Result<String> {
        let conv = self.load(id)?;
        let mut out = String::new();
        out.push_str(&format!("# {}\n\n", one_line(&conv.title)));
        out.push_str(&format!(
            "Model: `{}` · started {} · updated {}\n",
            conv.model,
            timestamp(conv.created_ms),
            timestamp(conv.updated_ms)
        ));
        if let Some(system) = &conv.system {
            out.push_str("\n## System prompt\n\n");
            out.push_str(system.trim_end());
            out.push('\n');
        }
        for m in &conv.messages {
            out.push('\n');
            message_markdown(&mut out, m, "##");
        }
        Ok(out)
    }

    /// The conversation as JSON: Converse-shaped messages (`role`, `content`) with
    /// their model, state, stop reason, usage and times beside them, and the usage per
    /// model.
    pub fn export_json(&self, id: ConversationId) -> Result<Value> {
        self.export_json_with(id, Blobs::Inline)
    }

    /// [`Store::export_json`] with attachments written as `blobs` says.
    pub fn export_json_with(&self, id: ConversationId, blobs: Blobs) -> Result<Value> {
        let conv = self.load(id)?;
        let messages: Vec<Value> = conv
            .messages
            .iter()
            .map(|m| message_json(m, blobs))
            .collect();
        let usage_by_model: Vec<Value> = self
            .usage_by_model(id)?
            .iter()
            .map(|(model, usage)| json!({ "model": model, "usage": usage_json(usage) }))
            .collect();
        let mut out = Map::new();
        out.insert("format".into(), json!(JSON_FORMAT));
        out.insert("id".into(), json!(conv.id));
        out.insert("title".into(), json!(conv.title));
        out.insert("model".into(), json!(conv.model));
        if let Some(system) = conv.system {
            // Converse's `system` parameter shape.
            out.insert("system".into(), json!([{ "text": system }]));
        }
        out.insert("createdMs".into(), json!(conv.created_ms));
        out.insert("updatedMs".into(), json!(conv.updated_ms));
        out.insert("messages".into(), Value::Array(messages));
        out.insert("usageByModel".into(), Value::Array(usage_by_model));
        Ok(Value::Object(out))
    }
}

pub(super) fn message_json(m: &StoredMessage, blobs: Blobs) -> Value {
    let mut v = to_converse_with(&m.message, blobs);
    // `to_converse` always returns an object; the fields are added beside role/content.
    if let Value::Object(obj) = &mut v {
        obj.insert("seq".into(), json!(m.seq));
        if let Some(model) = &m.message.model {
            obj.insert("model".into(), json!(model));
        }
        obj.insert("state".into(), json!(m.state.as_str()));
        if let Some(stop) = &m.stop {
            obj.insert("stopReason".into(), json!(stop_reason_str(stop)));
        }
        if let Some(usage) = &m.usage {
            obj.insert("usage".into(), usage_json(usage));
        }
        if let Some(error) = &m.error {
            obj.insert("error".into(), json!(error));
        }
        if let Some(trace) = &m.guardrail
            && let Ok(t) = serde_json::to_value(trace.redacted())
        {
            obj.insert("guardrailTrace".into(), t);
        }
        obj.insert("createdMs".into(), json!(m.created_ms));
        obj.insert("updatedMs".into(), json!(m.updated_ms));
        if !m.alternatives.is_empty() {
            let alternatives = m.alternatives.iter().map(|a| message_json(a, blobs));
            obj.insert("alternatives".into(), alternatives.collect());
        }
    }
    v
}

/// Usage with the Converse API's field names.
fn usage_json(u: &Usage) -> Value {
    json!({
        "inputTokens": u.input,
        "outputTokens": u.output,
        "totalTokens": u64::from(u.input) + u64::from(u.output),
        "cacheReadInputTokens": u.cache_read,
        "cacheWriteInputTokens": u.cache_write,
    })
}

/// One message under a heading of `level` (`##`), then the alternatives it was kept
/// with, one level down.
fn message_markdown(out: &mut String, m: &StoredMessage, level: &str) {
    let role = match m.message.role {
        Role::User => "User",
        Role::Assistant => "Assistant",
    };
    match &m.message.model {
        Some(model) => out.push_str(&format!("{level} {role} · `{model}`\n")),
        None => out.push_str(&format!("{level} {role}\n")),
    }
    let mut sources: Vec<&crate::conversation::Citation> = Vec::new();
    // Text blocks in a row are one text (a cited answer comes in many), written whole.
    let mut run = String::new();
    let flush = |out: &mut String, run: &mut String| {
        if !run.is_empty() {
            out.push('\n');
            out.push_str(run.trim_end());
            out.push('\n');
            run.clear();
        }
    };
    for block in &m.message.blocks {
        match block {
            Block::Text(text) => {
                run.push_str(text);
                continue;
            }
            Block::Cited { text, citations } => {
                let body = text.trim_end();
                run.push_str(body);
                for c in citations {
                    sources.push(c);
                    run.push_str(&format!(" [{}]", sources.len()));
                }
                run.push_str(&text[body.len()..]);
                continue;
            }
            _ => flush(out, &mut run),
        }
        out.push('\n');
        match block {
            Block::Text(_) | Block::Cited { .. } => {}
            Block::Media(media) => {
                let source = match &media.source {
                    crate::conversation::Source::Bytes(b) => {
                        format!("{} bytes, sha256 {}", b.data.len(), b.sha256)
                    }
                    crate::conversation::Source::S3 { uri, .. } => format!("S3 location {uri}"),
                };
                out.push_str(&format!(
                    "**Attachment** `{}` ({} {}, {source})\n",
                    one_line(&media.file),
                    media.format,
                    media.kind.member()
                ));
            }
            Block::Reasoning { text, .. } => {
                out.push_str("> **Reasoning**\n>\n");
                for line in text.trim_end().lines() {
                    out.push_str(if line.is_empty() { ">" } else { "> " });
                    out.push_str(line);
                    out.push('\n');
                }
            }
            Block::ToolUse { id, name, input } => {
                out.push_str(&format!("**Tool call** `{name}` (`{id}`)\n\n"));
                let pretty = serde_json::to_string_pretty(input).unwrap_or_default();
                fenced(out, "json", &pretty);
            }
            Block::ToolResult { id, content, error } => {
                let status = if *error { ", error" } else { "" };
                out.push_str(&format!("**Tool result** (`{id}`{status})\n\n"));
                for part in content {
                    match part {
                        crate::tools::Content::Json(_) => fenced(out, "json", &part.text()),
                        crate::tools::Content::Text(t) => fenced(out, "text", t),
                    }
                }
            }
        }
    }
    flush(out, &mut run);
    if !sources.is_empty() {
        out.push_str("\n**Sources**\n\n");
        for (i, c) in sources.iter().enumerate() {
            out.push_str(&format!("{}. {}\n", i + 1, c.source()));
        }
    }
    let mut notes = Vec::new();
    match m.state {
        MessageState::Done => {}
        MessageState::Streaming => notes.push("interrupted while streaming".to_owned()),
        MessageState::Cancelled => notes.push("cancelled".to_owned()),
        MessageState::Failed => notes.push("failed".to_owned()),
    }
    if let Some(error) = &m.error {
        notes.push(format!("error: {}", one_line(error)));
    }
    if let Some(stop) = &m.stop
        && *stop != StopReason::EndTurn
    {
        notes.push(format!("stopped: {}", stop_reason_str(stop)));
    }
    if let Some(t) = m.guardrail.as_ref().filter(|t| t.intervened()) {
        let mut fired: Vec<&str> = Vec::new();
        for a in t.input.iter().map(|(_, a)| a).chain(&t.outputs) {
            for p in a.policies_that_fired() {
                if !fired.contains(&p) {
                    fired.push(p);
                }
            }
        }
        notes.push(format!(
            "guardrail {} intervened: {}",
            t.guardrail.as_deref().unwrap_or(""),
            fired.join(", ")
        ));
    }
    if let Some(u) = &m.usage {
        notes.push(format!("{} in / {} out tokens", u.input, u.output));
    }
    if !notes.is_empty() {
        out.push_str(&format!("\n*{}*\n", notes.join(" · ")));
    }
    for (i, alternative) in m.alternatives.iter().enumerate() {
        out.push_str(&format!(
            "\n*Alternative {} of {}, from the comparison (not kept):*\n\n",
            i + 1,
            m.alternatives.len()
        ));
        message_markdown(out, alternative, "###");
    }
}

/// A fenced code block whose fence is longer than any backtick run inside, so the
/// content can never close it early.
fn fenced(out: &mut String, lang: &str, content: &str) {
    let longest = content.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest.max(2) + 1);
    out.push_str(&format!("{fence}{lang}\n{}\n{fence}\n", content.trim_end()));
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `2025-03-01 14:05 UTC`; the raw number if out of range.
fn timestamp(ms: i64) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute] UTC");
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| t.format(&format).ok())
        .unwrap_or_else(|| ms.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fences_outgrow_backticks_in_content() {
        let mut out = String::new();
        fenced(&mut out, "text", "a ```` b");
        assert!(out.starts_with("`````text\n"), "{out}");
        assert!(out.ends_with("\n`````\n"), "{out}");
        let mut out = String::new();
        fenced(&mut out, "json", "{}");
        assert_eq!(out, "```json\n{}\n```\n");
    }

    #[test]
    fn timestamps_are_utc_minutes() {
        assert_eq!(timestamp(0), "1970-01-01 00:00 UTC");
        assert_eq!(timestamp(1_700_000_000_000), "2023-11-14 22:13 UTC");
        assert_eq!(timestamp(i64::MAX), i64::MAX.to_string());
    }
}
