//! `bedrock-tui batch run INPUT --out OUTPUT`: every record of a JSONL file sent from
//! here, as many at once as the limiter allows, each result appended to the output as
//! it finishes. A rerun skips what the output already answers; Ctrl+C stops starting
//! records, lets those in flight finish and writes them (a second Ctrl+C leaves them
//! for the next run). This module reads the input and opens the output; `batch_drive`
//! sends the records.

use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Args;

use super::batch_drive::{Plan, drive, turn};
use super::batch_progress::{Summary, summary};
use super::common::ConnectArgs;
use super::output;
use crate::batch::{Body, Identity, Ledger, Limiter, Limits, Prompting, Record, Template};
use crate::bedrock::{self, Connection};
use crate::catalog::{Catalog, invocation_id};
use crate::conversation::Inference;
use crate::pricing::{Price, Prices, format_usd};

/// Exit code of a run that finished but left records unanswered (failed, or lines
/// that are not records): the output holds everything else.
pub const EXIT_INCOMPLETE: u8 = 3;
/// Exit code of a run stopped by Ctrl+C or SIGTERM.
pub const EXIT_INTERRUPTED: u8 = 130;

/// What a prompt line becomes: its template, and the system prompt and inference
/// settings of prompt lines.
#[derive(Debug, Args)]
pub struct PromptingArgs {
    /// What a prompt line sends: `{prompt}` and any `{member}` of the line are filled in
    /// (`{{` and `}}` for braces) [default: {prompt}].
    #[arg(long)]
    pub template: Option<String>,
    /// System prompt of prompt lines.
    #[arg(long)]
    pub system: Option<String>,
    /// Most output tokens of a prompt line's answer.
    #[arg(long)]
    pub max_tokens: Option<u32>,
    /// Temperature of prompt lines.
    #[arg(long)]
    pub temperature: Option<f32>,
}

impl PromptingArgs {
    /// The settings, with the config's system prompt when none is given.
    pub fn prompting(&self, config: &crate::config::Config) -> Prompting {
        Prompting {
            template: self.template.clone().map(Template).unwrap_or_default(),
            system: self.system.clone().or(config.system.clone()),
            inference: Inference {
                max_tokens: self.max_tokens,
                temperature: self.temperature,
                ..Inference::default()
            },
        }
    }
}

#[derive(Debug, Args)]
pub struct Run {
    /// The input: one record a line, a Bedrock batch record ({"recordId", "modelInput"}),
    /// a Converse request ({"recordId", "messages", "system", "inferenceConfig"}) or a
    /// prompt ({"recordId", "prompt", ...} filled into --template).
    pub input: PathBuf,
    /// Where results go, one JSON line a record as each finishes; a rerun with the same
    /// input and model resumes it.
    #[arg(long, value_name = "OUTPUT")]
    pub out: PathBuf,
    /// Model id, inference profile id or ARN [default: the config's `model`, else Claude
    /// Haiku 4.5]; a model that needs a profile goes through the region's.
    #[arg(long)]
    pub model: Option<String>,
    #[command(flatten)]
    pub prompting: PromptingArgs,
    /// Records in flight at the start; halved on throttling, grown by one when healthy.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub concurrency: u16,
    /// The most in flight it grows to [default: --concurrency].
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub max_concurrency: Option<u16>,
    /// Requests a minute to start at most (the model's on-demand quota).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub rpm: Option<u64>,
    /// Tokens a minute to reserve at most: a request holds its input plus its maximum
    /// output, as the service counts it.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub tpm: Option<u64>,
    /// Times a record is sent again, with jittered backoff, after the SDK's own retries
    /// gave up on a throttle, an unavailable service or model, a dropped connection or a timeout.
    #[arg(long, default_value_t = 4, value_name = "N")]
    pub retries: u32,
    /// The longest one request of a record may take, in seconds.
    #[arg(long, default_value_t = 300, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..))]
    pub timeout: u64,
    /// Sort the output in input order at the end.
    #[arg(long)]
    pub ordered: bool,
    /// Stop, sending nothing, when a line is not a record (default: skip it).
    #[arg(long)]
    pub strict: bool,
    /// Add to an output that belongs to another input, model or prompt settings.
    #[arg(long)]
    pub force: bool,
    /// Count the input tokens (CountTokens, or an estimate) and price the file; send
    /// nothing, write nothing.
    #[arg(long)]
    pub dry_run: bool,
    #[command(flatten)]
    pub connect: ConnectArgs,
}

