//! The tool loop as the reducer runs it: a `tool_use` answer, the consent prompt, the
//! run, the result sent back as the next turn; refusal, approvals, Esc during a call,
//! a failed call, bad calls, the rounds limit, a model switch mid-loop, and a
//! conversation resumed in the middle of a loop.

use pretty_assertions::assert_eq;
use serde_json::json;

use crate::app::turn::{TurnEvent, TurnRequest};
use crate::app::*;
use crate::conversation::{Block, Message, Role, StopReason};
use crate::tools::{Choice, Content, Output, Settings, Source, Tool, ToolSpec};

use super::{CallId, CallStatus, Consent, ToolsKey};

const HAIKU: &str = "anthropic.claude-haiku-4-5-20251001-v1:0";
const LLAMA: &str = "us.meta.llama3-2-1b-instruct-v1:0";

fn weather() -> Tool {
    Tool {
        spec: ToolSpec {
            name: "get_weather".into(),
            description: "The weather in a city".into(),
            input_schema: json!({"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}),
        },
        source: Source::Command,
        auto_approve: false,
    }
}

fn clock(auto: bool) -> Tool {
    Tool {
        spec: ToolSpec {
            name: "time__now".into(),
            description: "The time".into(),
            input_schema: json!({"type": "object"}),
        },
        source: Source::Mcp {
            server: "time".into(),
            remote: "now".into(),
        },
        auto_approve: auto,
    }
}

fn app() -> App {
    let mut app = App::new(HAIKU);
    app.tools = super::Tools::configured(&Settings::default());
    app.tools.commands = vec![weather()];
    app.tools.mcp = vec![clock(false)];
    app.tools.enabled = true;
    app
}

fn request(effects: &[Effect]) -> Option<(TurnId, TurnRequest)> {
    effects.iter().find_map(|e| match e {
        Effect::StartTurn { id, request } => Some((*id, request.clone())),
        _ => None,
    })
}

fn runs(effects: &[Effect]) -> Vec<(CallId, String, serde_json::Value)> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::RunTool { call, name, input } => Some((*call, name.clone(), input.clone())),
            _ => None,
        })
        .collect()
}

/// Asks `question`; the answer calls each of `calls` (name, input) and stops with
/// `tool_use`. Returns the effects of the answer's end.
fn ask_with_calls(
    app: &mut App,
    question: &str,
    calls: &[(&str, serde_json::Value)],
) -> Vec<Effect> {
    let (id, req) = request(&update(app, Msg::Submit(question.into()))).expect("a turn");
    let tools = req.tools.expect("the turn offers the tools");
    assert!(tools.tools.iter().any(|t| t.name == "get_weather"));
    answer_with_calls(app, id, calls)
}

fn answer_with_calls(
    app: &mut App,
    id: TurnId,
    calls: &[(&str, serde_json::Value)],
) -> Vec<Effect> {
    update(
        app,
        Msg::Turn {
            id,
            event: TurnEvent::Text("Let me check.".into()),
        },
    );
    for (i, (name, input)) in calls.iter().enumerate() {
        for event in [
            TurnEvent::BlockStop,
            TurnEvent::ToolUseStart {
                id: format!("t{i}"),
                name: (*name).into(),
            },
            TurnEvent::ToolUseInput(input.to_string()),
            TurnEvent::BlockStop,
        ] {
            update(app, Msg::Turn { id, event });
        }
    }
    update(
        app,
        Msg::Turn {
            id,
            event: TurnEvent::Stop(StopReason::ToolUse),
        },
    );
    update(app, Msg::TurnDone { id })
}

/// Asks about the weather in Paris and says yes to the call: the id of the run.
fn weather_running(app: &mut App) -> CallId {
    ask_with_calls(
        app,
        "Weather?",
        &[("get_weather", json!({"city": "Paris"}))],
    );
    let [(call, ..)] = runs(&update(app, Msg::Consent(Consent::Yes)))
        .try_into()
        .unwrap();
    call
}

