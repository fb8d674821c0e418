//! Compare: one question sent to two to four models or profiles at once, each answer
//! streaming into a column of its own (`/compare A B [C [D]] QUESTION`). The question
//! joins the conversation at once; the answers stay beside it until the user keeps
//! one, which continues the conversation (with its model, or the current one) and
//! carries the others as its alternatives. Leaving the comparison any other way (a new
//! conversation, another one opened, the app's exit) keeps the selected answer the same
//! way, so nothing that came is lost.

use crate::conversation::{Message, Role};

use super::effect::{Effect, Save};
use super::error::BedrockError;
use super::state::{App, Entry, EntryState, Notice};
use super::turn::{End, TurnEvent, TurnId, TurnRequest};

/// The fewest and most models a comparison takes.
pub const MODELS: std::ops::RangeInclusive<usize> = 2..=4;

/// One model's answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    /// The id the request went to.
    pub model: String,
    /// The turn streaming into this column, while it streams.
    pub turn: Option<TurnId>,
    pub entry: Entry,
    /// Rows scrolled down from the answer's start, once it has ended (while it streams
    /// the column follows its end).
    pub scroll: u16,
}

impl Column {
    /// Whether the answer can be kept: it ended, did not fail, and has content.
    pub fn keepable(&self) -> bool {
        self.turn.is_none()
            && !matches!(self.entry.state, EntryState::Failed(_))
            && self.entry.has_content()
    }
}

/// The comparison on screen.
#[derive(Debug, Clone, PartialEq)]
pub struct Compare {
    /// Tells one comparison from the next (the first turn id it used).
    pub id: u64,
    /// The index of the question in `App::entries` (always the last entry).
    pub question: usize,
    pub columns: Vec<Column>,
    pub selected: usize,
    /// Enter was pressed on an answer of another model than the current one: which
    /// model the conversation goes on with is being asked.
    pub confirm: bool,
}

impl Compare {
    /// Whether any answer is still streaming.
    pub fn streaming(&self) -> bool {
        self.columns.iter().any(|c| c.turn.is_some())
    }

    fn column_mut(&mut self, id: TurnId) -> Option<&mut Column> {
        self.columns.iter_mut().find(|c| c.turn == Some(id))
    }
}

/// The keys of a comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompareKey {
    Prev,
    Next,
    /// A column by its number, from 0.
    Select(usize),
    /// Keep the selected answer (asks which model goes on when it is another one).
    Keep,
    /// Keep the selected answer and go on with the current model.
    KeepCurrent,
    /// Back from the question, or stop every answer still streaming.
    Back,
    /// Drop the comparison and put the command back in the composer.
    Discard,
    /// Scroll the selected answer by this many rows (up, towards its start, is
    /// positive).
    Scroll(i32),
}

const USAGE: &str = "/compare MODEL MODEL [MODEL [MODEL]] QUESTION (ids with spaces or commas between them, then the question)";

/// Whether `word` is written like a model id (`provider.name…` or an ARN), so a typo in
/// one is reported instead of being sent as the first word of the question.
fn id_shaped(word: &str) -> bool {
    word.starts_with("arn:")
        || word.split_once('.').is_some_and(|(provider, rest)| {
            !provider.is_empty()
                && !rest.is_empty()
                && word
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-.:_".contains(c))
                && word.contains('-')
        })
}

/// The models and the question of `/compare`'s argument: the leading words written
/// like model ids (each may be a comma-separated list), then the question as typed.
pub fn parse<'a>(app: &App, arg: &'a str) -> Result<(Vec<String>, &'a str), String> {
    let mut models: Vec<String> = Vec::new();
    let mut rest = arg.trim_start();
    loop {
        let (word, after) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
        let names: Vec<&str> = word.split(',').filter(|n| !n.is_empty()).collect();
        if word.is_empty() || names.is_empty() || !names.iter().all(|n| id_shaped(n)) {
            break;
        }
        for name in names {
            crate::catalog::check_with(app.catalog(), name, &[])?;
            let id = crate::catalog::invocation_id(app.catalog(), name, app.link.region());
            if models.contains(&id) {
                return Err(format!("{id} is named twice"));
            }
            models.push(id);
        }
        rest = after.trim_start();
    }
    if !MODELS.contains(&models.len()) {
        return Err(format!(
            "compare takes {} to {} models, {} given. {USAGE}",
            MODELS.start(),
            MODELS.end(),
            models.len()
        ));
    }
    if rest.trim().is_empty() {
        return Err(format!("type the question after the models. {USAGE}"));
    }
    Ok((models, rest))
}

