//! The native console's pure half: a model family's own InvokeModel request body built
//! from a conversation, and that family's response bodies and stream chunks read back
//! into text, a stop reason and token usage. No IO here: the app sends what this builds.
//!
//! Seven families have a native text format: Anthropic (Messages API), Nova
//! (`messages-v1`), Titan Text (a "User:/Bot:" transcript), Llama (the Llama 3/4 chat
//! template), Mistral (chat messages for Mistral Large, the `[INST]` prompt otherwise),
//! Cohere Command R (`message` + `chat_history`) and Jamba (OpenAI-like messages).
//! Conversations keep their text; Anthropic and Nova also carry images given as bytes.
//! Any other attachment becomes a bracketed placeholder line (`[document report.pdf]`),
//! and reasoning and tool blocks are left out. A last assistant turn is a prefill the
//! model continues.

mod anthropic;
mod chat;
mod cohere;
mod llama;
mod mistral;
mod nova;
mod question;
mod titan;
mod turns;

#[cfg(test)]
mod reading_tests;
#[cfg(test)]
mod tests;

use serde_json::{Map, Value};

pub use bedrock_catalog::Family;

use crate::catalog::Model;
use crate::conversation::{Inference, Message, Role, Usage};
use crate::sanitize::{self, Tabs};

pub use question::{format_name, question};
use turns::Turn;

/// Why a body cannot be built or an answer cannot be read.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    #[error("{family:?} models have no native text format in the console")]
    Unsupported { family: Family },
    #[error("the model's answer is not JSON: {0}")]
    NotJson(String),
    #[error("the model's answer has an unexpected shape: {0}")]
    Shape(String),
}

/// What a model answered: its text (sanitized), the family's own stop reason
/// (`end_turn`, `FINISH`, `stop`, `COMPLETE`...) and the token usage it reported.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Reply {
    pub text: String,
    pub stop: Option<String>,
    pub usage: Option<Usage>,
}

/// Whether a family has a native text format here.
pub fn supported(family: Family) -> bool {
    matches!(
        family,
        Family::Anthropic
            | Family::Nova
            | Family::TitanText
            | Family::Llama
            | Family::Mistral
            | Family::CohereCommandR
            | Family::Jamba
    )
}

/// Whether to send with InvokeModelWithResponseStream: the model streams and its family
/// has a native format (all seven stream their chunks).
pub fn streams(model: &Model) -> bool {
    supported(model.family) && model.capabilities.streaming
}

/// The native request body of `model`'s family for a conversation, its system prompt
/// and inference settings; settings left unset are left out of the body.
pub fn body(
    model: &Model,
    system: Option<&str>,
    messages: &[Message],
    inference: &Inference,
) -> Result<Value, Error> {
    let system = system.filter(|s| !s.trim().is_empty());
    let images = model.capabilities.images;
    Ok(match model.family {
        Family::Anthropic => {
            anthropic::body(model, system, &turns::of(messages, images), inference)
        }
        Family::Nova => nova::body(system, &turns::of(messages, images), inference),
        Family::TitanText => titan::body(system, &turns::of(messages, false), inference),
        Family::Llama => llama::body(model, system, &turns::of(messages, false), inference),
        Family::Mistral => mistral::body(model, system, &turns::of(messages, false), inference),
        Family::CohereCommandR => cohere::body(system, &turns::of(messages, false), inference),
        Family::Jamba => chat::body(system, &turns::of(messages, false), inference),
        family => return Err(Error::Unsupported { family }),
    })
}

/// The answer of an InvokeModel response body.
pub fn parse_response(family: Family, body: &[u8]) -> Result<Reply, Error> {
    let v = json(body)?;
    let reply = match family {
        Family::Anthropic => anthropic::response(&v)?,
        Family::Nova => nova::response(&v)?,
        Family::TitanText => titan::response(&v)?,
        Family::Llama => llama::response(&v)?,
        Family::Mistral => mistral::response(&v)?,
        Family::CohereCommandR => cohere::response(&v)?,
        Family::Jamba => chat::response(&v)?,
        family => return Err(Error::Unsupported { family }),
    };
    Ok(Reply {
        text: sanitize::keeping_tabs(&reply.text),
        stop: reply.stop.as_deref().map(sanitize::keeping_tabs),
        usage: reply.usage,
    })
}

/// Reads an InvokeModelWithResponseStream answer one chunk at a time.
#[derive(Debug, Clone)]
pub struct Chunks {
    family: Family,
    clean: sanitize::Stream,
    reply: Reply,
    /// The service's own count, from the last chunk's `amazon-bedrock-invocationMetrics`.
    metrics: Option<Usage>,
}

impl Chunks {
    pub fn new(family: Family) -> Self {
        Chunks {
            family,
            clean: sanitize::Stream::new(Tabs::Keep),
            reply: Reply::default(),
            metrics: None,
        }
    }

