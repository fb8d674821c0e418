//! Slash commands typed in the composer: `/model`, `/system`, `/new`, `/retry`, `/edit`,
//! `/history`, `/export`, `/theme`, `/guardrail`, `/jobs`, `/tools`, `/attach`,
//! `/detach`, `/inspect`, `/native`, `/compare`, `/alternatives`, `/help`, `/quit`.

use super::effect::{Effect, Save};
use super::history::{self, Format};
use super::msg::Msg;
use super::state::{App, Notice, Overlay};
use super::turn::{edit_last, regenerate};
use super::update::{new_conversation, switch_model, update};

pub(super) fn command(app: &mut App, cmd: &str, original: &str) -> Vec<Effect> {
    let (name, arg) = cmd.split_once(char::is_whitespace).unwrap_or((cmd, ""));
    let arg = arg.trim();
    match name {
        "model" if !arg.is_empty() => switch_model(app, arg.to_owned()),
        "model" => {
            super::picker::open(app);
            Vec::new()
        }
        "system" => {
            app.system = (!arg.is_empty()).then(|| arg.to_owned());
            app.tell(Notice::Info(match &app.system {
                Some(_) => "System prompt set.".into(),
                None => "System prompt cleared.".into(),
            }));
            vec![Effect::Save(Save::System), super::meter::schedule(app)]
        }
        "new" | "clear" => {
            let mut effects = new_conversation(app, "New conversation.");
            effects.push(Effect::SetComposer(String::new()));
            effects
        }
        "help" => {
            app.overlay = Overlay::Help;
            Vec::new()
        }
        "quit" | "exit" => update(app, Msg::Quit),
        "history" => history::open(app),
        "export" => export(app, arg, original),
        "theme" => theme(app, arg, original),
        "guardrail" | "guard" => super::guardrail::command(app, arg, original),
        "jobs" => super::jobs::open(app),
        "tools" => super::tools::command(app, arg),
        "attach" => super::attach::command(app, arg, original),
        "detach" => super::attach::detach(app),
        "inspect" => super::inspect::open(app),
        "routes" => super::routes::open(app),
        "cache" => super::cache::command(app, arg),
        "tier" => super::delivery::tier(app, arg),
        "latency" => super::delivery::latency(app, arg),
        "native" => super::native::toggle(app, arg.to_owned()),
        "log" => {
            app.overlay = Overlay::Log(0);
            Vec::new()
        }
        "compare" => super::compare::command(app, arg, original),
        "alternatives" | "alts" => alternatives(app),
        "retry" | "regenerate" => regenerate(app),
        "edit" => edit_last(app),
        _ => {
            app.tell(Notice::Error(format!(
                "Unknown command /{name}. Commands: /model ID, /system TEXT, /new, /retry, /edit, /history, /export, /theme, /guardrail, /jobs, /tools, /attach PATH, /detach, /inspect, /native, /compare, /alternatives, /routes, /cache, /tier, /latency, /log, /help, /quit."
            )));
            vec![Effect::SetComposer(original.to_owned())]
        }
    }
}

/// The format and path of `/export [md|json [--no-blobs]] [PATH]`, or why they cannot be had. A
/// path alone says its format by its extension (`.md`, `.json`; none is Markdown).
fn export_target(arg: &str) -> Result<(Format, &str), String> {
    const USAGE: &str =
        "/export [md|json [--no-blobs]] [PATH]: the formats are md (Markdown) and json";
    // `json --no-blobs [PATH]` (or `--no-blobs [PATH]`): JSON whatever the path's name.
    if let Some(rest) = arg
        .strip_prefix("json --no-blobs")
        .or_else(|| arg.strip_prefix("--no-blobs"))
    {
        let path = rest.trim();
        if path.ends_with(".md") || path.ends_with(".markdown") {
            return Err(format!("--no-blobs is for JSON exports. {USAGE}."));
        }
        return Ok((Format::JsonNoBlobs, path));
    }
    let (first, rest) = arg.split_once(char::is_whitespace).unwrap_or((arg, ""));
    match first.to_ascii_lowercase().as_str() {
        "" => return Ok((Format::Markdown, "")),
        "md" | "markdown" => return Ok((Format::Markdown, rest.trim())),
        "json" => return Ok((Format::Json, rest.trim())),
        // A word before a path can only be a format (`/export md my notes.md`).
        word if !rest.trim().is_empty() && !word.contains(['.', '/', '~']) => {
            return Err(format!(
                "Unknown export format \u{201c}{first}\u{201d}. {USAGE}."
            ));
        }
        _ => {}
    }
    let path = std::path::Path::new(arg);
    match path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
    {
        Some(e) if e == "json" => Ok((Format::Json, arg)),
        Some(e) if e == "md" || e == "markdown" => Ok((Format::Markdown, arg)),
        Some(e) => Err(format!(
            "Cannot export as .{e}. {USAGE} (/export md {arg} writes Markdown there)."
        )),
        // A single word is taken for a format, not a file name.
        None if !arg.contains(['/', ' ']) => Err(format!(
            "Unknown export format \u{201c}{first}\u{201d}. {USAGE}."
        )),
        None => Ok((Format::Markdown, arg)),
    }
}

/// `/export [md|json] [PATH]`: the conversation on screen to a file.
fn export(app: &mut App, arg: &str, original: &str) -> Vec<Effect> {
    let (format, path) = match export_target(arg) {
        Ok(t) => t,
        Err(e) => {
            app.tell(Notice::Error(e));
            return vec![Effect::SetComposer(original.to_owned())];
        }
    };
    if app.entries.is_empty() {
        app.tell(Notice::Error(
            "Nothing to export yet: ask something first.".into(),
        ));
        return vec![Effect::SetComposer(original.to_owned())];
    }
    vec![Effect::Export {
        conversation: None,
        format,
        path: (!path.is_empty()).then(|| path.to_owned()),
    }]
}

/// `/theme [NAME]`: the code theme, or the list of themes.
fn theme(app: &mut App, arg: &str, original: &str) -> Vec<Effect> {
    let themes = super::theme::THEMES;
    if arg.is_empty() {
        app.tell(Notice::Info(format!(
            "Theme: {}. Themes: {}.",
            app.theme,
            themes.join(", ")
        )));
        return Vec::new();
    }
    match super::theme::find(arg) {
        Some(t) => {
            app.theme = t;
            app.epoch += 1;
            app.tell(Notice::Info(format!("Theme: {t}.")));
            Vec::new()
        }
        None => {
            app.tell(Notice::Error(format!(
                "Unknown theme \u{201c}{arg}\u{201d}. Themes: {}.",
                themes.join(", ")
            )));
            vec![Effect::SetComposer(original.to_owned())]
        }
    }
}

/// `/alternatives`: shows or folds the other answers kept with answers chosen from a
/// comparison.
fn alternatives(app: &mut App) -> Vec<Effect> {
    let kept = app
        .entries
        .iter()
        .filter(|e| !e.alternatives.is_empty())
        .count();
    if kept == 0 {
        app.tell(Notice::Info(
            "No answer here has alternatives: /compare MODEL MODEL QUESTION asks several models at once.".into(),
        ));
        return Vec::new();
    }
    app.alternatives = !app.alternatives;
    app.epoch += 1;
    app.tell(Notice::Info(if app.alternatives {
        "Alternatives shown under the answers kept from a comparison (/alternatives folds them)."
            .into()
    } else {
        "Alternatives folded.".into()
    }));
    Vec::new()
}
