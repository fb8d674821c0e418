//! The conversation's calls and results kept in step: calls read from the history get
//! their results back in their cells, and the messages a turn sends pair every call
//! with a result, as the API requires.

use crate::app::state::Entry;
use crate::conversation::{Block, Message, Role};
use crate::tools::Output;

use super::{Call, CallStatus, Tools, tool_uses};

/// Rebuilds the calls of answers read from the history, from the results that follow
/// them, so their cells show what the calls answered and where the tools come from.
pub fn restore(entries: &mut [Entry], tools: &Tools) {
    for i in 0..entries.len() {
        let uses = tool_uses(&entries[i].message);
        if uses.is_empty() || entries[i].message.role != Role::Assistant {
            continue;
        }
        let next = entries.get(i + 1).map(|n| n.message.blocks.clone());
        let found = |id: &str| {
            next.iter().flatten().find_map(|b| match b {
                Block::ToolResult {
                    id: r,
                    content,
                    error,
                } if r == id => Some(Output {
                    content: content.clone(),
                    error: *error,
                }),
                _ => None,
            })
        };
        entries[i].calls = uses
            .into_iter()
            .map(|(id, name, _)| {
                let output = found(&id);
                Call {
                    status: if output.is_some() {
                        CallStatus::Done
                    } else {
                        CallStatus::Cancelled
                    },
                    id,
                    source: tools
                        .find(&name)
                        .map_or_else(String::new, |t| t.source.label()),
                    output,
                    ms: None,
                }
            })
            .collect();
    }
}

/// Makes the messages a turn sends pair every `toolUse` with a `toolResult` in the
/// next message, as the API requires: a call left without a result (the app exited
/// while it ran, a history from elsewhere) gets one saying it did not run; a result
/// whose call is not in the message before it, and a call whose input never became a
/// JSON object (an answer stopped while the input streamed), are left out.
pub fn pair(messages: &mut Vec<Message>) {
    for m in messages.iter_mut().filter(|m| m.role == Role::Assistant) {
        m.blocks
            .retain(|b| !matches!(b, Block::ToolUse { input, .. } if !input.is_object()));
    }
    for i in 0..messages.len() {
        if messages[i].role != Role::User {
            continue;
        }
        let calls: Vec<String> = match i.checked_sub(1).map(|p| &messages[p]) {
            Some(p) if p.role == Role::Assistant => {
                tool_uses(p).into_iter().map(|(id, _, _)| id).collect()
            }
            _ => Vec::new(),
        };
        let m = &mut messages[i];
        m.blocks
            .retain(|b| !matches!(b, Block::ToolResult { id, .. } if !calls.contains(id)));
        let answered = |id: &str| {
            m.blocks
                .iter()
                .any(|b| matches!(b, Block::ToolResult { id: r, .. } if r == id))
        };
        let missing: Vec<Block> = calls
            .iter()
            .filter(|id| !answered(id))
            .map(|id| Block::tool_text(id.clone(), NOT_RUN, true))
            .collect();
        m.blocks.splice(0..0, missing);
    }
    // What was left out may leave a message empty, and two of one role in a row.
    let mut out: Vec<Message> = Vec::with_capacity(messages.len());
    for m in messages.drain(..).filter(|m| !m.blocks.is_empty()) {
        match out.last_mut() {
            Some(last) if last.role == m.role => last.blocks.extend(m.blocks),
            _ => out.push(m),
        }
    }
    *messages = out;
}

/// The result of a call that never ran, as the model is told.
const NOT_RUN: &str = "The call did not run: the conversation was stopped first.";
