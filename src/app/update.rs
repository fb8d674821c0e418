//! The reducer: `update(&mut App, Msg) -> Vec<Effect>`, pure and exhaustive. Every
//! async result carries the id of the turn that caused it, so stale ones are dropped.

use crate::catalog::{Catalog, invocation_id};

use super::adapt;
use super::compare;
use super::effect::{EditorTarget, Effect, Save};
use super::guardrail;
use super::history;
use super::jobs;
use super::meter;
use super::msg::{Msg, PickerKey};
use super::picker;
use super::sign_in;
use super::state::{App, Link, Notice, Overlay};
use super::tools;
use super::turn::{self, End};

pub fn update(app: &mut App, msg: Msg) -> Vec<Effect> {
    match msg {
        Msg::Submit(text) => submit(app, text),
        Msg::Turn { id, event } if compare::owns(app, id) => compare::event(app, id, event),
        Msg::Turn { id, event } => turn::event(app, id, event),
        Msg::TurnDone { id } if compare::owns(app, id) => compare::finished(app, id, End::Done),
        Msg::TurnFailed { id, error } if compare::owns(app, id) => {
            let effects = compare::finished(app, id, End::Failed(error));
            sign_in::offer(app);
            effects
        }
        Msg::TurnTiming { id, timing } if compare::owns(app, id) => {
            compare::timed(app, id, timing);
            Vec::new()
        }
        Msg::Compare(key) => compare::key(app, key),
        Msg::Cancel if app.compare.is_some() => compare::key(app, compare::CompareKey::Back),
        Msg::TurnDone { id } => {
            let total = turn::live(app, id)
                .and_then(|i| app.entries[i].timing)
                .map(|t| t.total_ms);
            super::routes::succeeded(app, id, total);
            turn::finished(app, id, End::Done)
        }
        Msg::TurnFailed { id, error } => match super::routes::failed(app, id, &error) {
            // Sent again on the next route.
            Some(effects) => effects,
            None => {
                let effects = turn::finished(app, id, End::Failed(error));
                sign_in::offer(app);
                effects
            }
        },
        Msg::SignIn(yes) => sign_in::answer(app, yes),
        Msg::SignedIn(result) => sign_in::finished(app, result),
        Msg::Cancel if app.busy() => {
            let mut effects = turn::stop(app, End::Cancelled);
            effects.push(meter::schedule(app));
            effects
        }
        Msg::Cancel => {
            if app.overlay == Overlay::None {
                app.check = None;
            }
            app.overlay = Overlay::None;
            Vec::new()
        }
        Msg::Regenerate => turn::regenerate(app),
        Msg::EditLast => turn::edit_last(app),
        Msg::Connected(link) => {
            if let Link::Local {
                reason: Some(r), ..
            } = &link
            {
                app.tell(Notice::Info(format!("Local mode: {r}.")));
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
        Msg::ScrollBy(d) if matches!(app.overlay, Overlay::Log(_)) => {
            if let Overlay::Log(scroll) = &mut app.overlay {
                *scroll = (i32::from(*scroll) + d).clamp(0, i32::from(u16::MAX)) as u16;
            }
            Vec::new()
        }
        Msg::ToggleLog => {
            app.overlay = match app.overlay {
                Overlay::Log(_) => Overlay::None,
                _ => Overlay::Log(0),
            };
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
            picker::open(app);
            Vec::new()
        }
        Msg::Picker(key) => picker_key(app, key),
        Msg::CloseOverlay => {
            app.overlay = Overlay::None;
            Vec::new()
        }
        Msg::HistoryError(e) => {
            app.tell(Notice::Error(format!("History could not be saved: {e}")));
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
        Msg::DraftChanged(text) => {
            let mut effects = super::attach::draft_changed(app, &text);
            effects.extend(meter::draft_changed(app, text));
            effects
        }
        Msg::CountDue(request) => meter::due(app, request),
        Msg::Counted { request, result } => meter::counted(app, request, result),
        Msg::TurnTiming { id, timing } => {
            let idx = turn::live(app, id);
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
            app.tell(Notice::Info(if app.pane.reveal {
                "PII matches are shown in clear in the trace pane (Alt+V masks them again).".into()
            } else {
                "PII matches are masked.".into()
            }));
            Vec::new()
        }
        Msg::OpenGuardrails => guardrail::open_picker(app),
        Msg::Guardrails(key) => guardrail::picker_key(app, key),
        Msg::CheckDraft(draft) => guardrail::check_draft(app, draft),
        Msg::CheckAnswer => guardrail::check_answer(app),
        Msg::Checked { request, result } => guardrail::checked(app, request, result),
        Msg::OpenJobs => jobs::open(app),
        Msg::Jobs(key) => jobs::key(app, key),
        Msg::NewJob(draft) => jobs::new_form(app, draft),
        Msg::EditJobInput => jobs::edit_input(app),
        Msg::EditDraft(draft) if app.native.is_some() => super::native::edit(draft),
        Msg::EditDraft(draft) => vec![Effect::Editor {
            text: draft,
            target: EditorTarget::Composer,
        }],
        Msg::Native(draft) => super::native::toggle(app, draft),
        Msg::Edited { result: Err(e), .. } => {
            app.tell(Notice::Error(format!(
                "The editor did not finish ({e}); the text is unchanged."
            )));
            Vec::new()
        }
        Msg::Edited {
            target: EditorTarget::Composer,
            result: Ok(text),
        } => vec![Effect::SetComposer(text)],
        Msg::Edited {
            target: EditorTarget::JobInput,
            result: Ok(text),
        } => jobs::edited(app, text),
        Msg::Edited {
            target: EditorTarget::Code { .. },
            result: Ok(_),
        } => {
            app.tell(Notice::Info(
                "Closed the code block; the answer is unchanged.".into(),
            ));
            Vec::new()
        }
        Msg::Edited {
            target: EditorTarget::NativeBody,
            result: Ok(text),
        } => vec![Effect::SetComposer(text)],
        Msg::PasteRefused {
            lines,
            bytes,
            max_lines,
            max_bytes,
        } => {
            app.tell(Notice::Error(format!(
                "The paste was not inserted: the draft would have {lines} lines and {} MiB, more than the composer holds ({max_lines} lines, {} MiB). Send it in parts.",
                bytes.div_ceil(1024 * 1024),
                max_bytes / (1024 * 1024)
            )));
            Vec::new()
        }
        Msg::ToggleMouse => {
            app.mouse = !app.mouse;
            vec![Effect::MouseCapture(app.mouse)]
        }
        Msg::Consent(answer) => tools::consent(app, answer),
        Msg::ToolDone { call, output, ms } => tools::finished(app, call, output, ms),
        Msg::ToolServer {
            name,
            state,
            tools: list,
        } => {
            tools::server(app, name, state, list);
            vec![meter::schedule(app)]
        }
        Msg::MoreRounds(yes) => tools::more_rounds(app, yes),
        Msg::Tools(key) => tools::key(app, key),
        Msg::ExpandTools => {
            app.tools.expanded = !app.tools.expanded;
            app.epoch += 1;
            Vec::new()
        }
        Msg::JobsListed {
            request,
            at,
            result,
            batch,
        } => jobs::listed(app, request, at, result, batch),
        Msg::BatchStopped { arn, result } => super::batch_jobs::stopped(app, &arn, result),
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
            app.tell(match result {
                Ok(m) => Notice::Info(m),
                Err(e) => Notice::Error(e),
            });
            Vec::new()
        }
        Msg::Inspect => super::inspect::open(app),
        Msg::InspectKey { key, page, max } => super::inspect::key(app, key, page, max),
        Msg::CopyAnswer => super::copy::answer(app),
        Msg::CopyCode => super::copy::code(app),
        Msg::EditCode => super::copy::edit_code(app),
        Msg::Attach(arg) => super::attach::attach(app, &arg),
        Msg::Attached { id, result } => super::attach::attached(app, id, result),
        Msg::Detach => super::attach::detach(app),
        Msg::FilesListed(files) => super::attach::files_listed(app, files),
        Msg::Complete(key) => super::attach::complete_key(app, key),
        Msg::Prepared { text, result } => {
            match super::attach::prepared(app, text.clone(), result) {
                Ok(media) => turn::submit(app, text, media),
                Err(effects) => effects,
            }
        }
        Msg::PastedPath(text) => super::attach::pasted(app, text),
        Msg::Quit => {
            app.quitting = true;
            let mut effects = turn::stop(app, End::Interrupted);
            effects.extend(compare::settle(app, End::Interrupted));
            effects.push(Effect::Quit);
            effects
        }
    }
}

fn submit(app: &mut App, text: String) -> Vec<Effect> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Vec::new();
    }
    if let Some(cmd) = trimmed.strip_prefix('/') {
        return super::commands::command(app, cmd, &text);
    }
    // A turn sent now would start a conversation the one being loaded replaces.
    if app.resuming {
        app.tell(Notice::Info(
            "The last conversation is still being opened: send again in a moment.".into(),
        ));
        return vec![Effect::SetComposer(text)];
    }
    if app.native.is_some() {
        return super::native::submit(app, text);
    }
    if let Some(effects) = super::attach::prepare(app, &text) {
        return effects;
    }
    turn::submit(app, text, Vec::new())
}

