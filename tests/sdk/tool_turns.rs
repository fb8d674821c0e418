//! The tool-use rules of a conversation, through the SDK: tool blocks need a
//! toolConfig, every call its result in the next message, and no result may outnumber
//! the calls, on Converse, ConverseStream and CountTokens alike; the request log tells
//! each message's block kinds.

use aws_sdk_bedrockruntime::types::{
    ContentBlock, ConversationRole, ConverseTokensRequest, CountTokensInput, Message,
    ToolConfiguration, ToolResultBlock, ToolResultContentBlock, ToolUseBlock,
};
use aws_smithy_types::Document;
use pretty_assertions::assert_eq;

use super::converse::weather_tool;
use super::*;

const HAIKU45: &str = "anthropic.claude-haiku-4-5-20251001-v1:0";

const NO_TOOL_CONFIG: &str =
    "The toolConfig field must be defined when using toolUse and toolResult content blocks.";

fn tools() -> ToolConfiguration {
    ToolConfiguration::builder()
        .tools(weather_tool())
        .build()
        .unwrap()
}

fn calls(ids: &[&str]) -> Message {
    let mut m = Message::builder()
        .role(ConversationRole::Assistant)
        .content(ContentBlock::Text("Checking.".into()));
    for id in ids {
        let input = Document::Object(
            [
                ("city".to_owned(), Document::String("Paris".into())),
                ("unit".to_owned(), Document::String("celsius".into())),
            ]
            .into(),
        );
        m = m.content(ContentBlock::ToolUse(
            ToolUseBlock::builder()
                .tool_use_id(*id)
                .name("get_weather")
                .input(input)
                .build()
                .unwrap(),
        ));
    }
    m.build().unwrap()
}

fn results(ids: &[&str]) -> Message {
    let mut m = Message::builder().role(ConversationRole::User);
    for id in ids {
        m = m.content(ContentBlock::ToolResult(
            ToolResultBlock::builder()
                .tool_use_id(*id)
                .content(ToolResultContentBlock::Text("18 degrees".into()))
                .build()
                .unwrap(),
        ));
    }
    m.build().unwrap()
}

fn conversation(ids_called: &[&str], ids_answered: &[&str]) -> Vec<Message> {
    vec![
        user("What's the weather in Paris in celsius?"),
        calls(ids_called),
        results(ids_answered),
    ]
}

/// The code and message each operation answers `messages` with: Converse,
/// ConverseStream and CountTokens (`None` when it succeeds).
async fn answers(
    c: &Client,
    messages: &[Message],
    tool_config: Option<ToolConfiguration>,
) -> [Option<(String, String)>; 3] {
    let converse = c
        .converse()
        .model_id(HAIKU3)
        .set_messages(Some(messages.to_vec()))
        .set_tool_config(tool_config.clone())
        .send()
        .await
        .err()
        .map(|e| code_of(&e));
    let stream = c
        .converse_stream()
        .model_id(HAIKU3)
        .set_messages(Some(messages.to_vec()))
        .set_tool_config(tool_config.clone())
        .send()
        .await
        .err()
        .map(|e| code_of(&e));
    let count = c
        .count_tokens()
        .model_id(HAIKU45)
        .input(CountTokensInput::Converse(
            ConverseTokensRequest::builder()
                .set_messages(Some(messages.to_vec()))
                .set_tool_config(tool_config)
                .build(),
        ))
        .send()
        .await
        .err()
        .map(|e| code_of(&e));
    [converse, stream, count]
}

fn refused(message: &str) -> [Option<(String, String)>; 3] {
    let e = Some(("ValidationException".to_owned(), message.to_owned()));
    [e.clone(), e.clone(), e]
}