fn results(m: &Message) -> Vec<(String, String, bool)> {
    m.blocks
        .iter()
        .filter_map(|b| match b {
            Block::ToolResult { id, content, error } => Some((
                id.clone(),
                content.iter().map(Content::text).collect(),
                *error,
            )),
            _ => None,
        })
        .collect()
}

#[test]
fn a_call_is_approved_run_and_its_result_sent_as_the_next_turn() {
    let mut app = app();
    let effects = ask_with_calls(
        &mut app,
        "Weather in Paris?",
        &[("get_weather", json!({"city": "Paris"}))],
    );
    assert!(
        runs(&effects).is_empty(),
        "nothing runs before the user says yes"
    );
    assert_eq!(app.overlay, Overlay::Consent);
    assert_eq!(app.entries[1].calls[0].status, CallStatus::Waiting);
    assert!(app.busy());

    let effects = update(&mut app, Msg::Consent(Consent::Yes));
    let [(call, name, input)] = runs(&effects).try_into().unwrap();
    assert_eq!(
        (name.as_str(), input),
        ("get_weather", json!({"city": "Paris"}))
    );
    assert_eq!(app.overlay, Overlay::None);
    assert_eq!(app.entries[1].calls[0].status, CallStatus::Running(call));

    let effects = update(
        &mut app,
        Msg::ToolDone {
            call,
            output: Output::text("sunny, 21°C"),
            ms: 40,
        },
    );
    let (_, req) = request(&effects).expect("the results go back at once");
    let last = req.messages.last().unwrap();
    assert_eq!(last.role, Role::User);
    assert_eq!(
        results(last),
        [("t0".to_owned(), "sunny, 21°C".to_owned(), false)]
    );
    let roles: Vec<Role> = req.messages.iter().map(|m| m.role).collect();
    assert_eq!(roles, [Role::User, Role::Assistant, Role::User]);
    assert_eq!(app.entries[1].calls[0].status, CallStatus::Done);
    assert_eq!(app.entries[1].calls[0].ms, Some(40));
    assert!(app.streaming(), "the next turn streams");
    // The results entry is saved with the answer whose calls it answers.
    assert!(effects.contains(&Effect::Save(Save::Entry(2))));
}

#[test]
fn a_declined_call_tells_the_model_the_user_said_no() {
    let mut app = app();
    ask_with_calls(
        &mut app,
        "Weather in Paris?",
        &[("get_weather", json!({"city": "Paris"}))],
    );
    let effects = update(&mut app, Msg::Consent(Consent::No));
    assert!(runs(&effects).is_empty());
    let (_, req) = request(&effects).expect("the refusal goes back to the model");
    let [(id, text, error)] = results(req.messages.last().unwrap()).try_into().unwrap();
    assert_eq!(id, "t0");
    assert!(error && text.contains("declined"), "{text}");
    assert_eq!(app.entries[1].calls[0].status, CallStatus::Declined);
}

#[test]
fn always_in_this_conversation_and_always_approve_later_calls() {
    let mut app = app();
    ask_with_calls(
        &mut app,
        "Weather?",
        &[("get_weather", json!({"city": "Paris"}))],
    );
    let effects = update(&mut app, Msg::Consent(Consent::Conversation));
    let [(call, ..)] = runs(&effects).try_into().unwrap();
    let (id, _) = request(&update(
        &mut app,
        Msg::ToolDone {
            call,
            output: Output::text("sunny"),
            ms: 1,
        },
    ))
    .unwrap();
    // The next round's call of the same tool runs without asking.
    let effects = answer_with_calls(&mut app, id, &[("get_weather", json!({"city": "Rome"}))]);
    assert_eq!(runs(&effects).len(), 1);
    assert_eq!(app.overlay, Overlay::None);

    // "Always" also writes auto_approve to the config.
    let mut app = self::app();
    ask_with_calls(&mut app, "What time is it?", &[("time__now", json!({}))]);
    let effects = update(&mut app, Msg::Consent(Consent::Always));
    assert!(effects.contains(&Effect::ApproveAlways {
        tool: "time__now".into(),
        source: Source::Mcp {
            server: "time".into(),
            remote: "now".into()
        },
    }));
    assert_eq!(runs(&effects).len(), 1);

    // A new conversation forgets "in this conversation".
    update(&mut app, Msg::Cancel);
    update(&mut app, Msg::Submit("/new".into()));
    assert!(app.tools.approved.is_empty());
}

