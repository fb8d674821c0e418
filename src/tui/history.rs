//! The history store on a thread of its own, so the event loop never waits on the file:
//! every read and write goes through it, in order. The executor hands it the reducer's
//! `Save` effects: a streaming answer is written at most once a second (a checkpoint),
//! everything else at once, and whatever is pending is written before the app exits.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::mpsc;
use std::time::Duration;

use tokio::time::Instant;

use crate::app::{App, Entry, EntryState, Format, Msg, Save};
use crate::store::{ConversationId, MessageState, Store, StoredMessage, library};

/// How often a streaming answer is written: a crash loses at most this much of it.
pub(super) const CHECKPOINT: Duration = Duration::from_secs(1);

enum Op {
    Put(Box<StoredMessage>, String, Option<String>),
    Truncate(u32),
    New,
    SetSystem(Option<String>),
    List {
        request: u64,
        query: String,
    },
    Open(ConversationId),
    Rename(ConversationId, String),
    Delete(ConversationId),
    Export {
        conversation: Option<ConversationId>,
        format: Format,
        path: Option<String>,
    },
}

/// The handle of the store's thread. What the store has to say (listings, loaded
/// conversations, errors) comes back as messages.
pub(super) struct History {
    tx: mpsc::Sender<Op>,
    thread: Option<std::thread::JoinHandle<()>>,
    /// Streaming answers changed since they were last written.
    pending: BTreeSet<usize>,
    last_checkpoint: Option<Instant>,
}

fn stored(seq: usize, e: &Entry) -> StoredMessage {
    let (state, error) = match &e.state {
        EntryState::Done => (MessageState::Done, None),
        // An answer cut off by the exit is stored as one still streaming, as a crash
        // leaves it: both are shown as interrupted when the conversation is opened.
        EntryState::Streaming | EntryState::Interrupted => (MessageState::Streaming, None),
        EntryState::Cancelled => (MessageState::Cancelled, None),
        EntryState::Failed(err) => (MessageState::Failed, Some(err.to_string())),
    };
    let now = crate::clock::now_ms();
    StoredMessage {
        seq: seq as u32,
        message: e.message.clone(),
        state,
        stop: e.stop.clone(),
        usage: e.usage,
        error,
        guardrail: e.trace.as_deref().cloned(),
        exchange: e.exchange.as_deref().cloned(),
        alternatives: (e.alternatives.iter().enumerate())
            .map(|(i, a)| stored(i, a))
            .collect(),
        created_ms: now,
        updated_ms: now,
    }
}

/// The title of a conversation: the start of its first question.
fn title(text: &str) -> String {
    let line = text.lines().next().unwrap_or("").trim();
    let mut t: String = line.chars().take(60).collect();
    if line.chars().count() > 60 {
        t.push('…');
    }
    if t.is_empty() {
        "New conversation".into()
    } else {
        t
    }
}

/// Carries out one operation on the store; `current` is the conversation new messages
/// go to. Answers go through `reply`; a failed write is returned.
fn apply(
    store: &mut Store,
    current: &mut Option<ConversationId>,
    op: Op,
    export_dir: &std::path::Path,
    reply: &impl Fn(Msg),
) -> crate::store::Result<()> {
    match op {
        Op::New => *current = None,
        Op::Put(msg, model, system) => {
            let id = match *current {
                Some(id) => id,
                None => {
                    let id = store.create(
                        &title(&msg.message.text()),
                        &model,
                        system.as_deref(),
                        msg.created_ms,
                    )?;
                    *current = Some(id);
                    id
                }
            };
            store.put_message(id, &msg)?;
        }
        Op::Truncate(from) => {
            if let Some(id) = *current {
                store.truncate(id, from)?;
            }
        }
        Op::SetSystem(system) => {
            if let Some(id) = *current {
                store.set_system(id, system.as_deref())?;
            }
        }
        Op::List { request, query } => {
            let rows = library::rows(store, &query).map_err(|e| e.to_string());
            reply(Msg::HistoryListed { request, rows });
        }
        Op::Open(id) => {
            let loaded = store.load(id);
            if loaded.is_ok() {
                *current = Some(id);
            }
            reply(Msg::ConversationLoaded(loaded.map_err(|e| e.to_string())));
        }
        Op::Rename(id, title) => {
            let done = store.rename(id, &title);
            reply(Msg::Stored(
                done.map(|()| format!("Renamed to \u{201c}{title}\u{201d}."))
                    .map_err(|e| format!("Could not rename: {e}")),
            ));
        }
        Op::Delete(id) => match store.delete(id) {
            Ok(()) => {
                let was_current = *current == Some(id);
                if was_current {
                    *current = None;
                }
                reply(Msg::ConversationDeleted {
                    current: was_current,
                });
            }
            Err(e) => reply(Msg::Stored(Err(format!("Could not delete: {e}")))),
        },
        Op::Export {
            conversation,
            format,
            path,
        } => {
            let result = match conversation.or(*current) {
                Some(id) => library::export(store, id, format, path.as_deref(), export_dir)
                    .map(|p| format!("Exported to {}.", crate::paths::display_path(&p)))
                    .map_err(|e| format!("Export failed: {e}")),
                None => Err("Nothing to export yet: ask something first.".into()),
            };
            reply(Msg::Stored(result));
        }
    }
    Ok(())
}

