//! The Bedrock Runtime operations of the local endpoint: model resolution, faults, the
//! simulated model's run (after `validate` checked the request), and the reply in each
//! API's shape; and the dispatch of every route, the control plane's included.

use std::time::{Duration, Instant};

use bedrock_catalog::{Model, resolve};
use serde_json::{Value, json};

use super::control;
use super::conversation::Request;
use super::converse::{self, Usage};
use super::error::{ErrorKind, ServiceError};
use super::faults::{self, Fault};
use super::guardrail::{self, Guard, Verdict};
use super::jobs;
use super::json::{self, root};
use super::media;
use super::native::{self, Invocation, Parsed};
use super::router::Route;
use super::simulator::{self, Generation};
use super::state::State;
use super::stream::{Interrupt, Plan, StreamItem, Timing};
use super::tokens;
use super::validate::{check_conversation, input_usage, max_tokens};

/// A request as the operations see it.
pub(crate) struct Call<'a> {
    pub route: &'a Route,
    pub region: &'a str,
    pub headers: &'a http::HeaderMap,
    /// The query string, without the `?` (empty when there is none).
    pub query: &'a str,
    pub body: &'a [u8],
    pub started: Instant,
    /// A fault drawn from the server's fault rate for this request.
    pub drawn: Option<Fault>,
}

