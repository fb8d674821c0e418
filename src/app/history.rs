//! The history browser: conversations listed newest first or found by full-text search,
//! opened, renamed, deleted or exported. The store answers through messages tagged
//! with the id of the listing they answer, so a slow answer to an old query is dropped.

use crate::store::{MessageState, StoredConversation};

pub use crate::store::library::{Format, Row};

use super::effect::Effect;
use super::error::BedrockError;
use super::state::{App, Entry, EntryState, Notice, Overlay};
use super::turn::{self, End};

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Mode {
    #[default]
    Browse,
    /// Editing the selected conversation's title.
    Rename(String),
    /// Waiting for `y` to delete the selected conversation.
    ConfirmDelete,
    /// The selected conversation is being loaded.
    Opening,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Browser {
    pub query: String,
    pub rows: Vec<Row>,
    pub selected: usize,
    pub mode: Mode,
    /// The listing whose answer is awaited; older answers are stale.
    pub request: u64,
    pub loading: bool,
    pub error: Option<String>,
}

/// Keys the history browser understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HistoryKey {
    Char(char),
    Backspace,
    Up,
    Down,
    Enter,
    Rename,
    Delete,
    Export(Format),
}

impl Browser {
    pub fn selected_row(&self) -> Option<&Row> {
        self.rows.get(self.selected)
    }
}

fn browser(app: &mut App) -> Option<&mut Browser> {
    match &mut app.overlay {
        Overlay::History(b) => Some(b),
        _ => None,
    }
}

fn list(app: &mut App, query: String) -> Vec<Effect> {
    app.next_request += 1;
    let request = app.next_request;
    match browser(app) {
        Some(b) => {
            b.request = request;
            b.loading = true;
            vec![Effect::ListHistory { request, query }]
        }
        None => Vec::new(),
    }
}

/// Opens the browser on the newest conversations.
pub fn open(app: &mut App) -> Vec<Effect> {
    app.overlay = Overlay::History(Browser::default());
    list(app, String::new())
}

/// The store's answer to listing `request`.
pub fn listed(app: &mut App, request: u64, rows: Result<Vec<Row>, String>) -> Vec<Effect> {
    if let Some(b) = browser(app).filter(|b| b.request == request) {
        b.loading = false;
        match rows {
            Ok(rows) => {
                b.rows = rows;
                b.error = None;
            }
            Err(e) => b.error = Some(e),
        }
        b.selected = b.selected.min(b.rows.len().saturating_sub(1));
    }
    Vec::new()
}

pub fn key(app: &mut App, key: HistoryKey) -> Vec<Effect> {
    let Some(b) = browser(app) else {
        return Vec::new();
    };
    match (&mut b.mode, key) {
        (Mode::Opening, _) => Vec::new(),
        (Mode::Rename(title), HistoryKey::Char(c)) => {
            title.push(c);
            Vec::new()
        }
        (Mode::Rename(title), HistoryKey::Backspace) => {
            title.pop();
            Vec::new()
        }
        (Mode::Rename(title), HistoryKey::Enter) => {
            let title = title.trim().to_owned();
            b.mode = Mode::Browse;
            let Some(row) = b.rows.get_mut(b.selected).filter(|_| !title.is_empty()) else {
                return Vec::new();
            };
            row.title = title.clone();
            vec![Effect::RenameConversation { id: row.id, title }]
        }
        (Mode::Rename(_), _) => Vec::new(),
        (Mode::ConfirmDelete, HistoryKey::Char('y' | 'Y')) => {
            b.mode = Mode::Browse;
            if b.selected >= b.rows.len() {
                return Vec::new();
            }
            let row = b.rows.remove(b.selected);
            b.selected = b.selected.min(b.rows.len().saturating_sub(1));
            vec![Effect::DeleteConversation(row.id)]
        }
        (Mode::ConfirmDelete, _) => {
            b.mode = Mode::Browse;
            Vec::new()
        }
        (Mode::Browse, HistoryKey::Char(c)) => {
            b.query.push(c);
            b.selected = 0;
            let q = b.query.clone();
            list(app, q)
        }
        (Mode::Browse, HistoryKey::Backspace) => {
            if b.query.pop().is_none() {
                return Vec::new();
            }
            b.selected = 0;
            let q = b.query.clone();
            list(app, q)
        }
        (Mode::Browse, HistoryKey::Up) => {
            b.selected = b.selected.saturating_sub(1);
            Vec::new()
        }
        (Mode::Browse, HistoryKey::Down) => {
            b.selected = (b.selected + 1).min(b.rows.len().saturating_sub(1));
            Vec::new()
        }
        (Mode::Browse, HistoryKey::Rename) => {
            if let Some(t) = b.selected_row().map(|r| r.title.clone()) {
                b.mode = Mode::Rename(t);
            }
            Vec::new()
        }
        (Mode::Browse, HistoryKey::Delete) => {
            if b.selected_row().is_some() {
                b.mode = Mode::ConfirmDelete;
            }
            Vec::new()
        }
        (Mode::Browse, HistoryKey::Export(format)) => match b.selected_row() {
            Some(r) => vec![Effect::Export {
                conversation: Some(r.id),
                format,
                path: None,
            }],
            None => Vec::new(),
        },
        (Mode::Browse, HistoryKey::Enter) => {
            let Some(id) = b.selected_row().map(|r| r.id) else {
                return Vec::new();
            };
            b.mode = Mode::Opening;
            // The answer streaming now belongs to the conversation on screen: stop it
            // and keep what came, before the store switches conversations.
            let mut effects = turn::stop(app, End::Cancelled);
            effects.extend(super::compare::settle(app, End::Cancelled));
            effects.push(Effect::OpenConversation(id));
            effects
        }
    }
}

