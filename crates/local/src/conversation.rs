//! The endpoint's model-independent view of a request: what every API shape (Converse
//! and each native InvokeModel format) is parsed into before the simulated model runs.

use serde_json::Value;

use super::media::{Document, Image, Video};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    User,
    Assistant,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Block {
    Text(String),
    Image(Image),
    Video(Video),
    Document(Document),
    ToolUse {
        id: String,
        name: String,
        input: Value,
    },
    ToolResult {
        id: String,
        content: String,
        error: bool,
    },
    Reasoning {
        text: String,
    },
    /// Content the guardrail should evaluate; for the model it is ordinary text.
    GuardContent(String),
    /// Marks the end of a cacheable prefix.
    CachePoint,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Message {
    pub role: Role,
    pub blocks: Vec<Block>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ToolSpec {
    pub name: String,
    pub description: String,
    pub schema: Value,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ToolChoice {
    Auto,
    Any,
    Tool(String),
}

/// A request to the simulated model, whatever API it arrived through.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Request {
    /// System prompt pieces; a `None` piece is a cache point between them.
    pub system: Vec<Option<String>>,
    pub messages: Vec<Message>,
    pub tools: Vec<ToolSpec>,
    pub tool_choice: Option<ToolChoice>,
    pub max_tokens: Option<u32>,
    pub stop_sequences: Vec<String>,
    pub temperature: Option<f64>,
    /// Token budget of extended thinking, when reasoning was requested.
    pub reasoning_budget: Option<u32>,
    /// Cache points in the tool list: each the number of tools before it.
    pub tool_cache_points: Vec<usize>,
    /// The TTL of each cache point, in the order the service reads them: tools, system,
    /// messages. A point without an entry here (a native body's) lives five minutes.
    pub cache_ttls: Vec<CacheTtl>,
}

/// How long a prompt-cache checkpoint lives after its last use (`CacheTTL`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum CacheTtl {
    #[default]
    FiveMinutes,
    OneHour,
}

impl CacheTtl {
    pub(crate) fn parse(s: &str) -> Option<CacheTtl> {
        match s {
            "5m" => Some(CacheTtl::FiveMinutes),
            "1h" => Some(CacheTtl::OneHour),
            _ => None,
        }
    }

    pub(crate) fn duration(self) -> std::time::Duration {
        match self {
            CacheTtl::FiveMinutes => std::time::Duration::from_secs(300),
            CacheTtl::OneHour => std::time::Duration::from_secs(3600),
        }
    }
}

impl Request {
    /// Text of the last user message, the one fault directives are read from.
    pub(crate) fn last_user_text(&self) -> String {
        self.messages
            .iter()
            .rev()
            .find(|m| m.role == Role::User)
            .map(|m| m.text())
            .unwrap_or_default()
    }

    pub(crate) fn system_text(&self) -> String {
        self.system
            .iter()
            .flatten()
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// A stable digest of what the model sees, so equal requests get equal answers.
    pub(crate) fn digest(&self) -> u64 {
        let mut h = Fnv::default();
        for s in self.system.iter().flatten() {
            h.write(s.as_bytes());
        }
        for m in &self.messages {
            h.write(&[m.role as u8]);
            // Fault directives change how a request fails, not what the model says.
            h.write(super::faults::strip_directives(&m.text()).as_bytes());
        }
        for t in &self.tools {
            h.write(t.name.as_bytes());
        }
        h.finish()
    }
}

impl Message {
    /// The message's text content, tool results and guarded text included.
    pub(crate) fn text(&self) -> String {
        let mut out = String::new();
        for b in &self.blocks {
            let piece = match b {
                Block::Text(t) | Block::GuardContent(t) => t.as_str(),
                Block::ToolResult { content, .. } => content.as_str(),
                Block::Document(d) => d.text.as_str(),
                _ => continue,
            };
            if !out.is_empty() {
                out.push('\n');
            }
            out.push_str(piece);
        }
        out
    }

    /// The ids of the message's `toolUse` blocks, in order.
    pub(crate) fn tool_use_ids(&self) -> Vec<&str> {
        self.blocks
            .iter()
            .filter_map(|b| match b {
                Block::ToolUse { id, .. } => Some(id.as_str()),
                _ => None,
            })
            .collect()
    }

    pub(crate) fn tool_results(&self) -> impl Iterator<Item = (&str, &str, bool)> {
        self.blocks.iter().filter_map(|b| match b {
            Block::ToolResult { id, content, error } => {
                Some((id.as_str(), content.as_str(), *error))
            }
            _ => None,
        })
    }
}

/// FNV-1a: small, stable across platforms and releases, unlike `DefaultHasher`.
#[derive(Clone, Copy)]
pub(crate) struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Fnv(0xcbf29ce484222325)
    }
}

impl Fnv {
    pub(crate) fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x100000001b3);
        }
        // Separates consecutive fields so ("ab","c") and ("a","bc") differ.
        self.0 = self.0.wrapping_mul(0x100000001b3) ^ 0xff;
    }

    pub(crate) fn finish(self) -> u64 {
        self.0
    }

    pub(crate) fn hash(bytes: &[u8]) -> u64 {
        let mut h = Fnv::default();
        h.write(bytes);
        h.finish()
    }
}