pub(crate) enum Reply {
    Json {
        body: Value,
        headers: Vec<(&'static str, String)>,
    },
    Stream {
        plan: Plan,
        headers: Vec<(&'static str, String)>,
    },
    /// Close the connection without a response.
    Drop,
}

type Result<T> = std::result::Result<T, ServiceError>;

impl Reply {
    /// A JSON body without extra headers.
    pub(crate) fn json(body: Value) -> Reply {
        Reply::Json {
            body,
            headers: Vec::new(),
        }
    }
}

pub(crate) async fn run(state: &State, call: Call<'_>) -> Result<Reply> {
    match call.route {
        Route::Converse(id) => converse_op(state, &call, id, false).await,
        Route::ConverseStream(id) => converse_op(state, &call, id, true).await,
        Route::InvokeModel(id) => invoke_op(state, &call, id, false).await,
        Route::InvokeModelWithResponseStream(id) => invoke_op(state, &call, id, true).await,
        Route::CountTokens(id) => count_tokens(state, &call, id).await,
        Route::InvokeModelWithBidirectionalStream(id) => {
            let model = resolve(state.catalog, id, call.region)?.model;
            Err(ServiceError::validation(format!(
                "The model {} doesn't support bidirectional streaming.",
                model.id
            )))
        }
        Route::ApplyGuardrail { id, version } => guardrail::apply(state, &call, id, version).await,
        Route::InvokeGuardrailChecks => Err(ServiceError::validation(
            "InvokeGuardrailChecks is not available on this endpoint.",
        )),
        Route::StartAsyncInvoke => jobs::start(state, &call).await,
        Route::ListAsyncInvokes => jobs::list(state, &call).await,
        Route::GetAsyncInvoke(arn) => jobs::get(state, &call, arn).await,
        Route::ListFoundationModels => {
            control::list_foundation_models(state.catalog, call.region, call.query).map(Reply::json)
        }
        Route::GetFoundationModel(id) => {
            control::get_foundation_model(state.catalog, call.region, id).map(Reply::json)
        }
        Route::ListInferenceProfiles => {
            control::list_inference_profiles(state.catalog, call.region, call.query)
                .map(Reply::json)
        }
        Route::GetInferenceProfile(id) => {
            control::get_inference_profile(state.catalog, call.region, id).map(Reply::json)
        }
        Route::LocalRequests | Route::LocalHealth | Route::Unknown => {
            Err(ServiceError::validation("Unknown operation"))
        }
    }
}

/// Faults asked for by directives in the request's last user message, and the drawn one.
fn faults_of(call: &Call, req: &Request) -> Result<Vec<Fault>> {
    let mut all = faults::directives(&req.last_user_text())?;
    all.extend(call.drawn);
    Ok(all)
}

/// Applies the faults that act before anything is sent; returns what interrupts a stream.
async fn apply_faults(faults: &[Fault]) -> Result<Option<Interrupt>> {
    let mut interrupt = None;
    for f in faults {
        match f {
            Fault::Error(kind) => return Err(ServiceError::of(*kind)),
            Fault::Stall(d) => tokio::time::sleep(*d).await,
            Fault::StreamError(n) => interrupt = Some(Interrupt::Exception(*n)),
            Fault::Drop(n) => interrupt = Some(Interrupt::Drop(*n)),
        }
    }
    Ok(interrupt)
}

/// Waits as long as the model would take to produce `output` tokens before answering.
async fn pace_whole(state: &State, output: u32) {
    let p = state.settings.pacing;
    let generating = p
        .tokens_per_second
        .map(|tps| Duration::from_secs_f64(f64::from(output) / tps))
        .unwrap_or_default();
    tokio::time::sleep(p.ttft + generating).await;
}

struct Prepared {
    generation: Generation,
    usage: Usage,
    interrupt: Option<Interrupt>,
}

/// Validates, applies faults and runs the simulated model.
async fn prepare(
    state: &State,
    call: &Call<'_>,
    model: &Model,
    req: &Request,
    streaming: bool,
    native: bool,
) -> Result<Prepared> {
    let faults = faults_of(call, req)?;
    // A native body was already checked by its family's own rules, which differ from
    // Converse's (a Titan transcript's preamble is not a system prompt, for example).
    if !native {
        check_conversation(req, model, streaming)?;
    }
    let max = max_tokens(req, model)?;
    let interrupt = apply_faults(&faults).await?;
    let mut usage = input_usage(state, req, model)?;
    let generation = simulator::generate(req, max);
    usage.output = generation.output_tokens;
    Ok(Prepared {
        generation,
        usage,
        interrupt,
    })
}

fn text_model(state: &State, call: &Call, id: &str) -> Result<&'static Model> {
    let model = resolve(state.catalog, id, call.region)?.model;
    let _ = state;
    Ok(model)
}

async fn converse_op(state: &State, call: &Call<'_>, id: &str, streaming: bool) -> Result<Reply> {
    let model = text_model(state, call, id)?;
    if !model.capabilities.converse {
        return Err(ServiceError::validation(
            "This action doesn't support the model that you provided. Try again with a supported text or chat model.",
        ));
    }
    if streaming && !model.capabilities.streaming {
        return Err(native::streaming_unsupported());
    }
    let body = json::parse_body(call.body)?;
    let mut req = converse::parse(&body)?;
    media::load(state, call.region, &mut req).await;
    let guard = Guard::converse(state, call.region, &body, streaming)?;
    let (generation, usage, interrupt, verdict) = match &guard {
        None => {
            let p = prepare(state, call, model, &req, streaming, false).await?;
            (p.generation, p.usage, p.interrupt, Verdict::default())
        }
        Some(g) => {
            // The request is validated before the guardrail reads it.
            faults_of(call, &req)?;
            check_conversation(&req, model, streaming)?;
            max_tokens(&req, model)?;
            let input = g.screen_converse_input(&mut req, &body);
            if input.blocked() {
                let interrupt = apply_faults(&faults_of(call, &req)?).await?;
                let (generation, verdict) = g.blocked_input(input);
                (generation, Usage::default(), interrupt, verdict)
            } else {
                let p = prepare(state, call, model, &req, streaming, false).await?;
                let (generation, verdict) = g.screen_output(input, p.generation, streaming);
                (generation, p.usage, p.interrupt, verdict)
            }
        }
    };
    if interrupt.is_some() && !streaming {
        return drop_or_fail(interrupt);
    }
    if !streaming {
        pace_whole(state, usage.output).await;
        let latency = call.started.elapsed().as_millis() as u64;
        let mut body = converse::response(&generation, usage, latency, verdict.converse_trace());
        verdict.mark_response(&mut body);
        return Ok(Reply::Json {
            body,
            headers: Vec::new(),
        });
    }
    tokio::time::sleep(state.settings.pacing.ttft).await;
    let mut items = converse::stream_items(&generation);
    verdict.mark_events(&mut items);
    let trace = verdict.converse_trace();
    Ok(Reply::Stream {
        plan: Plan {
            items,
            tail: Box::new(move |t: Timing| {
                vec![StreamItem::event(
                    "metadata",
                    converse::metadata(usage, t.total_ms, trace),
                    0,
                )]
            }),
            interrupt,
        },
        headers: Vec::new(),
    })
}

/// A non-streaming call hit by a mid-stream fault fails as the stream would have.
fn drop_or_fail(interrupt: Option<Interrupt>) -> Result<Reply> {
    match interrupt {
        Some(Interrupt::Drop(_)) => Ok(Reply::Drop),
        _ => Err(ServiceError::of(ErrorKind::ModelError)),
    }
}

fn header<'a>(call: &'a Call, name: &str) -> Option<&'a str> {
    call.headers.get(name).and_then(|v| v.to_str().ok())
}

