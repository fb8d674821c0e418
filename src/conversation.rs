//! The app's own conversation types, independent of the SDK: what the reducer keeps,
//! the history stores and the Bedrock layer converts to and from Converse shapes.

mod media;

use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use media::{Blob, Citation, Kind, Media, Place, Source, hex};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    User,
    Assistant,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    Text(String),
    /// Text of an answer that rests on passages of the question's documents.
    Cited {
        text: String,
        citations: Vec<Citation>,
    },
    /// An image, document or video.
    Media(Media),
    Reasoning {
        text: String,
        signature: Option<String>,
    },
    ToolUse {
        id: String,
        name: String,
        input: Value,
    },
    ToolResult {
        id: String,
        content: Vec<crate::tools::Content>,
        error: bool,
    },
}

impl Block {
    /// A tool result of one text part.
    pub fn tool_text(id: impl Into<String>, text: impl Into<String>, error: bool) -> Block {
        Block::ToolResult {
            id: id.into(),
            content: vec![crate::tools::Content::Text(text.into())],
            error,
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Usage {
    pub input: u32,
    pub output: u32,
    pub cache_read: u32,
    pub cache_write: u32,
}

/// Why a model stopped; serialized with the API's names (`end_turn`, `max_tokens`, ...).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    EndTurn,
    MaxTokens,
    StopSequence,
    ToolUse,
    GuardrailIntervened,
    ContentFiltered,
    Other(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    pub role: Role,
    pub blocks: Vec<Block>,
    /// The model or inference profile that produced an assistant message.
    pub model: Option<String>,
}

impl Message {
    pub fn user(text: impl Into<String>) -> Self {
        Message {
            role: Role::User,
            blocks: vec![Block::Text(text.into())],
            model: None,
        }
    }

    /// A question: its attachments first (models read them before the text that
    /// refers to them), then its text.
    pub fn question(text: &str, media: Vec<Media>) -> Self {
        let mut blocks: Vec<Block> = media.into_iter().map(Block::Media).collect();
        blocks.push(Block::Text(text.to_owned()));
        Message {
            role: Role::User,
            blocks,
            model: None,
        }
    }

    /// The message with every text in it sanitized (no control characters or escape
    /// sequences; tabs kept): for a message read from somewhere the program does not
    /// control, such as a history written by an older version.
    pub fn sanitized(mut self) -> Self {
        let clean = crate::sanitize::keeping_tabs;
        for b in &mut self.blocks {
            match b {
                Block::Text(t) => *t = clean(t),
                Block::Cited { text, citations } => {
                    *text = clean(text);
                    for c in citations {
                        c.title = clean(&c.title);
                        c.quote = clean(&c.quote);
                    }
                }
                Block::Media(m) => {
                    m.file = crate::sanitize::text(&m.file);
                    m.name = crate::sanitize::text(&m.name);
                    if let Source::S3 { uri, bucket_owner } = &mut m.source {
                        *uri = crate::sanitize::text(uri);
                        *bucket_owner = bucket_owner.as_deref().map(crate::sanitize::text);
                    }
                }
                Block::Reasoning { text, .. } => *text = clean(text),
                Block::ToolUse { id, name, input } => {
                    *id = clean(id);
                    *name = clean(name);
                    crate::tools::sanitize_json(input);
                }
                Block::ToolResult { id, content, .. } => {
                    *id = clean(id);
                    for part in content {
                        match part {
                            crate::tools::Content::Text(t) => *t = clean(t),
                            crate::tools::Content::Json(v) => crate::tools::sanitize_json(v),
                        }
                    }
                }
            }
        }
        self.model = self.model.as_deref().map(clean);
        self
    }

    /// The message's visible text: its text blocks, joined.
    pub fn text(&self) -> String {
        self.blocks
            .iter()
            .filter_map(|b| match b {
                Block::Text(t) | Block::Cited { text: t, .. } => Some(t.as_str()),
                _ => None,
            })
            .collect()
    }

    /// The message's attachments, in order.
    pub fn media(&self) -> impl Iterator<Item = &Media> {
        self.blocks.iter().filter_map(|b| match b {
            Block::Media(m) => Some(m),
            _ => None,
        })
    }
}

/// Inference parameters of a turn, and how it is delivered: cached, at which service
/// tier, with which latency.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Inference {
    pub max_tokens: Option<u32>,
    pub temperature: Option<f32>,
    pub top_p: Option<f32>,
    pub stop_sequences: Vec<String>,
    #[serde(default)]
    pub cache: Cache,
    /// `None` sends no `serviceTier`: the service's default.
    #[serde(default)]
    pub tier: Option<Tier>,
    #[serde(default)]
    pub latency: Latency,
}

/// How long cached prefixes live, or no caching.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Cache {
    #[default]
    #[serde(rename = "off")]
    Off,
    #[serde(rename = "5m")]
    FiveMinutes,
    #[serde(rename = "1h")]
    OneHour,
}

impl Cache {
    pub fn parse(s: &str) -> Option<Cache> {
        match s {
            "off" => Some(Cache::Off),
            "5m" => Some(Cache::FiveMinutes),
            "1h" => Some(Cache::OneHour),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Cache::Off => "off",
            Cache::FiveMinutes => "5m",
            Cache::OneHour => "1h",
        }
    }
}

/// A Bedrock service tier, named as the API's `serviceTier.type` names it. Reserved
/// is not here: it is billed per reserved capacity, not per token.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Tier {
    /// Standard, the tier of a request that names none.
    #[default]
    Default,
    Priority,
    Flex,
}

impl Tier {
    pub const ALL: [Tier; 3] = [Tier::Default, Tier::Priority, Tier::Flex];

    /// The API's name of the tier.
    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Default => "default",
            Tier::Priority => "priority",
            Tier::Flex => "flex",
        }
    }
}

impl std::fmt::Display for Tier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A tier name that is none of `default`, `priority`, `flex`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown service tier {0:?} (expected default, priority or flex)")]
pub struct UnknownTier(pub String);

impl std::str::FromStr for Tier {
    type Err = UnknownTier;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Tier::ALL
            .into_iter()
            .find(|t| t.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| UnknownTier(s.to_owned()))
    }
}

/// The latency a turn asks for (`performanceConfig`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Latency {
    #[default]
    Standard,
    Optimized,
}
