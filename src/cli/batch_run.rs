//! `bedrock-tui batch run INPUT --out OUTPUT`: every record of a JSONL file sent from
//! here, as many at once as the limiter allows, each result appended to the output as
//! it finishes. A rerun skips what the output already answers; Ctrl+C stops starting
//! records, lets those in flight finish and writes them (a second Ctrl+C leaves them
//! for the next run).

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Args;
use serde_json::{Value, json};
use tokio::sync::mpsc;

use super::batch_progress::{Progress, Summary, Tally, summary};
use super::common::ConnectArgs;
use super::output;
use crate::app::error::BedrockError;
use crate::app::turn::TurnRequest;
use crate::batch::limiter::{Ticket, Wait};
use crate::batch::{Body, Identity, Ledger, Limiter, Limits, Outcome, Prompting, Record, Template};
use crate::bedrock::record::{self, Answer, Watch};
use crate::bedrock::{self, Connection};
use crate::catalog::{Catalog, invocation_id};
use crate::conversation::{Inference, Usage};
use crate::pricing::{Price, Prices, cost, format_usd};

/// Exit code of a run that finished but left records unanswered (failed, or lines
/// that are not records): the output holds everything else.
pub const EXIT_INCOMPLETE: u8 = 3;
/// Exit code of a run stopped by Ctrl+C or SIGTERM.
pub const EXIT_INTERRUPTED: u8 = 130;

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
    /// gave up on a throttle, an unavailable service or a timeout.
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
    /// Add to an output that belongs to another input or model.
    #[arg(long)]
    pub force: bool,
    /// Count the input tokens (CountTokens, or an estimate) and price the file; send
    /// nothing, write nothing.
    #[arg(long)]
    pub dry_run: bool,
    #[command(flatten)]
    pub connect: ConnectArgs,
}

/// Why a record did not get an answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
enum Failure {
    #[error("{0}")]
    Service(BedrockError),
    #[error("no answer within {0} s")]
    Timeout(u64),
}

impl Failure {
    /// Whether sending it again later may work.
    fn transient(&self) -> bool {
        match self {
            Failure::Service(e) => e.is_transient(),
            Failure::Timeout(_) => true,
        }
    }

    /// A short name of the failure for the output line.
    fn code(&self) -> &'static str {
        match self {
            Failure::Timeout(_) => "Timeout",
            Failure::Service(e) => match e {
                BedrockError::NeedsProfile { .. } => "NeedsProfile",
                BedrockError::AccessDenied { .. } | BedrockError::MissingPermission { .. } => {
                    "AccessDenied"
                }
                BedrockError::Throttled { .. } => "Throttled",
                BedrockError::Expired { .. } | BedrockError::NoCredentials { .. } => "Credentials",
                BedrockError::Unreachable { .. } => "Unreachable",
                BedrockError::Validation { .. } => "Validation",
                BedrockError::Model { .. } => "ModelError",
                BedrockError::Unavailable { .. } => "Unavailable",
                BedrockError::Stream { .. } => "ConnectionDropped",
                BedrockError::GuardrailNotFound { .. } | BedrockError::Other { .. } => "Error",
            },
        }
    }
}

/// What a request in flight reports.
enum Event {
    /// An attempt was throttled (the SDK may retry it).
    Throttled { epoch: u64 },
    /// A request ended.
    Done {
        index: usize,
        ticket: Ticket,
        result: Result<Answer, Failure>,
        latency: Duration,
        throttled: bool,
    },
}

/// What stays the same for every record of a run.
struct Plan {
    conn: Connection,
    model_id: Arc<str>,
    price: Option<Price>,
    timeout: Duration,
    retries: u32,
}

