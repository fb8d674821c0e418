//! `bedrock-tui jobs`: list, show, start (and wait for) async invocations, and download
//! their outputs from S3.

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Subcommand};

use super::common::{self, ConnectArgs};
use super::download::DownloadTo;
use super::poll::{self, Polled};
use super::{output, table};
use crate::bedrock::jobs::{JobError, JobsClient, StartRequest};
use crate::catalog::Catalog;
use crate::jobs::input::{self, VideoParams};
use crate::jobs::{Job, S3Uri, Status, human_duration, human_time};

#[derive(Debug, Args)]
pub struct Jobs {
    #[command(subcommand)]
    pub command: JobsCommand,
}

#[derive(Debug, Subcommand)]
pub enum JobsCommand {
    /// List the region's async invocations, newest first (every page of ListAsyncInvokes).
    List(List),
    /// Show one async invocation (GetAsyncInvoke).
    Get(Get),
    /// Start an async invocation (StartAsyncInvoke) and print its ARN.
    Start(Start),
    /// Download the outputs of an async invocation from S3 into DIR/ID/ and print each
    /// path written.
    Download(Download),
}

fn status_arg(text: &str) -> Result<Status, String> {
    Status::parse(text)
        .ok_or_else(|| format!("unknown status '{text}'; statuses: InProgress, Completed, Failed"))
}

#[derive(Debug, Args)]
pub struct List {
    /// Only the jobs with this status: InProgress, Completed or Failed.
    #[arg(long, value_parser = status_arg)]
    pub status: Option<Status>,
    /// Print `{"asyncInvokeSummaries": [...]}`, every page, in the service's shape.
    #[arg(long)]
    pub json: bool,
    /// Jobs asked for per ListAsyncInvokes request (maxResults) [default: 1000].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(i32).range(1..=1000))]
    pub page_size: Option<i32>,
    #[command(flatten)]
    pub connect: ConnectArgs,
}

#[derive(Debug, Args)]
pub struct Get {
    /// The invocation ARN, or the invocation id (its last part).
    pub arn: String,
    /// Print the GetAsyncInvoke response as JSON, in the service's shape.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub connect: ConnectArgs,
}

#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("model_input").required(true).args(["input", "prompt"]))]
pub struct Start {
    /// An async-capable model: amazon.nova-reel-v1:0, amazon.nova-reel-v1:1,
    /// amazon.nova-2-multimodal-embeddings-v1:0, twelvelabs.marengo-embed-2-7-v1:0.
    #[arg(long)]
    pub model: String,
    /// A JSON file with the model input, sent as it is.
    #[arg(long, value_name = "FILE")]
    pub input: Option<PathBuf>,
    /// A text filled into the model's template (text to video, or a text embedding).
    #[arg(long, value_name = "TEXT")]
    pub prompt: Option<String>,
    /// Where the outputs go, s3://bucket[/prefix] [default: the config's `jobs_output`].
    #[arg(long, value_name = "S3_URI")]
    pub output: Option<String>,
    /// Client request token: starting again with the same token and request returns the
    /// same job instead of a new one [default: a new random token].
    #[arg(long, value_name = "T")]
    pub token: Option<String>,
    #[command(flatten)]
    pub wait: poll::WaitArgs,
    /// Nova Reel with --prompt: the video's length in seconds.
    #[arg(long, default_value_t = 6)]
    pub duration: u32,
    /// Nova Reel with --prompt: frames per second.
    #[arg(long, default_value_t = 24)]
    pub fps: u32,
    /// Nova Reel with --prompt: WIDTHxHEIGHT.
    #[arg(long, default_value = "1280x720")]
    pub dimension: String,
    /// Nova Reel with --prompt: the seed [default: the service's].
    #[arg(long)]
    pub seed: Option<u32>,
    #[command(flatten)]
    pub connect: ConnectArgs,
}

#[derive(Debug, Args)]
pub struct Download {
    /// The invocation ARN, or the invocation id (its last part).
    pub arn: String,
    #[command(flatten)]
    pub to: DownloadTo,
    #[command(flatten)]
    pub connect: ConnectArgs,
}

/// Runs the command; what the flags leave out comes from `config`.
pub async fn run(args: Jobs, config: crate::config::Config) -> anyhow::Result<()> {
    match args.command {
        JobsCommand::List(a) => list(a, &config).await,
        JobsCommand::Get(a) => get(a, &config).await,
        JobsCommand::Start(a) => start(a, &config).await,
        JobsCommand::Download(a) => download(a, &config).await,
    }
}

