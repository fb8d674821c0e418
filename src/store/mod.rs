//! The history store: conversations and their messages in one SQLite file (WAL, mode
//! 0600), with full-text search and Markdown/JSON export.
//!
//! Messages are kept as Bedrock Converse JSON ([`converse_json`]); the producing
//! model, usage, stop reason, state and timestamps sit in their own columns. A message
//! is addressed by `(conversation, seq)` and written with [`Store::put_message`], an
//! upsert the app calls after every turn and repeatedly while an answer streams
//! (checkpoints), so that a crash loses at most the text since the last checkpoint.
//!
//! **Credentials are never stored.** The schema has no place for them (titles, model
//! ids, system prompts, message content, usage counts, error texts) and the app never
//! passes any; exports are built from the same rows.
//!
//! Threading: a [`Store`] owns a `rusqlite::Connection`, which is `Send` but not
//! `Sync`. Keep it on one thread (or behind a `Mutex`, or in `spawn_blocking`); calls
//! block on disk IO. Two processes may open the same file: writes take SQLite's lock
//! and wait up to [`BUSY_TIMEOUT`] for each other.
//!
//! Beside the history, [`live_cache`] keeps the control plane's live model list
//! between runs.

mod alternatives;
mod blobs;
pub mod converse_json;
mod converse_media;
mod export;
mod files;
pub mod library;
pub mod live_cache;
mod messages;
mod schema;
mod search;
#[cfg(test)]
mod tests;

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, ErrorCode, OpenFlags, OptionalExtension, params};
use serde::{Deserialize, Serialize};

use crate::conversation::{Message, StopReason, Usage};
use files::{create_private_dir, create_private_file};
use messages::Row;

pub use search::Hit;

/// How long a write waits for another process holding the file's write lock.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// The file name of the history inside the app's data directory.
pub const FILE_NAME: &str = "history.sqlite3";

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong with the history; callers match on the kind.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error("cannot create history file {}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{} is not a SQLite database; it was left unchanged", path.display())]
    NotADatabase { path: PathBuf },
    #[error(
        "{} is not a bedrock-tui history file (another program's database?); it was left unchanged",
        path.display()
    )]
    Foreign { path: PathBuf },
    #[error(
        "history file {} has schema version {found}, which this bedrock-tui does not know (it knows up to {supported}); \
         use a newer bedrock-tui or another history file. The file was left unchanged",
        path.display()
    )]
    TooNew {
        path: PathBuf,
        found: i64,
        supported: i64,
    },
    #[error("history file {} cannot use WAL journaling (journal mode is {mode:?})", path.display())]
    NoWal { path: PathBuf, mode: String },
    #[error("no home directory found to keep the history in")]
    NoDataDir,
    #[error("conversation {0} does not exist")]
    NoSuchConversation(ConversationId),
    #[error("message {seq} of conversation {conversation} is unreadable: {reason}")]
    Corrupt {
        conversation: ConversationId,
        seq: u32,
        reason: String,
    },
    #[error("history database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
}

/// Text the store hands out or keeps as a title: no control characters or escape
/// sequences, whatever an older version or another program wrote into the file.
pub(crate) fn clean(text: String) -> String {
    crate::sanitize::keeping_tabs(&text)
}

/// The id of a stored conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ConversationId(pub i64);

impl fmt::Display for ConversationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Where a stored message is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MessageState {
    Done,
    /// Still streaming at the last checkpoint; after a crash, an interrupted answer.
    Streaming,
    Cancelled,
    Failed,
}

impl MessageState {
    pub fn as_str(self) -> &'static str {
        match self {
            MessageState::Done => "done",
            MessageState::Streaming => "streaming",
            MessageState::Cancelled => "cancelled",
            MessageState::Failed => "failed",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "done" => MessageState::Done,
            "streaming" => MessageState::Streaming,
            "cancelled" => MessageState::Cancelled,
            "failed" => MessageState::Failed,
            _ => return None,
        })
    }
}

/// A message with what the store keeps beside it. `message.model` is the model that
/// produced it (assistant messages).
#[derive(Debug, Clone, PartialEq)]
pub struct StoredMessage {
    /// Position in the conversation, from 0.
    pub seq: u32,
    pub message: Message,
    pub state: MessageState,
    pub stop: Option<StopReason>,
    pub usage: Option<Usage>,
    pub error: Option<String>,
    /// What the guardrail found in this turn, with PII matches masked.
    pub guardrail: Option<crate::guardrail::Trace>,
    /// What went over the wire for the answer.
    pub exchange: Option<crate::inspect::Exchange>,
    /// The other answers to the same question, when this one was kept from a
    /// comparison (their `seq` is their place among the alternatives).
    pub alternatives: Vec<StoredMessage>,
    /// Milliseconds since the Unix epoch. Kept from the first write of this seq.
    pub created_ms: i64,
    pub updated_ms: i64,
}

