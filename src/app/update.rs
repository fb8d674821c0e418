//! The reducer: `update(&mut App, Msg) -> Vec<Effect>`, pure and exhaustive. Every
//! async result carries the id of the turn that caused it, so stale ones are dropped.

use crate::bedrock::{BedrockError, TurnEvent, TurnRequest};
use crate::catalog::live::LiveModels;
use crate::catalog::{Catalog, invocation_id};
use crate::conversation::{Block, Message, Role};
use crate::store::{ConversationId, StoredConversation};

use super::adapt;
use super::guard::{self, GuardKey};
use super::history::{self, Format, HistoryKey, Row};
use super::jobs::{self, Download, DownloadFailure, JobStart, JobsKey, ListFailure};
use super::meter::{self, Count, Timing};
use super::picker::{self, Picker};
use super::state::{App, Entry, EntryState, Link, Notice, Overlay, TurnId};

#[derive(Debug, Clone, PartialEq)]
pub enum Msg {
    /// The composer's text was submitted (a message or a slash command).
    Submit(String),
    Turn {
        id: TurnId,
        event: TurnEvent,
    },
    TurnDone {
        id: TurnId,
    },
    TurnFailed {
        id: TurnId,
        error: BedrockError,
    },
    /// Esc: stop the answer that is streaming.
    Cancel,
    /// Ask the last question again.
    Regenerate,
    /// Put the last question back in the composer and remove it and its answer.
    EditLast,
    Connected(Link),
    SwitchModel(String),
    ScrollBy(i32),
    ScrollToBottom,
    ToggleHelp,
    OpenPicker,
    Picker(PickerKey),
    CloseOverlay,
    /// The history could not be saved.
    HistoryError(String),
    OpenHistory,
    History(HistoryKey),
    /// The store's answer to `Effect::ListHistory`.
    HistoryListed {
        request: u64,
        rows: Result<Vec<Row>, String>,
    },
    /// The store's answer to `Effect::OpenConversation`.
    ConversationLoaded(Result<StoredConversation, String>),
    /// A conversation was deleted; `current` when it was the one on screen.
    ConversationDeleted {
        current: bool,
    },
    /// A rename or export finished: what to tell the user, or what went wrong.
    Stored(Result<String, String>),
    /// What the region offers (ListFoundationModels, ListInferenceProfiles), or why
    /// it could not be listed.
    LiveModels(Result<LiveModels, String>),
    /// The composer's text changed (the meter counts what the next turn would send).
    DraftChanged(String),
    /// The debounce of count `request` ran out.
    CountDue(u64),
    /// The answer to `Effect::CountTokens`.
    Counted {
        request: u64,
        result: Result<Count, String>,
    },
    /// How long turn `id` took, measured by the client; comes before `TurnDone`.
    TurnTiming {
        id: TurnId,
        timing: Timing,
    },
    /// The answer the conversation view is on changed (see `App::focus`).
    Focus(Option<usize>),
    /// Show or hide the trace pane.
    ToggleTrace,
    /// Show every assessment in full, or only what acted.
    ExpandTrace,
    /// Show PII matches in clear, or masked.
    RevealPii,
    OpenGuardrails,
    Guardrails(GuardKey),
    /// Screen the draft with ApplyGuardrail (source INPUT), invoking no model.
    CheckDraft(String),
    /// Screen the focused answer with ApplyGuardrail (source OUTPUT).
    CheckAnswer,
    /// The answer to `Effect::ApplyGuardrail`.
    Checked {
        request: u64,
        result: Result<crate::guardrail::ApplyResult, String>,
    },
    OpenJobs,
    Jobs(JobsKey),
    /// Open the start form with the composer's text as the prompt.
    NewJob(String),
    /// The start form's model input, as written in `$EDITOR`.
    JobInputEdited(String),
    /// The answer to `Effect::ListJobs`, made at `at`.
    JobsListed {
        request: u64,
        at: std::time::Instant,
        result: Result<Vec<crate::jobs::Job>, ListFailure>,
    },
    /// Poll `poll` of `Effect::ScheduleJobsPoll` is due.
    JobsPollDue(u64),
    /// The answer to `Effect::StartJob`: the invocation ARN, or the error.
    JobStarted {
        at: std::time::Instant,
        result: Result<String, String>,
    },
    DownloadProgress {
        arn: String,
        progress: Download,
    },
    Downloaded {
        arn: String,
        result: Result<Vec<(std::path::PathBuf, Option<String>)>, DownloadFailure>,
    },
    Quit,
}

