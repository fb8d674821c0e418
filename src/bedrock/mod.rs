//! The only code that talks to AWS: builds the Bedrock Runtime and control-plane
//! clients from a Bedrock API key or the standard credential chain (or for a custom
//! or in-process local endpoint) and streams turns.

pub mod auth;
pub mod batch;
pub mod control;
mod convert;
pub mod count;
pub(crate) mod error;
pub mod guardrail;
pub mod invoke;
pub mod jobs;
pub mod record;
pub mod s3;
pub mod wire;

use std::sync::Arc;

use anyhow::Context;

use aws_config::{BehaviorVersion, SdkConfig};
use aws_credential_types::Credentials;
use aws_credential_types::provider::ProvideCredentials;
use aws_sdk_bedrockruntime::Client;
use aws_sdk_bedrockruntime::config::Region;
use aws_sdk_bedrockruntime::types::{
    ContentBlockDelta, ContentBlockStart, ConverseStreamOutput, SystemContentBlock,
};

use crate::app::error::BedrockError;
use crate::app::turn::{TurnEvent, TurnRequest};
pub use convert::{document, tool_config_json, value};
pub use count::{TokenCount, count_input, estimate};

use auth::{ApiKeySource, Auth};

use crate::inspect;
use crate::local::{LocalEndpoint, Pacing, Settings};
use crate::sanitize::{self, Tabs};

/// Where requests go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    /// Amazon Bedrock, from the standard chain.
    Aws,
    /// An endpoint given with `--endpoint-url`.
    Custom(String),
    /// The local endpoint, started in-process; `reason` says why when it was not asked for.
    Local { url: String, reason: Option<String> },
}

#[derive(Debug, Clone, Default)]
pub struct ConnectOptions {
    pub profile: Option<String>,
    pub region: Option<String>,
    pub endpoint_url: Option<String>,
    pub local: bool,
    /// Pacing of an in-process local endpoint.
    pub local_pacing: Option<Pacing>,
    /// Without credentials and without an endpoint, start the local endpoint (the
    /// chat, which says so on screen) instead of failing with [`NoCredentials`] (a
    /// command a script runs, which must not get simulated answers unasked).
    pub fallback_local: bool,
    /// Where the config says a Bedrock API key is read from, when
    /// `AWS_BEARER_TOKEN_BEDROCK` does not give one.
    pub api_key: Option<ApiKeySource>,
}

/// No credentials were found and no endpoint was given, with `fallback_local` off.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("no AWS credentials found")]
pub struct NoCredentials {
    /// The region the configuration names, for what can be done without a connection.
    pub region: String,
}

/// Ready clients and what they are connected to.
#[derive(Clone)]
pub struct Connection {
    /// Bedrock Runtime: conversations and invocations.
    pub client: Client,
    /// The Bedrock control plane (model and inference-profile listing), with the same
    /// configuration, credentials and endpoint as `client`.
    pub control: aws_sdk_bedrock::Client,
    /// S3, for the outputs of async invocations: the same configuration, path-style
    /// addressing on a custom or local endpoint (which serves S3 at its base URL).
    pub s3: aws_sdk_s3::Client,
    pub region: String,
    pub endpoint: Endpoint,
    pub profile: Option<String>,
    /// How requests authenticate.
    pub auth: Auth,
    /// Keeps an in-process endpoint alive as long as the connection.
    _local: Option<Arc<LocalEndpoint>>,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("region", &self.region)
            .field("endpoint", &self.endpoint)
            .field("profile", &self.profile)
            .field("auth", &self.auth)
            .finish()
    }
}

fn static_credentials() -> Credentials {
    Credentials::new("local", "local", None, None, "bedrock-tui-local")
}

/// What the standard chain (environment, profile, SSO, instance role) yields, if
/// anything: the one test of whether Amazon Bedrock can be called with SigV4 as it is.
async fn chain_credentials(sdk_config: &SdkConfig) -> Option<auth::Chain> {
    let provider = sdk_config.credentials_provider()?;
    let creds = provider.provide_credentials().await.ok()?;
    Some(auth::chain_of(&creds))
}

