//! `bedrock-tui ask`: one question, the answer streamed to stdout, errors to stderr.

use std::io::{Read, Write};

use clap::Args;
use serde_json::json;

use crate::bedrock::{self, ConnectOptions, Endpoint, TurnEvent, TurnRequest};
use crate::catalog::{Catalog, invocation_id};
use crate::conversation::{Inference, Message, StopReason, Usage};
use crate::local::Pacing;

pub const DEFAULT_MODEL: &str = "anthropic.claude-haiku-4-5-20251001-v1:0";

/// Options shared by every command that talks to Bedrock.
#[derive(Debug, Clone, Args)]
pub struct ConnectArgs {
    /// AWS profile (default: AWS_PROFILE or the default profile).
    #[arg(long, env = "AWS_PROFILE")]
    pub profile: Option<String>,
    /// AWS region (default: from the profile or AWS_REGION).
    #[arg(long)]
    pub region: Option<String>,
    /// Send requests to this Bedrock endpoint (runtime and control plane) instead of AWS.
    #[arg(long)]
    pub endpoint_url: Option<String>,
    /// Start the local endpoint in-process and use it.
    #[arg(long, conflicts_with = "endpoint_url")]
    pub local: bool,
}

impl ConnectArgs {
    pub fn options(&self, local_pacing: Option<Pacing>) -> ConnectOptions {
        ConnectOptions {
            profile: self.profile.clone(),
            region: self.region.clone(),
            endpoint_url: self.endpoint_url.clone(),
            local: self.local,
            local_pacing,
        }
    }
}

/// The prompt, model and system prompt of a one-shot command (`ask`, `count`).
#[derive(Debug, Clone, Args)]
pub struct PromptArgs {
    /// The prompt; `-` or nothing reads it from standard input.
    pub prompt: Option<String>,
    /// Model id, inference profile id or ARN [default: the config's `model`, else
    /// Claude Haiku 4.5].
    #[arg(long)]
    pub model: Option<String>,
    /// System prompt.
    #[arg(long)]
    pub system: Option<String>,
}

/// What a one-shot command starts from: the prompt read, the connection made and
/// the model id to send, with what the flags leave out taken from `config`.
pub(crate) struct OneShot {
    pub prompt: String,
    pub conn: bedrock::Connection,
    pub model_id: String,
    pub system: Option<String>,
}

impl OneShot {
    pub(crate) async fn start(
        args: &PromptArgs,
        connect: &ConnectArgs,
        config: &crate::config::Config,
    ) -> anyhow::Result<Self> {
        let prompt = prompt_text(args.prompt.as_deref())?;
        let model = args
            .model
            .clone()
            .or(config.model.clone())
            .unwrap_or_else(|| DEFAULT_MODEL.to_owned());
        let conn = self::connect(connect, config).await?;
        let model_id = invocation_id(Catalog::builtin(), &model, &conn.region);
        Ok(OneShot {
            prompt,
            conn,
            model_id,
            system: args.system.clone().or(config.system.clone()),
        })
    }
}

#[derive(Debug, Args)]
pub struct Ask {
    #[command(flatten)]
    pub input: PromptArgs,
    #[arg(long)]
    pub max_tokens: Option<u32>,
    #[arg(long)]
    pub temperature: Option<f32>,
    /// Print the whole response as JSON at the end instead of streaming text.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub connect: ConnectArgs,
}

/// The connection of a one-shot command, saying on stderr when it fell back to the
/// local endpoint.
pub(crate) async fn connect(
    connect: &ConnectArgs,
    config: &crate::config::Config,
) -> anyhow::Result<bedrock::Connection> {
    let conn =
        bedrock::connect(&config.connect_options(connect.options(Some(Pacing::OFF)))).await?;
    if let Endpoint::Local {
        reason: Some(r), ..
    } = &conn.endpoint
    {
        eprintln!("bedrock-tui: using the local endpoint: {r}");
    }
    Ok(conn)
}

/// The text of a one-shot command: the argument, or standard input for `-` or none.
pub(crate) fn prompt_text(prompt: Option<&str>) -> anyhow::Result<String> {
    let text = match prompt {
        Some(p) if p != "-" => p.to_owned(),
        _ => {
            let mut s = String::new();
            std::io::stdin().read_to_string(&mut s)?;
            s
        }
    };
    if text.trim().is_empty() {
        anyhow::bail!("the prompt is empty: pass it as an argument or on standard input");
    }
    Ok(text.replace("\r\n", "\n"))
}

/// Asks the question; what the flags leave out comes from `config`.
pub async fn run(args: Ask, config: crate::config::Config) -> anyhow::Result<()> {
    let OneShot {
        prompt,
        conn,
        model_id,
        system,
    } = OneShot::start(&args.input, &args.connect, &config).await?;
    let req = TurnRequest {
        model_id: model_id.clone(),
        system,
        messages: vec![Message::user(prompt)],
        inference: Inference {
            max_tokens: args.max_tokens.or(config.inference.max_tokens),
            temperature: args.temperature.or(config.inference.temperature),
            ..config.inference
        },
        guardrail: None,
    };
    let mut text = String::new();
    let mut stop: Option<StopReason> = None;
    let mut usage = Usage::default();
    let mut latency = 0;
    let mut out = std::io::stdout().lock();
    let streaming = !args.json;
    let mut write_err = None;
    let result = bedrock::stream_turn(&conn, &req, |ev| match ev {
        TurnEvent::Text(t) => {
            if streaming && write_err.is_none() {
                let clean = crate::sanitize::text(&t);
                if let Err(e) = out.write_all(clean.as_bytes()).and_then(|()| out.flush()) {
                    write_err = Some(e);
                }
            }
            text.push_str(&t);
        }
        TurnEvent::Stop(s) => stop = Some(s),
        TurnEvent::Metadata {
            usage: u,
            latency_ms,
        } => {
            usage = u;
            latency = latency_ms;
        }
        _ => {}
    })
    .await;
    if let Some(e) = write_err {
        return Err(e.into());
    }
    result.map_err(|e| anyhow::anyhow!("{e}"))?;
    if args.json {
        let body = json!({
            "model": model_id,
            "text": text,
            "stopReason": stop,
            "usage": {
                "inputTokens": usage.input,
                "outputTokens": usage.output,
                "cacheReadInputTokens": usage.cache_read,
                "cacheWriteInputTokens": usage.cache_write,
            },
            "latencyMs": latency,
        });
        writeln!(out, "{}", serde_json::to_string_pretty(&body)?)?;
    } else if !text.ends_with('\n') {
        writeln!(out)?;
    }
    Ok(())
}
