//! The Converse API's shapes: its request JSON parsed into a model-independent
//! request (and counted, which the app's pre-send estimate uses too), and a generation
//! written back as a Converse response or stream events.

use base64::Engine;
use serde_json::{Map, Value, json};

use super::conversation::{Block, CacheTtl, Message, Request, Role, ToolChoice, ToolSpec};
use super::error::ServiceError;
use super::json::{Obj, Result, objects, root};
use super::media::parse::{self as media, union_error};
use super::simulator::{Citation, Generation, Location, OutBlock};
use super::stream::StreamItem;
use super::tokens::{self, InputTokens};
use super::validate::check_tool_blocks;

/// Token usage of one invocation, as `usage` reports it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Usage {
    pub input: u32,
    pub output: u32,
    pub cache_read: u32,
    /// Tokens written to the cache, whatever their TTL.
    pub cache_write: u32,
    /// The part of `cache_write` written to live an hour.
    pub cache_write_1h: u32,
}

impl Usage {
    pub(crate) fn total(&self) -> u32 {
        self.input + self.output + self.cache_read + self.cache_write
    }

    pub(crate) fn json(&self) -> Value {
        let mut usage = json!({
            "inputTokens": self.input,
            "outputTokens": self.output,
            "totalTokens": self.total(),
            "cacheReadInputTokens": self.cache_read,
            "cacheWriteInputTokens": self.cache_write,
        });
        // What was written, per TTL (`CacheDetail`), longest first as the TTLs are ordered.
        let details: Vec<Value> = [
            ("1h", self.cache_write_1h),
            ("5m", self.cache_write - self.cache_write_1h),
        ]
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .map(|(ttl, n)| json!({"ttl": ttl, "inputTokens": n}))
        .collect();
        if !details.is_empty() {
            usage["cacheDetails"] = Value::Array(details);
        }
        usage
    }
}

/// Parses a Converse/ConverseStream body (or CountTokens' `converse` input).
pub(crate) fn parse(body: &Value) -> Result<Request> {
    let o = root(body)?;
    parse_obj(&o)
}

/// The input tokens of a Converse body as this endpoint bills them (see
/// [`tokens::input`]); an error when the endpoint cannot read the body. A body whose
/// messages only break the tool-use rules is still counted: its size is known, and an
/// estimate made before sending wants it.
pub fn input_tokens(body: &Value) -> Result<InputTokens> {
    read(&root(body)?).map(|req| tokens::input(&req))
}

/// Parses a Converse body's members and checks its tool blocks, as every operation
/// that takes Converse messages does.
pub(crate) fn parse_obj(o: &Obj) -> Result<Request> {
    let req = read(o)?;
    // Checked here rather than with the model's checks, which CountTokens skips: the
    // service refuses these conversations whatever the operation.
    check_tool_blocks(&req, o.has("toolConfig"))?;
    Ok(req)
}

