//! The tool loop. An answer that stops with `tool_use` has its calls checked (a known
//! tool, input that fits its schema), each approved by the user unless its tool is
//! (yes / no / always in this conversation / always), run by the executor, and their
//! results sent back as the next turn, until the model ends its answer or
//! `max_tool_rounds` rounds ran (then the user is asked). Esc or the app's exit stops the
//! loop: calls in flight are cancelled, and every call gets a result, so the
//! conversation stays one the API takes.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::conversation::{Block, Message, Role, StopReason};
use crate::tools::{Choice, Output, ServerState, Tool};

use crate::app::effect::{Effect, Save};
use crate::app::state::{App, Entry, EntryState, Overlay};

mod list;
mod pairing;

pub use list::config;
use list::model_takes_tools;
pub(super) use list::{command, key, server};
pub use pairing::{pair, restore};

/// Identifies one run of a tool; results of any other are stale.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CallId(pub u64);

#[derive(Debug, Clone, PartialEq)]
pub enum CallStatus {
    /// Waiting for the user's yes or no.
    Waiting,
    Running(CallId),
    /// It ran (or could not, for a reason its output gives).
    Done,
    /// The user said no.
    Declined,
    /// Stopped by Esc or the app's exit, before or while it ran.
    Cancelled,
}

/// One tool call of an answer, as the cell shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    /// The `toolUseId` of the call.
    pub id: String,
    pub status: CallStatus,
    /// Where the tool comes from, as the cell and the prompt name it.
    pub source: String,
    /// The result sent back to the model.
    pub output: Option<Output>,
    /// How long it ran.
    pub ms: Option<u64>,
}

impl Call {
    fn finish(&mut self, status: CallStatus, output: Output) {
        self.status = status;
        self.output = Some(output);
    }

    pub fn finished(&self) -> bool {
        !matches!(self.status, CallStatus::Waiting | CallStatus::Running(_))
    }
}

/// An MCP server as `/tools` shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Server {
    pub name: String,
    pub state: ServerState,
}

/// The user's answer to the consent prompt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Consent {
    Yes,
    No,
    /// Yes, and for every call of this tool in this conversation.
    Conversation,
    /// Yes, and always: written to the config as `auto_approve`.
    Always,
}

/// Keys of the tools list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ToolsKey {
    Up,
    Down,
    /// Make the selected tool the one the model must use.
    Enter,
    /// The model decides (`auto`).
    Auto,
    /// The model must use some tool (`any`).
    Any,
    /// Tools on or off.
    Toggle,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Tools {
    /// `[[tools]]` of the config.
    pub commands: Vec<Tool>,
    /// The tools of the MCP servers that are ready.
    pub mcp: Vec<Tool>,
    pub servers: Vec<Server>,
    /// Whether turns offer the tools.
    pub enabled: bool,
    pub choice: Choice,
    pub max_rounds: u32,
    /// Tools the user approved for this conversation.
    pub approved: BTreeSet<String>,
    /// The entry of the answer whose calls are running or waiting.
    pub round: Option<usize>,
    /// Rounds of calls since the user's last question.
    pub rounds: u32,
    pub next_call: u64,
    /// Tool cells show input and result in full.
    pub expanded: bool,
}

impl Default for Tools {
    fn default() -> Self {
        Tools {
            commands: Vec::new(),
            mcp: Vec::new(),
            servers: Vec::new(),
            enabled: false,
            choice: Choice::Auto,
            max_rounds: crate::tools::DEFAULT_MAX_ROUNDS,
            approved: BTreeSet::new(),
            round: None,
            rounds: 0,
            next_call: 0,
            expanded: false,
        }
    }
}

impl Tools {
    /// The tools of the config, on when there are any; MCP servers start out starting.
    pub fn configured(settings: &crate::tools::Settings) -> Self {
        Tools {
            commands: settings.command_tools(),
            servers: settings
                .servers
                .iter()
                .map(|s| Server {
                    name: s.name.clone(),
                    state: ServerState::Starting,
                })
                .collect(),
            enabled: !settings.commands.is_empty() || !settings.servers.is_empty(),
            max_rounds: settings.max_rounds,
            ..Tools::default()
        }
    }

    /// Every tool a turn can offer, command tools first.
    pub fn available(&self) -> impl Iterator<Item = &Tool> {
        self.commands.iter().chain(&self.mcp)
    }

    pub fn find(&self, name: &str) -> Option<&Tool> {
        self.available().find(|t| t.spec.name == name)
    }

