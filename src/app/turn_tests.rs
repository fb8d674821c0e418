//! Every way a turn ends, and what follows each: the answer's state and text, whether
//! its task is stopped, the messages the next question sends (a well-formed alternation,
//! with a question whose answer never began left out), and regenerate and edit-last
//! after each end.

use pretty_assertions::assert_eq;

use crate::app::error::BedrockError;
use crate::app::*;
use crate::conversation::{Message, Role};
use crate::guardrail::Trace;

use super::{TurnEvent, TurnId};

const HAIKU: &str = "anthropic.claude-3-haiku-20240307-v1:0";

/// What happens to the turn before it ends.
#[derive(Debug, Clone, Copy)]
enum Before {
    Nothing,
    /// A guardrail trace (the answer screened) but no text yet.
    GuardrailWait,
    SomeText,
}

/// How the turn ends.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Ending {
    Cancel,
    Fail,
    Quit,
}

fn start(app: &mut App, question: &str) -> (TurnId, Vec<Message>) {
    match update(app, Msg::Submit(question.into())).as_slice() {
        [
            Effect::Save(Save::Entry(_)),
            Effect::StartTurn { id, request },
        ] => (*id, request.messages.clone()),
        other => panic!("{other:?}"),
    }
}

fn ev(id: TurnId, event: TurnEvent) -> Msg {
    Msg::Turn { id, event }
}

/// A conversation with one finished exchange, then "Q2" asked and ended as told.
fn ended(before: Before, ending: Ending) -> (App, TurnId, Vec<Effect>) {
    let mut app = App::new(HAIKU);
    let (first, _) = start(&mut app, "Q1");
    update(&mut app, ev(first, TurnEvent::Text("A1".into())));
    update(&mut app, Msg::TurnDone { id: first });
    let (id, sent) = start(&mut app, "Q2");
    assert_eq!(roles(&sent), [Role::User, Role::Assistant, Role::User]);
    match before {
        Before::Nothing => {}
        Before::GuardrailWait => {
            update(&mut app, ev(id, TurnEvent::Guardrail(Trace::default())));
        }
        Before::SomeText => {
            update(&mut app, ev(id, TurnEvent::Text("A2 partial".into())));
        }
    }
    let effects = match ending {
        Ending::Cancel => update(&mut app, Msg::Cancel),
        Ending::Fail => update(
            &mut app,
            Msg::TurnFailed {
                id,
                error: BedrockError::Stream {
                    message: "the connection closed.".into(),
                },
            },
        ),
        Ending::Quit => update(&mut app, Msg::Quit),
    };
    (app, id, effects)
}

fn roles(messages: &[Message]) -> Vec<Role> {
    messages.iter().map(|m| m.role).collect()
}

fn texts(messages: &[Message]) -> Vec<String> {
    messages.iter().map(Message::text).collect()
}

const CASES: [(Before, Ending); 9] = [
    (Before::Nothing, Ending::Cancel),
    (Before::GuardrailWait, Ending::Cancel),
    (Before::SomeText, Ending::Cancel),
    (Before::Nothing, Ending::Fail),
    (Before::GuardrailWait, Ending::Fail),
    (Before::SomeText, Ending::Fail),
    (Before::Nothing, Ending::Quit),
    (Before::GuardrailWait, Ending::Quit),
    (Before::SomeText, Ending::Quit),
];

#[test]
fn each_end_sets_the_answer_and_stops_the_task_unless_it_ended_by_itself() {
    for (before, ending) in CASES {
        let case = format!("{before:?} then {ending:?}");
        let (app, id, effects) = ended(before, ending);
        assert!(!app.streaming(), "{case}");
        let answer = &app.entries[3];
        let (state, stops_task) = match ending {
            Ending::Cancel => (EntryState::Cancelled, true),
            Ending::Fail => (answer.state.clone(), false),
            Ending::Quit => (EntryState::Interrupted, true),
        };
        assert_eq!(answer.state, state, "{case}");
        if ending == Ending::Fail {
            assert!(matches!(answer.state, EntryState::Failed(_)), "{case}");
        }
        // A stopped task is aborted at once, which closes its connection.
        assert_eq!(
            effects.contains(&Effect::CancelTurn(id)),
            stops_task,
            "{case}: {effects:?}"
        );
        assert!(
            effects.contains(&Effect::Save(Save::Entry(3))),
            "{case}: the answer as it ended is written: {effects:?}"
        );
        let kept = matches!(before, Before::SomeText);
        assert_eq!(
            answer.message.text(),
            if kept { "A2 partial" } else { "" },
            "{case}"
        );
        // Events the stopped turn still sends change nothing.
        let mut later = app.clone();
        update(&mut later, ev(id, TurnEvent::Text(" late".into())));
        update(&mut later, Msg::TurnDone { id });
        assert_eq!(later.entries, app.entries, "{case}");
    }
}

#[test]
fn the_next_question_is_sent_in_a_well_formed_conversation() {
    for (before, ending) in CASES {
        let case = format!("{before:?} then {ending:?}");
        let (mut app, _, _) = ended(before, ending);
        app.quitting = false;
        let (_, sent) = start(&mut app, "Q3");
        // Only a stopped answer with text is a reply worth sending; a question whose
        // answer never began (or failed) is left out, never merged into Q3.
        let expected: Vec<&str> = if matches!(
            (before, ending),
            (Before::SomeText, Ending::Cancel | Ending::Quit)
        ) {
            vec!["Q1", "A1", "Q2", "A2 partial", "Q3"]
        } else {
            vec!["Q1", "A1", "Q3"]
        };
        assert_eq!(texts(&sent), expected, "{case}");
        let r = roles(&sent);
        assert_eq!(r.first(), Some(&Role::User), "{case}");
        assert!(r.windows(2).all(|w| w[0] != w[1]), "{case}: {r:?}");
        // The question stays on screen, as it was asked.
        assert_eq!(app.entries[2].message.text(), "Q2", "{case}");
    }
}

