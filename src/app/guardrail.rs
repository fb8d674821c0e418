//! Guardrails in the app: which one turns carry and switching it mid-conversation, the
//! traces turns report, how the trace pane shows them, and ApplyGuardrail checks of the
//! draft or of an answer that invoke no model.

use crate::conversation::Role;
use crate::guardrail::{ApplyResult, GuardrailChoice, Source, StreamMode, Trace, TraceMode};

use super::effect::Effect;
use super::meter;
use super::state::{App, Entry, Notice, Overlay};

/// How the trace pane shows findings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pane {
    pub shown: bool,
    /// Every assessment in full, including the ones that found nothing.
    pub expanded: bool,
    /// PII and regex matches in clear instead of masked.
    pub reveal: bool,
}

impl Default for Pane {
    fn default() -> Self {
        Pane {
            shown: true,
            expanded: false,
            reveal: false,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum CheckState {
    Running,
    Done(ApplyResult),
    Failed(String),
}

/// An ApplyGuardrail check and its outcome.
#[derive(Debug, Clone, PartialEq)]
pub struct Check {
    pub request: u64,
    pub source: Source,
    /// The name of the guardrail that checks.
    pub guardrail: String,
    /// What was checked, as the pane titles it ("the draft", "answer 3").
    pub subject: String,
    pub state: CheckState,
}

/// Keys the guardrail picker understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GuardKey {
    Up,
    Down,
    Enter,
    /// Switch the selected guardrail's trace mode (enabled / enabled_full).
    Trace,
    /// Switch the selected guardrail's stream processing mode (sync / async).
    Stream,
}

/// Keeps the trace of a turn with its answer, named after the guardrail the turn used.
pub fn attach(entry: &mut Entry, mut trace: Trace) {
    trace.guardrail = entry.guardrail.clone();
    entry.trace = Some(Box::new(trace));
}

fn same(a: &GuardrailChoice, b: &GuardrailChoice) -> bool {
    a.id == b.id && a.version == b.version
}

/// Makes `choice` (or none) the guardrail of the next turns.
pub fn switch(app: &mut App, choice: Option<GuardrailChoice>) -> Vec<Effect> {
    app.tell(Notice::Info(match &choice {
        Some(c) => format!(
            "Guardrail {} on: the next turns are screened by it (trace {}, {} streaming).",
            c.name(),
            trace_name(c.trace),
            stream_name(c.stream)
        ),
        None => "Guardrail off: the next turns are not screened.".into(),
    }));
    if let Some(c) = &choice
        && !app.guardrails.iter().any(|g| same(g, c))
    {
        app.guardrails.push(c.clone());
    }
    app.guardrail = choice;
    app.overlay = Overlay::None;
    vec![meter::schedule(app)]
}

pub fn trace_name(t: TraceMode) -> &'static str {
    match t {
        TraceMode::Enabled => "enabled",
        TraceMode::EnabledFull => "enabled_full",
    }
}

pub fn stream_name(s: StreamMode) -> &'static str {
    match s {
        StreamMode::Sync => "sync",
        StreamMode::Async => "async",
    }
}

/// Opens the picker on the guardrail in use ("off" when there is none).
pub fn open_picker(app: &mut App) -> Vec<Effect> {
    if let Some(c) = app.guardrail.clone()
        && !app.guardrails.iter().any(|g| same(g, &c))
    {
        app.guardrails.push(c);
    }
    let selected = app
        .guardrail
        .as_ref()
        .and_then(|c| app.guardrails.iter().position(|g| same(g, c)))
        .map_or(0, |i| i + 1);
    app.overlay = Overlay::Guardrails(selected);
    Vec::new()
}

pub fn picker_key(app: &mut App, key: GuardKey) -> Vec<Effect> {
    let Overlay::Guardrails(selected) = app.overlay else {
        return Vec::new();
    };
    let rows = app.guardrails.len() + 1;
    let row = selected.checked_sub(1);
    match key {
        GuardKey::Up => app.overlay = Overlay::Guardrails((selected + rows - 1) % rows),
        GuardKey::Down => app.overlay = Overlay::Guardrails((selected + 1) % rows),
        GuardKey::Enter => {
            let choice = row.and_then(|i| app.guardrails.get(i)).cloned();
            return switch(app, choice);
        }
        GuardKey::Trace | GuardKey::Stream => {
            let Some(g) = row.and_then(|i| app.guardrails.get_mut(i)) else {
                return Vec::new();
            };
            if key == GuardKey::Trace {
                g.trace = match g.trace {
                    TraceMode::Enabled => TraceMode::EnabledFull,
                    TraceMode::EnabledFull => TraceMode::Enabled,
                };
            } else {
                g.stream = match g.stream {
                    StreamMode::Sync => StreamMode::Async,
                    StreamMode::Async => StreamMode::Sync,
                };
            }
            let g = g.clone();
            if let Some(current) = &mut app.guardrail
                && same(current, &g)
            {
                *current = g;
            }
        }
    }
    Vec::new()
}