    /// Whether any tool is configured at all.
    pub fn any(&self) -> bool {
        !self.commands.is_empty() || !self.servers.is_empty()
    }
}

/// After an answer ended: when it stopped to call tools, its calls start.
pub(super) fn begin(app: &mut App, idx: usize) -> Vec<Effect> {
    let e = &app.entries[idx];
    let uses = tool_uses(&e.message);
    if e.state != EntryState::Done || e.stop != Some(StopReason::ToolUse) || uses.is_empty() {
        return Vec::new();
    }
    let mut calls = Vec::new();
    for (id, name, input) in uses {
        let tool = app.tools.find(&name);
        let mut call = Call {
            id,
            status: CallStatus::Waiting,
            source: tool.map_or_else(String::new, |t| t.source.label()),
            output: None,
            ms: None,
        };
        if let Err(why) = check(app, &name, &input) {
            call.finish(CallStatus::Done, Output::error(why));
        }
        calls.push(call);
    }
    app.entries[idx].calls = calls;
    app.entries[idx].revision += 1;
    app.tools.round = Some(idx);
    if app.tools.rounds >= app.tools.max_rounds {
        app.overlay = Overlay::MoreRounds;
        return vec![Effect::Save(Save::Entry(idx))];
    }
    proceed(app)
}

/// Whether `input` may be given to tool `name`: it exists and the input fits its schema.
fn check(app: &App, name: &str, input: &Value) -> Result<(), String> {
    let Some(tool) = app.tools.find(name) else {
        let names: Vec<&str> = app
            .tools
            .available()
            .map(|t| t.spec.name.as_str())
            .collect();
        return Err(format!(
            "There is no tool named {name}. The tools are: {}.",
            if names.is_empty() {
                "none".to_owned()
            } else {
                names.join(", ")
            }
        ));
    };
    if !input.is_object() {
        return Err("The input is not a JSON object; call the tool with an object that fits its input schema.".into());
    }
    crate::tools::check_input(&tool.spec.input_schema, input)
}

/// The `toolUse` blocks of a message: id, name and input.
pub(super) fn tool_uses(m: &Message) -> Vec<(String, String, Value)> {
    m.blocks
        .iter()
        .filter_map(|b| match b {
            Block::ToolUse { id, name, input } => Some((id.clone(), name.clone(), input.clone())),
            _ => None,
        })
        .collect()
}

/// Runs the calls the user need not be asked about, asks about the first that waits,
/// and ends the round once every call has its result.
fn proceed(app: &mut App) -> Vec<Effect> {
    let Some(idx) = app.tools.round else {
        return Vec::new();
    };
    let uses = tool_uses(&app.entries[idx].message);
    let mut effects = Vec::new();
    for (i, (_, name, input)) in uses.into_iter().enumerate() {
        if app.entries[idx].calls[i].status == CallStatus::Waiting && approved(app, &name) {
            effects.push(run(app, idx, i, name, input));
        }
    }
    let calls = &app.entries[idx].calls;
    if calls.iter().all(Call::finished) {
        effects.extend(complete(app, true));
    } else if calls.iter().any(|c| c.status == CallStatus::Waiting) {
        app.overlay = Overlay::Consent;
    } else if app.overlay == Overlay::Consent {
        app.overlay = Overlay::None;
    }
    effects
}

fn approved(app: &App, name: &str) -> bool {
    app.tools.approved.contains(name) || app.tools.find(name).is_some_and(|t| t.auto_approve)
}

fn run(app: &mut App, idx: usize, i: usize, name: String, input: Value) -> Effect {
    let call = CallId(app.tools.next_call);
    app.tools.next_call += 1;
    let e = &mut app.entries[idx];
    e.calls[i].status = CallStatus::Running(call);
    e.revision += 1;
    Effect::RunTool { call, name, input }
}

/// The call the consent prompt asks about: the answer's entry, the call's index, the
/// tool's name and its input.
pub fn waiting(app: &App) -> Option<(usize, usize, String, Value)> {
    let idx = app.tools.round?;
    let uses = tool_uses(&app.entries[idx].message);
    let i = app.entries[idx]
        .calls
        .iter()
        .position(|c| c.status == CallStatus::Waiting)?;
    let (_, name, input) = uses.into_iter().nth(i)?;
    Some((idx, i, name, input))
}