/// `/compare …`: adds the question and sends it, with the conversation so far adapted
/// to each model as a switch would, to every model at once.
pub(super) fn command(app: &mut App, arg: &str, original: &str) -> Vec<Effect> {
    let refuse = |app: &mut App, why: String| {
        app.tell(Notice::Error(format!("Not compared: {why}")));
        vec![Effect::SetComposer(original.to_owned())]
    };
    if app.busy() {
        return refuse(app, busy_reason(app).into());
    }
    if app.resuming {
        return refuse(
            app,
            "the last conversation is still being opened; try again in a moment.".into(),
        );
    }
    if app.native.is_some() {
        return refuse(
            app,
            "the native console sends one model's own body; leave it first (/native).".into(),
        );
    }
    if app.attach.preparing || app.attach.pending.iter().any(|p| p.ready.is_none()) {
        return refuse(app, "attachments are still being read.".into());
    }
    let (models, question) = match parse(app, arg) {
        Ok(p) => p,
        Err(e) => return refuse(app, e),
    };
    let media = super::attach::draft_media(app);
    app.attach.pending.clear();
    app.attach.completion = None;
    app.tools.rounds = 0;
    app.entries.push(Entry::new(
        Message::question(question, media),
        EntryState::Done,
    ));
    let question = app.entries.len() - 1;
    let mut effects = vec![Effect::Save(Save::Entry(question))];
    let mut columns = Vec::new();
    for model in models {
        let id = TurnId(app.next_turn);
        app.next_turn += 1;
        let request = request_for(app, &model);
        let mut entry = Entry::new(
            Message {
                role: Role::Assistant,
                blocks: Vec::new(),
                model: Some(model.clone()),
            },
            EntryState::Streaming,
        );
        entry.revision = 1;
        entry.guardrail = request.guardrail.as_ref().map(|g| g.name());
        entry.tier = request.inference.tier;
        let mut column = Column {
            model,
            turn: Some(id),
            entry,
            scroll: 0,
        };
        // A model that cannot take the question's attachments fails alone.
        match crate::attach::rules::check(app.catalog(), &request.model_id, &request.messages) {
            Ok(()) => effects.push(Effect::StartTurn { id, request }),
            Err(e) => {
                column.turn = None;
                column.entry.state = EntryState::Failed(BedrockError::Validation {
                    message: e.to_string(),
                });
            }
        }
        columns.push(column);
    }
    let n = columns.len();
    app.compare = Some(Compare {
        id: app.next_turn,
        question,
        columns,
        selected: 0,
        confirm: false,
    });
    app.check = None;
    app.scroll = 0;
    app.tell(Notice::Info(format!(
        "Comparing {n} models: ←/→ choose an answer, Enter keeps it, Esc stops them, Ctrl+E discards."
    )));
    effects.push(Effect::SetComposer(String::new()));
    effects
}

/// Why nothing can be sent now.
pub(super) fn busy_reason(app: &App) -> &'static str {
    match &app.compare {
        Some(c) if c.streaming() => {
            "the compared answers are still streaming: Esc stops them, then Enter keeps one."
        }
        Some(_) => {
            "keep one answer of the comparison first (←/→ choose, Enter keeps), or discard it (Ctrl+E)."
        }
        None if app.streaming() => "an answer is still streaming: press Esc to stop it first.",
        None => "tool calls are running: press Esc to stop them first.",
    }
}

/// The request the conversation as it stands sends to `model`: adapted to it as a
/// switch to it would, without changing what is on screen.
fn request_for(app: &App, model: &str) -> TurnRequest {
    let mut as_if = App {
        entries: app.entries.clone(),
        system: app.system.clone(),
        model: model.to_owned(),
        inference: app.inference.clone(),
        guardrail: app.guardrail.clone(),
        tools: app.tools.clone(),
        link: app.link.clone(),
        live: app.live.clone(),
        ..App::default()
    };
    super::adapt::adapt(&mut as_if.entries, &mut as_if.system, model);
    let mut request = super::meter::request(&as_if, None);
    super::adapt::fit_citations(&mut request.messages, model);
    request
}