    /// The new text of a chunk (its bytes as the stream delivered them), sanitized
    /// with what came before, so an escape sequence split across chunks is removed whole.
    pub fn push(&mut self, chunk: &[u8]) -> Result<String, Error> {
        let v = json(chunk)?;
        if !v.is_object() {
            return Err(Error::Shape(format!(
                "a stream chunk is not an object: {v}"
            )));
        }
        if let Some(m) = v.get("amazon-bedrock-invocationMetrics") {
            self.metrics = usage_of(
                m,
                "/inputTokenCount",
                "/outputTokenCount",
                Some(("/cacheReadInputTokenCount", "/cacheWriteInputTokenCount")),
            );
        }
        let r = &mut self.reply;
        let piece = match self.family {
            Family::Anthropic => anthropic::chunk(&v, r),
            Family::Nova => nova::chunk(&v, r),
            Family::TitanText => titan::chunk(&v, r),
            Family::Llama => llama::chunk(&v, r),
            Family::Mistral => mistral::chunk(&v, r),
            Family::CohereCommandR => cohere::chunk(&v, r),
            Family::Jamba => chat::chunk(&v, r),
            family => return Err(Error::Unsupported { family }),
        };
        let piece = self.clean.push(&piece);
        self.reply.text.push_str(&piece);
        Ok(piece)
    }

    /// The whole answer: the text of every chunk, the stop reason, and the usage of the
    /// invocation metrics (or the family's own counts when the stream had none).
    pub fn finish(self) -> Reply {
        Reply {
            text: self.reply.text,
            stop: self.reply.stop.as_deref().map(sanitize::keeping_tabs),
            usage: self.metrics.or(self.reply.usage),
        }
    }
}

fn json(bytes: &[u8]) -> Result<Value, Error> {
    serde_json::from_slice(bytes).map_err(|e| Error::NotJson(e.to_string()))
}

/// How a family names the inference settings in its body; `None` where it has no such
/// setting.
struct Names {
    max_tokens: &'static str,
    temperature: &'static str,
    top_p: &'static str,
    stop: Option<&'static str>,
}

/// The settings that are set, under the family's names.
fn settings(inference: &Inference, names: &Names) -> Map<String, Value> {
    let mut out = Map::new();
    if let Some(n) = inference.max_tokens {
        out.insert(names.max_tokens.into(), n.into());
    }
    if let Some(t) = inference.temperature {
        out.insert(names.temperature.into(), number(t));
    }
    if let Some(p) = inference.top_p {
        out.insert(names.top_p.into(), number(p));
    }
    if let Some(key) = names.stop
        && !inference.stop_sequences.is_empty()
    {
        out.insert(key.into(), inference.stop_sequences.clone().into());
    }
    out
}

/// A setting as the person who typed it wrote it: 0.7, not the f32's 0.699999988.
fn number(x: f32) -> Value {
    let shortest: f64 = x.to_string().parse().unwrap_or(f64::from(x));
    serde_json::Number::from_f64(shortest).map_or(Value::Null, Value::Number)
}

/// Moves `extra`'s members into the object `into`.
fn merge(into: &mut Value, extra: Map<String, Value>) {
    if let Value::Object(map) = into {
        map.extend(extra);
    }
}

fn str_at<'a>(v: &'a Value, pointer: &str) -> Option<&'a str> {
    v.pointer(pointer).and_then(Value::as_str)
}

fn u32_at(v: &Value, pointer: &str) -> Option<u32> {
    v.pointer(pointer)
        .and_then(Value::as_u64)
        .and_then(|n| u32::try_from(n).ok())
}

/// The usage at `input` and `output` (and the cache counts, where the family has
/// them); `None` when neither count is there.
fn usage_of(v: &Value, input: &str, output: &str, cache: Option<(&str, &str)>) -> Option<Usage> {
    let (i, o) = (u32_at(v, input), u32_at(v, output));
    if i.is_none() && o.is_none() {
        return None;
    }
    let (read, write) = cache.map_or((None, None), |(r, w)| (u32_at(v, r), u32_at(v, w)));
    Some(Usage {
        input: i.unwrap_or(0),
        output: o.unwrap_or(0),
        cache_read: read.unwrap_or(0),
        cache_write: write.unwrap_or(0),
    })
}

/// Folds a chunk's partial counts into the running usage: a count a chunk has replaces
/// the one before (streams report input first and output as a running total).
fn add_usage(reply: &mut Reply, input: Option<u32>, output: Option<u32>) {
    if input.is_none() && output.is_none() {
        return;
    }
    let u = reply.usage.get_or_insert_with(Usage::default);
    if let Some(i) = input {
        u.input = i;
    }
    if let Some(o) = output {
        u.output = o;
    }
}

/// Records a stop reason where a chunk has one.
fn set_stop(reply: &mut Reply, stop: Option<&str>) {
    if let Some(s) = stop {
        reply.stop = Some(s.to_owned());
    }
}

/// A turn's placement in a chat-style body: `user` or `assistant`.
fn role_name(turn: &Turn) -> &'static str {
    match turn.role {
        Role::User => "user",
        Role::Assistant => "assistant",
    }
}

/// Where a response or a chunk keeps its text, stop reason and token counts (JSON
/// pointers), for the families whose answers are flat records.
struct Fields {
    text: &'static str,
    stop: &'static str,
    input: Option<&'static str>,
    output: Option<&'static str>,
}

/// Records the stop reason and counts `v` has; its text, if it has one.
fn read(v: &Value, f: &Fields, reply: &mut Reply) -> Option<String> {
    set_stop(reply, str_at(v, f.stop));
    add_usage(
        reply,
        f.input.and_then(|p| u32_at(v, p)),
        f.output.and_then(|p| u32_at(v, p)),
    );
    str_at(v, f.text).map(str::to_owned)
}

/// A whole response read by its fields: the text must be there.
fn read_response(v: &Value, f: &Fields) -> Result<Reply, Error> {
    let mut reply = Reply::default();
    reply.text =
        read(v, f, &mut reply).ok_or_else(|| Error::Shape(format!("no text at {}", f.text)))?;
    Ok(reply)
}
