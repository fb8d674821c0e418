//! Reducer tests: message sequences in, whole state and effects out.

use pretty_assertions::assert_eq;

use crate::app::error::BedrockError;
use crate::app::turn::TurnEvent;
use crate::conversation::{Block, Message, Role, StopReason, Usage};

use crate::app::state::Link;
use crate::app::*;

const HAIKU: &str = "anthropic.claude-3-haiku-20240307-v1:0";
const LLAMA: &str = "us.meta.llama3-2-1b-instruct-v1:0";

fn started(effects: &[Effect]) -> (TurnId, Vec<Message>) {
    match effects {
        [.., Effect::StartTurn { id, request }] => (*id, request.messages.clone()),
        other => panic!("expected one StartTurn, got {other:?}"),
    }
}

fn text(id: TurnId, t: &str) -> Msg {
    Msg::Turn {
        id,
        event: TurnEvent::Text(t.into()),
    }
}

#[test]
fn send_stream_and_finish() {
    let mut app = App::new(HAIKU);
    let (id, sent) = started(&update(&mut app, Msg::Submit("Hello?".into())));
    assert_eq!(sent, vec![Message::user("Hello?")]);
    assert!(app.streaming());
    update(&mut app, text(id, "Hi "));
    update(&mut app, text(id, "there."));
    update(
        &mut app,
        Msg::Turn {
            id,
            event: TurnEvent::Stop(StopReason::EndTurn),
        },
    );
    let usage = Usage {
        input: 3,
        output: 2,
        ..Usage::default()
    };
    update(
        &mut app,
        Msg::Turn {
            id,
            event: TurnEvent::Metadata {
                usage,
                latency_ms: 5,
            },
        },
    );
    update(&mut app, Msg::TurnDone { id });
    assert!(!app.streaming());
    let answer = &app.entries[1];
    assert_eq!(answer.message.text(), "Hi there.");
    assert_eq!(answer.message.model.as_deref(), Some(HAIKU));
    assert_eq!(answer.state, EntryState::Done);
    assert_eq!(answer.stop, Some(StopReason::EndTurn));
    assert_eq!(answer.usage, Some(usage));
    assert!(answer.revision >= 5, "every change bumps the revision");

    let (_, sent) = started(&update(&mut app, Msg::Submit("More".into())));
    assert_eq!(sent.len(), 3);
    assert_eq!(sent[1].role, Role::Assistant);
}

#[test]
fn cancel_keeps_the_partial_answer_and_drops_stale_events() {
    let mut app = App::new(HAIKU);
    let (id, _) = started(&update(
        &mut app,
        Msg::Submit("Tell me a long story".into()),
    ));
    update(&mut app, text(id, "Once upon"));
    assert!(matches!(
        update(&mut app, Msg::Cancel).as_slice(),
        [Effect::CancelTurn(i), Effect::Save(Save::Entry(1)), Effect::ScheduleCount { .. }] if *i == id
    ));
    let before = app.clone();
    update(&mut app, text(id, " a time"));
    update(&mut app, Msg::TurnDone { id });
    update(
        &mut app,
        Msg::TurnFailed {
            id,
            error: BedrockError::Stream {
                message: "x".into(),
            },
        },
    );
    assert_eq!(app, before, "events of a cancelled turn change nothing");
    assert_eq!(app.entries[1].state, EntryState::Cancelled);
    assert_eq!(app.entries[1].message.text(), "Once upon");

    let (id2, sent) = started(&update(&mut app, Msg::Submit("Go on".into())));
    assert_ne!(id, id2);
    assert_eq!(
        sent[1].text(),
        "Once upon",
        "a cancelled answer stays in the history"
    );
}

