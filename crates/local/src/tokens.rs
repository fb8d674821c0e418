//! Token accounting of the simulated model: one real BPE tokenizer (cl100k) behind
//! every count the endpoint reports, so CountTokens, `usage` and token headers agree.

use super::cl100k;
use super::conversation::{Block, Fnv, Request, Role};

/// Tokens in a piece of text.
pub fn count(text: &str) -> u32 {
    if text.is_empty() {
        return 0;
    }
    let mut n = 0u32;
    cl100k::get().encode(text, |_| n = n.saturating_add(1));
    n
}

/// Splits text into pieces of whole tokens, each a valid UTF-8 string, with the
/// number of tokens in each piece (more than one where a character spans tokens).
pub(crate) fn pieces(text: &str) -> Vec<(String, u32)> {
    let bpe = cl100k::get();
    let mut out = Vec::new();
    let mut pending: Vec<u8> = Vec::new();
    let mut pending_tokens = 0;
    bpe.encode(text, |rank| {
        pending.extend_from_slice(bpe.token(rank));
        pending_tokens += 1;
        if let Ok(s) = std::str::from_utf8(&pending) {
            out.push((s.to_owned(), pending_tokens));
            pending.clear();
            pending_tokens = 0;
        }
    });
    if !pending.is_empty() {
        out.push((
            String::from_utf8_lossy(&pending).into_owned(),
            pending_tokens,
        ));
    }
    out
}

/// Fixed framing cost per message, as chat templates add role markers.
const PER_MESSAGE: u32 = 4;
/// Flat cost of an image; the endpoint does not decode images.
const PER_IMAGE: u32 = 1_600;

/// Input tokens of a request, split at its last cache point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InputTokens {
    /// Tokens up to the last cache point: what a prompt cache can hold.
    pub prefix: u32,
    pub rest: u32,
    /// Identifies the prefix's content, for looking it up in a prompt cache.
    pub(crate) prefix_key: u64,
}

impl InputTokens {
    pub fn total(&self) -> u32 {
        self.prefix + self.rest
    }
}

/// Running total of input tokens and a digest of the content counted so far.
#[derive(Default)]
struct Tally {
    total: u32,
    key: Fnv,
    prefix: u32,
    prefix_key: u64,
}

impl Tally {
    fn add(&mut self, text: &str) {
        self.key.write(text.as_bytes());
        self.total = self.total.saturating_add(count(text));
    }

    fn add_fixed(&mut self, tokens: u32, tag: &str) {
        self.key.write(tag.as_bytes());
        self.total = self.total.saturating_add(tokens);
    }

    fn cache_point(&mut self) {
        self.prefix = self.total;
        self.prefix_key = self.key.finish();
    }
}

pub(crate) fn input(req: &Request) -> InputTokens {
    let mut t = Tally::default();
    for piece in &req.system {
        match piece {
            Some(text) => t.add(text),
            None => t.cache_point(),
        }
    }
    for tool in &req.tools {
        t.add(&tool.name);
        t.add(&tool.description);
        t.add(&tool.schema.to_string());
    }
    for m in &req.messages {
        t.add_fixed(
            PER_MESSAGE,
            if m.role == Role::User {
                "user"
            } else {
                "assistant"
            },
        );
        for b in &m.blocks {
            match b {
                Block::Text(s) | Block::GuardContent(s) | Block::Reasoning { text: s } => t.add(s),
                Block::Image { format, size } => {
                    t.add_fixed(PER_IMAGE, &format!("{format}:{size}"))
                }
                Block::Document { name, text } => {
                    t.add(name);
                    t.add(text);
                }
                Block::ToolUse { name, input, .. } => {
                    t.add(name);
                    t.add(&input.to_string());
                }
                Block::ToolResult { content, .. } => t.add(content),
                Block::CachePoint => t.cache_point(),
            }
        }
    }
    InputTokens {
        prefix: t.prefix,
        rest: t.total - t.prefix,
        prefix_key: t.prefix_key,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_rebuild_the_text_and_sum_to_the_count() {
        let text = "Héllo, wörld! 日本語のテキスト 🦀 fn main() {}";
        let p = pieces(text);
        assert_eq!(p.iter().map(|(s, _)| s.as_str()).collect::<String>(), text);
        assert_eq!(p.iter().map(|(_, n)| n).sum::<u32>(), count(text));
        assert!(p.len() > 5);
    }
}
