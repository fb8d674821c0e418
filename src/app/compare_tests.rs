//! Reducer tests of the comparison: start, interleaved streams, a failure, stopping,
//! keeping one answer, leaving it, and a conversation with alternatives resumed.

use pretty_assertions::assert_eq;

use super::*;
use crate::app::msg::Msg;
use crate::app::update::update;
use crate::conversation::{Block, StopReason, Usage};

const HAIKU: &str = "anthropic.claude-3-haiku-20240307-v1:0";
const NOVA: &str = "amazon.nova-lite-v1:0";
const MISTRAL: &str = "mistral.mistral-large-2402-v1:0";
const JAMBA: &str = "ai21.jamba-1-5-mini-v1:0";

fn app() -> App {
    let mut app = App::new(HAIKU);
    app.entries
        .push(Entry::new(Message::user("Hi"), EntryState::Done));
    let mut a = Entry::new(
        Message {
            role: Role::Assistant,
            blocks: vec![Block::Text("Hello.".into())],
            model: Some(HAIKU.into()),
        },
        EntryState::Done,
    );
    a.stop = Some(StopReason::EndTurn);
    app.entries.push(a);
    app
}

/// The turns `/compare` started, with their requests, in column order.
fn starts(effects: &[Effect]) -> Vec<(TurnId, TurnRequest)> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::StartTurn { id, request } => Some((*id, request.clone())),
            _ => None,
        })
        .collect()
}

fn text(id: TurnId, t: &str) -> Msg {
    Msg::Turn {
        id,
        event: TurnEvent::Text(t.into()),
    }
}

fn ends(app: &mut App, id: TurnId, output: u32) {
    for event in [
        TurnEvent::Stop(StopReason::EndTurn),
        TurnEvent::Metadata {
            usage: Usage {
                input: 10,
                output,
                ..Usage::default()
            },
            latency_ms: 5,
        },
    ] {
        update(app, Msg::Turn { id, event });
    }
    update(app, Msg::TurnDone { id });
}

/// Sends `/compare ARG`; the turns it started, in column order.
fn compare(app: &mut App, arg: &str) -> Vec<TurnId> {
    let effects = update(app, Msg::Submit(format!("/compare {arg}")));
    starts(&effects).into_iter().map(|(id, _)| id).collect()
}

/// Each turn answers `text` and ends.
fn answer_all(app: &mut App, ids: &[TurnId], text: &str) {
    for id in ids {
        update(app, self::text(*id, text));
        ends(app, *id, 1);
    }
}

fn column_text(app: &App, i: usize) -> String {
    app.compare.as_ref().unwrap().columns[i]
        .entry
        .message
        .text()
}

#[test]
fn start_sends_the_conversation_to_every_model_at_once() {
    let mut app = app();
    let effects = update(
        &mut app,
        Msg::Submit(format!(
            "/compare {NOVA} {MISTRAL},{JAMBA} {HAIKU} Which is best?\nBe brief."
        )),
    );
    let started = starts(&effects);
    let models: Vec<&str> = started.iter().map(|(_, r)| r.model_id.as_str()).collect();
    assert_eq!(models, vec![NOVA, MISTRAL, JAMBA, HAIKU]);
    let ids: std::collections::BTreeSet<TurnId> = started.iter().map(|(id, _)| *id).collect();
    assert_eq!(ids.len(), 4, "each column streams as a turn of its own");
    for (_, r) in &started {
        let sent: Vec<String> = r.messages.iter().map(Message::text).collect();
        assert_eq!(sent, vec!["Hi", "Hello.", "Which is best?\nBe brief."]);
    }
    // The question joins the conversation; the answers stay beside it.
    assert_eq!(app.entries.len(), 3);
    assert_eq!(app.entries[2].message.text(), "Which is best?\nBe brief.");
    assert!(effects.contains(&Effect::Save(Save::Entry(2))));
    assert!(effects.contains(&Effect::SetComposer(String::new())));
    let cmp = app.compare.as_ref().unwrap();
    assert_eq!(cmp.question, 2);
    assert!(cmp.streaming() && app.busy() && app.streaming());
    // Nothing else is sent while it is open.
    let refused = update(&mut app, Msg::Submit("Another?".into()));
    assert_eq!(refused, vec![Effect::SetComposer("Another?".into())]);
    assert_eq!(app.entries.len(), 3);
}

