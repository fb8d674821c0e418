//! The deterministic simulated model: the same request always gets the same answer,
//! written in markdown that exercises a renderer and that refers to what was asked.

mod compose;

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
    ToolUse {
        id: String,
        name: String,
        input: Value,
    },
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
            .filter_map(|b| match b {
                OutBlock::Text(t) => Some(t.as_str()),
                _ => None,
            })
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
            let mut text = compose::answer(req, &question, seed);
            // `[[say:TEXT]]` opens the answer with TEXT: a way to make the model say
            // something, for testing what guards or parses model output.
            if let Some(say) = directive_values(&req.last_user_text(), "say").first() {
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

/// Applies stop sequences, then the output token limit, as a model would while
/// generating: whatever follows the cut is never produced.
fn limit(blocks: Vec<OutBlock>, stop: Stop, max_tokens: u32, stops: &[String]) -> Generation {
    let mut out = Vec::new();
    let mut used = 0u32;
    let mut stop = stop;
    for block in blocks {
        let mut block = block;
        let mut cut = false;
        if let OutBlock::Text(text) = &mut block
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
                OutBlock::Text(t) | OutBlock::Reasoning { text: t, .. } => {
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
        OutBlock::Text(t) | OutBlock::Reasoning { text: t, .. } => tokens::count(t),
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
