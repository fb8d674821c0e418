//! The only code that talks to AWS: builds the Bedrock Runtime and control-plane
//! clients from the standard credential chain (or a custom or in-process local
//! endpoint) and streams turns.

pub mod control;
mod convert;
pub mod count;
pub(crate) mod error;
pub mod guardrail;
pub mod jobs;
pub mod s3;

use std::sync::Arc;

use aws_config::{BehaviorVersion, SdkConfig};
use aws_credential_types::Credentials;
use aws_credential_types::provider::ProvideCredentials;
use aws_sdk_bedrockruntime::Client;
use aws_sdk_bedrockruntime::config::Region;
use aws_sdk_bedrockruntime::types::{
    ContentBlockDelta, ContentBlockStart, ConverseStreamOutput, SystemContentBlock,
};

pub use crate::app::turn::{TurnEvent, TurnRequest};
pub use convert::{document, value};
pub use count::{TokenCount, count_input, estimate};
pub use error::BedrockError;

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
    /// Keeps an in-process endpoint alive as long as the connection.
    _local: Option<Arc<LocalEndpoint>>,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("region", &self.region)
            .field("endpoint", &self.endpoint)
            .field("profile", &self.profile)
            .finish()
    }
}

fn static_credentials() -> Credentials {
    Credentials::new("local", "local", None, None, "bedrock-tui-local")
}

/// Whether the standard chain (environment, profile, SSO, instance role) yields
/// credentials: the one test of whether Amazon Bedrock can be called as it is.
async fn has_credentials(sdk_config: &SdkConfig) -> bool {
    match sdk_config.credentials_provider() {
        Some(p) => p.provide_credentials().await.is_ok(),
        None => false,
    }
}

/// Resolves region and credentials and builds the clients. Without credentials and
/// without an endpoint it starts the local endpoint and says why when
/// `opts.fallback_local` is set, and fails with [`NoCredentials`] otherwise.
pub async fn connect(opts: &ConnectOptions) -> anyhow::Result<Connection> {
    let mut loader = aws_config::defaults(BehaviorVersion::latest());
    if let Some(p) = &opts.profile {
        loader = loader.profile_name(p);
    }
    if let Some(r) = &opts.region {
        loader = loader.region(Region::new(r.clone()));
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
        let (client, control, s3) = clients(&sdk_config, &region, Some(&url), true);
        anyhow::Ok(Connection {
            client,
            control,
            s3,
            region: region.clone(),
            endpoint: Endpoint::Local { url, reason },
            profile: None,
            _local: Some(Arc::new(ep)),
        })
    };

    if opts.local {
        return local(None).await;
    }
    let has_credentials = has_credentials(&sdk_config).await;
    if let Some(url) = &opts.endpoint_url {
        let (client, control, s3) = clients(&sdk_config, &region, Some(url), !has_credentials);
        return Ok(Connection {
            client,
            control,
            s3,
            region,
            endpoint: Endpoint::Custom(url.clone()),
            profile: opts.profile.clone(),
            _local: None,
        });
    }
    if !has_credentials {
        if !opts.fallback_local {
            return Err(NoCredentials { region }.into());
        }
        return local(Some(
            "no AWS credentials found; configure a profile (aws configure / aws sso login) or pass --profile to use Amazon Bedrock".into(),
        ))
        .await;
    }
    // Without an explicit URL each client finds its own endpoint, so
    // AWS_ENDPOINT_URL_BEDROCK_RUNTIME and AWS_ENDPOINT_URL_BEDROCK apply separately.
    let (client, control, s3) = clients(&sdk_config, &region, None, false);
    Ok(Connection {
        client,
        control,
        s3,
        region,
        endpoint: Endpoint::Aws,
        profile: opts.profile.clone(),
        _local: None,
    })
}