/// Keys the model picker understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PickerKey {
    Char(char),
    Backspace,
    Up,
    Down,
    /// Cycle through the ways to invoke the selected model (bare id, geo, global).
    Tab,
    Enter,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    StartTurn {
        id: TurnId,
        request: TurnRequest,
    },
    CancelTurn(TurnId),
    /// Replace the composer's text.
    SetComposer(String),
    /// Following messages belong to a new conversation in the history.
    NewConversation,
    ListHistory {
        request: u64,
        query: String,
    },
    /// Load a stored conversation; following messages continue it.
    OpenConversation(ConversationId),
    /// The entries on screen are the conversation just loaded, as stored.
    AdoptConversation,
    RenameConversation {
        id: ConversationId,
        title: String,
    },
    DeleteConversation(ConversationId),
    /// Send `Msg::CountDue(request)` after `after`.
    ScheduleCount {
        request: u64,
        after: std::time::Duration,
    },
    /// Count the input tokens of `turn`; a newer count supersedes this one.
    CountTokens {
        request: u64,
        turn: TurnRequest,
        with_draft: bool,
    },
    /// Write a conversation (the one on screen when `None`) to `path`, or to a new
    /// file named after its title in the export folder.
    Export {
        conversation: Option<ConversationId>,
        format: Format,
        path: Option<String>,
    },
    /// List the region's async invocations; the answer is `Msg::JobsListed`.
    ListJobs {
        request: u64,
    },
    /// Send `Msg::JobsPollDue(poll)` after `after`.
    ScheduleJobsPoll {
        poll: u64,
        after: std::time::Duration,
    },
    StartJob(JobStart),
    /// Download every output under `folder` into `dir`.
    DownloadJob {
        arn: String,
        folder: String,
        dir: std::path::PathBuf,
        overwrite: bool,
    },
    /// Screen `text` with ApplyGuardrail; the answer is `Msg::Checked { request, .. }`.
    ApplyGuardrail {
        request: u64,
        guardrail: crate::guardrail::GuardrailChoice,
        source: crate::guardrail::Source,
        text: String,
    },
    Quit,
}

