//! `bedrock-tui batch`: many requests from a JSONL file. `run` sends them from here
//! with adaptive concurrency (see `batch_run`); `submit` hands them to Bedrock batch
//! inference (upload to S3, CreateModelInvocationJob) and `list`, `get`, `stop` and
//! `download` follow its jobs, the outputs' tokens priced at batch prices.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Subcommand};
use serde_json::{Value, json};

use super::common::{self, ConnectArgs};
use super::download::DownloadTo;
use super::poll::{self, Polled};
use super::{output, table};
use crate::app::error::BedrockError;
use crate::batch::{Body, Prompting};
use crate::bedrock::Connection;
use crate::bedrock::batch::{self as api, NewJob};
use crate::catalog::{Catalog, invocation_id};
use crate::clock::now_ms;
use crate::jobs::batch::{BatchJob, STATUSES, details, progress, to_json};
use crate::jobs::{S3Uri, human_duration, human_time};
use crate::pricing::{Prices, format_usd};

#[derive(Debug, Args)]
pub struct Batch {
    #[command(subcommand)]
    pub command: BatchCommand,
}

#[derive(Debug, Subcommand)]
pub enum BatchCommand {
    /// Send every record of a JSONL file from here, as many at once as the service
    /// takes, writing each result to --out as it finishes; a rerun resumes.
    Run(super::batch_run::Run),
    /// Upload a JSONL file of records to S3 and start a batch inference job on it
    /// (CreateModelInvocationJob); prints the job's ARN.
    Submit(Submit),
    /// List the region's batch inference jobs, newest first (every page of
    /// ListModelInvocationJobs).
    List(List),
    /// Show one batch inference job with its record counts (GetModelInvocationJob).
    Get(Get),
    /// Stop a batch inference job (StopModelInvocationJob).
    Stop(Stop),
    /// Download an ended job's outputs (`*.jsonl.out`, `manifest.json.out`) into DIR/ID/,
    /// print each path written, and price the job's tokens at batch prices.
    Download(Download),
}

fn status_arg(text: &str) -> Result<String, String> {
    STATUSES
        .iter()
        .find(|s| s.eq_ignore_ascii_case(text))
        .map(|s| (*s).to_owned())
        .ok_or_else(|| format!("unknown status '{text}'; statuses: {}", STATUSES.join(", ")))
}

#[derive(Debug, Args)]
pub struct Submit {
    /// The records, one JSON object a line: a Bedrock batch record
    /// ({"recordId", "modelInput"}, sent as it is), a Converse request ({"recordId",
    /// "messages", "system", "inferenceConfig"}) or a prompt ({"recordId", "prompt", ...}
    /// filled into --template); the last two become the model's own request body.
    pub input: PathBuf,
    /// The model id or inference profile the job runs on.
    #[arg(long)]
    pub model: String,
    /// The IAM role the service assumes to read the input and write the outputs.
    #[arg(long, value_name = "ARN")]
    pub role_arn: String,
    /// Where the input is uploaded, s3://bucket[/prefix]; the file goes to
    /// PREFIX/NAME.jsonl.
    #[arg(long, value_name = "S3_URI")]
    pub input_s3: String,
    /// The folder the service writes the outputs under, s3://bucket[/prefix].
    #[arg(long, value_name = "S3_URI")]
    pub output: String,
    /// The job's name [default: bedrock-tui-YYYYMMDD-HHMMSS].
    #[arg(long)]
    pub name: Option<String>,
    /// Hours after which the service stops the job (24 to 168) [default: the service's].
    #[arg(long, value_name = "HOURS", value_parser = clap::value_parser!(i32).range(24..=168))]
    pub timeout_hours: Option<i32>,
    /// Client request token: submitting again with the same token and request returns
    /// the same job instead of a new one.
    #[arg(long, value_name = "T")]
    pub token: Option<String>,
    #[command(flatten)]
    pub wait: poll::WaitArgs,
    #[command(flatten)]
    pub prompting: super::batch_run::PromptingArgs,
    #[command(flatten)]
    pub connect: ConnectArgs,
}

