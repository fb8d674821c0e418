//! Conversions between the app's conversation types and the SDK's Converse types.

use aws_sdk_bedrockruntime::types as sdk;
use aws_smithy_types::{Document, Number};
use serde_json::Value;

use crate::conversation::{
    Block, Inference, Kind, Media, Message, Role, Source, StopReason, Usage,
};

pub fn document(v: &Value) -> Document {
    match v {
        Value::Null => Document::Null,
        Value::Bool(b) => Document::Bool(*b),
        Value::Number(n) => Document::Number(if let Some(u) = n.as_u64() {
            Number::PosInt(u)
        } else if let Some(i) = n.as_i64() {
            Number::NegInt(i)
        } else {
            Number::Float(n.as_f64().unwrap_or(0.0))
        }),
        Value::String(s) => Document::String(s.clone()),
        Value::Array(a) => Document::Array(a.iter().map(document).collect()),
        Value::Object(o) => {
            Document::Object(o.iter().map(|(k, v)| (k.clone(), document(v))).collect())
        }
    }
}

pub fn value(d: &Document) -> Value {
    match d {
        Document::Null => Value::Null,
        Document::Bool(b) => Value::Bool(*b),
        Document::Number(Number::PosInt(u)) => Value::from(*u),
        Document::Number(Number::NegInt(i)) => Value::from(*i),
        Document::Number(Number::Float(f)) => Value::from(*f),
        Document::String(s) => Value::String(s.clone()),
        Document::Array(a) => Value::Array(a.iter().map(value).collect()),
        Document::Object(o) => {
            Value::Object(o.iter().map(|(k, v)| (k.clone(), value(v))).collect())
        }
    }
}

fn block(b: &Block) -> Option<sdk::ContentBlock> {
    Some(match b {
        Block::Text(t) if t.is_empty() => return None,
        Block::Text(t) => sdk::ContentBlock::Text(t.clone()),
        // A cited answer goes back as its text: every model reads text, and the
        // citations are for the reader.
        Block::Cited { text, .. } if text.is_empty() => return None,
        Block::Cited { text, .. } => sdk::ContentBlock::Text(text.clone()),
        Block::Media(m) => media(m)?,
        Block::Reasoning { text, signature } => {
            let rt = sdk::ReasoningTextBlock::builder()
                .text(text)
                .set_signature(signature.clone())
                .build()
                .ok()?;
            sdk::ContentBlock::ReasoningContent(sdk::ReasoningContentBlock::ReasoningText(rt))
        }
        Block::ToolUse { id, name, input } => sdk::ContentBlock::ToolUse(
            sdk::ToolUseBlock::builder()
                .tool_use_id(id)
                .name(name)
                .input(document(input))
                .build()
                .ok()?,
        ),
        Block::ToolResult { id, content, error } => sdk::ContentBlock::ToolResult(
            sdk::ToolResultBlock::builder()
                .tool_use_id(id)
                .set_content(Some(
                    content
                        .iter()
                        .map(|c| match c {
                            crate::tools::Content::Text(t) => {
                                sdk::ToolResultContentBlock::Text(t.clone())
                            }
                            crate::tools::Content::Json(v) => {
                                sdk::ToolResultContentBlock::Json(document(v))
                            }
                        })
                        .collect(),
                ))
                .set_status(error.then_some(sdk::ToolResultStatus::Error))
                .build()
                .ok()?,
        ),
    })
}

fn s3_location(uri: &str, bucket_owner: &Option<String>) -> Option<sdk::S3Location> {
    sdk::S3Location::builder()
        .uri(uri)
        .set_bucket_owner(bucket_owner.clone())
        .build()
        .ok()
}

/// An image, document or video block; `None` for a format the SDK does not know.
fn media(m: &Media) -> Option<sdk::ContentBlock> {
    use aws_smithy_types::Blob;
    let bytes = |b: &crate::conversation::Blob| Blob::new(b.data.to_vec());
    Some(match m.kind {
        Kind::Image => {
            let source = match &m.source {
                Source::Bytes(b) => sdk::ImageSource::Bytes(bytes(b)),
                Source::S3 { uri, bucket_owner } => {
                    sdk::ImageSource::S3Location(s3_location(uri, bucket_owner)?)
                }
            };
            sdk::ContentBlock::Image(
                sdk::ImageBlock::builder()
                    .format(sdk::ImageFormat::from(m.format.as_str()))
                    .source(source)
                    .build()
                    .ok()?,
            )
        }
        Kind::Document => {
            let source = match &m.source {
                Source::Bytes(b) => sdk::DocumentSource::Bytes(bytes(b)),
                Source::S3 { uri, bucket_owner } => {
                    sdk::DocumentSource::S3Location(s3_location(uri, bucket_owner)?)
                }
            };
            let citations = m
                .citations
                .then(|| sdk::CitationsConfig::builder().enabled(true).build().ok())
                .flatten();
            sdk::ContentBlock::Document(
                sdk::DocumentBlock::builder()
                    .format(sdk::DocumentFormat::from(m.format.as_str()))
                    .name(&m.name)
                    .source(source)
                    .set_citations(citations)
                    .build()
                    .ok()?,
            )
        }
        Kind::Video => {
            let source = match &m.source {
                Source::Bytes(b) => sdk::VideoSource::Bytes(bytes(b)),
                Source::S3 { uri, bucket_owner } => {
                    sdk::VideoSource::S3Location(s3_location(uri, bucket_owner)?)
                }
            };
            sdk::ContentBlock::Video(
                sdk::VideoBlock::builder()
                    .format(sdk::VideoFormat::from(m.format.as_str()))
                    .source(source)
                    .build()
                    .ok()?,
            )
        }
    })
}