/// An HTTP client that also trusts the certificates of `AWS_CA_BUNDLE`, as the AWS CLI
/// and boto3 do (a local endpoint started with `--tls`, a corporate proxy).
fn ca_bundle_client()
-> anyhow::Result<Option<aws_smithy_runtime_api::client::http::SharedHttpClient>> {
    use aws_smithy_http_client::tls;
    let Some(path) = std::env::var_os("AWS_CA_BUNDLE").filter(|p| !p.is_empty()) else {
        return Ok(None);
    };
    let path = std::path::PathBuf::from(path);
    let shown = crate::paths::display_path(&path);
    let pem = std::fs::read(&path).with_context(|| format!("AWS_CA_BUNDLE {shown}"))?;
    let context = tls::TlsContext::builder()
        .with_trust_store(tls::TrustStore::default().with_pem_certificate(pem))
        .build()
        .with_context(|| format!("AWS_CA_BUNDLE {shown}"))?;
    Ok(Some(
        aws_smithy_http_client::Builder::new()
            .tls_provider(tls::Provider::Rustls(
                tls::rustls_provider::CryptoMode::AwsLc,
            ))
            .tls_context(context)
            .build_https(),
    ))
}

/// Resolves region and credentials and builds the clients. A Bedrock API key
/// (`AWS_BEARER_TOKEN_BEDROCK`, else the config's `api_key`) comes first, then the
/// standard chain. Without either and without an endpoint it starts the local
/// endpoint and says why when `opts.fallback_local` is set, and fails with
/// [`NoCredentials`] otherwise.
pub async fn connect(opts: &ConnectOptions) -> anyhow::Result<Connection> {
    let mut loader = aws_config::defaults(BehaviorVersion::latest());
    if let Some(p) = &opts.profile {
        loader = loader.profile_name(p);
    }
    if let Some(r) = &opts.region {
        loader = loader.region(Region::new(r.clone()));
    }
    if let Some(client) = ca_bundle_client()? {
        loader = loader.http_client(client);
    }
    let sdk_config = loader.load().await;
    let region = sdk_config
        .region()
        .map(|r| r.to_string())
        .unwrap_or_else(|| "us-east-1".to_owned());

    let local = |reason: Option<String>| async {
        let settings = Settings {
            pacing: opts.local_pacing.unwrap_or(Pacing {
                ttft: std::time::Duration::from_millis(300),
                tokens_per_second: Some(80.0),
            }),
            region: region.clone(),
            ..Settings::default()
        };
        let ep = LocalEndpoint::start("127.0.0.1:0".parse()?, settings).await?;
        let url = ep.url();
        let setup = Setup {
            url: Some(&url),
            key: None,
            placeholder: true,
        };
        let (client, control, s3) = clients(&sdk_config, &region, &setup);
        anyhow::Ok(Connection {
            client,
            control,
            s3,
            region: region.clone(),
            endpoint: Endpoint::Local { url, reason },
            profile: None,
            auth: Auth::None,
            _local: Some(Arc::new(ep)),
        })
    };

    if opts.local {
        return local(None).await;
    }
    let key = auth::api_key(opts.api_key.as_ref()).await?;
    let chain = if key.is_some() {
        None
    } else {
        chain_credentials(&sdk_config).await
    };
    let auth = match (&key, chain) {
        (Some((_, origin)), _) => Auth::ApiKey(*origin),
        (None, Some(chain)) => Auth::Credentials(chain),
        (None, None) => Auth::None,
    };
    let url = opts.endpoint_url.as_deref();
    if key.is_none() && chain.is_none() && url.is_none() {
        if !opts.fallback_local {
            return Err(NoCredentials { region }.into());
        }
        return local(Some(
            "no AWS credentials found; configure a profile (aws configure / aws sso login), set AWS_BEARER_TOKEN_BEDROCK or pass --profile to use Amazon Bedrock".into(),
        ))
        .await;
    }
    if key.is_some() {
        let url = url.map(str::to_owned).or_else(|| {
            sdk_config
                .endpoint_url()
                .map(str::to_owned)
                .or_else(|| std::env::var("AWS_ENDPOINT_URL_BEDROCK_RUNTIME").ok())
        });
        if let Some(url) = url {
            auth::check_transport(&url)?;
        }
    }
    // Without an explicit URL each client finds its own endpoint, so
    // AWS_ENDPOINT_URL_BEDROCK_RUNTIME and AWS_ENDPOINT_URL_BEDROCK apply separately.
    let setup = Setup {
        url,
        key: key.as_ref().map(|(k, _)| k.as_str()),
        // An endpoint of one's own may serve S3 without checking signatures.
        placeholder: chain.is_none() && (key.is_none() || url.is_some()),
    };
    let (client, control, s3) = clients(&sdk_config, &region, &setup);
    Ok(Connection {
        client,
        control,
        s3,
        region,
        endpoint: match url {
            Some(url) => Endpoint::Custom(url.to_owned()),
            None => Endpoint::Aws,
        },
        profile: opts.profile.clone(),
        auth,
        _local: None,
    })
}