fn invocation_metrics(usage: Usage, t: Timing) -> Value {
    json!({
        "inputTokenCount": usage.input,
        "outputTokenCount": usage.output,
        "invocationLatency": t.total_ms,
        "firstByteLatency": t.first_byte_ms,
        "cacheReadInputTokenCount": usage.cache_read,
        "cacheWriteInputTokenCount": usage.cache_write,
    })
}

async fn invoke_op(state: &State, call: &Call<'_>, id: &str, streaming: bool) -> Result<Reply> {
    let model = text_model(state, call, id)?;
    let guard = Guard::invoke(state, call.region, call.headers, call.body)?;
    if streaming && !(native::supports_streaming(model) && model.capabilities.streaming) {
        return Err(native::streaming_unsupported());
    }
    let body = guard.as_ref().map_or(call.body, |(_, b)| b.as_slice());
    let mut parsed: Parsed = match native::parse(model, body)? {
        Invocation::Generate(p) => p,
        Invocation::Embed {
            response,
            input_tokens,
        } => {
            let latency = call.started.elapsed().as_millis() as u64;
            return Ok(Reply::Json {
                body: response,
                headers: vec![
                    ("x-amzn-bedrock-input-token-count", input_tokens.to_string()),
                    ("x-amzn-bedrock-invocation-latency", latency.to_string()),
                ],
            });
        }
    };
    let (generation, usage, interrupt, verdict) = match &guard {
        None => {
            let p = prepare(state, call, model, &parsed.request, streaming, true).await?;
            (p.generation, p.usage, p.interrupt, Verdict::default())
        }
        Some((g, _)) => {
            faults_of(call, &parsed.request)?;
            max_tokens(&parsed.request, model)?;
            let input = g.screen_native_input(&mut parsed.request);
            if input.blocked() {
                let interrupt = apply_faults(&faults_of(call, &parsed.request)?).await?;
                let (generation, verdict) = g.blocked_input(input);
                (generation, Usage::default(), interrupt, verdict)
            } else {
                let p = prepare(state, call, model, &parsed.request, streaming, true).await?;
                let (generation, verdict) = g.screen_output(input, p.generation, streaming);
                (generation, p.usage, p.interrupt, verdict)
            }
        }
    };
    let perf = header(call, "x-amzn-bedrock-performanceconfig-latency")
        .unwrap_or("standard")
        .to_owned();
    if !streaming {
        if interrupt.is_some() {
            return drop_or_fail(interrupt);
        }
        pace_whole(state, usage.output).await;
        let latency = call.started.elapsed().as_millis() as u64;
        let mut body = native::response(model, &parsed, &generation, usage);
        verdict.mark_native(&mut body);
        return Ok(Reply::Json {
            body,
            headers: native_headers(usage, latency, perf),
        });
    }
    tokio::time::sleep(state.settings.pacing.ttft).await;
    let mut items = native::chunks(model, &parsed, &generation, usage);
    verdict.mark_chunks(&mut items);
    Ok(native_stream(
        items,
        usage,
        verdict.native_trace(),
        interrupt,
        perf,
    ))
}