fn read(o: &Obj) -> Result<Request> {
    let mut req = Request::default();
    let mut message_ttls = Vec::new();
    for item in objects(o.req_arr("messages")?, "messages")? {
        let role = match item.req_str("role")? {
            "user" => Role::User,
            "assistant" => Role::Assistant,
            other => {
                return Err(ServiceError::constraint(
                    &item.path("role"),
                    &format!(
                        "Member must satisfy enum value set: [user, assistant] (got '{other}')"
                    ),
                ));
            }
        };
        let content = objects(item.req_arr("content")?, &item.path("content"))?;
        for b in &content {
            if let Some(ttl) = cache_point(b)? {
                message_ttls.push(ttl);
            }
        }
        let blocks = content
            .iter()
            .map(parse_block)
            .collect::<Result<Vec<_>>>()?;
        req.messages.push(Message { role, blocks });
    }
    let mut system_ttls = Vec::new();
    if let Some(system) = o.arr("system")? {
        for s in objects(system, "system")? {
            if let Some(t) = s.str("text")? {
                req.system.push(Some(t.to_owned()));
            } else if let Some(g) = s.child("guardContent")? {
                req.system.push(Some(guard_text(&g)?));
            } else if let Some(ttl) = cache_point(&s)? {
                system_ttls.push(ttl);
                req.system.push(None);
            } else {
                return Err(union_error(&s));
            }
        }
    }
    if let Some(cfg) = o.child("inferenceConfig")? {
        req.max_tokens = cfg.u32("maxTokens")?;
        if req.max_tokens == Some(0) {
            return Err(ServiceError::constraint(
                &cfg.path("maxTokens"),
                "Member must have value greater than or equal to 1",
            ));
        }
        req.temperature = cfg.f64("temperature")?;
        if let Some(t) = req.temperature.filter(|t| !(0.0..=1.0).contains(t)) {
            return Err(ServiceError::validation(format!(
                "1 validation error detected: Value '{t}' at 'inferenceConfig.temperature' failed to satisfy constraint: Member must have value less than or equal to 1"
            )));
        }
        cfg.f64("topP")?;
        req.stop_sequences = cfg.strings("stopSequences")?;
    }
    if let Some(tc) = o.child("toolConfig")? {
        for t in objects(tc.req_arr("tools")?, &tc.path("tools"))? {
            if let Some(spec) = t.child("toolSpec")? {
                let schema = spec
                    .child("inputSchema")?
                    .ok_or_else(|| spec.missing("inputSchema"))?;
                req.tools.push(ToolSpec {
                    name: spec.req_str("name")?.to_owned(),
                    description: spec.str("description")?.unwrap_or_default().to_owned(),
                    schema: schema
                        .get("json")
                        .cloned()
                        .ok_or_else(|| schema.missing("json"))?,
                });
            } else if let Some(ttl) = cache_point(&t)? {
                req.tool_cache_points.push(req.tools.len());
                req.cache_ttls.push(ttl);
            } else if !t.has("systemTool") {
                return Err(union_error(&t));
            }
        }
        if let Some(choice) = tc.child("toolChoice")? {
            req.tool_choice = Some(if choice.has("auto") {
                ToolChoice::Auto
            } else if choice.has("any") {
                ToolChoice::Any
            } else if let Some(t) = choice.child("tool")? {
                ToolChoice::Tool(t.req_str("name")?.to_owned())
            } else {
                return Err(union_error(&choice));
            });
        }
        if let Some(ToolChoice::Tool(name)) = &req.tool_choice
            && !req.tools.iter().any(|t| &t.name == name)
        {
            return Err(ServiceError::validation(format!(
                "The tool {name} in toolChoice is not defined in toolConfig.tools."
            )));
        }
    }
    if let Some(extra) = o.child("additionalModelRequestFields")? {
        req.reasoning_budget = reasoning_budget(&extra)?;
    }
    // The tools' points were pushed as they were read; the service orders the rest after them.
    req.cache_ttls.extend(system_ttls);
    req.cache_ttls.extend(message_ttls);
    Ok(req)
}

/// The TTL of a `cachePoint` member of a block, when the block is one (`CachePointBlock`:
/// `type` must be `default`, `ttl` `5m` or `1h`, five minutes when absent).
fn cache_point(block: &Obj) -> Result<Option<CacheTtl>> {
    let Some(point) = block.child("cachePoint")? else {
        return Ok(None);
    };
    let kind = point.req_str("type")?;
    if kind != "default" {
        return Err(ServiceError::constraint(
            &point.path("type"),
            &format!("Member must satisfy enum value set: [default] (got '{kind}')"),
        ));
    }
    match point.str("ttl")? {
        None => Ok(Some(CacheTtl::default())),
        Some(ttl) => CacheTtl::parse(ttl).map(Some).ok_or_else(|| {
            ServiceError::constraint(
                &point.path("ttl"),
                &format!("Member must satisfy enum value set: [5m, 1h] (got '{ttl}')"),
            )
        }),
    }
}

