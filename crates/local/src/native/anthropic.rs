//! Anthropic Claude's Messages API on Bedrock (`anthropic_version: bedrock-2023-05-31`):
//! request, response and the `message_start` ... `message_stop` stream.

use bedrock_catalog::Model;
use serde_json::{Value, json};

use crate::conversation::{Block, Message, Request, Role, ToolChoice, ToolSpec};
use crate::converse::{self, Usage};
use crate::error::ServiceError;
use crate::media::{Document, Image, Source};
use crate::simulator::{Generation, OutBlock, Stop};
use crate::stream::StreamItem;
use crate::tokens;

use super::doc::{Doc, Result};
use super::{Parsed, Variant, base62, model_name};

const KEYS: [&str; 10] = [
    "anthropic_beta",
    "system",
    "stop_sequences",
    "temperature",
    "top_p",
    "top_k",
    "tools",
    "tool_choice",
    "thinking",
    "metadata",
];

const MEDIA_TYPES: [&str; 4] = ["image/jpeg", "image/png", "image/gif", "image/webp"];

pub(super) fn parse(model: &Model, doc: &Doc) -> Result<Parsed> {
    let optional: Vec<&str> = KEYS
        .iter()
        .copied()
        .filter(|k| *k != "thinking" || model.capabilities.reasoning)
        .collect();
    doc.keys(&["anthropic_version", "max_tokens", "messages"], &optional)?;
    doc.one_of("anthropic_version", &["bedrock-2023-05-31"])?;
    doc.strings("anthropic_beta", false)?;
    let mut req = Request {
        max_tokens: doc.u32("max_tokens", 1)?,
        stop_sequences: doc.strings("stop_sequences", false)?,
        temperature: doc.num("temperature", 0.0, 1.0)?,
        ..Request::default()
    };
    doc.num("top_p", 0.0, 1.0)?;
    doc.u32("top_k", 0)?;
    let max = req.max_tokens.unwrap_or_default();
    if max > model.max_output_tokens {
        return Err(ServiceError::validation(format!(
            "max_tokens: {max} > {}, which is the maximum allowed number of output tokens for {}",
            model.max_output_tokens,
            model_name(model)
        )));
    }
    req.system = system(doc)?;
    req.messages = messages(doc)?;
    (req.tools, req.tool_choice) = tools(doc)?;
    req.reasoning_budget = converse::reasoning_budget(&doc.obj())?;
    if let Some(budget) = req.reasoning_budget {
        if budget >= max {
            return Err(ServiceError::validation(
                "`max_tokens` must be greater than `thinking.budget_tokens`.",
            ));
        }
        if req.temperature.is_some_and(|t| t != 1.0) {
            return Err(ServiceError::validation(
                "`temperature` may only be set to 1 when thinking is enabled.",
            ));
        }
    }
    Ok(Parsed {
        request: req,
        variant: Variant::Default,
    })
}

/// The system prompt: a string, or text blocks of which those marked with
/// `cache_control` end a cacheable prefix.
fn system(doc: &Doc) -> Result<Vec<Option<String>>> {
    let mut system = Vec::new();
    match doc.get("system") {
        None => {}
        Some(Value::String(s)) => system.push(Some(s.clone())),
        Some(_) => {
            for b in doc.items("system")? {
                b.keys(&["type", "text"], &["cache_control", "citations"])?;
                system.push(Some(b.req_str("text")?.to_owned()));
                if b.has("cache_control") {
                    system.push(None);
                }
            }
        }
    }
    Ok(system)
}

fn messages(doc: &Doc) -> Result<Vec<Message>> {
    let mut messages = Vec::new();
    for (i, m) in doc.req_items("messages")?.iter().enumerate() {
        m.keys(&["role", "content"], &[])?;
        let role = match m.req_str("role")? {
            "user" => Role::User,
            "assistant" => Role::Assistant,
            _ => {
                return Err(ServiceError::validation(format!(
                    "messages.{i}.role: Input should be 'user' or 'assistant'"
                )));
            }
        };
        let blocks = match m.get("content") {
            Some(Value::String(s)) => vec![Block::Text(s.clone())],
            _ => {
                let mut blocks = Vec::new();
                for (j, b) in m.items("content")?.iter().enumerate() {
                    blocks.push(parse_block(b, &format!("messages.{i}.content.{j}"))?);
                    if b.has("cache_control") {
                        blocks.push(Block::CachePoint);
                    }
                }
                blocks
            }
        };
        check_tool_results(&messages, &blocks, i)?;
        messages.push(Message { role, blocks });
    }
    Ok(messages)
}

