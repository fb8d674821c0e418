//! OpenAI-style chat bodies (role/content messages, `function` tools, `tool_calls`),
//! shared by Mistral's chat completion and AI21 Jamba.

use serde_json::{Value, json};

use crate::conversation::{Block, Request, Role, ToolChoice, ToolSpec};
use crate::converse::Usage;
use crate::simulator::{self, Generation, OutBlock};

use super::doc::{Doc, Result};
use super::{input_tokens, push_block};

/// Reads `messages` into the request's system prompt and turns.
pub(super) fn parse_messages(doc: &Doc, req: &mut Request) -> Result<()> {
    for m in doc.req_items("messages")? {
        m.keys(
            &["role"],
            &["content", "tool_calls", "tool_call_id", "name", "prefix"],
        )?;
        let role = m.one_of("role", &["system", "user", "assistant", "tool"])?;
        let content = content_text(&m)?;
        match role {
            Some("system") => req.system.push(Some(content)),
            Some("tool") => push_block(
                &mut req.messages,
                Role::User,
                Block::ToolResult {
                    id: m.str("tool_call_id")?.unwrap_or_default().to_owned(),
                    content,
                    error: false,
                },
            ),
            Some("assistant") => {
                if !content.is_empty() || !m.has("tool_calls") {
                    push_block(&mut req.messages, Role::Assistant, Block::Text(content));
                }
                for (i, call) in m.items("tool_calls")?.iter().enumerate() {
                    let f = call.req_child("function")?;
                    let input = match f.get("arguments") {
                        Some(Value::String(s)) => {
                            serde_json::from_str(s).unwrap_or_else(|_| json!(s))
                        }
                        Some(v) => v.clone(),
                        None => json!({}),
                    };
                    let id = call
                        .str("id")?
                        .map_or_else(|| format!("call_{i}"), str::to_owned);
                    let name = f.req_str("name")?.to_owned();
                    push_block(
                        &mut req.messages,
                        Role::Assistant,
                        Block::ToolUse { id, name, input },
                    );
                }
            }
            _ => push_block(&mut req.messages, Role::User, Block::Text(content)),
        }
    }
    Ok(())
}

/// A message's content: a string, or parts whose `text` members are joined.
fn content_text(m: &Doc) -> Result<String> {
    match m.get("content") {
        None => Ok(String::new()),
        Some(Value::String(s)) => Ok(s.clone()),
        Some(_) => Ok(m
            .items("content")?
            .iter()
            .map(|p| Ok(p.str("text")?.unwrap_or_default().to_owned()))
            .collect::<Result<Vec<_>>>()?
            .join("\n")),
    }
}

/// Reads `tools` (`{type: function, function: {name, description, parameters}}`) and
/// `tool_choice` (`auto|any|required|none` or a named function).
pub(super) fn parse_tools(doc: &Doc, req: &mut Request) -> Result<()> {
    for t in doc.items("tools")? {
        t.keys(&["function"], &["type"])?;
        let f = t.req_child("function")?;
        req.tools.push(ToolSpec {
            name: f.req_str("name")?.to_owned(),
            description: f.str("description")?.unwrap_or_default().to_owned(),
            schema: f
                .get("parameters")
                .cloned()
                .unwrap_or_else(|| json!({"type": "object"})),
        });
    }
    match doc.get("tool_choice") {
        None => {}
        Some(Value::String(_)) => {
            match doc.one_of("tool_choice", &["auto", "any", "required", "none"])? {
                Some("any" | "required") => req.tool_choice = Some(ToolChoice::Any),
                Some("none") => req.tools.clear(),
                _ => req.tool_choice = Some(ToolChoice::Auto),
            }
        }
        Some(_) => {
            let choice = doc.req_child("tool_choice")?;
            let name = choice.req_child("function")?.req_str("name")?;
            req.tool_choice = Some(ToolChoice::Tool(name.to_owned()));
        }
    }
    Ok(())
}

/// The generation's tool calls; `typed` adds `"type": "function"` as OpenAI-style APIs do.
pub(super) fn tool_calls(g: &Generation, typed: bool) -> Vec<Value> {
    g.blocks
        .iter()
        .filter_map(|b| match b {
            OutBlock::ToolUse { id, name, input } => {
                let mut call =
                    json!({"id": id, "function": {"name": name, "arguments": input.to_string()}});
                if typed {
                    call["type"] = json!("function");
                }
                Some(call)
            }
            _ => None,
        })
        .collect()
}

/// Output tokens of the generation's tool calls.
pub(super) fn tool_tokens(g: &Generation) -> u32 {
    g.blocks
        .iter()
        .filter(|b| matches!(b, OutBlock::ToolUse { .. }))
        .map(simulator::block_tokens)
        .sum()
}

/// OpenAI-style `usage`.
pub(super) fn usage(u: &Usage) -> Value {
    let prompt = input_tokens(u);
    json!({"prompt_tokens": prompt, "completion_tokens": u.output, "total_tokens": prompt + u.output})
}
