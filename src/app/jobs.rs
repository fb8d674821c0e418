//! Async jobs in the app: the listing of the region's async invocations and batch
//! inference jobs kept fresh by the poll schedule while any runs, notices when one
//! ends, the start form, and the download of a finished job's outputs.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Instant;

use crate::jobs::batch::BatchJob;
use crate::jobs::poll::{self, Intervals, Outcome, Schedule};
use crate::jobs::{Job, S3Uri, Status, human_duration};

use super::batch_jobs::{self, Ended, Row};
use super::effect::{EditorTarget, Effect};
use super::state::{App, Notice, Overlay};

/// How a listing failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListFailure {
    pub throttled: bool,
    pub message: String,
}

/// The input of a job to start, as the form gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobInput {
    /// Filled into the model's template.
    Prompt(String),
    /// A JSON file, taken as it is; the path as typed (`~/` is expanded when it is read).
    File(String),
    /// Written in `$EDITOR` from the model's template.
    Json(serde_json::Value),
}

/// What the start form sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobStart {
    pub model_id: String,
    pub input: JobInput,
    pub output: S3Uri,
    /// Kept by the form, so sending it again (after an error) never makes two jobs.
    pub token: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Field {
    #[default]
    Model,
    Prompt,
    File,
    Output,
}

/// The start form.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Form {
    /// Index among the catalog's async-capable models.
    pub model: usize,
    pub field: Field,
    pub prompt: String,
    pub file: String,
    pub output: String,
    /// The model input as edited in `$EDITOR`; it takes the place of prompt and file.
    pub edited: Option<serde_json::Value>,
    pub token: String,
    pub error: Option<String>,
    pub sending: bool,
}

/// A download of a job's outputs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Download {
    Running {
        file: usize,
        files: usize,
        name: String,
        done: u64,
        total: Option<u64>,
    },
    /// The files written, each with the start of its text when it is JSON or text.
    Done(Vec<(PathBuf, Option<String>)>),
    Failed(String),
}

/// How a download failed: a file in the way asks before overwriting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DownloadFailure {
    Exists(PathBuf),
    Other(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Jobs {
    pub jobs: Vec<Job>,
    /// The region's batch inference jobs, newest first.
    pub batch: Vec<BatchJob>,
    /// Why batch jobs could not be listed, when they could not.
    pub batch_error: Option<String>,
    /// The batch job that waits for "y" to be stopped.
    pub stop: Option<String>,
    /// Whether any listing has come; notices start after the first.
    pub listed: bool,
    pub error: Option<String>,
    pub filter: Option<Status>,
    pub selected: usize,
    pub details: bool,
    /// The listing asked for last; answers to older ones are dropped.
    pub request: u64,
    pub schedule: Schedule,
    /// The poll that is due; older wake-ups are dropped.
    pub poll: u64,
    pub downloads: HashMap<String, Download>,
    pub form: Option<Form>,
    /// The job whose download waits for "y" to overwrite, and the file in the way.
    pub confirm: Option<(String, PathBuf)>,
    /// Prefix of the forms' tokens, unique to this run of the app.
    pub session: String,
    pub forms: u64,
    /// Where outputs are downloaded (a folder per job below it).
    pub download_dir: PathBuf,
    /// The start form's default output location.
    pub output: Option<S3Uri>,
}

impl Default for Jobs {
    fn default() -> Self {
        Jobs {
            jobs: Vec::new(),
            batch: Vec::new(),
            batch_error: None,
            stop: None,
            listed: false,
            error: None,
            filter: None,
            selected: 0,
            details: false,
            request: 0,
            schedule: Schedule::new(Intervals::default()),
            poll: 0,
            downloads: HashMap::new(),
            form: None,
            confirm: None,
            session: String::new(),
            forms: 0,
            download_dir: PathBuf::from("."),
            output: None,
        }
    }
}

impl Jobs {
    /// The jobs the filter lets through, newest first.
    pub fn shown(&self) -> Vec<&Job> {
        self.jobs
            .iter()
            .filter(|j| self.filter.as_ref().is_none_or(|f| *f == j.status))
            .collect()
    }

    /// The rows of the pane: the invocations the filter lets through, then the batch
    /// jobs it lets through.
    pub fn rows(&self) -> Vec<Row<'_>> {
        let batch = self
            .batch
            .iter()
            .filter(|j| batch_jobs::passes(self.filter.as_ref(), j));
        self.shown()
            .into_iter()
            .map(Row::Invocation)
            .chain(batch.map(Row::Batch))
            .collect()
    }

    pub fn selected_row(&self) -> Option<Row<'_>> {
        self.rows().get(self.selected).copied()
    }

    /// The selected row's async invocation, if it is one.
    pub fn selected_job(&self) -> Option<&Job> {
        match self.selected_row()? {
            Row::Invocation(j) => Some(j),
            Row::Batch(_) => None,
        }
    }
}

