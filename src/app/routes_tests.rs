//! Reducer tests of failover: the default routes, a throttled turn sent on the next
//! route and labelled with it, the errors that never fail over, the last route's
//! failure, and the figures each route keeps.

use pretty_assertions::assert_eq;

use super::*;
use crate::app::state::Link;
use crate::app::turn::TurnEvent;
use crate::app::{Msg, update};

const HAIKU45: &str = "anthropic.claude-haiku-4-5-20251001-v1:0";

fn app(model: &str) -> App {
    let mut app = App::new(model);
    app.link = Link::Aws {
        region: "us-east-1".into(),
        profile: None,
        auth: "SSO".into(),
    };
    app
}

fn started(effects: &[Effect]) -> (TurnId, String) {
    match effects.last() {
        Some(Effect::StartTurn { id, request }) => (*id, request.model_id.clone()),
        other => panic!("expected a StartTurn, got {other:?}"),
    }
}

fn throttled() -> BedrockError {
    BedrockError::Throttled {
        message: "Too many requests.".into(),
        retried: true,
        on_profile: true,
    }
}

fn stats(app: &App) -> Vec<(String, u32, u32, u32)> {
    app.routing
        .stats
        .iter()
        .map(|s| (s.route.clone(), s.calls, s.failures, s.succeeded))
        .collect()
}

#[test]
fn a_models_routes_are_its_profile_then_the_global_one() {
    let a = app(HAIKU45);
    assert_eq!(
        routes_for(&a, HAIKU45),
        vec![format!("us.{HAIKU45}"), format!("global.{HAIKU45}")]
    );
    // A profile chosen by hand comes first; the global one follows.
    assert_eq!(
        routes_for(&a, &format!("eu.{HAIKU45}")),
        vec![
            format!("eu.{HAIKU45}"),
            format!("us.{HAIKU45}"),
            format!("global.{HAIKU45}")
        ]
    );
    // On-demand with a geography's profile but no global one.
    let haiku3 = "anthropic.claude-3-haiku-20240307-v1:0";
    assert_eq!(
        routes_for(&a, haiku3),
        vec![haiku3.to_owned(), format!("us.{haiku3}")]
    );
    // No profiles at all: one route.
    let mistral = "mistral.mistral-large-2402-v1:0";
    assert_eq!(routes_for(&a, mistral), vec![mistral.to_owned()]);
    // The config's list wins, for the model however it is named.
    let mut a = app(HAIKU45);
    a.routing.config.insert(
        HAIKU45.into(),
        vec![format!("global.{HAIKU45}"), format!("eu.{HAIKU45}")],
    );
    assert_eq!(
        routes_for(&a, &format!("us.{HAIKU45}")),
        vec![format!("global.{HAIKU45}"), format!("eu.{HAIKU45}")]
    );
}

#[test]
fn a_throttled_turn_goes_on_the_next_route_and_is_labelled_with_it() {
    let mut a = app(HAIKU45);
    let (id, route) = started(&update(&mut a, Msg::Submit("Hello?".into())));
    assert_eq!(route, format!("us.{HAIKU45}"));
    assert_eq!(a.entries[1].message.model.as_deref(), Some(route.as_str()));

    let effects = update(
        &mut a,
        Msg::TurnFailed {
            id,
            error: throttled(),
        },
    );
    let (next, route) = started(&effects);
    assert_ne!(next, id);
    assert_eq!(route, format!("global.{HAIKU45}"));
    // The same conversation goes out: the question, not the empty answer.
    let Some(Effect::StartTurn { request, .. }) = effects.last() else {
        unreachable!()
    };
    assert_eq!(request.messages.len(), 1);
    assert_eq!(a.entries.len(), 2);
    assert_eq!(a.entries[1].state, crate::app::EntryState::Streaming);
    assert_eq!(a.entries[1].message.model.as_deref(), Some(route.as_str()));
    assert_eq!(
        a.notice.as_ref().unwrap().text(),
        "Throttled on the us profile; sent again on the global profile (route 2 of 2)."
    );
    // The old turn's late events are dropped; the new one's land.
    update(
        &mut a,
        Msg::Turn {
            id,
            event: TurnEvent::Text("stale".into()),
        },
    );
    update(
        &mut a,
        Msg::Turn {
            id: next,
            event: TurnEvent::Text("Hi!".into()),
        },
    );
    update(&mut a, Msg::TurnDone { id: next });
    assert_eq!(a.entries[1].message.text(), "Hi!");
    assert_eq!(a.entries[1].state, crate::app::EntryState::Done);
    assert_eq!(
        stats(&a),
        vec![
            (format!("us.{HAIKU45}"), 1, 1, 0),
            (format!("global.{HAIKU45}"), 1, 0, 1)
        ]
    );
    // The next question starts on the first route again.
    let (_, route) = started(&update(&mut a, Msg::Submit("Again?".into())));
    assert_eq!(route, format!("us.{HAIKU45}"));
}