/// The headers of a native InvokeModel response: its usage, latency and performance
/// configuration.
fn native_headers(usage: Usage, latency_ms: u64, perf: String) -> Vec<(&'static str, String)> {
    vec![
        ("x-amzn-bedrock-input-token-count", usage.input.to_string()),
        (
            "x-amzn-bedrock-output-token-count",
            usage.output.to_string(),
        ),
        ("x-amzn-bedrock-invocation-latency", latency_ms.to_string()),
        (
            "x-amzn-bedrock-cache-read-input-token-count",
            usage.cache_read.to_string(),
        ),
        (
            "x-amzn-bedrock-cache-write-input-token-count",
            usage.cache_write.to_string(),
        ),
        ("x-amzn-bedrock-performanceconfig-latency", perf),
    ]
}

/// A native stream of `items`, whose last chunk also carries the invocation metrics
/// (known only once the stream has run) and the guardrail trace.
fn native_stream(
    mut items: Vec<StreamItem>,
    usage: Usage,
    trace: Option<Value>,
    interrupt: Option<Interrupt>,
    perf: String,
) -> Reply {
    let last = items.pop();
    Reply::Stream {
        plan: Plan {
            items,
            tail: Box::new(move |t: Timing| {
                let mut last = last.unwrap_or_else(|| StreamItem::chunk(json!({}), 0));
                if let Value::Object(map) = &mut last.payload {
                    map.insert(
                        "amazon-bedrock-invocationMetrics".into(),
                        invocation_metrics(usage, t),
                    );
                    if let Some(trace) = trace {
                        map.insert("amazon-bedrock-trace".into(), trace);
                    }
                }
                vec![last]
            }),
            interrupt,
        },
        headers: vec![
            ("x-amzn-bedrock-content-type", "application/json".into()),
            ("x-amzn-bedrock-performanceconfig-latency", perf),
        ],
    }
}

async fn count_tokens(state: &State, call: &Call<'_>, id: &str) -> Result<Reply> {
    let model = match resolve(state.catalog, id, call.region) {
        Ok(r) => r.model,
        // Counting invokes nothing, so a profile-only model may be named by its bare id.
        Err(bedrock_catalog::ResolveError::NeedsProfile(bare)) => state
            .catalog
            .get(&bare)
            .ok_or_else(|| ServiceError::validation("The provided model identifier is invalid."))?,
        Err(e) => return Err(e.into()),
    };
    let body = json::parse_body(call.body)?;
    let o = root(&body)?;
    let input = o.child("input")?.ok_or_else(|| o.missing("input"))?;
    if !model.capabilities.count_tokens {
        return Err(ServiceError::validation(format!(
            "The provided model doesn't support counting tokens. Model: {}",
            model.id
        )));
    }
    let req = if let Some(c) = input.child("converse")? {
        let mut req = converse::parse_obj(&c)?;
        // The model's own checks are skipped, as for the rest of a counted body; the
        // attachments must still be ones the service would read.
        media::load(state, call.region, &mut req).await;
        media::rules::check_request(&req)?;
        media::rules::check_found(&req)?;
        req
    } else if let Some(inv) = input.child("invokeModel")? {
        let bytes = converse::blob(&inv, "body")?;
        match native::parse(model, &bytes)? {
            Invocation::Generate(p) => p.request,
            Invocation::Embed { input_tokens, .. } => {
                return Ok(Reply::Json {
                    body: json!({ "inputTokens": input_tokens }),
                    headers: Vec::new(),
                });
            }
        }
    } else {
        return Err(ServiceError::validation(
            "1 validation error detected: Value at 'input' failed to satisfy constraint: Member must have exactly one of converse or invokeModel set",
        ));
    };
    for f in faults_of(call, &req)? {
        if let Fault::Error(kind) = f {
            return Err(ServiceError::of(kind));
        }
    }
    Ok(Reply::Json {
        body: json!({ "inputTokens": tokens::input(&req).total() }),
        headers: Vec::new(),
    })
}