/// The column turn `id` streams into, if it is a compared one.
pub(super) fn owns(app: &App, id: TurnId) -> bool {
    app.compare
        .as_ref()
        .is_some_and(|c| c.columns.iter().any(|col| col.turn == Some(id)))
}

/// An event of a compared turn.
pub(super) fn event(app: &mut App, id: TurnId, event: TurnEvent) -> Vec<Effect> {
    if let Some(col) = app.compare.as_mut().and_then(|c| c.column_mut(id)) {
        super::turn::apply(&mut col.entry, event);
    }
    Vec::new()
}

/// The client's timing of a compared turn.
pub(super) fn timed(app: &mut App, id: TurnId, timing: super::meter::Timing) {
    let col = app.compare.as_mut().and_then(|c| c.column_mut(id));
    super::meter::timed(col.map(|c| &mut c.entry), timing);
}

/// A compared turn ended by itself (`Done` or `Failed`): the others go on.
pub(super) fn finished(app: &mut App, id: TurnId, end: End) -> Vec<Effect> {
    let Some(cmp) = app.compare.as_mut() else {
        return Vec::new();
    };
    let Some(col) = cmp.column_mut(id) else {
        return Vec::new();
    };
    col.turn = None;
    end_entry(&mut col.entry, end);
    if !cmp.streaming() {
        let ok = cmp.columns.iter().filter(|c| c.keepable()).count();
        let n = cmp.columns.len();
        app.tell(if ok == 0 {
            Notice::Error(format!(
                "No model answered ({n} failed): Ctrl+E puts the command back in the composer."
            ))
        } else {
            Notice::Info(format!(
                "{ok} of {n} answers are in: ←/→ choose one, Enter keeps it and the conversation goes on from it."
            ))
        });
    }
    Vec::new()
}

fn end_entry(e: &mut Entry, end: End) {
    e.state = match end {
        End::Done => EntryState::Done,
        End::Failed(error) => EntryState::Failed(error),
        End::Cancelled => EntryState::Cancelled,
        End::Interrupted => EntryState::Interrupted,
    };
    e.open = false;
    e.revision += 1;
}

/// Stops every answer still streaming, as `end`.
fn stop_all(app: &mut App, end: End) -> Vec<Effect> {
    let Some(cmp) = app.compare.as_mut() else {
        return Vec::new();
    };
    let mut effects = Vec::new();
    for col in &mut cmp.columns {
        if let Some(id) = col.turn.take() {
            effects.push(Effect::CancelTurn(id));
            end_entry(&mut col.entry, end.clone());
        }
    }
    effects
}

/// A key of the comparison.
pub(super) fn key(app: &mut App, key: CompareKey) -> Vec<Effect> {
    let Some(cmp) = app.compare.as_mut() else {
        return Vec::new();
    };
    let n = cmp.columns.len();
    match key {
        CompareKey::Prev => {
            cmp.selected = (cmp.selected + n - 1) % n;
            cmp.confirm = false;
        }
        CompareKey::Next => {
            cmp.selected = (cmp.selected + 1) % n;
            cmp.confirm = false;
        }
        CompareKey::Select(i) if i < n => {
            cmp.selected = i;
            cmp.confirm = false;
        }
        CompareKey::Select(_) => {}
        CompareKey::Scroll(d) => {
            // Rows from the answer's start: up (positive) goes back towards it.
            let col = &mut cmp.columns[cmp.selected];
            col.scroll = (i32::from(col.scroll) - d).clamp(0, i32::from(u16::MAX)) as u16;
        }
        CompareKey::Keep => return keep_key(app),
        CompareKey::KeepCurrent if cmp.confirm => return keep(app, false),
        CompareKey::KeepCurrent => {}
        CompareKey::Back if cmp.confirm => cmp.confirm = false,
        CompareKey::Back if cmp.streaming() => {
            let effects = stop_all(app, End::Cancelled);
            app.tell(Notice::Info(
                "Stopped the answers still streaming; what came is kept. Enter keeps the selected one."
                    .into(),
            ));
            return effects;
        }
        CompareKey::Back => app.tell(Notice::Info(
            "Enter keeps the selected answer; Ctrl+E discards the comparison and puts the command back."
                .into(),
        )),
        CompareKey::Discard => return discard(app),
    }
    Vec::new()
}

