//! Reducer tests of the native console: opening it on a model with a native format,
//! going back to chat, refusing a body that is not JSON, and sending one as a turn
//! labelled native.

use pretty_assertions::assert_eq;

use super::*;
use crate::app::{Msg, Overlay, update};

const HAIKU: &str = "us.anthropic.claude-haiku-4-5-20251001-v1:0";

fn composer(effects: &[Effect]) -> String {
    effects
        .iter()
        .find_map(|e| match e {
            Effect::SetComposer(t) => Some(t.clone()),
            _ => None,
        })
        .expect("the composer is set")
}

/// A conversation of one exchange, with a system prompt.
fn chatted() -> App {
    let mut app = App::new(HAIKU);
    app.system = Some("Answer briefly.".into());
    app.entries
        .push(Entry::new(Message::user("What is Rust?"), EntryState::Done));
    app.entries.push(Entry::new(
        Message {
            role: Role::Assistant,
            blocks: vec![crate::conversation::Block::Text("A language.".into())],
            model: Some(HAIKU.into()),
        },
        EntryState::Done,
    ));
    app
}

#[test]
fn the_console_holds_the_models_body_of_the_conversation_and_the_draft() {
    let mut app = chatted();
    let effects = update(&mut app, Msg::Native("And Go?".into()));
    let body: serde_json::Value = serde_json::from_str(&composer(&effects)).unwrap();
    assert_eq!(body["anthropic_version"], "bedrock-2023-05-31");
    assert_eq!(body["system"], "Answer briefly.");
    let messages = body["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 3);
    assert_eq!(messages[2]["role"], "user");
    assert!(body.to_string().contains("And Go?"));
    assert!(body.to_string().contains("A language."));
    let console = app.native.as_ref().unwrap();
    assert_eq!(console.draft, "And Go?");
    assert!(
        app.notice
            .as_ref()
            .unwrap()
            .text()
            .contains("InvokeModelWithResponseStream")
    );

    // Again: back to chat, with the draft given back.
    let effects = update(&mut app, Msg::Native(composer(&effects)));
    assert_eq!(composer(&effects), "And Go?");
    assert_eq!(app.native, None);
}

#[test]
fn a_model_without_a_native_text_format_is_refused() {
    let mut app = App::new("amazon.titan-embed-text-v2:0");
    let effects = update(&mut app, Msg::Submit("/native hello".into()));
    assert!(
        effects
            .iter()
            .all(|e| !matches!(e, Effect::SetComposer(t) if t.starts_with('{')))
    );
    assert_eq!(app.native, None);
    assert!(matches!(app.notice, Some(Notice::Error(_))));
}

#[test]
fn a_body_that_is_not_json_stays_in_the_composer_unsent() {
    let mut app = chatted();
    update(&mut app, Msg::Native("And Go?".into()));
    for bad in ["{\"messages\": [", "[1, 2]"] {
        let effects = update(&mut app, Msg::Submit(bad.into()));
        assert_eq!(effects, vec![Effect::SetComposer(bad.into())], "{bad}");
        assert!(app.notice.as_ref().unwrap().text().starts_with("Not sent"));
        assert_eq!(app.entries.len(), 2);
        assert!(app.native.is_some());
    }
}

#[test]
fn a_sent_body_becomes_a_native_turn() {
    let mut app = chatted();
    let effects = update(&mut app, Msg::Native("And Go?".into()));
    let body = composer(&effects);
    let effects = update(&mut app, Msg::Submit(body.clone()));
    let Some(Effect::StartNative { id, request }) = effects.last() else {
        panic!("{effects:?}");
    };
    assert_eq!(request.body, body.as_bytes());
    assert!(request.stream);
    assert_eq!(request.model_id, HAIKU);
    assert_eq!(app.turn, Some((*id, 3)));
    assert_eq!(app.entries.len(), 4);
    assert!(app.entries[2].native && app.entries[3].native);
    assert_eq!(app.entries[2].message.text(), "And Go?");
    let x = app.entries[3].exchange.as_deref().unwrap();
    assert_eq!(x.operation, "InvokeModelWithResponseStream");
    assert_eq!(app.native, None);
    assert_eq!(app.overlay, Overlay::None);

    // The answer streams in as a turn's does, and the next Converse turn carries it.
    update(
        &mut app,
        Msg::Turn {
            id: *id,
            event: crate::app::turn::TurnEvent::Text("Another language.".into()),
        },
    );
    update(&mut app, Msg::TurnDone { id: *id });
    let history = app.history();
    assert_eq!(history.len(), 4);
    assert_eq!(history[3].text(), "Another language.");
}
