//! Native InvokeModel formats: each model family's request body parsed into the
//! endpoint's request, and generations written back as that family's response and
//! stream chunks.

mod anthropic;
mod chat;
mod cohere;
pub(crate) mod doc;
pub(crate) mod embed;
mod jamba;
mod llama;
mod mistral;
mod nova;
mod prompt;
mod titan;

use bedrock_catalog::{Family, Model};
use serde_json::Value;

use super::conversation::{Block, Fnv, Message, Request, Role};
use super::converse::Usage;
use super::error::ServiceError;
use super::simulator::{Generation, Stop};
use super::stream::StreamItem;
use super::tokens;

use doc::Doc;

/// Which request form of a family was used, where a family accepts more than one
/// (Mistral's prompt completion and chat messages); the response follows the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Variant {
    Default,
    Chat,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Parsed {
    pub request: Request,
    pub variant: Variant,
}

/// What an InvokeModel body asks for.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Invocation {
    /// Text generation by the simulated model.
    Generate(Parsed),
    /// An embedding, computed at once.
    Embed { response: Value, input_tokens: u32 },
}

/// Parses an InvokeModel body for `model`'s family.
pub(crate) fn parse(model: &Model, body: &[u8]) -> Result<Invocation, ServiceError> {
    if matches!(
        model.family,
        Family::NovaReel | Family::MarengoEmbed | Family::Unknown
    ) {
        return Err(ServiceError::validation(
            "The provided model doesn't support on-demand throughput.",
        ));
    }
    let value = super::json::parse_body(body)?;
    let doc = Doc::root(&value)?;
    let parsed = match model.family {
        Family::Anthropic => anthropic::parse(model, &doc)?,
        Family::Nova => nova::parse(model, &doc)?,
        Family::TitanText => titan::parse(model, &doc)?,
        Family::Llama => llama::parse(model, &doc)?,
        Family::Mistral => mistral::parse(model, &doc)?,
        Family::CohereCommandR => cohere::parse(model, &doc)?,
        Family::Jamba => jamba::parse(model, &doc)?,
        Family::TitanEmbed => return embed::titan(model, &doc),
        Family::NovaEmbed => return embed::nova(&doc),
        Family::NovaReel | Family::MarengoEmbed | Family::Unknown => {
            unreachable!("rejected above")
        }
    };
    Ok(Invocation::Generate(parsed))
}

/// Whether InvokeModelWithResponseStream works for the model; the service answers the
/// others with [`streaming_unsupported`].
pub(crate) fn supports_streaming(model: &Model) -> bool {
    !matches!(
        model.family,
        Family::TitanEmbed
            | Family::NovaEmbed
            | Family::NovaReel
            | Family::MarengoEmbed
            | Family::Unknown
    )
}

/// The error of InvokeModelWithResponseStream on a model that cannot stream.
pub(crate) fn streaming_unsupported() -> ServiceError {
    ServiceError::validation("The model is unsupported for streaming.")
}

/// The InvokeModel response body.
pub(crate) fn response(
    model: &Model,
    parsed: &Parsed,
    generation: &Generation,
    usage: Usage,
) -> Value {
    let (r, g) = (&parsed.request, generation);
    match model.family {
        Family::Anthropic => anthropic::response(model, r, g, usage),
        Family::Nova => nova::response(g, usage),
        Family::TitanText => titan::response(g, usage),
        Family::Llama => llama::response(g, usage),
        Family::Mistral => mistral::response(model, parsed, g, usage),
        Family::CohereCommandR => cohere::response(r, g, usage),
        Family::Jamba => jamba::response(model, r, g, usage),
        Family::TitanEmbed
        | Family::NovaEmbed
        | Family::NovaReel
        | Family::MarengoEmbed
        | Family::Unknown => Value::Object(Default::default()),
    }
}