#[test]
fn a_system_prompt_goes_in_the_first_message_of_a_model_without_one() {
    let mut app = app();
    app.system = Some("Answer in French.".into());
    let effects = update(
        &mut app,
        Msg::Submit(format!(
            "/compare {HAIKU} amazon.titan-text-express-v1 Why?"
        )),
    );
    let started = starts(&effects);
    assert_eq!(started[0].1.system.as_deref(), Some("Answer in French."));
    assert_eq!(started[1].1.system, None);
    assert!(
        started[1].1.messages[0]
            .text()
            .contains("Answer in French.")
    );
    // The conversation on screen is not rewritten for either.
    assert_eq!(app.entries[0].message.text(), "Hi");
    assert_eq!(app.system.as_deref(), Some("Answer in French."));
}

#[test]
fn bad_commands_change_nothing_and_say_why() {
    for (arg, why) in [
        (format!("{NOVA} Why?"), "2 to 4 models, 1 given"),
        (format!("{NOVA} {HAIKU}"), "type the question"),
        (format!("{NOVA} {NOVA} Why?"), "named twice"),
        (
            format!("{NOVA} anthropic.claude-3-haiku-2024 Why?"),
            "unknown model",
        ),
        (
            format!("{NOVA},{HAIKU},{MISTRAL},{JAMBA},amazon.nova-pro-v1:0 Why?"),
            "5 given",
        ),
    ] {
        let mut app = app();
        let before = app.clone();
        let typed = format!("/compare {arg}");
        let effects = update(&mut app, Msg::Submit(typed.clone()));
        assert_eq!(effects, vec![Effect::SetComposer(typed)], "{arg}");
        let said = app.notice.as_ref().unwrap().text().to_owned();
        assert!(said.contains(why), "{arg}: {said}");
        assert_eq!(app.entries, before.entries);
        assert!(app.compare.is_none());
    }
}

#[test]
fn events_of_four_interleaved_turns_go_to_their_columns_and_one_failure_stops_no_other() {
    let mut app = app();
    let ids = compare(&mut app, &format!("{NOVA} {MISTRAL} {JAMBA} {HAIKU} Why?"));
    for round in 0..3 {
        for (i, id) in ids.iter().enumerate().rev() {
            update(&mut app, text(*id, &format!("{i}.{round} ")));
        }
    }
    update(
        &mut app,
        Msg::TurnFailed {
            id: ids[1],
            error: BedrockError::Throttled {
                message: "Too many requests".into(),
                retried: true,
                on_profile: false,
            },
        },
    );
    // Late events of the failed turn change nothing.
    update(&mut app, text(ids[1], "late"));
    for (i, id) in ids.iter().enumerate() {
        if i != 1 {
            ends(&mut app, *id, 7 + i as u32);
        }
    }
    for i in [0, 2, 3] {
        assert_eq!(column_text(&app, i), format!("{i}.0 {i}.1 {i}.2 "));
        let col = &app.compare.as_ref().unwrap().columns[i];
        assert_eq!(col.entry.state, EntryState::Done);
        assert_eq!(col.entry.usage.unwrap().output, 7 + i as u32);
    }
    let failed = &app.compare.as_ref().unwrap().columns[1];
    assert_eq!(column_text(&app, 1), "1.0 1.1 1.2 ");
    assert!(matches!(
        failed.entry.state,
        EntryState::Failed(BedrockError::Throttled { .. })
    ));
    assert!(!app.streaming());
    assert!(
        app.notice
            .as_ref()
            .unwrap()
            .text()
            .contains("3 of 4 answers")
    );
    // No failover for a compared answer: nothing was sent again.
    assert!(app.routing.current.is_none());
    // The conversation is untouched until one is kept.
    assert_eq!(app.entries.len(), 3);
    // A failed answer cannot be kept.
    update(&mut app, Msg::Compare(CompareKey::Select(1)));
    assert!(update(&mut app, Msg::Compare(CompareKey::Keep)).is_empty());
    assert!(app.compare.is_some());
}

#[test]
fn esc_stops_every_answer_still_streaming_and_keeps_what_came() {
    let mut app = app();
    let ids = compare(&mut app, &format!("{NOVA} {MISTRAL} {HAIKU} Why?"));
    update(&mut app, text(ids[0], "Because"));
    ends(&mut app, ids[2], 3);
    let effects = update(&mut app, Msg::Compare(CompareKey::Back));
    assert_eq!(
        effects,
        vec![Effect::CancelTurn(ids[0]), Effect::CancelTurn(ids[1])]
    );
    let cmp = app.compare.as_ref().unwrap();
    assert_eq!(cmp.columns[0].entry.state, EntryState::Cancelled);
    assert_eq!(cmp.columns[0].entry.message.text(), "Because");
    assert_eq!(cmp.columns[1].entry.state, EntryState::Cancelled);
    assert_eq!(cmp.columns[2].entry.state, EntryState::Done);
    assert!(!app.streaming());
    // A stopped answer with text can be kept; the one stopped before any cannot.
    update(&mut app, Msg::Compare(CompareKey::Next));
    assert!(update(&mut app, Msg::Compare(CompareKey::Keep)).is_empty());
    assert!(app.compare.is_some());
}