#[test]
fn a_tool_marked_auto_approve_runs_without_asking() {
    let mut app = app();
    app.tools.mcp = vec![clock(true)];
    let effects = ask_with_calls(&mut app, "Time?", &[("time__now", json!({}))]);
    assert_eq!(runs(&effects).len(), 1);
    assert_eq!(app.overlay, Overlay::None);
}

#[test]
fn esc_during_a_call_cancels_it_and_no_turn_follows() {
    let mut app = app();
    ask_with_calls(
        &mut app,
        "Weather and time?",
        &[
            ("get_weather", json!({"city": "Paris"})),
            ("time__now", json!({})),
        ],
    );
    let effects = update(&mut app, Msg::Consent(Consent::Yes));
    let [(call, ..)] = runs(&effects).try_into().unwrap();
    assert_eq!(
        app.overlay,
        Overlay::Consent,
        "the second call waits for its answer"
    );

    let effects = update(&mut app, Msg::Cancel);
    assert!(effects.contains(&Effect::CancelTool(call)));
    assert!(
        request(&effects).is_none(),
        "no turn follows a stopped loop"
    );
    assert!(!app.busy());
    assert_eq!(app.overlay, Overlay::None);
    let statuses: Vec<_> = app.entries[1]
        .calls
        .iter()
        .map(|c| c.status.clone())
        .collect();
    assert_eq!(statuses, [CallStatus::Cancelled, CallStatus::Cancelled]);
    // A result that comes after is stale.
    assert!(
        update(
            &mut app,
            Msg::ToolDone {
                call,
                output: Output::text("late"),
                ms: 9
            }
        )
        .is_empty()
    );

    // The next question carries a result for each call, then the question.
    let (_, req) = request(&update(&mut app, Msg::Submit("Never mind.".into()))).unwrap();
    let last = req.messages.last().unwrap();
    let r = results(last);
    assert_eq!(r.len(), 2);
    assert!(r.iter().all(|(_, _, error)| *error));
    assert_eq!(last.blocks.last(), Some(&Block::Text("Never mind.".into())));
}

#[test]
fn a_failed_call_goes_back_as_an_error_result() {
    let mut app = app();
    let call = weather_running(&mut app);
    let effects = update(
        &mut app,
        Msg::ToolDone {
            call,
            output: Output::error("exited with status 2: no such city"),
            ms: 5,
        },
    );
    let (_, req) = request(&effects).unwrap();
    let [(_, text, error)] = results(req.messages.last().unwrap()).try_into().unwrap();
    assert!(error && text.contains("no such city"));
}

#[test]
fn unknown_tools_and_inputs_that_break_the_schema_answer_without_running() {
    let mut app = app();
    let effects = ask_with_calls(
        &mut app,
        "Weather?",
        &[
            ("get_wether", json!({"city": "Paris"})),
            ("get_weather", json!({"town": 3})),
        ],
    );
    assert!(runs(&effects).is_empty());
    assert_eq!(app.overlay, Overlay::None, "nothing to consent to");
    let (_, req) = request(&effects).expect("the errors go back at once");
    let r = results(req.messages.last().unwrap());
    assert!(
        r[0].1.contains("no tool named get_wether") && r[0].1.contains("get_weather"),
        "{r:?}"
    );
    assert!(r[1].1.contains("city"), "{r:?}");
    assert!(r.iter().all(|(_, _, e)| *e));
}

