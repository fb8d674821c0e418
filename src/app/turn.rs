//! A turn: the request sent for a question, the events its answer streams in, and the
//! life of that answer in the conversation. An answer streams until it ends in one of
//! four ways (`End`): done, failed, stopped by the user, or interrupted by the app's
//! exit; every end goes through one function, which also writes the answer to the
//! history. `App::history` leaves out a question whose answer ended before any content,
//! so a stopped question is never merged into the next one.

use crate::conversation::{Block, Inference, Message, Role, StopReason, Usage};

use super::effect::{Effect, Save};
use super::error::BedrockError;
use super::meter::{self, Timing};
use super::state::{App, Entry, EntryState, Notice};

/// Identifies one request to a model; events of any other turn are stale.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TurnId(pub u64);

/// One turn to send.
#[derive(Debug, Clone, PartialEq)]
pub struct TurnRequest {
    pub model_id: String,
    pub system: Option<String>,
    pub messages: Vec<Message>,
    pub inference: Inference,
    /// The guardrail the turn is screened by, if any.
    pub guardrail: Option<crate::guardrail::GuardrailChoice>,
    /// The tools the model may call, and which it must.
    pub tools: Option<crate::tools::ToolConfig>,
}

/// What a streaming turn reports, in order.
#[derive(Debug, Clone, PartialEq)]
pub enum TurnEvent {
    Text(String),
    Reasoning(String),
    ReasoningSignature(String),
    ToolUseStart {
        id: String,
        name: String,
    },
    ToolUseInput(String),
    BlockStop,
    Stop(StopReason),
    Metadata {
        usage: Usage,
        latency_ms: u64,
    },
    /// The guardrail trace of the turn, from the stream's metadata.
    Guardrail(crate::guardrail::Trace),
    /// A passage of the question's documents that the text of the current content
    /// block rests on.
    Citation(crate::conversation::Citation),
    /// What went over the wire so far (replacing what came before).
    Exchange(Box<crate::inspect::Exchange>),
    /// A prompt router chose this model (the stream's `trace.promptRouter`).
    Routed(String),
}

impl TurnEvent {
    /// Whether the event carries some of the answer (what "first token" times).
    pub fn is_content(&self) -> bool {
        matches!(
            self,
            TurnEvent::Text(_) | TurnEvent::Reasoning(_) | TurnEvent::ToolUseStart { .. }
        )
    }
}

/// How the answer of the turn in flight ends.
#[derive(Debug, Clone, PartialEq)]
pub enum End {
    /// The stream finished.
    Done,
    /// The call or the stream failed.
    Failed(BedrockError),
    /// The user stopped it (Esc), or left it by opening another conversation.
    Cancelled,
    /// The app is exiting.
    Interrupted,
}

/// A question typed in the composer, with its attachments: added to the conversation
/// and sent.
pub(super) fn submit(
    app: &mut App,
    text: String,
    media: Vec<crate::conversation::Media>,
) -> Vec<Effect> {
    if app.busy() {
        app.tell(Notice::Error(format!(
            "Not sent: {}",
            super::compare::busy_reason(app)
        )));
        return vec![Effect::SetComposer(text)];
    }
    if let Some(why) = super::delivery::unsupported(app) {
        app.tell(Notice::Error(format!("Not sent: {why}")));
        return vec![Effect::SetComposer(text)];
    }
    app.tools.rounds = 0;
    app.entries.push(Entry::new(
        Message::question(&text, media),
        EntryState::Done,
    ));
    let mut effects = vec![Effect::Save(Save::Entry(app.entries.len() - 1))];
    effects.extend(start(app));
    effects
}

/// Sends the conversation as it stands and adds the answer that will stream in.
pub(super) fn start(app: &mut App) -> Vec<Effect> {
    let mut request = meter::request(app, None);
    let guardrail = request.guardrail.as_ref().map(|g| g.name());
    let id = TurnId(app.next_turn);
    request.model_id = super::routes::begin(app, id, &request.model_id);
    let route = request.model_id.clone();
    let tier = request.inference.tier;
    let begun = begin_answer(app, |answer| {
        answer.guardrail = guardrail;
        answer.message.model = Some(route);
        answer.tier = tier;
    });
    debug_assert_eq!(begun, id);
    vec![Effect::StartTurn { id, request }]
}