#[test]
fn errors_are_shown_and_the_question_survives() {
    let mut app = App::new(HAIKU);
    // One route: the failure ends the turn instead of failing over.
    app.routing.config.insert(HAIKU.into(), vec![HAIKU.into()]);
    let (id, _) = started(&update(&mut app, Msg::Submit("Q1".into())));
    let error = BedrockError::Throttled {
        message: "Too many requests.".into(),
        retried: true,
        on_profile: false,
    };
    update(
        &mut app,
        Msg::TurnFailed {
            id,
            error: error.clone(),
        },
    );
    assert_eq!(app.entries[1].state, EntryState::Failed(error));
    assert!(matches!(&app.notice, Some(Notice::Error(m)) if m.contains("Throttled")));
    assert!(!app.streaming());
    // The unanswered question stays on screen but is not sent with the next one.
    let (_, sent) = started(&update(&mut app, Msg::Submit("Q2".into())));
    assert_eq!(sent, vec![Message::user("Q2")]);
    assert_eq!(app.entries[0].message.text(), "Q1");
    // Retrying re-sends without duplicating the question.
    let mut app = App::new(HAIKU);
    app.routing.config.insert(HAIKU.into(), vec![HAIKU.into()]);
    let (id, _) = started(&update(&mut app, Msg::Submit("Q1".into())));
    update(
        &mut app,
        Msg::TurnFailed {
            id,
            error: BedrockError::Unavailable { message: "".into() },
        },
    );
    let (_, sent) = started(&update(&mut app, Msg::Regenerate));
    assert_eq!(sent, vec![Message::user("Q1")]);
    assert_eq!(app.entries.len(), 2);
}

#[test]
fn submit_while_streaming_keeps_the_draft() {
    let mut app = App::new(HAIKU);
    update(&mut app, Msg::Submit("first".into()));
    let effects = update(&mut app, Msg::Submit("second".into()));
    assert_eq!(effects, vec![Effect::SetComposer("second".into())]);
    assert_eq!(app.entries.len(), 2);
}

#[test]
fn edit_last_returns_the_question_to_the_composer() {
    let mut app = App::new(HAIKU);
    let (id, _) = started(&update(&mut app, Msg::Submit("typo questoin".into())));
    update(&mut app, Msg::TurnDone { id });
    let effects = update(&mut app, Msg::EditLast);
    assert_eq!(
        effects[..2],
        [
            Effect::Save(Save::Truncate(0)),
            Effect::SetComposer("typo questoin".into())
        ]
    );
    assert!(app.entries.is_empty());
}

#[test]
fn switching_models_mid_conversation_adapts_and_reports() {
    let mut app = App::new("us.anthropic.claude-sonnet-4-5-20250929-v1:0");
    app.system = Some("Be brief.".into());
    let (id, _) = started(&update(&mut app, Msg::Submit("Weather in Paris?".into())));
    for ev in [
        TurnEvent::Reasoning("The user wants weather.".into()),
        TurnEvent::ReasoningSignature("sig".into()),
        TurnEvent::BlockStop,
        TurnEvent::ToolUseStart {
            id: "t1".into(),
            name: "get_weather".into(),
        },
        TurnEvent::ToolUseInput("{\"city\":".into()),
        TurnEvent::ToolUseInput("\"Paris\"}".into()),
        TurnEvent::BlockStop,
    ] {
        update(&mut app, Msg::Turn { id, event: ev });
    }
    update(&mut app, Msg::TurnDone { id });
    assert_eq!(
        app.entries[1].message.blocks[1],
        Block::ToolUse {
            id: "t1".into(),
            name: "get_weather".into(),
            input: serde_json::json!({"city": "Paris"})
        }
    );

    update(&mut app, Msg::SwitchModel(LLAMA.into()));
    assert_eq!(app.model, LLAMA);
    let Some(Notice::Info(n)) = &app.notice else {
        panic!("no notice")
    };
    assert!(n.contains("dropped 1 reasoning block"), "{n}");
    assert!(n.contains("turned 1 tool block(s) into text"), "{n}");
    assert_eq!(app.entries.len(), 2, "the conversation is kept");
    assert_eq!(
        app.entries[1].message.model.as_deref(),
        Some("us.anthropic.claude-sonnet-4-5-20250929-v1:0")
    );
    let (_, sent) = started(&update(&mut app, Msg::Submit("And tomorrow?".into())));
    assert_eq!(
        sent[1].blocks,
        vec![Block::Text(
            "[called tool get_weather with {\"city\":\"Paris\"}]".into()
        )]
    );
    assert_eq!(
        app.entries[3].message.model.as_deref(),
        Some(LLAMA),
        "the new answer is labelled with the new model"
    );

    // A model without a system prompt gets it inline.
    let mut app = App::new("amazon.titan-text-express-v1");
    app.system = Some("Be brief.".into());
    let effects = update(&mut app, Msg::Submit("Hi".into()));
    let Some(Effect::StartTurn { request, .. }) = effects.last() else {
        panic!("{effects:?}")
    };
    assert_eq!(request.system, None);
    assert_eq!(
        request.messages[0].blocks[0],
        Block::Text("Be brief.\n\n".into())
    );
}