/// The tools and the tool choice; a choice of `none` offers no tools.
fn tools(doc: &Doc) -> Result<(Vec<ToolSpec>, Option<ToolChoice>)> {
    let mut tools = Vec::new();
    for t in doc.items("tools")? {
        tools.push(ToolSpec {
            name: t.req_str("name")?.to_owned(),
            description: t.str("description")?.unwrap_or_default().to_owned(),
            schema: match t.child("input_schema")? {
                Some(s) => Value::Object(s.map.clone()),
                None if t.has("type") => json!({"type": "object"}),
                None => return Err(t.missing("input_schema")),
            },
        });
    }
    let Some(tc) = doc.child("tool_choice")? else {
        return Ok((tools, None));
    };
    let choice = match tc.one_of("type", &["auto", "any", "tool", "none"])? {
        Some("any") => Some(ToolChoice::Any),
        Some("tool") => Some(ToolChoice::Tool(tc.req_str("name")?.to_owned())),
        Some("none") => {
            tools.clear();
            None
        }
        _ => Some(ToolChoice::Auto),
    };
    Ok((tools, choice))
}

fn parse_block(b: &Doc, at: &str) -> Result<Block> {
    let source_data = |src: &Doc| -> Result<Vec<u8>> { converse::blob(&src.obj(), "data") };
    Ok(match b.req_str("type")? {
        "text" => Block::Text(b.req_str("text")?.to_owned()),
        "image" => {
            let src = b.req_child("source")?;
            let media = src.req_str("media_type")?;
            if !MEDIA_TYPES.contains(&media) {
                return Err(ServiceError::validation(format!(
                    "{at}.image.source.base64.media_type: Input should be 'image/jpeg', 'image/png', 'image/gif' or 'image/webp'"
                )));
            }
            let encoded = src.str("data")?.map_or(0, str::len);
            Block::Image(Image::new(
                media.trim_start_matches("image/"),
                Source::Bytes { encoded },
                &source_data(&src)?,
            ))
        }
        "document" => {
            let src = b.req_child("source")?;
            let name = b.str("title")?.unwrap_or("document").to_owned();
            let text = match src.str("type")? {
                Some("text") => src.req_str("data")?.to_owned(),
                Some("content") => match src.get("content") {
                    Some(Value::String(s)) => s.clone(),
                    _ => joined_text(&src, "content")?,
                },
                _ => format!("[{name}: {} bytes]", source_data(&src)?.len()),
            };
            Block::Document(Document::text(name, text))
        }
        "tool_use" | "server_tool_use" => Block::ToolUse {
            id: b.req_str("id")?.to_owned(),
            name: b.req_str("name")?.to_owned(),
            input: b.get("input").cloned().unwrap_or_else(|| json!({})),
        },
        "tool_result" => Block::ToolResult {
            id: b.req_str("tool_use_id")?.to_owned(),
            content: match b.get("content") {
                None => String::new(),
                Some(Value::String(s)) => s.clone(),
                Some(_) => joined_text(b, "content")?,
            },
            error: b.bool("is_error")?.unwrap_or(false),
        },
        "thinking" => Block::Reasoning {
            text: b.req_str("thinking")?.to_owned(),
        },
        "redacted_thinking" => Block::Reasoning {
            text: String::new(),
        },
        other => {
            return Err(ServiceError::validation(format!(
                "{at}.type: Input tag '{other}' found using 'type' does not match any of the expected tags: 'text', 'image', 'document', 'tool_use', 'tool_result', 'thinking', 'redacted_thinking'"
            )));
        }
    })
}

