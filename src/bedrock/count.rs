//! Input tokens of a turn before it is sent: CountTokens where the model supports it,
//! else a local estimate, labelled as one.

use aws_sdk_bedrockruntime::types::{ConverseTokensRequest, CountTokensInput};
use serde_json::{Value, json};

use super::{BedrockError, Connection, TurnRequest, converse_parts, error};
use crate::catalog::Catalog;
use crate::conversation::{Block, Message};
use crate::store::converse_json::to_converse;

/// How many input tokens a request sends, and whether the service counted them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenCount {
    pub tokens: u32,
    /// Counted by CountTokens with the model's tokenizer; else [`estimate`].
    pub exact: bool,
}

/// The input tokens `req` would send: CountTokens (converse input: messages, system, tools as the Converse request would carry them) when the catalog says the model supports it, else — or when the endpoint refuses (ValidationException/AccessDenied/...) — a local estimate.
///
/// CountTokens is asked with the foundation model's id, which it takes for models
/// that are invoked through a profile. Errors that say nothing about counting (no
/// credentials, throttling, an unreachable endpoint) are returned, not hidden behind
/// an estimate.
pub async fn count_input(conn: &Connection, req: &TurnRequest) -> Result<TokenCount, BedrockError> {
    // The estimate loads a 100,000-token BPE table (about 2 MB, and a moment's work): it is made only when
    // the service does not count.
    let estimated = || TokenCount {
        tokens: estimate(req),
        exact: false,
    };
    let Some(model) = Catalog::builtin()
        .lookup(&req.model_id)
        .filter(|m| m.capabilities.count_tokens)
    else {
        return Ok(estimated());
    };
    let (messages, system, tools) = converse_parts(req);
    let input = ConverseTokensRequest::builder()
        .set_messages(Some(messages))
        .set_system(system)
        .set_tool_config(tools)
        .build();
    let sent = conn
        .client
        .count_tokens()
        .model_id(&model.id)
        .input(CountTokensInput::Converse(input))
        .send()
        .await;
    match sent {
        Ok(out) => Ok(TokenCount {
            tokens: u32::try_from(out.input_tokens()).unwrap_or(0),
            exact: true,
        }),
        Err(e) => match error::from_sdk(&e, &req.model_id, conn.profile.as_deref()) {
            BedrockError::Validation { .. }
            | BedrockError::NeedsProfile { .. }
            | BedrockError::AccessDenied { .. }
            | BedrockError::MissingPermission { .. }
            | BedrockError::Other { .. } => Ok(estimated()),
            other => Err(other),
        },
    }
}

/// The local estimate: cl100k BPE over what the request would send, plus a small
/// per-message overhead; documented as an estimate.
///
/// The request is written as the Converse JSON the wire carries (the store's
/// converter) and counted by the local endpoint's own accounting, so against that
/// endpoint it equals the usage reported; a real model's tokenizer differs from cl100k.
/// That accounting is a sum over messages, so a long conversation is counted a slice
/// of messages at a time: its JSON is never all in memory at once (10,000 messages
/// made about 60 MB of it). Attachments sent as bytes are counted from their bytes by
/// the same accounting, not written into the JSON as base64 to be read back.
pub fn estimate(req: &TurnRequest) -> u32 {
    let attachments = req
        .messages
        .iter()
        .flat_map(Message::media)
        .filter_map(crate::attach::tokens)
        .fold(0, u32::saturating_add);
    const SLICE: usize = 256;
    let mut bodies = req.messages.chunks(SLICE).map(|slice| {
        let messages: Vec<Value> = slice.iter().filter_map(sent_message).collect();
        json!({ "messages": messages })
    });
    // The system prompt and the tools go with the first slice.
    let mut first = bodies.next().unwrap_or_else(|| json!({ "messages": [] }));
    if let Some(system) = req.system.as_deref().filter(|s| !s.trim().is_empty()) {
        first["system"] = json!([{ "text": system }]);
    }
    if let Some(tools) = &req.tools {
        first["toolConfig"] = super::convert::tool_config_json(tools);
    }
    std::iter::once(first)
        .chain(bodies)
        .map(|body| {
            // A body the endpoint would refuse (a tool call whose input is null) is
            // still given a size: the tokens of its JSON text.
            crate::local::converse::input_tokens(&body).map_or_else(
                |_| crate::local::tokens::count(&body.to_string()),
                |t| t.total(),
            )
        })
        .fold(attachments, u32::saturating_add)
}

