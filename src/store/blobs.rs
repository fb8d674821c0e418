//! The bytes of attachments: one row per content in `blobs`, and in `attachments`
//! which messages use it, so that a file sent in many turns (or conversations) is
//! stored once and deleted with the last message that used it.

use std::collections::HashMap;

use rusqlite::{Connection, Transaction, params};

use super::{ConversationId, Result, StoredMessage};
use crate::conversation::{Blob, Source};

/// Records the blobs of `msg` (just written at its seq) and which it uses.
pub(super) fn put(
    tx: &Transaction,
    conversation: ConversationId,
    msg: &StoredMessage,
) -> Result<()> {
    let blobs: Vec<&Blob> = msg
        .message
        .media()
        .filter_map(|m| match &m.source {
            Source::Bytes(b) => Some(b),
            Source::S3 { .. } => None,
        })
        .collect();
    if blobs.is_empty() {
        return Ok(());
    }
    let id: i64 = tx
        .prepare_cached("SELECT id FROM messages WHERE conversation = ?1 AND seq = ?2")?
        .query_row(params![conversation.0, msg.seq], |r| r.get(0))?;
    tx.prepare_cached("DELETE FROM attachments WHERE message = ?1")?
        .execute([id])?;
    for b in blobs {
        // Bytes already stored under this digest are the same bytes: not written again.
        tx.prepare_cached("INSERT OR IGNORE INTO blobs (sha256, data, size) VALUES (?1, ?2, ?3)")?
            .execute(params![b.sha256, &b.data[..], b.data.len() as i64])?;
        tx.prepare_cached("INSERT OR IGNORE INTO attachments (message, sha256) VALUES (?1, ?2)")?
            .execute(params![id, b.sha256])?;
    }
    drop_unused(tx)
}

/// Deletes the blobs no message uses any more.
pub(super) fn drop_unused(conn: &Connection) -> Result<()> {
    conn.prepare_cached(
        "DELETE FROM blobs WHERE NOT EXISTS
             (SELECT 1 FROM attachments a WHERE a.sha256 = blobs.sha256)",
    )?
    .execute([])?;
    Ok(())
}

/// The blobs the messages of conversation `id` use, by digest.
pub(super) fn of_conversation(
    conn: &Connection,
    id: ConversationId,
) -> Result<HashMap<String, Blob>> {
    let mut stmt = conn.prepare_cached(
        "SELECT DISTINCT b.sha256, b.data FROM blobs b
             JOIN attachments a ON a.sha256 = b.sha256
             JOIN messages m ON m.id = a.message
         WHERE m.conversation = ?1",
    )?;
    let rows = stmt.query_map([id.0], |r| {
        Ok((
            r.get::<_, String>(0)?,
            Blob {
                sha256: r.get(0)?,
                data: r.get::<_, Vec<u8>>(1)?.into(),
            },
        ))
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

#[cfg(test)]
#[path = "blobs_tests.rs"]
mod tests;
