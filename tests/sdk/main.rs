//! Integration tests: the real AWS SDK for Rust (SigV4-signed, test credentials)
//! against a local endpoint started on a free loopback port.

mod ask;
mod attach;
mod bad_input;
mod batch_cli;
mod batch_run;
mod cli;
mod compare;
mod control;
mod converse;
mod count;
mod count_tokens;
mod faults;
mod guardrail_cli;
mod guardrails;
mod inspect;
mod invoke_cli;
mod jobs;
mod jobs_cli;
mod jobs_client;
mod mcp;
mod models;
mod native;
mod native_console;
mod routing;
mod snippets;
mod tool_loop;
mod tool_turns;

use aws_credential_types::Credentials;
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_sdk_bedrockruntime::Client;
use aws_sdk_bedrockruntime::config::{BehaviorVersion, Region};
use aws_sdk_bedrockruntime::types::{ContentBlock, ConversationRole, Message};
use aws_smithy_types::retry::RetryConfig;
use bedrock_tui::local::{LocalEndpoint, Settings};

pub const HAIKU3: &str = "anthropic.claude-3-haiku-20240307-v1:0";
pub const SONNET45: &str = "anthropic.claude-sonnet-4-5-20250929-v1:0";
pub const NOVA_LITE: &str = "amazon.nova-lite-v1:0";

pub async fn endpoint() -> LocalEndpoint {
    endpoint_with(Settings::default()).await
}

pub async fn endpoint_with(settings: Settings) -> LocalEndpoint {
    LocalEndpoint::start("127.0.0.1:0".parse().unwrap(), settings)
        .await
        .expect("local endpoint starts")
}

/// Test credentials, the endpoint and no retries: the configuration of every client.
pub fn sdk_config(ep: &LocalEndpoint, region: &str) -> aws_config::SdkConfig {
    aws_config::SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(region.to_owned()))
        .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
            "AKIDLOCALTEST",
            "local-test-secret",
            None,
            None,
            "tests",
        )))
        .endpoint_url(ep.url())
        .retry_config(RetryConfig::disabled())
        .build()
}

pub fn client_for(ep: &LocalEndpoint, region: &str) -> Client {
    Client::new(&sdk_config(ep, region))
}

pub fn client(ep: &LocalEndpoint) -> Client {
    client_for(ep, "us-east-1")
}

/// Asserts that a command exited 0, showing what it said on stderr if not.
pub fn succeeded(out: &std::process::Output) {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

pub fn user(text: &str) -> Message {
    Message::builder()
        .role(ConversationRole::User)
        .content(ContentBlock::Text(text.into()))
        .build()
        .unwrap()
}

pub fn assistant(text: &str) -> Message {
    Message::builder()
        .role(ConversationRole::Assistant)
        .content(ContentBlock::Text(text.into()))
        .build()
        .unwrap()
}

/// The error code and message of an SDK error, whatever the operation.
pub fn code_of<E, R>(err: &aws_sdk_bedrockruntime::error::SdkError<E, R>) -> (String, String)
where
    E: aws_sdk_bedrockruntime::error::ProvideErrorMetadata,
{
    use aws_sdk_bedrockruntime::error::ProvideErrorMetadata;
    (
        err.code().unwrap_or("<none>").to_owned(),
        err.message().unwrap_or("<none>").to_owned(),
    )
}

/// A turn of one question to `model`, with `inference` and nothing else.
pub fn one_question(
    model: &str,
    question: &str,
    inference: bedrock_tui::conversation::Inference,
) -> bedrock_tui::app::turn::TurnRequest {
    bedrock_tui::app::turn::TurnRequest {
        model_id: model.into(),
        system: None,
        messages: vec![bedrock_tui::conversation::Message::user(question)],
        inference,
        guardrail: None,
        tools: None,
    }
}

/// Streams `req` to its end; every event it reported.
pub async fn events_of(
    conn: &bedrock_tui::bedrock::Connection,
    req: &bedrock_tui::app::turn::TurnRequest,
) -> Vec<bedrock_tui::app::turn::TurnEvent> {
    let mut events = Vec::new();
    bedrock_tui::bedrock::stream_turn(conn, req, |e| events.push(e))
        .await
        .unwrap();
    events
}

/// The usage a turn's events report.
pub fn usage_of(events: &[bedrock_tui::app::turn::TurnEvent]) -> bedrock_tui::conversation::Usage {
    events
        .iter()
        .find_map(|e| match e {
            bedrock_tui::app::turn::TurnEvent::Metadata { usage, .. } => Some(*usage),
            _ => None,
        })
        .expect("the stream reported usage")
}
