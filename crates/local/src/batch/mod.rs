//! Batch inference: the model invocation jobs of the Bedrock control plane
//! (CreateModelInvocationJob, GetModelInvocationJob, ListModelInvocationJobs,
//! StopModelInvocationJob). A job reads JSONL records from the endpoint's S3 store,
//! goes Submitted → Validating → Scheduled → InProgress, one `Settings::batch_step` per
//! stage, answers every record as InvokeModel (or Converse) would, writes its outputs
//! where the service writes them, and ends Completed, PartiallyCompleted (some records
//! failed) or Failed; StopModelInvocationJob takes it through Stopping to Stopped.
//! Jobs are kept in `--data-dir` and carry on after a restart.

mod api;
mod check;
mod records;
mod store;
#[cfg(test)]
mod tests;

pub(crate) use api::{create, get, list, stop};

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;

use super::jobs::now_ms;
use super::state::State;
use crate::jobs::disk::{Disk, wait_due};
use records::{Answer, Limits};
use store::{Counts, Job, Status};

#[derive(Default)]
struct Book {
    jobs: BTreeMap<String, Job>,
    /// (region, clientRequestToken) -> job id.
    tokens: HashMap<(String, String), String>,
    next_seq: u64,
}

/// The endpoint's batch inference jobs.
#[derive(Default)]
pub(crate) struct Batches {
    book: Mutex<Book>,
    disk: OnceLock<Disk>,
    wake: Notify,
}

impl Batches {
    fn book(&self) -> std::sync::MutexGuard<'_, Book> {
        self.book.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn persist(&self, job: &Job) {
        if let Some(disk) = self.disk.get()
            && let Err(e) = disk.save(job)
        {
            tracing::warn!("could not save batch job {}: {e}", job.id);
        }
    }

    /// Changes a job under the lock, then saves it; `None` when there is no such job.
    fn update(&self, id: &str, change: impl FnOnce(&mut Job)) -> Option<Job> {
        let job = {
            let mut book = self.book();
            let job = book.jobs.get_mut(id)?;
            change(job);
            job.clone()
        };
        self.persist(&job);
        Some(job)
    }

    /// The unfinished job due first.
    fn next_due(&self) -> Option<(String, u64)> {
        self.book()
            .jobs
            .values()
            .filter(|j| !j.status.terminal())
            .min_by_key(|j| (j.due_ms, j.seq))
            .map(|j| (j.id.clone(), j.due_ms))
    }
}

/// Loads the jobs kept in the data folder and starts the runner, which stops when
/// `stop` turns true.
pub(crate) fn start(
    state: Arc<State>,
    stop: watch::Receiver<bool>,
) -> std::io::Result<JoinHandle<()>> {
    if let Some(dir) = &state.settings.data_dir {
        let disk = Disk::open(&dir.join("batch-jobs"), "batch job")?;
        let jobs = disk.load::<Job>()?;
        let mut book = state.batch.book();
        for job in jobs.into_values() {
            book.tokens.insert(
                (job.region.clone(), job.client_request_token.clone()),
                job.id.clone(),
            );
            book.next_seq = book.next_seq.max(job.seq + 1);
            book.jobs.insert(job.id.clone(), job);
        }
        drop(book);
        let _ = state.batch.disk.set(disk);
    }
    Ok(tokio::spawn(run(state, stop)))
}

/// Advances jobs as their stages fall due, until `stop` turns true.
async fn run(state: Arc<State>, mut stop: watch::Receiver<bool>) {
    loop {
        if *stop.borrow() {
            break;
        }
        let now = now_ms();
        match state.batch.next_due() {
            Some((id, due)) if due <= now => advance(&state, &id).await,
            next => {
                let wait = next.map(|(_, due)| Duration::from_millis(due - now));
                if !wait_due(wait, &state.batch.wake, &mut stop).await {
                    break;
                }
            }
        }
    }
}

fn limits(state: &State) -> Limits {
    Limits::with_min(state.settings.batch_min_records)
}

/// Moves a due job to its next stage.
async fn advance(state: &State, id: &str) {
    let Some(job) = state.batch.book().jobs.get(id).cloned() else {
        return;
    };
    let step = state.settings.batch_step.as_millis() as u64;
    let now = now_ms();
    let next = |status: Status| {
        move |j: &mut Job| {
            j.status = status;
            j.last_modified_ms = now;
            j.due_ms = now.saturating_add(step);
        }
    };
    if now >= job.expiration_ms() {
        end(state, id, Status::Expired, None);
        return;
    }
    match job.status {
        Status::Submitted => {
            state.batch.update(id, next(Status::Validating));
        }
        Status::Validating => match validate(state, &job).await {
            Ok(total) => {
                state.batch.update(id, |j| {
                    next(Status::Scheduled)(j);
                    j.counts = Some(Counts {
                        total,
                        ..Counts::default()
                    });
                });
            }
            Err(message) => end(state, id, Status::Failed, Some(message)),
        },
        Status::Scheduled => {
            state.batch.update(id, next(Status::InProgress));
        }
        Status::InProgress => process(state, &job).await,
        Status::Stopping => end(state, id, Status::Stopped, None),
        _ => {}
    }
    state.batch.wake.notify_one();
}

