//! Converse and ConverseStream through the SDK: answers, limits, tools, reasoning,
//! identifiers, prompt caching and stream events.

use aws_sdk_bedrockruntime::types::{
    AnyToolChoice, CachePointBlock, CachePointType, ContentBlock, ContentBlockDelta,
    ContentBlockStart, ConversationRole, ConverseStreamOutput, InferenceConfiguration, Message,
    StopReason, SystemContentBlock, Tool, ToolChoice, ToolConfiguration, ToolInputSchema,
    ToolResultBlock, ToolResultContentBlock, ToolSpecification,
};
use aws_smithy_types::Document;
use pretty_assertions::assert_eq;

use super::*;

fn text_of(out: &aws_sdk_bedrockruntime::operation::converse::ConverseOutput) -> String {
    let msg = out.output().unwrap().as_message().unwrap();
    msg.content()
        .iter()
        .filter_map(|b| b.as_text().ok().cloned())
        .collect()
}

#[tokio::test]
async fn converse_answers_in_markdown_about_the_question() {
    let ep = endpoint().await;
    let c = client(&ep);
    let out = c
        .converse()
        .model_id(HAIKU3)
        .messages(user("How do I parse JSON in Rust?"))
        .send()
        .await
        .unwrap();
    let text = text_of(&out);
    assert!(text.contains("parse JSON in Rust"), "{text}");
    assert!(text.contains("```rust"), "{text}");
    assert!(text.contains("\n1. "), "{text}");
    assert_eq!(out.stop_reason(), &StopReason::EndTurn);
    let usage = out.usage().unwrap();
    assert!(usage.input_tokens() > 5);
    assert!(usage.output_tokens() > 50);
    assert_eq!(
        usage.total_tokens(),
        usage.input_tokens() + usage.output_tokens()
    );

    let again = c
        .converse()
        .model_id(HAIKU3)
        .messages(user("How do I parse JSON in Rust?"))
        .send()
        .await
        .unwrap();
    assert_eq!(text_of(&again), text, "same request, same answer");
}

#[tokio::test]
async fn system_prompt_and_history_shape_the_answer() {
    let ep = endpoint().await;
    let out = client(&ep)
        .converse()
        .model_id(HAIKU3)
        .system(SystemContentBlock::Text(
            "You are a pirate. Be brief.".into(),
        ))
        .messages(user("What is a monad?"))
        .messages(assistant("A monad is a design pattern."))
        .messages(user("And a functor?"))
        .send()
        .await
        .unwrap();
    let text = text_of(&out);
    assert!(text.contains("You are a pirate"), "{text}");
    assert!(text.starts_with("_Following the system prompt"), "{text}");
    assert!(
        text.contains("In short"),
        "brief system prompt honored: {text}"
    );

    let long = client(&ep)
        .converse()
        .model_id(HAIKU3)
        .messages(user("What is a monad?"))
        .messages(assistant("A monad is a design pattern."))
        .messages(user("And a functor?"))
        .send()
        .await
        .unwrap();
    let text = text_of(&long);
    assert!(text.contains("turn 2"), "{text}");
    assert!(
        text.contains("earlier you asked about *what is a monad*"),
        "{text}"
    );
}