/// The app's citation of the SDK's (a streamed `citation` delta).
pub fn citation(c: &sdk::CitationsDelta) -> crate::conversation::Citation {
    use crate::conversation::{Citation, Place};
    let quote = c
        .source_content()
        .iter()
        .filter_map(|p| p.text())
        .collect::<Vec<_>>()
        .join(" ");
    let n = |v: Option<i32>| v.and_then(|v| u32::try_from(v).ok()).unwrap_or(0);
    let (place, document, start, end) = match c.location() {
        Some(sdk::CitationLocation::DocumentChar(l)) => (
            Some(Place::Chars),
            n(l.document_index()),
            n(l.start()),
            n(l.end()),
        ),
        Some(sdk::CitationLocation::DocumentPage(l)) => (
            Some(Place::Pages),
            n(l.document_index()),
            n(l.start()),
            n(l.end()),
        ),
        Some(sdk::CitationLocation::DocumentChunk(l)) => (
            Some(Place::Chunks),
            n(l.document_index()),
            n(l.start()),
            n(l.end()),
        ),
        _ => (None, 0, 0, 0),
    };
    Citation {
        title: c.title().unwrap_or_default().to_owned(),
        quote,
        place,
        document,
        start,
        end,
    }
}

/// A question's text: the parts marked for the guardrail become `guardContent` blocks
/// when `guarded`, and are sent as plain text otherwise.
fn question_text(t: &str, guarded: bool) -> Vec<sdk::ContentBlock> {
    use crate::guardrail::content::{Part, has_guarded, plain, split};
    if !has_guarded(t) {
        return block(&Block::Text(t.to_owned())).into_iter().collect();
    }
    if !guarded {
        return vec![sdk::ContentBlock::Text(plain(t))];
    }
    split(t)
        .into_iter()
        .filter_map(|p| match p {
            Part::Text(t) => Some(sdk::ContentBlock::Text(t.to_owned())),
            Part::Guarded(t) => sdk::GuardrailConverseTextBlock::builder()
                .text(t)
                .build()
                .ok()
                .map(|b| {
                    sdk::ContentBlock::GuardContent(sdk::GuardrailConverseContentBlock::Text(b))
                }),
        })
        .collect()
}

/// The SDK message of an app message; `None` when nothing in it can be sent. With
/// `guarded` (the turn has a guardrail), a question's marked parts are `guardContent`.
pub fn message(m: &Message, guarded: bool) -> Option<sdk::Message> {
    let blocks: Vec<_> = m
        .blocks
        .iter()
        .flat_map(|b| match (b, m.role) {
            (Block::Text(t), Role::User) => question_text(t, guarded),
            _ => block(b).into_iter().collect(),
        })
        .collect();
    if blocks.is_empty() {
        return None;
    }
    sdk::Message::builder()
        .role(match m.role {
            Role::User => sdk::ConversationRole::User,
            Role::Assistant => sdk::ConversationRole::Assistant,
        })
        .set_content(Some(blocks))
        .build()
        .ok()
}

pub fn inference(i: &Inference) -> Option<sdk::InferenceConfiguration> {
    if *i == Inference::default() {
        return None;
    }
    Some(
        sdk::InferenceConfiguration::builder()
            .set_max_tokens(i.max_tokens.map(|n| n.min(i32::MAX as u32) as i32))
            .set_temperature(i.temperature)
            .set_top_p(i.top_p)
            .set_stop_sequences((!i.stop_sequences.is_empty()).then(|| i.stop_sequences.clone()))
            .build(),
    )
}

/// The turn's tools as Converse's `toolConfig`.
pub fn tool_config(t: &crate::tools::ToolConfig) -> Option<sdk::ToolConfiguration> {
    use crate::tools::Choice;
    let tools = t
        .tools
        .iter()
        .filter_map(|spec| {
            sdk::ToolSpecification::builder()
                .name(&spec.name)
                .set_description((!spec.description.is_empty()).then(|| spec.description.clone()))
                .input_schema(sdk::ToolInputSchema::Json(document(&spec.input_schema)))
                .build()
                .ok()
                .map(sdk::Tool::ToolSpec)
        })
        .collect();
    let choice = match &t.choice {
        Choice::Auto => sdk::ToolChoice::Auto(sdk::AutoToolChoice::builder().build()),
        Choice::Any => sdk::ToolChoice::Any(sdk::AnyToolChoice::builder().build()),
        Choice::Tool(name) => {
            sdk::ToolChoice::Tool(sdk::SpecificToolChoice::builder().name(name).build().ok()?)
        }
    };
    sdk::ToolConfiguration::builder()
        .set_tools(Some(tools))
        .tool_choice(choice)
        .build()
        .ok()
}