/// How the clients of a connection are set up.
struct Setup<'a> {
    /// Where requests go, when not to AWS itself.
    url: Option<&'a str>,
    /// A Bedrock API key, sent as a bearer token instead of signing.
    key: Option<&'a str>,
    /// Sign with placeholder credentials: an endpoint that does not check them.
    placeholder: bool,
}

/// The runtime, control-plane and S3 clients of one configuration, set up as `setup`
/// says. S3 takes no API key: it signs with the chain's credentials.
fn clients(
    sdk_config: &SdkConfig,
    region: &str,
    setup: &Setup<'_>,
) -> (Client, aws_sdk_bedrock::Client, aws_sdk_s3::Client) {
    let mut runtime = aws_sdk_bedrockruntime::config::Builder::from(sdk_config)
        .region(Region::new(region.to_owned()));
    let mut control =
        aws_sdk_bedrock::config::Builder::from(sdk_config).region(Region::new(region.to_owned()));
    let mut s3 =
        aws_sdk_s3::config::Builder::from(sdk_config).region(Region::new(region.to_owned()));
    if let Some(url) = setup.url {
        runtime = runtime.endpoint_url(url);
        control = control.endpoint_url(url);
        // Bucket names in the host only resolve on AWS itself.
        s3 = s3.endpoint_url(url).force_path_style(true);
    } else if sdk_config.endpoint_url().is_some() {
        s3 = s3.force_path_style(true);
    }
    if let Some(key) = setup.key {
        // Set here whatever its origin, so the key the status bar names is the one sent.
        let bearer = aws_smithy_runtime_api::client::auth::http::HTTP_BEARER_AUTH_SCHEME_ID;
        runtime = runtime
            .bearer_token(aws_sdk_bedrockruntime::config::Token::new(key, None))
            .auth_scheme_preference([bearer.clone()]);
        control = control
            .bearer_token(aws_sdk_bedrock::config::Token::new(key, None))
            .auth_scheme_preference([bearer]);
    }
    if setup.placeholder {
        runtime = runtime.credentials_provider(static_credentials());
        control = control.credentials_provider(static_credentials());
        s3 = s3.credentials_provider(static_credentials());
    }
    (
        Client::from_conf(runtime.build()),
        aws_sdk_bedrock::Client::from_conf(control.build()),
        aws_sdk_s3::Client::from_conf(s3.build()),
    )
}

/// The messages and system prompt of a turn as Converse carries them: messages with
/// nothing to send are left out, as is a blank system prompt. CountTokens counts the
/// same parts, so a count matches what the turn sends.
fn converse_parts(
    req: &TurnRequest,
) -> (
    Vec<aws_sdk_bedrockruntime::types::Message>,
    Option<Vec<SystemContentBlock>>,
    Option<aws_sdk_bedrockruntime::types::ToolConfiguration>,
) {
    let guarded = req.guardrail.is_some();
    let (kept, mut messages): (Vec<_>, Vec<_>) = req
        .messages
        .iter()
        .filter_map(|m| convert::message(m, guarded).map(|sdk| (m.clone(), sdk)))
        .unzip();
    let system_text = req.system.as_deref().filter(|s| !s.trim().is_empty());
    let mut system = system_text.map(|s| vec![SystemContentBlock::Text(s.to_owned())]);
    let mut tools = req.tools.as_ref().and_then(convert::tool_config);
    let model = crate::catalog::Catalog::builtin().lookup(&req.model_id);
    if let Some(plan) = crate::app::cache::plan(
        req.inference.cache,
        model,
        system_text,
        req.tools.as_ref(),
        &kept,
    ) {
        let point = convert::cache_point(plan.ttl);
        if plan.system
            && let Some(s) = &mut system
        {
            s.push(SystemContentBlock::CachePoint(point.clone()));
        }
        if plan.tools
            && let Some(t) = tools.take()
        {
            let mut list = t.tools().to_vec();
            list.push(aws_sdk_bedrockruntime::types::Tool::CachePoint(
                point.clone(),
            ));
            tools = aws_sdk_bedrockruntime::types::ToolConfiguration::builder()
                .set_tools(Some(list))
                .set_tool_choice(t.tool_choice().cloned())
                .build()
                .ok();
        }
        for i in plan.messages {
            messages[i] = convert::with_cache_point(&messages[i], point.clone());
        }
    }
    (messages, system, tools)
}