#[test]
fn refused_requests_do_not_fail_over() {
    for error in [
        BedrockError::Validation {
            message: "bad".into(),
        },
        BedrockError::AccessDenied {
            message: "no".into(),
        },
        BedrockError::GuardrailNotFound {
            id: "g".into(),
            version: "1".into(),
        },
    ] {
        let mut a = app(HAIKU45);
        let (id, _) = started(&update(&mut a, Msg::Submit("Hello?".into())));
        let effects = update(
            &mut a,
            Msg::TurnFailed {
                id,
                error: error.clone(),
            },
        );
        assert!(
            !effects
                .iter()
                .any(|e| matches!(e, Effect::StartTurn { .. })),
            "{error:?}: {effects:?}"
        );
        assert!(matches!(
            a.entries[1].state,
            crate::app::EntryState::Failed(_)
        ));
        assert_eq!(stats(&a), vec![(format!("us.{HAIKU45}"), 1, 1, 0)]);
    }
}

#[test]
fn the_last_route_failing_ends_the_turn_and_a_started_answer_is_not_resent() {
    let mut a = app(HAIKU45);
    let (id, _) = started(&update(&mut a, Msg::Submit("Hello?".into())));
    let (id, _) = started(&update(
        &mut a,
        Msg::TurnFailed {
            id,
            error: throttled(),
        },
    ));
    let effects = update(
        &mut a,
        Msg::TurnFailed {
            id,
            error: throttled(),
        },
    );
    assert!(
        !effects
            .iter()
            .any(|e| matches!(e, Effect::StartTurn { .. }))
    );
    assert!(matches!(
        a.entries[1].state,
        crate::app::EntryState::Failed(_)
    ));
    assert_eq!(
        stats(&a),
        vec![
            (format!("us.{HAIKU45}"), 1, 1, 0),
            (format!("global.{HAIKU45}"), 1, 1, 0)
        ]
    );

    // Part of the answer came before the failure: it is kept, not sent again.
    let mut a = app(HAIKU45);
    let (id, _) = started(&update(&mut a, Msg::Submit("Hello?".into())));
    update(
        &mut a,
        Msg::Turn {
            id,
            event: TurnEvent::Text("Part".into()),
        },
    );
    let effects = update(
        &mut a,
        Msg::TurnFailed {
            id,
            error: BedrockError::Unavailable {
                message: "down".into(),
            },
        },
    );
    assert!(
        !effects
            .iter()
            .any(|e| matches!(e, Effect::StartTurn { .. }))
    );
    assert_eq!(a.entries[1].message.text(), "Part");
}

#[test]
fn average_latency_counts_the_turns_that_succeeded() {
    let mut a = app(HAIKU45);
    for ms in [300, 500] {
        let (id, _) = started(&update(&mut a, Msg::Submit("Hi".into())));
        update(
            &mut a,
            Msg::TurnTiming {
                id,
                timing: crate::app::meter::Timing {
                    first_token_ms: Some(100),
                    total_ms: ms,
                    service_ms: None,
                },
            },
        );
        update(&mut a, Msg::TurnDone { id });
    }
    let s = &a.routing.stats[0];
    assert_eq!((s.calls, s.succeeded, s.average_ms()), (2, 2, Some(400)));
    update(&mut a, Msg::Submit("/routes".into()));
    assert_eq!(a.overlay, Overlay::Routes);
}
