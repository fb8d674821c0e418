//! The alternatives of a kept answer: stored with it, read back, exported.

use pretty_assertions::assert_eq;

use super::super::{MessageState, Store, StoredMessage};
use crate::conversation::{Block, Message, Role, StopReason, Usage};

fn answer(seq: u32, text: &str, model: &str) -> StoredMessage {
    StoredMessage::new(
        seq,
        Message {
            role: Role::Assistant,
            blocks: vec![Block::Text(text.into())],
            model: Some(model.into()),
        },
        5,
    )
}

fn kept() -> StoredMessage {
    StoredMessage {
        stop: Some(StopReason::EndTurn),
        usage: Some(Usage {
            input: 12,
            output: 30,
            ..Usage::default()
        }),
        alternatives: vec![
            StoredMessage {
                stop: Some(StopReason::MaxTokens),
                usage: Some(Usage {
                    input: 14,
                    output: 64,
                    cache_read: 3,
                    cache_write: 0,
                }),
                ..answer(0, "Nova's answer", "amazon.nova-lite-v1:0")
            },
            StoredMessage {
                state: MessageState::Failed,
                error: Some("Throttled by Bedrock: slow down".into()),
                ..answer(1, "", "us.meta.llama3-2-1b-instruct-v1:0")
            },
        ],
        ..answer(
            1,
            "Haiku's answer",
            "anthropic.claude-3-haiku-20240307-v1:0",
        )
    }
}

fn stored() -> (Store, super::ConversationId) {
    let mut s = Store::in_memory().unwrap();
    let id = s
        .create("Why", "anthropic.claude-3-haiku-20240307-v1:0", None, 1)
        .unwrap();
    s.put_message(id, &StoredMessage::new(0, Message::user("Why?"), 1))
        .unwrap();
    s.put_message(id, &kept()).unwrap();
    (s, id)
}

#[test]
fn alternatives_round_trip_with_their_states_usage_and_errors() {
    let (s, id) = stored();
    let conv = s.load(id).unwrap();
    assert_eq!(conv.messages[1], kept());
    assert!(conv.messages[0].alternatives.is_empty());
}

#[test]
fn escape_sequences_in_an_alternative_are_not_read_back() {
    let mut s = Store::in_memory().unwrap();
    let id = s.create("x", "m", None, 1).unwrap();
    let mut m = kept();
    m.alternatives[0].message.blocks =
        vec![Block::Text("red \u{1b}[31mtext\u{1b}]0;title\u{7}".into())];
    s.put_message(id, &m).unwrap();
    let back = s.load(id).unwrap();
    let text = back.messages[0].alternatives[0].message.text();
    assert!(
        !text.contains('\u{1b}') && !text.contains('\u{7}'),
        "{text:?}"
    );
    assert!(text.starts_with("red "), "{text:?}");
}

#[test]
fn the_json_export_lists_each_alternative_beside_the_kept_answer() {
    let (s, id) = stored();
    let json = s.export_json(id).unwrap();
    let kept = &json["messages"][1];
    assert_eq!(kept["content"][0]["text"], "Haiku's answer");
    let alternatives = kept["alternatives"].as_array().unwrap();
    assert_eq!(alternatives.len(), 2);
    assert_eq!(alternatives[0]["role"], "assistant");
    assert_eq!(alternatives[0]["model"], "amazon.nova-lite-v1:0");
    assert_eq!(alternatives[0]["content"][0]["text"], "Nova's answer");
    assert_eq!(alternatives[0]["stopReason"], "max_tokens");
    assert_eq!(alternatives[0]["usage"]["outputTokens"], 64);
    assert_eq!(alternatives[0]["usage"]["cacheReadInputTokens"], 3);
    assert_eq!(alternatives[1]["state"], "failed");
    assert_eq!(alternatives[1]["error"], "Throttled by Bedrock: slow down");
    assert!(json["messages"][0].get("alternatives").is_none());
}

#[test]
fn the_markdown_export_puts_the_alternatives_under_the_kept_answer() {
    let (s, id) = stored();
    let md = s.export_markdown(id).unwrap();
    let kept = md.find("Haiku's answer").unwrap();
    let first = md
        .find("*Alternative 1 of 2, from the comparison (not kept):*")
        .unwrap();
    let nova = md.find("### Assistant · `amazon.nova-lite-v1:0`").unwrap();
    let second = md.find("*Alternative 2 of 2").unwrap();
    assert!(kept < first && first < nova && nova < second, "{md}");
    assert!(md.contains("Throttled by Bedrock: slow down"), "{md}");
}

#[test]
fn an_unreadable_alternative_is_left_out_and_the_conversation_still_opens() {
    let (s, id) = stored();
    s.conn
        .execute(
            "UPDATE messages SET alternatives = '[{\"role\": \"nobody\"}, 3]' WHERE seq = 1",
            [],
        )
        .unwrap();
    let conv = s.load(id).unwrap();
    assert_eq!(conv.messages[1].message.text(), "Haiku's answer");
    assert!(conv.messages[1].alternatives.is_empty());
}
