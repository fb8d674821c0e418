//! The deterministic simulated model: the same request always gets the same answer,
//! written in markdown that exercises a renderer and that refers to what was asked.

mod cite;
#[cfg(test)]
mod cite_tests;
mod compose;

pub(crate) use cite::{Citation, Location};

use serde_json::Value;

use super::conversation::{Block, Fnv, Request, Role, ToolChoice, ToolSpec};
use super::faults::{directive_values, strip_directives};
use super::schema;
use super::tokens;

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum OutBlock {
    Reasoning {
        text: String,
        signature: String,
    },
    Text(String),
    /// Text that quotes documents, with the citations that locate the quotes.
    Cited {
        text: String,
        citations: Vec<Citation>,
    },
    ToolUse {
        id: String,
        name: String,
        input: Value,
    },
}

impl OutBlock {
    /// The answer text of a text or cited block.
    pub(crate) fn answer_text(&self) -> Option<&str> {
        match self {
            OutBlock::Text(t) | OutBlock::Cited { text: t, .. } => Some(t),
            _ => None,
        }
    }

    pub(crate) fn answer_text_mut(&mut self) -> Option<&mut String> {
        match self {
            OutBlock::Text(t) | OutBlock::Cited { text: t, .. } => Some(t),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Stop {
    EndTurn,
    MaxTokens,
    /// Stopped at the stop sequence it holds.
    Sequence(String),
    ToolUse,
}

impl Stop {
    /// The Converse API's `stopReason`.
    pub(crate) fn converse(&self) -> &'static str {
        match self {
            Stop::EndTurn => "end_turn",
            Stop::MaxTokens => "max_tokens",
            Stop::Sequence(_) => "stop_sequence",
            Stop::ToolUse => "tool_use",
        }
    }
}

/// What the model produced for a request, after output limits were applied.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Generation {
    pub blocks: Vec<OutBlock>,
    pub stop: Stop,
    pub output_tokens: u32,
}

impl Generation {
    pub(crate) fn text(&self) -> String {
        self.blocks
            .iter()
            .filter_map(OutBlock::answer_text)
            .collect()
    }
}

/// Runs the simulated model. `max_tokens` is the effective output limit.
pub(crate) fn generate(req: &Request, max_tokens: u32) -> Generation {
    let seed = req.digest();
    let question = strip_directives(&req.last_user_text());
    let mut blocks = Vec::new();
    if let Some(budget) = req.reasoning_budget {
        let text = compose::reasoning(req, &question, budget);
        blocks.push(OutBlock::Reasoning {
            signature: signature(seed, &text),
            text,
        });
    }
    let last_has_results = req
        .messages
        .last()
        .is_some_and(|m| m.role == Role::User && m.tool_results().next().is_some());
    let tool = if last_has_results {
        None
    } else {
        choose_tool(req, &question)
    };
    let stop = match tool {
        Some(tool) => {
            blocks.push(OutBlock::Text(format!(
                "I'll use the `{}` tool for this.",
                tool.name
            )));
            blocks.push(OutBlock::ToolUse {
                id: tool_use_id(seed),
                name: tool.name.clone(),
                input: schema::fill(&tool.schema, &question, ""),
            });
            Stop::ToolUse
        }
        None => {
            let said = directive_values(&req.last_user_text(), "say")
                .first()
                .map(|s| unescape(s));
            let asked = cite::question(req);
            if let Some(citation) = cite::cite(req, &asked) {
                // A cited answer is a short lead-in and the quote; a length directive
                // does not apply to it, since the quote's length is the document's.
                let mut lead = format!(
                    "You asked about **{}**. The document \u{201c}{}\u{201d} says:\n\n",
                    compose::topic(&asked),
                    citation.title
                );
                if let Some(say) = said {
                    lead = format!("{say}\n\n{lead}");
                }
                blocks.push(OutBlock::Text(lead));
                blocks.push(OutBlock::Cited {
                    text: citation.quote.clone(),
                    citations: vec![citation],
                });
                return limit(blocks, Stop::EndTurn, max_tokens, &req.stop_sequences);
            }
            let mut text = compose::answer(req, &question, seed);
            // `[[say:TEXT]]` opens the answer with TEXT: a way to make the model say
            // something, for testing what guards or parses model output. JSON-style
            // escapes in TEXT let a test make it say control and escape sequences.
            if let Some(say) = said {
                text = format!("{say}\n\n{text}");
            }
            if let Some(n) = directive_values(&req.last_user_text(), "tokens")
                .first()
                .and_then(|v| v.parse::<u32>().ok())
            {
                text = compose::to_length(text, n, seed);
            }
            blocks.push(OutBlock::Text(text));
            Stop::EndTurn
        }
    };
    limit(blocks, stop, max_tokens, &req.stop_sequences)
}

/// Decodes JSON-style escapes (`\n`, `\t`, `\r`, `\b`, `\f`, `\\`, `\"`, `\/`,
/// `\uXXXX` and surrogate pairs); a backslash that starts none of them stays as it is.
fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('\\') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let (decoded, used) = escape(rest).unwrap_or(('\\', 1));
        out.push(decoded);
        rest = &rest[used..];
    }
    out.push_str(rest);
    out
}

