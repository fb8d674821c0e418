//! `ask --tools`: the question answered with the config's tools, through the chat's own
//! reducer (the same loop, checks and results), driven without a screen. Only calls of
//! tools marked `auto_approve`, or every call with `--yes`, run; any other is declined
//! and the model is told so. Each call is said on stderr; the answers' text streams to
//! stdout.

use std::io::Write;

use serde_json::{Value, json};
use tokio::sync::mpsc;

use crate::app::tools::{CallStatus, Consent, Tools};
use crate::app::turn::TurnEvent;
use crate::app::{App, Effect, Msg, Overlay, update};
use crate::bedrock::Connection;
use crate::conversation::{Block, Role};

/// What the loop leaves for `ask` to print.
pub struct Answer {
    pub text: String,
    /// Every call: tool, input, result, whether it failed.
    pub calls: Vec<Value>,
    pub last: Option<crate::app::Entry>,
}

/// Asks `question` of `model` with the tools of `settings`; `write` gets each piece of
/// answer text as it streams.
pub async fn run(
    conn: &Connection,
    mut app: App,
    settings: &crate::tools::Settings,
    yes: bool,
    question: String,
    mut write: impl FnMut(&str) -> std::io::Result<()>,
) -> anyhow::Result<Answer> {
    let (events, mut server_rx) = mpsc::unbounded_channel();
    let runner = crate::runner::Runner::start(settings, events);
    app.tools = Tools::configured(settings);
    // The MCP servers' tools are offered once every server has said whether it runs.
    let mut waiting: std::collections::BTreeSet<&str> =
        settings.servers.iter().map(|s| s.name.as_str()).collect();
    while !waiting.is_empty() {
        let Some(crate::runner::Event::Server { name, state, tools }) = server_rx.recv().await
        else {
            break;
        };
        if state != crate::tools::ServerState::Starting {
            waiting.remove(name.as_str());
        }
        if let crate::tools::ServerState::Failed(why) = &state {
            crate::cli::output::note(format!("MCP server {name} did not start: {why}"));
        }
        update(&mut app, Msg::ToolServer { name, state, tools });
    }
    if yes {
        let names: Vec<String> = app.tools.available().map(|t| t.spec.name.clone()).collect();
        app.tools.approved.extend(names);
    }

    let (tx, mut rx) = mpsc::unbounded_channel::<Msg>();
    let mut pending = update(&mut app, Msg::Submit(question));
    let mut text = String::new();
    let mut failure = None;
    loop {
        for effect in std::mem::take(&mut pending) {
            match effect {
                Effect::StartTurn { id, request } => {
                    // Each answer of the loop starts a paragraph of its own.
                    if !text.is_empty() && !text.ends_with("\n\n") {
                        let gap = if text.ends_with('\n') { "\n" } else { "\n\n" };
                        text.push_str(gap);
                        write(gap)?;
                    }
                    let (conn, tx) = (conn.clone(), tx.clone());
                    tokio::spawn(async move {
                        let result = crate::bedrock::stream_turn(&conn, &request, |event| {
                            let _ = tx.send(Msg::Turn { id, event });
                        })
                        .await;
                        let _ = tx.send(match result {
                            Ok(()) => Msg::TurnDone { id },
                            Err(error) => Msg::TurnFailed { id, error },
                        });
                    });
                }
                Effect::RunTool { call, name, input } => {
                    let (runner, tx) = (runner.clone(), tx.clone());
                    tokio::spawn(async move {
                        let started = std::time::Instant::now();
                        let output = runner.call(&name, input).await;
                        let ms = started.elapsed().as_millis() as u64;
                        let _ = tx.send(Msg::ToolDone { call, output, ms });
                    });
                }
                // The history, the meter and the screen are the chat's.
                _ => {}
            }
        }
        if app.overlay == Overlay::Consent {
            if let Some((_, _, name, _)) = crate::app::tools::waiting(&app) {
                crate::cli::output::note(format!(
                    "tool {name}: declined (it is not marked auto_approve; --yes runs every call)"
                ));
            }
            pending = update(&mut app, Msg::Consent(Consent::No));
            continue;
        }
        if app.overlay == Overlay::MoreRounds {
            crate::cli::output::note(format!(
                "stopped after {} rounds of tool calls (max_tool_rounds)",
                app.tools.rounds
            ));
            pending = update(&mut app, Msg::MoreRounds(false));
            continue;
        }
        if !app.busy() {
            break;
        }
        let Some(msg) = rx.recv().await else { break };
        match &msg {
            Msg::Turn {
                event: TurnEvent::Text(t),
                ..
            } => {
                text.push_str(t);
                write(t)?;
            }
            Msg::ToolDone { call, ms, .. } => {
                // The answer's line ends before the call is said on stderr.
                if !text.is_empty() && !text.ends_with('\n') {
                    text.push('\n');
                    write("\n")?;
                }
                say_call(&app, *call, *ms)
            }
            Msg::TurnFailed { error, .. } => failure = Some(error.clone()),
            _ => {}
        }
        pending = update(&mut app, msg);
    }
    runner.shutdown().await;
    if let Some(e) = failure {
        return Err(e.into());
    }
    Ok(Answer {
        text,
        calls: calls(&app),
        last: app
            .entries
            .iter()
            .rfind(|e| e.message.role == Role::Assistant)
            .cloned(),
    })
}

/// The call that finished, on stderr: tool, input, and how it went.
fn say_call(app: &App, call: crate::app::tools::CallId, ms: u64) {
    let Some(idx) = app.tools.round else { return };
    let e = &app.entries[idx];
    let Some(pos) = e
        .calls
        .iter()
        .position(|c| c.status == CallStatus::Running(call))
    else {
        return;
    };
    let uses: Vec<_> = e
        .message
        .blocks
        .iter()
        .filter_map(|b| match b {
            Block::ToolUse { name, input, .. } => Some((name, input)),
            _ => None,
        })
        .collect();
    if let Some((name, input)) = uses.get(pos) {
        crate::cli::output::note(format!("tool {name} {input}: done in {ms} ms"));
    }
}

/// Every call of the conversation with its result, for `--json`.
fn calls(app: &App) -> Vec<Value> {
    let mut out = Vec::new();
    for e in &app.entries {
        for b in &e.message.blocks {
            if let Block::ToolUse { id, name, input } = b {
                let call = e.calls.iter().find(|c| &c.id == id);
                let output = call.and_then(|c| c.output.as_ref());
                out.push(json!({
                    "toolUseId": id,
                    "name": name,
                    "input": input,
                    "result": output.map(crate::tools::Output::joined),
                    "error": output.is_some_and(|o| o.error),
                }));
            }
        }
    }
    out
}

/// Writes `text` to `out` and flushes it.
pub fn write_to(out: &mut impl Write, text: &str) -> std::io::Result<()> {
    out.write_all(text.as_bytes())?;
    out.flush()
}