/// Keys of the jobs pane and its form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobsKey {
    Up,
    Down,
    Enter,
    /// Esc: closes the form or the details, then the pane.
    Back,
    Tab,
    Left,
    Right,
    Backspace,
    Char(char),
}

/// Asks for the listing now; one in flight is superseded, as it may predate a change.
pub fn refresh(app: &mut App) -> Vec<Effect> {
    app.next_request += 1;
    app.jobs.request = app.next_request;
    vec![Effect::ListJobs {
        request: app.jobs.request,
    }]
}

pub fn open(app: &mut App) -> Vec<Effect> {
    app.overlay = Overlay::Jobs;
    refresh(app)
}

/// How many jobs of either kind are still running.
pub fn running(j: &Jobs) -> usize {
    j.jobs.iter().filter(|j| j.status.is_running()).count()
        + j.batch.iter().filter(|j| !j.ended()).count()
}

/// The answer to `Effect::ListJobs`, made at `at`: the async invocations and the
/// batch jobs, each listed or not.
pub fn listed(
    app: &mut App,
    request: u64,
    at: Instant,
    result: Result<Vec<Job>, ListFailure>,
    batch: Result<Vec<BatchJob>, ListFailure>,
) -> Vec<Effect> {
    if request != app.jobs.request {
        return Vec::new();
    }
    let j = &mut app.jobs;
    let mut ended = Vec::new();
    let mut changed = false;
    let mut failure: Option<ListFailure> = None;
    match result {
        Ok(jobs) => {
            let before = poll::statuses(&j.jobs);
            let now: Vec<&Job> = poll::changed(&before, &jobs);
            changed |= !now.is_empty();
            ended.extend(now.iter().filter_map(|job| invocation_ended(job)));
            j.jobs = jobs;
            j.error = None;
        }
        Err(f) => {
            j.error = Some(f.message.clone());
            failure = Some(f);
        }
    }
    match batch {
        Ok(jobs) => {
            let before: Vec<(&str, &str)> = j
                .batch
                .iter()
                .map(|b| (b.arn.as_str(), b.status.as_str()))
                .collect();
            changed |= jobs.len() != before.len()
                || jobs
                    .iter()
                    .zip(&before)
                    .any(|(b, (arn, status))| b.arn != *arn || b.status != *status);
            ended.extend(batch_jobs::ended_since(&j.batch, &jobs));
            j.batch = jobs;
            j.batch_error = None;
        }
        Err(f) => {
            j.batch_error = Some(f.message.clone());
            if failure.as_ref().is_none_or(|a| !a.throttled) {
                failure = Some(f);
            }
        }
    }
    let told = if j.listed { ended_notice(ended) } else { None };
    j.listed = true;
    j.selected = j.selected.min(j.rows().len().saturating_sub(1));
    let outcome = match (failure, running(j)) {
        (Some(f), _) if f.throttled => Outcome::Throttled,
        // A listing that cannot be had (no permission, say) is not retried unless some
        // job is known to run.
        (Some(_), 0) => Outcome::Answered {
            running: 0,
            changed: false,
        },
        (Some(_), _) => Outcome::Failed,
        (None, running) => Outcome::Answered { running, changed },
    };
    if let Some(n) = told {
        app.tell(n);
    }
    schedule(app, at, outcome)
}

fn schedule(app: &mut App, at: Instant, outcome: Outcome) -> Vec<Effect> {
    let j = &mut app.jobs;
    match j.schedule.record(at, outcome) {
        Some(next) => {
            j.poll += 1;
            vec![Effect::ScheduleJobsPoll {
                poll: j.poll,
                after: next.saturating_duration_since(at),
            }]
        }
        None => Vec::new(),
    }
}