/// The InvokeModelWithResponseStream chunks; the caller adds
/// `amazon-bedrock-invocationMetrics` to the last one.
pub(crate) fn chunks(
    model: &Model,
    parsed: &Parsed,
    generation: &Generation,
    usage: Usage,
) -> Vec<StreamItem> {
    let (r, g) = (&parsed.request, generation);
    match model.family {
        Family::Anthropic => anthropic::chunks(model, r, g, usage),
        Family::Nova => nova::chunks(g, usage),
        Family::TitanText => titan::chunks(g, usage),
        Family::Llama => llama::chunks(g, usage),
        Family::Mistral => mistral::chunks(model, parsed, g, usage),
        Family::CohereCommandR => cohere::chunks(r, g, usage),
        Family::Jamba => jamba::chunks(r, g, usage),
        Family::TitanEmbed
        | Family::NovaEmbed
        | Family::NovaReel
        | Family::MarengoEmbed
        | Family::Unknown => Vec::new(),
    }
}

/// How a family names each way a generation can stop.
pub(crate) struct StopNames {
    pub end: &'static str,
    pub max: &'static str,
    pub sequence: &'static str,
    pub tool: &'static str,
}

impl StopNames {
    pub(crate) fn of(&self, stop: &Stop) -> &'static str {
        match stop {
            Stop::EndTurn => self.end,
            Stop::MaxTokens => self.max,
            Stop::Sequence(_) => self.sequence,
            Stop::ToolUse => self.tool,
        }
    }
}

/// Completion-style names (Llama, Mistral, Jamba).
pub(crate) const COMPLETION_STOPS: StopNames = StopNames {
    end: "stop",
    max: "length",
    sequence: "stop",
    tool: "tool_calls",
};

/// Streams text token by token: `render(piece, output tokens so far, is_last)` makes each
/// chunk. An empty text still yields one empty piece, so there is a chunk to end on.
pub(crate) fn text_chunks(
    text: &str,
    mut render: impl FnMut(&str, u32, bool) -> Value,
) -> Vec<StreamItem> {
    let mut pieces = tokens::pieces(text);
    if pieces.is_empty() {
        pieces.push((String::new(), 0));
    }
    let last = pieces.len() - 1;
    let mut so_far = 0;
    pieces
        .iter()
        .enumerate()
        .map(|(i, (piece, n))| {
            so_far += n;
            StreamItem::chunk(render(piece, so_far, i == last), *n)
        })
        .collect()
}

/// All input tokens, cached or not, for families that report one count.
pub(crate) fn input_tokens(u: &Usage) -> u32 {
    u.input + u.cache_read + u.cache_write
}

/// Appends a block to the conversation, merging it into the last message when that
/// message has the same role (consecutive turns of one role are one message).
pub(crate) fn push_block(messages: &mut Vec<Message>, role: Role, block: Block) {
    match messages.last_mut() {
        Some(m) if m.role == role => m.blocks.push(block),
        _ => messages.push(Message {
            role,
            blocks: vec![block],
        }),
    }
}

/// Puts a prompt-format conversation into a request; a prompt with no user turn is one
/// user message.
pub(crate) fn set_turns(req: &mut Request, prompt: &str, turns: Option<prompt::Turns>) {
    match turns.filter(|t| t.messages.iter().any(|m| m.role == Role::User)) {
        Some(t) => {
            req.system.extend(t.system.map(Some));
            req.messages = t.messages;
        }
        None => req.messages = vec![user_text(prompt.trim())],
    }
}

pub(crate) fn user_text(text: &str) -> Message {
    Message {
        role: Role::User,
        blocks: vec![Block::Text(text.to_owned())],
    }
}

const B62: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// A deterministic id of `len` base62 characters from a request digest and a purpose.
pub(crate) fn base62(seed: u64, salt: &str, len: usize) -> String {
    let mut h = Fnv::default();
    h.write(&seed.to_le_bytes());
    h.write(salt.as_bytes());
    let mut x = h.finish();
    (0..len)
        .map(|i| {
            if i % 10 == 0 {
                x = Fnv::hash(&(x ^ i as u64).to_le_bytes());
            }
            let c = B62[(x % 62) as usize] as char;
            x /= 62;
            c
        })
        .collect()
}

