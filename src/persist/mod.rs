//! Keeps the history store in step with the conversation on screen. A thread owns the
//! store (the UI does no IO); the event loop sends it what changed, and a streaming
//! answer is checkpointed at most once a second. The same thread answers the history
//! browser and writes exports, so every access to the file is in one order.

pub mod library;

use std::path::PathBuf;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::app::{App, Entry, EntryState, Format, Msg};
use crate::local::state::now_ms;
use crate::store::{ConversationId, MessageState, Store, StoredConversation, StoredMessage};

const CHECKPOINT: Duration = Duration::from_secs(1);

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

/// Sends changes to the store's thread; errors come back through `on_error`.
pub struct Persister {
    tx: mpsc::Sender<Op>,
    thread: Option<std::thread::JoinHandle<()>>,
    saved: Vec<u64>,
    last_checkpoint: Option<Instant>,
    system: Option<String>,
}

fn state_of(e: &Entry) -> (MessageState, Option<String>) {
    match &e.state {
        EntryState::Done => (MessageState::Done, None),
        EntryState::Streaming => (MessageState::Streaming, None),
        EntryState::Cancelled => (MessageState::Cancelled, None),
        EntryState::Failed(err) => (MessageState::Failed, Some(err.to_string())),
    }
}

fn stored(seq: usize, e: &Entry) -> StoredMessage {
    let (state, error) = state_of(e);
    let now = now_ms() as i64;
    StoredMessage {
        seq: seq as u32,
        message: e.message.clone(),
        state,
        stop: e.stop.clone(),
        usage: e.usage,
        error,
        guardrail: e.trace.clone(),
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

impl Persister {
    /// Starts the store's thread, continuing `conversation` if given. What the store
    /// has to say (answers, errors) comes back through `reply`; exports without a path
    /// go to `export_dir`.
    pub fn start(
        mut store: Store,
        conversation: Option<ConversationId>,
        export_dir: PathBuf,
        reply: impl Fn(Msg) + Send + 'static,
    ) -> Persister {
        let (tx, rx) = mpsc::channel::<Op>();
        let thread = std::thread::spawn(move || {
            let mut current = conversation;
            for op in rx {
                let result = match op {
                    Op::New => {
                        current = None;
                        Ok(())
                    }
                    Op::Put(msg, model, system) => {
                        let id = match current {
                            Some(id) => Ok(id),
                            None => store
                                .create(
                                    &title(&msg.message.text()),
                                    &model,
                                    system.as_deref(),
                                    msg.created_ms,
                                )
                                .inspect(|id| current = Some(*id)),
                        };
                        id.and_then(|id| store.put_message(id, &msg))
                    }
                    Op::Truncate(from) => match current {
                        Some(id) => store.truncate(id, from).map(|_| ()),
                        None => Ok(()),
                    },
                    Op::SetSystem(system) => match current {
                        Some(id) => store.set_system(id, system.as_deref()),
                        None => Ok(()),
                    },
                    Op::List { request, query } => {
                        let rows = library::rows(&store, &query).map_err(|e| e.to_string());
                        reply(Msg::HistoryListed { request, rows });
                        Ok(())
                    }
                    Op::Open(id) => {
                        let loaded = store.load(id);
                        if loaded.is_ok() {
                            current = Some(id);
                        }
                        reply(Msg::ConversationLoaded(loaded.map_err(|e| e.to_string())));
                        Ok(())
                    }
                    Op::Rename(id, title) => {
                        let done = store.rename(id, &title);
                        reply(Msg::Stored(
                            done.map(|()| format!("Renamed to \u{201c}{title}\u{201d}."))
                                .map_err(|e| format!("Could not rename: {e}")),
                        ));
                        Ok(())
                    }
                    Op::Delete(id) => {
                        let done = store.delete(id);
                        let was_current = current == Some(id);
                        if done.is_ok() && was_current {
                            current = None;
                        }
                        match done {
                            Ok(()) => reply(Msg::ConversationDeleted {
                                current: was_current,
                            }),
                            Err(e) => reply(Msg::Stored(Err(format!("Could not delete: {e}")))),
                        }
                        Ok(())
                    }
                    Op::Export {
                        conversation,
                        format,
                        path,
                    } => {
                        let result = match conversation.or(current) {
                            Some(id) => {
                                library::export(&store, id, format, path.as_deref(), &export_dir)
                                    .map(|p| format!("Exported to {}.", library::display_path(&p)))
                                    .map_err(|e| format!("Export failed: {e}"))
                            }
                            None => Err("Nothing to export yet: ask something first.".into()),
                        };
                        reply(Msg::Stored(result));
                        Ok(())
                    }
                };
                if let Err(e) = result {
                    tracing::warn!("history: {e}");
                    reply(Msg::HistoryError(e.to_string()));
                }
            }
        });
        Persister {
            tx,
            thread: Some(thread),
            saved: Vec::new(),
            last_checkpoint: None,
            system: None,
        }
    }

    /// Writes what is still queued and stops the store's thread.
    pub fn close(mut self) {
        let (dead, _) = mpsc::channel();
        drop(std::mem::replace(&mut self.tx, dead));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }

    /// Marks `app`'s current entries as already stored (a resumed conversation).
    pub fn mark_saved(&mut self, app: &App) {
        self.saved = app.entries.iter().map(|e| e.revision).collect();
        self.system = app.system.clone();
    }

    /// Starts a new conversation in the store with the next message.
    pub fn new_conversation(&mut self) {
        self.saved.clear();
        let _ = self.tx.send(Op::New);
    }

    pub fn list(&self, request: u64, query: String) {
        let _ = self.tx.send(Op::List { request, query });
    }

    /// Loads conversation `id`; messages sent after this one belong to it.
    pub fn open(&mut self, id: ConversationId) {
        let _ = self.tx.send(Op::Open(id));
    }

    pub fn rename(&self, id: ConversationId, title: String) {
        let _ = self.tx.send(Op::Rename(id, title));
    }

    pub fn delete(&self, id: ConversationId) {
        let _ = self.tx.send(Op::Delete(id));
    }

    pub fn export(
        &self,
        conversation: Option<ConversationId>,
        format: Format,
        path: Option<String>,
    ) {
        let _ = self.tx.send(Op::Export {
            conversation,
            format,
            path,
        });
    }

    /// Sends what changed since the last call.
    pub fn sync(&mut self, app: &App) {
        if app.entries.len() < self.saved.len() {
            self.saved.truncate(app.entries.len());
            let _ = self.tx.send(Op::Truncate(app.entries.len() as u32));
        }
        if app.system != self.system {
            self.system = app.system.clone();
            let _ = self.tx.send(Op::SetSystem(app.system.clone()));
        }
        for (i, e) in app.entries.iter().enumerate() {
            if self.saved.get(i) == Some(&e.revision) {
                continue;
            }
            if e.state == EntryState::Streaming {
                let due = self
                    .last_checkpoint
                    .is_none_or(|t| t.elapsed() >= CHECKPOINT);
                if !due {
                    continue;
                }
                self.last_checkpoint = Some(Instant::now());
            }
            if self.saved.len() <= i {
                self.saved.resize(i + 1, u64::MAX);
            }
            self.saved[i] = e.revision;
            let _ = self.tx.send(Op::Put(
                Box::new(stored(i, e)),
                app.model.clone(),
                app.system.clone(),
            ));
        }
    }
}

/// The entries of a stored conversation, as the app shows them. An answer that was
/// still streaming when the app stopped is shown as stopped.
pub fn entries(conv: &StoredConversation) -> Vec<Entry> {
    conv.messages
        .iter()
        .map(|m| {
            let state = match m.state {
                MessageState::Done => EntryState::Done,
                MessageState::Streaming | MessageState::Cancelled => EntryState::Cancelled,
                MessageState::Failed => EntryState::Failed(crate::bedrock::BedrockError::Other {
                    code: "Failed".into(),
                    message: m.error.clone().unwrap_or_default(),
                }),
            };
            let mut e = Entry::new(m.message.clone(), state);
            e.stop = m.stop.clone();
            e.usage = m.usage;
            e.guardrail = m.guardrail.as_ref().and_then(|t| t.guardrail.clone());
            e.trace = m.guardrail.clone();
            e
        })
        .collect()
}
