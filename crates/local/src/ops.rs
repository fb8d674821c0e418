//! The Bedrock Runtime operations of the local endpoint: model resolution, faults, the
//! simulated model's run (after `validate` checked the request), and the reply in each
//! API's shape; and the dispatch of every route, the control plane's included.

use std::time::{Duration, Instant};

use bedrock_catalog::{Model, resolve};
use serde_json::{Value, json};

use super::batch;
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
use super::profiles;
use super::router::Route;
use super::simulator::{self, Generation};
use super::state::State;
use super::stream::{Interrupt, Pacing, Plan, StreamItem, Timing};
use super::tiers;
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
        Route::CreateModelInvocationJob => batch::create(state, &call).await,
        Route::GetModelInvocationJob(id) => batch::get(state, &call, id).await,
        Route::ListModelInvocationJobs => batch::list(state, &call).await,
        Route::StopModelInvocationJob(id) => batch::stop(state, &call, id).await,
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
        Route::ListPromptRouters => {
            profiles::list_routers(state.catalog, call.region, call.query).map(Reply::json)
        }
        Route::GetPromptRouter(arn) => {
            profiles::get_router(state.catalog, call.region, arn).map(Reply::json)
        }
        Route::LocalRequests | Route::LocalHealth | Route::Unknown => {
            Err(ServiceError::validation("Unknown operation"))
        }
    }
}

/// Faults asked for by directives in the request's last user message, those of the
/// routes that fail for its model id, and the drawn one.
fn faults_of(state: &State, call: &Call, req: &Request) -> Result<Vec<Fault>> {
    let text = req.last_user_text();
    let mut all = faults::directives(&text)?;
    if let Some(id) = call.route.model_id() {
        all.extend(faults::route_faults(
            &state.settings.fail_routes,
            &text,
            id,
        )?);
    }
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
async fn pace_whole(p: Pacing, output: u32) {
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
    let faults = faults_of(state, call, req)?;
    // A native body was already checked by its family's own rules, which differ from
    // Converse's (a Titan transcript's preamble is not a system prompt, for example).
    if !native {
        check_conversation(req, model, streaming)?;
    }
    let max = max_tokens(req, model)?;
    let interrupt = apply_faults(&faults).await?;
    let mut usage = input_usage(state, req, model)?;
    // The quota reserves the input and the most the answer may take, then keeps what it took.
    let reserved = u64::from(usage.total()) + u64::from(max);
    let ticket = state
        .quotas
        .admit(call.region, &model.id, reserved, Instant::now())?;
    let generation = simulator::generate(req, max);
    usage.output = generation.output_tokens;
    if let Some(t) = ticket {
        state.quotas.settle(&t, u64::from(usage.total()));
    }
    Ok(Prepared {
        generation,
        usage,
        interrupt,
    })
}

/// The model behind a model id, and for a prompt router the ARN of the model it chose
/// for `question`.
fn routed_model(
    state: &State,
    call: &Call,
    id: &str,
    question: &str,
) -> Result<(&'static Model, Option<String>)> {
    match profiles::target(state.catalog, call.region, id, question) {
        Some(target) => {
            let target = target?;
            let model = resolve(state.catalog, &target.id, call.region)?.model;
            Ok((model, target.invoked))
        }
        None => Ok((resolve(state.catalog, id, call.region)?.model, None)),
    }
}

fn text_model(state: &State, call: &Call, id: &str) -> Result<&'static Model> {
    routed_model(state, call, id, "").map(|(model, _)| model)
}

/// The question a prompt router reads: the last user message of a Converse body that
/// names a router (and only then: other bodies are read once, later).
fn router_question(id: &str, body: &[u8]) -> String {
    if !id.contains(":default-prompt-router/") {
        return String::new();
    }
    json::parse_body(body)
        .ok()
        .and_then(|b| converse::parse(&b).ok())
        .map(|r| r.last_user_text())
        .unwrap_or_default()
}

/// A trace with the prompt router's choice added, when a router chose.
fn with_router(trace: Option<Value>, invoked: Option<String>) -> Option<Value> {
    let Some(arn) = invoked else {
        return trace;
    };
    let mut t = trace.unwrap_or_else(|| json!({}));
    t["promptRouter"] = json!({"invokedModelId": arn});
    Some(t)
}

/// Adds the echo of the request's tier and latency to a response object.
fn echo(options: &tiers::Options, mut body: Value) -> Value {
    if let Value::Object(map) = &mut body {
        options.echo(map);
    }
    body
}