impl History {
    /// Starts the store's thread on a new conversation ([`History::open`] continues a
    /// stored one). Exports without a path go to `export_dir`.
    pub fn start(
        mut store: Store,
        export_dir: PathBuf,
        reply: impl Fn(Msg) + Send + 'static,
    ) -> History {
        let (tx, rx) = mpsc::channel::<Op>();
        let thread = std::thread::spawn(move || {
            let mut current = None;
            for op in rx {
                if let Err(e) = apply(&mut store, &mut current, op, &export_dir, &reply) {
                    tracing::warn!("history: {e}");
                    reply(Msg::HistoryError(e.to_string()));
                }
            }
        });
        History {
            tx,
            thread: Some(thread),
            pending: BTreeSet::new(),
            last_checkpoint: None,
        }
    }

    fn send(&self, op: Op) {
        // The thread only ends when this handle closes it.
        let _ = self.tx.send(op);
    }

    fn put(&self, index: usize, app: &App) {
        if let Some(e) = app.entries.get(index) {
            self.send(Op::Put(
                Box::new(stored(index, e)),
                app.model.clone(),
                app.system.clone(),
            ));
        }
    }

    /// Carries out `save` against the conversation as `app` has it now.
    pub fn save(&mut self, save: Save, app: &App) {
        match save {
            Save::Entry(i) => {
                let streaming = app
                    .entries
                    .get(i)
                    .is_some_and(|e| e.state == EntryState::Streaming);
                let now = Instant::now();
                let due = self.last_checkpoint.is_none_or(|t| now >= t + CHECKPOINT);
                if streaming && !due {
                    self.pending.insert(i);
                    return;
                }
                if streaming {
                    self.last_checkpoint = Some(now);
                }
                self.pending.remove(&i);
                self.put(i, app);
            }
            Save::Truncate(len) => {
                self.pending.retain(|i| *i < len);
                self.send(Op::Truncate(len as u32));
            }
            Save::System => self.send(Op::SetSystem(app.system.clone())),
            Save::New => {
                self.pending.clear();
                self.send(Op::New);
            }
        }
    }

    /// When the pending streaming answers are due to be written.
    pub fn due(&self) -> Option<Instant> {
        if self.pending.is_empty() {
            return None;
        }
        Some(
            self.last_checkpoint
                .map_or_else(Instant::now, |t| t + CHECKPOINT),
        )
    }

    /// Writes the pending streaming answers as they stand.
    pub fn checkpoint(&mut self, app: &App) {
        for i in std::mem::take(&mut self.pending) {
            self.put(i, app);
        }
        self.last_checkpoint = Some(Instant::now());
    }

    pub fn list(&self, request: u64, query: String) {
        self.send(Op::List { request, query });
    }

    /// Loads conversation `id`; messages saved after this one belong to it.
    pub fn open(&self, id: ConversationId) {
        self.send(Op::Open(id));
    }

    pub fn rename(&self, id: ConversationId, title: String) {
        self.send(Op::Rename(id, title));
    }

    pub fn delete(&self, id: ConversationId) {
        self.send(Op::Delete(id));
    }

    pub fn export(
        &self,
        conversation: Option<ConversationId>,
        format: Format,
        path: Option<String>,
    ) {
        self.send(Op::Export {
            conversation,
            format,
            path,
        });
    }

    /// Writes what is pending, waits for every queued write and stops the thread.
    pub fn close(mut self, app: &App) {
        self.checkpoint(app);
        let (dead, _) = mpsc::channel();
        drop(std::mem::replace(&mut self.tx, dead));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[cfg(test)]
#[path = "history_tests.rs"]
mod tests;