/// The turn's tools as the `toolConfig` JSON the wire carries.
pub fn tool_config_json(t: &crate::tools::ToolConfig) -> Value {
    use crate::tools::Choice;
    let tools: Vec<Value> = t
        .tools
        .iter()
        .map(|s| {
            let mut spec = serde_json::json!({
                "name": s.name,
                "inputSchema": { "json": s.input_schema },
            });
            if !s.description.is_empty() {
                spec["description"] = Value::String(s.description.clone());
            }
            serde_json::json!({ "toolSpec": spec })
        })
        .collect();
    let choice = match &t.choice {
        Choice::Auto => serde_json::json!({ "auto": {} }),
        Choice::Any => serde_json::json!({ "any": {} }),
        Choice::Tool(name) => serde_json::json!({ "tool": { "name": name } }),
    };
    serde_json::json!({ "tools": tools, "toolChoice": choice })
}

pub fn stop_reason(s: &sdk::StopReason) -> StopReason {
    match s {
        sdk::StopReason::EndTurn => StopReason::EndTurn,
        sdk::StopReason::MaxTokens => StopReason::MaxTokens,
        sdk::StopReason::StopSequence => StopReason::StopSequence,
        sdk::StopReason::ToolUse => StopReason::ToolUse,
        sdk::StopReason::GuardrailIntervened => StopReason::GuardrailIntervened,
        sdk::StopReason::ContentFiltered => StopReason::ContentFiltered,
        other => StopReason::Other(other.as_str().to_owned()),
    }
}

pub fn usage(u: &sdk::TokenUsage) -> Usage {
    let n = |x: i32| u32::try_from(x).unwrap_or(0);
    Usage {
        input: n(u.input_tokens()),
        output: n(u.output_tokens()),
        cache_read: u.cache_read_input_tokens().map(n).unwrap_or(0),
        cache_write: u.cache_write_input_tokens().map(n).unwrap_or(0),
    }
}

/// The usage as the service's JSON names it, for the inspector: the cache counts only
/// when the service sent them.
pub fn usage_json(u: &sdk::TokenUsage) -> serde_json::Value {
    let mut v = serde_json::json!({
        "inputTokens": u.input_tokens(),
        "outputTokens": u.output_tokens(),
        "totalTokens": u.total_tokens(),
    });
    if let Some(n) = u.cache_read_input_tokens() {
        v["cacheReadInputTokens"] = n.into();
    }
    if let Some(n) = u.cache_write_input_tokens() {
        v["cacheWriteInputTokens"] = n.into();
    }
    if !u.cache_details().is_empty() {
        v["cacheDetails"] = u
            .cache_details()
            .iter()
            .map(|d| serde_json::json!({"ttl": d.ttl().as_str(), "inputTokens": d.input_tokens()}))
            .collect();
    }
    v
}

/// A checkpoint of the prompt cache, with its TTL.
pub fn cache_point(ttl: crate::conversation::Cache) -> sdk::CachePointBlock {
    let ttl = match ttl {
        crate::conversation::Cache::OneHour => sdk::CacheTtl::OneHour,
        _ => sdk::CacheTtl::FiveMinutes,
    };
    // The builder fails only without a type, which is set.
    sdk::CachePointBlock::builder()
        .r#type(sdk::CachePointType::Default)
        .ttl(ttl)
        .build()
        .unwrap_or_else(|_| unreachable!("a cache point with its type set builds"))
}

/// `m` with a cache checkpoint after its content.
pub fn with_cache_point(m: &sdk::Message, point: sdk::CachePointBlock) -> sdk::Message {
    let mut content = m.content().to_vec();
    content.push(sdk::ContentBlock::CachePoint(point));
    sdk::Message::builder()
        .role(m.role().clone())
        .set_content(Some(content))
        .build()
        .unwrap_or_else(|_| m.clone())
}

/// `serviceTier`, when one is asked for.
pub fn service_tier(tier: Option<crate::conversation::Tier>) -> Option<sdk::ServiceTier> {
    use crate::conversation::Tier;
    let t = match tier? {
        Tier::Default => sdk::ServiceTierType::Default,
        Tier::Priority => sdk::ServiceTierType::Priority,
        Tier::Flex => sdk::ServiceTierType::Flex,
    };
    sdk::ServiceTier::builder().r#type(t).build().ok()
}

/// `performanceConfig`, sent only for optimized latency (standard is the default).
pub fn performance(latency: crate::conversation::Latency) -> Option<sdk::PerformanceConfiguration> {
    match latency {
        crate::conversation::Latency::Standard => None,
        crate::conversation::Latency::Optimized => Some(
            sdk::PerformanceConfiguration::builder()
                .latency(sdk::PerformanceConfigLatency::Optimized)
                .build(),
        ),
    }
}