/// Adds the answer of a new turn, streaming, set up by `setup`, as the turn in flight
/// at the bottom of the view.
pub(super) fn begin_answer(app: &mut App, setup: impl FnOnce(&mut Entry)) -> TurnId {
    let id = TurnId(app.next_turn);
    app.next_turn += 1;
    let mut answer = Entry::new(
        Message {
            role: Role::Assistant,
            blocks: Vec::new(),
            model: Some(app.model.clone()),
        },
        EntryState::Streaming,
    );
    answer.revision = 1;
    setup(&mut answer);
    app.check = None;
    app.entries.push(answer);
    app.turn = Some((id, app.entries.len() - 1));
    app.scroll = 0;
    app.notice = None;
    id
}

/// The entry index of turn `id` if it is the one in flight.
pub(super) fn live(app: &App, id: TurnId) -> Option<usize> {
    app.turn.filter(|(t, _)| *t == id).map(|(_, idx)| idx)
}

/// An event of turn `id`'s stream; dropped when that turn is no longer in flight.
pub(super) fn event(app: &mut App, id: TurnId, event: TurnEvent) -> Vec<Effect> {
    match live(app, id) {
        Some(idx) => {
            apply(&mut app.entries[idx], event);
            vec![Effect::Save(Save::Entry(idx))]
        }
        None => Vec::new(),
    }
}

/// An event of a stream applied to the answer it streams into.
pub(super) fn apply(e: &mut Entry, event: TurnEvent) {
    match event {
        // Not part of the answer's content: the stream's open block is untouched.
        TurnEvent::Exchange(x) => {
            e.exchange = Some(x);
            e.revision += 1;
        }
        event => apply_event(e, event),
    }
}

/// Turn `id`'s task finished, with or without an error.
pub(super) fn finished(app: &mut App, id: TurnId, end: End) -> Vec<Effect> {
    let Some(idx) = live(app, id) else {
        return Vec::new();
    };
    let done = end == End::Done;
    let mut effects = stop(app, end);
    if done {
        effects.extend(super::tools::begin(app, idx));
    }
    // The conversation grew: the next turn's count changes.
    effects.push(meter::schedule(app));
    effects
}

/// Ends the turn in flight, if any, as `end`: the answer keeps what came, the task is
/// stopped unless it finished by itself, and the answer is written to the history. The
/// caller recounts the next turn if it stays on this conversation.
pub(super) fn stop(app: &mut App, end: End) -> Vec<Effect> {
    let Some((id, idx)) = app.turn.take() else {
        // Between turns of a tool loop, the loop is what stops.
        let why = match end {
            End::Interrupted => "The call did not finish: the app exited first.",
            _ => "The user stopped the call before it finished.",
        };
        let effects = super::tools::stop(app, why);
        if matches!(end, End::Cancelled) && !effects.is_empty() {
            app.tell(Notice::Info(
                "Tool calls stopped; the model is told which did not run.".into(),
            ));
        }
        return effects;
    };
    let empty = !app.entries[idx].has_content();
    let mut effects = Vec::new();
    let (state, notice) = match end {
        End::Done => (EntryState::Done, None),
        End::Failed(error) => {
            let notice = Notice::Error(failure_notice(&error, empty, &app.retry_key));
            (EntryState::Failed(error), Some(notice))
        }
        End::Cancelled => {
            app.routing.current = None;
            effects.push(Effect::CancelTurn(id));
            let notice = Notice::Info(if empty {
                "Stopped before the answer began; the question is not sent again (/edit changes it, /retry asks it again).".into()
            } else {
                "Answer stopped; the partial text is kept.".into()
            });
            (EntryState::Cancelled, Some(notice))
        }
        End::Interrupted => {
            app.routing.current = None;
            effects.push(Effect::CancelTurn(id));
            (EntryState::Interrupted, None)
        }
    };
    let e = &mut app.entries[idx];
    e.state = state;
    e.revision += 1;
    if let Some(n) = notice {
        app.tell(n);
    }
    effects.push(Effect::Save(Save::Entry(idx)));
    effects
}

