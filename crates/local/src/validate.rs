//! Checks a Converse request against what its model can take, as the service does, and
//! counts the input tokens it will be billed for (prompt caching included).

use bedrock_catalog::{Family, Model};

use super::conversation::{Block, Request, Role};
use super::converse::Usage;
use super::error::ServiceError;
use super::state::{CACHE_MIN_TOKENS, State};
use super::tokens;

type Result<T> = std::result::Result<T, ServiceError>;

pub(super) fn check_conversation(req: &Request, model: &Model, streaming: bool) -> Result<()> {
    let caps = &model.capabilities;
    match req.messages.first() {
        Some(m) if m.role == Role::User => {}
        _ => {
            return Err(ServiceError::validation(
                "A conversation must start with a user message. Try again with a conversation that starts with a user message.",
            ));
        }
    }
    for (i, pair) in req.messages.windows(2).enumerate() {
        if pair[0].role == pair[1].role {
            return Err(ServiceError::validation(format!(
                "A conversation must alternate between user and assistant roles. Make sure the conversation alternates between user and assistant roles and try again. (messages.{} and messages.{})",
                i,
                i + 1
            )));
        }
    }
    for (i, m) in req.messages.iter().enumerate() {
        if m.blocks.is_empty() {
            return Err(ServiceError::validation(format!(
                "The content field in the Message object at messages.{i} is empty. Add a ContentBlock object to the content field and try again."
            )));
        }
        for (j, b) in m.blocks.iter().enumerate() {
            match b {
                Block::Text(t) if t.trim().is_empty() => {
                    return Err(ServiceError::validation(format!(
                        "The text field in the ContentBlock object at messages.{i}.content.{j} is blank. Add text to the text field, and try again."
                    )));
                }
                Block::Image { .. } if !caps.images => {
                    return Err(ServiceError::validation(
                        "This model doesn't support the image content block that you provided. Try again with a model that supports images.",
                    ));
                }
                Block::Document { .. } if !caps.documents => {
                    return Err(ServiceError::validation(
                        "This model doesn't support documents. Try again with a model that supports documents.",
                    ));
                }
                _ => {}
            }
        }
    }
    if req.system.iter().flatten().next().is_some() && !caps.system_prompt {
        return Err(ServiceError::validation(
            "This model doesn't support system messages. Try again without a system message.",
        ));
    }
    if !req.tools.is_empty() && !caps.tools {
        return Err(ServiceError::validation(
            "This model doesn't support tool use. Try again without tools.",
        ));
    }
    if streaming && !req.tools.is_empty() && !caps.streaming_tools {
        return Err(ServiceError::validation(
            "This model doesn't support tool use in streaming mode.",
        ));
    }
    if req.reasoning_budget.is_some() && !caps.reasoning {
        return Err(ServiceError::validation(
            "The model returned the following errors: reasoning is not supported by this model.",
        ));
    }
    Ok(())
}

/// The output limit of a request, checked against the model's.
pub(super) fn max_tokens(req: &Request, model: &Model) -> Result<u32> {
    let limit = model.max_output_tokens;
    let max = req.max_tokens.unwrap_or(limit);
    if max > limit {
        return Err(ServiceError::validation(format!(
            "The maximum tokens you requested exceeds the model limit of {limit}. Try again with a maximum tokens value that is lower than {limit}."
        )));
    }
    if let Some(budget) = req.reasoning_budget
        && budget >= max
    {
        return Err(ServiceError::validation(
            "The model returned the following errors: `max_tokens` must be greater than `thinking.budget_tokens`.",
        ));
    }
    Ok(max)
}

/// Input usage of a request, with the prompt cache applied for families that cache.
pub(super) fn input_usage(state: &State, req: &Request, model: &Model) -> Result<Usage> {
    let t = tokens::input(req);
    if t.total() > model.context_window {
        return Err(ServiceError::validation(format!(
            "Input is too long for requested model. The request has {} input tokens; the model's context window is {}.",
            t.total(),
            model.context_window
        )));
    }
    let caches = matches!(model.family, Family::Anthropic | Family::Nova);
    let mut usage = Usage {
        input: t.total(),
        ..Usage::default()
    };
    if caches && t.prefix >= CACHE_MIN_TOKENS {
        let key = t.prefix_key ^ crate::conversation::Fnv::hash(model.id.as_bytes());
        usage.input = t.rest;
        if state.cache_hit(key) {
            usage.cache_read = t.prefix;
        } else {
            usage.cache_write = t.prefix;
        }
    }
    Ok(usage)
}