/// The user's answer to the consent prompt.
pub(super) fn consent(app: &mut App, answer: Consent) -> Vec<Effect> {
    if app.overlay != Overlay::Consent {
        return Vec::new();
    }
    let Some((idx, i, name, input)) = waiting(app) else {
        app.overlay = Overlay::None;
        return Vec::new();
    };
    let mut effects = Vec::new();
    match answer {
        Consent::No => {
            let e = &mut app.entries[idx];
            e.calls[i].finish(
                CallStatus::Declined,
                Output::error("The user declined to run this tool call."),
            );
            e.revision += 1;
        }
        Consent::Yes => effects.push(run(app, idx, i, name, input)),
        Consent::Conversation | Consent::Always => {
            app.tools.approved.insert(name.clone());
            if answer == Consent::Always
                && let Some(tool) = app.tools.find(&name)
            {
                effects.push(Effect::ApproveAlways {
                    tool: name.clone(),
                    source: tool.source.clone(),
                });
            }
            effects.push(run(app, idx, i, name, input));
        }
    }
    effects.push(Effect::Save(Save::Entry(idx)));
    effects.extend(proceed(app));
    effects
}

/// A call finished; stale when its round ended (stopped, or another conversation
/// opened).
pub(super) fn finished(app: &mut App, call: CallId, output: Output, ms: u64) -> Vec<Effect> {
    let Some(idx) = app.tools.round else {
        return Vec::new();
    };
    let e = &mut app.entries[idx];
    let Some(c) = e
        .calls
        .iter_mut()
        .find(|c| c.status == CallStatus::Running(call))
    else {
        return Vec::new();
    };
    c.finish(CallStatus::Done, output);
    c.ms = Some(ms);
    e.revision += 1;
    proceed(app)
}

/// The answer to "go on after max_tool_rounds rounds?".
pub(super) fn more_rounds(app: &mut App, yes: bool) -> Vec<Effect> {
    if app.overlay != Overlay::MoreRounds {
        return Vec::new();
    }
    app.overlay = Overlay::None;
    if yes {
        app.tools.rounds = 0;
        return proceed(app);
    }
    stop(app, "The user stopped the tool loop before this call ran.")
}

/// Stops the round in progress: running calls are cancelled, waiting ones not run, and
/// every call gets a result saying so; no turn follows. `why` is what calls that had
/// not finished answer.
pub(super) fn stop(app: &mut App, why: &str) -> Vec<Effect> {
    let Some(idx) = app.tools.round else {
        return Vec::new();
    };
    let mut effects = Vec::new();
    let e = &mut app.entries[idx];
    for c in e.calls.iter_mut().filter(|c| !c.finished()) {
        if let CallStatus::Running(call) = c.status {
            effects.push(Effect::CancelTool(call));
        }
        c.finish(CallStatus::Cancelled, Output::error(why));
    }
    e.revision += 1;
    if matches!(app.overlay, Overlay::Consent | Overlay::MoreRounds) {
        app.overlay = Overlay::None;
    }
    effects.extend(complete(app, false));
    effects
}

/// Ends the round: the results become the next user message, sent at once when
/// `go_on`.
fn complete(app: &mut App, go_on: bool) -> Vec<Effect> {
    let Some(idx) = app.tools.round.take() else {
        return Vec::new();
    };
    let blocks = results(&app.entries[idx]);
    app.entries.push(Entry::new(
        Message {
            role: Role::User,
            blocks,
            model: None,
        },
        EntryState::Done,
    ));
    let mut effects = vec![
        Effect::Save(Save::Entry(idx)),
        Effect::Save(Save::Entry(app.entries.len() - 1)),
    ];
    if go_on {
        app.tools.rounds += 1;
        effects.extend(crate::app::turn::start(app));
    }
    effects
}

/// The `toolResult` blocks of an answer's finished calls, in its calls' order.
fn results(e: &Entry) -> Vec<Block> {
    e.calls
        .iter()
        .map(|c| {
            let out = c
                .output
                .clone()
                .unwrap_or_else(|| Output::error("The call did not run."));
            Block::ToolResult {
                id: c.id.clone(),
                content: out.content,
                error: out.error,
            }
        })
        .collect()
}

/// After a switch of model: a model without tools stops the round in progress (so the
/// conversation adapts with every call answered) and turns the tools off; `None` when
/// nothing changed.
pub(super) fn switched(app: &mut App) -> Option<Vec<Effect>> {
    if model_takes_tools(app) || !app.tools.enabled {
        return None;
    }
    let effects = stop(
        app,
        "The call did not run: the conversation moved to a model without tools.",
    );
    app.tools.enabled = false;
    Some(effects)
}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;
