//! The engine of `batch run`: records started as the limiter allows, each sent on a
//! task of its own, throttles fed back to the limiter as they happen, what the SDK
//! gave up on sent again after a jittered backoff, and each result written to the
//! output as it arrives, until every record is written or a signal stops the run.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use serde_json::{Value, json};
use tokio::sync::mpsc;

use super::batch_progress::{Progress, Tally};
use super::output;
use crate::app::error::BedrockError;
use crate::app::turn::TurnRequest;
use crate::batch::limiter::{Stats, Ticket, Wait};
use crate::batch::{Body, Ledger, LedgerError, Limiter, Outcome, Record};
use crate::bedrock::Connection;
use crate::bedrock::record::{self, Answer, Watch};
use crate::conversation::{Inference, Message, Usage};
use crate::pricing::{Price, cost};

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
pub(super) struct Plan {
    pub conn: Connection,
    pub model_id: Arc<str>,
    pub price: Option<Price>,
    pub timeout: Duration,
    pub retries: u32,
}

/// The turn a conversation record sends.
pub(super) fn turn(
    model_id: &str,
    messages: &[Message],
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

/// How a run of the records ended.
pub(super) struct Ran {
    pub tally: Tally,
    pub stats: Stats,
    pub interrupted: bool,
    /// The output could not be written: the run stopped there.
    pub write_error: Option<LedgerError>,
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
pub(super) async fn drive(
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