/// The runtime, control-plane and S3 clients of one configuration, sent to `url` when
/// given, and signing with placeholder credentials when `placeholder_credentials` is set.
fn clients(
    sdk_config: &SdkConfig,
    region: &str,
    url: Option<&str>,
    placeholder_credentials: bool,
) -> (Client, aws_sdk_bedrock::Client, aws_sdk_s3::Client) {
    let mut runtime = aws_sdk_bedrockruntime::config::Builder::from(sdk_config)
        .region(Region::new(region.to_owned()));
    let mut control =
        aws_sdk_bedrock::config::Builder::from(sdk_config).region(Region::new(region.to_owned()));
    let mut s3 =
        aws_sdk_s3::config::Builder::from(sdk_config).region(Region::new(region.to_owned()));
    if let Some(url) = url {
        runtime = runtime.endpoint_url(url);
        control = control.endpoint_url(url);
        // Bucket names in the host only resolve on AWS itself.
        s3 = s3.endpoint_url(url).force_path_style(true);
    } else if sdk_config.endpoint_url().is_some() {
        s3 = s3.force_path_style(true);
    }
    if placeholder_credentials {
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
) {
    let guarded = req.guardrail.is_some();
    let messages = req
        .messages
        .iter()
        .filter_map(|m| convert::message(m, guarded))
        .collect();
    let system = req
        .system
        .as_deref()
        .filter(|s| !s.trim().is_empty())
        .map(|s| vec![SystemContentBlock::Text(s.to_owned())]);
    (messages, system)
}

/// Streams one turn with ConverseStream, calling `emit` for each event. The model's
/// text, reasoning and tool input are sanitized here, where they enter the program, as
/// streams: an escape sequence split across chunks is removed whole.
pub async fn stream_turn(
    conn: &Connection,
    req: &TurnRequest,
    mut emit: impl FnMut(TurnEvent),
) -> Result<(), BedrockError> {
    let profile = conn.profile.as_deref();
    let (messages, system) = converse_parts(req);
    let call = conn
        .client
        .converse_stream()
        .model_id(&req.model_id)
        .set_messages(Some(messages))
        .set_system(system)
        .set_inference_config(convert::inference(&req.inference))
        .set_guardrail_config(req.guardrail.as_ref().map(guardrail::stream_config));
    let mut out = call
        .send()
        .await
        .map_err(|e| turn_error(&e, req, profile))?;
    let mut text = sanitize::Stream::new(Tabs::Keep);
    let mut reasoning = sanitize::Stream::new(Tabs::Keep);
    let mut tool_input = sanitize::Stream::new(Tabs::Keep);
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
                    emit(TurnEvent::ToolUseStart {
                        id: sanitize::keeping_tabs(t.tool_use_id()),
                        name: sanitize::keeping_tabs(t.name()),
                    });
                }
            }
            ConverseStreamOutput::ContentBlockDelta(d) => match d.delta() {
                Some(ContentBlockDelta::Text(t)) => {
                    let piece = text.push(t);
                    if !piece.is_empty() {
                        emit(TurnEvent::Text(piece));
                    }
                }
                Some(ContentBlockDelta::ToolUse(t)) => {
                    emit(TurnEvent::ToolUseInput(tool_input.push(t.input())))
                }
                Some(ContentBlockDelta::ReasoningContent(r)) => {
                    if let Ok(t) = r.as_text() {
                        let piece = reasoning.push(t);
                        if !piece.is_empty() {
                            emit(TurnEvent::Reasoning(piece));
                        }
                    } else if let Ok(s) = r.as_signature() {
                        emit(TurnEvent::ReasoningSignature(s.clone()));
                    }
                }
                _ => {}
            },
            ConverseStreamOutput::ContentBlockStop(_) => emit(TurnEvent::BlockStop),
            ConverseStreamOutput::MessageStop(s) => {
                emit(TurnEvent::Stop(convert::stop_reason(s.stop_reason())))
            }
            ConverseStreamOutput::Metadata(m) => {
                emit(TurnEvent::Metadata {
                    usage: m.usage().map(convert::usage).unwrap_or_default(),
                    latency_ms: m
                        .metrics()
                        .map(|x| x.latency_ms().max(0) as u64)
                        .unwrap_or(0),
                });
                if let Some(t) = m.trace().and_then(|t| t.guardrail()) {
                    emit(TurnEvent::Guardrail(guardrail::trace(t)));
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
