//! When to ask about jobs again: an interval that doubles while jobs run and nothing
//! changes, starts over when a status changes, stops when nothing runs, and grows
//! faster after throttling. Pure: the caller passes the time and the outcome of each
//! poll and sleeps until [`Schedule::next_poll`].

use std::collections::HashMap;
use std::time::{Duration, Instant};

use super::{Job, Status};

/// The intervals of a schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Intervals {
    /// The first interval, and the one after a status change.
    pub base: Duration,
    /// The longest interval while polls are answered.
    pub max: Duration,
    /// The shortest interval after a throttled poll.
    pub throttled_min: Duration,
    /// The longest interval after throttled polls.
    pub throttled_max: Duration,
}

impl Intervals {
    /// Intervals scaled from `base`: up to 12 times it while answered, 4 to 60 times it
    /// after throttling.
    pub fn from_base(base: Duration) -> Self {
        Intervals {
            base,
            max: base * 12,
            throttled_min: base * 4,
            throttled_max: base * 60,
        }
    }
}

impl Default for Intervals {
    /// Every 5 s at first, at most every minute; 20 s to 5 minutes when throttled. A
    /// video job takes minutes, so this finds it done soon enough without spending
    /// the account's request quota.
    fn default() -> Self {
        Intervals::from_base(Duration::from_secs(5))
    }
}

/// How a poll went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Answered: how many jobs are still in progress, and whether any status changed
    /// since the answer before.
    Answered { running: usize, changed: bool },
    /// Refused with a throttling error.
    Throttled,
    /// Failed otherwise (network, service error): tried again as if nothing changed.
    Failed,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    intervals: Intervals,
    interval: Duration,
    next: Option<Instant>,
}

impl Schedule {
    /// A paused schedule: nothing to poll until [`Schedule::resume`].
    pub fn new(intervals: Intervals) -> Self {
        Schedule {
            intervals,
            interval: intervals.base,
            next: None,
        }
    }

    /// Something may be running (a job was started, the list was asked for): poll at
    /// `now`, then at the base interval.
    pub fn resume(&mut self, now: Instant) {
        self.interval = self.intervals.base;
        self.next = Some(now);
    }

    /// When to poll next; `None` while paused.
    pub fn next_poll(&self) -> Option<Instant> {
        self.next
    }

    /// How long to wait from `now` until the next poll (zero when it is due).
    pub fn wait(&self, now: Instant) -> Option<Duration> {
        self.next.map(|t| t.saturating_duration_since(now))
    }

    /// The interval to the next poll after the last outcome.
    pub fn interval(&self) -> Duration {
        self.interval
    }

    pub fn is_paused(&self) -> bool {
        self.next.is_none()
    }

    /// Records how the poll made at `now` went; returns when to poll next.
    pub fn record(&mut self, now: Instant, outcome: Outcome) -> Option<Instant> {
        let i = self.intervals;
        match outcome {
            Outcome::Answered { running: 0, .. } => {
                self.interval = i.base;
                self.next = None;
                return None;
            }
            Outcome::Answered { changed: true, .. } => self.interval = i.base,
            Outcome::Answered { changed: false, .. } | Outcome::Failed => {
                self.interval = (self.interval * 2).min(i.max).max(i.base)
            }
            Outcome::Throttled => {
                self.interval = (self.interval * 2).clamp(i.throttled_min, i.throttled_max)
            }
        }
        self.next = Some(now + self.interval);
        self.next
    }
}

/// The jobs of `now` whose status differs from the one in `before` (new jobs too): what
/// a caller tells the user about, and whether a poll counts as a change.
pub fn changed<'a>(before: &HashMap<String, Status>, now: &'a [Job]) -> Vec<&'a Job> {
    now.iter()
        .filter(|j| before.get(&j.invocation_arn) != Some(&j.status))
        .collect()
}