/// Streams one turn with ConverseStream, calling `emit` for each event. The model's
/// text, reasoning and tool input are sanitized here, where they enter the program, as
/// streams: an escape sequence split across chunks is removed whole. What went over the
/// wire is emitted as `TurnEvent::Exchange` once the response's headers are in and
/// again when the turn ends, however it ends.
pub async fn stream_turn(
    conn: &Connection,
    req: &TurnRequest,
    mut emit: impl FnMut(TurnEvent),
) -> Result<(), BedrockError> {
    let recorder = wire::Recorder::new(conn, "ConverseStream", &req.model_id);
    let result = stream_recorded(conn, req, &recorder, &mut emit).await;
    if let Err(e) = &result {
        recorder.failed(&e.to_string());
    }
    emit(TurnEvent::Exchange(Box::new(recorder.snapshot())));
    result
}

/// The blocks of a streaming answer as the inspector counts them: what each holds, and
/// its deltas and characters.
#[derive(Default)]
struct Blocks(std::collections::BTreeMap<i32, (String, u32, u64)>);

impl Blocks {
    fn add(&mut self, index: i32, content: &str, chars: usize) {
        let b = self
            .0
            .entry(index)
            .or_insert_with(|| (content.to_owned(), 0, 0));
        b.1 += 1;
        b.2 += chars as u64;
    }

    fn stop(&mut self, index: i32) -> Option<inspect::EventKind> {
        let (content, deltas, chars) = self.0.remove(&index)?;
        Some(inspect::EventKind::Block {
            index: index.max(0) as u32,
            content,
            deltas,
            chars,
        })
    }
}