/// What to tell of the jobs that have just ended: one by itself, several counted (an
/// error when any failed, so a failure is never hidden behind a completion).
fn ended_notice(ended: Vec<Ended>) -> Option<Notice> {
    let failed = ended.iter().filter(|e| e.failed).count();
    let n = ended.len();
    let text = match ended.into_iter().next() {
        None => return None,
        Some(one) if n == 1 => one.text,
        Some(_) => format!(
            "{n} jobs ended: {} completed, {failed} failed. F5 shows them.",
            n - failed
        ),
    };
    Some(if failed > 0 {
        Notice::Error(text)
    } else {
        Notice::Info(text)
    })
}

/// What to tell of an invocation whose status changed, if it has ended.
fn invocation_ended(job: &Job) -> Option<Ended> {
    let took = job
        .end_time
        .map(|e| format!(" in {}", human_duration(e - job.submit_time)))
        .unwrap_or_default();
    match job.status {
        Status::Completed => Some(Ended {
            text: format!(
                "Job {} ({}) completed{took}: F5 shows it, d downloads its outputs.",
                job.id(),
                job.model_id()
            ),
            failed: false,
        }),
        Status::Failed => Some(Ended {
            text: format!(
                "Job {} ({}) failed: {}",
                job.id(),
                job.model_id(),
                job.failure_message.as_deref().unwrap_or("no reason given")
            ),
            failed: true,
        }),
        _ => None,
    }
}

pub fn poll_due(app: &mut App, poll: u64) -> Vec<Effect> {
    if poll != app.jobs.poll {
        return Vec::new();
    }
    refresh(app)
}

fn async_models(app: &App) -> Vec<String> {
    crate::jobs::input::async_models(app.catalog())
        .into_iter()
        .map(|m| m.id.clone())
        .collect()
}

/// Opens the start form with `draft` (the composer's text) as the prompt.
pub fn new_form(app: &mut App, draft: String) -> Vec<Effect> {
    let j = &mut app.jobs;
    j.forms += 1;
    j.form = Some(Form {
        prompt: draft.trim().to_owned(),
        output: j.output.as_ref().map(S3Uri::to_string).unwrap_or_default(),
        token: format!("{}-{}", j.session, j.forms),
        ..Form::default()
    });
    Vec::new()
}

fn form_key(app: &mut App, key: JobsKey) -> Vec<Effect> {
    let models = async_models(app);
    let Some(f) = app.jobs.form.as_mut() else {
        return Vec::new();
    };
    let text = match f.field {
        Field::Model => None,
        Field::Prompt => Some(&mut f.prompt),
        Field::File => Some(&mut f.file),
        Field::Output => Some(&mut f.output),
    };
    match key {
        JobsKey::Back => app.jobs.form = None,
        JobsKey::Tab | JobsKey::Down => {
            f.field = match f.field {
                Field::Model => Field::Prompt,
                Field::Prompt => Field::File,
                Field::File => Field::Output,
                Field::Output => Field::Model,
            }
        }
        JobsKey::Up => {
            f.field = match f.field {
                Field::Model => Field::Output,
                Field::Prompt => Field::Model,
                Field::File => Field::Prompt,
                Field::Output => Field::File,
            }
        }
        JobsKey::Left | JobsKey::Right if f.field == Field::Model && !models.is_empty() => {
            let n = models.len();
            f.model = if key == JobsKey::Left {
                (f.model + n - 1) % n
            } else {
                (f.model + 1) % n
            };
        }
        JobsKey::Char(c) => {
            if let Some(t) = text {
                t.push(c);
            }
        }
        JobsKey::Backspace => {
            if let Some(t) = text {
                t.pop();
            }
        }
        JobsKey::Enter => return submit(app, &models),
        JobsKey::Left | JobsKey::Right => {}
    }
    Vec::new()
}