async fn list(args: List, config: &crate::config::Config) -> anyhow::Result<()> {
    let conn = common::connect(&args.connect, config).await?;
    let client = JobsClient::new(&conn).with_page_size(args.page_size);
    let jobs = client.list(args.status.as_ref()).await?;
    let mut out = output::stdout();
    if args.json {
        output::json(&mut out, &Listing { jobs: &jobs })?;
    } else if jobs.is_empty() {
        output::note(format!("no async invocations in {}", conn.region));
    } else {
        let width = table::terminal_width();
        out.write_all(jobs_table(&jobs, now_ms(), width).as_bytes())?;
    }
    Ok(())
}

/// ListAsyncInvokes' shape, every page in one list.
#[derive(serde::Serialize)]
struct Listing<'a> {
    #[serde(rename = "asyncInvokeSummaries")]
    jobs: &'a [Job],
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// The jobs as a table, durations as of `now_ms` for those still running, cut to
/// `width` columns when given.
fn jobs_table(jobs: &[Job], now_ms: i64, width: Option<usize>) -> String {
    let header = ["ID", "STATUS", "MODEL", "SUBMITTED", "DURATION", "OUTPUT"].map(str::to_owned);
    let cells: Vec<[String; 6]> = jobs
        .iter()
        .map(|j| {
            [
                j.id().to_owned(),
                j.status.to_string(),
                j.model_id().to_owned(),
                human_time(j.submit_time),
                human_duration(j.duration_ms(now_ms)),
                j.output_uri().to_owned(),
            ]
        })
        .collect();
    table::columns(&header, &cells, width)
}

/// A job's details, one `name: value` line each.
fn details(j: &Job, now_ms: i64) -> String {
    let mut lines = vec![
        ("arn", j.invocation_arn.clone()),
        ("model", j.model_arn.clone()),
        ("status", j.status.to_string()),
    ];
    if let Some(m) = &j.failure_message {
        lines.push(("failure", m.clone()));
    }
    if let Some(t) = &j.client_request_token {
        lines.push(("client request token", t.clone()));
    }
    lines.extend(crate::jobs::timeline(
        j.submit_time,
        j.last_modified_time,
        j.end_time,
        now_ms,
    ));
    let s3 = &j.output_data_config.s3_output_data_config;
    lines.push(("output", s3.s3_uri.clone()));
    if let Some(k) = &s3.kms_key_id {
        lines.push(("kms key", k.clone()));
    }
    if let Some(o) = &s3.bucket_owner {
        lines.push(("bucket owner", o.clone()));
    }
    lines
        .into_iter()
        .map(|(k, v)| format!("{k}: {v}\n"))
        .collect()
}

/// The job an ARN or invocation id names; an id is looked up in the region's list.
async fn find(client: &JobsClient, arn: &str) -> anyhow::Result<Job> {
    if arn.starts_with("arn:") {
        return Ok(client.get(arn).await?);
    }
    let jobs = client.list(None).await?;
    match jobs.into_iter().find(|j| j.id() == arn) {
        Some(j) => Ok(j),
        None => anyhow::bail!("no async invocation with the id {arn} in this region"),
    }
}

async fn get(args: Get, config: &crate::config::Config) -> anyhow::Result<()> {
    let conn = common::connect(&args.connect, config).await?;
    let job = find(&JobsClient::new(&conn), &args.arn).await?;
    let mut out = output::stdout();
    if args.json {
        output::json(&mut out, &job)?;
    } else {
        out.write_all(crate::sanitize::text(&details(&job, now_ms())).as_bytes())?;
    }
    Ok(())
}

async fn start(args: Start, config: &crate::config::Config) -> anyhow::Result<()> {
    let output = match (&args.output, &config.jobs_output) {
        (Some(o), _) => S3Uri::parse(o).map_err(|e| anyhow::anyhow!("--output: {e}"))?,
        (None, Some(o)) => o.clone(),
        (None, None) => anyhow::bail!(
            "no output location: pass --output s3://bucket[/prefix], or set `jobs_output` in the config"
        ),
    };
    let catalog = Catalog::builtin();
    let model = input::async_model(catalog, &args.model)?;
    let model_input = match (&args.input, &args.prompt) {
        (Some(path), _) => input::from_file(path)?,
        (None, Some(prompt)) => {
            let Some(m) = model else {
                anyhow::bail!(
                    "--prompt needs a model of the catalog, to know its template; pass the input of {} with --input FILE",
                    args.model
                );
            };
            let video = VideoParams {
                duration_seconds: args.duration,
                fps: args.fps,
                dimension: args.dimension.clone(),
                seed: args.seed,
            };
            input::from_prompt(m, prompt, &video)?
        }
        (None, None) => anyhow::bail!("pass the model input with --input FILE or --prompt TEXT"),
    };
    let req = StartRequest::new(&args.model, model_input, output, args.token.clone());
    let conn = common::connect(&args.connect, config).await?;
    if args.connect.local {
        output::note(
            "--local: the job runs in an endpoint inside this command and is gone when it \
             exits; to list, get or download it later, run `bedrock-tui serve-local` and pass \
             its URL with --endpoint-url",
        );
    }
    let client = JobsClient::new(&conn);
    let arn = client.start(&req).await?;
    {
        let mut out = output::stdout();
        writeln!(out, "{arn}")?;
        out.flush()?;
    }
    if !args.wait.wait {
        return Ok(());
    }
    let job = wait(&client, &arn, args.wait.poll_interval).await?;
    match job.status {
        Status::Completed => {
            output::note(format!(
                "{} completed in {}; outputs in {}",
                job.id(),
                human_duration(job.duration_ms(now_ms())),
                job.output_uri()
            ));
            Ok(())
        }
        _ => anyhow::bail!(
            "{} {}: {}",
            job.id(),
            job.status,
            job.failure_message
                .as_deref()
                .unwrap_or("no failure message")
        ),
    }
}

