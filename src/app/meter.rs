//! The token meter's state: the count of what the next request would send, asked for
//! while the user types (debounced, superseded counts dropped), and the client-side
//! timing of each answer (time to first token, output rate).

use std::time::Duration;

use crate::app::turn::TurnRequest;
use crate::conversation::{Message, Role};

use super::effect::Effect;
use super::state::{App, Entry};

/// How long typing must pause before the draft is counted.
pub const DEBOUNCE: Duration = Duration::from_millis(400);

/// A count of input tokens, exact (CountTokens) or a local estimate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Count {
    pub tokens: u32,
    pub exact: bool,
    /// Whether the draft was part of what was counted (an empty draft or a slash
    /// command counts the history alone).
    pub with_draft: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum NextTurn {
    #[default]
    Unknown,
    /// A count is due or in flight; the last one is shown meanwhile.
    Counting(Option<Count>),
    Counted(Count),
    /// Counting failed; the meter says so, the conversation does not.
    Failed(String),
}

impl NextTurn {
    /// Whether a count is due or being made.
    pub fn in_flight(&self) -> bool {
        matches!(self, NextTurn::Counting(_))
    }

    /// The count to show: the current one, or the last one while a new one is made.
    pub fn shown(&self) -> Option<Count> {
        match self {
            NextTurn::Counted(c) | NextTurn::Counting(Some(c)) => Some(*c),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Meter {
    /// The text in the composer, as last reported.
    pub draft: String,
    /// The latest count asked for; answers to older ones are stale.
    pub request: u64,
    pub next: NextTurn,
    /// How the next turn's prompt would use the cache, as last counted.
    pub cache: Option<super::cache::CachePlan>,
}

/// Client-measured timing of an answer.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Timing {
    /// From sending the request to the first streamed content.
    pub first_token_ms: Option<u64>,
    /// From sending the request to the end of the stream.
    pub total_ms: u64,
    /// The service's own `latencyMs`, from the stream's metadata.
    pub service_ms: Option<u64>,
}

impl Timing {
    /// Output tokens per second while the answer streamed (after its first token).
    pub fn output_rate(&self, output_tokens: u32) -> Option<f64> {
        let first = self.first_token_ms?;
        let streaming = self.total_ms.checked_sub(first)?;
        (streaming > 0 && output_tokens > 1)
            .then(|| f64::from(output_tokens - 1) * 1000.0 / streaming as f64)
    }
}

/// The request a turn would send now: the history, the system prompt (inlined for a
/// model without one), `draft` as the new question, and the guardrail.
pub fn request(app: &App, draft: Option<&str>) -> TurnRequest {
    let mut messages = app.history();
    if let Some(d) = draft {
        let question = Message::question(d, super::attach::draft_media(app));
        match messages.last_mut() {
            Some(last) if last.role == Role::User => last.blocks.extend(question.blocks),
            _ => messages.push(question),
        }
    }
    super::adapt::fit_media(&mut messages, &app.model);
    let takes_system =
        super::adapt::model_of(&app.model).is_none_or(|m| m.capabilities.system_prompt);
    let system = match &app.system {
        Some(s) if !takes_system => {
            super::adapt::inline_system(&mut messages, s);
            None
        }
        other => other.clone(),
    };
    let tools = super::tools::config(app);
    if tools.is_none() {
        // Converse takes tool blocks only with a toolConfig: without one (tools off)
        // the calls and results of earlier turns are sent as text.
        for m in &mut messages {
            for b in &mut m.blocks {
                *b = super::adapt::tool_as_text(b);
            }
        }
    }
    TurnRequest {
        model_id: app.model.clone(),
        system,
        messages,
        inference: app.inference.clone(),
        guardrail: app.guardrail.clone(),
        tools,
    }
}

/// Asks for a new count after the debounce; what was counted stays on show meanwhile.
pub fn schedule(app: &mut App) -> Effect {
    app.meter.request += 1;
    app.meter.next = NextTurn::Counting(app.meter.next.shown());
    Effect::ScheduleCount {
        request: app.meter.request,
        after: DEBOUNCE,
    }
}

/// The composer's text changed.
pub fn draft_changed(app: &mut App, text: String) -> Vec<Effect> {
    if text == app.meter.draft {
        return Vec::new();
    }
    app.meter.draft = text;
    vec![schedule(app)]
}

/// The debounce of count `request` ran out: count, unless typing went on since.
pub fn due(app: &mut App, request: u64) -> Vec<Effect> {
    if request != app.meter.request {
        return Vec::new();
    }
    // The answer streaming now changes what the next turn sends, and its end asks for a
    // count again: a count now would be stale at once, and of a long conversation it
    // costs more than the whole stream.
    if app.turn.is_some() {
        return Vec::new();
    }
    let draft = app.meter.draft.trim();
    // A native body is not a question: its JSON would be counted as one.
    let with_draft = (!draft.is_empty() || !app.attach.pending.is_empty())
        && !draft.starts_with('/')
        && app.native.is_none();
    let turn = self::request(app, with_draft.then_some(app.meter.draft.as_str()));
    app.meter.cache = super::cache::plan(
        turn.inference.cache,
        super::adapt::model_of(&turn.model_id),
        turn.system.as_deref(),
        turn.tools.as_ref(),
        &turn.messages,
    );
    if turn.messages.is_empty() && turn.system.is_none() {
        app.meter.next = NextTurn::Unknown;
        return Vec::new();
    }
    vec![Effect::CountTokens {
        request,
        turn,
        with_draft,
    }]
}

/// The answer to count `request`.
pub fn counted(app: &mut App, request: u64, result: Result<Count, String>) -> Vec<Effect> {
    if request == app.meter.request {
        app.meter.next = match result {
            Ok(c) => NextTurn::Counted(c),
            Err(e) => NextTurn::Failed(e),
        };
    }
    Vec::new()
}

/// Timing of turn `id`, measured by the client, for the entry it streamed into.
pub fn timed(entry: Option<&mut Entry>, timing: Timing) {
    if let Some(e) = entry {
        let service_ms = e.timing.and_then(|t| t.service_ms);
        e.timing = Some(Timing {
            service_ms,
            ..timing
        });
        e.revision += 1;
    }
}

#[cfg(test)]
#[path = "meter_tests.rs"]
mod tests;