/// Checks the form and starts the job; what is wrong stays in the form.
fn submit(app: &mut App, models: &[String]) -> Vec<Effect> {
    let catalog = app.catalog().clone();
    let Some(f) = app.jobs.form.as_mut() else {
        return Vec::new();
    };
    if f.sending {
        return Vec::new();
    }
    let checked = (|| {
        let model_id = models
            .get(f.model)
            .ok_or("the catalog has no async-capable model")?
            .clone();
        let output = S3Uri::parse(f.output.trim()).map_err(|e| format!("output: {e}"))?;
        let input = match (f.prompt.trim(), f.file.trim()) {
            _ if f.edited.is_some() => JobInput::Json(f.edited.clone().unwrap_or_default()),
            (_, file) if !file.is_empty() => JobInput::File(file.to_owned()),
            ("", _) => return Err("give a prompt, or a JSON file with the model input".into()),
            (prompt, _) => {
                let model = catalog.lookup(&model_id).ok_or("unknown model")?;
                crate::jobs::input::from_prompt(model, prompt, &Default::default())
                    .map_err(|e| e.to_string())?;
                JobInput::Prompt(prompt.to_owned())
            }
        };
        Ok::<_, String>(JobStart {
            model_id,
            input,
            output,
            token: f.token.clone(),
        })
    })();
    match checked {
        Ok(start) => {
            f.error = None;
            f.sending = true;
            vec![Effect::StartJob(start)]
        }
        Err(e) => {
            f.error = Some(e);
            Vec::new()
        }
    }
}

/// The model input the form would send, as JSON for `$EDITOR`: what was edited
/// before, else the selected model's template filled with the prompt. `None` without
/// a form.
pub fn template(app: &App) -> Option<String> {
    let f = app.jobs.form.as_ref()?;
    if let Some(v) = &f.edited {
        return serde_json::to_string_pretty(v).ok();
    }
    let models = crate::jobs::input::async_models(app.catalog());
    let model = models.get(f.model)?;
    let prompt = match f.prompt.trim() {
        "" => "Describe the video or the text to embed here.",
        p => p,
    };
    let input = crate::jobs::input::from_prompt(model, prompt, &Default::default()).ok()?;
    serde_json::to_string_pretty(&input).ok()
}

/// The start form's model input in `$EDITOR`, from `template`.
pub fn edit_input(app: &mut App) -> Vec<Effect> {
    template(app)
        .map(|text| Effect::Editor {
            text,
            target: EditorTarget::JobInput,
        })
        .into_iter()
        .collect()
}

/// The text back from `$EDITOR`: the model input, if it is JSON.
pub fn edited(app: &mut App, text: String) -> Vec<Effect> {
    let Some(f) = app.jobs.form.as_mut() else {
        return Vec::new();
    };
    match serde_json::from_str::<serde_json::Value>(&text) {
        Ok(v) => {
            f.edited = Some(v);
            f.error = None;
        }
        Err(e) => {
            f.error = Some(format!(
                "the edited input is not JSON (line {}, column {}): {e}",
                e.line(),
                e.column()
            ))
        }
    }
    Vec::new()
}

/// The answer to `Effect::StartJob`: the new job's ARN, or what went wrong.
pub fn started(app: &mut App, at: Instant, result: Result<String, String>) -> Vec<Effect> {
    match result {
        Ok(arn) => {
            let id = arn.rsplit('/').next().unwrap_or(&arn).to_owned();
            app.jobs.form = None;
            app.jobs.filter = None;
            app.jobs.selected = 0;
            app.tell(Notice::Info(format!(
                "Job {id} started; you are told when it ends."
            )));
            app.jobs.schedule.resume(at);
            refresh(app)
        }
        Err(e) => {
            if let Some(f) = app.jobs.form.as_mut() {
                f.sending = false;
                f.error = Some(format!("{e} (Enter tries again with the same token)"));
            } else {
                app.tell(Notice::Error(e));
            }
            Vec::new()
        }
    }
}

/// What the selected row's download needs: its ARN, output folder and id, or why it
/// has nothing to download.
fn outputs(row: Row<'_>) -> Result<(String, String, String), String> {
    match row {
        Row::Invocation(job) if job.status == Status::Completed => Ok((
            job.invocation_arn.clone(),
            job.output_uri().to_owned(),
            job.id().to_owned(),
        )),
        Row::Invocation(job) => Err(format!(
            "Job {} is {}: only a completed job has outputs to download.",
            job.id(),
            job.status
        )),
        Row::Batch(job) => match &job.output_uri {
            Some(base) if batch_jobs::has_outputs(job) => Ok((
                job.arn.clone(),
                format!("{}/{}/", base.trim_end_matches('/'), job.id()),
                job.id().to_owned(),
            )),
            _ => Err(format!(
                "Batch job {} is {}: its outputs are written when it completes or stops.",
                job.id(),
                job.status
            )),
        },
    }
}

