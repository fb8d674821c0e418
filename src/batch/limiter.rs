//! How many records may be in flight, and when the next may start: additive increase,
//! multiplicative decrease (AIMD) on throttling, under optional requests- and
//! tokens-per-minute caps. Pure: the caller passes the time in.
//!
//! The concurrency starts at `start`, halves on a throttle and grows by one after as
//! many clean answers as it allows at once, up to `max`. Only a throttle of a request
//! started since the last decrease decreases it again: the requests already in flight
//! when it was halved were sent at the old concurrency and say nothing about the new
//! one (without this, one burst of throttles would take it straight down to 1).
//!
//! The caps count what started within a sliding window as the service does: a request
//! reserves its input tokens plus its maximum output when it starts, and holds what it
//! really used once answered.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// The settings of a limiter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Concurrency to start at.
    pub start: usize,
    /// The most it grows to.
    pub max: usize,
    /// Requests per window, if capped.
    pub rpm: Option<u64>,
    /// Tokens per window, if capped.
    pub tpm: Option<u64>,
    /// The window the caps count over.
    pub window: Duration,
}

/// The service counts quotas over a minute; a second more here keeps the client's
/// window from ending before the service's (its clock started a little later).
pub const WINDOW: Duration = Duration::from_secs(61);

impl Limits {
    /// `start` in flight at most, growing back to no more than `max`, no caps.
    pub fn new(start: usize, max: usize) -> Limits {
        let start = start.max(1);
        Limits {
            start,
            max: max.max(start),
            rpm: None,
            tpm: None,
            window: WINDOW,
        }
    }
}

/// A request the limiter let start; handed back when it ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ticket {
    id: u64,
    /// How many decreases there had been when it started.
    pub epoch: u64,
}

/// Why nothing may start now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wait {
    /// As many are in flight as the concurrency allows: wait for one to end.
    Full,
    /// A cap is reached until then.
    Until(Instant),
}

/// A change of the concurrency, to log and count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Change {
    pub from: usize,
    pub to: usize,
}

/// What the limiter did over a run, for the summary.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    pub throttles: u64,
    pub decreases: u64,
    pub increases: u64,
    pub lowest: usize,
    pub highest: usize,
}

/// A request counted against the caps.
#[derive(Debug, Clone, Copy)]
struct Use {
    at: Instant,
    id: u64,
    tokens: u64,
}

#[derive(Debug, Clone)]
pub struct Limiter {
    limits: Limits,
    /// The concurrency.
    limit: usize,
    /// Clean answers since it last changed: as many as it is make it grow by one.
    credit: usize,
    in_flight: usize,
    epoch: u64,
    next_id: u64,
    uses: VecDeque<Use>,
    stats: Stats,
}

impl Limiter {
    pub fn new(limits: Limits) -> Limiter {
        let start = limits.start.max(1);
        Limiter {
            limits,
            limit: start,
            credit: 0,
            in_flight: 0,
            epoch: 0,
            next_id: 0,
            uses: VecDeque::new(),
            stats: Stats {
                lowest: start,
                highest: start,
                ..Stats::default()
            },
        }
    }

    /// How many may be in flight now.
    pub fn concurrency(&self) -> usize {
        self.limit.max(1)
    }

    pub fn in_flight(&self) -> usize {
        self.in_flight
    }

    pub fn stats(&self) -> Stats {
        self.stats
    }

    /// Lets a request reserving `tokens` start at `now`, or says how long to wait.
    pub fn try_start(&mut self, now: Instant, tokens: u64) -> Result<Ticket, Wait> {
        if self.in_flight >= self.concurrency() {
            return Err(Wait::Full);
        }
        let window = self.limits.window;
        while self
            .uses
            .front()
            .is_some_and(|u| now.saturating_duration_since(u.at) >= window)
        {
            self.uses.pop_front();
        }
        let until = || {
            self.uses
                .front()
                .map_or(now, |u| u.at + window)
                .max(now + Duration::from_millis(1))
        };
        if self
            .limits
            .rpm
            .is_some_and(|rpm| self.uses.len() as u64 >= rpm)
        {
            return Err(Wait::Until(until()));
        }
        if let Some(tpm) = self.limits.tpm {
            let held: u64 = self.uses.iter().map(|u| u.tokens).sum();
            // A request bigger than the whole cap still goes once nothing else is held:
            // it would never fit, and the service says what it thinks of it.
            if held > 0 && held.saturating_add(tokens) > tpm {
                return Err(Wait::Until(until()));
            }
        }
        self.next_id += 1;
        let ticket = Ticket {
            id: self.next_id,
            epoch: self.epoch,
        };
        if self.limits.rpm.is_some() || self.limits.tpm.is_some() {
            self.uses.push_back(Use {
                at: now,
                id: ticket.id,
                tokens,
            });
        }
        self.in_flight += 1;
        Ok(ticket)
    }