/// The store loaded a conversation the user chose to open, or the last one, which
/// `--continue` resumes.
pub fn loaded(app: &mut App, result: Result<StoredConversation, String>) -> Vec<Effect> {
    let resumed = std::mem::take(&mut app.resuming);
    match result {
        Ok(conv) => {
            app.show_conversation(&conv);
            app.overlay = Overlay::None;
            app.tell(Notice::Info(if resumed {
                format!("Continuing \u{201c}{}\u{201d}.", conv.title)
            } else {
                format!(
                    "Opened \u{201c}{}\u{201d} ({} messages); new turns continue it.",
                    conv.title,
                    conv.messages.len()
                )
            }));
            vec![super::meter::schedule(app)]
        }
        Err(e) if resumed => {
            app.tell(Notice::Error(format!(
                "Could not open the last conversation: {e}"
            )));
            Vec::new()
        }
        Err(e) => {
            if let Some(b) = browser(app) {
                b.mode = Mode::Browse;
                b.error = Some(e.clone());
            }
            app.tell(Notice::Error(format!(
                "Could not open the conversation: {e}"
            )));
            Vec::new()
        }
    }
}

/// The store deleted a conversation; when it was the one on screen, a new one starts.
pub fn deleted(app: &mut App, current: bool) -> Vec<Effect> {
    if !current {
        app.tell(Notice::Info("Conversation deleted.".into()));
        return Vec::new();
    }
    // A comparison of the deleted conversation goes with it.
    let mut effects = super::compare::abandon(app);
    effects.extend(super::update::new_conversation(
        app,
        "Conversation deleted; this is a new one.",
    ));
    effects
}

/// The entries of a stored conversation, as the app shows them. An answer that was
/// streaming when the app stopped (at exit, or at its last checkpoint before a crash)
/// is shown as interrupted.
pub fn entries(conv: &StoredConversation) -> Vec<Entry> {
    let mut entries = conv.messages.iter().map(entry).collect::<Vec<_>>();
    // A native answer's question was asked natively too.
    for i in 1..entries.len() {
        if entries[i].native && entries[i - 1].message.role == crate::conversation::Role::User {
            entries[i - 1].native = true;
        }
    }
    entries
}

/// A stored message as the app shows it, with the alternatives it was kept with.
fn entry(m: &crate::store::StoredMessage) -> Entry {
    let state = match m.state {
        MessageState::Done => EntryState::Done,
        MessageState::Streaming => EntryState::Interrupted,
        MessageState::Cancelled => EntryState::Cancelled,
        MessageState::Failed => EntryState::Failed(BedrockError::Other {
            code: "Failed".into(),
            message: m.error.clone().unwrap_or_default(),
        }),
    };
    let mut e = Entry::new(m.message.clone(), state);
    e.stop = m.stop.clone();
    e.usage = m.usage;
    e.guardrail = m.guardrail.as_ref().and_then(|t| t.guardrail.clone());
    e.trace = m.guardrail.clone().map(Box::new);
    e.exchange = m.exchange.clone().map(Box::new);
    e.native = e.exchange.as_deref().is_some_and(super::native::is_native);
    e.alternatives = m.alternatives.iter().map(entry).collect();
    e
}

#[cfg(test)]
#[path = "history_tests.rs"]
mod tests;