pub fn update(app: &mut App, msg: Msg) -> Vec<Effect> {
    match msg {
        Msg::Submit(text) => submit(app, text),
        Msg::Turn { id, event } => {
            if let Some(idx) = live(app, id) {
                apply_event(&mut app.entries[idx], event);
            }
            Vec::new()
        }
        Msg::TurnDone { id } => match live(app, id) {
            Some(idx) => {
                let e = &mut app.entries[idx];
                e.state = EntryState::Done;
                e.revision += 1;
                app.turn = None;
                vec![meter::schedule(app)]
            }
            None => Vec::new(),
        },
        Msg::TurnFailed { id, error } => match live(app, id) {
            Some(idx) => {
                let e = &mut app.entries[idx];
                app.notice = Some(Notice::Error(error.to_string()));
                e.state = EntryState::Failed(error);
                e.revision += 1;
                app.turn = None;
                vec![meter::schedule(app)]
            }
            None => Vec::new(),
        },
        Msg::Cancel => match app.turn.take() {
            Some((id, idx)) => {
                let e = &mut app.entries[idx];
                e.state = EntryState::Cancelled;
                e.revision += 1;
                app.notice = Some(Notice::Info(
                    "Answer stopped; the partial text is kept.".into(),
                ));
                vec![Effect::CancelTurn(id)]
            }
            None => {
                if app.overlay == Overlay::None {
                    app.check = None;
                }
                app.overlay = Overlay::None;
                Vec::new()
            }
        },
        Msg::Regenerate => regenerate(app),
        Msg::EditLast => edit_last(app),
        Msg::Connected(link) => {
            if let Link::Local {
                reason: Some(r), ..
            } = &link
            {
                app.notice = Some(Notice::Info(format!("Local mode: {r}.")));
            }
            let connected = !matches!(link, Link::Failed(_));
            app.link = link;
            app.model = invocation_id(app.catalog(), &app.model, app.link.region());
            let mut effects = vec![meter::schedule(app)];
            // Jobs that run already are followed from the start, so their end is told.
            if connected {
                effects.extend(jobs::refresh(app));
            }
            effects
        }
        Msg::SwitchModel(model) => switch_model(app, model),
        Msg::ScrollBy(d) if app.overlay == Overlay::Help => {
            // The help reads top-down: scrolling "up" (positive) goes back to its top.
            app.help_scroll = (i32::from(app.help_scroll) - d).clamp(0, 500) as u16;
            Vec::new()
        }
        Msg::ScrollBy(d) => {
            app.scroll = (i32::from(app.scroll) + d).clamp(0, i32::from(u16::MAX)) as u16;
            Vec::new()
        }
        Msg::ScrollToBottom => {
            app.scroll = 0;
            Vec::new()
        }
        Msg::ToggleHelp => {
            app.help_scroll = 0;
            app.overlay = match app.overlay {
                Overlay::Help => Overlay::None,
                _ => Overlay::Help,
            };
            Vec::new()
        }
        Msg::OpenPicker => {
            app.overlay = Overlay::Picker(Picker::default());
            Vec::new()
        }
        Msg::Picker(key) => picker_key(app, key),
        Msg::CloseOverlay => {
            app.overlay = Overlay::None;
            Vec::new()
        }
        Msg::HistoryError(e) => {
            app.notice = Some(Notice::Error(format!("History could not be saved: {e}")));
            Vec::new()
        }
        Msg::OpenHistory => history::open(app),
        Msg::History(key) => history::key(app, key),
        Msg::HistoryListed { request, rows } => history::listed(app, request, rows),
        Msg::ConversationLoaded(result) => history::loaded(app, result),
        Msg::ConversationDeleted { current } => history::deleted(app, current),
        Msg::LiveModels(Ok(live)) => {
            let merged = crate::catalog::merge::merge(Catalog::builtin(), &live);
            app.live = Some(std::sync::Arc::new(merged));
            app.live_error = None;
            Vec::new()
        }
        Msg::DraftChanged(text) => meter::draft_changed(app, text),
        Msg::CountDue(request) => meter::due(app, request),
        Msg::Counted { request, result } => meter::counted(app, request, result),
        Msg::TurnTiming { id, timing } => {
            let idx = live(app, id);
            meter::timed(idx.map(|i| &mut app.entries[i]), timing);
            Vec::new()
        }
        Msg::Focus(focus) => {
            app.focus = focus;
            Vec::new()
        }
        Msg::ToggleTrace => {
            app.pane.shown = !app.pane.shown;
            Vec::new()
        }
        Msg::ExpandTrace => {
            app.pane.shown = true;
            app.pane.expanded = !app.pane.expanded;
            Vec::new()
        }
        Msg::RevealPii => {
            app.pane.reveal = !app.pane.reveal;
            app.notice = Some(Notice::Info(if app.pane.reveal {
                "PII matches are shown in clear in the trace pane (Alt+V masks them again).".into()
            } else {
                "PII matches are masked.".into()
            }));
            Vec::new()
        }
        Msg::OpenGuardrails => guard::open_picker(app),
        Msg::Guardrails(key) => guard::picker_key(app, key),
        Msg::CheckDraft(draft) => guard::check_draft(app, draft),
        Msg::CheckAnswer => guard::check_answer(app),
        Msg::Checked { request, result } => guard::checked(app, request, result),
        Msg::OpenJobs => jobs::open(app),
        Msg::Jobs(key) => jobs::key(app, key),
        Msg::NewJob(draft) => jobs::new_form(app, draft),
        Msg::JobInputEdited(text) => jobs::edited(app, text),
        Msg::JobsListed {
            request,
            at,
            result,
        } => jobs::listed(app, request, at, result),
        Msg::JobsPollDue(poll) => jobs::poll_due(app, poll),
        Msg::JobStarted { at, result } => jobs::started(app, at, result),
        Msg::DownloadProgress { arn, progress } => {
            jobs::progress(app, arn, progress);
            Vec::new()
        }
        Msg::Downloaded { arn, result } => {
            jobs::downloaded(app, arn, result);
            Vec::new()
        }
        Msg::LiveModels(Err(e)) => {
            app.live_error = Some(e);
            Vec::new()
        }
        Msg::Stored(result) => {
            app.notice = Some(match result {
                Ok(m) => Notice::Info(m),
                Err(e) => Notice::Error(e),
            });
            Vec::new()
        }
        Msg::Quit => {
            app.quitting = true;
            let mut effects = stop_turn(app);
            effects.push(Effect::Quit);
            effects
        }
    }
}