/// The statuses of `jobs` by invocation ARN, to compare the next answer with.
pub fn statuses(jobs: &[Job]) -> HashMap<String, Status> {
    jobs.iter()
        .map(|j| (j.invocation_arn.clone(), j.status.clone()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: Duration = Duration::from_secs(1);

    fn running(changed: bool) -> Outcome {
        Outcome::Answered {
            running: 1,
            changed,
        }
    }

    /// The waits of a schedule fed `outcomes`, one poll each time it is due.
    fn waits(outcomes: &[Outcome]) -> Vec<Option<u64>> {
        let t0 = Instant::now();
        let mut s = Schedule::new(Intervals::from_base(S));
        s.resume(t0);
        let mut now = t0;
        outcomes
            .iter()
            .map(|o| {
                let next = s.record(now, *o);
                let wait = next.map(|n| (n - now).as_secs());
                if let Some(n) = next {
                    now = n;
                }
                wait
            })
            .collect()
    }

    #[test]
    fn backs_off_while_nothing_changes_up_to_the_maximum() {
        let w = waits(&[running(false); 7]);
        assert_eq!(w, [2, 4, 8, 12, 12, 12, 12].map(Some));
    }

    #[test]
    fn a_status_change_starts_over() {
        let w = waits(&[
            running(false),
            running(false),
            running(true),
            running(false),
        ]);
        assert_eq!(w, [2, 4, 1, 2].map(Some));
    }

    #[test]
    fn pauses_when_nothing_runs_and_resumes_at_once() {
        let t0 = Instant::now();
        let mut s = Schedule::new(Intervals::from_base(S));
        assert!(s.is_paused());
        assert_eq!(s.wait(t0), None);
        s.resume(t0);
        assert_eq!(s.wait(t0), Some(Duration::ZERO));
        s.record(t0, running(false));
        assert_eq!(s.wait(t0), Some(2 * S));
        let done = Outcome::Answered {
            running: 0,
            changed: true,
        };
        assert_eq!(s.record(t0 + 2 * S, done), None);
        assert!(s.is_paused());
        s.resume(t0 + 10 * S);
        assert_eq!(s.next_poll(), Some(t0 + 10 * S));
        assert_eq!(s.record(t0 + 10 * S, running(true)), Some(t0 + 11 * S));
    }

    #[test]
    fn throttling_backs_off_further_and_longer() {
        let w = waits(&[
            running(false),
            Outcome::Throttled,
            Outcome::Throttled,
            Outcome::Throttled,
            Outcome::Throttled,
            Outcome::Throttled,
            Outcome::Throttled,
            running(false),
            running(true),
        ]);
        // At least 4 s after a throttle, doubling to 60 s; answered again, back under
        // the ordinary maximum; a change, back to the base.
        assert_eq!(w, [2, 4, 8, 16, 32, 60, 60, 12, 1].map(Some));
        // A throttle right after a change still waits the throttled minimum.
        assert_eq!(waits(&[Outcome::Throttled]), [Some(4)]);
    }

    #[test]
    fn other_failures_back_off_like_an_unchanged_answer() {
        assert_eq!(
            waits(&[Outcome::Failed, Outcome::Failed, running(true)]),
            [2, 4, 1].map(Some)
        );
    }

    #[test]
    fn changes_are_new_jobs_and_new_statuses() {
        let job = |arn: &str, status: Status| Job {
            invocation_arn: arn.into(),
            model_arn: "m".into(),
            client_request_token: None,
            status,
            failure_message: None,
            submit_time: 0,
            last_modified_time: None,
            end_time: None,
            output_data_config: super::super::OutputDataConfig {
                s3_output_data_config: super::super::S3OutputDataConfig {
                    s3_uri: "s3://b/x".into(),
                    kms_key_id: None,
                    bucket_owner: None,
                },
            },
        };
        let before = vec![job("a", Status::InProgress), job("b", Status::InProgress)];
        let now = vec![
            job("a", Status::InProgress),
            job("b", Status::Failed),
            job("c", Status::InProgress),
        ];
        let arns: Vec<&str> = changed(&statuses(&before), &now)
            .iter()
            .map(|j| j.invocation_arn.as_str())
            .collect();
        assert_eq!(arns, ["b", "c"]);
        assert!(changed(&statuses(&now), &now).is_empty());
    }
}
