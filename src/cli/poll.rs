//! `--wait` of `jobs start` and `batch submit`: a job polled on the backoff schedule
//! until it ends, each poll one line on stderr saying what it found and when the next
//! one is.

use std::time::{Duration, Instant};

use super::{common, output};
use crate::jobs::poll::{Intervals, Outcome, Schedule};

/// `--wait` and `--poll-interval`.
#[derive(Debug, Clone, clap::Args)]
pub struct WaitArgs {
    /// Wait for the job to end, polling with backoff; exit 1 unless it completed.
    #[arg(long)]
    pub wait: bool,
    /// The first interval between polls with --wait, in seconds.
    #[arg(long, value_name = "SECS", default_value = "5", value_parser = common::seconds_arg)]
    pub poll_interval: Duration,
}

/// What one poll found.
pub enum Polled<T> {
    /// The job ended: the wait is over.
    Ended(T),
    /// Still running: `state` is compared with the last poll's (a change polls sooner
    /// again), `said` is the line to print.
    Running { state: String, said: String },
    /// Throttled: the next poll waits longer.
    Throttled(String),
    /// A transient failure, tried again on the schedule.
    Failed(String),
}

/// Polls with `poll` from `base` until the job ends; an error of `poll` ends the wait.
pub async fn until_ended<T, F, Fut>(base: Duration, mut poll: F) -> anyhow::Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = anyhow::Result<Polled<T>>>,
{
    let mut schedule = Schedule::new(Intervals::from_base(base));
    schedule.resume(Instant::now());
    let mut last: Option<String> = None;
    while let Some(pause) = schedule.wait(Instant::now()) {
        tokio::time::sleep(pause).await;
        let at = Instant::now();
        let (outcome, said) = match poll().await? {
            Polled::Ended(job) => return Ok(job),
            Polled::Running { state, said } => {
                let changed = last.as_ref() != Some(&state);
                last = Some(state);
                (
                    Outcome::Answered {
                        running: 1,
                        changed,
                    },
                    said,
                )
            }
            Polled::Throttled(said) => (Outcome::Throttled, said),
            Polled::Failed(said) => (Outcome::Failed, said),
        };
        schedule.record(at, outcome);
        output::note(format!(
            "{said}; next check in {}",
            common::seconds(schedule.interval())
        ));
    }
    anyhow::bail!("stopped polling before the job ended")
}