/// Enter: keeps the selected answer when it can be kept, asking first which model goes
/// on when it is not the current one.
fn keep_key(app: &mut App) -> Vec<Effect> {
    let Some(cmp) = app.compare.as_mut() else {
        return Vec::new();
    };
    let col = &cmp.columns[cmp.selected];
    if col.turn.is_some() {
        app.tell(Notice::Error(
            "This answer is still streaming: wait for it, or Esc stops every answer.".into(),
        ));
        return Vec::new();
    }
    if !col.keepable() {
        app.tell(Notice::Error(
            "This model gave no answer to keep: choose another (←/→), or Ctrl+E discards the comparison."
                .into(),
        ));
        return Vec::new();
    }
    if col.model == app.model || cmp.confirm {
        return keep(app, true);
    }
    cmp.confirm = true;
    Vec::new()
}

/// Keeps the selected answer as the question's answer, the others as its alternatives,
/// and goes on with its model (`with_model`) or the current one.
fn keep(app: &mut App, with_model: bool) -> Vec<Effect> {
    let mut effects = settle(app, End::Cancelled);
    let Some(idx) = app.entries.len().checked_sub(1) else {
        return effects;
    };
    let model = app.entries[idx].message.model.clone().unwrap_or_default();
    if with_model && model != app.model {
        effects.extend(super::update::switch_model_exact(app, model.clone()));
    } else {
        app.tell(Notice::Info(format!(
            "Kept the answer of {model}; the conversation goes on with {}.",
            app.model
        )));
    }
    // An answer that stopped to call tools runs them now, as any answer does.
    effects.extend(super::tools::begin(app, idx));
    effects.push(super::meter::schedule(app));
    effects
}

/// Ends the comparison by keeping the selected answer (whatever its state) with the
/// others as its alternatives; answers still streaming end as `end`. Used when keeping
/// and when the comparison is left another way, so nothing that came is lost.
pub(super) fn settle(app: &mut App, end: End) -> Vec<Effect> {
    let mut effects = stop_all(app, end);
    let Some(mut cmp) = app.compare.take() else {
        return effects;
    };
    let chosen = cmp.columns.remove(cmp.selected.min(cmp.columns.len() - 1));
    let mut entry = chosen.entry;
    entry.alternatives = cmp.columns.into_iter().map(|c| c.entry).collect();
    entry.revision += 1;
    app.entries.push(entry);
    app.scroll = 0;
    effects.push(Effect::Save(Save::Entry(app.entries.len() - 1)));
    effects
}

/// Drops the comparison without keeping anything: its conversation is gone.
pub(super) fn abandon(app: &mut App) -> Vec<Effect> {
    let effects = stop_all(app, End::Cancelled);
    app.compare = None;
    effects
}

/// Ctrl+E: drops the comparison and its question; the command goes back to the
/// composer, to change the models or the question and send again.
fn discard(app: &mut App) -> Vec<Effect> {
    let mut effects = stop_all(app, End::Cancelled);
    let Some(cmp) = app.compare.take() else {
        return effects;
    };
    let question = app
        .entries
        .get(cmp.question)
        .map(|e| e.message.text())
        .unwrap_or_default();
    let models: Vec<&str> = cmp.columns.iter().map(|c| c.model.as_str()).collect();
    let text = format!("/compare {} {question}", models.join(" "));
    app.entries.truncate(cmp.question);
    app.tell(Notice::Info(
        "Comparison discarded; the command is back in the composer.".into(),
    ));
    effects.push(Effect::Save(Save::Truncate(cmp.question)));
    effects.push(Effect::SetComposer(text));
    effects.push(super::meter::schedule(app));
    effects
}

#[cfg(test)]
#[path = "compare_tests.rs"]
mod tests;
