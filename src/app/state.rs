//! Application state: the conversation as shown, the turn in flight, the chosen model,
//! the connection, and what overlays and notices are up.

use crate::conversation::{Block, Inference, Message, Role, StopReason};

use super::error::BedrockError;
pub use super::turn::TurnId;

#[derive(Debug, Clone, PartialEq)]
pub enum EntryState {
    Done,
    Streaming,
    /// Stopped by the user; the partial text is kept.
    Cancelled,
    Failed(BedrockError),
    /// Still streaming when the app exited; what had come is kept.
    Interrupted,
}

/// One message of the conversation as the app shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub message: Message,
    pub state: EntryState,
    pub stop: Option<StopReason>,
    pub usage: Option<crate::conversation::Usage>,
    /// How long the answer took, as the client saw it.
    pub timing: Option<super::meter::Timing>,
    /// The name of the guardrail the turn was sent with.
    pub guardrail: Option<String>,
    /// What the guardrail found, from the stream's metadata.
    /// Boxed: most entries have none, and a long conversation holds thousands.
    pub trace: Option<Box<crate::guardrail::Trace>>,
    /// The answer's tool calls as they run (in the order of its `toolUse` blocks).
    pub calls: Vec<super::tools::Call>,
    /// Bumped on every change, so renderers know when their cached lines are stale.
    pub revision: u64,
    /// A question or answer of the native console.
    pub native: bool,
    /// The prompt router the answer went through, when the model answering was its
    /// choice.
    pub via: Option<String>,
    /// The service tier the answer was asked at, when one was.
    pub tier: Option<crate::conversation::Tier>,
    /// What went over the wire for this answer (the inspector shows it).
    /// Boxed: it holds the whole request.
    pub exchange: Option<Box<crate::inspect::Exchange>>,
    /// While streaming: the stream's current content block has not stopped yet.
    pub open: bool,
    /// While streaming: where the current content block's text begins in the last
    /// text block, which a citation of that content block splits off.
    pub from: usize,
    /// The other answers to the same question, when this one was kept from a
    /// comparison: shown on request and stored with it, never sent.
    pub alternatives: Vec<Entry>,
}

impl Entry {
    pub fn new(message: Message, state: EntryState) -> Self {
        Entry {
            message,
            state,
            stop: None,
            usage: None,
            timing: None,
            guardrail: None,
            trace: None,
            calls: Vec::new(),
            exchange: None,
            native: false,
            tier: None,
            via: None,
            revision: 0,
            open: false,
            from: 0,
            alternatives: Vec::new(),
        }
    }

    /// Whether the message has anything to send: text that is not blank, reasoning,
    /// a tool call or a tool result. An answer stopped before its first token has none.
    pub fn has_content(&self) -> bool {
        self.message.blocks.iter().any(|b| match b {
            Block::Text(t) | Block::Cited { text: t, .. } => !t.trim().is_empty(),
            Block::Reasoning { text, .. } => !text.trim().is_empty(),
            Block::ToolUse { .. } | Block::ToolResult { .. } | Block::Media(_) => true,
        })
    }

    /// Whether the entry is sent with later turns: not streaming, not failed, not
    /// blocked by the guardrail, and with content.
    fn sendable(&self) -> bool {
        !matches!(self.state, EntryState::Failed(_) | EntryState::Streaming)
            && !self.blocked()
            && self.has_content()
    }

    /// An answer the guardrail replaced with its blocked message: neither it nor its
    /// question is sent again, or every later turn would be blocked for it too.
    pub fn blocked(&self) -> bool {
        self.stop == Some(StopReason::GuardrailIntervened)
            && self
                .trace
                .as_deref()
                .is_none_or(crate::guardrail::Trace::blocked)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    Info(String),
    Error(String),
}

impl Notice {
    pub fn text(&self) -> &str {
        match self {
            Notice::Info(t) | Notice::Error(t) => t,
        }
    }
}

/// A notice as the log keeps it: in full, with when it was told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Logged {
    /// Milliseconds since the Unix epoch.
    pub at_ms: i64,
    pub notice: Notice,
}