/// Stops any answer in flight and clears the screen for a new conversation.
pub(super) fn new_conversation(app: &mut App, notice: &str) -> Vec<Effect> {
    let mut effects = turn::stop(app, End::Cancelled);
    // The comparison on screen is kept in the conversation it belongs to.
    effects.extend(compare::settle(app, End::Cancelled));
    app.entries.clear();
    app.tools.approved.clear();
    app.epoch += 1;
    app.scroll = 0;
    app.tell(Notice::Info(notice.into()));
    effects.push(Effect::Save(Save::New));
    effects.push(meter::schedule(app));
    effects
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
        PickerKey::Up | PickerKey::Down => {
            let len = picker::filtered(catalog, &p.query).len()
                + picker::custom(live.as_deref(), &p.query).len();
            p.move_by(if key == PickerKey::Up { -1 } else { 1 }, len);
        }
        PickerKey::Tab => {
            if let Some(m) = p.selected_model(catalog) {
                p.cycle_route(m, &region);
            }
        }
        PickerKey::Enter => {
            let models = picker::filtered(catalog, &p.query).len();
            let id = match p.selected_model(catalog) {
                Some(m) => Some(picker::route_id(m, p.route(m, &region))),
                None => picker::custom(live.as_deref(), &p.query)
                    .get(p.selected.wrapping_sub(models))
                    .map(|r| r.id.clone()),
            };
            if let Some(id) = id {
                app.overlay = Overlay::None;
                return switch_model_exact(app, id);
            }
        }
    }
    Vec::new()
}