/// Polls the job on a backoff schedule until it is no longer in progress, saying on
/// stderr what each poll found and when the next one is.
async fn wait(client: &JobsClient, arn: &str, base: Duration) -> anyhow::Result<Job> {
    poll::until_ended(base, || async {
        Ok(match client.poll(arn).await {
            Ok(job) if !job.status.is_running() => Polled::Ended(job),
            Ok(job) => Polled::Running {
                state: job.status.to_string(),
                said: format!(
                    "{} for {}",
                    job.status,
                    human_duration(job.duration_ms(now_ms()))
                ),
            },
            Err(e @ JobError::Throttled { .. }) => Polled::Throttled(e.to_string()),
            Err(JobError::Service(e)) if e.is_transient() => {
                Polled::Failed(format!("poll failed: {e}"))
            }
            Err(e) => return Err(e.into()),
        })
    })
    .await
}

async fn download(args: Download, config: &crate::config::Config) -> anyhow::Result<()> {
    let conn = common::connect(&args.connect, config).await?;
    let job = find(&JobsClient::new(&conn), &args.arn).await?;
    if job.status.is_running() {
        anyhow::bail!(
            "{} is still {}; its outputs are written when it ends (`jobs start --wait` waits for it)",
            job.id(),
            job.status
        );
    }
    super::download::outputs(&conn, job.output_uri(), &args.to, config, job.id()).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(status: Status, end: Option<i64>) -> Job {
        serde_json::from_value(serde_json::json!({
            "invocationArn": "arn:aws:bedrock:us-east-1:123456789012:async-invoke/abc123def456",
            "modelArn": "arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-reel-v1:0",
            "status": status,
            "submitTime": "2026-12-01T19:00:00Z",
            "outputDataConfig": {"s3OutputDataConfig": {"s3Uri": "s3://b/runs/abc123def456"}},
        }))
        .map(|j: Job| Job { end_time: end, ..j })
        .unwrap()
    }

    #[test]
    fn the_table_and_details_say_how_long_a_job_took_or_has_run() {
        let start = job(Status::InProgress, None).submit_time;
        let t = jobs_table(&[job(Status::InProgress, None)], start + 75_000, None);
        assert_eq!(
            t,
            "ID            STATUS      MODEL                  SUBMITTED             DURATION  OUTPUT\n\
             abc123def456  InProgress  amazon.nova-reel-v1:0  2026-12-01T19:00:00Z  1m 15s    s3://b/runs/abc123def456\n"
        );
        let done = Job {
            failure_message: Some("bad input".into()),
            ..job(Status::Failed, Some(start + 9_000))
        };
        let d = details(&done, start + 600_000);
        assert!(d.contains("status: Failed\nfailure: bad input\n"), "{d}");
        assert!(d.contains("ended: 2026-12-01T19:00:09Z\ntook: 9s\n"), "{d}");
        assert!(d.ends_with("output: s3://b/runs/abc123def456\n"), "{d}");
    }

    #[test]
    fn arguments_are_checked() {
        assert_eq!(status_arg("failed"), Ok(Status::Failed));
        assert!(status_arg("done").unwrap_err().contains("InProgress"));
        assert_eq!(common::seconds_arg("0.25"), Ok(Duration::from_millis(250)));
        assert!(common::seconds_arg("0").is_err() && common::seconds_arg("x").is_err());
        assert_eq!(common::seconds(Duration::from_millis(400)), "0.4s");
        assert_eq!(common::seconds(Duration::from_secs(60)), "60s");
    }
}