#[derive(Debug, Args)]
pub struct List {
    /// Only the jobs with this status (Submitted, InProgress, Completed, ...).
    #[arg(long, value_parser = status_arg)]
    pub status: Option<String>,
    /// Only the jobs whose name contains TEXT.
    #[arg(long, value_name = "TEXT")]
    pub name: Option<String>,
    /// Print `{"invocationJobSummaries": [...]}`, every page, in the service's shape.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub connect: ConnectArgs,
}

#[derive(Debug, Args)]
pub struct Get {
    /// The job's ARN or id (the ARN's last part).
    pub job: String,
    /// Print the job as JSON, in GetModelInvocationJob's shape.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub connect: ConnectArgs,
}

#[derive(Debug, Args)]
pub struct Stop {
    /// The job's ARN or id (the ARN's last part).
    pub job: String,
    #[command(flatten)]
    pub connect: ConnectArgs,
}

#[derive(Debug, Args)]
pub struct Download {
    /// The job's ARN or id (the ARN's last part).
    pub job: String,
    #[command(flatten)]
    pub to: DownloadTo,
    #[command(flatten)]
    pub connect: ConnectArgs,
}

/// Runs the command; what the flags leave out comes from `config`. The exit code of
/// `run` says whether every record was answered.
pub async fn run(args: Batch, config: crate::config::Config) -> anyhow::Result<ExitCode> {
    match args.command {
        BatchCommand::Run(a) => return super::batch_run::run(a, config).await,
        BatchCommand::Submit(a) => submit(a, &config).await,
        BatchCommand::List(a) => list(a, &config).await,
        BatchCommand::Get(a) => get(a, &config).await,
        BatchCommand::Stop(a) => stop(a, &config).await,
        BatchCommand::Download(a) => download(a, &config).await,
    }?;
    Ok(ExitCode::SUCCESS)
}

/// The jobs as a table, durations as of `now_ms` for those still running, cut to
/// `width` columns when given.
fn jobs_table(jobs: &[BatchJob], now_ms: i64, width: Option<usize>) -> String {
    let header = [
        "NAME",
        "ID",
        "STATUS",
        "MODEL",
        "RECORDS",
        "SUBMITTED",
        "DURATION",
    ]
    .map(str::to_owned);
    let cells: Vec<[String; 7]> = jobs
        .iter()
        .map(|j| {
            [
                j.name.clone(),
                j.id().to_owned(),
                j.status.clone(),
                j.model_id.clone(),
                progress(j),
                human_time(j.submit_time),
                human_duration(j.duration_ms(now_ms)),
            ]
        })
        .collect();
    table::columns(&header, &cells, width)
}

async fn list(args: List, config: &crate::config::Config) -> anyhow::Result<()> {
    let conn = common::connect(&args.connect, config).await?;
    let jobs = api::list(&conn, args.status.as_deref(), args.name.as_deref()).await?;
    let mut out = output::stdout();
    if args.json {
        let all: Vec<Value> = jobs.iter().map(to_json).collect();
        output::json(&mut out, &json!({ "invocationJobSummaries": all }))?;
    } else if jobs.is_empty() {
        output::note(format!("no batch inference jobs in {}", conn.region));
    } else {
        let width = table::terminal_width();
        out.write_all(jobs_table(&jobs, now_ms(), width).as_bytes())?;
    }
    Ok(())
}

async fn get(args: Get, config: &crate::config::Config) -> anyhow::Result<()> {
    let conn = common::connect(&args.connect, config).await?;
    let job = api::get(&conn, &args.job).await?;
    let mut out = output::stdout();
    if args.json {
        output::json(&mut out, &to_json(&job))?;
    } else {
        out.write_all(details(&job, now_ms()).as_bytes())?;
    }
    Ok(())
}

async fn stop(args: Stop, config: &crate::config::Config) -> anyhow::Result<()> {
    let conn = common::connect(&args.connect, config).await?;
    api::stop(&conn, &args.job).await?;
    let job = api::get(&conn, &args.job).await?;
    let mut out = output::stdout();
    writeln!(out, "{} {}", job.id(), job.status)?;
    Ok(())
}

/// A job name from the clock, in the service's pattern.
fn default_name() -> String {
    let t = human_time(now_ms());
    let digits: String = t.chars().filter(char::is_ascii_digit).collect();
    format!("bedrock-tui-{}-{}", &digits[..8], &digits[8..14])
}

