//! Reducer tests for guardrails: traces land on their own turn, switching mid-
//! conversation, stale traces dropped, blocked exchanges not sent again, and checks.

use pretty_assertions::assert_eq;

use crate::app::turn::{TurnEvent, TurnRequest};
use crate::conversation::{Message, StopReason};
use crate::guardrail::{
    ApplyResult, Assessment, GuardrailChoice, PiiEntity, SensitiveInformationPolicy, Source, Trace,
    TraceMode,
};

use crate::app::guardrail::{Check, CheckState, GuardKey};
use crate::app::*;

const HAIKU: &str = "anthropic.claude-3-haiku-20240307-v1:0";

fn demo() -> GuardrailChoice {
    GuardrailChoice {
        label: Some("demo".into()),
        ..GuardrailChoice::parse("demo:1").unwrap()
    }
}

fn guarded_app() -> App {
    let mut app = App::new(HAIKU);
    app.guardrail = Some(demo());
    app.guardrails = vec![demo(), GuardrailChoice::parse("strict9:3").unwrap()];
    app
}

fn request(effects: &[Effect]) -> (TurnId, TurnRequest) {
    match effects {
        [.., Effect::StartTurn { id, request }] => (*id, request.clone()),
        other => panic!("expected one StartTurn, got {other:?}"),
    }
}

fn ev(id: TurnId, event: TurnEvent) -> Msg {
    Msg::Turn { id, event }
}

fn denied_topic() -> Trace {
    crate::guardrail::denied_topic_trace()
}

fn masked_email() -> Trace {
    Trace {
        outputs: vec![Assessment {
            sensitive_information_policy: Some(SensitiveInformationPolicy {
                pii_entities: vec![PiiEntity {
                    matched: "jane@example.com".into(),
                    kind: "EMAIL".into(),
                    action: "ANONYMIZED".into(),
                    detected: Some(true),
                }],
                regexes: vec![],
            }),
            ..Assessment::default()
        }],
        ..Trace::default()
    }
}

/// Sends `question`, streams `answer` with `stop` and `trace`, and finishes the turn.
fn turn(app: &mut App, question: &str, answer: &str, stop: StopReason, trace: Option<Trace>) {
    let (id, _) = request(&update(app, Msg::Submit(question.into())));
    update(app, ev(id, TurnEvent::Text(answer.into())));
    update(app, ev(id, TurnEvent::Stop(stop)));
    if let Some(t) = trace {
        update(app, ev(id, TurnEvent::Guardrail(t)));
    }
    update(app, Msg::TurnDone { id });
}

#[test]
fn a_trace_lands_on_the_answer_of_its_own_turn() {
    let mut app = guarded_app();
    turn(&mut app, "Hi", "Hello.", StopReason::EndTurn, None);
    let (id, req) = request(&update(&mut app, Msg::Submit("Buy stocks?".into())));
    assert_eq!(req.guardrail, Some(demo()));
    let blocked = "Sorry, I can't help with that request.";
    update(&mut app, ev(id, TurnEvent::Text(blocked.into())));
    update(
        &mut app,
        ev(id, TurnEvent::Stop(StopReason::GuardrailIntervened)),
    );
    let before = app.entries[3].revision;
    update(&mut app, ev(id, TurnEvent::Guardrail(denied_topic())));
    assert!(app.entries[3].revision > before, "the answer is redrawn");
    update(&mut app, Msg::TurnDone { id });
    assert_eq!(app.entries[1].trace, None);
    assert_eq!(app.entries[1].guardrail.as_deref(), Some("demo"));
    let trace = app.entries[3].trace.clone().expect("trace on answer 2");
    assert_eq!(trace.guardrail.as_deref(), Some("demo"));
    assert_eq!(trace.input, denied_topic().input);
    assert!(app.entries[3].blocked());
    // A trace of the finished turn that comes late changes nothing.
    let late = ev(id, TurnEvent::Guardrail(masked_email()));
    update(&mut app, late);
    assert_eq!(app.entries[3].trace.as_ref().unwrap().input.len(), 1);
}

#[test]
fn the_trace_of_a_cancelled_turn_is_dropped() {
    let mut app = guarded_app();
    let (id, _) = request(&update(&mut app, Msg::Submit("Long one".into())));
    update(&mut app, ev(id, TurnEvent::Text("Part".into())));
    assert!(matches!(
        update(&mut app, Msg::Cancel).as_slice(),
        [Effect::CancelTurn(i), Effect::Save(Save::Entry(1)), Effect::ScheduleCount { .. }] if *i == id
    ));
    update(&mut app, ev(id, TurnEvent::Guardrail(denied_topic())));
    assert_eq!(app.entries[1].trace, None);
    assert_eq!(app.entries[1].state, EntryState::Cancelled);
    turn(
        &mut app,
        "Contact?",
        "Write to {EMAIL}",
        StopReason::GuardrailIntervened,
        Some(masked_email()),
    );
    assert_eq!(app.entries[1].trace, None);
    assert!(app.entries[3].trace.is_some());
}