impl StoredMessage {
    /// A finished message with no usage, stop reason or error.
    pub fn new(seq: u32, message: Message, now_ms: i64) -> Self {
        StoredMessage {
            seq,
            message,
            state: MessageState::Done,
            stop: None,
            usage: None,
            error: None,
            guardrail: None,
            exchange: None,
            alternatives: Vec::new(),
            created_ms: now_ms,
            updated_ms: now_ms,
        }
    }
}

/// A line of the conversation list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    pub id: ConversationId,
    pub title: String,
    pub created_ms: i64,
    pub updated_ms: i64,
    pub message_count: u32,
    /// The model of the latest message that names one, else the conversation's model.
    pub last_model: String,
}

/// A whole conversation, messages in `seq` order.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredConversation {
    pub id: ConversationId,
    pub title: String,
    /// The model the conversation was created with.
    pub model: String,
    pub system: Option<String>,
    pub created_ms: i64,
    pub updated_ms: i64,
    pub messages: Vec<StoredMessage>,
}

/// The conversation history. See the module documentation for threading.
pub struct Store {
    conn: Connection,
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Store")
            .field("path", &self.conn.path())
            .finish()
    }
}

impl Store {
    /// `<data dir>/bedrock-tui/history.sqlite3` (e.g. `~/.local/share/bedrock-tui/`).
    pub fn default_path() -> Result<PathBuf> {
        directories::ProjectDirs::from("", "", "bedrock-tui")
            .map(|dirs| dirs.data_dir().join(FILE_NAME))
            .ok_or(Error::NoDataDir)
    }