    /// A throttle seen by a request started in `epoch` (the SDK may still retry it):
    /// halves the concurrency unless it was already halved since that request started.
    pub fn throttled(&mut self, epoch: u64) -> Option<Change> {
        self.stats.throttles += 1;
        if epoch != self.epoch {
            return None;
        }
        let from = self.concurrency();
        self.limit = (self.limit / 2).max(1);
        self.credit = 0;
        self.epoch += 1;
        let to = self.concurrency();
        self.stats.lowest = self.stats.lowest.min(to);
        (to != from).then(|| {
            self.stats.decreases += 1;
            Change { from, to }
        })
    }

    /// A request ended: `used` is the tokens it really took (when known), `clean` says
    /// it was answered without a throttle, which lets the concurrency grow.
    pub fn finish(&mut self, ticket: Ticket, used: Option<u64>, clean: bool) -> Option<Change> {
        self.in_flight = self.in_flight.saturating_sub(1);
        if let Some(used) = used
            && let Some(u) = self.uses.iter_mut().find(|u| u.id == ticket.id)
        {
            u.tokens = used;
        }
        if !clean {
            return None;
        }
        let from = self.concurrency();
        self.credit += 1;
        if self.credit >= self.limit {
            self.credit = 0;
            self.limit = (self.limit + 1).min(self.limits.max.max(1));
        }
        let to = self.concurrency();
        self.stats.highest = self.stats.highest.max(to);
        (to != from).then(|| {
            self.stats.increases += 1;
            Change { from, to }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn started(l: &mut Limiter, now: Instant, n: usize) -> Vec<Ticket> {
        (0..n).map(|_| l.try_start(now, 0).unwrap()).collect()
    }

    #[test]
    fn halves_once_per_round_of_throttles_and_grows_back_by_one_per_round() {
        let now = Instant::now();
        let mut l = Limiter::new(Limits::new(16, 16));
        let old = started(&mut l, now, 16);
        assert_eq!(l.try_start(now, 0), Err(Wait::Full));
        // Every request in flight is throttled: one halving, not four.
        assert_eq!(l.throttled(old[0].epoch), Some(Change { from: 16, to: 8 }));
        for t in &old[1..] {
            assert_eq!(l.throttled(t.epoch), None);
        }
        assert_eq!(l.concurrency(), 8);
        for t in old {
            assert_eq!(l.finish(t, None, false), None);
        }
        // A request sent at the new concurrency and throttled halves it again.
        let t = l.try_start(now, 0).unwrap();
        assert_eq!(l.throttled(t.epoch), Some(Change { from: 8, to: 4 }));
        l.finish(t, None, false);
        // Four clean answers at 4 add one.
        let mut changes = Vec::new();
        for _ in 0..40 {
            let t = l.try_start(now, 0).unwrap();
            changes.extend(l.finish(t, None, true));
        }
        assert_eq!(changes[0], Change { from: 4, to: 5 });
        assert_eq!(l.concurrency(), 10);
        let s = l.stats();
        assert_eq!((s.throttles, s.decreases, s.lowest), (17, 2, 4));
        assert_eq!(s.increases, 6);
    }

    #[test]
    fn never_below_one_nor_above_its_maximum() {
        let now = Instant::now();
        let mut l = Limiter::new(Limits::new(2, 3));
        for _ in 0..5 {
            let t = l.try_start(now, 0).unwrap();
            l.throttled(t.epoch);
            l.finish(t, None, false);
        }
        assert_eq!(l.concurrency(), 1);
        for _ in 0..100 {
            let t = l.try_start(now, 0).unwrap();
            l.finish(t, None, true);
        }
        assert_eq!(l.concurrency(), 3);
        assert_eq!(l.stats().highest, 3);
    }

    #[test]
    fn requests_per_window_wait_for_the_oldest_to_leave_it() {
        let t0 = Instant::now();
        let mut l = Limiter::new(Limits {
            rpm: Some(2),
            window: Duration::from_secs(60),
            ..Limits::new(8, 8)
        });
        let a = l.try_start(t0, 0).unwrap();
        l.finish(a, None, true);
        l.try_start(t0 + Duration::from_secs(10), 0).unwrap();
        assert_eq!(
            l.try_start(t0 + Duration::from_secs(20), 0),
            Err(Wait::Until(t0 + Duration::from_secs(60)))
        );
        assert!(l.try_start(t0 + Duration::from_secs(60), 0).is_ok());
    }

    #[test]
    fn tokens_are_reserved_then_settled_to_what_was_used() {
        let t0 = Instant::now();
        let mut l = Limiter::new(Limits {
            tpm: Some(1000),
            window: Duration::from_secs(60),
            ..Limits::new(8, 8)
        });
        let a = l.try_start(t0, 800).unwrap();
        assert_eq!(
            l.try_start(t0, 300),
            Err(Wait::Until(t0 + Duration::from_secs(60)))
        );
        // The answer used 200 of its 800: 800 more fit now.
        l.finish(a, Some(200), true);
        assert!(l.try_start(t0, 800).is_ok());
        // Bigger than the whole cap: only once nothing is held.
        let mut l = Limiter::new(Limits {
            tpm: Some(100),
            ..Limits::new(8, 8)
        });
        assert!(l.try_start(t0, 5000).is_ok());
        assert!(l.try_start(t0, 1).is_err());
    }
}
