//! Full-text search over message text and conversation titles (SQLite FTS5).
//!
//! The user's words are never handed to FTS5's query language: each word becomes a
//! quoted phrase, so `"`, `(`, `*`, `AND`, `NEAR` and friends are just text and no
//! query can fail to parse. Words are ANDed; the last one also matches as a prefix so
//! that search-as-you-type finds `strea` in "streaming".

use std::ops::Range;

use rusqlite::params;

use super::{ConversationId, Result, Store};

/// Marks a match in the snippets SQLite returns; replaced by `Hit::highlights`.
const OPEN: char = '\u{1}';
const CLOSE: char = '\u{2}';

/// One search result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    pub conversation: ConversationId,
    pub title: String,
    /// The matching message; `None` when the title matched.
    pub seq: Option<u32>,
    /// A short excerpt around the match (the whole title for a title hit), `…` where
    /// text was cut.
    pub snippet: String,
    /// Byte ranges of `snippet` that matched, to highlight.
    pub highlights: Vec<Range<usize>>,
}

impl Store {
    /// Messages and titles matching every word of `query`, best match first. A query
    /// with no searchable word returns nothing.
    pub fn search(&self, query: &str, limit: usize) -> Result<Vec<Hit>> {
        let Some(fts) = fts_query(query) else {
            return Ok(Vec::new());
        };
        let mut stmt = self.conn.prepare_cached(
            "SELECT m.conversation, c.title, m.seq,
                    snippet(messages_fts, 0, char(1), char(2), '…', 16) AS snip,
                    bm25(messages_fts) AS score, c.updated_ms AS updated
             FROM messages_fts
             JOIN messages m ON m.id = messages_fts.rowid
             JOIN conversations c ON c.id = m.conversation
             WHERE messages_fts MATCH ?1
             UNION ALL
             SELECT c.id, c.title, NULL,
                    highlight(conversations_fts, 0, char(1), char(2)),
                    bm25(conversations_fts), c.updated_ms
             FROM conversations_fts
             JOIN conversations c ON c.id = conversations_fts.rowid
             WHERE conversations_fts MATCH ?1
             ORDER BY score, updated DESC
             LIMIT ?2",
        )?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = stmt.query_map(params![fts, limit], |r| {
            let (snippet, highlights) = parse_marks(&r.get::<_, String>(3)?);
            Ok(Hit {
                conversation: ConversationId(r.get(0)?),
                title: super::clean(r.get(1)?),
                seq: r.get(2)?,
                snippet,
                highlights,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

/// The FTS5 query for the user's text, or `None` when it has no searchable word.
fn fts_query(query: &str) -> Option<String> {
    // Words without a letter or digit tokenize to nothing (unicode61 treats them as
    // separators), so they are dropped, and a query of only such words is answered
    // without asking SQLite.
    let words: Vec<&str> = query
        .split_whitespace()
        .filter(|w| w.chars().any(char::is_alphanumeric))
        .collect();
    let (last, rest) = words.split_last()?;
    let phrase = |w: &str| format!("\"{}\"", w.replace('"', "\"\""));
    let mut out: Vec<String> = rest.iter().map(|w| phrase(w)).collect();
    out.push(format!("{}*", phrase(last)));
    Some(out.join(" "))
}

/// Strips the match markers from a snippet and returns where the matches were.
/// Unbalanced markers (a stored text that itself contains them) are dropped.
fn parse_marks(marked: &str) -> (String, Vec<Range<usize>>) {
    let mut text = String::with_capacity(marked.len());
    let mut ranges = Vec::new();
    let mut start = None;
    for c in marked.chars() {
        match c {
            OPEN => start = Some(text.len()),
            CLOSE => {
                if let Some(s) = start.take()
                    && s < text.len()
                {
                    ranges.push(s..text.len());
                }
            }
            c => text.push(c),
        }
    }
    (text, ranges)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_are_quoted_phrases_with_a_prefix_last_word() {
        assert_eq!(fts_query("foo"), Some("\"foo\"*".into()));
        assert_eq!(
            fts_query("  foo\"bar (  baz "),
            Some("\"foo\"\"bar\" \"baz\"*".into())
        );
        assert_eq!(fts_query("NEAR AND"), Some("\"NEAR\" \"AND\"*".into()));
        assert_eq!(fts_query(" ( ) \" * "), None);
        assert_eq!(fts_query(""), None);
    }

    #[test]
    fn marks_become_byte_ranges() {
        let (text, ranges) = parse_marks("…the \u{1}straße\u{2} and \u{1}x\u{2}");
        assert_eq!(text, "…the straße and x");
        assert_eq!(ranges.len(), 2);
        assert_eq!(&text[ranges[0].clone()], "straße");
        assert_eq!(&text[ranges[1].clone()], "x");
        let (text, ranges) = parse_marks("a\u{2}b\u{1}c");
        assert_eq!(text, "abc");
        assert!(ranges.is_empty());
    }
}