/// Whether `name` fits the service's job name pattern,
/// `[a-zA-Z0-9]{1,63}(-*[a-zA-Z0-9\+\-\.]){0,63}`.
fn valid_name(name: &str) -> bool {
    let head = name
        .find(|c: char| !c.is_ascii_alphanumeric())
        .unwrap_or(name.len());
    let tail = &name[head..];
    (1..=63).contains(&head)
        && tail.len() <= 63 * 2
        && tail
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '+' | '.'))
        && !tail.ends_with('-')
}

async fn submit(args: Submit, config: &crate::config::Config) -> anyhow::Result<()> {
    crate::catalog::check_model_id(&args.model).map_err(|e| anyhow::anyhow!("--model: {e}"))?;
    let input_s3 = S3Uri::parse(&args.input_s3).map_err(|e| anyhow::anyhow!("--input-s3: {e}"))?;
    S3Uri::parse(&args.output).map_err(|e| anyhow::anyhow!("--output: {e}"))?;
    let name = args.name.clone().unwrap_or_else(default_name);
    if !valid_name(&name) {
        anyhow::bail!(
            "--name: '{}' is not a job name: letters and digits, then letters, digits, '-', '+' or '.', at most 63 of each",
            crate::sanitize::text(&name)
        );
    }
    let body = records_file(&args.input, &args.prompting.prompting(config), &args.model)?;
    let conn = common::connect(&args.connect, config).await?;
    let key = format!("{}{name}.jsonl", input_s3.folder());
    crate::bedrock::s3::upload(&conn.s3, &input_s3.bucket, &key, body.bytes).await?;
    let job = NewJob {
        name,
        // A model that needs an inference profile goes through the region's, as in the
        // chat.
        model_id: invocation_id(Catalog::builtin(), &args.model, &conn.region),
        role_arn: args.role_arn.clone(),
        input_uri: format!("s3://{}/{key}", input_s3.bucket),
        output_uri: args.output.clone(),
        timeout_hours: args.timeout_hours,
        token: args.token.clone(),
    };
    let arn = api::create(&conn, &job).await?;
    {
        let mut out = output::stdout();
        writeln!(out, "{arn}")?;
        out.flush()?;
    }
    output::note(format!(
        "{} records uploaded to {}",
        body.records, job.input_uri
    ));
    if !args.wait.wait {
        return Ok(());
    }
    let job = wait(&conn, &arn, args.wait.poll_interval).await?;
    match job.status.as_str() {
        "Completed" => {
            output::note(format!(
                "{} completed in {}: {} records; `bedrock-tui batch download {}` fetches the outputs",
                job.id(),
                human_duration(job.duration_ms(now_ms())),
                progress(&job),
                job.id()
            ));
            Ok(())
        }
        status => anyhow::bail!(
            "{} {status} ({} records): {}",
            job.id(),
            progress(&job),
            job.message.as_deref().unwrap_or("no message")
        ),
    }
}

/// A records file checked line by line and ready to upload.
#[derive(Debug)]
struct RecordsFile {
    bytes: Vec<u8>,
    records: usize,
}

/// Reads `path` into the service's record format: a native record as it is, a
/// Converse request or a prompt as `model`'s own request body. A line that is not a
/// record stops it, named by its number: nothing is uploaded.
fn records_file(path: &Path, prompting: &Prompting, model: &str) -> anyhow::Result<RecordsFile> {
    let shown = crate::sanitize::text(&path.display().to_string());
    let input = crate::batch::read(path, prompting)?;
    if let Some(p) = input.problems.first() {
        let more = match input.problems.len() {
            1 => String::new(),
            n => format!(" (and {} more lines)", n - 1),
        };
        anyhow::bail!("{shown}, {p}{more}; nothing was uploaded");
    }
    if input.records.is_empty() {
        anyhow::bail!("{shown} has no records");
    }
    let family = Catalog::builtin().lookup(model);
    let mut bytes = Vec::new();
    for r in &input.records {
        let body = match &r.body {
            Body::Native(v) => v.clone(),
            Body::Converse {
                messages,
                system,
                inference,
            } => {
                let Some(m) = family else {
                    anyhow::bail!(
                        "{shown}, line {}: {model} is not in the catalog, so its request body is unknown; give the record as {{\"modelInput\": ...}}",
                        r.line
                    );
                };
                crate::native::body(m, system.as_deref(), messages, inference)
                    .map_err(|e| anyhow::anyhow!("{shown}, line {}: {e}", r.line))?
            }
        };
        serde_json::to_writer(&mut bytes, &json!({"recordId": r.id, "modelInput": body}))?;
        bytes.push(b'\n');
    }
    Ok(RecordsFile {
        bytes,
        records: input.records.len(),
    })
}

