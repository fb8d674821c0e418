//! The cl100k BPE in about 2 MB: every token's bytes in one buffer and an open-addressed
//! table of ranks, where tiktoken's `CoreBPE` keeps three owned copies of each token
//! (about 22 MB that stay for the life of the process).
//!
//! The ranks are read once from tiktoken-rs's own cl100k table, which is then dropped;
//! the text is split with tiktoken's pattern and merged lowest rank first, leftmost on a
//! tie, so the tokens are tiktoken's (the tests compare them).

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::OnceLock;

use fancy_regex::Regex;

/// Ranks below this are cl100k's ordinary tokens; the special ones come after.
const ORDINARY: u32 = 100_256;
/// tiktoken's cl100k split pattern.
const PATTERN: &str = r"'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s";
/// A slot of the rank table that holds no token.
const EMPTY: u32 = u32::MAX;

pub(crate) struct Cl100k {
    /// Every token's bytes, in rank order.
    bytes: Vec<u8>,
    /// Token `r` is `bytes[starts[r]..starts[r + 1]]`.
    starts: Vec<u32>,
    /// Open addressing by the hash of a token's bytes; a slot holds a rank or `EMPTY`.
    slots: Vec<u32>,
    split: Regex,
}

/// The process's tokenizer, built on first use.
pub(crate) fn get() -> &'static Cl100k {
    static TABLE: OnceLock<Cl100k> = OnceLock::new();
    TABLE.get_or_init(Cl100k::load)
}

fn hash(bytes: &[u8]) -> usize {
    // FNV-1a: tokens are short, and the table is fixed, so a simple hash serves.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    (h ^ (h >> 29)) as usize
}

impl Cl100k {
    fn load() -> Cl100k {
        let source = tiktoken_rs::cl100k_base().expect("tiktoken-rs's cl100k table parses");
        let mut bytes = Vec::with_capacity(1 << 20);
        let mut starts = Vec::with_capacity(ORDINARY as usize + 1);
        for rank in 0..ORDINARY {
            starts.push(bytes.len() as u32);
            if let Ok(token) = source.decode_bytes(&[rank]) {
                bytes.extend_from_slice(&token);
            }
        }
        starts.push(bytes.len() as u32);
        drop(source);
        bytes.shrink_to_fit();
        let mut table = Cl100k {
            bytes,
            starts,
            slots: vec![EMPTY; (ORDINARY as usize * 2).next_power_of_two()],
            split: Regex::new(PATTERN).expect("the cl100k pattern compiles"),
        };
        for rank in 0..ORDINARY {
            if !table.token(rank).is_empty() {
                let mut at = hash(table.token(rank)) & (table.slots.len() - 1);
                while table.slots[at] != EMPTY {
                    at = (at + 1) & (table.slots.len() - 1);
                }
                table.slots[at] = rank;
            }
        }
        table
    }

    /// The bytes of token `rank` (empty for a rank that is not an ordinary token).
    pub(crate) fn token(&self, rank: u32) -> &[u8] {
        let r = rank as usize;
        match (self.starts.get(r), self.starts.get(r + 1)) {
            (Some(&a), Some(&b)) => &self.bytes[a as usize..b as usize],
            _ => &[],
        }
    }

    fn rank(&self, piece: &[u8]) -> Option<u32> {
        let mask = self.slots.len() - 1;
        let mut at = hash(piece) & mask;
        loop {
            match self.slots[at] {
                EMPTY => return None,
                r if self.token(r) == piece => return Some(r),
                _ => at = (at + 1) & mask,
            }
        }
    }

    /// Calls `emit` with each token of `text`, in order, as tiktoken's
    /// `encode_ordinary` would produce them.
    pub(crate) fn encode(&self, text: &str, mut emit: impl FnMut(u32)) {
        let mut done = 0;
        for found in self.split.find_iter(text) {
            match found {
                Ok(m) => {
                    self.encode_piece(m.as_str().as_bytes(), &mut emit);
                    done = m.end();
                }
                // The pattern's backtracking limit: what is left is merged as one piece
                // rather than dropped.
                Err(_) => return self.encode_piece(&text.as_bytes()[done..], &mut emit),
            }
        }
    }

