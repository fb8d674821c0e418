//! Snapshots of failover: the notice and the answer labelled with the route that
//! produced it, and the `/routes` overlay with each route's figures.

use super::tests::draw;
use crate::app::error::BedrockError;
use crate::app::state::Link;
use crate::app::turn::TurnEvent;
use crate::app::{App, Effect, Msg, update};

const HAIKU45: &str = "anthropic.claude-haiku-4-5-20251001-v1:0";

/// A conversation whose one turn was throttled on the us profile and answered on the
/// global one.
fn failed_over() -> App {
    let mut app = App::new(HAIKU45);
    app.link = Link::Aws {
        region: "us-east-1".into(),
        profile: None,
        auth: "SSO".into(),
    };
    let started = |effects: Vec<Effect>| match effects.last() {
        Some(Effect::StartTurn { id, .. }) => *id,
        other => panic!("{other:?}"),
    };
    let id = started(update(
        &mut app,
        Msg::Submit("Summarize the CAP theorem in two sentences.".into()),
    ));
    let id = started(update(
        &mut app,
        Msg::TurnFailed {
            id,
            error: BedrockError::Throttled {
                message: "Too many requests, please wait before trying again.".into(),
                retried: true,
                on_profile: true,
            },
        },
    ));
    for event in [
        TurnEvent::Text("A distributed store cannot be consistent, available and partition tolerant at once. When the network splits, it must choose between consistency and availability.".into()),
        TurnEvent::Metadata {
            usage: crate::conversation::Usage {
                input: 19,
                output: 38,
                ..Default::default()
            },
            latency_ms: 640,
        },
    ] {
        update(&mut app, Msg::Turn { id, event });
    }
    update(
        &mut app,
        Msg::TurnTiming {
            id,
            timing: crate::app::meter::Timing {
                first_token_ms: Some(310),
                total_ms: 702,
                service_ms: Some(640),
            },
        },
    );
    update(&mut app, Msg::TurnDone { id });
    app
}

#[test]
fn a_failover_is_told_and_the_answer_names_its_route() {
    let app = failed_over();
    insta::assert_snapshot!("failover_80x24", draw(&app, 80, 24));
    insta::assert_snapshot!("failover_120x40", draw(&app, 120, 40));
}

#[test]
fn the_routes_overlay() {
    let mut app = failed_over();
    update(&mut app, Msg::Submit("/routes".into()));
    insta::assert_snapshot!("routes_120x40", draw(&app, 120, 40));
}

#[test]
fn the_tier_latency_and_cache_show_in_the_status_bar_and_on_the_answer() {
    let mut app = failed_over();
    update(&mut app, Msg::Submit("/cache 5m".into()));
    update(&mut app, Msg::Submit("/tier flex".into()));
    let effects = update(&mut app, Msg::Submit("And the PACELC theorem?".into()));
    let Some(Effect::StartTurn { id, .. }) = effects.last() else {
        panic!("{effects:?}");
    };
    let id = *id;
    update(
        &mut app,
        Msg::Turn {
            id,
            event: TurnEvent::Text("It adds latency to the trade-off.".into()),
        },
    );
    update(&mut app, Msg::TurnDone { id });
    // Claude Haiku 4.5 has no optimized latency: the setting stays, with a warning.
    update(&mut app, Msg::Submit("/latency optimized".into()));
    insta::assert_snapshot!("delivery_120x40", draw(&app, 120, 40));
}

#[test]
fn the_meter_shows_what_the_cache_saved() {
    let mut app = App::new("us.anthropic.claude-sonnet-4-5-20250929-v1:0");
    app.link = Link::Local {
        url: "http://127.0.0.1:8787".into(),
        reason: None,
    };
    // Two turns: the first writes the cache, the second reads it.
    for (n, cache_read, cache_write) in [(1, 0, 2400), (2, 2400, 900)] {
        let effects = update(
            &mut app,
            Msg::Submit(format!("Question {n} about the design doc")),
        );
        let Some(Effect::StartTurn { id, .. }) = effects.last() else {
            panic!("{effects:?}");
        };
        let id = *id;
        for event in [
            TurnEvent::Text(format!("Answer {n}.")),
            TurnEvent::Metadata {
                usage: crate::conversation::Usage {
                    input: 40,
                    output: 300,
                    cache_read,
                    cache_write,
                },
                latency_ms: 900,
            },
        ] {
            update(&mut app, Msg::Turn { id, event });
        }
        update(&mut app, Msg::TurnDone { id });
    }
    insta::assert_snapshot!("meter_cache_120x40", draw(&app, 120, 40));
}