/// Polls the job on a backoff schedule until it ends, saying on stderr what each poll
/// found and when the next one is.
async fn wait(conn: &Connection, arn: &str, base: Duration) -> anyhow::Result<BatchJob> {
    poll::until_ended(base, || async {
        Ok(match api::get(conn, arn).await {
            Ok(job) if job.ended() => Polled::Ended(job),
            Ok(job) => {
                let said = format!("{} {} records", job.status, progress(&job));
                Polled::Running {
                    state: said.clone(),
                    said,
                }
            }
            Err(e @ BedrockError::Throttled { .. }) => Polled::Throttled(e.to_string()),
            Err(e) if e.is_transient() => Polled::Failed(format!("poll failed: {e}")),
            Err(e) => return Err(e.into()),
        })
    })
    .await
}

async fn download(args: Download, config: &crate::config::Config) -> anyhow::Result<()> {
    let conn = common::connect(&args.connect, config).await?;
    let job = api::get(&conn, &args.job).await?;
    if !job.ended() {
        anyhow::bail!(
            "{} is still {} ({} records); its outputs are written when it ends",
            job.id(),
            job.status,
            progress(&job)
        );
    }
    let Some(base) = &job.output_uri else {
        anyhow::bail!("{} has no output location", job.id());
    };
    let folder = format!("{}/{}/", base.trim_end_matches('/'), job.id());
    let paths = super::download::outputs(&conn, &folder, &args.to, config, job.id()).await?;
    let manifest = paths
        .iter()
        .find(|p| p.file_name().is_some_and(|n| n == "manifest.json.out"));
    if let Some(m) = manifest.and_then(|p| std::fs::read_to_string(p).ok()) {
        output::note(summary(&job, &m, &conn.region, Prices::builtin()));
    }
    Ok(())
}