#[test]
fn after_max_rounds_the_user_is_asked_to_go_on() {
    let mut app = app();
    app.tools.max_rounds = 2;
    app.tools.approved.insert("get_weather".into());
    let call = json!({"city": "Paris"});
    let mut effects = ask_with_calls(&mut app, "Weather?", &[("get_weather", call.clone())]);
    for round in 0..2 {
        let [(c, ..)] = runs(&effects).try_into().unwrap();
        let (id, req) = request(&update(
            &mut app,
            Msg::ToolDone {
                call: c,
                output: Output::text("ok"),
                ms: 1,
            },
        ))
        .unwrap();
        // A forced choice applies to the question, the turns after it are auto.
        assert_eq!(req.tools.unwrap().choice, Choice::Auto, "round {round}");
        effects = answer_with_calls(&mut app, id, &[("get_weather", call.clone())]);
    }
    assert!(runs(&effects).is_empty());
    assert_eq!(app.overlay, Overlay::MoreRounds);
    let effects = update(&mut app, Msg::MoreRounds(true));
    assert_eq!(runs(&effects).len(), 1, "going on runs the waiting call");

    // Saying no stops the loop with the calls answered.
    let mut app = self::app();
    app.tools.max_rounds = 1;
    app.tools.approved.insert("get_weather".into());
    let effects = ask_with_calls(&mut app, "Weather?", &[("get_weather", call.clone())]);
    let [(c, ..)] = runs(&effects).try_into().unwrap();
    let (id, _) = request(&update(
        &mut app,
        Msg::ToolDone {
            call: c,
            output: Output::text("ok"),
            ms: 1,
        },
    ))
    .unwrap();
    answer_with_calls(&mut app, id, &[("get_weather", call)]);
    let effects = update(&mut app, Msg::MoreRounds(false));
    assert!(request(&effects).is_none());
    assert!(!app.busy());
    let last = &app.entries.last().unwrap().message;
    assert!(results(last)[0].1.contains("stopped the tool loop"));
}

#[test]
fn a_forced_choice_is_sent_with_the_question() {
    let mut app = app();
    update(&mut app, Msg::Submit("/tools any".into()));
    let (_, req) = request(&update(&mut app, Msg::Submit("Hi".into()))).unwrap();
    assert_eq!(req.tools.unwrap().choice, Choice::Any);
    update(&mut app, Msg::Cancel);
    update(&mut app, Msg::Submit("/tools get_weather".into()));
    let (_, req) = request(&update(&mut app, Msg::Submit("Hi".into()))).unwrap();
    assert_eq!(
        req.tools.unwrap().choice,
        Choice::Tool("get_weather".into())
    );
    update(&mut app, Msg::Cancel);
    update(&mut app, Msg::Submit("/tools off".into()));
    let (_, req) = request(&update(&mut app, Msg::Submit("Hi".into()))).unwrap();
    assert!(req.tools.is_none());
    update(&mut app, Msg::Submit("/tools bogus".into()));
    assert!(matches!(&app.notice, Some(Notice::Error(e)) if e.contains("bogus")));
}

#[test]
fn the_tools_list_sets_the_choice_and_turns_tools_off() {
    let mut app = app();
    update(&mut app, Msg::Submit("/tools".into()));
    assert_eq!(app.overlay, Overlay::Tools(0));
    update(&mut app, Msg::Tools(ToolsKey::Down));
    assert_eq!(app.overlay, Overlay::Tools(1));
    update(&mut app, Msg::Tools(ToolsKey::Enter));
    assert_eq!(app.tools.choice, Choice::Tool("time__now".into()));
    update(&mut app, Msg::Tools(ToolsKey::Toggle));
    assert!(!app.tools.enabled);
}

