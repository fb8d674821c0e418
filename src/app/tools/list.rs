//! The tools on offer: the MCP servers' states and tools as they report them, what a
//! turn sends in `toolConfig`, and `/tools` with its list (on/off, the choice).

use crate::app::effect::Effect;
use crate::app::state::{App, Notice, Overlay};
use crate::tools::{Choice, ServerState, Source, Tool, ToolConfig};

use super::{Server, ToolsKey};

/// Whether the model of the next turn takes tools (a model outside the catalog is
/// given them; the service says if it cannot).
pub(super) fn model_takes_tools(app: &App) -> bool {
    crate::app::adapt::model_of(&app.model).is_none_or(|m| m.capabilities.tools)
}

/// What the next turn sends in `toolConfig`, if anything. A forced choice (`any`, a
/// named tool) applies to the question, not to the turns that carry results back, or
/// the model could never end its answer.
pub fn config(app: &App) -> Option<ToolConfig> {
    if !app.tools.enabled || !model_takes_tools(app) {
        return None;
    }
    let tools: Vec<_> = app.tools.available().map(|t| t.spec.clone()).collect();
    if tools.is_empty() {
        return None;
    }
    let choice = match &app.tools.choice {
        _ if app.tools.rounds > 0 => Choice::Auto,
        Choice::Tool(name) if !tools.iter().any(|t| &t.name == name) => Choice::Auto,
        c => c.clone(),
    };
    Some(ToolConfig { tools, choice })
}

/// An MCP server reported its state (and its tools, when ready).
pub(in crate::app) fn server(app: &mut App, name: String, state: ServerState, tools: Vec<Tool>) {
    app.tools
        .mcp
        .retain(|t| !matches!(&t.source, Source::Mcp { server, .. } if *server == name));
    if state == ServerState::Ready {
        app.tools.mcp.extend(tools);
    }
    if let ServerState::Failed(why) = &state {
        app.tell(Notice::Error(format!(
            "MCP server {name} is not available: {why}"
        )));
    }
    match app.tools.servers.iter_mut().find(|s| s.name == name) {
        Some(s) => s.state = state,
        None => app.tools.servers.push(Server { name, state }),
    }
}

/// `/tools` and its arguments: `on`, `off`, `auto`, `any`, or a tool's name.
pub(in crate::app) fn command(app: &mut App, args: &str) -> Vec<Effect> {
    let arg = args.trim();
    match arg {
        "" => {
            app.overlay = Overlay::Tools(0);
            return Vec::new();
        }
        "on" | "off" => set_enabled(app, arg == "on"),
        "auto" => set_choice(app, Choice::Auto),
        "any" => set_choice(app, Choice::Any),
        name if app.tools.find(name).is_some() => set_choice(app, Choice::Tool(name.to_owned())),
        other => app.tell(Notice::Error(format!(
            "/tools takes on, off, auto, any or a tool's name; '{other}' is none of them (/tools lists the tools)."
        ))),
    }
    vec![crate::app::meter::schedule(app)]
}

fn set_enabled(app: &mut App, on: bool) {
    if on && !app.tools.any() {
        app.tell(Notice::Error(
            "No tools are configured: add [[tools]] or [[mcp_servers]] to the config.".into(),
        ));
        return;
    }
    app.tools.enabled = on;
    app.tell(Notice::Info(if on {
        format!("Tools are on (choice: {}).", app.tools.choice)
    } else {
        "Tools are off: turns offer the model no tools.".into()
    }));
}

fn set_choice(app: &mut App, choice: Choice) {
    app.tools.choice = choice;
    app.tools.enabled = app.tools.any();
    app.tell(Notice::Info(format!(
        "Tool choice: {} (for each question; the turns that carry results back use auto).",
        app.tools.choice
    )));
}

/// A key in the tools list.
pub(in crate::app) fn key(app: &mut App, key: ToolsKey) -> Vec<Effect> {
    let Overlay::Tools(row) = app.overlay else {
        return Vec::new();
    };
    let count = app.tools.available().count();
    match key {
        ToolsKey::Up => app.overlay = Overlay::Tools(row.saturating_sub(1)),
        ToolsKey::Down => app.overlay = Overlay::Tools((row + 1).min(count.saturating_sub(1))),
        ToolsKey::Enter => {
            let name = app.tools.available().nth(row).map(|t| t.spec.name.clone());
            if let Some(name) = name {
                set_choice(app, Choice::Tool(name));
            }
        }
        ToolsKey::Auto => set_choice(app, Choice::Auto),
        ToolsKey::Any => set_choice(app, Choice::Any),
        ToolsKey::Toggle => set_enabled(app, !app.tools.enabled),
    }
    vec![crate::app::meter::schedule(app)]
}