/// What the status bar says of a failed turn: the error, then what became of the
/// partial answer and how to ask again, unless the error's own advice says it.
fn failure_notice(error: &BedrockError, empty: bool, retry_key: &str) -> String {
    let retry = format!("{retry_key} asks again.");
    match (empty, error) {
        (false, _) => format!("{error} The partial answer is kept; {retry}"),
        (
            true,
            BedrockError::Stream { .. }
            | BedrockError::Unreachable { .. }
            | BedrockError::Unavailable { .. }
            | BedrockError::Model { .. },
        ) => format!("{error} {retry}"),
        (true, _) => error.to_string(),
    }
}

/// Stream events become blocks of the answer; text and reasoning grow their last block.
/// A citation makes the content block it comes in (its text before or after it) a
/// cited block; a cited block ends with its content block, so text after it starts
/// anew.
fn apply_event(e: &mut Entry, event: TurnEvent) {
    e.revision += 1;
    let open = std::mem::replace(&mut e.open, !matches!(event, TurnEvent::BlockStop));
    let blocks = &mut e.message.blocks;
    match event {
        // Text of consecutive content blocks grows one text block, as it always has;
        // `from` remembers where the current content block's text begins.
        TurnEvent::Text(t) => match blocks.last_mut() {
            Some(Block::Text(s)) => {
                if !open {
                    e.from = s.len();
                }
                s.push_str(&t)
            }
            Some(Block::Cited { text, .. }) if open => text.push_str(&t),
            _ => {
                e.from = 0;
                blocks.push(Block::Text(t))
            }
        },
        TurnEvent::Citation(c) => match blocks.last_mut() {
            Some(Block::Cited { citations, .. }) if open => citations.push(c),
            // The content block's text so far becomes the cited part.
            Some(Block::Text(s)) if open => {
                let text = s.split_off(e.from.min(s.len()));
                let cited = Block::Cited {
                    text,
                    citations: vec![c],
                };
                if s.is_empty() {
                    if let Some(last) = blocks.last_mut() {
                        *last = cited;
                    }
                } else {
                    blocks.push(cited);
                }
            }
            _ => blocks.push(Block::Cited {
                text: String::new(),
                citations: vec![c],
            }),
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
        TurnEvent::Guardrail(trace) => super::guardrail::attach(e, trace),
        TurnEvent::Exchange(x) => e.exchange = Some(x),
        // The answer is the chosen model's, priced as it; the router is kept beside it.
        TurnEvent::Routed(model) => e.via = e.message.model.replace(model),
    }
}

/// Index of the last question: the last user message that is not the results of tool
/// calls.
fn last_user(app: &App) -> Option<usize> {
    app.entries.iter().rposition(|e| {
        e.message.role == Role::User
            && e.message
                .blocks
                .iter()
                .any(|b| !matches!(b, Block::ToolResult { .. }))
    })
}

/// Asks the last question again, in place of its answer.
pub(super) fn regenerate(app: &mut App) -> Vec<Effect> {
    if app.busy() {
        return Vec::new();
    }
    let Some(u) = last_user(app) else {
        app.tell(Notice::Error("Nothing to regenerate yet.".into()));
        return Vec::new();
    };
    app.entries.truncate(u + 1);
    let mut effects = vec![Effect::Save(Save::Truncate(u + 1))];
    effects.extend(start(app));
    effects
}

/// Puts the last question back in the composer and removes it and its answer.
pub(super) fn edit_last(app: &mut App) -> Vec<Effect> {
    if app.busy() {
        return Vec::new();
    }
    let Some(u) = last_user(app) else {
        return Vec::new();
    };
    let text = app.entries[u].message.text();
    app.entries.truncate(u);
    vec![
        Effect::Save(Save::Truncate(u)),
        Effect::SetComposer(text),
        meter::schedule(app),
    ]
}

#[cfg(test)]
#[path = "turn_tests.rs"]
mod tests;