#[test]
fn regenerate_after_each_end_asks_the_question_again_in_place_of_its_answer() {
    for (before, ending) in CASES {
        let case = format!("{before:?} then {ending:?}");
        let (mut app, _, _) = ended(before, ending);
        app.quitting = false;
        let effects = update(&mut app, Msg::Regenerate);
        let Some(Effect::StartTurn { request, .. }) = effects.last() else {
            panic!("{case}: {effects:?}");
        };
        assert_eq!(effects[0], Effect::Save(Save::Truncate(3)), "{case}");
        assert_eq!(texts(&request.messages), ["Q1", "A1", "Q2"], "{case}");
        assert_eq!(app.entries.len(), 4, "{case}: Q1 A1 Q2 and the new answer");
        assert_eq!(app.entries[3].state, EntryState::Streaming, "{case}");
    }
}

#[test]
fn edit_last_after_each_end_returns_the_question_and_sends_the_edit_alone() {
    for (before, ending) in CASES {
        let case = format!("{before:?} then {ending:?}");
        let (mut app, _, _) = ended(before, ending);
        app.quitting = false;
        let effects = update(&mut app, Msg::EditLast);
        assert_eq!(
            effects[..2],
            [
                Effect::Save(Save::Truncate(2)),
                Effect::SetComposer("Q2".into())
            ],
            "{case}"
        );
        assert_eq!(app.entries.len(), 2, "{case}");
        let (_, sent) = start(&mut app, "Q2, edited");
        assert_eq!(texts(&sent), ["Q1", "A1", "Q2, edited"], "{case}");
    }
}

#[test]
fn a_stop_before_the_answer_began_says_the_question_was_not_sent_again() {
    let (app, _, _) = ended(Before::Nothing, Ending::Cancel);
    assert!(
        matches!(&app.notice, Some(Notice::Info(m)) if m.contains("not sent again") && m.contains("/edit") && m.contains("/retry")),
        "{:?}",
        app.notice
    );
    let (app, _, _) = ended(Before::SomeText, Ending::Cancel);
    assert_eq!(
        app.notice,
        Some(Notice::Info(
            "Answer stopped; the partial text is kept.".into()
        ))
    );
}

#[test]
fn a_dropped_connection_says_so_keeps_the_text_and_names_the_retry_key() {
    let (mut app, id) = {
        let mut app = App::new(HAIKU);
        app.retry_key = "Ctrl+R".into();
        let (id, _) = start(&mut app, "Q1");
        (app, id)
    };
    update(&mut app, ev(id, TurnEvent::Text("Half an".into())));
    update(
        &mut app,
        Msg::TurnFailed {
            id,
            error: BedrockError::Stream {
                message: "connection reset by peer.".into(),
            },
        },
    );
    assert_eq!(
        app.notice,
        Some(Notice::Error(
            "The connection dropped mid-answer: connection reset by peer. The partial answer is kept; Ctrl+R asks again.".into()
        ))
    );
    assert_eq!(app.entries[1].message.text(), "Half an");
    // Before any text, throttling gives its own advice and nothing more (on the
    // model's only route: nothing to fail over to).
    let mut app = App::new(HAIKU);
    app.routing.config.insert(HAIKU.into(), vec![HAIKU.into()]);
    let (id, _) = start(&mut app, "Q1");
    let throttled = BedrockError::Throttled {
        message: "Slow down.".into(),
        retried: true,
        on_profile: true,
    };
    update(
        &mut app,
        Msg::TurnFailed {
            id,
            error: throttled.clone(),
        },
    );
    assert_eq!(app.notice, Some(Notice::Error(throttled.to_string())));
}

#[test]
fn citations_make_their_content_block_cited_whether_they_come_before_or_after_its_text() {
    use crate::conversation::{Block, Citation, Place};
    let cite = |quote: &str| Citation {
        title: "report".into(),
        quote: quote.into(),
        place: Some(Place::Pages),
        document: 0,
        start: 1,
        end: 2,
    };
    let mut app = App::new("anthropic.claude-haiku-4-5-20251001-v1:0");
    let (id, _) = start(&mut app, "How did revenue do?");
    for event in [
        TurnEvent::Text("The report says ".into()),
        TurnEvent::BlockStop,
        // The service's order for Claude: the citation, then the text it covers.
        TurnEvent::Citation(cite("Revenue grew.")),
        TurnEvent::Text("revenue grew".into()),
        TurnEvent::BlockStop,
        TurnEvent::Text(" and ".into()),
        TurnEvent::BlockStop,
        // The other order: the text, then its citation.
        TurnEvent::Text("costs fell".into()),
        TurnEvent::Citation(cite("Costs fell.")),
        TurnEvent::Citation(cite("Costs fell again.")),
        TurnEvent::BlockStop,
        TurnEvent::Text(".".into()),
    ] {
        update(&mut app, ev(id, event));
    }
    update(&mut app, Msg::TurnDone { id });
    let answer = &app.entries[1].message;
    assert_eq!(
        answer.blocks,
        vec![
            Block::Text("The report says ".into()),
            Block::Cited {
                text: "revenue grew".into(),
                citations: vec![cite("Revenue grew.")]
            },
            Block::Text(" and ".into()),
            Block::Cited {
                text: "costs fell".into(),
                citations: vec![cite("Costs fell."), cite("Costs fell again.")]
            },
            Block::Text(".".into()),
        ]
    );
    assert_eq!(
        answer.text(),
        "The report says revenue grew and costs fell."
    );
}