#[test]
fn keeping_an_answer_of_another_model_asks_which_model_goes_on() {
    let mut app = app();
    let ids = compare(&mut app, &format!("{NOVA} {MISTRAL} {HAIKU} Why?"));
    for (i, id) in ids.iter().enumerate() {
        update(&mut app, text(*id, &format!("answer {i}")));
        ends(&mut app, *id, 5);
    }
    update(&mut app, Msg::Compare(CompareKey::Next));
    assert!(update(&mut app, Msg::Compare(CompareKey::Keep)).is_empty());
    assert!(app.compare.as_ref().unwrap().confirm);
    update(&mut app, Msg::Compare(CompareKey::Back));
    assert!(!app.compare.as_ref().unwrap().confirm);
    update(&mut app, Msg::Compare(CompareKey::Keep));
    let effects = update(&mut app, Msg::Compare(CompareKey::Keep));
    assert!(app.compare.is_none());
    assert_eq!(app.model, MISTRAL);
    assert_eq!(app.entries.len(), 4);
    let kept = &app.entries[3];
    assert_eq!(kept.message.text(), "answer 1");
    assert_eq!(kept.message.model.as_deref(), Some(MISTRAL));
    let alternatives: Vec<(Option<&str>, String)> = (kept.alternatives.iter())
        .map(|a| (a.message.model.as_deref(), a.message.text()))
        .collect();
    assert_eq!(
        alternatives,
        vec![
            (Some(NOVA), "answer 0".to_owned()),
            (Some(HAIKU), "answer 2".to_owned())
        ]
    );
    assert!(effects.contains(&Effect::Save(Save::Entry(3))));
    // The next turn carries the kept answer, never the alternatives.
    let (_, request) = starts(&update(&mut app, Msg::Submit("And then?".into())))
        .pop()
        .unwrap();
    assert_eq!(request.model_id, MISTRAL);
    let sent: Vec<String> = request.messages.iter().map(Message::text).collect();
    assert_eq!(sent, vec!["Hi", "Hello.", "Why?", "answer 1", "And then?"]);
}

#[test]
fn c_keeps_the_answer_and_goes_on_with_the_current_model() {
    let mut app = app();
    let ids = compare(&mut app, &format!("{NOVA} {MISTRAL} Why?"));
    answer_all(&mut app, &ids, "yes");
    // `c` means nothing until the question is asked.
    assert!(update(&mut app, Msg::Compare(CompareKey::KeepCurrent)).is_empty());
    assert!(app.compare.is_some());
    update(&mut app, Msg::Compare(CompareKey::Keep));
    update(&mut app, Msg::Compare(CompareKey::KeepCurrent));
    assert!(app.compare.is_none());
    assert_eq!(app.model, HAIKU);
    assert_eq!(app.entries[3].message.model.as_deref(), Some(NOVA));
    assert_eq!(app.entries[3].alternatives.len(), 1);
}

#[test]
fn discarding_removes_the_question_and_puts_the_command_back() {
    let mut app = app();
    let ids = compare(&mut app, &format!("{NOVA} {MISTRAL} What now?"));
    update(&mut app, text(ids[0], "partial"));
    let effects = update(&mut app, Msg::Compare(CompareKey::Discard));
    assert!(effects.contains(&Effect::CancelTurn(ids[0])));
    assert!(effects.contains(&Effect::Save(Save::Truncate(2))));
    assert!(effects.contains(&Effect::SetComposer(format!(
        "/compare {NOVA} {MISTRAL} What now?"
    ))));
    assert!(app.compare.is_none());
    assert_eq!(app.entries.len(), 2);
    assert!(!app.busy());
}