/// The character of the escape `s` starts with, and its length in bytes.
fn escape(s: &str) -> Option<(char, usize)> {
    let simple = match s.as_bytes().get(1)? {
        b'n' => '\n',
        b't' => '\t',
        b'r' => '\r',
        b'b' => '\u{8}',
        b'f' => '\u{c}',
        b'\\' => '\\',
        b'"' => '"',
        b'/' => '/',
        b'u' => {
            let unit = hex4(s, 2)?;
            if let Some(c) = char::from_u32(unit) {
                return Some((c, 6));
            }
            // A high surrogate is half a character: the pair decodes together.
            let low = s
                .get(6..8)
                .filter(|p| *p == "\\u")
                .and_then(|_| hex4(s, 8))?;
            if !(0xD800..0xDC00).contains(&unit) || !(0xDC00..0xE000).contains(&low) {
                return None;
            }
            let c = char::from_u32(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00))?;
            return Some((c, 12));
        }
        _ => return None,
    };
    Some((simple, 2))
}

/// The four hex digits at `at`, as a number.
fn hex4(s: &str, at: usize) -> Option<u32> {
    let digits = s.get(at..at + 4)?;
    if !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u32::from_str_radix(digits, 16).ok()
}

/// Applies stop sequences, then the output token limit, as a model would while
/// generating: whatever follows the cut is never produced.
fn limit(blocks: Vec<OutBlock>, stop: Stop, max_tokens: u32, stops: &[String]) -> Generation {
    let mut out = Vec::new();
    let mut used = 0u32;
    let mut stop = stop;
    for block in blocks {
        let mut block = block;
        let mut cut = false;
        if let Some(text) = block.answer_text_mut()
            && let Some((pos, seq)) = stops
                .iter()
                .filter(|s| !s.is_empty())
                .filter_map(|s| text.find(s.as_str()).map(|p| (p, s)))
                .min_by_key(|(p, _)| *p)
        {
            text.truncate(pos);
            stop = Stop::Sequence(seq.clone());
            cut = true;
        }
        let cost = block_tokens(&block);
        if used + cost > max_tokens {
            let room = max_tokens - used;
            match &mut block {
                OutBlock::Text(t)
                | OutBlock::Cited { text: t, .. }
                | OutBlock::Reasoning { text: t, .. } => {
                    *t = truncate_tokens(t, room);
                    used += tokens::count(t);
                    out.push(block);
                }
                OutBlock::ToolUse { .. } => {}
            }
            return Generation {
                blocks: out,
                stop: Stop::MaxTokens,
                output_tokens: used,
            };
        }
        used += cost;
        out.push(block);
        if cut {
            break;
        }
    }
    Generation {
        blocks: out,
        stop,
        output_tokens: used,
    }
}

pub(crate) fn block_tokens(block: &OutBlock) -> u32 {
    match block {
        OutBlock::Text(t)
        | OutBlock::Cited { text: t, .. }
        | OutBlock::Reasoning { text: t, .. } => tokens::count(t),
        OutBlock::ToolUse { name, input, .. } => {
            tokens::count(name) + tokens::count(&input.to_string())
        }
    }
}

fn truncate_tokens(text: &str, n: u32) -> String {
    let mut out = String::new();
    let mut used = 0;
    for (piece, cost) in tokens::pieces(text) {
        if used + cost > n {
            break;
        }
        used += cost;
        out.push_str(&piece);
    }
    out
}

fn choose_tool<'a>(req: &'a Request, question: &str) -> Option<&'a ToolSpec> {
    let best = || {
        req.tools
            .iter()
            .map(|t| (tool_score(t, question), t))
            .filter(|(s, _)| *s > 0)
            .max_by_key(|(s, _)| *s)
    };
    match &req.tool_choice {
        Some(ToolChoice::Tool(name)) => req.tools.iter().find(|t| &t.name == name),
        Some(ToolChoice::Any) => best().map(|(_, t)| t).or_else(|| req.tools.first()),
        Some(ToolChoice::Auto) | None => best().filter(|(s, _)| *s >= 2).map(|(_, t)| t),
    }
}