fn download(app: &mut App, overwrite: bool) -> Vec<Effect> {
    let Some(row) = app.jobs.selected_row() else {
        return Vec::new();
    };
    let (arn, folder, id) = match outputs(row) {
        Ok(found) => found,
        Err(e) => {
            app.tell(Notice::Error(e));
            return Vec::new();
        }
    };
    if matches!(app.jobs.downloads.get(&arn), Some(Download::Running { .. })) {
        return Vec::new();
    }
    app.jobs.downloads.insert(
        arn.clone(),
        Download::Running {
            file: 0,
            files: 0,
            name: String::new(),
            done: 0,
            total: None,
        },
    );
    app.jobs.details = true;
    vec![Effect::DownloadJob {
        arn,
        folder,
        dir: app.jobs.download_dir.join(id),
        overwrite,
    }]
}

pub fn progress(app: &mut App, arn: String, progress: Download) {
    if let Some(d @ Download::Running { .. }) = app.jobs.downloads.get_mut(&arn) {
        *d = progress;
    }
}

pub fn downloaded(
    app: &mut App,
    arn: String,
    result: Result<Vec<(PathBuf, Option<String>)>, DownloadFailure>,
) {
    let state = match result {
        Ok(files) => {
            let dir = files
                .first()
                .and_then(|(p, _)| p.parent())
                .map(|p| p.display().to_string())
                .unwrap_or_default();
            app.tell(Notice::Info(format!(
                "Downloaded {} files to {dir}.",
                files.len()
            )));
            Download::Done(files)
        }
        Err(DownloadFailure::Exists(path)) => {
            app.jobs.confirm = Some((arn.clone(), path.clone()));
            Download::Failed(format!("{} already exists", path.display()))
        }
        Err(DownloadFailure::Other(e)) => Download::Failed(e),
    };
    app.jobs.downloads.insert(arn, state);
}

pub fn key(app: &mut App, key: JobsKey) -> Vec<Effect> {
    if app.jobs.form.is_some() {
        return form_key(app, key);
    }
    if let Some((arn, _)) = app.jobs.confirm.take() {
        let at = app.jobs.rows().iter().position(|r| r.arn() == arn);
        if key == JobsKey::Char('y')
            && let Some(i) = at
        {
            app.jobs.selected = i;
            app.jobs.downloads.remove(&arn);
            return download(app, true);
        }
        return Vec::new();
    }
    if let Some(arn) = app.jobs.stop.take() {
        return if key == JobsKey::Char('y') {
            vec![Effect::StopBatchJob { arn }]
        } else {
            Vec::new()
        };
    }
    let n = app.jobs.rows().len();
    let j = &mut app.jobs;
    match key {
        JobsKey::Up => j.selected = j.selected.saturating_sub(1),
        JobsKey::Down => j.selected = (j.selected + 1).min(n.saturating_sub(1)),
        JobsKey::Enter => j.details = !j.details,
        JobsKey::Back if j.details => j.details = false,
        JobsKey::Back => app.overlay = Overlay::None,
        JobsKey::Char('f') | JobsKey::Tab => {
            j.filter = match j.filter {
                None => Some(Status::InProgress),
                Some(Status::InProgress) => Some(Status::Completed),
                Some(Status::Completed) => Some(Status::Failed),
                Some(_) => None,
            };
            j.selected = 0;
        }
        JobsKey::Char('d') => return download(app, false),
        JobsKey::Char('s') => batch_jobs::ask_stop(app),
        JobsKey::Char('r') => return refresh(app),
        JobsKey::Char(_) | JobsKey::Left | JobsKey::Right | JobsKey::Backspace => {}
    }
    Vec::new()
}

#[cfg(test)]
#[path = "jobs_tests.rs"]
pub(crate) mod tests;