#[test]
fn slash_commands() {
    let mut app = App::new(HAIKU);
    assert!(matches!(
        update(&mut app, Msg::Submit("/system You are terse.".into())).as_slice(),
        [Effect::Save(Save::System), Effect::ScheduleCount { .. }]
    ));
    assert_eq!(app.system.as_deref(), Some("You are terse."));
    update(&mut app, Msg::Submit(format!("/model {LLAMA}")));
    assert_eq!(app.model, LLAMA);
    update(&mut app, Msg::Submit("/help".into()));
    assert_eq!(app.overlay, Overlay::Help);
    let effects = update(&mut app, Msg::Submit("/bogus thing".into()));
    assert_eq!(effects, vec![Effect::SetComposer("/bogus thing".into())]);
    assert!(matches!(&app.notice, Some(Notice::Error(m)) if m.contains("Unknown command /bogus")));
    update(&mut app, Msg::Submit("hello".into()));
    let effects = update(&mut app, Msg::Submit("/new".into()));
    assert!(matches!(effects[0], Effect::CancelTurn(_)));
    assert_eq!(effects[1], Effect::Save(Save::Entry(1)));
    assert_eq!(effects[2], Effect::Save(Save::New));
    assert!(app.entries.is_empty() && !app.streaming());
    assert_eq!(
        update(&mut app, Msg::Submit("/quit".into())),
        vec![Effect::Quit]
    );
    assert!(app.quitting);
}

#[test]
fn local_mode_is_announced() {
    let mut app = App::new(HAIKU);
    update(
        &mut app,
        Msg::Connected(Link::Local {
            url: "http://127.0.0.1:1".into(),
            reason: Some("no AWS credentials found".into()),
        }),
    );
    assert!(matches!(&app.notice, Some(Notice::Info(m)) if m.contains("no AWS credentials")));
}

#[test]
fn picker_filters_picks_a_profile_and_switches() {
    let mut app = App::new(HAIKU);
    update(
        &mut app,
        Msg::Connected(Link::Aws {
            region: "eu-west-1".into(),
            profile: None,
            auth: "SSO".into(),
        }),
    );
    update(&mut app, Msg::Submit("/model".into()));
    assert!(matches!(app.overlay, Overlay::Picker(_)));
    for c in "sonnet 4.5".chars() {
        update(&mut app, Msg::Picker(PickerKey::Char(c)));
    }
    update(&mut app, Msg::Picker(PickerKey::Enter));
    assert_eq!(app.overlay, Overlay::None);
    assert_eq!(
        app.model, "eu.anthropic.claude-sonnet-4-5-20250929-v1:0",
        "the region's geo profile"
    );

    update(&mut app, Msg::OpenPicker);
    for c in "sonnet 4.5".chars() {
        update(&mut app, Msg::Picker(PickerKey::Char(c)));
    }
    update(&mut app, Msg::Picker(PickerKey::Tab));
    update(&mut app, Msg::Picker(PickerKey::Enter));
    assert_eq!(
        app.model, "global.anthropic.claude-sonnet-4-5-20250929-v1:0",
        "Tab picks another profile"
    );

    update(&mut app, Msg::OpenPicker);
    update(&mut app, Msg::Picker(PickerKey::Char('x')));
    update(&mut app, Msg::CloseOverlay);
    assert_eq!(app.overlay, Overlay::None);
    assert_eq!(
        app.model, "global.anthropic.claude-sonnet-4-5-20250929-v1:0",
        "Esc changes nothing"
    );
}