#[test]
fn quitting_mid_comparison_keeps_the_selected_answer_and_the_others() {
    let mut app = app();
    let ids = compare(&mut app, &format!("{NOVA} {MISTRAL} Why?"));
    update(&mut app, text(ids[0], "first"));
    update(&mut app, text(ids[1], "second"));
    update(&mut app, Msg::Compare(CompareKey::Select(1)));
    let effects = update(&mut app, Msg::Quit);
    assert!(effects.contains(&Effect::CancelTurn(ids[0])));
    assert!(effects.contains(&Effect::CancelTurn(ids[1])));
    assert!(effects.contains(&Effect::Save(Save::Entry(3))));
    assert_eq!(app.entries[3].message.text(), "second");
    assert_eq!(app.entries[3].state, EntryState::Interrupted);
    assert_eq!(app.entries[3].alternatives[0].message.text(), "first");
    assert_eq!(
        app.entries[3].alternatives[0].state,
        EntryState::Interrupted
    );
}

#[test]
fn a_new_conversation_keeps_the_comparison_in_the_old_one() {
    let mut app = app();
    let ids = compare(&mut app, &format!("{NOVA} {MISTRAL} Why?"));
    answer_all(&mut app, &ids, "so");
    let effects = update(&mut app, Msg::Submit("/new".into()));
    let save = effects
        .iter()
        .position(|e| *e == Effect::Save(Save::Entry(3)));
    let new = effects.iter().position(|e| *e == Effect::Save(Save::New));
    assert!(save.unwrap() < new.unwrap(), "{effects:?}");
    assert!(app.compare.is_none() && app.entries.is_empty());
}

#[test]
fn a_resumed_conversation_shows_the_alternatives_and_sends_only_the_kept_answer() {
    use crate::store::{ConversationId, MessageState, StoredConversation, StoredMessage};
    let answer = |text: &str, model: &str| Message {
        role: Role::Assistant,
        blocks: vec![Block::Text(text.into())],
        model: Some(model.into()),
    };
    let kept = StoredMessage {
        alternatives: vec![
            StoredMessage::new(0, answer("Nova says", NOVA), 2),
            StoredMessage {
                state: MessageState::Failed,
                error: Some("Throttled".into()),
                ..StoredMessage::new(1, answer("", MISTRAL), 2)
            },
        ],
        ..StoredMessage::new(1, answer("Haiku says", HAIKU), 2)
    };
    let conv = StoredConversation {
        id: ConversationId(1),
        title: "Why".into(),
        model: HAIKU.into(),
        system: None,
        created_ms: 1,
        updated_ms: 2,
        messages: vec![StoredMessage::new(0, Message::user("Why?"), 1), kept],
    };
    let mut app = App::new(NOVA);
    update(&mut app, Msg::ConversationLoaded(Ok(conv)));
    assert_eq!(app.model, HAIKU);
    let alternatives = &app.entries[1].alternatives;
    assert_eq!(alternatives.len(), 2);
    assert_eq!(alternatives[0].message.text(), "Nova says");
    assert!(matches!(alternatives[1].state, EntryState::Failed(_)));
    let (_, request) = starts(&update(&mut app, Msg::Submit("More?".into())))
        .pop()
        .unwrap();
    let sent: Vec<String> = request.messages.iter().map(Message::text).collect();
    assert_eq!(sent, vec!["Why?", "Haiku says", "More?"]);
    // `/alternatives` shows them in full, and folds them again.
    update(&mut app, Msg::Submit("/alternatives".into()));
    assert!(app.alternatives);
    update(&mut app, Msg::Submit("/alternatives".into()));
    assert!(!app.alternatives);
}

#[test]
fn a_kept_answer_that_calls_tools_runs_them_as_any_answer_does() {
    let mut app = app();
    let ids = compare(&mut app, &format!("{HAIKU} {NOVA} What time is it?"));
    update(
        &mut app,
        Msg::Turn {
            id: ids[0],
            event: TurnEvent::ToolUseStart {
                id: "t1".into(),
                name: "clock".into(),
            },
        },
    );
    for event in [
        TurnEvent::ToolUseInput("{}".into()),
        TurnEvent::BlockStop,
        TurnEvent::Stop(StopReason::ToolUse),
    ] {
        update(&mut app, Msg::Turn { id: ids[0], event });
    }
    update(&mut app, Msg::TurnDone { id: ids[0] });
    ends(&mut app, ids[1], 2);
    let effects = update(&mut app, Msg::Compare(CompareKey::Keep));
    assert!(app.compare.is_none());
    // No tool is named "clock": the call is answered with that error and the result
    // goes back to the model at once, as in a chat.
    assert_eq!(app.entries[3].calls.len(), 1);
    assert!(matches!(
        app.entries[4].message.blocks.as_slice(),
        [Block::ToolResult { error: true, .. }]
    ));
    let (_, request) = starts(&effects).pop().unwrap();
    assert_eq!(request.model_id, HAIKU);
    assert!(app.streaming());
}