/// How many notices the log keeps; the oldest go first.
pub const LOG_LIMIT: usize = 2000;

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Overlay {
    #[default]
    None,
    Help,
    Picker(super::picker::Picker),
    History(super::history::Browser),
    /// The guardrail picker; the row selected (0 is "off").
    Guardrails(usize),
    /// The async jobs pane (its state is `App::jobs`).
    Jobs,
    /// The notice log, scrolled up this many rows from its newest line.
    Log(u16),
    /// The offer to run `auth_refresh` after the session expired.
    SignIn,
    /// The question whether a tool call may run (the first call waiting for it).
    Consent,
    /// The question whether the tool loop goes on after `max_tool_rounds` rounds.
    MoreRounds,
    /// The tools list (`/tools`), on this row.
    Tools(usize),
    /// The request inspector.
    Inspector(Box<super::inspect::Inspector>),
    /// The session's routes and their figures (`/routes`).
    Routes,
}

/// What the app is connected to, once the background resolution finishes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Link {
    #[default]
    Connecting,
    Aws {
        region: String,
        profile: Option<String>,
        /// How requests authenticate, named for the status bar.
        auth: String,
    },
    Custom {
        url: String,
        region: String,
        auth: String,
    },
    Local {
        url: String,
        reason: Option<String>,
    },
    Failed(String),
}

