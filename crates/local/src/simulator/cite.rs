//! Citations of the simulated model: when the request's documents enable citations,
//! the answer quotes one sentence of the first such document that has text, the one
//! sharing most words with the question (the earliest on a tie), and cites where it
//! stands: character offsets for text, the page for a PDF, the chunk for a `content`
//! document, as Anthropic's models locate them.

use super::super::conversation::{Block, Request, Role};
use super::super::faults::strip_directives;
use super::super::media::Layout;
use super::compose;

/// A quote longer than this is cut: a sentence-less document would otherwise be
/// quoted whole.
const MAX_QUOTE_CHARS: usize = 400;

/// Where a quote stands in the request's documents. `document` counts every document
/// block of the request, 0-based; `start` is inclusive and `end` exclusive; pages count
/// from 1, characters and chunks from 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Location {
    Char {
        document: usize,
        start: usize,
        end: usize,
    },
    Page {
        document: usize,
        start: usize,
        end: usize,
    },
    Chunk {
        document: usize,
        start: usize,
        end: usize,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Citation {
    /// The cited document's name.
    pub title: String,
    /// The text cited, as the document has it.
    pub quote: String,
    pub location: Location,
}

/// The text of the last user message's text blocks: what was asked, without the
/// documents it came with.
pub(super) fn question(req: &Request) -> String {
    let Some(m) = req.messages.iter().rev().find(|m| m.role == Role::User) else {
        return String::new();
    };
    let texts: Vec<&str> = m
        .blocks
        .iter()
        .filter_map(|b| match b {
            Block::Text(t) => Some(t.as_str()),
            _ => None,
        })
        .collect();
    strip_directives(&texts.join("\n"))
}

/// The citation of the answer, when a document of the request enables citations and
/// has a sentence to quote.
pub(super) fn cite(req: &Request, question: &str) -> Option<Citation> {
    let keys = compose::keywords(question);
    let documents = req
        .messages
        .iter()
        .flat_map(|m| &m.blocks)
        .filter_map(|b| match b {
            Block::Document(d) => Some(d),
            _ => None,
        });
    for (document, d) in documents.enumerate() {
        if !d.citations {
            continue;
        }
        // (location, quote) of every sentence, in document order.
        let candidates: Vec<(Location, String)> = match &d.layout {
            Layout::Chars => sentences(&d.text)
                .into_iter()
                .map(|(start, end, quote)| {
                    let at = Location::Char {
                        document,
                        start,
                        end,
                    };
                    (at, quote)
                })
                .collect(),
            Layout::Pages(pages) => pieces(pages, |k| Location::Page {
                document,
                start: k + 1,
                end: k + 2,
            }),
            Layout::Chunks(chunks) => pieces(chunks, |k| Location::Chunk {
                document,
                start: k,
                end: k + 1,
            }),
            Layout::Opaque => Vec::new(),
        };
        let score = |quote: &str| {
            let q = quote.to_lowercase();
            keys.iter().filter(|k| q.contains(k.as_str())).count()
        };
        // `max_by_key` keeps the last of equals; reversed, that is the earliest.
        if let Some((location, quote)) = candidates.into_iter().rev().max_by_key(|(_, q)| score(q))
        {
            return Some(Citation {
                title: d.name.clone(),
                quote,
                location,
            });
        }
    }
    None
}

/// The sentences of each piece (page or chunk), located by the piece they are in.
fn pieces(pieces: &[String], at: impl Fn(usize) -> Location) -> Vec<(Location, String)> {
    pieces
        .iter()
        .enumerate()
        .flat_map(|(k, text)| {
            let at = at(k);
            sentences(text).into_iter().map(move |(_, _, q)| (at, q))
        })
        .collect()
}

/// The sentences of `text` with their character offsets (start inclusive, end
/// exclusive), trimmed. A sentence ends after `.`, `!` or `?` followed by whitespace,
/// or at a line break; a piece with no letter or digit is no sentence.
pub(super) fn sentences(text: &str) -> Vec<(usize, usize, String)> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut start = 0;
    for (i, &c) in chars.iter().enumerate() {
        let stop = matches!(c, '.' | '!' | '?')
            && chars.get(i + 1).is_none_or(|next| next.is_whitespace());
        if c == '\n' || stop || i + 1 == chars.len() {
            let end = if c == '\n' { i } else { i + 1 };
            push_trimmed(&chars, start, end, &mut out);
            start = i + 1;
        }
    }
    out
}

fn push_trimmed(chars: &[char], start: usize, end: usize, out: &mut Vec<(usize, usize, String)>) {
    let (mut s, mut e) = (start, end);
    while s < e && chars[s].is_whitespace() {
        s += 1;
    }
    while e > s && chars[e - 1].is_whitespace() {
        e -= 1;
    }
    if !chars[s..e].iter().any(|c| c.is_alphanumeric()) {
        return;
    }
    let e = e.min(s + MAX_QUOTE_CHARS);
    out.push((s, e, chars[s..e].iter().collect()));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentences_are_located_by_character() {
        let text = "Héllo wörld. Second one!  Third?\nno stop here\n\n...\nlast";
        let s = sentences(text);
        let quotes: Vec<&str> = s.iter().map(|(_, _, q)| q.as_str()).collect();
        assert_eq!(
            quotes,
            [
                "Héllo wörld.",
                "Second one!",
                "Third?",
                "no stop here",
                "last"
            ]
        );
        let chars: Vec<char> = text.chars().collect();
        for (start, end, quote) in &s {
            assert_eq!(&chars[*start..*end].iter().collect::<String>(), quote);
        }
        assert_eq!((s[1].0, s[1].1), (13, 24));
        // A decimal point does not end a sentence.
        assert_eq!(sentences("Pi is 3.14 or so. Yes")[0].2, "Pi is 3.14 or so.");
        let long = "word ".repeat(200);
        assert_eq!(sentences(&long)[0].2.chars().count(), MAX_QUOTE_CHARS);
    }
}