    fn encode_piece(&self, piece: &[u8], emit: &mut impl FnMut(u32)) {
        if let Some(rank) = self.rank(piece) {
            return emit(rank);
        }
        // Parts as a linked list over their start offsets: `next[i]` is where the part
        // starting at `i` ends. `pair[i]` is the rank of that part joined to the next,
        // `u32::MAX` when there is none; the heap holds candidates, stale ones skipped.
        let n = piece.len();
        let mut next: Vec<usize> = (1..=n).collect();
        let mut prev: Vec<usize> = (0..n).map(|i| i.wrapping_sub(1)).collect();
        let joined = |next: &[usize], i: usize| -> u32 {
            let end = next[i];
            if end >= n {
                return u32::MAX;
            }
            self.rank(&piece[i..next[end]]).unwrap_or(u32::MAX)
        };
        let mut pair: Vec<u32> = (0..n).map(|i| joined(&next, i)).collect();
        let mut heap: BinaryHeap<Reverse<(u32, usize)>> = pair
            .iter()
            .enumerate()
            .filter(|(_, r)| **r != u32::MAX)
            .map(|(i, r)| Reverse((*r, i)))
            .collect();
        while let Some(Reverse((rank, i))) = heap.pop() {
            if pair[i] != rank {
                continue;
            }
            let gone = next[i];
            next[i] = next[gone];
            pair[gone] = u32::MAX;
            if next[i] < n {
                prev[next[i]] = i;
            }
            pair[i] = joined(&next, i);
            if pair[i] != u32::MAX {
                heap.push(Reverse((pair[i], i)));
            }
            // The part before `i` now meets a longer part.
            let p = prev[i];
            if p != usize::MAX {
                pair[p] = joined(&next, p);
                if pair[p] != u32::MAX {
                    heap.push(Reverse((pair[p], p)));
                }
            }
        }
        let mut at = 0;
        while at < n {
            // Every byte is a token and every merge made a token, so each part has a rank.
            emit(self.rank(&piece[at..next[at]]).unwrap_or(u32::MAX));
            at = next[at];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ours(text: &str) -> Vec<u32> {
        let mut out = Vec::new();
        get().encode(text, |r| out.push(r));
        out
    }

    #[test]
    fn every_ordinary_rank_is_a_token_found_by_its_bytes() {
        let t = get();
        for rank in 0..ORDINARY {
            let bytes = t.token(rank);
            assert!(!bytes.is_empty(), "rank {rank} has no bytes");
            assert_eq!(t.rank(bytes), Some(rank));
        }
    }

    #[test]
    fn tokens_are_tiktokens() {
        let reference = tiktoken_rs::cl100k_base_singleton();
        let long_word = "x".repeat(300);
        let spaces = " ".repeat(5_000);
        let samples = [
            "",
            "Hello, world!",
            "How do I reverse a list in Python?\n\n```python\nxs[::-1]\n```\n",
            "Héllo, wörld! 日本語のテキスト 🦀 fn main() {}",
            "  leading and trailing spaces   \n\n\n   ",
            "I'm sure they'll say we've DONE it; she'd KNOW. 12345678 3.14159",
            "\t\ttabs\r\nand\rreturns\u{a0}non-breaking",
            "\u{1b}[31mred\u{1b}[0m \u{7f}\u{0}",
            "https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Converse.html?x=1&y=2",
            "ЁЖЗ Ελληνικά العربية हिन्दी 한국어 ไทย",
            &long_word,
            &spaces,
            r#"{"messages":[{"role":"user","content":[{"text":"hi"}]}],"system":[{"text":"Be brief."}]}"#,
        ];
        for text in samples {
            assert_eq!(ours(text), reference.encode_ordinary(text), "{text:?}");
        }
    }

    #[test]
    fn tokens_are_tiktokens_over_this_crates_sources() {
        // A larger corpus: code, prose and JSON of every kind the endpoint sees.
        let reference = tiktoken_rs::cl100k_base_singleton();
        for source in [
            include_str!("converse.rs"),
            include_str!("tokens.rs"),
            include_str!("lib.rs"),
            include_str!("simulator/compose.rs"),
        ] {
            assert_eq!(ours(source), reference.encode_ordinary(source));
        }
    }
}
