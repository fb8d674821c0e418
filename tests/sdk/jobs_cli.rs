//! `bedrock-tui jobs` against the local endpoint: start and wait, download the files the
//! service's layout promises and refuse to overwrite them, failed jobs with their
//! message, every page of the list, a model without async invocation, idempotent
//! retries, and polls that back off when throttled.

use aws_sdk_bedrockruntime::types::{AsyncInvokeOutputDataConfig, AsyncInvokeS3OutputDataConfig};
use bedrock_tui::local::faults::{Fault, FaultRate};
use serde_json::{Value, json};

use super::ask::run_command;
use super::jobs::request_log;
use super::*;

const REEL_11: &str = "amazon.nova-reel-v1:1";

pub async fn endpoint_secs(secs: u64, fault_rate: Option<FaultRate>) -> LocalEndpoint {
    endpoint_with(Settings {
        async_seconds: secs,
        fault_rate,
        ..Settings::default()
    })
    .await
}

/// `bedrock-tui jobs SUB ARGS`: the exit code, stdout and stderr.
async fn jobs(ep: &LocalEndpoint, sub: &str, args: &[&str]) -> (i32, String, String) {
    let out = run_command(ep, &format!("jobs {sub}"), args, None).await;
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

/// The region's jobs as `jobs list --json` prints them.
async fn listed(ep: &LocalEndpoint, args: &[&str]) -> Vec<Value> {
    let (code, out, err) = jobs(ep, "list", &[&["--json"], args].concat()).await;
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    v["asyncInvokeSummaries"].as_array().unwrap().clone()
}

/// The operations the endpoint served, in order, with their time and error code.
pub async fn served(ep: &LocalEndpoint, operation: &str) -> Vec<(u64, Option<String>)> {
    request_log(ep).await["requests"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["operation"] == operation)
        .map(|r| {
            (
                r["timeMs"].as_u64().unwrap(),
                r["error"].as_str().map(str::to_owned),
            )
        })
        .collect()
}

/// `jobs start --wait` of a Nova Reel 1.1 video of `prompt`, polling every 0.1 s at first.
async fn start_video(
    ep: &LocalEndpoint,
    prompt: &str,
    output: &str,
    extra: &[&str],
) -> (i32, String, String) {
    let args = [
        &[
            "--model",
            REEL_11,
            "--prompt",
            prompt,
            "--output",
            output,
            "--wait",
            "--poll-interval",
            "0.1",
        ],
        extra,
    ]
    .concat();
    jobs(ep, "start", &args).await
}

#[tokio::test]
async fn start_wait_and_download_the_nova_reel_layout_without_overwriting() {
    let ep = endpoint_secs(1, None).await;
    let (code, out, err) = start_video(
        &ep,
        "A red fox in the snow",
        "s3://videos/runs/",
        &["--seed", "7"],
    )
    .await;
    assert_eq!(code, 0, "{err}");
    let arn = out.trim_end().to_owned();
    assert!(
        arn.starts_with("arn:aws:bedrock:us-east-1:123456789012:async-invoke/"),
        "{out}"
    );
    let id = arn.rsplit('/').next().unwrap().to_owned();
    assert!(err.contains("InProgress for"), "{err}");
    assert!(
        err.contains(&format!("{id} completed in"))
            && err.contains(&format!("s3://videos/runs/{id}")),
        "{err}"
    );

    let got = client(&ep)
        .get_async_invoke()
        .invocation_arn(&arn)
        .send()
        .await
        .unwrap();
    assert_eq!(got.status().as_str(), "Completed");
    let token = got.client_request_token().map(str::to_owned);
    assert!(
        token.is_some_and(|t| !t.is_empty()),
        "a token is always sent"
    );

    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_string_lossy().into_owned();
    let (code, out, err) = jobs(&ep, "download", &[&arn, &d]).await;
    assert_eq!(code, 0, "{err}");
    let folder = dir.path().join(&id);
    let expected: Vec<String> = [
        "manifest.json",
        "output.mp4",
        "video-generation-status.json",
    ]
    .iter()
    .map(|f| folder.join(f).display().to_string())
    .collect();
    assert_eq!(out.lines().collect::<Vec<_>>(), expected);
    let mp4 = std::fs::read(folder.join("output.mp4")).unwrap();
    assert_eq!(&mp4[4..8], b"ftyp");
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(folder.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["invocationArn"], arn.as_str());
    let status: Value = serde_json::from_slice(
        &std::fs::read(folder.join("video-generation-status.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(status["fullVideo"]["status"], "SUCCESS");

    // A second download changes nothing and names the file it would replace.
    std::fs::write(folder.join("output.mp4"), b"my edit").unwrap();
    let (code, out, err) = jobs(&ep, "download", &[&id, &d]).await;
    assert_eq!(code, 1);
    assert!(out.is_empty(), "{out}");
    assert!(
        err.contains(&format!(
            "{} already exists and was not overwritten; pass --overwrite to replace it",
            folder.join("manifest.json").display()
        )),
        "{err}"
    );
    assert_eq!(
        std::fs::read(folder.join("output.mp4")).unwrap(),
        b"my edit"
    );
    let (code, out, err) = jobs(&ep, "download", &[&id, &d, "--overwrite"]).await;
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.lines().count(), 3);
    assert_eq!(std::fs::read(folder.join("output.mp4")).unwrap(), mp4);
    // Only the outputs: no temporary file is left behind.
    let mut names: Vec<String> = std::fs::read_dir(&folder)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "manifest.json",
            "output.mp4",
            "video-generation-status.json"
        ]
    );
}

#[tokio::test]
async fn a_failed_job_shows_its_failure_message() {
    let ep = endpoint_secs(1, None).await;
    let (code, out, err) =
        start_video(&ep, "A sunset [[fault:job-fail]]", "s3://failures", &[]).await;
    assert_eq!(code, 1, "{err}");
    let arn = out.trim_end();
    let message = bedrock_tui::local::jobs::JOB_FAIL_MESSAGE;
    assert!(err.contains(&format!("Failed: {message}")), "{err}");

    let (code, out, err) = jobs(&ep, "get", &[arn]).await;
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains(&format!("status: Failed\nfailure: {message}\n")),
        "{out}"
    );
    assert!(out.contains("took: "), "{out}");
    let failed = listed(&ep, &["--status", "failed"]).await;
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0]["failureMessage"], message);
    assert!(listed(&ep, &["--status", "completed"]).await.is_empty());
    // Nova Reel 1.1 reports the failure in its status file, which downloads.
    let dir = tempfile::tempdir().unwrap();
    let (code, out, err) = jobs(&ep, "download", &[arn, &dir.path().to_string_lossy()]).await;
    assert_eq!(code, 0, "{err}");
    assert!(
        out.trim_end().ends_with("video-generation-status.json"),
        "{out}"
    );
}