impl Link {
    /// The region requests go to; until connected, the one most users are in.
    pub fn region(&self) -> &str {
        match self {
            Link::Aws { region, .. } | Link::Custom { region, .. } => region,
            _ => "us-east-1",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct App {
    pub entries: Vec<Entry>,
    /// The model or profile id the next turn goes to.
    pub model: String,
    pub system: Option<String>,
    pub inference: Inference,
    /// The turn in flight and the index of the entry it streams into.
    pub turn: Option<(TurnId, usize)>,
    pub next_turn: u64,
    pub link: Link,
    /// The latest notice, shown in the status bar until the next one.
    pub notice: Option<Notice>,
    /// Every notice of the session, oldest first (the notice log).
    pub log: Vec<Logged>,
    /// The local time zone's offset from UTC, in seconds, for the times the log shows.
    pub utc_offset_s: i32,
    pub overlay: Overlay,
    /// Lines scrolled up from the bottom; 0 follows the newest text.
    pub scroll: u16,
    pub quitting: bool,
    /// The wall clock when the messages being applied arrived, in milliseconds since
    /// the Unix epoch: set by the event loop, so the reducer never reads a clock.
    pub clock_ms: i64,
    /// Whether the app captures the mouse (wheel scrolling) instead of the terminal
    /// (selection).
    pub mouse: bool,
    /// Bumped when the entries are replaced wholesale or their look changes (another
    /// conversation opened, another theme), so renderers drop every cached line.
    pub epoch: u64,
    /// Id of the last request to the history store; answers to older ones are stale.
    pub next_request: u64,
    /// How the user asks a question again, for messages that say so: the regenerate
    /// key, or `/retry` when it has none.
    pub retry_key: String,
    /// The config's command that signs in again, offered when the session expires.
    pub auth_refresh: Option<String>,
    /// The code-highlighting theme, one of `theme::THEMES`.
    pub theme: &'static str,
    /// Rows the help overlay is scrolled down.
    pub help_scroll: u16,
    /// The catalog merged with what the region lists, once the control plane answered.
    pub live: Option<std::sync::Arc<crate::catalog::merge::Merged>>,
    /// Why the live list is not there, when fetching it failed.
    pub live_error: Option<String>,
    pub meter: super::meter::Meter,
    /// The guardrail every turn carries in `guardrailConfig`.
    pub guardrail: Option<crate::guardrail::GuardrailChoice>,
    /// The guardrails of the config, which the guardrail picker offers.
    pub guardrails: Vec<crate::guardrail::GuardrailChoice>,
    /// How the trace pane shows the guardrail's findings.
    pub pane: super::guardrail::Pane,
    /// The answer the conversation view is on (the newest on screen at the bottom, the
    /// highest on screen when scrolled up): the trace pane shows its trace and the
    /// answer check screens it.
    pub focus: Option<usize>,
    /// The last ApplyGuardrail check, shown in the trace pane until the next turn.
    pub check: Option<super::guardrail::Check>,
    /// The region's async invocations and what the app does with them.
    pub jobs: super::jobs::Jobs,
    /// The tools the model can call, and the tool loop in progress.
    pub tools: super::tools::Tools,
    /// Failover routes and their figures.
    pub routing: super::routes::Routing,
    /// The native console, while the composer holds a native request body.
    pub native: Option<super::native::Console>,
    /// The attachments of the next question and the `@` completion.
    pub attach: super::attach::Attachments,
    /// The last conversation is being read from the history (`--continue`, which does
    /// not hold the first frame for it): nothing is sent until it is shown, so no turn
    /// takes the place of its messages.
    pub resuming: bool,
    /// The comparison on screen (`/compare`), until one answer is kept.
    pub compare: Option<super::compare::Compare>,
    /// The conversation view shows kept answers' alternatives in full.
    pub alternatives: bool,
}

impl App {
    pub fn new(model: impl Into<String>) -> Self {
        App {
            model: model.into(),
            theme: super::theme::DEFAULT,
            retry_key: "/retry".into(),
            auth_refresh: None,
            ..App::default()
        }
    }

    /// Shows a stored conversation in place of the current one, with the model of its
    /// last answer.
    pub fn show_conversation(&mut self, conv: &crate::store::StoredConversation) {
        self.entries = super::history::entries(conv);
        super::tools::restore(&mut self.entries, &self.tools);
        // "Always for this conversation" was said of the one on screen before.
        self.tools.approved.clear();
        self.system = conv.system.clone();
        self.model = self
            .entries
            .iter()
            .rev()
            .find_map(|e| e.message.model.clone())
            .unwrap_or(conv.model.clone());
        self.epoch += 1;
        self.scroll = 0;
    }

    /// Shows `notice` in the status bar and keeps it in the notice log.
    pub fn tell(&mut self, notice: Notice) {
        if self.log.len() >= LOG_LIMIT {
            self.log.drain(..self.log.len() + 1 - LOG_LIMIT);
        }
        self.log.push(Logged {
            at_ms: self.clock_ms,
            notice: notice.clone(),
        });
        self.notice = Some(notice);
    }

    /// The id to price a call to `model` at: the model an application inference
    /// profile reaches (its price), else `model` itself.
    pub fn priced_as<'a>(&'a self, model: &'a str) -> &'a str {
        self.live
            .as_deref()
            .and_then(|l| l.route(model))
            .filter(|r| !r.is_router())
            .and_then(|r| r.model_ids.first())
            .map_or(model, String::as_str)
    }

    /// The models the picker offers and model ids are checked against.
    pub fn catalog(&self) -> &crate::catalog::Catalog {
        self.live
            .as_deref()
            .map_or(crate::catalog::Catalog::builtin(), |m| &m.catalog)
    }

    /// Whether an answer streams, compared ones included.
    pub fn streaming(&self) -> bool {
        self.turn.is_some() || self.compare.as_ref().is_some_and(|c| c.streaming())
    }

    /// Whether the question is still being answered: an answer streams, its tool calls
    /// run, or a comparison waits for one answer to be kept.
    pub fn busy(&self) -> bool {
        self.turn.is_some() || self.tools.round.is_some() || self.compare.is_some()
    }

    /// The messages a turn sends: every question with the answer it got, in order. A
    /// question whose answer failed, was blocked by the guardrail or ended before any
    /// content (stopped, interrupted) stays on screen but is not sent again (Ctrl+R asks
    /// it again, Ctrl+E edits it), so the roles alternate as the API requires. A
    /// question whose answer is streaming, or that has none yet, is sent.
    pub fn history(&self) -> Vec<Message> {
        let mut out: Vec<Message> = Vec::new();
        for (i, e) in self.entries.iter().enumerate() {
            if !e.sendable() {
                continue;
            }
            let unanswered = self.entries.get(i + 1).is_some_and(|n| {
                n.message.role == Role::Assistant
                    && n.state != EntryState::Streaming
                    && !n.sendable()
            });
            if e.message.role == Role::User && unanswered {
                continue;
            }
            match out.last_mut() {
                // Entries of one role in a row only come from a history written by an
                // older version; the API takes them merged.
                Some(last) if last.role == e.message.role => {
                    last.blocks.extend(e.message.blocks.iter().cloned());
                }
                _ => out.push(e.message.clone()),
            }
        }
        super::tools::pair(&mut out);
        out
    }
}