/// The entry index of turn `id` if it is the one in flight.
fn live(app: &App, id: TurnId) -> Option<usize> {
    app.turn.filter(|(t, _)| *t == id).map(|(_, idx)| idx)
}

fn apply_event(e: &mut Entry, event: TurnEvent) {
    e.revision += 1;
    let blocks = &mut e.message.blocks;
    match event {
        TurnEvent::Text(t) => match blocks.last_mut() {
            Some(Block::Text(s)) => s.push_str(&t),
            _ => blocks.push(Block::Text(t)),
        },
        TurnEvent::Reasoning(t) => match blocks.last_mut() {
            Some(Block::Reasoning { text, .. }) => text.push_str(&t),
            _ => blocks.push(Block::Reasoning {
                text: t,
                signature: None,
            }),
        },
        TurnEvent::ReasoningSignature(s) => {
            if let Some(Block::Reasoning { signature, .. }) = blocks.last_mut() {
                *signature = Some(s);
            }
        }
        TurnEvent::ToolUseStart { id, name } => blocks.push(Block::ToolUse {
            id,
            name,
            input: serde_json::Value::String(String::new()),
        }),
        TurnEvent::ToolUseInput(part) => {
            if let Some(Block::ToolUse {
                input: serde_json::Value::String(s),
                ..
            }) = blocks.last_mut()
            {
                s.push_str(&part);
            }
        }
        TurnEvent::BlockStop => {
            // Tool input streams as JSON text; it becomes a value once complete.
            if let Some(Block::ToolUse { input, .. }) = blocks.last_mut()
                && let serde_json::Value::String(s) = input
            {
                *input = serde_json::from_str(s).unwrap_or(serde_json::Value::String(s.clone()));
            }
        }
        TurnEvent::Stop(s) => e.stop = Some(s),
        TurnEvent::Metadata { usage, latency_ms } => {
            e.usage = Some(usage);
            e.timing.get_or_insert_with(Timing::default).service_ms = Some(latency_ms);
        }
        TurnEvent::Guardrail(trace) => guard::attach(e, trace),
    }
}

fn start_turn(app: &mut App) -> Vec<Effect> {
    let id = TurnId(app.next_turn);
    app.next_turn += 1;
    let request = meter::request(app, None);
    let mut answer = Entry::new(
        Message {
            role: Role::Assistant,
            blocks: Vec::new(),
            model: Some(app.model.clone()),
        },
        EntryState::Streaming,
    );
    answer.revision = 1;
    answer.guardrail = request.guardrail.as_ref().map(|g| g.name());
    app.check = None;
    app.entries.push(answer);
    app.turn = Some((id, app.entries.len() - 1));
    app.scroll = 0;
    app.notice = None;
    vec![Effect::StartTurn { id, request }]
}