#[test]
fn switching_to_a_model_without_tools_mid_loop_stops_it_and_turns_tools_off() {
    let mut app = app();
    let call = weather_running(&mut app);
    let effects = update(&mut app, Msg::SwitchModel(LLAMA.into()));
    assert!(effects.contains(&Effect::CancelTool(call)));
    assert!(!app.busy() && !app.tools.enabled);
    let Some(Notice::Info(n)) = &app.notice else {
        panic!()
    };
    assert!(n.contains("tools are off"), "{n}");
    // The calls and results became text, and no toolConfig is sent.
    let (_, req) = request(&update(&mut app, Msg::Submit("And now?".into()))).unwrap();
    assert!(req.tools.is_none());
    assert!(
        req.messages
            .iter()
            .flat_map(|m| &m.blocks)
            .all(|b| matches!(b, Block::Text(_)))
    );
}

#[test]
fn a_switch_to_a_model_with_tools_keeps_the_loop() {
    let mut app = app();
    let call = weather_running(&mut app);
    update(
        &mut app,
        Msg::SwitchModel("anthropic.claude-3-haiku-20240307-v1:0".into()),
    );
    let (_, req) = request(&update(
        &mut app,
        Msg::ToolDone {
            call,
            output: Output::text("sunny"),
            ms: 2,
        },
    ))
    .unwrap();
    assert_eq!(req.model_id, "anthropic.claude-3-haiku-20240307-v1:0");
}

#[test]
fn a_conversation_resumed_mid_loop_answers_every_call() {
    // As the history has it after an exit while a call ran: the answer's calls and
    // no results.
    use crate::store::{ConversationId, MessageState, StoredConversation, StoredMessage};
    let answer = Message {
        role: Role::Assistant,
        blocks: vec![
            Block::Text("Let me check.".into()),
            Block::ToolUse {
                id: "t0".into(),
                name: "get_weather".into(),
                input: json!({"city": "Paris"}),
            },
        ],
        model: Some(HAIKU.into()),
    };
    let stored = StoredConversation {
        id: ConversationId(1),
        title: "Weather".into(),
        model: HAIKU.into(),
        system: None,
        created_ms: 1,
        updated_ms: 2,
        messages: vec![
            StoredMessage::new(0, Message::user("Weather?"), 1),
            StoredMessage {
                state: MessageState::Done,
                stop: Some(StopReason::ToolUse),
                ..StoredMessage::new(1, answer, 2)
            },
        ],
    };
    let mut app = app();
    app.show_conversation(&stored);
    assert_eq!(app.entries[1].calls[0].status, CallStatus::Cancelled);
    let (_, req) = request(&update(&mut app, Msg::Submit("Try again".into()))).unwrap();
    let last = req.messages.last().unwrap();
    let [(id, _, error)] = results(last).try_into().unwrap();
    assert_eq!(id, "t0");
    assert!(error);
    assert_eq!(last.blocks.last(), Some(&Block::Text("Try again".into())));
}

#[test]
fn quitting_mid_loop_keeps_every_call_answered() {
    let mut app = app();
    let call = weather_running(&mut app);
    let effects = update(&mut app, Msg::Quit);
    assert!(effects.contains(&Effect::CancelTool(call)));
    let last = &app.entries.last().unwrap().message;
    assert!(results(last)[0].1.contains("app exited"));
    assert!(effects.contains(&Effect::Save(Save::Entry(2))));
}

#[test]
fn edit_and_regenerate_after_a_loop_go_back_to_the_question() {
    let mut app = app();
    let call = weather_running(&mut app);
    let (id, _) = request(&update(
        &mut app,
        Msg::ToolDone {
            call,
            output: Output::text("sunny"),
            ms: 1,
        },
    ))
    .unwrap();
    update(&mut app, Msg::TurnDone { id });
    assert_eq!(app.entries.len(), 4, "question, call, results, answer");
    let effects = update(&mut app, Msg::Regenerate);
    let (_, req) = request(&effects).unwrap();
    assert_eq!(req.messages.len(), 1, "asked again from the question");
    update(&mut app, Msg::Cancel);
    let effects = update(&mut app, Msg::EditLast);
    assert!(effects.contains(&Effect::SetComposer("Weather?".into())));
    assert!(app.entries.is_empty());
}