#[tokio::test]
async fn max_tokens_and_stop_sequences_cut_the_answer() {
    let ep = endpoint().await;
    let c = client(&ep);
    let out = c
        .converse()
        .model_id(HAIKU3)
        .messages(user("Explain borrowing in Rust"))
        .inference_config(InferenceConfiguration::builder().max_tokens(7).build())
        .send()
        .await
        .unwrap();
    assert_eq!(out.stop_reason(), &StopReason::MaxTokens);
    assert_eq!(out.usage().unwrap().output_tokens(), 7);

    let out = c
        .converse()
        .model_id(HAIKU3)
        .messages(user("Explain borrowing in Rust"))
        .inference_config(
            InferenceConfiguration::builder()
                .stop_sequences("```")
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(out.stop_reason(), &StopReason::StopSequence);
    let text = text_of(&out);
    assert!(!text.contains("```"), "{text}");
    assert!(text.ends_with("A small example in rust:\n\n"), "{text:?}");
}

pub fn weather_tool() -> Tool {
    let schema: Document = serde_json_to_document(serde_json::json!({
        "type": "object",
        "properties": {
            "city": {"type": "string", "description": "City name"},
            "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}
        },
        "required": ["city", "unit"]
    }));
    Tool::ToolSpec(
        ToolSpecification::builder()
            .name("get_weather")
            .description("Get the current weather for a city")
            .input_schema(ToolInputSchema::Json(schema))
            .build()
            .unwrap(),
    )
}

pub fn serde_json_to_document(v: serde_json::Value) -> Document {
    bedrock_tui::bedrock::document(&v)
}

#[tokio::test]
async fn tool_use_round_trip() {
    let ep = endpoint().await;
    let c = client(&ep);
    let tools = ToolConfiguration::builder()
        .tools(weather_tool())
        .build()
        .unwrap();
    let question = user("What's the weather in Paris in celsius?");
    let out = c
        .converse()
        .model_id(HAIKU3)
        .messages(question.clone())
        .tool_config(tools.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(out.stop_reason(), &StopReason::ToolUse);
    let msg = out.output().unwrap().as_message().unwrap().clone();
    let tool_use = msg
        .content()
        .iter()
        .find_map(|b| b.as_tool_use().ok())
        .expect("a toolUse block")
        .clone();
    assert_eq!(tool_use.name(), "get_weather");
    assert!(tool_use.tool_use_id().starts_with("tooluse_"));
    let input = tool_use.input().as_object().unwrap();
    assert_eq!(input.get("city"), Some(&Document::String("Paris".into())));
    assert_eq!(input.get("unit"), Some(&Document::String("celsius".into())));

    let result = Message::builder()
        .role(ConversationRole::User)
        .content(ContentBlock::ToolResult(
            ToolResultBlock::builder()
                .tool_use_id(tool_use.tool_use_id())
                .content(ToolResultContentBlock::Text("18 degrees and sunny".into()))
                .build()
                .unwrap(),
        ))
        .build()
        .unwrap();
    let out = c
        .converse()
        .model_id(HAIKU3)
        .messages(question)
        .messages(msg)
        .messages(result)
        .tool_config(tools)
        .send()
        .await
        .unwrap();
    assert_eq!(out.stop_reason(), &StopReason::EndTurn);
    let text = text_of(&out);
    assert!(text.contains("`get_weather` tool returned"), "{text}");
    assert!(text.contains("18 degrees and sunny"), "{text}");
}

#[tokio::test]
async fn tool_choice_any_forces_a_call() {
    let ep = endpoint().await;
    let out = client(&ep)
        .converse()
        .model_id(HAIKU3)
        .messages(user("Tell me a joke"))
        .tool_config(
            ToolConfiguration::builder()
                .tools(weather_tool())
                .tool_choice(ToolChoice::Any(AnyToolChoice::builder().build()))
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(out.stop_reason(), &StopReason::ToolUse);
    let without = client(&ep)
        .converse()
        .model_id(HAIKU3)
        .messages(user("Tell me a joke"))
        .tool_config(
            ToolConfiguration::builder()
                .tools(weather_tool())
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        without.stop_reason(),
        &StopReason::EndTurn,
        "auto does not call an unrelated tool"
    );
}

fn thinking(budget: u64) -> Document {
    serde_json_to_document(
        serde_json::json!({"thinking": {"type": "enabled", "budget_tokens": budget}}),
    )
}

#[tokio::test]
async fn reasoning_is_returned_with_a_signature() {
    let ep = endpoint().await;
    let out = client(&ep)
        .converse()
        .model_id(format!("us.{SONNET45}"))
        .messages(user("Why is the sky blue?"))
        .additional_model_request_fields(thinking(2048))
        .inference_config(InferenceConfiguration::builder().max_tokens(4096).build())
        .send()
        .await
        .unwrap();
    let msg = out.output().unwrap().as_message().unwrap();
    let reasoning = msg.content()[0].as_reasoning_content().unwrap();
    let rt = reasoning.as_reasoning_text().unwrap();
    assert!(rt.text().contains("sky blue"), "{}", rt.text());
    assert!(rt.signature().is_some_and(|s| s.len() > 40));

    let err = client(&ep)
        .converse()
        .model_id(format!("us.{SONNET45}"))
        .messages(user("Why is the sky blue?"))
        .additional_model_request_fields(thinking(2048))
        .inference_config(InferenceConfiguration::builder().max_tokens(1000).build())
        .send()
        .await
        .unwrap_err();
    assert_eq!(code_of(&err).0, "ValidationException");
}

#[tokio::test]
async fn every_identifier_form_and_its_errors() {
    let ep = endpoint().await;
    let c = client(&ep);
    for id in [
        HAIKU3.to_owned(),
        format!("arn:aws:bedrock:us-east-1::foundation-model/{HAIKU3}"),
        format!("us.{SONNET45}"),
        format!("global.{SONNET45}"),
        format!("arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.{SONNET45}"),
    ] {
        let out = c
            .converse()
            .model_id(&id)
            .messages(user("hello"))
            .send()
            .await;
        assert!(out.is_ok(), "{id}: {:?}", out.err());
    }
    let err = c
        .converse()
        .model_id(SONNET45)
        .messages(user("hello"))
        .send()
        .await
        .unwrap_err();
    let (code, msg) = code_of(&err);
    assert_eq!(code, "ValidationException");
    assert_eq!(
        msg,
        format!(
            "Invocation of model ID {SONNET45} with on-demand throughput isn\u{2019}t supported. Retry your request with the ID or ARN of an inference profile that contains this model."
        )
    );
    for bad in [
        "anthropic.claude-nonexistent-v9:0",
        &format!("eu.{SONNET45}"),
        "arn:aws:bedrock:us-east-1:1:provisioned-model/abc",
    ] {
        let err = c
            .converse()
            .model_id(bad)
            .messages(user("hello"))
            .send()
            .await
            .unwrap_err();
        assert_eq!(
            code_of(&err),
            (
                "ValidationException".into(),
                "The provided model identifier is invalid.".into()
            ),
            "{bad}"
        );
    }
    // A geo profile works from a region of its geography.
    let eu = client_for(&ep, "eu-west-1");
    assert!(
        eu.converse()
            .model_id(format!("eu.{SONNET45}"))
            .messages(user("hello"))
            .send()
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn prompt_cache_writes_then_reads() {
    let ep = endpoint().await;
    let c = client(&ep);
    let long_system = "Rules of the house. ".repeat(400);
    let send = || {
        c.converse()
            .model_id(format!("us.{SONNET45}"))
            .system(SystemContentBlock::Text(long_system.clone()))
            .system(SystemContentBlock::CachePoint(
                CachePointBlock::builder()
                    .r#type(CachePointType::Default)
                    .build()
                    .unwrap(),
            ))
            .messages(user("Summarize the rules"))
            .send()
    };
    let first = send().await.unwrap();
    let u1 = first.usage().unwrap();
    assert!(u1.cache_write_input_tokens().unwrap() >= 1024);
    assert_eq!(u1.cache_read_input_tokens(), Some(0));
    let second = send().await.unwrap();
    let u2 = second.usage().unwrap();
    assert_eq!(u2.cache_read_input_tokens(), u1.cache_write_input_tokens());
    assert_eq!(u2.cache_write_input_tokens(), Some(0));
    assert_eq!(u2.input_tokens(), u1.input_tokens());
    assert_eq!(
        u2.total_tokens(),
        u2.input_tokens() + u2.output_tokens() + u2.cache_read_input_tokens().unwrap()
    );
}

/// Collects a ConverseStream into (text, reasoning, tool input, stop reason, usage).
pub async fn collect_stream(
    mut out: aws_sdk_bedrockruntime::operation::converse_stream::ConverseStreamOutput,
) -> (
    String,
    String,
    String,
    Option<StopReason>,
    Option<aws_sdk_bedrockruntime::types::TokenUsage>,
    Vec<String>,
) {
    let (mut text, mut reasoning, mut tool, mut stop, mut usage, mut events) = (
        String::new(),
        String::new(),
        String::new(),
        None,
        None,
        Vec::new(),
    );
    while let Some(ev) = out.stream.recv().await.unwrap() {
        match ev {
            ConverseStreamOutput::MessageStart(_) => events.push("messageStart".into()),
            ConverseStreamOutput::ContentBlockStart(s) => {
                if let Some(ContentBlockStart::ToolUse(t)) = s.start() {
                    events.push(format!("toolStart:{}", t.name()));
                }
            }
            ConverseStreamOutput::ContentBlockDelta(d) => match d.delta() {
                Some(ContentBlockDelta::Text(t)) => text.push_str(t),
                Some(ContentBlockDelta::ToolUse(t)) => tool.push_str(t.input()),
                Some(ContentBlockDelta::ReasoningContent(r)) => {
                    if let Ok(t) = r.as_text() {
                        reasoning.push_str(t)
                    } else if r.is_signature() {
                        events.push("signature".into());
                    }
                }
                _ => {}
            },
            ConverseStreamOutput::ContentBlockStop(_) => events.push("blockStop".into()),
            ConverseStreamOutput::MessageStop(s) => {
                stop = Some(s.stop_reason().clone());
                events.push("messageStop".into());
            }
            ConverseStreamOutput::Metadata(m) => {
                usage = m.usage().cloned();
                assert!(m.metrics().is_some());
                events.push("metadata".into());
            }
            other => panic!("unexpected event {other:?}"),
        }
    }
    (text, reasoning, tool, stop, usage, events)
}

#[tokio::test]
async fn stream_matches_the_non_streaming_answer() {
    let ep = endpoint().await;
    let c = client(&ep);
    let whole = c
        .converse()
        .model_id(HAIKU3)
        .messages(user("Compare tabs vs spaces"))
        .send()
        .await
        .unwrap();
    let streamed = c
        .converse_stream()
        .model_id(HAIKU3)
        .messages(user("Compare tabs vs spaces"))
        .send()
        .await
        .unwrap();
    let (text, _, _, stop, usage, events) = collect_stream(streamed).await;
    assert_eq!(text, text_of(&whole));
    assert!(
        text.contains("| Term |"),
        "a table for a comparison: {text}"
    );
    assert_eq!(stop, Some(StopReason::EndTurn));
    assert_eq!(usage.as_ref(), whole.usage());
    assert_eq!(events.first().map(String::as_str), Some("messageStart"));
    assert_eq!(
        &events[events.len() - 3..],
        ["blockStop", "messageStop", "metadata"]
    );
}

#[tokio::test]
async fn stream_tool_use_and_reasoning() {
    let ep = endpoint().await;
    let c = client(&ep);
    let streamed = c
        .converse_stream()
        .model_id(format!("us.{SONNET45}"))
        .messages(user("What's the weather in Tokyo in fahrenheit?"))
        .tool_config(
            ToolConfiguration::builder()
                .tools(weather_tool())
                .build()
                .unwrap(),
        )
        .additional_model_request_fields(thinking(1024))
        .send()
        .await
        .unwrap();
    let (_, reasoning, tool, stop, _, events) = collect_stream(streamed).await;
    assert!(reasoning.contains("get_weather"), "{reasoning}");
    assert!(events.contains(&"signature".to_owned()));
    assert!(events.contains(&"toolStart:get_weather".to_owned()));
    let input: serde_json::Value = serde_json::from_str(&tool).unwrap();
    assert_eq!(
        input,
        serde_json::json!({"city": "Tokyo", "unit": "fahrenheit"})
    );
    assert_eq!(stop, Some(StopReason::ToolUse));

    let err = c
        .converse_stream()
        .model_id("us.meta.llama3-1-8b-instruct-v1:0")
        .messages(user("What's the weather in Tokyo?"))
        .tool_config(
            ToolConfiguration::builder()
                .tools(weather_tool())
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        code_of(&err),
        (
            "ValidationException".into(),
            "This model doesn't support tool use in streaming mode.".into()
        )
    );
}

#[tokio::test]
async fn length_directive_gives_exactly_that_many_tokens() {
    let ep = endpoint().await;
    let out = client(&ep)
        .converse()
        .model_id(format!("us.{SONNET45}"))
        .messages(user("Write at length [[tokens:5000]]"))
        .send()
        .await
        .unwrap();
    assert_eq!(out.usage().unwrap().output_tokens(), 5000);
    assert_eq!(out.stop_reason(), &StopReason::EndTurn);
    let text = text_of(&out);
    assert!(!text.contains("[[tokens"), "directives are not echoed");
    assert!(text.contains("### Section 1"));
}