/// How strongly a question asks for what a tool does: words of its name count
/// double, long words of its description once.
fn tool_score(tool: &ToolSpec, question: &str) -> u32 {
    let q = question.to_lowercase();
    let words = |s: &str| -> Vec<String> {
        s.split(|c: char| !c.is_alphanumeric())
            .flat_map(split_camel)
            .map(|w| w.to_lowercase())
            .collect()
    };
    let name = words(&tool.name)
        .into_iter()
        .filter(|w| w.len() >= 4 && q.contains(w.as_str()))
        .count() as u32;
    let desc = words(&tool.description)
        .into_iter()
        .filter(|w| w.len() >= 5 && q.contains(w.as_str()))
        .collect::<std::collections::BTreeSet<_>>()
        .len() as u32;
    name * 2 + desc
}

fn split_camel(word: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut start = 0;
    for (i, c) in word.char_indices().skip(1) {
        if c.is_uppercase() {
            parts.push(&word[start..i]);
            start = i;
        }
    }
    parts.push(&word[start..]);
    parts
}

const B62: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

fn tool_use_id(seed: u64) -> String {
    let mut x = seed;
    let mut id = String::from("tooluse_");
    for i in 0..22u64 {
        if i % 10 == 0 {
            x = Fnv::hash(&(x ^ i).to_le_bytes());
        }
        id.push(B62[(x % 62) as usize] as char);
        x /= 62;
    }
    id
}

fn signature(seed: u64, text: &str) -> String {
    use base64::Engine;
    let mut bytes = Vec::with_capacity(64);
    let mut x = seed ^ Fnv::hash(text.as_bytes());
    for i in 0..8u64 {
        x = Fnv::hash(&(x ^ i).to_le_bytes());
        bytes.extend_from_slice(&x.to_le_bytes());
    }
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Pairs a tool result with the name of the tool whose call it answers.
pub(crate) fn tool_name_for<'a>(req: &'a Request, id: &str) -> Option<&'a str> {
    req.messages
        .iter()
        .flat_map(|m| &m.blocks)
        .find_map(|b| match b {
            Block::ToolUse {
                id: use_id, name, ..
            } if use_id == id => Some(name.as_str()),
            _ => None,
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::converse;

    #[test]
    fn unescape_decodes_json_escapes_and_keeps_the_rest() {
        assert_eq!(
            unescape(r#"\u001b]0;t\u0007 \u009b2J \n\t\r \\ \" \/ \b\f"#),
            "\u{1b}]0;t\u{7} \u{9b}2J \n\t\r \\ \" / \u{8}\u{c}"
        );
        assert_eq!(unescape(r"\ud83d\ude00 \u00e9"), "\u{1f600} \u{e9}");
        // What is not an escape stays as written, backslash included.
        for literal in [
            r"C:\path\x",
            r"\u12",
            r"\u12g4",
            r"\u+123",
            r"\ud83d alone",
            r"\ude00",
            "end\\",
            "\\é",
        ] {
            assert_eq!(unescape(literal), literal);
        }
        assert_eq!(unescape(r"\\u001b"), r"\u001b");
        assert_eq!(unescape("plain"), "plain");
    }

    /// The text deltas a client decodes from the ConverseStream frames of `g`.
    fn streamed_text(g: &Generation) -> Vec<String> {
        converse::stream_items(g)
            .iter()
            .map(|item| {
                let msg = aws_smithy_eventstream::frame::read_message_from(item.frame()).unwrap();
                serde_json::from_slice::<Value>(msg.payload()).unwrap()
            })
            .filter_map(|p| p["delta"]["text"].as_str().map(str::to_owned))
            .collect()
    }

    #[test]
    fn say_sends_escape_sequences_to_the_client_intact_and_split_across_deltas() {
        // As the user would type it: backslash escapes inside a JSON string on the wire.
        let said = r"\u001b]0;pwned\u0007 hi \u001b[2J \u009b31m red";
        let body = serde_json::json!({"messages": [{
            "role": "user",
            "content": [{"text": format!("[[say:{said}]] hello")}],
        }]});
        let req = converse::parse(&body).unwrap();
        let g = generate(&req, 4096);
        let expected = "\u{1b}]0;pwned\u{7} hi \u{1b}[2J \u{9b}31m red\n\n";
        assert!(g.text().starts_with(expected), "{:?}", g.text());
        let deltas = streamed_text(&g);
        assert_eq!(deltas.concat(), g.text());
        // The title sequence is cut between deltas: a client that cleans each delta
        // on its own would let it through.
        let opening = deltas.iter().position(|d| d.contains('\u{1b}')).unwrap();
        assert!(!deltas[opening].contains('\u{7}'), "{:?}", deltas[opening]);
        let closing = deltas.iter().position(|d| d.contains('\u{7}')).unwrap();
        assert!(closing > opening, "{deltas:?}");
    }
}