async fn stream_recorded(
    conn: &Connection,
    req: &TurnRequest,
    recorder: &wire::Recorder,
    emit: &mut impl FnMut(TurnEvent),
) -> Result<(), BedrockError> {
    let profile = conn.profile.as_deref();
    let (messages, system, tools) = converse_parts(req);
    let call = conn
        .client
        .converse_stream()
        .model_id(&req.model_id)
        .set_messages(Some(messages))
        .set_system(system)
        .set_inference_config(convert::inference(&req.inference))
        .set_guardrail_config(req.guardrail.as_ref().map(guardrail::stream_config))
        .set_tool_config(tools)
        .set_service_tier(convert::service_tier(req.inference.tier))
        .set_performance_config(convert::performance(req.inference.latency));
    let sent = call.customize().interceptor(recorder.clone()).send().await;
    emit(TurnEvent::Exchange(Box::new(recorder.snapshot())));
    let mut out = sent.map_err(|e| turn_error(&e, req, profile))?;
    let mut text = sanitize::Stream::new(Tabs::Keep);
    let mut reasoning = sanitize::Stream::new(Tabs::Keep);
    let mut tool_input = sanitize::Stream::new(Tabs::Keep);
    let mut blocks = Blocks::default();
    let mut first = true;
    let mut first_token = |recorder: &wire::Recorder| {
        if std::mem::take(&mut first) {
            recorder.event(inspect::EventKind::FirstToken);
        }
    };
    loop {
        let ev = match out.stream.recv().await {
            Ok(Some(ev)) => ev,
            Ok(None) => return Ok(()),
            // A stream that breaks is not retried by the SDK.
            Err(e) => return Err(turn_error(&e, req, profile).not_retried()),
        };
        match ev {
            ConverseStreamOutput::ContentBlockStart(s) => {
                if let Some(ContentBlockStart::ToolUse(t)) = s.start() {
                    first_token(recorder);
                    blocks.add(
                        s.content_block_index(),
                        &format!("toolUse {}", sanitize::keeping_tabs(t.name())),
                        0,
                    );
                    emit(TurnEvent::ToolUseStart {
                        id: sanitize::keeping_tabs(t.tool_use_id()),
                        name: sanitize::keeping_tabs(t.name()),
                    });
                }
            }
            ConverseStreamOutput::ContentBlockDelta(d) => {
                let index = d.content_block_index();
                match d.delta() {
                    Some(ContentBlockDelta::Text(t)) => {
                        first_token(recorder);
                        blocks.add(index, "text", t.chars().count());
                        let piece = text.push(t);
                        if !piece.is_empty() {
                            emit(TurnEvent::Text(piece));
                        }
                    }
                    Some(ContentBlockDelta::ToolUse(t)) => {
                        blocks.add(index, "toolUse", t.input().chars().count());
                        emit(TurnEvent::ToolUseInput(tool_input.push(t.input())))
                    }
                    Some(ContentBlockDelta::Citation(c)) => {
                        blocks.add(index, "text", 0);
                        let mut c = convert::citation(c);
                        c.title = sanitize::keeping_tabs(&c.title);
                        c.quote = sanitize::keeping_tabs(&c.quote);
                        emit(TurnEvent::Citation(c));
                    }
                    Some(ContentBlockDelta::ReasoningContent(r)) => {
                        if let Ok(t) = r.as_text() {
                            first_token(recorder);
                            blocks.add(index, "reasoning", t.chars().count());
                            let piece = reasoning.push(t);
                            if !piece.is_empty() {
                                emit(TurnEvent::Reasoning(piece));
                            }
                        } else if let Ok(s) = r.as_signature() {
                            blocks.add(index, "reasoning", 0);
                            emit(TurnEvent::ReasoningSignature(s.clone()));
                        }
                    }
                    _ => {}
                }
            }
            ConverseStreamOutput::ContentBlockStop(s) => {
                if let Some(kind) = blocks.stop(s.content_block_index()) {
                    recorder.event(kind);
                }
                emit(TurnEvent::BlockStop)
            }
            ConverseStreamOutput::MessageStop(s) => {
                recorder.event(inspect::EventKind::MessageStop {
                    reason: s.stop_reason().as_str().to_owned(),
                });
                emit(TurnEvent::Stop(convert::stop_reason(s.stop_reason())))
            }
            ConverseStreamOutput::Metadata(m) => {
                let usage = m.usage().map(convert::usage).unwrap_or_default();
                let latency_ms = m.metrics().map(|x| x.latency_ms().max(0) as u64);
                recorder.event(inspect::EventKind::Metadata);
                recorder.update(|x| {
                    x.response = Some(inspect::Response {
                        usage: m.usage().map(convert::usage_json),
                        latency_ms,
                        stop_reason: x.events.iter().rev().find_map(|e| match &e.kind {
                            inspect::EventKind::MessageStop { reason } => Some(reason.clone()),
                            _ => None,
                        }),
                        trace: m
                            .trace()
                            .map(|t| {
                                let mut kinds = Vec::new();
                                if t.guardrail().is_some() {
                                    kinds.push("guardrail".to_owned());
                                }
                                if t.prompt_router().is_some() {
                                    kinds.push("promptRouter".to_owned());
                                }
                                kinds
                            })
                            .unwrap_or_default(),
                    })
                });
                emit(TurnEvent::Metadata {
                    usage,
                    latency_ms: latency_ms.unwrap_or(0),
                });
                if let Some(t) = m.trace().and_then(|t| t.guardrail()) {
                    emit(TurnEvent::Guardrail(guardrail::trace(t)));
                }
                if let Some(chosen) = m
                    .trace()
                    .and_then(|t| t.prompt_router())
                    .and_then(|r| r.invoked_model_id())
                {
                    // The profile or model id, without the ARN around it.
                    let id = ["inference-profile/", "foundation-model/"]
                        .iter()
                        .find_map(|k| chosen.split_once(k).map(|(_, id)| id))
                        .unwrap_or(chosen);
                    emit(TurnEvent::Routed(sanitize::keeping_tabs(id)));
                }
            }
            _ => {}
        }
    }
}

/// An SDK error of a turn: about its guardrail when the turn has one and the error
/// names it, else about its model.
fn turn_error<E, R>(
    err: &aws_sdk_bedrockruntime::error::SdkError<E, R>,
    req: &TurnRequest,
    profile: Option<&str>,
) -> BedrockError
where
    E: aws_sdk_bedrockruntime::error::ProvideErrorMetadata + std::error::Error + 'static,
    R: error::Raw + std::fmt::Debug + 'static,
{
    match &req.guardrail {
        Some(choice) if guardrail::names_missing_guardrail(err) => {
            guardrail::error(err, choice, profile)
        }
        _ => error::from_sdk(err, &req.model_id, profile),
    }
}