/// Reads a reasoning request from model-specific fields: Anthropic's `thinking` or
/// Amazon's `reasoningConfig`.
pub(crate) fn reasoning_budget(extra: &Obj) -> Result<Option<u32>> {
    if let Some(thinking) = extra.child("thinking")? {
        return match thinking.req_str("type")? {
            "enabled" => {
                let budget = thinking
                    .u32("budget_tokens")?
                    .ok_or_else(|| thinking.missing("budget_tokens"))?;
                if budget < 1024 {
                    return Err(ServiceError::validation(
                        "thinking.enabled.budget_tokens: Input should be greater than or equal to 1024",
                    ));
                }
                Ok(Some(budget))
            }
            "disabled" => Ok(None),
            other => Err(ServiceError::validation(format!(
                "thinking.type: Input tag '{other}' found using 'type' does not match any of the expected tags: 'disabled', 'enabled'"
            ))),
        };
    }
    if let Some(cfg) = extra.child("reasoningConfig")?
        && cfg.str("type")? == Some("enabled")
    {
        let budget = match cfg.str("maxReasoningEffort")? {
            Some("high") => 8192,
            Some("medium") => 4096,
            _ => 1024,
        };
        return Ok(Some(budget));
    }
    Ok(None)
}

fn guard_text(g: &Obj) -> Result<String> {
    let text = g.child("text")?.ok_or_else(|| union_error(g))?;
    Ok(text.req_str("text")?.to_owned())
}

/// Decodes a base64 blob member.
pub(crate) fn blob(o: &Obj, key: &str) -> Result<Vec<u8>> {
    let s = o.req_str(key)?;
    base64::engine::general_purpose::STANDARD
        .decode(s)
        .map_err(|_| {
            ServiceError::constraint(&o.path(key), "Member must be valid base64-encoded data")
        })
}

fn parse_block(b: &Obj) -> Result<Block> {
    if let Some(t) = b.str("text")? {
        return Ok(Block::Text(t.to_owned()));
    }
    if let Some(img) = b.child("image")? {
        return Ok(Block::Image(media::image(&img)?));
    }
    if let Some(video) = b.child("video")? {
        return Ok(Block::Video(media::video(&video)?));
    }
    if let Some(doc) = b.child("document")? {
        return Ok(Block::Document(media::document(&doc)?));
    }
    if let Some(tu) = b.child("toolUse")? {
        return Ok(Block::ToolUse {
            id: tu.req_str("toolUseId")?.to_owned(),
            name: tu.req_str("name")?.to_owned(),
            input: tu
                .get("input")
                .cloned()
                .ok_or_else(|| tu.missing("input"))?,
        });
    }
    if let Some(tr) = b.child("toolResult")? {
        let mut content = Vec::new();
        for c in objects(tr.req_arr("content")?, &tr.path("content"))? {
            if let Some(t) = c.str("text")? {
                content.push(t.to_owned());
            } else if let Some(j) = c.get("json") {
                content.push(j.to_string());
            } else if c.has("image") || c.has("document") || c.has("video") {
                content.push("[attachment]".to_owned());
            } else {
                return Err(union_error(&c));
            }
        }
        return Ok(Block::ToolResult {
            id: tr.req_str("toolUseId")?.to_owned(),
            content: content.join("\n"),
            error: tr.str("status")? == Some("error"),
        });
    }
    if let Some(r) = b.child("reasoningContent")? {
        let text = match r.child("reasoningText")? {
            Some(rt) => rt.req_str("text")?.to_owned(),
            None => String::new(),
        };
        return Ok(Block::Reasoning { text });
    }
    if let Some(g) = b.child("guardContent")? {
        return Ok(Block::GuardContent(guard_text(&g)?));
    }
    if b.has("cachePoint") {
        return Ok(Block::CachePoint);
    }
    if let Some(c) = b.child("citationsContent")? {
        return Ok(Block::Text(media::citations_content(&c)?));
    }
    if b.has("searchResult") {
        return Ok(Block::Text(
            b.map
                .values()
                .next()
                .map(Value::to_string)
                .unwrap_or_default(),
        ));
    }
    Err(union_error(b))
}

/// A citation's members, as both `Citation` and the stream's `CitationsDelta` have them.
fn citation_json(c: &Citation) -> Value {
    let (kind, document, start, end) = match c.location {
        Location::Char {
            document,
            start,
            end,
        } => ("documentChar", document, start, end),
        Location::Page {
            document,
            start,
            end,
        } => ("documentPage", document, start, end),
        Location::Chunk {
            document,
            start,
            end,
        } => ("documentChunk", document, start, end),
    };
    json!({
        "title": c.title,
        "sourceContent": [{"text": c.quote}],
        "location": {kind: {"documentIndex": document, "start": start, "end": end}},
    })
}

