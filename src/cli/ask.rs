//! `bedrock-tui ask`: one question, the answer streamed to stdout, errors to stderr.

use std::io::Write;

use clap::Args;
use serde_json::json;

use super::common::{ConnectArgs, OneShot, PromptArgs};
use crate::bedrock::{self, TurnEvent, TurnRequest};
use crate::conversation::{Inference, Message, StopReason, Usage};

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