/// The live list of an account with one application profile and one prompt router.
fn with_routes(app: &mut App) {
    use crate::catalog::live::{LiveModels, LiveProfile};
    let live = LiveModels {
        region: "us-east-1".into(),
        fetched_ms: 0,
        models: Vec::new(),
        profiles: vec![
            LiveProfile {
                id: "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/k2x7a9m4q1zt".into(),
                name: "team-chat".into(),
                kind: "APPLICATION".into(),
                status: "ACTIVE".into(),
                model_ids: vec![HAIKU45.into()],
            },
            LiveProfile {
                id: "arn:aws:bedrock:us-east-1:123456789012:default-prompt-router/meta.llama:1".into(),
                name: "Meta Prompt Router".into(),
                kind: "PROMPT_ROUTER".into(),
                status: "AVAILABLE".into(),
                model_ids: vec![
                    "us.meta.llama3-1-8b-instruct-v1:0".into(),
                    "us.meta.llama3-1-70b-instruct-v1:0".into(),
                ],
            },
        ],
    };
    app.live = Some(std::sync::Arc::new(crate::catalog::merge::merge(
        crate::catalog::Catalog::builtin(),
        &live,
    )));
}

#[test]
fn the_picker_lists_application_profiles_and_routers_and_a_router_answer_names_its_model() {
    use crate::app::PickerKey;
    let mut app = failed_over();
    with_routes(&mut app);
    update(&mut app, Msg::OpenPicker);
    for c in "router".chars() {
        update(&mut app, Msg::Picker(PickerKey::Char(c)));
    }
    insta::assert_snapshot!("picker_routes_120x40", draw(&app, 120, 40));
    update(&mut app, Msg::Picker(PickerKey::Enter));
    let router = "arn:aws:bedrock:us-east-1:123456789012:default-prompt-router/meta.llama:1";
    assert_eq!(app.model, router);

    // The router's choice answers, and is priced.
    let effects = update(&mut app, Msg::Submit("What is a lease?".into()));
    let Some(Effect::StartTurn { id, request }) = effects.last() else {
        panic!("{effects:?}");
    };
    assert_eq!(request.model_id, router);
    let id = *id;
    for event in [
        TurnEvent::Text("A lease is a lock that expires.".into()),
        TurnEvent::Metadata {
            usage: crate::conversation::Usage {
                input: 12,
                output: 9,
                ..Default::default()
            },
            latency_ms: 300,
        },
        TurnEvent::Routed("us.meta.llama3-1-8b-instruct-v1:0".into()),
    ] {
        update(&mut app, Msg::Turn { id, event });
    }
    update(&mut app, Msg::TurnDone { id });
    let answer = app.entries.last().unwrap();
    assert_eq!(
        answer.message.model.as_deref(),
        Some("us.meta.llama3-1-8b-instruct-v1:0")
    );
    assert_eq!(answer.via.as_deref(), Some(router));
    insta::assert_snapshot!("router_answer_120x40", draw(&app, 120, 40));

    // An application profile is priced at the model it reaches.
    let profile =
        "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/k2x7a9m4q1zt";
    assert_eq!(app.priced_as(profile), HAIKU45);
    assert_eq!(app.priced_as(router), router);
}

#[test]
fn the_next_turns_range_counts_the_cache_it_will_read() {
    use crate::app::meter::Count;
    let mut app = App::new("us.anthropic.claude-sonnet-4-5-20250929-v1:0");
    app.link = Link::Local {
        url: "http://127.0.0.1:8787".into(),
        reason: None,
    };
    update(&mut app, Msg::Submit("/cache 5m".into()));
    // A long first turn: the next question reads it from the cache.
    let effects = update(&mut app, Msg::Submit(" the".repeat(3000)));
    let Some(Effect::StartTurn { id, .. }) = effects.last() else {
        panic!("{effects:?}");
    };
    let id = *id;
    update(
        &mut app,
        Msg::Turn {
            id,
            event: TurnEvent::Text(" the".repeat(1200)),
        },
    );
    update(&mut app, Msg::TurnDone { id });
    update(&mut app, Msg::DraftChanged(" the".repeat(1100)));
    let request = app.meter.request;
    update(&mut app, Msg::CountDue(request));
    let plan = app.meter.cache.clone().expect("the next turn is cached");
    assert_eq!((plan.read, plan.written, plan.total), (3000, 2300, 5300));
    update(
        &mut app,
        Msg::Counted {
            request,
            result: Ok(Count {
                tokens: 5300,
                exact: true,
                with_draft: true,
            }),
        },
    );
    insta::assert_snapshot!("meter_cache_next_120x40", draw(&app, 120, 40));
}