fn submit(app: &mut App, text: String) -> Vec<Effect> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Vec::new();
    }
    if let Some(cmd) = trimmed.strip_prefix('/') {
        return super::commands::command(app, cmd, &text);
    }
    if app.streaming() {
        app.notice = Some(Notice::Error(
            "An answer is still streaming: press Esc to stop it first.".into(),
        ));
        return vec![Effect::SetComposer(text)];
    }
    app.entries
        .push(Entry::new(Message::user(text), EntryState::Done));
    start_turn(app)
}

/// Forgets the turn in flight, if any, and asks for its task to be stopped.
fn stop_turn(app: &mut App) -> Vec<Effect> {
    app.turn
        .take()
        .map(|(id, _)| Effect::CancelTurn(id))
        .into_iter()
        .collect()
}

/// Stops any answer in flight and clears the screen for a new conversation.
pub(super) fn new_conversation(app: &mut App, notice: &str) -> Vec<Effect> {
    let mut effects = stop_turn(app);
    app.entries.clear();
    app.epoch += 1;
    app.scroll = 0;
    app.notice = Some(Notice::Info(notice.into()));
    effects.push(Effect::NewConversation);
    effects.push(meter::schedule(app));
    effects
}

/// Index of the last user message.
fn last_user(app: &App) -> Option<usize> {
    app.entries
        .iter()
        .rposition(|e| e.message.role == Role::User)
}

pub(super) fn regenerate(app: &mut App) -> Vec<Effect> {
    if app.streaming() {
        return Vec::new();
    }
    let Some(u) = last_user(app) else {
        app.notice = Some(Notice::Error("Nothing to regenerate yet.".into()));
        return Vec::new();
    };
    app.entries.truncate(u + 1);
    start_turn(app)
}

pub(super) fn edit_last(app: &mut App) -> Vec<Effect> {
    if app.streaming() {
        return Vec::new();
    }
    let Some(u) = last_user(app) else {
        return Vec::new();
    };
    let text = app.entries[u].message.text();
    app.entries.truncate(u);
    vec![Effect::SetComposer(text)]
}

fn picker_key(app: &mut App, key: PickerKey) -> Vec<Effect> {
    let live = app.live.clone();
    let catalog = live.as_deref().map_or(Catalog::builtin(), |m| &m.catalog);
    let Overlay::Picker(p) = &mut app.overlay else {
        return Vec::new();
    };
    let region = app.link.region().to_owned();
    match key {
        PickerKey::Char(c) => {
            p.query.push(c);
            p.selected = 0;
            p.route = None;
        }
        PickerKey::Backspace => {
            p.query.pop();
            p.selected = 0;
            p.route = None;
        }
        PickerKey::Up => p.move_by(-1, picker::filtered(catalog, &p.query).len()),
        PickerKey::Down => p.move_by(1, picker::filtered(catalog, &p.query).len()),
        PickerKey::Tab => {
            if let Some(m) = p.selected_model(catalog) {
                p.cycle_route(m, &region);
            }
        }
        PickerKey::Enter => {
            if let Some(m) = p.selected_model(catalog) {
                let id = picker::route_id(m, p.route(m, &region));
                app.overlay = Overlay::None;
                return switch_model_exact(app, id);
            }
        }
    }
    Vec::new()
}

pub(super) fn switch_model(app: &mut App, model: String) -> Vec<Effect> {
    if let Err(e) = crate::catalog::check_with(app.catalog(), &model, &[]) {
        app.notice = Some(Notice::Error(format!("{e}.")));
        return Vec::new();
    }
    let model = invocation_id(app.catalog(), &model, app.link.region());
    switch_model_exact(app, model)
}

/// Switches to exactly `model` (already the id to invoke).
fn switch_model_exact(app: &mut App, model: String) -> Vec<Effect> {
    if model == app.model {
        return Vec::new();
    }
    let report = adapt::adapt(&mut app.entries, &mut app.system, &model);
    app.notice = Some(Notice::Info(match report {
        Some(r) => format!("Switched to {model}; {r}."),
        None => format!("Switched to {model}; the conversation carries over as it is."),
    }));
    app.model = model;
    app.overlay = Overlay::None;
    // Another model counts differently, and may not count at all.
    vec![meter::schedule(app)]
}