/// Ends a job with `status` (unless it ended already).
fn end(state: &State, id: &str, status: Status, message: Option<String>) {
    let now = now_ms();
    state.batch.update(id, |j| {
        if j.status.terminal() {
            return;
        }
        j.status = status;
        j.message = message;
        j.last_modified_ms = now;
        j.end_ms = Some(now);
    });
}

/// What the Validating stage checks: the input is there, readable, within the quotas,
/// and asks for no failure. The record count, or the job's failure message.
async fn validate(state: &State, job: &Job) -> Result<u64, String> {
    let s3 = state
        .jobs
        .s3()
        .ok_or("The S3 store of the endpoint is not available.")?;
    let limits = limits(state);
    let inputs = records::read(s3, job.input_uri(), &limits).await?;
    let total = records::count(&inputs, &limits)?;
    if records::asks_job_failure(&inputs) {
        return Err(crate::jobs::JOB_FAIL_MESSAGE.to_owned());
    }
    Ok(total)
}

/// Runs every record and writes the outputs; the job ends by how its records did.
async fn process(state: &State, job: &Job) {
    match run_records(state, job).await {
        Ok(counts) => {
            let (status, message) = match counts {
                c if c.error == 0 => (Status::Completed, None),
                c if c.success > 0 => (
                    Status::PartiallyCompleted,
                    Some(format!(
                        "{} of {} records failed. See the error of each in the output files.",
                        c.error, c.total
                    )),
                ),
                c => (
                    Status::Failed,
                    Some(format!(
                        "All {} records failed. See the error of each in the output files.",
                        c.total
                    )),
                ),
            };
            state.batch.update(&job.id, |j| j.counts = Some(counts));
            // A stop asked for while the records ran ends the job Stopped.
            let stopping = state
                .batch
                .book()
                .jobs
                .get(&job.id)
                .is_some_and(|j| j.status == Status::Stopping);
            if stopping {
                end(state, &job.id, Status::Stopped, None);
            } else {
                end(state, &job.id, status, message);
            }
        }
        Err(message) => end(state, &job.id, Status::Failed, Some(message)),
    }
}

async fn run_records(state: &State, job: &Job) -> Result<Counts, String> {
    let s3 = state
        .jobs
        .s3()
        .ok_or("The S3 store of the endpoint is not available.")?;
    let inputs = records::read(s3, job.input_uri(), &limits(state)).await?;
    let model = state
        .catalog
        .get(&job.model)
        .ok_or_else(|| format!("The model {} is not available.", job.model))?;
    let converse = job.invocation_type == "Converse";
    let mut files = Vec::new();
    let mut all: Vec<Answer> = Vec::new();
    for input in &inputs {
        let answers: Vec<Answer> = records::lines(input)
            .enumerate()
            .map(|(i, line)| {
                let salt = format!("{}/{}/{i}", job.id, input.name);
                records::answer(state, model, converse, line, &salt)
            })
            .collect();
        files.push((format!("{}.out", input.name), records::out_file(&answers)));
        all.extend(answers);
    }
    let manifest = records::manifest(&all);
    files.push((
        "manifest.json.out".to_owned(),
        serde_json::to_vec(&manifest).unwrap_or_default(),
    ));
    let (bucket, prefix) = records::split(job.output_uri());
    let prefix = prefix.trim_end_matches('/');
    s3.ensure_bucket(bucket).await?;
    for (name, body) in files {
        let key = if prefix.is_empty() {
            format!("{}/{name}", job.id)
        } else {
            format!("{prefix}/{}/{name}", job.id)
        };
        s3.put(bucket, &key, "application/jsonl", body)
            .await
            .map_err(|e| {
                format!(
                    "Amazon Bedrock could not write the output to {}: {e}",
                    job.output_uri()
                )
            })?;
    }
    let success = all.iter().filter(|a| a.ok).count() as u64;
    Ok(Counts {
        total: all.len() as u64,
        processed: all.len() as u64,
        success,
        error: all.len() as u64 - success,
    })
}