#[test]
fn switching_the_guardrail_mid_conversation_applies_to_the_next_turns_only() {
    let mut app = guarded_app();
    turn(
        &mut app,
        "Buy?",
        "Sorry.",
        StopReason::GuardrailIntervened,
        Some(denied_topic()),
    );
    update(&mut app, Msg::Submit("/guardrail off".into()));
    assert_eq!(app.guardrail, None);
    let (id, req) = request(&update(&mut app, Msg::Submit("Hi".into())));
    assert_eq!(req.guardrail, None);
    update(&mut app, Msg::TurnDone { id });
    assert_eq!(app.entries[3].guardrail, None);
    assert!(app.entries[1].trace.is_some(), "earlier traces stay");

    // The picker: "off" is row 0, then the config's guardrails.
    update(&mut app, Msg::OpenGuardrails);
    assert_eq!(app.overlay, Overlay::Guardrails(0));
    update(&mut app, Msg::Guardrails(GuardKey::Down));
    update(&mut app, Msg::Guardrails(GuardKey::Down));
    update(&mut app, Msg::Guardrails(GuardKey::Trace));
    update(&mut app, Msg::Guardrails(GuardKey::Enter));
    assert_eq!(app.overlay, Overlay::None);
    let chosen = app.guardrail.clone().expect("a guardrail");
    assert_eq!(
        (chosen.id.as_str(), chosen.version.as_str()),
        ("strict9", "3")
    );
    assert_eq!(chosen.trace, TraceMode::EnabledFull);
    let (_, req) = request(&update(&mut app, Msg::Submit("Again".into())));
    assert_eq!(req.guardrail, Some(chosen));

    // By label, by ID[:VERSION], and a bad one that changes nothing.
    update(&mut app, Msg::Cancel);
    update(&mut app, Msg::Submit("/guardrail demo".into()));
    assert_eq!(app.guardrail, Some(demo()));
    update(&mut app, Msg::Submit("/guardrail other7:2".into()));
    assert_eq!(app.guardrail.as_ref().unwrap().id, "other7");
    let effects = update(&mut app, Msg::Submit("/guardrail Bad!".into()));
    assert_eq!(effects, vec![Effect::SetComposer("/guardrail Bad!".into())]);
    assert_eq!(app.guardrail.as_ref().unwrap().id, "other7");
    assert!(
        matches!(&app.notice, Some(Notice::Error(m)) if m.contains("not a guardrail identifier"))
    );
}

#[test]
fn a_blocked_exchange_is_not_sent_again_but_a_masked_answer_is() {
    let mut app = guarded_app();
    turn(
        &mut app,
        "Should I buy Tesla stock?",
        "Sorry, blocked.",
        StopReason::GuardrailIntervened,
        Some(denied_topic()),
    );
    turn(
        &mut app,
        "Contact?",
        "Write to {EMAIL}",
        StopReason::GuardrailIntervened,
        Some(masked_email()),
    );
    let (_, req) = request(&update(&mut app, Msg::Submit("Thanks".into())));
    let texts: Vec<String> = req.messages.iter().map(Message::text).collect();
    assert_eq!(texts, vec!["Contact?", "Write to {EMAIL}", "Thanks"]);
}

#[test]
fn checks_screen_the_draft_or_the_focused_answer_without_a_turn() {
    let mut app = App::new(HAIKU);
    assert_eq!(update(&mut app, Msg::CheckDraft("Buy?".into())), vec![]);
    assert!(matches!(&app.notice, Some(Notice::Error(m)) if m.contains("No guardrail")));

    let mut app = guarded_app();
    assert_eq!(update(&mut app, Msg::CheckDraft("  ".into())), vec![]);
    let effects = update(&mut app, Msg::CheckDraft("Buy Tesla?".into()));
    let [
        Effect::ApplyGuardrail {
            request: first,
            guardrail,
            source,
            text,
        },
    ] = effects.as_slice()
    else {
        panic!("expected one ApplyGuardrail, got {effects:?}");
    };
    assert_eq!(
        (guardrail, *source, text.as_str()),
        (&demo(), Source::Input, "Buy Tesla?")
    );
    assert!(app.entries.is_empty(), "no turn is started");
    let first = *first;

    turn(&mut app, "One", "First answer", StopReason::EndTurn, None);
    turn(&mut app, "Two", "Second answer", StopReason::EndTurn, None);
    update(&mut app, Msg::Focus(Some(1)));
    let effects = update(&mut app, Msg::CheckAnswer);
    let [
        Effect::ApplyGuardrail {
            request,
            source,
            text,
            ..
        },
    ] = effects.as_slice()
    else {
        panic!("expected one ApplyGuardrail, got {effects:?}");
    };
    assert_eq!((*source, text.as_str()), (Source::Output, "First answer"));
    let request = *request;
    let check = app.check.clone().expect("a check");
    assert_eq!(check.subject, "answer 1");
    assert_eq!(check.state, CheckState::Running);

    // The answer to the superseded draft check is dropped; the current one lands.
    let clean = ApplyResult {
        action: "NONE".into(),
        ..ApplyResult::default()
    };
    update(
        &mut app,
        Msg::Checked {
            request: first,
            result: Ok(clean.clone()),
        },
    );
    assert_eq!(app.check.as_ref().unwrap().state, CheckState::Running);
    update(
        &mut app,
        Msg::Checked {
            request,
            result: Ok(clean.clone()),
        },
    );
    assert_eq!(
        app.check,
        Some(Check {
            state: CheckState::Done(clean),
            ..check
        })
    );
    // Esc dismisses it; so does the next turn.
    update(&mut app, Msg::Cancel);
    assert_eq!(app.check, None);
    update(&mut app, Msg::CheckDraft("x".into()));
    assert!(app.check.is_some());
    update(&mut app, Msg::Submit("Three".into()));
    assert_eq!(app.check, None);
}
