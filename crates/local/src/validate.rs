//! Checks a Converse request against what its model can take, as the service does, and
//! counts the input tokens it will be billed for (prompt caching included).

use bedrock_catalog::Model;

use super::conversation::{Block, Request, Role};
use super::converse::Usage;
use super::error::ServiceError;
use super::media::rules;
use super::state::State;
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
                _ => rules::check_block(b, caps)?,
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
    rules::check_request(req)?;
    // Last: the service reads S3 objects only for a request that passed its checks.
    rules::check_found(req)
}

/// The pairing rules of tool blocks, checked as the service checks a Converse request:
/// tool blocks need a `toolConfig`, and each user message must answer, with one
/// `toolResult` per id, every `toolUse` of the assistant message before it. The
/// messages are the service's as clients quote them in GitHub issues
/// (langgenius/dify#16421, Just-Curieous/Curie#16,
/// genkit-ai/aws-bedrock-js-plugin#664); the service checks them before the roles
/// alternate, so a result sent in a message of its own is reported as missing from the
/// message before it. An assistant message that ends the conversation has nothing to
/// answer it yet, like any prefill, and passes.
pub(crate) fn check_tool_blocks(req: &Request, tool_config: bool) -> Result<()> {
    let has_tool_blocks = req
        .messages
        .iter()
        .flat_map(|m| &m.blocks)
        .any(|b| matches!(b, Block::ToolUse { .. } | Block::ToolResult { .. }));
    if has_tool_blocks && !tool_config {
        return Err(ServiceError::validation(
            "The toolConfig field must be defined when using toolUse and toolResult content blocks.",
        ));
    }
    let mut asked: Vec<&str> = Vec::new();
    for (i, m) in req.messages.iter().enumerate() {
        let answered: Vec<&str> = m.tool_results().map(|(id, _, _)| id).collect();
        if answered.len() > asked.len() {
            return Err(ServiceError::validation(format!(
                "The number of toolResult blocks at messages.{i}.content exceeds the number of toolUse blocks of previous turn."
            )));
        }
        let missing: Vec<&str> = asked
            .iter()
            .copied()
            .filter(|id| !answered.contains(id))
            .collect();
        if !missing.is_empty() {
            return Err(ServiceError::validation(format!(
                "Expected toolResult blocks at messages.{i}.content for the following Ids: {}",
                missing.join(", ")
            )));
        }
        asked = m.tool_use_ids();
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

/// Input usage of a request, with the prompt cache applied for models that cache.
pub(super) fn input_usage(state: &State, req: &Request, model: &Model) -> Result<Usage> {
    let t = tokens::input(req);
    if t.total() > model.context_window {
        return Err(ServiceError::validation(format!(
            "Input is too long for requested model. The request has {} input tokens; the model's context window is {}.",
            t.total(),
            model.context_window
        )));
    }
    super::cache::check(req, model)?;
    Ok(super::cache::usage(state, req, model, t.total()))
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use crate::converse;
    use crate::error::ErrorKind;

    fn tools() -> Value {
        json!({"tools": [{"toolSpec": {"name": "get_weather", "inputSchema": {"json": {"type": "object"}}}}]})
    }

    fn user_text(text: &str) -> Value {
        json!({"role": "user", "content": [{"text": text}]})
    }

    fn calls(ids: &[&str]) -> Value {
        let mut content = vec![json!({"text": "checking"})];
        content.extend(
            ids.iter().map(
                |id| json!({"toolUse": {"toolUseId": id, "name": "get_weather", "input": {}}}),
            ),
        );
        json!({"role": "assistant", "content": content})
    }

    fn results(ids: &[&str]) -> Value {
        let content: Vec<Value> = ids
            .iter()
            .map(|id| json!({"toolResult": {"toolUseId": id, "content": [{"text": "sunny"}]}}))
            .collect();
        json!({"role": "user", "content": content})
    }

    /// The ValidationException message a Converse body gets, or `None` when it parses.
    fn refusal(messages: Vec<Value>, tool_config: Option<Value>) -> Option<String> {
        let mut body = json!({"messages": messages});
        if let Some(tc) = tool_config {
            body["toolConfig"] = tc;
        }
        converse::parse(&body).err().map(|e| {
            assert_eq!(e.kind, ErrorKind::Validation);
            e.message
        })
    }

    #[test]
    fn a_paired_tool_conversation_is_accepted() {
        let messages = vec![
            user_text("weather in Paris and Rome?"),
            calls(&["t1", "t2"]),
            results(&["t2", "t1"]),
            json!({"role": "assistant", "content": [{"text": "sunny both"}]}),
            user_text("thanks"),
        ];
        assert_eq!(refusal(messages, Some(tools())), None);
        // A conversation may end on the assistant's calls, as a prefill.
        let prefill = vec![user_text("weather?"), calls(&["t1"])];
        assert_eq!(refusal(prefill, Some(tools())), None);
    }

    #[test]
    fn tool_blocks_need_a_tool_config() {
        let want = "The toolConfig field must be defined when using toolUse and toolResult content blocks.";
        let paired = vec![user_text("weather?"), calls(&["t1"]), results(&["t1"])];
        assert_eq!(refusal(paired, None).as_deref(), Some(want));
        let only_a_call = vec![user_text("weather?"), calls(&["t1"])];
        assert_eq!(refusal(only_a_call, None).as_deref(), Some(want));
        let only_a_result = vec![results(&["t1"])];
        assert_eq!(refusal(only_a_result, None).as_deref(), Some(want));
    }

    #[test]
    fn every_call_needs_its_result_in_the_next_message() {
        let missing_one = vec![
            user_text("weather?"),
            calls(&["t1", "t2"]),
            results(&["t1"]),
        ];
        assert_eq!(
            refusal(missing_one, Some(tools())).as_deref(),
            Some("Expected toolResult blocks at messages.2.content for the following Ids: t2")
        );
        let text_instead = vec![
            user_text("weather?"),
            calls(&["t1", "t2"]),
            user_text("well?"),
        ];
        assert_eq!(
            refusal(text_instead, Some(tools())).as_deref(),
            Some("Expected toolResult blocks at messages.2.content for the following Ids: t1, t2")
        );
        // Results sent one per message: the first message lacks the second result.
        let split = vec![
            user_text("weather?"),
            calls(&["t1", "t2"]),
            results(&["t1"]),
            results(&["t2"]),
        ];
        assert_eq!(
            refusal(split, Some(tools())).as_deref(),
            Some("Expected toolResult blocks at messages.2.content for the following Ids: t2")
        );
        let wrong_id = vec![user_text("weather?"), calls(&["t1"]), results(&["t9"])];
        assert_eq!(
            refusal(wrong_id, Some(tools())).as_deref(),
            Some("Expected toolResult blocks at messages.2.content for the following Ids: t1")
        );
        let twice = vec![
            user_text("weather?"),
            calls(&["t1", "t2"]),
            results(&["t1", "t1"]),
        ];
        assert_eq!(
            refusal(twice, Some(tools())).as_deref(),
            Some("Expected toolResult blocks at messages.2.content for the following Ids: t2")
        );
    }

    #[test]
    fn results_cannot_outnumber_the_calls_before_them() {
        let exceeds = |i: usize| {
            format!(
                "The number of toolResult blocks at messages.{i}.content exceeds the number of toolUse blocks of previous turn."
            )
        };
        let extra = vec![
            user_text("weather?"),
            calls(&["t1"]),
            results(&["t1", "t2"]),
        ];
        assert_eq!(refusal(extra, Some(tools())), Some(exceeds(2)));
        let orphan = vec![results(&["t1"])];
        assert_eq!(refusal(orphan, Some(tools())), Some(exceeds(0)));
        let after_text = vec![
            user_text("weather?"),
            json!({"role": "assistant", "content": [{"text": "no tools"}]}),
            results(&["t1"]),
        ];
        assert_eq!(refusal(after_text, Some(tools())), Some(exceeds(2)));
    }

    #[test]
    fn the_estimate_still_counts_a_conversation_the_rules_refuse() {
        let body = json!({"messages": [user_text("weather?"), calls(&["t1"]), results(&["t1"])]});
        assert!(converse::parse(&body).is_err());
        let counted = converse::input_tokens(&body).unwrap().total();
        let mut with_config = body.clone();
        with_config["toolConfig"] = json!({"tools": []});
        let without_tools = converse::input_tokens(&with_config).unwrap().total();
        assert_eq!(counted, without_tools);
    }
}
