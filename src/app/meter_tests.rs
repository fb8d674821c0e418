//! Reducer tests of the token meter: debounced counts, superseded answers dropped,
//! recounts when the conversation changes, and the client's timing of an answer.

use pretty_assertions::assert_eq;

use crate::app::turn::TurnEvent;
use crate::conversation::{Message, Usage};

use crate::app::meter::{Count, DEBOUNCE, NextTurn, Timing};
use crate::app::*;

const HAIKU: &str = "anthropic.claude-3-haiku-20240307-v1:0";

fn scheduled(effects: &[Effect]) -> u64 {
    let found = effects.iter().find_map(|e| match e {
        Effect::ScheduleCount { request, after } => Some((*request, *after)),
        _ => None,
    });
    match found {
        Some((request, after)) => {
            assert_eq!(after, DEBOUNCE);
            request
        }
        None => panic!("expected a ScheduleCount, got {effects:?}"),
    }
}

fn count(tokens: u32) -> Count {
    Count {
        tokens,
        exact: true,
        with_draft: true,
    }
}

#[test]
fn typing_is_debounced_and_only_the_last_count_is_asked_for() {
    let mut app = App::new(HAIKU);
    let r1 = scheduled(&update(&mut app, Msg::DraftChanged("How".into())));
    let r2 = scheduled(&update(&mut app, Msg::DraftChanged("How do".into())));
    let r3 = scheduled(&update(&mut app, Msg::DraftChanged("How do I".into())));
    // The same text again (a key that changed nothing) asks for nothing.
    assert!(update(&mut app, Msg::DraftChanged("How do I".into())).is_empty());
    // The first two timers run out while typing went on: nothing is counted.
    assert!(update(&mut app, Msg::CountDue(r1)).is_empty());
    assert!(update(&mut app, Msg::CountDue(r2)).is_empty());
    let effects = update(&mut app, Msg::CountDue(r3));
    let [
        Effect::CountTokens {
            request,
            turn,
            with_draft,
        },
    ] = effects.as_slice()
    else {
        panic!("expected one CountTokens, got {effects:?}");
    };
    assert_eq!(*request, r3);
    assert!(*with_draft);
    assert_eq!(turn.model_id, HAIKU);
    assert_eq!(turn.messages, vec![Message::user("How do I")]);

    // A late answer to an older count is dropped; the current one lands.
    update(
        &mut app,
        Msg::Counted {
            request: r2,
            result: Ok(count(2)),
        },
    );
    assert_eq!(app.meter.next, NextTurn::Counting(None));
    update(
        &mut app,
        Msg::Counted {
            request: r3,
            result: Ok(count(11)),
        },
    );
    assert_eq!(app.meter.next, NextTurn::Counted(count(11)));

    // While the next count is made, the last one stays on show.
    let r4 = scheduled(&update(
        &mut app,
        Msg::DraftChanged("How do I sort?".into()),
    ));
    assert_eq!(app.meter.next, NextTurn::Counting(Some(count(11))));
    assert_eq!(app.meter.next.shown(), Some(count(11)));
    update(
        &mut app,
        Msg::Counted {
            request: r4,
            result: Err("ThrottlingException".into()),
        },
    );
    assert_eq!(
        app.meter.next,
        NextTurn::Failed("ThrottlingException".into())
    );
    assert_eq!(
        app.notice, None,
        "a failed count is not a conversation error"
    );
    assert!(app.entries.is_empty());
}