#[tokio::test]
async fn a_paired_tool_conversation_is_accepted_everywhere() {
    let ep = endpoint().await;
    let c = client(&ep);
    let messages = conversation(&["tooluse_a", "tooluse_b"], &["tooluse_b", "tooluse_a"]);
    assert_eq!(
        answers(&c, &messages, Some(tools())).await,
        [None, None, None]
    );
    let out = c
        .converse()
        .model_id(HAIKU3)
        .set_messages(Some(messages))
        .tool_config(tools())
        .send()
        .await
        .unwrap();
    let text: String = out
        .output()
        .unwrap()
        .as_message()
        .unwrap()
        .content()
        .iter()
        .filter_map(|b| b.as_text().ok().cloned())
        .collect();
    assert!(text.contains("18 degrees"), "the results are read: {text}");
}

#[tokio::test]
async fn tool_blocks_without_a_tool_config_are_refused() {
    let ep = endpoint().await;
    let c = client(&ep);
    let messages = conversation(&["tooluse_a"], &["tooluse_a"]);
    assert_eq!(answers(&c, &messages, None).await, refused(NO_TOOL_CONFIG));
}

#[tokio::test]
async fn a_call_left_unanswered_is_refused() {
    let ep = endpoint().await;
    let c = client(&ep);
    let messages = conversation(&["tooluse_a", "tooluse_b"], &["tooluse_a"]);
    assert_eq!(
        answers(&c, &messages, Some(tools())).await,
        refused(
            "Expected toolResult blocks at messages.2.content for the following Ids: tooluse_b"
        )
    );
    let messages = vec![
        user("What's the weather in Paris in celsius?"),
        calls(&["tooluse_a", "tooluse_b"]),
        user("Never mind."),
    ];
    assert_eq!(
        answers(&c, &messages, Some(tools())).await,
        refused(
            "Expected toolResult blocks at messages.2.content for the following Ids: tooluse_a, tooluse_b"
        )
    );
    let messages = conversation(&["tooluse_a"], &["tooluse_z"]);
    assert_eq!(
        answers(&c, &messages, Some(tools())).await,
        refused(
            "Expected toolResult blocks at messages.2.content for the following Ids: tooluse_a"
        )
    );
}

#[tokio::test]
async fn more_results_than_calls_are_refused() {
    let ep = endpoint().await;
    let c = client(&ep);
    let messages = conversation(&["tooluse_a"], &["tooluse_a", "tooluse_b"]);
    assert_eq!(
        answers(&c, &messages, Some(tools())).await,
        refused(
            "The number of toolResult blocks at messages.2.content exceeds the number of toolUse blocks of previous turn."
        )
    );
    let messages = vec![results(&["tooluse_a"])];
    assert_eq!(
        answers(&c, &messages, Some(tools())).await,
        refused(
            "The number of toolResult blocks at messages.0.content exceeds the number of toolUse blocks of previous turn."
        )
    );
}

#[tokio::test]
async fn the_request_log_tells_each_messages_block_kinds() {
    let ep = endpoint().await;
    let c = client(&ep);
    let messages = conversation(&["tooluse_a"], &["tooluse_a"]);
    c.converse()
        .model_id(HAIKU3)
        .set_messages(Some(messages.clone()))
        .tool_config(tools())
        .send()
        .await
        .unwrap();
    c.converse_stream()
        .model_id(HAIKU3)
        .set_messages(Some(messages))
        .send()
        .await
        .unwrap_err();
    let log = super::jobs::request_log(&ep).await;
    let seen: Vec<_> = log["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["operation"].clone(),
                e["status"].clone(),
                e["roles"].clone(),
                e["blocks"].clone(),
            )
        })
        .collect();
    let roles = serde_json::json!(["user", "assistant", "user"]);
    let blocks = serde_json::json!([["text"], ["text", "toolUse"], ["toolResult"]]);
    assert_eq!(
        seen,
        [
            ("Converse".into(), 200.into(), roles.clone(), blocks.clone()),
            ("ConverseStream".into(), 400.into(), roles, blocks),
        ]
    );
}
