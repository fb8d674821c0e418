//! The bookkeeping of a `batch run` between events, without IO: which record starts
//! next, what a request that ended becomes (its output line, or the record queued to be
//! sent again after a backoff), and the running tally. `batch_drive` feeds it the
//! events and does the IO.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::Value;

use super::batch_progress::Tally;
use super::output;
use crate::app::error::BedrockError;
use crate::batch::limiter::{Change, Ticket, Wait};
use crate::batch::{Limiter, Outcome, Record};
use crate::bedrock::record::Answer;
use crate::conversation::Usage;
use crate::pricing::{Price, cost};

/// Why a record did not get an answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(super) enum Failure {
    #[error("{0}")]
    Service(BedrockError),
    #[error("no answer within {0} s")]
    Timeout(u64),
}

impl Failure {
    /// Whether sending it again later may work.
    pub(super) fn transient(&self) -> bool {
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

/// Backoff before a record is sent again: full jitter over an exponential ceiling,
/// so records throttled together do not come back together.
/// `jitter` is drawn from 0..1.
fn backoff(attempt: u32, jitter: f64) -> Duration {
    let ceiling = (0.5 * 2f64.powi(attempt.min(10) as i32)).min(20.0);
    Duration::from_secs_f64(jitter.clamp(0.0, 1.0) * ceiling)
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

/// How a request ended.
#[derive(Debug)]
pub(super) struct Ended {
    pub ticket: Ticket,
    pub result: Result<Answer, Failure>,
    pub latency: Duration,
    /// Some attempt of it was throttled.
    pub throttled: bool,
}

/// The state of a run between events.
pub(super) struct Books {
    queue: Queue,
    attempts: Vec<u32>,
    pub limiter: Limiter,
    pub tally: Tally,
    /// Times a record is sent again after the SDK gave up on it.
    retries: u32,
    /// Nothing more starts: the run was told to stop, or cannot write.
    pub stopping: bool,
    model_id: String,
    price: Option<Price>,
}

impl Books {
    /// The books of `records` records, none sent yet.
    pub fn new(
        records: usize,
        limiter: Limiter,
        retries: u32,
        model_id: &str,
        price: Option<Price>,
    ) -> Books {
        Books {
            queue: Queue {
                fresh: (0..records).collect(),
                again: BinaryHeap::new(),
            },
            attempts: vec![0; records],
            limiter,
            tally: Tally::default(),
            retries,
            stopping: false,
            model_id: model_id.to_owned(),
            price,
        }
    }

    /// The record to start at `now` (its index) and its ticket; else when to look again:
    /// `None` for when a request ends.
    pub fn start(
        &mut self,
        now: Instant,
        reserve: &[u64],
    ) -> Result<(usize, Ticket), Option<Instant>> {
        if self.stopping {
            return Err(None);
        }
        let Some(index) = self.queue.peek(now) else {
            return Err(self.queue.again_at());
        };
        match self
            .limiter
            .try_start(now, reserve.get(index).copied().unwrap_or(0))
        {
            Ok(ticket) => {
                self.queue.pop(now);
                self.attempts[index] += 1;
                Ok((index, ticket))
            }
            Err(Wait::Full) => Err(None),
            Err(Wait::Until(t)) => Err(Some(t)),
        }
    }

    /// Nothing is in flight and nothing more will start.
    pub fn finished(&self) -> bool {
        self.limiter.in_flight() == 0 && (self.stopping || self.queue.is_empty())
    }

    /// A request ended at `now`: the line to write for its record, if it is done;
    /// `jitter` (0..1) spreads the backoff of a record sent again.
    pub fn ended(
        &mut self,
        now: Instant,
        index: usize,
        record: &Record,
        e: Ended,
        jitter: f64,
    ) -> (Option<(Line, Outcome)>, Option<Change>) {
        let used = e
            .result
            .as_ref()
            .ok()
            .and_then(|a| a.usage)
            .map(|u| u64::from(u.input) + u64::from(u.output));
        let change = self
            .limiter
            .finish(e.ticket, used, e.result.is_ok() && !e.throttled);
        let attempts = self.attempts.get(index).copied().unwrap_or(0);
        let line = match e.result {
            Err(f) if f.transient() && attempts <= self.retries => {
                // When stopping it is left for the next run, which sends it again.
                if !self.stopping {
                    self.tally.retries += 1;
                    let at = now + backoff(attempts, jitter);
                    self.queue.again.push(Reverse((at, index)));
                }
                None
            }
            Err(f) => {
                self.tally.failed += 1;
                let line = failed_line(&self.model_id, record, &f, attempts, e.latency);
                Some((line, Outcome::Failed))
            }
            Ok(answer) => {
                let t = &mut self.tally;
                t.answered += 1;
                let u = answer.usage.unwrap_or_default();
                t.input_tokens +=
                    u64::from(u.input) + u64::from(u.cache_read) + u64::from(u.cache_write);
                t.output_tokens += u64::from(u.output);
                // Rounded as `--json` rounds, so a line does not read 0.000011750000000000001.
                let usd = self.price.zip(answer.usage).map(|(p, u)| {
                    let usd = cost(&u, &p);
                    output::decimal(usd).parse().unwrap_or(usd)
                });
                t.usd += usd.unwrap_or(0.0);
                let line = answered_line(&self.model_id, record, answer, usd, attempts, e.latency);
                Some((line, Outcome::Answered))
            }
        };
        (line, change)
    }
}

/// One line of the output, its members in the order a reader looks for them.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Line {
    record_id: String,
    line: usize,
    model_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    output: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    stop_reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    usage: Option<LineUsage>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<LineError>,
    latency_ms: u64,
    attempts: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    cost_usd: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    model_output: Option<Value>,
}

/// Token usage as Converse names it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
struct LineUsage {
    input_tokens: u32,
    output_tokens: u32,
    cache_read_input_tokens: u32,
    cache_write_input_tokens: u32,
}

impl From<Usage> for LineUsage {
    fn from(u: Usage) -> Self {
        LineUsage {
            input_tokens: u.input,
            output_tokens: u.output,
            cache_read_input_tokens: u.cache_read,
            cache_write_input_tokens: u.cache_write,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
struct LineError {
    code: &'static str,
    message: String,
}

impl Line {
    fn of(model_id: &str, r: &Record, attempts: u32, latency: Duration) -> Line {
        Line {
            record_id: r.id.clone(),
            line: r.line,
            model_id: model_id.to_owned(),
            output: None,
            stop_reason: None,
            usage: None,
            error: None,
            latency_ms: latency.as_millis() as u64,
            attempts,
            cost_usd: None,
            model_output: None,
        }
    }
}

/// The output line of an answered record.
fn answered_line(
    model_id: &str,
    r: &Record,
    a: Answer,
    usd: Option<f64>,
    attempts: u32,
    latency: Duration,
) -> Line {
    Line {
        output: a.text,
        stop_reason: a.stop,
        usage: a.usage.map(LineUsage::from),
        cost_usd: usd,
        model_output: a.native,
        ..Line::of(model_id, r, attempts, latency)
    }
}

/// The output line of a record that failed.
fn failed_line(model_id: &str, r: &Record, f: &Failure, attempts: u32, latency: Duration) -> Line {
    Line {
        error: Some(LineError {
            code: f.code(),
            message: f.to_string(),
        }),
        ..Line::of(model_id, r, attempts, latency)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::batch::{Body, Limits};
    use serde_json::json;

    fn json_of(line: Option<(Line, Outcome)>) -> (Value, Outcome) {
        let (line, outcome) = line.expect("a line to write");
        (serde_json::to_value(&line).unwrap(), outcome)
    }

    fn record(id: &str) -> Record {
        Record {
            id: id.into(),
            line: 1,
            body: Body::Native(json!({})),
        }
    }

    fn books(records: usize, retries: u32) -> Books {
        let price = Price {
            input: 1.0,
            output: 2.0,
            ..Price::default()
        };
        Books::new(
            records,
            Limiter::new(Limits::new(2, 2)),
            retries,
            "m",
            Some(price),
        )
    }

    fn ended(ticket: Ticket, result: Result<Answer, Failure>) -> Ended {
        Ended {
            ticket,
            result,
            latency: Duration::from_millis(5),
            throttled: false,
        }
    }

    fn throttle() -> Failure {
        Failure::Service(BedrockError::Throttled {
            message: "slow down".into(),
            retried: true,
            on_profile: false,
        })
    }

    #[test]
    fn starts_as_many_as_the_limiter_allows_in_input_order() {
        let now = Instant::now();
        let mut b = books(3, 0);
        assert_eq!(b.start(now, &[]).map(|(i, _)| i), Ok(0));
        assert_eq!(b.start(now, &[]).map(|(i, _)| i), Ok(1));
        assert_eq!(b.start(now, &[]).map(|(i, _)| i), Err(None), "two at once");
        assert!(!b.finished());
    }

    #[test]
    fn a_throttled_record_comes_back_after_its_backoff_then_fails_for_good() {
        let now = Instant::now();
        let mut b = books(1, 1);
        let (i, t) = b.start(now, &[]).unwrap();
        let (line, _) = b.ended(now, i, &record("a"), ended(t, Err(throttle())), 1.0);
        assert_eq!(line, None, "sent again, not written");
        assert_eq!(b.tally.retries, 1);
        // Attempt 1 waits up to a second: not before.
        let later = now + Duration::from_secs(1);
        assert_eq!(b.start(now, &[]).map(|(i, _)| i), Err(Some(later)));
        let (i, t) = b.start(later, &[]).unwrap();
        let (line, _) = b.ended(later, i, &record("a"), ended(t, Err(throttle())), 0.5);
        let (line, outcome) = json_of(line);
        assert_eq!(outcome, Outcome::Failed);
        assert_eq!(line["error"]["code"], "Throttled");
        assert_eq!(line["attempts"], 2);
        assert_eq!(b.tally.failed, 1);
        assert!(b.finished());
    }

    #[test]
    fn a_refusal_is_written_at_once_and_an_answer_is_priced() {
        let now = Instant::now();
        let mut b = books(2, 4);
        let (_, t0) = b.start(now, &[]).unwrap();
        let (_, t1) = b.start(now, &[]).unwrap();
        let refused = Failure::Service(BedrockError::Validation {
            message: "bad".into(),
        });
        let (line, _) = b.ended(now, 0, &record("a"), ended(t0, Err(refused)), 0.0);
        assert_eq!(json_of(line).0["error"]["code"], "Validation");
        let answer = Answer {
            text: Some("hi".into()),
            usage: Some(Usage {
                input: 1_000_000,
                output: 500_000,
                ..Usage::default()
            }),
            ..Answer::default()
        };
        let (line, _) = b.ended(now, 1, &record("b"), ended(t1, Ok(answer)), 0.0);
        let (line, outcome) = json_of(line);
        assert_eq!(outcome, Outcome::Answered);
        assert_eq!(line["output"], "hi");
        assert_eq!(line["costUsd"], 2.0);
        assert_eq!(b.tally.usd, 2.0);
        assert_eq!((b.tally.answered, b.tally.failed), (1, 1));
        assert!(b.finished());
    }

    #[test]
    fn when_stopping_nothing_starts_and_what_would_be_retried_is_left() {
        let now = Instant::now();
        let mut b = books(3, 4);
        let (i, t) = b.start(now, &[]).unwrap();
        b.stopping = true;
        assert_eq!(b.start(now, &[]).map(|(i, _)| i), Err(None));
        let (line, _) = b.ended(now, i, &record("a"), ended(t, Err(throttle())), 0.0);
        assert_eq!(line, None);
        assert_eq!(b.tally.retries, 0);
        assert!(b.finished(), "stopped with two records never sent");
    }

    #[test]
    fn the_backoff_grows_to_twenty_seconds_at_most() {
        assert_eq!(backoff(1, 1.0), Duration::from_secs(1));
        assert_eq!(backoff(3, 1.0), Duration::from_secs(4));
        assert_eq!(backoff(9, 1.0), Duration::from_secs(20));
        assert_eq!(backoff(2, 0.0), Duration::ZERO);
    }
}
