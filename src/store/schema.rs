//! The history schema and its migrations, versioned by SQLite's `user_version`.
//!
//! `MIGRATIONS[i]` takes a database from version `i` to `i + 1`; the file's version
//! says which have run. A file whose version is newer than `MIGRATIONS.len()` was
//! written by a newer bedrock-tui and is refused untouched: altering a schema we do
//! not understand could destroy history.
//!
//! Nothing in the schema can hold credentials: conversations have a title, a model id
//! and a system prompt; messages have Converse content, a model id, usage counts, a
//! stop reason, a state, an error text, the guardrail trace of the turn, stored with
//! its PII matches masked, and the inspector's record of the request (no headers).

use rusqlite::{Connection, TransactionBehavior};

/// `PRAGMA application_id` of a bedrock-tui history file ("BTUI"), so that another
/// program's SQLite file is refused instead of having our tables added to it.
pub const APPLICATION_ID: i32 = 0x4254_5549;

/// The schema version this code writes and understands.
pub const VERSION: i64 = MIGRATIONS.len() as i64;

const MIGRATIONS: &[&str] = &[V1, V2, V3, V4, V5];

/// Version 1: conversations, messages and two external-content FTS5 indexes kept in
/// sync by triggers (so every write path, including cascades, updates the index).
const V1: &str = r#"
CREATE TABLE conversations (
    id          INTEGER PRIMARY KEY,
    title       TEXT    NOT NULL,
    -- The model the conversation started with; messages carry their own.
    model       TEXT    NOT NULL,
    system      TEXT,
    created_ms  INTEGER NOT NULL,
    updated_ms  INTEGER NOT NULL
);
CREATE INDEX conversations_by_update ON conversations (updated_ms DESC, id DESC);

CREATE TABLE messages (
    id            INTEGER PRIMARY KEY,
    conversation  INTEGER NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    seq           INTEGER NOT NULL CHECK (seq >= 0),
    -- The Converse JSON message: {"role": ..., "content": [...]}.
    content       TEXT    NOT NULL,
    -- Plain text of the message, derived from `content`, for the full-text index.
    body          TEXT    NOT NULL,
    model         TEXT,
    state         TEXT    NOT NULL
                  CHECK (state IN ('done', 'streaming', 'cancelled', 'failed')),
    stop_reason   TEXT,
    -- Usage counts: all NULL when the usage is unknown.
    input_tokens       INTEGER,
    output_tokens      INTEGER,
    cache_read_tokens  INTEGER,
    cache_write_tokens INTEGER,
    error         TEXT,
    created_ms    INTEGER NOT NULL,
    updated_ms    INTEGER NOT NULL,
    UNIQUE (conversation, seq)
);

CREATE VIRTUAL TABLE messages_fts USING fts5 (
    body, content = 'messages', content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
    INSERT INTO messages_fts (rowid, body) VALUES (new.id, new.body);
END;
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, body) VALUES ('delete', old.id, old.body);
END;
CREATE TRIGGER messages_fts_update AFTER UPDATE OF body ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, body) VALUES ('delete', old.id, old.body);
    INSERT INTO messages_fts (rowid, body) VALUES (new.id, new.body);
END;