pub async fn run(args: Run, config: crate::config::Config) -> anyhow::Result<ExitCode> {
    let model = super::common::model(args.model.as_deref(), &config)?;
    let prompting = Prompting {
        template: args.template.clone().map(Template).unwrap_or_default(),
        system: args.system.clone().or(config.system.clone()),
        inference: Inference {
            max_tokens: args.max_tokens,
            temperature: args.temperature,
            ..Inference::default()
        },
    };
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
            "stopped: {} records are in {}; run again to resume",
            summary_of.tally.finished(),
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

/// The turn a conversation record sends.
fn turn(
    model_id: &str,
    messages: &[crate::conversation::Message],
    system: &Option<String>,
    inference: &Inference,
) -> TurnRequest {
    TurnRequest {
        model_id: model_id.to_owned(),
        system: system.clone(),
        messages: messages.to_vec(),
        inference: inference.clone(),
        guardrail: None,
        tools: None,
    }
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

/// How a run of the records ended.
struct Ran {
    tally: Tally,
    stats: crate::batch::limiter::Stats,
    interrupted: bool,
    /// The output could not be written: the run stopped there.
    write_error: Option<crate::batch::LedgerError>,
}

/// Backoff before a record is sent again: full jitter over an exponential ceiling,
/// so records throttled together do not come back together.
fn backoff(attempt: u32) -> Duration {
    let ceiling = (0.5 * 2f64.powi(attempt.min(10) as i32)).min(20.0);
    Duration::from_secs_f64(fastrand::f64() * ceiling)
}

/// The records waiting to be sent: fresh ones in input order, and ones to send again,
/// each from its time on.
struct Queue {
    fresh: VecDeque<usize>,
    again: BinaryHeap<Reverse<(Instant, usize)>>,
}

impl Queue {
    fn due(&self, now: Instant) -> bool {
        self.again.peek().is_some_and(|Reverse((t, _))| *t <= now)
    }

    /// The record to send next at `now`: one due again comes first.
    fn peek(&self, now: Instant) -> Option<usize> {
        if self.due(now) {
            self.again.peek().map(|Reverse((_, i))| *i)
        } else {
            self.fresh.front().copied()
        }
    }

    /// Takes the record [`Queue::peek`] named.
    fn pop(&mut self, now: Instant) {
        if self.due(now) {
            self.again.pop();
        } else {
            self.fresh.pop_front();
        }
    }

    /// When the first record to send again is due.
    fn again_at(&self) -> Option<Instant> {
        self.again.peek().map(|Reverse((t, _))| *t)
    }

    fn is_empty(&self) -> bool {
        self.fresh.is_empty() && self.again.is_empty()
    }
}

/// Sends `records` and writes each result to `ledger`, until all are written, the
/// output cannot be written, or a signal stops it.
async fn drive(
    plan: &Plan,
    records: Vec<Record>,
    reserve: &[u64],
    mut limiter: Limiter,
    ledger: &mut Ledger,
) -> anyhow::Result<Ran> {
    let records: Vec<Arc<Record>> = records.into_iter().map(Arc::new).collect();
    let progress = Progress::new(records.len() as u64);
    let mut queue = Queue {
        fresh: (0..records.len()).collect(),
        again: BinaryHeap::new(),
    };
    let mut attempts = vec![0u32; records.len()];
    let mut tally = Tally::default();
    let (tx, mut rx) = mpsc::unbounded_channel::<Event>();
    let mut tasks = tokio::task::JoinSet::new();
    let mut signals = Signals::new()?;
    let mut stopping = false;
    let mut interrupted = false;
    let mut write_error = None;
    loop {
        let mut wake: Option<Instant> = None;
        loop {
            let now = Instant::now();
            let Some(index) = queue.peek(now).filter(|_| !stopping) else {
                break;
            };
            match limiter.try_start(now, reserve[index]) {
                Ok(ticket) => {
                    queue.pop(now);
                    attempts[index] += 1;
                    tasks.spawn(send(
                        plan,
                        Arc::clone(&records[index]),
                        index,
                        ticket,
                        tx.clone(),
                    ));
                }
                Err(Wait::Full) => break,
                Err(Wait::Until(t)) => {
                    wake = Some(t);
                    break;
                }
            }
        }
        if limiter.in_flight() == 0 && (stopping || queue.is_empty()) {
            break;
        }
        if !stopping && wake.is_none() && limiter.in_flight() < limiter.concurrency() {
            wake = queue.again_at();
        }
        let sleep = tokio::time::sleep_until(wake.map_or_else(
            || tokio::time::Instant::now() + Duration::from_secs(3600),
            tokio::time::Instant::from_std,
        ));
        tokio::select! {
            ev = rx.recv() => {
                let Some(ev) = ev else { break };
                match ev {
                    Event::Throttled { epoch } => {
                        if let Some(c) = limiter.throttled(epoch) {
                            tracing::info!(from = c.from, to = c.to, "batch run: throttled, concurrency decreased");
                        }
                    }
                    Event::Done { index, ticket, result, latency, throttled } => {
                        let used = result.as_ref().ok().and_then(|a| a.usage).map(|u| u64::from(u.input) + u64::from(u.output));
                        let clean = result.is_ok() && !throttled;
                        if let Some(c) = limiter.finish(ticket, used, clean) {
                            tracing::info!(from = c.from, to = c.to, "batch run: healthy, concurrency increased");
                        }
                        let record = &records[index];
                        let line = match result {
                            Err(f) if f.transient() && attempts[index] <= plan.retries => {
                                if !stopping {
                                    tally.retries += 1;
                                    queue.again.push(Reverse((Instant::now() + backoff(attempts[index]), index)));
                                }
                                // Stopping: left for the next run, which sends it again.
                                None
                            }
                            Err(f) => {
                                tally.failed += 1;
                                Some((failed_line(plan, record, &f, attempts[index], latency), Outcome::Failed))
                            }
                            Ok(answer) => {
                                tally.answered += 1;
                                let u = answer.usage.unwrap_or_default();
                                tally.input_tokens += u64::from(u.input) + u64::from(u.cache_read) + u64::from(u.cache_write);
                                tally.output_tokens += u64::from(u.output);
                                // Rounded as `--json` rounds, so the line does not read 0.000011750000000000001.
                                let usd = plan.price.zip(answer.usage).map(|(p, u)| {
                                    let usd = cost(&u, &p);
                                    output::decimal(usd).parse().unwrap_or(usd)
                                });
                                tally.usd += usd.unwrap_or(0.0);
                                Some((answered_line(plan, record, &answer, usd, attempts[index], latency), Outcome::Answered))
                            }
                        };
                        if let Some((line, outcome)) = line
                            && write_error.is_none()
                            && let Err(e) = ledger.write(&record.id, &line, outcome)
                        {
                            progress.note(format!("{e}: stopping"));
                            write_error = Some(e);
                            stopping = true;
                        }
                        progress.update(&tally, limiter.concurrency(), limiter.stats().throttles);
                    }
                }
            }
            () = signals.next() => {
                interrupted = true;
                if stopping {
                    progress.note("stopped; the records in flight are left for the next run");
                    break;
                }
                stopping = true;
                progress.note(format!(
                    "stopping: waiting for the {} records in flight (Ctrl+C again to leave them for the next run)",
                    limiter.in_flight()
                ));
            }
            () = sleep => {}
        }
    }
    tasks.abort_all();
    progress.finish();
    Ok(Ran {
        tally,
        stats: limiter.stats(),
        interrupted,
        write_error,
    })
}

/// SIGINT (Ctrl+C) and SIGTERM, as one stream.
struct Signals {
    int: tokio::signal::unix::Signal,
    term: tokio::signal::unix::Signal,
}

impl Signals {
    fn new() -> anyhow::Result<Signals> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(Signals {
            int: signal(SignalKind::interrupt()).context("listening for Ctrl+C")?,
            term: signal(SignalKind::terminate()).context("listening for SIGTERM")?,
        })
    }

    async fn next(&mut self) {
        tokio::select! {
            _ = self.int.recv() => {}
            _ = self.term.recv() => {}
        }
    }
}

/// One request of a record, reported to `tx` with every throttled attempt.
fn send(
    plan: &Plan,
    record: Arc<Record>,
    index: usize,
    ticket: Ticket,
    tx: mpsc::UnboundedSender<Event>,
) -> impl std::future::Future<Output = ()> + Send + 'static {
    let conn = plan.conn.clone();
    let model_id = Arc::clone(&plan.model_id);
    let timeout = plan.timeout;
    async move {
        let throttled = Arc::new(AtomicBool::new(false));
        let watch = {
            let (throttled, tx) = (Arc::clone(&throttled), tx.clone());
            Watch::new(move || {
                throttled.store(true, Ordering::Relaxed);
                let _ = tx.send(Event::Throttled {
                    epoch: ticket.epoch,
                });
            })
        };
        let started = Instant::now();
        let call = async {
            match &record.body {
                Body::Native(body) => record::invoke_native(&conn, &model_id, body, watch).await,
                Body::Converse {
                    messages,
                    system,
                    inference,
                } => {
                    record::converse(&conn, &turn(&model_id, messages, system, inference), watch)
                        .await
                }
            }
        };
        let result = match tokio::time::timeout(timeout, call).await {
            Ok(Ok(answer)) => Ok(answer),
            Ok(Err(e)) => Err(Failure::Service(e)),
            Err(_) => Err(Failure::Timeout(timeout.as_secs())),
        };
        let _ = tx.send(Event::Done {
            index,
            ticket,
            result,
            latency: started.elapsed(),
            throttled: throttled.load(Ordering::Relaxed),
        });
    }
}

