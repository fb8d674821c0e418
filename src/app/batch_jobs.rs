//! Batch inference jobs in the jobs pane, beside the async invocations: which of them
//! the filter shows, what their listing changed and the notice of one that ended, and
//! stopping one after a yes.

use std::collections::HashMap;

use crate::jobs::batch::{BatchJob, progress};
use crate::jobs::{Job, Status, human_duration};

use super::effect::Effect;
use super::state::{App, Notice};

/// A row of the jobs pane.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Row<'a> {
    Invocation(&'a Job),
    Batch(&'a BatchJob),
}

impl Row<'_> {
    pub fn arn(&self) -> &str {
        match self {
            Row::Invocation(j) => &j.invocation_arn,
            Row::Batch(j) => &j.arn,
        }
    }
}

/// Whether the pane's filter, made of the async statuses, lets `job` through: in
/// progress is any stage before the end, completed includes partly, and failed
/// includes stopped and expired.
pub fn passes(filter: Option<&Status>, job: &BatchJob) -> bool {
    match filter {
        None => true,
        Some(Status::InProgress) => !job.ended(),
        Some(Status::Completed) => {
            matches!(job.status.as_str(), "Completed" | "PartiallyCompleted")
        }
        Some(Status::Failed) => matches!(job.status.as_str(), "Failed" | "Stopped" | "Expired"),
        Some(Status::Other(s)) => job.status == *s,
    }
}

/// Whether an ended job has outputs the service wrote.
pub fn has_outputs(job: &BatchJob) -> bool {
    matches!(
        job.status.as_str(),
        "Completed" | "PartiallyCompleted" | "Stopped"
    )
}

/// A job that has just ended, for the notice: what to say and whether it went wrong.
pub struct Ended {
    pub text: String,
    pub failed: bool,
}

/// The jobs of `now` that have ended since `before` (their statuses by ARN).
pub fn ended_since(before: &[BatchJob], now: &[BatchJob]) -> Vec<Ended> {
    let was: HashMap<&str, &str> = before
        .iter()
        .map(|j| (j.arn.as_str(), j.status.as_str()))
        .collect();
    now.iter()
        .filter(|j| j.ended() && was.get(j.arn.as_str()) != Some(&j.status.as_str()))
        .map(ended)
        .collect()
}

fn ended(job: &BatchJob) -> Ended {
    let took = job
        .end_time
        .map(|e| format!(" in {}", human_duration(e - job.submit_time)))
        .unwrap_or_default();
    let who = format!("Batch job {} ({})", job.name, job.id());
    let r = &job.records;
    let counts = match (r.success, r.error, r.total) {
        (Some(s), Some(e), _) => format!(": {s} records succeeded, {e} failed"),
        (_, _, Some(_)) => format!(": {} records", progress(job)),
        // Stopped before the service read the input.
        _ => String::new(),
    };
    let why = job.message.as_deref().unwrap_or("no reason given");
    match job.status.as_str() {
        "Completed" => Ended {
            text: format!("{who} completed{took}{counts}. F5 shows it, d downloads its outputs."),
            failed: false,
        },
        "PartiallyCompleted" => Ended {
            text: format!("{who} partly completed{took}{counts}. d downloads its outputs."),
            failed: true,
        },
        "Stopped" => Ended {
            text: format!("{who} stopped{took}{counts}."),
            failed: false,
        },
        other => Ended {
            text: format!("{who} {}: {why}", other.to_lowercase()),
            failed: true,
        },
    }
}

/// `s` on the selected row: a batch job still running asks for a yes before it is
/// stopped.
pub fn ask_stop(app: &mut App) {
    let said = match app.jobs.selected_row() {
        Some(Row::Batch(job)) if !job.ended() => Ok(job.arn.clone()),
        Some(Row::Batch(job)) => Err(format!(
            "Batch job {} has ended ({}); there is nothing to stop.",
            job.id(),
            job.status
        )),
        Some(Row::Invocation(_)) => {
            Err("An async invocation cannot be stopped; s stops a batch inference job.".into())
        }
        None => return,
    };
    match said {
        Ok(arn) => {
            app.jobs.stop = Some(arn);
            app.jobs.details = true;
        }
        Err(e) => app.tell(Notice::Error(e)),
    }
}

/// The answer to `Effect::StopBatchJob`.
pub fn stopped(app: &mut App, arn: &str, result: Result<(), String>) -> Vec<Effect> {
    let id = arn.rsplit('/').next().unwrap_or(arn);
    match result {
        Ok(()) => {
            app.tell(Notice::Info(format!(
                "Stopping batch job {id}; you are told when it has stopped."
            )));
            super::jobs::refresh(app)
        }
        Err(e) => {
            app.tell(Notice::Error(format!(
                "Batch job {id} was not stopped: {e}"
            )));
            Vec::new()
        }
    }
}

#[cfg(test)]
#[path = "batch_jobs_tests.rs"]
pub(crate) mod tests;