async fn converse_op(state: &State, call: &Call<'_>, id: &str, streaming: bool) -> Result<Reply> {
    let (model, invoked) = routed_model(state, call, id, &router_question(id, call.body))?;
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
    let options = tiers::Options::converse(&root(&body)?)?;
    options.check(model)?;
    let pacing = options.pacing(state.settings.pacing);
    media::load(state, call.region, &mut req).await;
    let guard = Guard::converse(state, call.region, &body, streaming)?;
    let (generation, usage, interrupt, verdict) = match &guard {
        None => {
            let p = prepare(state, call, model, &req, streaming, false).await?;
            (p.generation, p.usage, p.interrupt, Verdict::default())
        }
        Some(g) => {
            // The request is validated before the guardrail reads it.
            faults_of(state, call, &req)?;
            check_conversation(&req, model, streaming)?;
            max_tokens(&req, model)?;
            let input = g.screen_converse_input(&mut req, &body);
            if input.blocked() {
                let interrupt = apply_faults(&faults_of(state, call, &req)?).await?;
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
    let trace = with_router(verdict.converse_trace(), invoked);
    let nominal = tiers::nominal_ms(pacing, usage.output);
    if !streaming {
        pace_whole(pacing, usage.output).await;
        let latency = nominal.unwrap_or_else(|| call.started.elapsed().as_millis() as u64);
        let mut body = echo(
            &options,
            converse::response(&generation, usage, latency, trace),
        );
        verdict.mark_response(&mut body);
        return Ok(Reply::Json {
            body,
            headers: Vec::new(),
        });
    }
    tokio::time::sleep(pacing.ttft).await;
    let mut items = converse::stream_items(&generation);
    verdict.mark_events(&mut items);
    Ok(Reply::Stream {
        plan: Plan {
            pacing,
            items,
            tail: Box::new(move |t: Timing| {
                let latency = nominal.unwrap_or(t.total_ms);
                let metadata = converse::metadata(usage, latency, trace);
                vec![StreamItem::event("metadata", echo(&options, metadata), 0)]
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
    let options = tiers::Options::headers(call.headers)?;
    options.check(model)?;
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
            state.quotas.admit(
                call.region,
                &model.id,
                u64::from(input_tokens),
                Instant::now(),
            )?;
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
            faults_of(state, call, &parsed.request)?;
            max_tokens(&parsed.request, model)?;
            let input = g.screen_native_input(&mut parsed.request);
            if input.blocked() {
                let interrupt = apply_faults(&faults_of(state, call, &parsed.request)?).await?;
                let (generation, verdict) = g.blocked_input(input);
                (generation, Usage::default(), interrupt, verdict)
            } else {
                let p = prepare(state, call, model, &parsed.request, streaming, true).await?;
                let (generation, verdict) = g.screen_output(input, p.generation, streaming);
                (generation, p.usage, p.interrupt, verdict)
            }
        }
    };
    let pacing = options.pacing(state.settings.pacing);
    if !streaming {
        if interrupt.is_some() {
            return drop_or_fail(interrupt);
        }
        pace_whole(pacing, usage.output).await;
        let latency = tiers::nominal_ms(pacing, usage.output)
            .unwrap_or_else(|| call.started.elapsed().as_millis() as u64);
        let mut body = native::response(model, &parsed, &generation, usage);
        verdict.mark_native(&mut body);
        let mut headers = native_headers(usage, latency);
        headers.extend(options.response_headers());
        return Ok(Reply::Json { body, headers });
    }
    tokio::time::sleep(pacing.ttft).await;
    let mut items = native::chunks(model, &parsed, &generation, usage);
    verdict.mark_chunks(&mut items);
    Ok(native_stream(
        items,
        usage,
        verdict.native_trace(),
        interrupt,
        (pacing, options.response_headers()),
    ))
}

/// The headers of a native InvokeModel response: its usage and latency.
fn native_headers(usage: Usage, latency_ms: u64) -> Vec<(&'static str, String)> {
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
    ]
}

/// A native stream of `items`, whose last chunk also carries the invocation metrics
/// (known only once the stream has run) and the guardrail trace.
fn native_stream(
    mut items: Vec<StreamItem>,
    usage: Usage,
    trace: Option<Value>,
    interrupt: Option<Interrupt>,
    (pacing, tier_headers): (Pacing, Vec<(&'static str, String)>),
) -> Reply {
    let last = items.pop();
    let mut headers = vec![("x-amzn-bedrock-content-type", "application/json".into())];
    headers.extend(tier_headers);
    Reply::Stream {
        plan: Plan {
            pacing,
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
        headers,
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
    for f in faults_of(state, call, &req)? {
        if let Fault::Error(kind) = f {
            return Err(ServiceError::of(kind));
        }
    }
    Ok(Reply::Json {
        body: json!({ "inputTokens": tokens::input(&req).total() }),
        headers: Vec::new(),
    })
}