fn usage_json(u: &Usage) -> Value {
    json!({
        "inputTokens": u.input,
        "outputTokens": u.output,
        "cacheReadInputTokens": u.cache_read,
        "cacheWriteInputTokens": u.cache_write,
    })
}

/// The output line of an answered record.
fn answered_line(
    plan: &Plan,
    r: &Record,
    a: &Answer,
    usd: Option<f64>,
    attempts: u32,
    latency: Duration,
) -> Value {
    let mut line = json!({
        "recordId": r.id,
        "line": r.line,
        "modelId": &*plan.model_id,
        "output": a.text,
        "stopReason": a.stop,
        "usage": a.usage.as_ref().map(usage_json),
        "latencyMs": latency.as_millis() as u64,
        "attempts": attempts,
        "costUsd": usd,
    });
    if let Some(native) = &a.native {
        line["modelOutput"] = native.clone();
    }
    line
}

/// The output line of a record that failed.
fn failed_line(plan: &Plan, r: &Record, f: &Failure, attempts: u32, latency: Duration) -> Value {
    json!({
        "recordId": r.id,
        "line": r.line,
        "modelId": &*plan.model_id,
        "error": { "code": f.code(), "message": f.to_string() },
        "latencyMs": latency.as_millis() as u64,
        "attempts": attempts,
    })
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