pub async fn run(args: Run, config: crate::config::Config) -> anyhow::Result<ExitCode> {
    let model = super::common::model(args.model.as_deref(), &config)?;
    if args.max_concurrency.is_some_and(|m| m < args.concurrency) {
        anyhow::bail!(
            "--max-concurrency must be at least --concurrency ({})",
            args.concurrency
        );
    }
    let prompting = args.prompting.prompting(&config);
    let input_name = crate::sanitize::text(&args.input.display().to_string());
    let input = crate::batch::read(&args.input, &prompting)?;
    for p in &input.problems {
        output::note(format!("{input_name} {p}"));
    }
    if args.strict && !input.problems.is_empty() {
        anyhow::bail!(
            "{input_name}: {} lines are not records (see above); nothing was sent (--strict)",
            input.problems.len()
        );
    }
    if input.records.is_empty() {
        anyhow::bail!("{input_name} has no records; nothing was sent");
    }
    // Concurrency changes are logged; the log is the app's log file.
    if let Err(e) = crate::logging::to_file() {
        output::note(format!("not logging: {e:#}"));
    }
    let conn = super::common::connect(&args.connect, &config).await?;
    let model_id = invocation_id(Catalog::builtin(), &model, &conn.region);
    let prices = Prices::builtin().with_overrides(&config.prices);
    let price = prices.lookup(&model_id, &conn.region);
    if args.dry_run {
        return dry_run(&args, &conn, &model_id, price, &input.records).await;
    }
    let identity = Identity {
        input: args.input.display().to_string(),
        input_sha256: input.digest.clone(),
        model: model_id.clone(),
        prompting_sha256: prompting.digest(),
    };
    let mut ledger = Ledger::open(&args.out, &identity, args.force)?;
    let pending: Vec<Record> = input
        .records
        .iter()
        .filter(|r| !ledger.answered(&r.id))
        .cloned()
        .collect();
    let done_before = (input.records.len() - pending.len()) as u64;
    let max = args.max_concurrency.unwrap_or(args.concurrency);
    let limits = Limits {
        rpm: args.rpm,
        tpm: args.tpm,
        ..Limits::new(usize::from(args.concurrency), usize::from(max))
    };
    let plan = Plan {
        conn,
        model_id: model_id.clone().into(),
        price,
        timeout: Duration::from_secs(args.timeout),
        retries: args.retries,
    };
    let reserve: Vec<u64> = if args.tpm.is_some() {
        pending.iter().map(|r| reservation(&model_id, r)).collect()
    } else {
        vec![0; pending.len()]
    };
    let mut summary_of = Summary {
        to_send: pending.len() as u64,
        done_before,
        skipped_lines: input.problems.len() as u64,
        priced: price.is_some(),
        ..Summary::default()
    };
    let started = Instant::now();
    let ran = drive(&plan, pending, &reserve, Limiter::new(limits), &mut ledger).await;
    let order: Option<HashMap<String, usize>> = args.ordered.then(|| {
        input
            .records
            .iter()
            .enumerate()
            .map(|(i, r)| (r.id.clone(), i))
            .collect()
    });
    // Written records stay whatever happened; finishing only tidies them.
    let held = ledger.held();
    let in_file = held.answered.len() + held.failed.len();
    let finished = ledger.finish(order.as_ref());
    let ran = ran?;
    summary_of.tally = ran.tally;
    summary_of.stats = ran.stats;
    summary_of.interrupted = ran.interrupted;
    summary_of.elapsed = started.elapsed();
    for line in summary(&summary_of, &model_id) {
        output::note(line);
    }
    if let Some(e) = ran.write_error {
        return Err(anyhow::Error::new(e).context(format!(
            "stopped: {in_file} records are in {}; run again to resume",
            crate::sanitize::text(&args.out.display().to_string())
        )));
    }
    finished?;
    Ok(if ran.interrupted {
        ExitCode::from(EXIT_INTERRUPTED)
    } else if summary_of.tally.failed > 0 || !input.problems.is_empty() {
        ExitCode::from(EXIT_INCOMPLETE)
    } else {
        ExitCode::SUCCESS
    })
}