/// The manifest's counts, and its tokens priced at the model's batch price.
fn summary(job: &BatchJob, manifest: &str, region: &str, prices: &Prices) -> String {
    let m: Value = serde_json::from_str(manifest).unwrap_or(Value::Null);
    let n = |k: &str| m.get(k).and_then(Value::as_u64).unwrap_or(0);
    let (input, output) = (n("inputTokenCount"), n("outputTokenCount"));
    let mut text = format!(
        "{}: {} records, {} succeeded, {} failed; {input} input and {output} output tokens",
        job.id(),
        n("totalRecordCount"),
        n("successRecordCount"),
        n("errorRecordCount"),
    );
    match prices.batch_price(&job.model_id, region) {
        Some((price, source)) => {
            let usd = (input as f64 * price.input + output as f64 * price.output) / 1e6;
            text.push_str(&format!(", {} at batch prices ({source})", format_usd(usd)));
        }
        None => text.push_str(&format!(", no batch price known for {}", job.model_id)),
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    const MICRO: &str = "amazon.nova-micro-v1:0";

    fn job(status: &str) -> BatchJob {
        crate::jobs::batch::tests::sample("abcdefghij12", status, 250, 1000)
    }

    #[test]
    fn the_table_shows_progress_and_running_time() {
        let t = jobs_table(&[job("InProgress")], 1_796_151_675_000, None);
        assert_eq!(
            t,
            "NAME               ID            STATUS      MODEL                   RECORDS   SUBMITTED             DURATION\n\
             eval-abcdefghij12  abcdefghij12  InProgress  amazon.nova-micro-v1:0  250/1000  2026-12-01T19:00:00Z  1m 15s\n"
        );
    }

    #[test]
    fn statuses_and_names_are_checked() {
        assert_eq!(status_arg("inprogress"), Ok("InProgress".into()));
        assert!(
            status_arg("done")
                .unwrap_err()
                .contains("PartiallyCompleted")
        );
        for good in ["a", "nightly-eval", "run.2026+12", "x--y"] {
            assert!(valid_name(good), "{good}");
        }
        for bad in ["", "-a", "a_b", "a-", "émile", &"a".repeat(64)] {
            assert!(!valid_name(bad), "{bad}");
        }
        assert!(valid_name(&default_name()), "{}", default_name());
    }

    #[test]
    fn records_become_the_models_own_bodies_and_bad_lines_stop_the_upload() {
        let dir = tempfile::tempdir().unwrap();
        let prompting = Prompting {
            template: crate::batch::Template("Summarize: {prompt}".into()),
            system: Some("Be brief.".into()),
            inference: crate::conversation::Inference {
                max_tokens: Some(50),
                ..Default::default()
            },
        };
        let file = |text: &str, model: &str| {
            let p = dir.path().join("r.jsonl");
            std::fs::write(&p, text).unwrap();
            records_file(&p, &prompting, model)
        };
        let lines = [
            r#"{"recordId":"n","modelInput":{"x":1}}"#,
            r#"{"recordId":"c","messages":[{"role":"user","content":[{"text":"Hi"}]}]}"#,
            r#"{"recordId":"p","prompt":"the report"}"#,
        ]
        .join("\n");
        let ok = file(&lines, "us.amazon.nova-micro-v1:0").unwrap();
        assert_eq!(ok.records, 3);
        let out: Vec<Value> = String::from_utf8(ok.bytes)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        // A native record is sent as it is.
        assert_eq!(out[0], json!({"recordId": "n", "modelInput": {"x": 1}}));
        // A Converse record becomes Nova's messages-v1 body.
        assert_eq!(out[1]["recordId"], "c");
        assert_eq!(
            out[1]["modelInput"]["messages"],
            json!([{"role": "user", "content": [{"text": "Hi"}]}])
        );
        // A prompt is filled into the template, with the system prompt and settings.
        assert_eq!(
            out[2]["modelInput"]["messages"][0]["content"][0]["text"],
            "Summarize: the report"
        );
        assert_eq!(
            out[2]["modelInput"]["system"],
            json!([{"text": "Be brief."}])
        );
        assert_eq!(out[2]["modelInput"]["inferenceConfig"]["maxTokens"], 50);
        // Claude's bodies are the Messages API's.
        let claude = file(&lines, "anthropic.claude-3-haiku-20240307-v1:0").unwrap();
        let text = String::from_utf8(claude.bytes).unwrap();
        assert!(
            text.contains("\"anthropic_version\":\"bedrock-2023-05-31\""),
            "{text}"
        );

        let e = file(
            "{\"modelInput\":{}}\n{\"recordId\":7,\"modelInput\":{}}\nnope\n",
            MICRO,
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.ends_with("r.jsonl, line 2: `recordId` must be a non-empty string (and 1 more lines); nothing was uploaded"),
            "{e}"
        );
        let e = file(&lines, "acme.imaginary-v1:0").unwrap_err().to_string();
        assert!(
            e.contains("line 2: acme.imaginary-v1:0 is not in the catalog"),
            "{e}"
        );
        let e = file(&lines, "amazon.nova-reel-v1:0")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("line 2: ") && e.contains("no native text format"),
            "{e}"
        );
        assert!(
            file("\n", MICRO)
                .unwrap_err()
                .to_string()
                .contains("has no records")
        );
    }

    #[test]
    fn the_summary_prices_the_manifest_at_batch_prices() {
        let manifest = r#"{"totalRecordCount":4,"processedRecordCount":4,"successRecordCount":3,
            "errorRecordCount":1,"inputTokenCount":2000000,"outputTokenCount":1000000}"#;
        let s = summary(&job("Completed"), manifest, "us-east-1", Prices::builtin());
        // 2M input at $0.0175 and 1M output at $0.07 per million.
        let usd = format_usd((2_000_000.0 * 0.0175 + 1_000_000.0 * 0.07) / 1e6);
        assert!(
            s.starts_with(&format!(
                "abcdefghij12: 4 records, 3 succeeded, 1 failed; 2000000 input and 1000000 output tokens, {usd} at batch prices (litellm"
            )),
            "{s}"
        );
        let other = BatchJob {
            model_id: "acme.imaginary-v1:0".into(),
            ..job("Completed")
        };
        assert!(
            summary(&other, manifest, "us-east-1", Prices::builtin())
                .ends_with("no batch price known for acme.imaginary-v1:0")
        );
    }
}
