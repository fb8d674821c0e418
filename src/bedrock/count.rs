//! Input tokens of a turn before it is sent: CountTokens where the model supports it,
//! else a local estimate, labelled as one.

use aws_sdk_bedrockruntime::types::{ConverseTokensRequest, CountTokensInput};

use super::{BedrockError, Connection, TurnRequest, converse_parts, error};
use crate::catalog::Catalog;
use crate::conversation::{Block, Role};
use crate::local::conversation as local;

/// How many input tokens a request sends, and whether the service counted them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenCount {
    pub tokens: u32,
    /// Counted by CountTokens with the model's tokenizer; else [`estimate`].
    pub exact: bool,
}

/// The input tokens `req` would send: CountTokens (converse input: messages, system, tools as the Converse request would carry them) when the catalog says the model supports it, else — or when the endpoint refuses (ValidationException/AccessDenied/...) — a local estimate.
///
/// CountTokens is asked with the foundation model's id, which it takes for models
/// that are invoked through a profile. Errors that say nothing about counting (no
/// credentials, throttling, an unreachable endpoint) are returned, not hidden behind
/// an estimate.
pub async fn count_input(conn: &Connection, req: &TurnRequest) -> Result<TokenCount, BedrockError> {
    let estimated = TokenCount {
        tokens: estimate(req),
        exact: false,
    };
    let Some(model) = Catalog::builtin()
        .lookup(&req.model_id)
        .filter(|m| m.capabilities.count_tokens)
    else {
        return Ok(estimated);
    };
    let (messages, system) = converse_parts(req);
    let input = ConverseTokensRequest::builder()
        .set_messages(Some(messages))
        .set_system(system)
        .build();
    let sent = conn
        .client
        .count_tokens()
        .model_id(&model.id)
        .input(CountTokensInput::Converse(input))
        .send()
        .await;
    match sent {
        Ok(out) => Ok(TokenCount {
            tokens: u32::try_from(out.input_tokens()).unwrap_or(0),
            exact: true,
        }),
        Err(e) => match error::from_sdk(&e, &req.model_id, conn.profile.as_deref()) {
            BedrockError::Validation { .. }
            | BedrockError::NeedsProfile { .. }
            | BedrockError::AccessDenied { .. }
            | BedrockError::MissingPermission { .. }
            | BedrockError::Other { .. } => Ok(estimated),
            other => Err(other),
        },
    }
}

/// The local estimate: cl100k BPE (`crate::local::tokens`) over what the request would send, plus a small per-message overhead; documented as an estimate.
///
/// It is the accounting of the local endpoint's simulated model, so against that
/// endpoint it equals the usage reported; a real model's tokenizer differs from cl100k.
pub fn estimate(req: &TurnRequest) -> u32 {
    let messages = req
        .messages
        .iter()
        .map(|m| local::Message {
            role: match m.role {
                Role::User => local::Role::User,
                Role::Assistant => local::Role::Assistant,
            },
            blocks: m.blocks.iter().filter_map(local_block).collect(),
        })
        // As the Converse conversion drops messages with nothing to send.
        .filter(|m| !m.blocks.is_empty())
        .collect();
    let request = local::Request {
        system: req
            .system
            .iter()
            .filter(|s| !s.trim().is_empty())
            .map(|s| Some(s.clone()))
            .collect(),
        messages,
        ..local::Request::default()
    };
    crate::local::tokens::input(&request).total()
}

fn local_block(b: &Block) -> Option<local::Block> {
    Some(match b {
        Block::Text(t) if t.is_empty() => return None,
        Block::Text(t) => local::Block::Text(t.clone()),
        Block::Reasoning { text, .. } => local::Block::Reasoning { text: text.clone() },
        Block::ToolUse { id, name, input } => local::Block::ToolUse {
            id: id.clone(),
            name: name.clone(),
            input: input.clone(),
        },
        Block::ToolResult { id, content, error } => local::Block::ToolResult {
            id: id.clone(),
            content: content.clone(),
            error: *error,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conversation::{Inference, Message};

    fn request(system: Option<&str>, messages: Vec<Message>) -> TurnRequest {
        TurnRequest {
            model_id: "amazon.nova-lite-v1:0".into(),
            system: system.map(str::to_owned),
            messages,
            inference: Inference::default(),
            guardrail: None,
        }
    }

    #[test]
    fn the_estimate_counts_text_system_and_message_overhead() {
        let text = "How do I reverse a list in Python?";
        let one = estimate(&request(None, vec![Message::user(text)]));
        assert_eq!(one, crate::local::tokens::count(text) + 4);
        let with_system = estimate(&request(Some("Be brief."), vec![Message::user(text)]));
        assert_eq!(with_system, one + crate::local::tokens::count("Be brief."));
        // A blank system prompt and an empty message are not sent, so not counted.
        let blank = estimate(&request(
            Some("  "),
            vec![Message::user(text), Message::user("")],
        ));
        assert_eq!(blank, one);
    }
}