/// The text of a list of content blocks (tool results, document content); other
/// blocks count as attachments.
fn joined_text(d: &Doc, key: &str) -> Result<String> {
    let parts = d
        .items(key)?
        .iter()
        .map(|c| {
            Ok(c.str("text")?
                .map_or_else(|| "[attachment]".to_owned(), str::to_owned))
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(parts.join("\n"))
}

/// Every `tool_result` must answer a `tool_use` of the message before it.
fn check_tool_results(prev: &[Message], blocks: &[Block], i: usize) -> Result<()> {
    let ids: Vec<&str> = prev.last().map(Message::tool_use_ids).unwrap_or_default();
    for (j, b) in blocks.iter().enumerate() {
        if let Block::ToolResult { id, .. } = b
            && !ids.contains(&id.as_str())
        {
            return Err(ServiceError::validation(format!(
                "messages.{i}.content.{j}: unexpected `tool_use_id` found in `tool_result` blocks: {id}. Each `tool_result` block must have a corresponding `tool_use` block in the previous message."
            )));
        }
    }
    Ok(())
}

/// Claude's tool-use ids (`toolu_bdrk_01...`) for the simulator's.
fn tool_id(id: &str) -> String {
    format!("toolu_bdrk_01{}", id.trim_start_matches("tooluse_"))
}

fn message_id(req: &Request) -> String {
    format!(
        "msg_bdrk_01{}",
        base62(req.digest(), "anthropic-message", 22)
    )
}

fn stop_sequence(g: &Generation) -> Value {
    match &g.stop {
        Stop::Sequence(s) => json!(s),
        _ => Value::Null,
    }
}

fn block_json(b: &OutBlock) -> Value {
    match b {
        // Native requests never enable citations: a cited block is only text here.
        OutBlock::Text(t) | OutBlock::Cited { text: t, .. } => json!({"type": "text", "text": t}),
        OutBlock::Reasoning { text, signature } => {
            json!({"type": "thinking", "thinking": text, "signature": signature})
        }
        OutBlock::ToolUse { id, name, input } => {
            json!({"type": "tool_use", "id": tool_id(id), "name": name, "input": input})
        }
    }
}

fn usage_json(u: Usage, output: u32) -> Value {
    json!({
        "input_tokens": u.input,
        "cache_creation_input_tokens": u.cache_write,
        "cache_read_input_tokens": u.cache_read,
        "output_tokens": output,
    })
}

pub(super) fn response(model: &Model, req: &Request, g: &Generation, u: Usage) -> Value {
    json!({
        "id": message_id(req),
        "type": "message",
        "role": "assistant",
        "model": model_name(model),
        "content": g.blocks.iter().map(block_json).collect::<Vec<_>>(),
        "stop_reason": g.stop.converse(),
        "stop_sequence": stop_sequence(g),
        "usage": usage_json(u, u.output),
    })
}

pub(super) fn chunks(model: &Model, req: &Request, g: &Generation, u: Usage) -> Vec<StreamItem> {
    let mut out = vec![StreamItem::chunk(
        json!({"type": "message_start", "message": {
            "id": message_id(req), "type": "message", "role": "assistant", "model": model_name(model),
            "content": [], "stop_reason": null, "stop_sequence": null, "usage": usage_json(u, 1),
        }}),
        0,
    )];
    for (index, b) in g.blocks.iter().enumerate() {
        let delta = |delta: Value, n| {
            StreamItem::chunk(
                json!({"type": "content_block_delta", "index": index, "delta": delta}),
                n,
            )
        };
        let (start, start_tokens) = match b {
            OutBlock::Text(_) | OutBlock::Cited { .. } => (json!({"type": "text", "text": ""}), 0),
            OutBlock::Reasoning { .. } => (
                json!({"type": "thinking", "thinking": "", "signature": ""}),
                0,
            ),
            OutBlock::ToolUse { id, name, .. } => (
                json!({"type": "tool_use", "id": tool_id(id), "name": name, "input": {}}),
                tokens::count(name),
            ),
        };
        out.push(StreamItem::chunk(
            json!({"type": "content_block_start", "index": index, "content_block": start}),
            start_tokens,
        ));
        match b {
            OutBlock::Text(t) | OutBlock::Cited { text: t, .. } => out.extend(
                tokens::pieces(t)
                    .into_iter()
                    .map(|(p, n)| delta(json!({"type": "text_delta", "text": p}), n)),
            ),
            OutBlock::Reasoning { text, signature } => {
                out.extend(
                    tokens::pieces(text)
                        .into_iter()
                        .map(|(p, n)| delta(json!({"type": "thinking_delta", "thinking": p}), n)),
                );
                out.push(delta(
                    json!({"type": "signature_delta", "signature": signature}),
                    0,
                ));
            }
            OutBlock::ToolUse { input, .. } => out.extend(
                converse::json_chunks(&input.to_string())
                    .into_iter()
                    .map(|(p, n)| delta(json!({"type": "input_json_delta", "partial_json": p}), n)),
            ),
        }
        out.push(StreamItem::chunk(
            json!({"type": "content_block_stop", "index": index}),
            0,
        ));
    }
    out.push(StreamItem::chunk(
        json!({"type": "message_delta",
            "delta": {"stop_reason": g.stop.converse(), "stop_sequence": stop_sequence(g)},
            "usage": {"output_tokens": u.output}}),
        0,
    ));
    out.push(StreamItem::chunk(json!({"type": "message_stop"}), 0));
    out
}

#[cfg(test)]
#[path = "anthropic_tests.rs"]
mod tests;
