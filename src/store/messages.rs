//! Writing and reading the messages of a conversation: the upsert every turn and
//! streaming checkpoint goes through, truncation, usage per model, and row decoding.

use rusqlite::{TransactionBehavior, params};

use super::converse_json::{
    Blobs, ConverseError, from_converse_with, parse_stop_reason, search_text, to_converse_with,
};
use super::{ConversationId, Error, MessageState, Result, Store, StoredMessage, found, saturate};
use crate::conversation::Usage;

impl Store {
    /// Inserts or replaces the message at `(conversation, msg.seq)` and marks the
    /// conversation updated, in one small transaction. Cheap enough to call on every
    /// streaming checkpoint: two cached statements and one commit.
    pub fn put_message(&mut self, conversation: ConversationId, msg: &StoredMessage) -> Result<()> {
        let content = to_converse_with(&msg.message, Blobs::Reference).to_string();
        let body = search_text(&msg.message);
        let usage = msg
            .usage
            .map(|u| [u.input, u.output, u.cache_read, u.cache_write]);
        let [input, output, cache_read, cache_write] = usage.map_or([None; 4], |u| u.map(Some));
        let json = |v: Option<serde_json::Result<String>>| {
            v.transpose().map_err(|e| Error::Corrupt {
                conversation,
                seq: msg.seq,
                reason: e.to_string(),
            })
        };
        let guardrail = json(
            msg.guardrail
                .as_ref()
                .map(|t| serde_json::to_string(&t.redacted())),
        )?;
        let exchange = json(msg.exchange.as_ref().map(serde_json::to_string))?;
        let alternatives = super::alternatives::to_column(&msg.alternatives);
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        // MAX: a clock stepping back must not move a conversation down the list.
        let n = tx
            .prepare_cached(
                "UPDATE conversations SET updated_ms = MAX(updated_ms, ?2) WHERE id = ?1",
            )?
            .execute(params![conversation.0, msg.updated_ms])?;
        found(n, conversation)?;
        tx.prepare_cached(
            "INSERT INTO messages (conversation, seq, content, body, model, state, stop_reason,
                 input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, error,
                 created_ms, updated_ms, guardrail, exchange, alternatives)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)
             ON CONFLICT (conversation, seq) DO UPDATE SET
                 content = excluded.content, body = excluded.body, model = excluded.model,
                 state = excluded.state, stop_reason = excluded.stop_reason,
                 input_tokens = excluded.input_tokens, output_tokens = excluded.output_tokens,
                 cache_read_tokens = excluded.cache_read_tokens,
                 cache_write_tokens = excluded.cache_write_tokens,
                 error = excluded.error, updated_ms = excluded.updated_ms,
                 guardrail = excluded.guardrail, exchange = excluded.exchange,
                 alternatives = excluded.alternatives",
        )?
        .execute(params![
            conversation.0,
            msg.seq,
            content,
            body,
            msg.message.model,
            msg.state.as_str(),
            msg.stop.as_ref().map(super::converse_json::stop_reason_str),
            input,
            output,
            cache_read,
            cache_write,
            msg.error,
            msg.created_ms,
            msg.updated_ms,
            guardrail,
            exchange,
            alternatives,
        ])?;
        super::blobs::put(&tx, conversation, msg)?;
        tx.commit()?;
        Ok(())
    }

    /// Removes the messages from `from_seq` on (edit the last message, regenerate);
    /// returns how many were removed.
    pub fn truncate(&mut self, conversation: ConversationId, from_seq: u32) -> Result<usize> {
        let tx = self.conn.transaction()?;
        let exists = tx
            .prepare_cached("SELECT 1 FROM conversations WHERE id = ?1")?
            .exists([conversation.0])?;
        if !exists {
            return Err(Error::NoSuchConversation(conversation));
        }
        let n = tx
            .prepare_cached("DELETE FROM messages WHERE conversation = ?1 AND seq >= ?2")?
            .execute(params![conversation.0, from_seq])?;
        super::blobs::drop_unused(&tx)?;
        tx.commit()?;
        Ok(n)
    }

    /// Token usage of a conversation summed per model, in order of first use. Messages
    /// without a model count for the conversation's model.
    pub fn usage_by_model(&self, id: ConversationId) -> Result<Vec<(String, Usage)>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT COALESCE(m.model, c.model), sum(m.input_tokens), sum(m.output_tokens),
                    sum(m.cache_read_tokens), sum(m.cache_write_tokens)
             FROM messages m JOIN conversations c ON c.id = m.conversation
             WHERE m.conversation = ?1 AND m.input_tokens IS NOT NULL
             GROUP BY 1 ORDER BY min(m.seq)",
        )?;
        let rows = stmt.query_map([id.0], |r| {
            Ok((
                r.get::<_, String>(0)?,
                Usage {
                    input: saturate(r.get(1)?),
                    output: saturate(r.get(2)?),
                    cache_read: saturate(r.get(3)?),
                    cache_write: saturate(r.get(4)?),
                },
            ))
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

/// A `messages` row as read, before its JSON and names are checked.
pub(super) struct Row {
    pub(super) seq: u32,
    pub(super) content: String,
    pub(super) model: Option<String>,
    pub(super) state: String,
    pub(super) stop: Option<String>,
    pub(super) usage: [Option<i64>; 4],
    pub(super) error: Option<String>,
    pub(super) created_ms: i64,
    pub(super) updated_ms: i64,
    pub(super) guardrail: Option<String>,
    pub(super) exchange: Option<String>,
    pub(super) alternatives: Option<String>,
}

impl Row {
    pub(super) fn decode(
        self,
        conversation: ConversationId,
        blobs: &std::collections::HashMap<String, crate::conversation::Blob>,
    ) -> Result<StoredMessage> {
        let corrupt = |reason: String| Error::Corrupt {
            conversation,
            seq: self.seq,
            reason,
        };
        let json: serde_json::Value =
            serde_json::from_str(&self.content).map_err(|e| corrupt(e.to_string()))?;
        let mut message = from_converse_with(&json, &|sha| blobs.get(sha).cloned())
            .map_err(|e: ConverseError| corrupt(e.to_string()))?;
        message.model = self.model;
        // Rows written before the app sanitized at entry may hold escape sequences.
        let message = message.sanitized();
        let state = MessageState::parse(&self.state)
            .ok_or_else(|| corrupt(format!("unknown state {:?}", self.state)))?;
        let usage = match self.usage {
            [Some(i), o, r, w] => Some(Usage {
                input: saturate(i),
                output: saturate(o.unwrap_or(0)),
                cache_read: saturate(r.unwrap_or(0)),
                cache_write: saturate(w.unwrap_or(0)),
            }),
            _ => None,
        };
        let guardrail = self
            .guardrail
            .as_deref()
            .map(serde_json::from_str)
            .transpose()
            .map_err(|e| corrupt(format!("guardrail trace: {e}")))?;
        // A record that no longer reads is dropped rather than losing the conversation:
        // it only serves the inspector.
        let exchange = self
            .exchange
            .as_deref()
            .and_then(|s| serde_json::from_str(s).ok());
        let alternatives = self.alternatives.as_deref().map_or_else(Vec::new, |text| {
            super::alternatives::from_column(text, conversation, blobs)
        });
        Ok(StoredMessage {
            seq: self.seq,
            exchange,
            alternatives,
            message,
            state,
            stop: self.stop.as_deref().map(parse_stop_reason),
            usage,
            error: self.error.as_deref().map(crate::sanitize::keeping_tabs),
            guardrail,
            created_ms: self.created_ms,
            updated_ms: self.updated_ms,
        })
    }
}