/// `/guardrail [off | NAME | ID[:VERSION] | trace enabled|full | stream sync|async]`.
pub fn command(app: &mut App, arg: &str, original: &str) -> Vec<Effect> {
    let (first, rest) = arg.split_once(char::is_whitespace).unwrap_or((arg, ""));
    let rest = rest.trim();
    let refuse = |app: &mut App, msg: String| {
        app.tell(Notice::Error(msg));
        vec![Effect::SetComposer(original.to_owned())]
    };
    match first {
        "" => open_picker(app),
        "off" | "none" => switch(app, None),
        "trace" | "stream" => {
            let Some(mut c) = app.guardrail.clone() else {
                return refuse(app, "No guardrail is on: choose one first (F8).".into());
            };
            match (first, rest) {
                ("trace", "enabled") => c.trace = TraceMode::Enabled,
                ("trace", "full" | "enabled_full") => c.trace = TraceMode::EnabledFull,
                ("stream", "sync") => c.stream = StreamMode::Sync,
                ("stream", "async") => c.stream = StreamMode::Async,
                _ => {
                    return refuse(
                        app,
                        "Use /guardrail trace enabled|full or /guardrail stream sync|async.".into(),
                    );
                }
            }
            if let Some(g) = app.guardrails.iter_mut().find(|g| same(g, &c)) {
                *g = c.clone();
            }
            switch(app, Some(c))
        }
        name => {
            let known = app
                .guardrails
                .iter()
                .find(|g| g.label.as_deref() == Some(name) || g.id == name || g.name() == name)
                .cloned();
            match known.map_or_else(|| GuardrailChoice::parse(name), Ok) {
                Ok(c) => switch(app, Some(c)),
                Err(e) => refuse(app, format!("{e}.")),
            }
        }
    }
}

fn start_check(app: &mut App, source: Source, subject: String, text: String) -> Vec<Effect> {
    let Some(guardrail) = app.guardrail.clone() else {
        app.tell(Notice::Error(
            "No guardrail is on: choose one with F8 or /guardrail NAME to check text.".into(),
        ));
        return Vec::new();
    };
    app.next_request += 1;
    let request = app.next_request;
    app.check = Some(Check {
        request,
        source,
        guardrail: guardrail.name(),
        subject,
        state: CheckState::Running,
    });
    app.pane.shown = true;
    vec![Effect::ApplyGuardrail {
        request,
        guardrail,
        source,
        text,
    }]
}

/// Screens the draft as a prompt (source INPUT): only its `:::guard` parts when it
/// marks any, as a turn would send them.
pub fn check_draft(app: &mut App, draft: String) -> Vec<Effect> {
    if draft.trim().is_empty() {
        app.tell(Notice::Error(
            "Type something to check: the draft is empty.".into(),
        ));
        return Vec::new();
    }
    match crate::guardrail::content::guarded(&draft) {
        Some(part) => start_check(app, Source::Input, "the draft's guarded part".into(), part),
        None => start_check(app, Source::Input, "the draft".into(), draft),
    }
}

/// Whether the trace pane shows the focused answer's trace, so a change of focus
/// changes the screen: the pane is on, shows no check, and some answer was guarded.
pub fn pane_follows_focus(app: &App) -> bool {
    app.pane.shown
        && app.check.is_none()
        && app
            .entries
            .iter()
            .any(|e| e.guardrail.is_some() || e.trace.is_some())
}

/// The answer the trace pane is on: the focused one, else the newest.
pub fn focused_answer(app: &App) -> Option<usize> {
    let answer = |i: &usize| {
        app.entries
            .get(*i)
            .is_some_and(|e| e.message.role == Role::Assistant)
    };
    app.focus.filter(answer).or_else(|| {
        app.entries
            .iter()
            .rposition(|e| e.message.role == Role::Assistant)
    })
}

/// The position of answer `idx` among the answers, from 1, as the pane names it.
pub fn answer_number(app: &App, idx: usize) -> usize {
    app.entries[..idx]
        .iter()
        .filter(|e| e.message.role == Role::Assistant)
        .count()
        + 1
}

/// Screens the focused answer as a model output (source OUTPUT).
pub fn check_answer(app: &mut App) -> Vec<Effect> {
    let Some(idx) = focused_answer(app) else {
        app.tell(Notice::Error("There is no answer to check yet.".into()));
        return Vec::new();
    };
    let text = app.entries[idx].message.text();
    if text.trim().is_empty() {
        app.tell(Notice::Error("That answer has no text to check.".into()));
        return Vec::new();
    }
    let subject = format!("answer {}", answer_number(app, idx));
    start_check(app, Source::Output, subject, text)
}

/// The answer to `Effect::ApplyGuardrail`; an older check's answer is dropped.
pub fn checked(app: &mut App, request: u64, result: Result<ApplyResult, String>) -> Vec<Effect> {
    let Some(check) = app.check.as_mut().filter(|c| c.request == request) else {
        return Vec::new();
    };
    check.state = match result {
        Ok(r) => CheckState::Done(r),
        Err(e) => {
            let told = Notice::Error(format!("The guardrail check failed: {e}"));
            check.state = CheckState::Failed(e);
            app.tell(told);
            return Vec::new();
        }
    };
    Vec::new()
}

#[cfg(test)]
#[path = "guardrail_tests.rs"]
mod tests;