/// A message's Converse JSON without the empty text blocks the Bedrock layer does not
/// send, and without the attachments sent as bytes (counted apart); `None`, like that
/// conversion, when nothing is left to send.
fn sent_message(m: &Message) -> Option<Value> {
    let blocks: Vec<Block> = m
        .blocks
        .iter()
        .filter(|b| !matches!(b, Block::Text(t) if t.is_empty()))
        .filter(|b| !matches!(b, Block::Media(m) if m.data().is_some()))
        .cloned()
        .collect();
    (!blocks.is_empty()).then(|| {
        to_converse(&Message {
            role: m.role,
            blocks,
            model: None,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conversation::{Inference, Role};

    fn request(system: Option<&str>, messages: Vec<Message>) -> TurnRequest {
        TurnRequest {
            model_id: "amazon.nova-lite-v1:0".into(),
            system: system.map(str::to_owned),
            messages,
            inference: Inference::default(),
            guardrail: None,
            tools: None,
        }
    }

    #[test]
    fn the_estimate_counts_text_system_and_message_overhead() {
        let text = "How do I reverse a list in Python?";
        let one = estimate(&request(None, vec![Message::user(text)]));
        assert_eq!(one, crate::local::tokens::count(text) + 4);
        let with_system = estimate(&request(Some("Be brief."), vec![Message::user(text)]));
        assert_eq!(with_system, one + crate::local::tokens::count("Be brief."));
        // A blank system prompt and an empty message are not sent, so not counted.
        let blank = estimate(&request(
            Some("  "),
            vec![Message::user(text), Message::user("")],
        ));
        assert_eq!(blank, one);
    }

    #[test]
    fn attachments_count_from_their_bytes_as_the_endpoint_counts_the_wire_body() {
        use crate::conversation::{Blob, Kind, Media, Source};
        let media = |kind, format: &str, name: &str, data: Vec<u8>| Media {
            kind,
            format: format.into(),
            file: format!("{name}.{format}"),
            name: name.into(),
            source: Source::Bytes(Blob::new(data)),
            citations: false,
        };
        let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
        png.extend(900u32.to_be_bytes());
        png.extend(600u32.to_be_bytes());
        png.extend(b"\x08\x02\0\0\0\0\0\0\0");
        let question = Message::question(
            "What do these show?",
            vec![
                media(Kind::Image, "png", "", png),
                media(
                    Kind::Document,
                    "md",
                    "notes",
                    b"# Notes\nShip on Friday.\n".to_vec(),
                ),
            ],
        );
        let wire = json!({ "messages": [to_converse(&question)] });
        let expected = crate::local::converse::input_tokens(&wire).unwrap().total();
        assert_eq!(estimate(&request(None, vec![question])), expected);
    }

    #[test]
    fn a_long_conversation_counted_in_slices_counts_as_one_body() {
        let messages: Vec<Message> = (0..700)
            .map(|i| {
                let mut m = Message::user(format!("Message {i}: a **short** one, with `code`."));
                if i % 2 == 1 {
                    m.role = Role::Assistant;
                }
                m
            })
            .collect();
        let sent: Vec<Value> = messages.iter().filter_map(sent_message).collect();
        let whole = json!({ "messages": sent, "system": [{ "text": "Be brief." }] });
        let expected = crate::local::converse::input_tokens(&whole).expect("a valid body");
        assert_eq!(
            estimate(&request(Some("Be brief."), messages)),
            expected.total()
        );
        let system = crate::local::tokens::count("Be brief.");
        assert_eq!(estimate(&request(Some("Be brief."), vec![])), system);
    }

    #[test]
    fn the_estimate_counts_tool_calls_as_the_wire_carries_them() {
        let call = Message {
            role: Role::Assistant,
            blocks: vec![Block::ToolUse {
                id: "t1".into(),
                name: "get_weather".into(),
                input: json!({"city": "Paris"}),
            }],
            model: None,
        };
        let count = crate::local::tokens::count;
        assert_eq!(
            estimate(&request(None, vec![call])),
            4 + count("get_weather") + count(r#"{"city":"Paris"}"#)
        );
    }

    #[test]
    fn the_estimate_counts_the_tool_specs() {
        use crate::tools::{Choice, ToolConfig, ToolSpec};
        let plain = request(None, vec![Message::user("Weather in Paris?")]);
        let tools = TurnRequest {
            tools: Some(ToolConfig {
                tools: vec![ToolSpec {
                    name: "get_weather".into(),
                    description: "The current weather in a city, in degrees".into(),
                    input_schema: json!({"type": "object", "properties": {"city": {"type": "string"}}}),
                }],
                choice: Choice::Auto,
            }),
            ..plain.clone()
        };
        let (without, with) = (estimate(&plain), estimate(&tools));
        let count = crate::local::tokens::count;
        assert!(
            with >= without + count("The current weather in a city, in degrees"),
            "{without} {with}"
        );
    }
}