CREATE VIRTUAL TABLE conversations_fts USING fts5 (
    title, content = 'conversations', content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER conversations_fts_insert AFTER INSERT ON conversations BEGIN
    INSERT INTO conversations_fts (rowid, title) VALUES (new.id, new.title);
END;
CREATE TRIGGER conversations_fts_delete AFTER DELETE ON conversations BEGIN
    INSERT INTO conversations_fts (conversations_fts, rowid, title)
        VALUES ('delete', old.id, old.title);
END;
-- Only on title changes: `updated_ms` changes on every checkpoint and must stay cheap.
CREATE TRIGGER conversations_fts_update AFTER UPDATE OF title ON conversations BEGIN
    INSERT INTO conversations_fts (conversations_fts, rowid, title)
        VALUES ('delete', old.id, old.title);
    INSERT INTO conversations_fts (rowid, title) VALUES (new.id, new.title);
END;
"#;

/// Version 2: the guardrail trace of a guarded turn, as JSON, kept so a resumed
/// conversation still shows what the guardrail did.
const V2: &str = "ALTER TABLE messages ADD COLUMN guardrail TEXT;";

/// Version 3: the bytes of attachments, once per content (keyed by SHA-256), and
/// which messages use them. A blob no message uses any more is deleted with the last
/// message or conversation that used it.
const V3: &str = r#"
CREATE TABLE blobs (
    sha256  TEXT    PRIMARY KEY,
    data    BLOB    NOT NULL,
    size    INTEGER NOT NULL
);
CREATE TABLE attachments (
    message INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    sha256  TEXT    NOT NULL REFERENCES blobs (sha256),
    PRIMARY KEY (message, sha256)
);
CREATE INDEX attachments_by_blob ON attachments (sha256);
"#;

/// Version 4: what went over the wire for an answer (the inspector's record), as JSON:
/// the request body with attachments as references to their blobs, statuses, request
/// ids and event times. No headers, so no credentials or signatures.
const V4: &str = "ALTER TABLE messages ADD COLUMN exchange TEXT;";

/// Version 5: the other answers to a question, kept with the answer chosen from a
/// comparison: a JSON array of messages shaped as the JSON export writes them.
const V5: &str = "ALTER TABLE messages ADD COLUMN alternatives TEXT;";

/// What the file says about itself before anything is changed.
pub enum Check {
    Ok,
    /// A version this code does not know (newer, or negative: not ours).
    TooNew(i64),
    /// Another program's database: a different application id, or tables in a file
    /// that has never been migrated by us.
    Foreign,
}

/// Reads the version and application id without writing. This is also the first read
/// of the file, so a file that is not SQLite fails here (`SQLITE_NOTADB`).
pub fn check(conn: &Connection) -> rusqlite::Result<Check> {
    let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    let app_id: i32 = conn.pragma_query_value(None, "application_id", |r| r.get(0))?;
    let objects: i64 = conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))?;
    Ok(
        if (app_id != 0 && app_id != APPLICATION_ID) || (version == 0 && objects > 0) {
            Check::Foreign
        } else if !(0..=VERSION).contains(&version) {
            Check::TooNew(version)
        } else {
            Check::Ok
        },
    )
}

/// Runs the migrations the file lacks, all in one transaction so a crash leaves the
/// file at its old version, never half-migrated. The version is read again inside the
/// write lock so two processes opening a new file at once migrate it once.
pub fn migrate(conn: &mut Connection) -> rusqlite::Result<Result<(), i64>> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let version: i64 = tx.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if !(0..=VERSION).contains(&version) {
        return Ok(Err(version));
    }
    if version == VERSION {
        return Ok(Ok(()));
    }
    for sql in &MIGRATIONS[version as usize..] {
        tx.execute_batch(sql)?;
    }
    tx.pragma_update(None, "application_id", APPLICATION_ID)?;
    tx.pragma_update(None, "user_version", VERSION)?;
    tx.commit()?;
    Ok(Ok(()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_version_1_file_gains_the_guardrail_column_and_keeps_its_rows() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(V1).unwrap();
        conn.pragma_update(None, "application_id", APPLICATION_ID)
            .unwrap();
        conn.pragma_update(None, "user_version", 1).unwrap();
        conn.execute_batch(
            "INSERT INTO conversations VALUES (1, 'old', 'm', NULL, 0, 0);
             INSERT INTO messages (conversation, seq, content, body, state, created_ms, updated_ms)
                 VALUES (1, 0, '{}', 'hello', 'done', 0, 0);",
        )
        .unwrap();
        assert!(matches!(check(&conn).unwrap(), Check::Ok));
        migrate(&mut conn).unwrap().unwrap();
        let version: i64 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(version, VERSION);
        let (body, guardrail): (String, Option<String>) = conn
            .query_row("SELECT body, guardrail FROM messages", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .unwrap();
        assert_eq!((body.as_str(), guardrail), ("hello", None));
    }
}