#[test]
fn the_count_covers_history_system_and_draft_and_slash_commands_are_not_counted() {
    let mut app = App::new(HAIKU);
    app.system = Some("Be brief.".into());
    app.entries
        .push(Entry::new(Message::user("Hi"), EntryState::Done));
    let mut answer = Message::user("Hello!");
    answer.role = crate::conversation::Role::Assistant;
    app.entries
        .push(Entry::new(answer.clone(), EntryState::Done));

    let r = scheduled(&update(&mut app, Msg::DraftChanged("Tell me more".into())));
    let effects = update(&mut app, Msg::CountDue(r));
    let [Effect::CountTokens { turn, .. }] = effects.as_slice() else {
        panic!("{effects:?}");
    };
    assert_eq!(turn.system.as_deref(), Some("Be brief."));
    assert_eq!(
        turn.messages,
        vec![
            Message::user("Hi"),
            answer.clone(),
            Message::user("Tell me more")
        ]
    );

    let r = scheduled(&update(&mut app, Msg::DraftChanged("/model nova".into())));
    let effects = update(&mut app, Msg::CountDue(r));
    let [
        Effect::CountTokens {
            turn, with_draft, ..
        },
    ] = effects.as_slice()
    else {
        panic!("{effects:?}");
    };
    assert!(!with_draft);
    assert_eq!(turn.messages, vec![Message::user("Hi"), answer]);

    // Nothing at all to send: nothing to count.
    let mut empty = App::new(HAIKU);
    let r = scheduled(&update(&mut empty, Msg::DraftChanged(" ".into())));
    assert!(update(&mut empty, Msg::CountDue(r)).is_empty());
    assert_eq!(empty.meter.next, NextTurn::Unknown);
}

#[test]
fn a_finished_turn_a_model_switch_and_a_new_conversation_recount() {
    let mut app = App::new(HAIKU);
    let id = match update(&mut app, Msg::Submit("Hi".into())).as_slice() {
        [.., Effect::StartTurn { id, .. }] => *id,
        other => panic!("{other:?}"),
    };
    scheduled(&update(&mut app, Msg::TurnDone { id }));
    scheduled(&update(
        &mut app,
        Msg::SwitchModel("amazon.nova-pro-v1:0".into()),
    ));
    scheduled(&update(&mut app, Msg::Submit("/new".into())));
}

#[test]
fn timing_and_service_latency_land_on_the_answer() {
    let mut app = App::new(HAIKU);
    let id = match update(&mut app, Msg::Submit("Hi".into())).as_slice() {
        [.., Effect::StartTurn { id, .. }] => *id,
        other => panic!("{other:?}"),
    };
    let usage = Usage {
        input: 5,
        output: 101,
        ..Usage::default()
    };
    update(
        &mut app,
        Msg::Turn {
            id,
            event: TurnEvent::Metadata {
                usage,
                latency_ms: 1200,
            },
        },
    );
    update(
        &mut app,
        Msg::TurnTiming {
            id,
            timing: Timing {
                first_token_ms: Some(200),
                total_ms: 1200,
                service_ms: None,
            },
        },
    );
    update(&mut app, Msg::TurnDone { id });
    let t = app.entries[1].timing.unwrap();
    assert_eq!(
        t,
        Timing {
            first_token_ms: Some(200),
            total_ms: 1200,
            service_ms: Some(1200)
        }
    );
    // 100 tokens after the first in one second.
    assert_eq!(t.output_rate(101), Some(100.0));
    assert_eq!(app.entries[1].usage, Some(usage));
    // Timing of a turn that is no longer in flight is dropped.
    update(
        &mut app,
        Msg::TurnTiming {
            id,
            timing: Timing::default(),
        },
    );
    assert_eq!(app.entries[1].timing, Some(t));
}

#[test]
fn turns_and_counts_carry_the_chosen_guardrail() {
    let mut app = App::new(HAIKU);
    app.guardrail = Some(crate::guardrail::GuardrailChoice::parse("demo:1").unwrap());
    let effects = update(&mut app, Msg::Submit("Should I buy Apple stock?".into()));
    let [.., Effect::StartTurn { request, .. }] = effects.as_slice() else {
        panic!("{effects:?}");
    };
    let g = request.guardrail.as_ref().unwrap();
    assert_eq!((g.id.as_str(), g.version.as_str()), ("demo", "1"));
    let id = match &effects[..] {
        [.., Effect::StartTurn { id, .. }] => *id,
        _ => unreachable!(),
    };
    // While the answer streams, a count would be stale at once: none is made.
    let r = scheduled(&update(&mut app, Msg::DraftChanged("more".into())));
    assert_eq!(update(&mut app, Msg::CountDue(r)), vec![]);
    // Its end asks for one.
    let r = scheduled(&update(&mut app, Msg::TurnDone { id }));
    let effects = update(&mut app, Msg::CountDue(r));
    let [Effect::CountTokens { turn, .. }] = effects.as_slice() else {
        panic!("{effects:?}");
    };
    assert_eq!(turn.guardrail, request.guardrail);
}