/// A deterministic UUID-shaped id (version 4 layout) from a request digest and a purpose.
pub(crate) fn uuid(seed: u64, salt: &str) -> String {
    let mut h = Fnv::default();
    h.write(&seed.to_le_bytes());
    h.write(salt.as_bytes());
    let a = h.finish();
    let b = Fnv::hash(&a.to_le_bytes());
    let hex = format!("{a:016x}{b:016x}");
    format!(
        "{}-{}-4{}-{}{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[13..16],
        ["8", "9", "a", "b"][(b % 4) as usize],
        &hex[17..20],
        &hex[20..32]
    )
}

/// The provider's own name of a model: `claude-3-haiku-20240307` for
/// `anthropic.claude-3-haiku-20240307-v1:0`.
pub(crate) fn model_name(model: &Model) -> String {
    let bare = model
        .id
        .split_once('.')
        .map_or(model.id.as_str(), |(_, rest)| rest);
    let trimmed = match bare.rfind("-v") {
        Some(i)
            if bare[i + 2..]
                .chars()
                .all(|c| c.is_ascii_digit() || c == ':') =>
        {
            &bare[..i]
        }
        _ => bare,
    };
    trimmed.to_owned()
}

/// A family's documented default output limit, capped at the model's.
pub(crate) fn default_max(model: &Model, n: u32) -> Option<u32> {
    Some(n.min(model.max_output_tokens))
}

#[cfg(test)]
pub(crate) mod testing;

#[cfg(test)]
mod tests {
    use super::testing::{model, parse_err};
    use super::*;

    #[test]
    fn names_models_as_their_providers_do() {
        assert_eq!(
            model_name(&model(
                "anthropic.claude-3-haiku-20240307-v1:0",
                Family::Anthropic,
                4096
            )),
            "claude-3-haiku-20240307"
        );
        assert_eq!(
            model_name(&model("ai21.jamba-1-5-mini-v1:0", Family::Jamba, 4096)),
            "jamba-1-5-mini"
        );
        assert_eq!(
            model_name(&model(
                "amazon.titan-text-express-v1",
                Family::TitanText,
                8192
            )),
            "titan-text-express"
        );
    }

    #[test]
    fn ids_are_deterministic_and_well_formed() {
        assert_eq!(base62(7, "a", 24), base62(7, "a", 24));
        assert_ne!(base62(7, "a", 24), base62(7, "b", 24));
        assert_eq!(base62(7, "a", 24).len(), 24);
        let u = uuid(42, "x");
        assert_eq!(u.len(), 36);
        assert_eq!(
            u.split('-').map(str::len).collect::<Vec<_>>(),
            vec![8, 4, 4, 4, 12]
        );
        assert_eq!(&u[14..15], "4");
    }

    #[test]
    fn async_only_and_embedding_models() {
        for fam in [Family::NovaReel, Family::MarengoEmbed] {
            let e = parse_err(
                &model("x.async-v1:0", fam, 0),
                r#"{"taskType":"TEXT_VIDEO"}"#,
            );
            assert_eq!(
                e,
                "The provided model doesn't support on-demand throughput."
            );
        }
        assert!(!supports_streaming(&model(
            "amazon.titan-embed-text-v2:0",
            Family::TitanEmbed,
            0
        )));
        assert!(supports_streaming(&model(
            "meta.llama3-1-8b-instruct-v1:0",
            Family::Llama,
            2048
        )));
        assert_eq!(
            streaming_unsupported().kind,
            super::super::error::ErrorKind::Validation
        );
    }

    #[test]
    fn malformed_json_and_wrong_top_level_type() {
        let m = model("meta.llama3-1-8b-instruct-v1:0", Family::Llama, 2048);
        assert!(parse_err(&m, "{\"prompt\": ").starts_with("Malformed input request: "));
        assert_eq!(
            parse_err(&m, "[1]"),
            "Malformed input request: #: expected type: JSONObject, found: JSONArray, please reformat your input and try again."
        );
    }
}
