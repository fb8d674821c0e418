//! `bedrock-tui batch submit/list/get/stop/download` against the local endpoint's batch
//! inference: a job submitted from a file runs to Completed, the AWS SDK's own
//! `bedrock` client sees the same job, its outputs download with a summary priced at
//! batch prices, a running job stops, and bad input is refused before anything is
//! uploaded.

use std::time::Duration;

use serde_json::{Value, json};

use super::ask::run_command;
use super::jobs::s3_client;
use super::*;

const ROLE: &str = "arn:aws:iam::123456789012:role/BedrockBatch";
const MICRO: &str = "amazon.nova-micro-v1:0";

async fn batch_endpoint(step_ms: u64) -> LocalEndpoint {
    endpoint_with(Settings {
        batch_step: Duration::from_millis(step_ms),
        batch_min_records: 3,
        ..Settings::default()
    })
    .await
}

/// `bedrock-tui batch SUB ARGS`: the exit code, stdout and stderr.
async fn batch(ep: &LocalEndpoint, sub: &str, args: &[&str]) -> (i32, String, String) {
    let out = run_command(ep, &format!("batch {sub}"), args, None).await;
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

/// `batch submit INPUT` of Nova Micro records with `--input-s3 s3_in --output s3_out`.
async fn submit(
    ep: &LocalEndpoint,
    input: &str,
    s3_in: &str,
    s3_out: &str,
    extra: &[&str],
) -> (i32, String, String) {
    let args = [
        input,
        "--model",
        MICRO,
        "--role-arn",
        ROLE,
        "--input-s3",
        s3_in,
        "--output",
        s3_out,
    ];
    batch(ep, "submit", &[&args[..], extra].concat()).await
}

/// A Nova record asking `text`.
fn record(id: &str, text: &str) -> Value {
    json!({
        "recordId": id,
        "modelInput": {
            "messages": [{"role": "user", "content": [{"text": text}]}],
            "inferenceConfig": {"maxTokens": 40}
        }
    })
}

fn write_records(dir: &std::path::Path, records: &[Value]) -> String {
    let path = dir.join("records.jsonl");
    let text: String = records.iter().map(|r| format!("{r}\n")).collect();
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

/// The text of the object `bucket/key` in the endpoint's S3 store.
async fn object_text(ep: &LocalEndpoint, bucket: &str, key: &str) -> String {
    let body = s3_client(ep)
        .get_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .unwrap()
        .body
        .collect()
        .await
        .unwrap()
        .into_bytes();
    String::from_utf8(body.to_vec()).unwrap()
}

async fn make_bucket(ep: &LocalEndpoint, name: &str) {
    s3_client(ep)
        .create_bucket()
        .bucket(name)
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn a_submitted_file_completes_and_downloads_with_its_batch_cost() {
    let ep = batch_endpoint(20).await;
    make_bucket(&ep, "batch-in").await;
    make_bucket(&ep, "batch-out").await;
    let dir = tempfile::tempdir().unwrap();
    let records: Vec<Value> = (0..5)
        .map(|i| record(&format!("r{i:03}"), &format!("Question {i}")))
        .collect();
    let input = write_records(dir.path(), &records);
    let (code, out, err) = submit(
        &ep,
        &input,
        "s3://batch-in/runs",
        "s3://batch-out/results",
        &["--name", "nightly-eval", "--wait", "--poll-interval", "0.1"],
    )
    .await;
    assert_eq!(code, 0, "{err}");
    let arn = out.trim();
    assert!(
        arn.starts_with("arn:aws:bedrock:us-east-1:") && arn.contains(":model-invocation-job/"),
        "{out}"
    );
    let id = arn.rsplit('/').next().unwrap();
    assert!(
        err.contains("5 records uploaded to s3://batch-in/runs/nightly-eval.jsonl"),
        "{err}"
    );
    assert!(err.contains(&format!("{id} completed in")), "{err}");
    assert!(err.contains("5/5 records"), "{err}");

    // The SDK's own client sees the job as the command left it.
    let control = aws_sdk_bedrock::Client::new(&sdk_config(&ep, "us-east-1"));
    let seen = control
        .get_model_invocation_job()
        .job_identifier(arn)
        .send()
        .await
        .unwrap();
    assert_eq!(seen.job_name(), Some("nightly-eval"));
    assert_eq!(seen.model_id(), MICRO);
    assert_eq!(seen.role_arn(), ROLE);
    assert_eq!(seen.status().map(|s| s.as_str()), Some("Completed"));
    assert_eq!(seen.total_record_count(), Some(5));
    let uploaded = object_text(&ep, "batch-in", "runs/nightly-eval.jsonl").await;
    assert_eq!(uploaded.lines().count(), 5);

    // list: the table and the service's JSON shape, filtered by status and name.
    let (code, table, err) = batch(&ep, "list", &[]).await;
    assert_eq!(code, 0, "{err}");
    let header = table.lines().next().unwrap();
    for col in [
        "NAME",
        "ID",
        "STATUS",
        "MODEL",
        "RECORDS",
        "SUBMITTED",
        "DURATION",
    ] {
        assert!(header.contains(col), "{table}");
    }
    let row = table.lines().nth(1).unwrap();
    for cell in ["nightly-eval", id, "Completed", MICRO, "5/5"] {
        assert!(row.contains(cell), "{table}");
    }
    let (code, listed, _) = batch(&ep, "list", &["--json", "--status", "completed"]).await;
    assert_eq!(code, 0);
    let listed: Value = serde_json::from_str(&listed).unwrap();
    let jobs = listed["invocationJobSummaries"].as_array().unwrap();
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0]["jobArn"], arn);
    assert_eq!(jobs[0]["successRecordCount"], 5);
    assert_eq!(
        jobs[0]["inputDataConfig"]["s3InputDataConfig"]["s3Uri"],
        "s3://batch-in/runs/nightly-eval.jsonl"
    );
    let (_, none, _) = batch(&ep, "list", &["--json", "--name", "weekly"]).await;
    assert_eq!(
        serde_json::from_str::<Value>(&none).unwrap()["invocationJobSummaries"],
        json!([])
    );

    // get by id: details with the record counts.
    let (code, details, err) = batch(&ep, "get", &[id]).await;
    assert_eq!(code, 0, "{err}");
    assert!(details.contains("status: Completed\n"), "{details}");
    assert!(
        details.contains("records: 5/5 processed (100%), 5 succeeded, 0 failed\n"),
        "{details}"
    );
    assert!(
        details.contains("output: s3://batch-out/results\n"),
        "{details}"
    );

    // download: the service's layout, and the tokens priced at batch prices.
    let into = dir.path().join("outputs");
    let (code, paths, err) = batch(&ep, "download", &[id, into.to_str().unwrap()]).await;
    assert_eq!(code, 0, "{err}");
    let out_file = into.join(id).join("nightly-eval.jsonl.out");
    let manifest = into.join(id).join("manifest.json.out");
    assert_eq!(
        paths.lines().collect::<Vec<_>>(),
        [manifest.to_str().unwrap(), out_file.to_str().unwrap()]
    );
    let answers = std::fs::read_to_string(&out_file).unwrap();
    let ids: Vec<String> = answers
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["recordId"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(ids, ["r000", "r001", "r002", "r003", "r004"]);
    let m: Value = serde_json::from_str(&std::fs::read_to_string(&manifest).unwrap()).unwrap();
    let (tin, tout) = (
        m["inputTokenCount"].as_u64().unwrap(),
        m["outputTokenCount"].as_u64().unwrap(),
    );
    assert!(tin > 0 && tout > 0, "{m}");
    // Nova Micro's batch price: $0.0175 and $0.07 per million tokens.
    let usd = (tin as f64 * 0.0175 + tout as f64 * 0.07) / 1e6;
    let expected = bedrock_tui::pricing::format_usd(usd);
    assert!(
        err.contains(&format!(
            "{id}: 5 records, 5 succeeded, 0 failed; {tin} input and {tout} output tokens, {expected} at batch prices (litellm"
        )),
        "{err}"
    );
    // Nothing is overwritten without being asked.
    let (code, _, err) = batch(&ep, "download", &[id, into.to_str().unwrap()]).await;
    assert_eq!(code, 1);
    assert!(err.contains("pass --overwrite to replace it"), "{err}");
}

#[tokio::test]
async fn a_running_job_stops_and_an_unfinished_one_has_nothing_to_download() {
    // Slow stages, so the job is still on its way when stopped.
    let ep = batch_endpoint(3_000).await;
    make_bucket(&ep, "b-in").await;
    let dir = tempfile::tempdir().unwrap();
    let records: Vec<Value> = (0..3).map(|i| record(&format!("x{i}"), "hi")).collect();
    let input = write_records(dir.path(), &records);
    let (code, out, err) = submit(&ep, &input, "s3://b-in", "s3://b-in/out", &[]).await;
    assert_eq!(code, 0, "{err}");
    let arn = out.trim().to_owned();
    let id = arn.rsplit('/').next().unwrap();
    let (code, _, err) = batch(&ep, "download", &[id, dir.path().to_str().unwrap()]).await;
    assert_eq!(code, 1);
    assert!(
        err.contains(&format!("{id} is still ")) && err.contains("written when it ends"),
        "{err}"
    );
    let (code, said, err) = batch(&ep, "stop", &[&arn]).await;
    assert_eq!(code, 0, "{err}");
    assert_eq!(said, format!("{id} Stopping\n"));
    let (_, json, _) = batch(&ep, "get", &[id, "--json"]).await;
    let job: Value = serde_json::from_str(&json).unwrap();
    assert!(
        ["Stopping", "Stopped"].contains(&job["status"].as_str().unwrap()),
        "{job}"
    );
    // An unknown job is the service's error, and exit 1.
    let (code, _, err) = batch(&ep, "get", &["abcdefghij12"]).await;
    assert_eq!(code, 1);
    assert!(err.contains("abcdefghij12"), "{err}");
}

#[tokio::test]
async fn bad_input_is_refused_before_anything_is_uploaded() {
    let ep = batch_endpoint(20).await;
    make_bucket(&ep, "b-in").await;
    let dir = tempfile::tempdir().unwrap();
    let twice = write_records(dir.path(), &[record("a", "x"), record("a", "y")]);
    let (code, _, err) = submit(&ep, &twice, "s3://b-in", "s3://b-in/out", &[]).await;
    assert_eq!(code, 1);
    assert!(
        err.contains("line 2: record id a repeats the record of line 1; nothing was uploaded"),
        "{err}"
    );

    let path = dir.path().join("broken.jsonl");
    std::fs::write(
        &path,
        format!("{}\n{{\"recordId\": \"b\",\n", record("a", "x")),
    )
    .unwrap();
    let (code, _, err) = submit(
        &ep,
        path.to_str().unwrap(),
        "s3://b-in",
        "s3://b-in/out",
        &[],
    )
    .await;
    assert_eq!(code, 1);
    assert!(err.contains("broken.jsonl, line 2: "), "{err}");

    let good = write_records(dir.path(), &[record("a", "x")]);
    let (code, _, err) = submit(
        &ep,
        &good,
        "s3://b-in",
        "s3://b-in/out",
        &["--name", "bad_name!"],
    )
    .await;
    assert_eq!(code, 1);
    assert!(
        err.contains("--name: 'bad_name!' is not a job name"),
        "{err}"
    );
    let (code, _, err) = submit(&ep, &good, "s3://b-in", "https://x", &[]).await;
    assert_eq!((code, err.contains("--output: ")), (1, true), "{err}");
    let (code, _, err) = submit(
        &ep,
        &good,
        "s3://b-in",
        "s3://b-in/out",
        &["--timeout-hours", "2"],
    )
    .await;
    assert_eq!(code, 2, "{err}");

    // Nothing reached the bucket, and no job was made.
    let listed = s3_client(&ep)
        .list_objects_v2()
        .bucket("b-in")
        .send()
        .await
        .unwrap();
    assert_eq!(listed.key_count(), Some(0));
    let (_, jobs, _) = batch(&ep, "list", &["--json"]).await;
    assert_eq!(
        serde_json::from_str::<Value>(&jobs).unwrap()["invocationJobSummaries"],
        json!([])
    );
}

#[tokio::test]
async fn prompts_become_the_models_body_and_a_model_that_needs_a_profile_goes_through_one() {
    let ep = batch_endpoint(20).await;
    make_bucket(&ep, "b-prompts").await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("prompts.jsonl");
    std::fs::write(
        &path,
        "{\"recordId\":\"a\",\"prompt\":\"tides\"}\n{\"recordId\":\"b\",\"prompt\":\"comets\"}\n{\"recordId\":\"c\",\"prompt\":\"moss\"}\n",
    )
    .unwrap();
    let haiku45 = "anthropic.claude-haiku-4-5-20251001-v1:0";
    let (code, out, err) = batch(
        &ep,
        "submit",
        &[
            path.to_str().unwrap(),
            "--model",
            haiku45,
            "--role-arn",
            ROLE,
            "--input-s3",
            "s3://b-prompts/in",
            "--output",
            "s3://b-prompts/out",
            "--name",
            "facts",
            "--template",
            "One fact about {prompt}.",
            "--max-tokens",
            "80",
            "--wait",
            "--poll-interval",
            "0.1",
        ],
    )
    .await;
    assert_eq!(code, 0, "{err}");
    let control = aws_sdk_bedrock::Client::new(&sdk_config(&ep, "us-east-1"));
    let job = control
        .get_model_invocation_job()
        .job_identifier(out.trim())
        .send()
        .await
        .unwrap();
    // Haiku 4.5 is invoked through the region's profile, as in the chat.
    assert_eq!(job.model_id(), format!("us.{haiku45}"));
    assert_eq!(job.status().map(|s| s.as_str()), Some("Completed"));
    let uploaded = object_text(&ep, "b-prompts", "in/facts.jsonl").await;
    let first: Value = serde_json::from_str(uploaded.lines().next().unwrap()).unwrap();
    assert_eq!(first["recordId"], "a");
    let body = &first["modelInput"];
    assert_eq!(body["anthropic_version"], "bedrock-2023-05-31");
    assert_eq!(body["max_tokens"], 80);
    assert_eq!(
        body["messages"][0]["content"][0]["text"],
        "One fact about tides."
    );
}