/// The input tokens of a record, estimated locally (cl100k, as the local endpoint and
/// near enough for Bedrock's quotas).
fn estimate(model_id: &str, r: &Record) -> u32 {
    match &r.body {
        Body::Native(v) => crate::local::tokens::count(&v.to_string()),
        Body::Converse {
            messages,
            system,
            inference,
        } => bedrock::estimate(&turn(model_id, messages, system, inference)),
    }
}

/// The most output a record may get: what it asks for, else the model's maximum.
fn max_output(model_id: &str, r: &Record) -> u32 {
    r.body.max_output().unwrap_or_else(|| {
        Catalog::builtin()
            .lookup(model_id)
            .map_or(4096, |m| m.max_output_tokens)
    })
}

/// The tokens a record reserves of a tokens-per-minute quota when it starts.
fn reservation(model_id: &str, r: &Record) -> u64 {
    u64::from(estimate(model_id, r)) + u64::from(max_output(model_id, r))
}

/// `--dry-run`: the records counted and priced; nothing sent, nothing written.
async fn dry_run(
    args: &Run,
    conn: &Connection,
    model_id: &str,
    price: Option<Price>,
    records: &[Record],
) -> anyhow::Result<ExitCode> {
    use futures_util::StreamExt;
    let done: std::collections::HashSet<String> = std::fs::read(&args.out)
        .ok()
        .and_then(|b| crate::batch::ledger::scan(&b).ok())
        .map(|h| h.answered)
        .unwrap_or_default();
    let pending: Vec<&Record> = records.iter().filter(|r| !done.contains(&r.id)).collect();
    let counts: Vec<anyhow::Result<(u32, bool)>> =
        futures_util::stream::iter(pending.iter().map(|r| async move {
            match &r.body {
                Body::Native(_) => Ok::<_, anyhow::Error>((estimate(model_id, r), false)),
                Body::Converse {
                    messages,
                    system,
                    inference,
                } => {
                    let c =
                        bedrock::count_input(conn, &turn(model_id, messages, system, inference))
                            .await
                            .with_context(|| format!("counting record {}", r.id))?;
                    Ok((c.tokens, c.exact))
                }
            }
        }))
        .buffer_unordered(usize::from(args.concurrency))
        .collect()
        .await;
    let mut input = 0u64;
    let mut exact = true;
    for c in counts {
        let (n, e) = c?;
        input += u64::from(n);
        exact &= e;
    }
    let max_out: u64 = pending
        .iter()
        .map(|r| u64::from(max_output(model_id, r)))
        .sum();
    let mut out = output::stdout();
    writeln!(
        out,
        "records      {} ({} answered in the output already)",
        records.len(),
        records.len() - pending.len()
    )?;
    writeln!(out, "to send      {}", pending.len())?;
    writeln!(
        out,
        "input        {input} tokens ({})",
        if exact {
            "counted by CountTokens"
        } else {
            "estimated"
        }
    )?;
    writeln!(out, "max output   {max_out} tokens")?;
    match price {
        Some(p) => {
            let low = input as f64 * p.input / 1e6;
            let high = low + max_out as f64 * p.output / 1e6;
            writeln!(
                out,
                "cost         {} to {} at {model_id}'s on-demand prices",
                format_usd(low),
                format_usd(high)
            )?;
        }
        None => writeln!(out, "cost         unknown: no price for {model_id}")?,
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