pub(super) fn switch_model(app: &mut App, model: String) -> Vec<Effect> {
    if let Err(e) = crate::catalog::check_with(app.catalog(), &model, &[]) {
        app.tell(Notice::Error(format!("{e}.")));
        return Vec::new();
    }
    let model = invocation_id(app.catalog(), &model, app.link.region());
    switch_model_exact(app, model)
}

/// Switches to exactly `model` (already the id to invoke).
pub(super) fn switch_model_exact(app: &mut App, model: String) -> Vec<Effect> {
    if model == app.model {
        return Vec::new();
    }
    app.model = model.clone();
    // A model without tools: the loop in progress stops first, so the conversation
    // adapts with every call answered.
    let off = tools::switched(app);
    let tools_off = off.is_some();
    let mut effects = off.unwrap_or_default();
    let before: Vec<u64> = app.entries.iter().map(|e| e.revision).collect();
    let report = adapt::adapt(&mut app.entries, &mut app.system, &model);
    let mut said = match report {
        Some(r) => format!("Switched to {model}; {r}."),
        None => format!("Switched to {model}; the conversation carries over as it is."),
    };
    if tools_off {
        said.push_str(" It takes no tools, so tools are off (/tools on turns them on again).");
    }
    app.tell(Notice::Info(said));
    app.overlay = Overlay::None;
    // Blocks converted for the new model are what later turns send: the history keeps them.
    effects.extend(
        (app.entries.iter().zip(&before))
            .enumerate()
            .filter(|(_, (e, rev))| e.revision != **rev)
            .map(|(i, _)| Effect::Save(Save::Entry(i))),
    );
    // Another model counts differently, and may not count at all.
    effects.push(meter::schedule(app));
    effects
}

#[cfg(test)]
#[path = "update_tests.rs"]
mod tests;