#[tokio::test]
async fn the_list_has_every_page_newest_first() {
    let ep = endpoint_secs(1, None).await;
    let c = client(&ep);
    let mut arns = Vec::new();
    for i in 0..5 {
        let out = c
            .start_async_invoke()
            .model_id("twelvelabs.marengo-embed-2-7-v1:0")
            .model_input(bedrock_tui::bedrock::document(
                &json!({"inputType": "text", "inputText": format!("scene {i}")}),
            ))
            .output_data_config(AsyncInvokeOutputDataConfig::S3OutputDataConfig(
                AsyncInvokeS3OutputDataConfig::builder()
                    .s3_uri("s3://pages")
                    .build()
                    .unwrap(),
            ))
            .send()
            .await
            .unwrap();
        arns.push(out.invocation_arn().to_owned());
        // Distinct submission times, so the order is the order of the starts.
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    let before = served(&ep, "ListAsyncInvokes").await.len();
    let jobs_listed: Vec<String> = listed(&ep, &["--page-size", "2"])
        .await
        .iter()
        .map(|j| j["invocationArn"].as_str().unwrap().to_owned())
        .collect();
    arns.reverse();
    assert_eq!(jobs_listed, arns);
    assert_eq!(
        served(&ep, "ListAsyncInvokes").await.len() - before,
        3,
        "pages of 2, 2 and 1"
    );

    let (code, out, err) = jobs(&ep, "list", &["--page-size", "2"]).await;
    assert_eq!(code, 0, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 6, "{out}");
    assert!(
        lines[0].starts_with("ID  ") && lines[0].contains("STATUS"),
        "{out}"
    );
    assert!(
        lines[1].starts_with(arns[0].rsplit('/').next().unwrap()),
        "{out}"
    );
    let (code, _, err) = jobs(&ep, "list", &["--page-size", "0"]).await;
    assert_eq!(code, 2, "{err}");
}

#[tokio::test]
async fn a_model_without_async_invocation_is_refused_and_starts_nothing() {
    let ep = endpoint_secs(1, None).await;
    for (args, says) in [
        (
            vec!["--model", HAIKU3, "--prompt", "hi", "--output", "s3://b-1"],
            "anthropic.claude-3-haiku-20240307-v1:0 does not support async invocation (StartAsyncInvoke). Async-capable models: amazon.nova-reel-v1:0,",
        ),
        (
            vec![
                "--model",
                REEL_11,
                "--prompt",
                "hi",
                "--output",
                "s3://My_Bucket/x",
            ],
            "--output: 's3://My_Bucket/x': bucket 'My_Bucket' is not valid",
        ),
        (
            vec!["--model", REEL_11, "--prompt", "hi"],
            "no output location: pass --output",
        ),
        (
            vec![
                "--model",
                REEL_11,
                "--prompt",
                "hi",
                "--duration",
                "7",
                "--output",
                "s3://b-1",
            ],
            "#/videoGenerationConfig/durationSeconds: 7 is not 6",
        ),
        (
            vec![
                "--model",
                "amazon.nova-rel-v1:1",
                "--prompt",
                "hi",
                "--output",
                "s3://b-1",
            ],
            "did you mean",
        ),
    ] {
        let (code, out, err) = jobs(&ep, "start", &args).await;
        assert_eq!(code, 1, "{args:?}: {err}");
        assert!(out.is_empty(), "{out}");
        assert!(err.contains(says), "{args:?}: {err}");
    }
    assert!(served(&ep, "StartAsyncInvoke").await.is_empty());
    assert!(listed(&ep, &[]).await.is_empty());
}

#[tokio::test]
async fn a_retried_start_with_the_same_token_is_one_job() {
    let ep = endpoint_secs(30, None).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("input.json");
    std::fs::write(
        &file,
        r#"{"inputType": "text", "inputText": "a dog on a beach"}"#,
    )
    .unwrap();
    let file = file.to_string_lossy().into_owned();
    let args = [
        "--model",
        "twelvelabs.marengo-embed-2-7-v1:0",
        "--input",
        &file,
        "--output",
        "s3://embeddings",
        "--token",
        "retry-1",
    ];
    let (code, first, err) = jobs(&ep, "start", &args).await;
    assert_eq!(code, 0, "{err}");
    let (code, again, err) = jobs(&ep, "start", &args).await;
    assert_eq!(code, 0, "{err}");
    assert_eq!(first, again);
    let all = listed(&ep, &[]).await;
    assert_eq!(all.len(), 1);
    assert_eq!(all[0]["clientRequestToken"], "retry-1");
    assert_eq!(all[0]["status"], "InProgress");

    // The same token for another request is refused, and still one job.
    std::fs::write(&file, r#"{"inputType": "text", "inputText": "a cat"}"#).unwrap();
    let (code, _, err) = jobs(&ep, "start", &args).await;
    assert_eq!(code, 1);
    assert!(
        err.contains("The client request token retry-1 was already used for a different request"),
        "{err}"
    );
    assert_eq!(listed(&ep, &[]).await.len(), 1);
    // A running job has nothing to download yet.
    let (code, _, err) = jobs(&ep, "download", &[first.trim_end()]).await;
    assert_eq!(code, 1);
    assert!(err.contains("is still InProgress"), "{err}");
}

/// The interval each `--wait` progress line announces, and whether it was throttled.
fn announced(stderr: &str) -> Vec<(bool, f64)> {
    stderr
        .lines()
        .filter_map(|l| {
            let secs = l.rsplit_once("next check in ")?.1.strip_suffix('s')?;
            Some((l.contains("Throttled by Bedrock"), secs.parse().ok()?))
        })
        .collect()
}

#[tokio::test]
async fn polling_backs_off_when_throttled() {
    // Half of the Bedrock requests are throttled, the same ones on every run.
    let rate = FaultRate::new(0.5, vec![Fault::parse("throttle").unwrap()], 3);
    let ep = endpoint_secs(3, Some(rate)).await;
    let (code, out, err) = start_video(&ep, "A lighthouse at night", "s3://throttled", &[]).await;
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("arn:"), "{out}");
    let steps = announced(&err);
    assert!(steps.iter().any(|(t, _)| *t), "no throttled poll: {err}");
    assert!(steps.iter().any(|(t, _)| !*t), "no answered poll: {err}");
    for (i, (throttled, secs)) in steps.iter().enumerate() {
        if *throttled {
            assert!(
                *secs >= 0.4,
                "a throttled poll waits at least 4 intervals: {err}"
            );
            if let Some((_, before)) = i.checked_sub(1).map(|j| steps[j]) {
                assert!(*secs >= before * 2.0 || *secs >= 6.0, "{err}");
            }
        }
    }
    // The endpoint saw the waits: after each throttled poll, the next one came about
    // 0.4 s later or more (an unthrottled pause is 0.1 s). The log stamps each request
    // when it is answered while the client counts from when it sent it, so the gap
    // it sees can be a few milliseconds short of the client's pause.
    let polls = served(&ep, "GetAsyncInvoke").await;
    let throttled = polls
        .iter()
        .filter(|(_, e)| e.as_deref() == Some("ThrottlingException"));
    assert!(throttled.count() >= 1, "{polls:?}");
    for pair in polls.windows(2) {
        if pair[0].1.is_some() {
            assert!(pair[1].0 - pair[0].0 >= 350, "{polls:?}");
        }
    }
}

#[test]
fn a_job_started_with_local_is_said_to_end_with_the_command() {
    let home = tempfile::tempdir().unwrap();
    let args = [
        "jobs",
        "start",
        "--local",
        "--model",
        REEL_11,
        "--prompt",
        "A fox",
        "--output",
        "s3://videos/x",
    ];
    let out = super::cli::bare(&args, home.path()).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("arn:aws:bedrock:"));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(
            "--local: the job runs in an endpoint inside this command and is gone when it exits"
        ),
        "{err}"
    );
    assert!(err.contains("serve-local"), "{err}");
}
