//! The executor against the in-process local endpoint: a turn's events, timing and end
//! in order; a cancelled turn stopped at once; one count in flight, the latest; and an
//! exit that writes the answer on screen, marked interrupted.

use std::time::Duration;

use pretty_assertions::assert_eq;
use tokio::sync::{mpsc, watch};

use super::*;
use crate::app::turn::TurnRequest;
use crate::app::{EntryState, update};
use crate::bedrock::ConnectOptions;
use crate::conversation::{Inference, Message};
use crate::local::Pacing;
use crate::store::{MessageState, Store};

const HAIKU: &str = "anthropic.claude-3-haiku-20240307-v1:0";

async fn local() -> Conn {
    let conn = bedrock::connect(&ConnectOptions {
        local: true,
        local_pacing: Some(Pacing::OFF),
        ..ConnectOptions::default()
    })
    .await
    .expect("the local endpoint starts");
    watch::channel(Some(conn)).1
}

fn request(prompt: &str) -> TurnRequest {
    TurnRequest {
        model_id: HAIKU.into(),
        system: None,
        messages: vec![Message::user(prompt)],
        inference: Inference::default(),
        guardrail: None,
        tools: None,
    }
}

/// The messages up to and including the end of turn `id`.
async fn until_end(rx: &mut mpsc::UnboundedReceiver<Msg>, id: TurnId) -> Vec<Msg> {
    let mut seen = Vec::new();
    while let Some(msg) = rx.recv().await {
        let end =
            matches!(&msg, Msg::TurnDone { id: i } | Msg::TurnFailed { id: i, .. } if *i == id);
        seen.push(msg);
        if end {
            return seen;
        }
    }
    panic!("the channel closed before turn {id:?} ended: {seen:?}");
}

#[tokio::test]
async fn a_turn_reports_its_events_then_its_timing_then_its_end() {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let mut ex = Executor::new(tx, local().await, None);
    let app = App::new(HAIKU);
    let id = TurnId(7);
    ex.run(
        Effect::StartTurn {
            id,
            request: request("[[say:Hello there.]]"),
        },
        &app,
    );
    let msgs = until_end(&mut rx, id).await;
    let text: String = msgs
        .iter()
        .filter_map(|m| match m {
            Msg::Turn {
                event: crate::app::turn::TurnEvent::Text(t),
                ..
            } => Some(t.as_str()),
            _ => None,
        })
        .collect();
    assert!(text.starts_with("Hello there.\n\n"), "{text}");
    let n = msgs.len();
    assert!(
        matches!(msgs[n - 2], Msg::TurnTiming { id: i, timing } if i == id && timing.first_token_ms.is_some())
    );
    assert_eq!(msgs[n - 1], Msg::TurnDone { id });
}

#[tokio::test]
async fn a_turn_sent_before_the_region_was_known_goes_to_the_models_profile() {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let mut ex = Executor::new(tx, local().await, None);
    let app = App::new(HAIKU);
    // Claude Haiku 4.5 is offered only through inference profiles.
    let bare = TurnRequest {
        model_id: "anthropic.claude-haiku-4-5-20251001-v1:0".into(),
        ..request("Hello")
    };
    ex.run(
        Effect::StartTurn {
            id: TurnId(7),
            request: bare,
        },
        &app,
    );
    let seen = until_end(&mut rx, TurnId(7)).await;
    assert!(
        matches!(seen.last(), Some(Msg::TurnDone { .. })),
        "{seen:?}"
    );
}

#[tokio::test]
async fn a_cancelled_turn_is_stopped_at_once_and_says_nothing_more() {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let baseline = tx.strong_count();
    let mut ex = Executor::new(tx.clone(), local().await, None);
    let app = App::new(HAIKU);
    let stalled = TurnId(1);
    ex.run(
        Effect::StartTurn {
            id: stalled,
            request: request("[[fault:stall-60000]] Hi"),
        },
        &app,
    );
    ex.run(Effect::CancelTurn(stalled), &app);
    // The aborted task drops its sender: wait for that, not for a time.
    tokio::time::timeout(Duration::from_secs(10), async {
        while tx.strong_count() > baseline + 1 {
            tokio::task::yield_now().await;
        }
    })
    .await
    .expect("the cancelled turn's task ends");

    let next = TurnId(2);
    ex.run(
        Effect::StartTurn {
            id: next,
            request: request("[[say:Fast.]]"),
        },
        &app,
    );
    let msgs = until_end(&mut rx, next).await;
    assert!(
        msgs.iter().all(|m| !matches!(
            m,
            Msg::Turn { id, .. } | Msg::TurnDone { id } | Msg::TurnFailed { id, .. } | Msg::TurnTiming { id, .. }
            if *id == stalled
        )),
        "{msgs:?}"
    );
    assert_eq!(msgs.last(), Some(&Msg::TurnDone { id: next }));
}

#[tokio::test(start_paused = true)]
async fn a_newer_count_schedule_supersedes_the_one_waiting() {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let mut ex = Executor::new(tx, watch::channel(None).1, None);
    let app = App::new(HAIKU);
    for request in [1, 2] {
        ex.run(
            Effect::ScheduleCount {
                request,
                after: Duration::from_millis(400),
            },
            &app,
        );
        tokio::time::advance(Duration::from_millis(300)).await;
    }
    assert!(
        rx.try_recv().is_err(),
        "the second debounce restarted the wait"
    );
    tokio::time::advance(Duration::from_millis(100)).await;
    assert_eq!(rx.recv().await, Some(Msg::CountDue(2)));
    tokio::task::yield_now().await;
    assert!(rx.try_recv().is_err(), "the first schedule never answers");
}

#[tokio::test]
async fn quitting_mid_answer_writes_it_whole_marked_interrupted() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("h.sqlite3")).unwrap();
    let (tx, _rx) = mpsc::unbounded_channel();
    let history = History::start(store, dir.path().to_owned(), |_| {});
    let mut ex = Executor::new(tx, watch::channel(None).1, Some(history));
    let mut app = App::new(HAIKU);
    let run = |ex: &mut Executor, app: &mut App, msg: Msg| {
        for effect in update(app, msg) {
            ex.run(effect, app);
        }
    };
    run(&mut ex, &mut app, Msg::Submit("Tell me a story".into()));
    let (id, _) = app.turn.expect("a turn in flight");
    for part in ["Once", " upon", " a time"] {
        run(
            &mut ex,
            &mut app,
            Msg::Turn {
                id,
                event: crate::app::turn::TurnEvent::Text(part.into()),
            },
        );
    }
    run(&mut ex, &mut app, Msg::Quit);
    assert_eq!(app.entries[1].state, EntryState::Interrupted);
    ex.shutdown(&app);

    let store = Store::open(dir.path().join("h.sqlite3")).unwrap();
    let conv = store.load(store.last().unwrap().unwrap()).unwrap();
    assert_eq!(conv.messages[1].message.text(), "Once upon a time");
    assert_eq!(conv.messages[1].state, MessageState::Streaming);
    let shown = crate::app::history::entries(&conv);
    assert_eq!(shown[1].state, EntryState::Interrupted);
}