fn block_json(b: &OutBlock) -> Value {
    match b {
        OutBlock::Text(t) => json!({"text": t}),
        OutBlock::Cited { text, citations } => json!({"citationsContent": {
            "content": [{"text": text}],
            "citations": citations.iter().map(citation_json).collect::<Vec<_>>(),
        }}),
        OutBlock::Reasoning { text, signature } => {
            json!({"reasoningContent": {"reasoningText": {"text": text, "signature": signature}}})
        }
        OutBlock::ToolUse { id, name, input } => {
            json!({"toolUse": {"toolUseId": id, "name": name, "input": input}})
        }
    }
}

/// The Converse response body.
pub(crate) fn response(
    g: &Generation,
    usage: Usage,
    latency_ms: u64,
    trace: Option<Value>,
) -> Value {
    let mut body = json!({
        "output": {"message": {"role": "assistant", "content": g.blocks.iter().map(block_json).collect::<Vec<_>>()}},
        "stopReason": g.stop.converse(),
        "usage": usage.json(),
        "metrics": {"latencyMs": latency_ms},
    });
    if let Some(t) = trace {
        body["trace"] = t;
    }
    body
}

/// The ConverseStream events of a generation, up to and including `messageStop`.
pub(crate) fn stream_items(g: &Generation) -> Vec<StreamItem> {
    let mut items = vec![StreamItem::event(
        "messageStart",
        json!({"role": "assistant"}),
        0,
    )];
    for (i, b) in g.blocks.iter().enumerate() {
        let idx = i as u32;
        let delta = |delta: Value, tokens| {
            StreamItem::event(
                "contentBlockDelta",
                json!({"delta": delta, "contentBlockIndex": idx}),
                tokens,
            )
        };
        match b {
            OutBlock::Text(t) => {
                items.extend(
                    tokens::pieces(t)
                        .into_iter()
                        .map(|(p, n)| delta(json!({"text": p}), n)),
                );
            }
            OutBlock::Cited { text, citations } => {
                // Anthropic's models announce a citation before the text it backs, and
                // the service passes it on in that order, on the text's block index.
                items.extend(
                    citations
                        .iter()
                        .map(|c| delta(json!({"citation": citation_json(c)}), 0)),
                );
                items.extend(
                    tokens::pieces(text)
                        .into_iter()
                        .map(|(p, n)| delta(json!({"text": p}), n)),
                );
            }
            OutBlock::Reasoning { text, signature } => {
                items.extend(
                    tokens::pieces(text)
                        .into_iter()
                        .map(|(p, n)| delta(json!({"reasoningContent": {"text": p}}), n)),
                );
                items.push(delta(
                    json!({"reasoningContent": {"signature": signature}}),
                    0,
                ));
            }
            OutBlock::ToolUse { id, name, input } => {
                items.push(StreamItem::event(
                    "contentBlockStart",
                    json!({"start": {"toolUse": {"toolUseId": id, "name": name}}, "contentBlockIndex": idx}),
                    tokens::count(name),
                ));
                items.extend(
                    json_chunks(&input.to_string())
                        .into_iter()
                        .map(|(p, n)| delta(json!({"toolUse": {"input": p}}), n)),
                );
            }
        }
        items.push(StreamItem::event(
            "contentBlockStop",
            json!({"contentBlockIndex": idx}),
            0,
        ));
    }
    items.push(StreamItem::event(
        "messageStop",
        json!({"stopReason": g.stop.converse()}),
        0,
    ));
    items
}

/// Splits serialized JSON into token-sized pieces, as models stream tool input.
pub(crate) fn json_chunks(s: &str) -> Vec<(String, u32)> {
    tokens::pieces(s)
}

/// The final `metadata` event.
pub(crate) fn metadata(usage: Usage, latency_ms: u64, trace: Option<Value>) -> Value {
    let mut m = Map::new();
    m.insert("usage".into(), usage.json());
    m.insert("metrics".into(), json!({"latencyMs": latency_ms}));
    if let Some(t) = trace {
        m.insert("trace".into(), t);
    }
    Value::Object(m)
}
