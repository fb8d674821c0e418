//! The history thread: a streaming answer written at most once a second and whole at
//! exit, everything else at once, truncation and new conversations, in order.

use std::time::Duration;

use pretty_assertions::assert_eq;

use super::*;
use crate::app::Entry;
use crate::conversation::{Block, Message, Role};
use crate::store::StoredConversation;

fn answer(text: &str, state: EntryState) -> Entry {
    Entry::new(
        Message {
            role: Role::Assistant,
            blocks: vec![Block::Text(text.into())],
            model: Some("m".into()),
        },
        state,
    )
}

fn conversation(app: &App) -> App {
    let mut app = app.clone();
    app.model = "m".into();
    app
}

/// Starts a history on a file in `dir`; replies are dropped.
fn history(dir: &std::path::Path) -> History {
    let store = Store::open(dir.join("h.sqlite3")).unwrap();
    History::start(store, dir.to_owned(), |_| {})
}

/// The conversation the file holds after the history closed.
fn stored_conversation(dir: &std::path::Path) -> StoredConversation {
    let store = Store::open(dir.join("h.sqlite3")).unwrap();
    let id = store.last().unwrap().expect("a conversation");
    store.load(id).unwrap()
}

#[tokio::test(start_paused = true)]
async fn a_streaming_answer_is_written_once_a_second_and_whole_when_closed() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = history(dir.path());
    let mut app = conversation(&App::new("m"));
    app.entries.push(Entry::new(
        Message::user("Tell me a story"),
        EntryState::Done,
    ));
    h.save(Save::Entry(0), &app);
    app.entries.push(answer("Once", EntryState::Streaming));
    h.save(Save::Entry(1), &app);
    assert_eq!(h.due(), None, "the first checkpoint is written at once");

    app.entries[1] = answer("Once upon", EntryState::Streaming);
    h.save(Save::Entry(1), &app);
    let due = h.due().expect("the next one waits");
    assert_eq!(due - Instant::now(), CHECKPOINT);
    tokio::time::advance(Duration::from_millis(400)).await;
    app.entries[1] = answer("Once upon a", EntryState::Streaming);
    h.save(Save::Entry(1), &app);
    assert_eq!(
        h.due(),
        Some(due),
        "changes in between join the pending write"
    );

    tokio::time::advance(Duration::from_millis(600)).await;
    h.checkpoint(&app);
    assert_eq!(h.due(), None);
    app.entries[1] = answer("Once upon a time", EntryState::Streaming);
    h.save(Save::Entry(1), &app);
    assert!(h.due().is_some());
    h.close(&app);

    let conv = stored_conversation(dir.path());
    assert_eq!(conv.title, "Tell me a story");
    assert_eq!(conv.messages.len(), 2);
    assert_eq!(
        conv.messages[1].message.text(),
        "Once upon a time",
        "closing writes what was pending"
    );
    assert_eq!(conv.messages[1].state, MessageState::Streaming);
    assert_eq!(
        crate::app::history::entries(&conv)[1].state,
        EntryState::Interrupted
    );
}

#[tokio::test]
async fn truncation_system_prompt_and_new_conversations_follow_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = history(dir.path());
    let mut app = conversation(&App::new("m"));
    app.system = Some("Be brief.".into());
    app.entries
        .push(Entry::new(Message::user("First"), EntryState::Done));
    app.entries.push(answer("One", EntryState::Done));
    h.save(Save::Entry(0), &app);
    h.save(Save::Entry(1), &app);
    app.entries.truncate(1);
    h.save(Save::Truncate(1), &app);
    app.system = Some("Be verbose.".into());
    h.save(Save::System, &app);
    app.entries.push(answer("Uno", EntryState::Done));
    h.save(Save::Entry(1), &app);

    h.save(Save::New, &app);
    app.entries = vec![Entry::new(Message::user("Second"), EntryState::Done)];
    h.save(Save::Entry(0), &app);
    h.close(&app);

    let store = Store::open(dir.path().join("h.sqlite3")).unwrap();
    let list = store.list(10, 0).unwrap();
    assert_eq!(
        list.iter().map(|s| s.title.as_str()).collect::<Vec<_>>(),
        vec!["Second", "First"]
    );
    let first = store.load(list[1].id).unwrap();
    assert_eq!(first.system.as_deref(), Some("Be verbose."));
    assert_eq!(
        first
            .messages
            .iter()
            .map(|m| m.message.text())
            .collect::<Vec<_>>(),
        vec!["First", "Uno"]
    );
}

#[tokio::test(start_paused = true)]
async fn a_turn_in_a_long_conversation_writes_only_its_own_messages() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = conversation(&App::new("m"));
    let mut h = history(dir.path());
    for i in 0..1000 {
        let e = if i % 2 == 0 {
            Entry::new(Message::user(format!("Q{i}")), EntryState::Done)
        } else {
            answer(&format!("A{i}"), EntryState::Done)
        };
        app.entries.push(e);
        h.save(Save::Entry(i), &app);
    }
    h.close(&app);
    let written: Vec<i64> = stored_conversation(dir.path())
        .messages
        .iter()
        .map(|m| m.updated_ms)
        .collect();
    // Any later write of these messages would carry a later time.
    std::thread::sleep(Duration::from_millis(5));

    // The conversation resumed, a question asked and its answer streamed, with the
    // reducer's own effects.
    let id = Store::open(dir.path().join("h.sqlite3"))
        .unwrap()
        .last()
        .unwrap();
    let store = Store::open(dir.path().join("h.sqlite3")).unwrap();
    let mut h = History::start(store, dir.path().to_owned(), |_| {});
    h.open(id.unwrap());
    let mut effects = crate::app::update(&mut app, Msg::Submit("One more?".into()));
    let turn = effects.iter().find_map(|e| match e {
        crate::app::Effect::StartTurn { id, .. } => Some(*id),
        _ => None,
    });
    for n in 0..50 {
        effects.extend(crate::app::update(
            &mut app,
            Msg::Turn {
                id: turn.unwrap(),
                event: crate::app::turn::TurnEvent::Text(format!("word{n} ")),
            },
        ));
        tokio::time::advance(Duration::from_millis(100)).await;
    }
    effects.extend(crate::app::update(
        &mut app,
        Msg::TurnDone { id: turn.unwrap() },
    ));
    let saves: Vec<Save> = effects
        .into_iter()
        .filter_map(|e| match e {
            crate::app::Effect::Save(s) => Some(s),
            _ => None,
        })
        .collect();
    assert!(
        saves.iter().all(|s| matches!(s, Save::Entry(1000 | 1001))),
        "{saves:?}"
    );
    for s in saves {
        h.save(s, &app);
    }
    h.close(&app);

    let conv = stored_conversation(dir.path());
    assert_eq!(conv.messages.len(), 1002);
    let after: Vec<i64> = conv.messages[..1000].iter().map(|m| m.updated_ms).collect();
    assert_eq!(
        after, written,
        "the earlier messages were not written again"
    );
    assert!(
        conv.messages[1001]
            .message
            .text()
            .starts_with("word0 word1")
    );
}
