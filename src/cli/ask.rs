//! `bedrock-tui ask`: one question, the answer streamed to stdout, errors to stderr.

use std::io::Write;

use clap::Args;
use serde_json::json;

use super::common::{ConnectArgs, OneShot, PromptArgs};
use super::output;
use crate::app::turn::{TurnEvent, TurnRequest};
use crate::bedrock;
use crate::conversation::{Inference, StopReason, Usage};

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
    /// Offer the config's tools ([[tools]], [[mcp_servers]]) and run the tool loop:
    /// calls of tools marked auto_approve run, any other is declined (see --yes). Each
    /// call is said on standard error.
    #[arg(long)]
    pub tools: bool,
    /// With --tools: run every call the model makes without asking.
    #[arg(long, requires = "tools")]
    pub yes: bool,
    /// Ask 2 to 4 models or profiles at once (comma-separated) instead of --model:
    /// each answer in turn, then a table of time to first token, speed, tokens, stop
    /// reason and cost. Exits with 1 when any of them failed.
    #[arg(long, value_name = "A,B,...", value_delimiter = ',', conflicts_with_all = ["tools", "model"])]
    pub compare: Vec<String>,
    #[command(flatten)]
    pub connect: ConnectArgs,
}

/// How long streamed text may wait in the buffer before it is written.
const FLUSH_EVERY: std::time::Duration = std::time::Duration::from_millis(16);

/// Asks the question; what the flags leave out comes from `config`.
pub async fn run(args: Ask, config: crate::config::Config) -> anyhow::Result<()> {
    let mut input = args.input.clone();
    if !args.compare.is_empty() {
        super::compare::check(&args.compare)?;
        // The prompt and its attachments are read once, for the first model; each
        // model checks them again for itself.
        input.model = args.compare.first().cloned();
    }
    let OneShot { conn, turn } = OneShot::start(&input, &args.connect, &config).await?;
    let req = TurnRequest {
        inference: Inference {
            max_tokens: args.max_tokens.or(config.inference.max_tokens),
            temperature: args.temperature.or(config.inference.temperature),
            ..config.inference.clone()
        },
        ..turn
    };
    if args.tools {
        return with_tools(&args, &conn, req, &config).await;
    }
    if !args.compare.is_empty() {
        let prices = crate::pricing::Prices::builtin().with_overrides(&config.prices);
        return super::compare::run(&conn, req, &args.compare, &prices, args.json).await;
    }
    let mut text = String::new();
    let mut stop: Option<StopReason> = None;
    let mut usage = Usage::default();
    let mut latency = 0;
    let mut citations: Vec<crate::conversation::Citation> = Vec::new();
    // Standard output is line-buffered: a line is written when it ends, and the rest of
    // a line is flushed on a timer rather than after every token.
    let out = std::cell::RefCell::new(output::stdout());
    let unflushed = std::cell::Cell::new(false);
    let streaming = !args.json;
    // The answer comes sanitized from `stream_turn`, as one text.
    let mut ends_line = false;
    let write_err = std::cell::RefCell::new(None::<std::io::Error>);
    let write_failed = tokio::sync::Notify::new();
    let result = {
        let turn = bedrock::stream_turn(&conn, &req, |ev| match ev {
            TurnEvent::Text(t) => {
                if streaming && write_err.borrow().is_none() {
                    ends_line = t.ends_with('\n');
                    match out.borrow_mut().write_all(t.as_bytes()) {
                        Ok(()) => unflushed.set(true),
                        Err(e) => {
                            *write_err.borrow_mut() = Some(e);
                            write_failed.notify_one();
                        }
                    }
                }
                text.push_str(&t);
            }
            TurnEvent::Citation(c) => citations.push(c),
            TurnEvent::Stop(s) => stop = Some(s),
            TurnEvent::Metadata {
                usage: u,
                latency_ms,
            } => {
                usage = u;
                latency = latency_ms;
            }
            _ => {}
        });
        tokio::pin!(turn);
        let mut tick = tokio::time::interval(FLUSH_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        // Once the answer cannot be written (nobody reads it), the request is dropped
        // rather than streamed to the end.
        loop {
            tokio::select! {
                r = &mut turn => break r,
                () = write_failed.notified() => break Ok(()),
                _ = tick.tick(), if streaming => {
                    if unflushed.replace(false)
                        && let Err(e) = out.borrow_mut().flush()
                    {
                        *write_err.borrow_mut() = Some(e);
                        break Ok(());
                    }
                }
            }
        }
    };
    let mut out = out.into_inner();
    let mut write_err = write_err.into_inner();
    if write_err.is_none()
        && let Err(e) = out.flush()
    {
        write_err = Some(e);
    }
    if let Some(e) = write_err {
        return Err(e.into());
    }
    result?;
    if args.json {
        let body = json!({
            "model": req.model_id,
            "text": text,
            "stopReason": stop,
            "usage": {
                "inputTokens": usage.input,
                "outputTokens": usage.output,
                "cacheReadInputTokens": usage.cache_read,
                "cacheWriteInputTokens": usage.cache_write,
            },
            "latencyMs": latency,
            "citations": citations.iter().map(|c| json!({
                "title": c.title,
                "quote": c.quote,
                "location": c.location(),
            })).collect::<Vec<_>>(),
        });
        output::json(&mut out, &body)?;
    } else {
        if !ends_line {
            writeln!(out)?;
        }
        if !citations.is_empty() {
            writeln!(out, "\nSources")?;
            for (i, c) in citations.iter().enumerate() {
                writeln!(out, "[{}] {}", i + 1, c.source())?;
            }
        }
    }
    Ok(())
}

/// `ask --tools`: the tool loop, the answers' text streamed unless `--json`.
async fn with_tools(
    args: &Ask,
    conn: &crate::bedrock::Connection,
    req: TurnRequest,
    config: &crate::config::Config,
) -> anyhow::Result<()> {
    if config.tools.commands.is_empty() && config.tools.servers.is_empty() {
        anyhow::bail!(
            "--tools: the config has no [[tools]] or [[mcp_servers]] (see the README's \"Tools\" section)"
        );
    }
    let mut app = crate::app::App::new(req.model_id.clone());
    app.system = req.system.clone();
    app.inference = req.inference.clone();
    let question = req.messages.first().map(|m| m.text()).unwrap_or_default();
    let mut out = output::stdout();
    let streaming = !args.json;
    let answer = super::ask_tools::run(conn, app, &config.tools, args.yes, question, |t| {
        if streaming {
            super::ask_tools::write_to(&mut out, t)
        } else {
            Ok(())
        }
    })
    .await?;
    if args.json {
        let last = answer.last.as_ref();
        let usage = last.and_then(|e| e.usage).unwrap_or_default();
        let body = json!({
            "model": req.model_id,
            "text": answer.text,
            "stopReason": last.and_then(|e| e.stop.clone()),
            "toolCalls": answer.calls,
            "usage": {
                "inputTokens": usage.input,
                "outputTokens": usage.output,
                "cacheReadInputTokens": usage.cache_read,
                "cacheWriteInputTokens": usage.cache_write,
            },
        });
        output::json(&mut out, &body)?;
    } else if !answer.text.ends_with('\n') {
        writeln!(out)?;
    }
    Ok(())
}
