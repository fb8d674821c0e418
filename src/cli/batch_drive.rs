//! The engine of `batch run`: records started as the books allow, each sent on a task
//! of its own, throttles fed back to the limiter as they happen, and each result
//! written to the output as it arrives, until every record is written or a signal
//! stops the run. What to do with each event is decided by `batch_state`.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use tokio::sync::mpsc;

use super::batch_progress::{Progress, Tally};
use super::batch_state::{Books, Ended, Failure};
use crate::app::turn::TurnRequest;
use crate::batch::limiter::{Stats, Ticket};
use crate::batch::{Body, Ledger, LedgerError, Limiter, Record};
use crate::bedrock::Connection;
use crate::bedrock::record::{self, Watch};
use crate::conversation::{Inference, Message};
use crate::pricing::Price;

/// What a request in flight reports.
enum Event {
    /// An attempt was throttled (the SDK may retry it).
    Throttled { epoch: u64 },
    /// A request ended.
    Done { index: usize, ended: Ended },
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

/// Sends `records` and writes each result to `ledger`, until all are written, the
/// output cannot be written, or a signal stops it.
pub(super) async fn drive(
    plan: &Plan,
    records: Vec<Record>,
    reserve: &[u64],
    limiter: Limiter,
    ledger: &mut Ledger,
) -> anyhow::Result<Ran> {
    let records: Vec<Arc<Record>> = records.into_iter().map(Arc::new).collect();
    let progress = Progress::new(records.len() as u64);
    let mut books = Books::new(
        records.len(),
        limiter,
        plan.retries,
        &plan.model_id,
        plan.price,
    );
    let (tx, mut rx) = mpsc::unbounded_channel::<Event>();
    let mut tasks = tokio::task::JoinSet::new();
    let mut signals = Signals::new()?;
    let mut interrupted = false;
    let mut write_error = None;
    loop {
        let wake = loop {
            match books.start(Instant::now(), reserve) {
                Ok((index, ticket)) => {
                    let record = Arc::clone(&records[index]);
                    tasks.spawn(send(plan, record, index, ticket, tx.clone()));
                }
                Err(wake) => break wake,
            }
        };
        if books.finished() {
            break;
        }
        // With no time to wake at, only an event or a signal moves the run on.
        let sleep = tokio::time::sleep_until(wake.map_or_else(
            || tokio::time::Instant::now() + Duration::from_secs(3600),
            tokio::time::Instant::from_std,
        ));
        tokio::select! {
            Some(ev) = rx.recv() => match ev {
                Event::Throttled { epoch } => {
                    if let Some(c) = books.limiter.throttled(epoch) {
                        tracing::info!(from = c.from, to = c.to, "batch run: throttled, concurrency decreased");
                    }
                }
                Event::Done { index, ended } => {
                    let record = &records[index];
                    let (line, change) = books.ended(Instant::now(), index, record, ended, fastrand::f64());
                    if let Some(c) = change {
                        tracing::info!(from = c.from, to = c.to, "batch run: healthy, concurrency increased");
                    }
                    if let Some((line, outcome)) = line
                        && write_error.is_none()
                        && let Err(e) = ledger.write(&record.id, &line, outcome)
                    {
                        progress.note(format!("{e}: stopping"));
                        write_error = Some(e);
                        books.stopping = true;
                    }
                    let l = &books.limiter;
                    progress.update(&books.tally, l.concurrency(), l.stats().throttles);
                }
            },
            () = signals.next() => {
                interrupted = true;
                if books.stopping {
                    progress.note("stopped; the records in flight are left for the next run");
                    break;
                }
                books.stopping = true;
                progress.note(format!(
                    "stopping: waiting for the {} records in flight (Ctrl+C again to leave them for the next run)",
                    books.limiter.in_flight()
                ));
            }
            () = sleep => {}
        }
    }
    tasks.abort_all();
    progress.finish();
    Ok(Ran {
        stats: books.limiter.stats(),
        tally: books.tally,
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
        let ended = Ended {
            ticket,
            result,
            latency: started.elapsed(),
            throttled: throttled.load(Ordering::Relaxed),
        };
        let _ = tx.send(Event::Done { index, ended });
    }
}