    /// Opens (creating if needed) the history file at `path`. A new file and its new
    /// parent directories are created private (0600 / 0700) before anything is written
    /// to them; an existing file's mode is left as the user set it. A file that is not
    /// ours or comes from a newer version is refused without being modified.
    pub fn open(path: impl AsRef<Path>) -> Result<Store> {
        let path = path.as_ref();
        let io = |source| Error::Io {
            path: path.to_owned(),
            source,
        };
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            create_private_dir(parent).map_err(io)?;
        }
        create_private_file(path).map_err(io)?;
        // No CREATE (the file exists now) and no URI parsing (a path is a path).
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags)?;
        Store::init(conn, path, true)
    }

    /// A store that lives in memory only (tests, `--no-history`).
    pub fn in_memory() -> Result<Store> {
        Store::init(Connection::open_in_memory()?, Path::new(":memory:"), false)
    }

    fn init(mut conn: Connection, path: &Path, wal: bool) -> Result<Store> {
        conn.busy_timeout(BUSY_TIMEOUT)?;
        // Look before touching: switching to WAL or migrating writes to the file.
        let checked = schema::check(&conn).map_err(|e| match e.sqlite_error_code() {
            Some(ErrorCode::NotADatabase) => Error::NotADatabase {
                path: path.to_owned(),
            },
            _ => Error::Sqlite(e),
        })?;
        let too_new = |found| Error::TooNew {
            path: path.to_owned(),
            found,
            supported: schema::VERSION,
        };
        match checked {
            schema::Check::Ok => {}
            schema::Check::TooNew(found) => return Err(too_new(found)),
            schema::Check::Foreign => {
                return Err(Error::Foreign {
                    path: path.to_owned(),
                });
            }
        }
        if wal {
            let mode: String =
                conn.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))?;
            if !mode.eq_ignore_ascii_case("wal") {
                return Err(Error::NoWal {
                    path: path.to_owned(),
                    mode,
                });
            }
        }
        // In WAL mode NORMAL survives an application crash or kill (what the
        // checkpoint rule is about) and makes each checkpoint far cheaper than FULL;
        // only a power loss can drop the last commits.
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        // Bundled SQLite defaults this on; set it anyway, since a per-connection
        // setting that a system SQLite defaults off would silently stop the cascades.
        conn.pragma_update(None, "foreign_keys", true)?;
        // SQLite's default page cache (2 MB) stays full once a long conversation has
        // been read; the operating system caches the file anyway, and the store's
        // queries touch few pages.
        conn.pragma_update(None, "cache_size", -512)?;
        schema::migrate(&mut conn)?.map_err(too_new)?;
        conn.set_prepared_statement_cache_capacity(32);
        Ok(Store { conn })
    }

    /// Starts a conversation; `model` is the model it starts with.
    pub fn create(
        &mut self,
        title: &str,
        model: &str,
        system: Option<&str>,
        now_ms: i64,
    ) -> Result<ConversationId> {
        self.conn
            .prepare_cached(
                "INSERT INTO conversations (title, model, system, created_ms, updated_ms)
                 VALUES (?1, ?2, ?3, ?4, ?4)",
            )?
            .execute(params![clean(title.to_owned()), model, system, now_ms])?;
        Ok(ConversationId(self.conn.last_insert_rowid()))
    }

    /// Renames a conversation (does not count as activity: its place in the list stays).
    pub fn rename(&mut self, id: ConversationId, title: &str) -> Result<()> {
        let n = self
            .conn
            .prepare_cached("UPDATE conversations SET title = ?2 WHERE id = ?1")?
            .execute(params![id.0, clean(title.to_owned())])?;
        found(n, id)
    }

    pub fn set_system(&mut self, id: ConversationId, system: Option<&str>) -> Result<()> {
        let n = self
            .conn
            .prepare_cached("UPDATE conversations SET system = ?2 WHERE id = ?1")?
            .execute(params![id.0, system])?;
        found(n, id)
    }

    /// Deletes a conversation with its messages, their search index entries and the
    /// attachments no other conversation uses.
    pub fn delete(&mut self, id: ConversationId) -> Result<()> {
        let tx = self.conn.transaction()?;
        let n = tx
            .prepare_cached("DELETE FROM conversations WHERE id = ?1")?
            .execute([id.0])?;
        found(n, id)?;
        blobs::drop_unused(&tx)?;
        tx.commit()?;
        Ok(())
    }

    /// The most recently updated conversation, to resume at start.
    pub fn last(&self) -> Result<Option<ConversationId>> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT id FROM conversations ORDER BY updated_ms DESC, id DESC LIMIT 1",
            )?
            .query_row([], |r| r.get(0))
            .optional()?
            .map(ConversationId))
    }

    /// Conversations, most recently updated first.
    pub fn list(&self, limit: usize, offset: usize) -> Result<Vec<Summary>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT c.id, c.title, c.created_ms, c.updated_ms,
                    (SELECT count(*) FROM messages m WHERE m.conversation = c.id),
                    COALESCE((SELECT m.model FROM messages m
                              WHERE m.conversation = c.id AND m.model IS NOT NULL
                              ORDER BY m.seq DESC LIMIT 1), c.model)
             FROM conversations c
             ORDER BY c.updated_ms DESC, c.id DESC
             LIMIT ?1 OFFSET ?2",
        )?;
        let rows = stmt.query_map(params![to_i64(limit), to_i64(offset)], |r| {
            Ok(Summary {
                id: ConversationId(r.get(0)?),
                title: clean(r.get(1)?),
                created_ms: r.get(2)?,
                updated_ms: r.get(3)?,
                message_count: saturate(r.get(4)?),
                last_model: r.get(5)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// A whole conversation.
    pub fn load(&self, id: ConversationId) -> Result<StoredConversation> {
        let head = self
            .conn
            .prepare_cached(
                "SELECT title, model, system, created_ms, updated_ms
                 FROM conversations WHERE id = ?1",
            )?
            .query_row([id.0], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get(1)?,
                    r.get::<_, Option<String>>(2)?,
                    r.get(3)?,
                    r.get(4)?,
                ))
            })
            .optional()?;
        let Some((title, model, system, created_ms, updated_ms)) = head else {
            return Err(Error::NoSuchConversation(id));
        };
        let (title, system) = (clean(title), system.map(clean));
        let mut stmt = self.conn.prepare_cached(
            "SELECT seq, content, model, state, stop_reason, input_tokens, output_tokens,
                    cache_read_tokens, cache_write_tokens, error, created_ms, updated_ms,
                    guardrail, exchange, alternatives
             FROM messages WHERE conversation = ?1 ORDER BY seq",
        )?;
        let rows = stmt.query_map([id.0], |r| {
            Ok(Row {
                seq: r.get(0)?,
                content: r.get(1)?,
                model: r.get(2)?,
                state: r.get(3)?,
                stop: r.get(4)?,
                usage: [r.get(5)?, r.get(6)?, r.get(7)?, r.get(8)?],
                error: r.get(9)?,
                created_ms: r.get(10)?,
                updated_ms: r.get(11)?,
                guardrail: r.get(12)?,
                exchange: r.get(13)?,
                alternatives: r.get(14)?,
            })
        })?;
        let blobs = blobs::of_conversation(&self.conn, id)?;
        let messages = rows
            .map(|row| row?.decode(id, &blobs))
            .collect::<Result<Vec<_>>>()?;
        Ok(StoredConversation {
            id,
            title,
            model,
            system,
            created_ms,
            updated_ms,
            messages,
        })
    }
}

fn found(changed: usize, id: ConversationId) -> Result<()> {
    if changed == 0 {
        Err(Error::NoSuchConversation(id))
    } else {
        Ok(())
    }
}

/// Counts in SQL are i64; the app's are u32. Sums past u32::MAX are clamped, not wrapped.
fn saturate(v: i64) -> u32 {
    u32::try_from(v.max(0)).unwrap_or(u32::MAX)
}

fn to_i64(v: usize) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}
