//! Snapshots of the tool loop on screen: the consent prompt, a call running, failed,
//! done with a long result folded and expanded, and the tools list.

use serde_json::json;

use crate::app::state::Link;
use crate::app::tools::{Consent, Tools};
use crate::app::turn::TurnEvent;
use crate::app::{App, Effect, Msg, update};
use crate::conversation::StopReason;
use crate::tools::{Output, ServerState, Settings, Source, Tool, ToolSpec};

use super::tests::draw;

const HAIKU: &str = "anthropic.claude-haiku-4-5-20251001-v1:0";

fn tool(name: &str, description: &str, source: Source) -> Tool {
    Tool {
        spec: ToolSpec {
            name: name.into(),
            description: description.into(),
            input_schema: json!({"type": "object"}),
        },
        source,
        auto_approve: false,
    }
}

/// A chat with a command tool and two MCP servers, one ready and one failed.
fn app() -> App {
    let mut app = App::new(HAIKU);
    app.link = Link::Local {
        url: "http://127.0.0.1:8787".into(),
        reason: None,
    };
    app.tools = Tools::configured(&Settings::default());
    app.tools.commands = vec![tool(
        "get_weather",
        "The current weather in a city, from the forecast service",
        Source::Command,
    )];
    app.tools.enabled = true;
    let time = Source::Mcp {
        server: "time".into(),
        remote: "get_current_time".into(),
    };
    update(
        &mut app,
        Msg::ToolServer {
            name: "time".into(),
            state: ServerState::Ready,
            tools: vec![tool(
                "time__get_current_time",
                "Get the current time in a timezone",
                time,
            )],
        },
    );
    update(
        &mut app,
        Msg::ToolServer {
            name: "search".into(),
            state: ServerState::Failed(
                "exited with status 1: Error: SEARCH_API_KEY is not set".into(),
            ),
            tools: Vec::new(),
        },
    );
    app
}

/// Asks a question whose answer calls `get_weather` with a long input.
fn asked(app: &mut App) {
    let effects = update(
        app,
        Msg::Submit("What is the weather in Paris and Rome?".into()),
    );
    let id = effects
        .iter()
        .find_map(|e| match e {
            Effect::StartTurn { id, .. } => Some(*id),
            _ => None,
        })
        .unwrap();
    let input =
        json!({"city": "Paris", "units": "metric", "days": 3, "details": ["wind", "rain", "uv"]});
    for event in [
        TurnEvent::Text("I'll use the `get_weather` tool for this.".into()),
        TurnEvent::BlockStop,
        TurnEvent::ToolUseStart {
            id: "t1".into(),
            name: "get_weather".into(),
        },
        TurnEvent::ToolUseInput(input.to_string()),
        TurnEvent::BlockStop,
        TurnEvent::Stop(StopReason::ToolUse),
    ] {
        update(app, Msg::Turn { id, event });
    }
    update(app, Msg::TurnDone { id });
}

fn run(app: &mut App, consent: Consent) -> crate::app::tools::CallId {
    update(app, Msg::Consent(consent))
        .into_iter()
        .find_map(|e| match e {
            Effect::RunTool { call, .. } => Some(call),
            _ => None,
        })
        .unwrap()
}

#[test]
fn the_consent_prompt() {
    let mut app = app();
    asked(&mut app);
    insta::assert_snapshot!("tool_consent_80x24", draw(&app, 80, 24));
    insta::assert_snapshot!("tool_consent_120x40", draw(&app, 120, 40));
}

#[test]
fn a_call_running_then_failed() {
    let mut app = app();
    asked(&mut app);
    let call = run(&mut app, Consent::Yes);
    insta::assert_snapshot!("tool_running_80x24", draw(&app, 80, 24));
    update(
        &mut app,
        Msg::ToolDone {
            call,
            output: Output::error(
                "exited with status 2: forecast service unreachable (timeout after 5 s)",
            ),
            ms: 5012,
        },
    );
    // The next turn streams; the failed call's cell stays above it.
    insta::assert_snapshot!("tool_failed_80x24", draw(&app, 80, 24));
}

#[test]
fn a_long_result_folded_and_expanded() {
    let mut app = app();
    asked(&mut app);
    let call = run(&mut app, Consent::Yes);
    let days: Vec<_> = (1..=8)
        .map(|d| json!({"day": d, "high": 20 + d, "low": 10 + d, "sky": "sunny"}))
        .collect();
    update(
        &mut app,
        Msg::ToolDone {
            call,
            output: Output {
                content: vec![crate::tools::Content::Json(
                    json!({"city": "Paris", "days": days}),
                )],
                error: false,
            },
            ms: 431,
        },
    );
    update(&mut app, Msg::Cancel);
    insta::assert_snapshot!("tool_folded_120x40", draw(&app, 120, 40));
    update(&mut app, Msg::ExpandTools);
    update(&mut app, Msg::ScrollBy(30));
    insta::assert_snapshot!("tool_expanded_120x40", draw(&app, 120, 40));
}

#[test]
fn the_tools_list() {
    let mut app = app();
    update(&mut app, Msg::Submit("/tools".into()));
    insta::assert_snapshot!("tools_list_80x24", draw(&app, 80, 24));
    insta::assert_snapshot!("tools_list_120x40", draw(&app, 120, 40));
}