#[test]
fn connecting_resolves_a_bare_id_that_needs_a_profile() {
    let mut app = App::new("anthropic.claude-sonnet-4-5-20250929-v1:0");
    update(
        &mut app,
        Msg::Connected(Link::Aws {
            region: "ap-northeast-1".into(),
            profile: Some("dev".into()),
            auth: "SSO".into(),
        }),
    );
    assert_eq!(app.model, "jp.anthropic.claude-sonnet-4-5-20250929-v1:0");
}

fn live_list() -> crate::catalog::live::LiveModels {
    use crate::catalog::live::{LiveModel, LiveModels, LiveProfile};
    let chat = |id: &str, name: &str, types: &[&str]| LiveModel {
        id: id.into(),
        name: name.into(),
        provider: "Acme".into(),
        input_modalities: vec!["TEXT".into()],
        output_modalities: vec!["TEXT".into()],
        streaming: Some(true),
        inference_types: types.iter().map(|t| (*t).to_owned()).collect(),
        lifecycle: Some("ACTIVE".into()),
    };
    LiveModels {
        region: "us-east-1".into(),
        fetched_ms: 1,
        models: vec![
            chat(HAIKU, "Claude 3 Haiku", &["ON_DEMAND"]),
            chat("acme.chat-v2:0", "Acme Chat 2", &["INFERENCE_PROFILE"]),
        ],
        profiles: vec![LiveProfile {
            id: "us.acme.chat-v2:0".into(),
            name: "US Acme Chat 2".into(),
            kind: "SYSTEM_DEFINED".into(),
            status: "ACTIVE".into(),
            model_ids: vec!["acme.chat-v2:0".into()],
        }],
    }
}

#[test]
fn the_live_list_adds_models_to_the_picker_and_to_what_is_accepted() {
    let mut app = App::new(HAIKU);
    app.link = Link::Aws {
        region: "us-east-1".into(),
        profile: None,
        auth: "SSO".into(),
    };
    update(&mut app, Msg::Submit("/model acme.chat-v2:0".into()));
    assert_eq!(app.model, HAIKU, "unknown before the live list");
    assert!(
        matches!(&app.notice, Some(Notice::Error(m)) if m.contains("unknown model 'acme.chat-v2:0'"))
    );

    update(&mut app, Msg::LiveModels(Ok(live_list())));
    let live = app.live.clone().unwrap();
    assert!(live.unlisted.contains("amazon.nova-pro-v1:0"));
    update(&mut app, Msg::OpenPicker);
    for c in "acme chat".chars() {
        update(&mut app, Msg::Picker(PickerKey::Char(c)));
    }
    update(&mut app, Msg::Picker(PickerKey::Enter));
    assert_eq!(
        app.model, "us.acme.chat-v2:0",
        "the bare id needs the region's profile"
    );

    // A failed listing keeps the last good one and says why in the picker.
    update(&mut app, Msg::LiveModels(Err("AccessDenied".into())));
    assert_eq!(app.live_error.as_deref(), Some("AccessDenied"));
    assert!(app.live.is_some());
}

#[test]
fn a_refused_paste_says_how_big_it_was_and_what_fits() {
    let mut app = App::new(HAIKU);
    let effects = update(
        &mut app,
        Msg::PasteRefused {
            lines: 70_000,
            bytes: 3 * 1024 * 1024 + 1,
            max_lines: 65_535,
            max_bytes: 16 * 1024 * 1024,
        },
    );
    assert!(effects.is_empty());
    assert_eq!(
        app.notice,
        Some(Notice::Error(
            "The paste was not inserted: the draft would have 70000 lines and 4 MiB, more than the composer holds (65535 lines, 16 MiB). Send it in parts.".into()
        ))
    );
}
