//! Batch inference jobs as a person sees them in the jobs pane (F5): listed beside the
//! async invocations with their stage and record progress, one stopped after a yes,
//! the other told when it completes and its outputs downloaded where the service's
//! layout puts them.

use std::time::Duration;

use aws_sdk_bedrock::types::{
    ModelInvocationJobInputDataConfig, ModelInvocationJobOutputDataConfig,
    ModelInvocationJobS3InputDataConfig, ModelInvocationJobS3OutputDataConfig,
};
use bedrock_tui::local::Settings;

use super::*;

const F5: &str = "\x1b[15~";
const DOWN: &str = "\x1b[B";

fn credentials() -> aws_credential_types::Credentials {
    aws_credential_types::Credentials::new("AKIDLOCALTEST", "local-test-secret", None, None, "e2e")
}

fn s3(ep: &LocalEndpoint) -> aws_sdk_s3::Client {
    aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::new()
            .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
            .region(aws_sdk_s3::config::Region::new("us-east-1"))
            .credentials_provider(credentials())
            .endpoint_url(ep.url())
            .force_path_style(true)
            .build(),
    )
}

fn control(ep: &LocalEndpoint) -> aws_sdk_bedrock::Client {
    aws_sdk_bedrock::Client::from_conf(
        aws_sdk_bedrock::config::Builder::new()
            .behavior_version(aws_sdk_bedrock::config::BehaviorVersion::latest())
            .region(aws_sdk_bedrock::config::Region::new("us-east-1"))
            .credentials_provider(credentials())
            .endpoint_url(ep.url())
            .build(),
    )
}

/// Creates the job `name` over three records; returns its id.
async fn create(ep: &LocalEndpoint, name: &str) -> String {
    let input = ModelInvocationJobS3InputDataConfig::builder()
        .s3_uri("s3://e2e-batch/in.jsonl")
        .build()
        .unwrap();
    let output = ModelInvocationJobS3OutputDataConfig::builder()
        .s3_uri("s3://e2e-batch/out")
        .build()
        .unwrap();
    let arn = control(ep)
        .create_model_invocation_job()
        .job_name(name)
        .model_id("amazon.nova-micro-v1:0")
        .role_arn("arn:aws:iam::123456789012:role/Batch")
        .input_data_config(ModelInvocationJobInputDataConfig::S3InputDataConfig(input))
        .output_data_config(ModelInvocationJobOutputDataConfig::S3OutputDataConfig(
            output,
        ))
        .send()
        .await
        .unwrap()
        .job_arn()
        .to_owned();
    arn.rsplit('/').next().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn watch_stop_complete_and_download_batch_jobs() {
    // Each stage lasts 1.5 s: a job takes about 6 s, time to see it on its way.
    let ep = endpoint_with(Settings {
        batch_step: Duration::from_millis(1500),
        batch_min_records: 3,
        ..Settings::default()
    })
    .await;
    let bucket = s3(&ep);
    bucket
        .create_bucket()
        .bucket("e2e-batch")
        .send()
        .await
        .unwrap();
    let records: String = (0..3)
        .map(|i| {
            format!(
                "{{\"recordId\":\"r{i}\",\"modelInput\":{{\"messages\":[{{\"role\":\"user\",\"content\":[{{\"text\":\"Question {i}\"}}]}}]}}}}\n"
            )
        })
        .collect();
    bucket
        .put_object()
        .bucket("e2e-batch")
        .key("in.jsonl")
        .body(records.into_bytes().into())
        .send()
        .await
        .unwrap();
    let nightly = create(&ep, "nightly").await;
    let weekly = create(&ep, "weekly").await;

    let url = ep.url();
    let home = config_home(&format!(
        "endpoint_url = \"{url}\"\nregion = \"us-east-1\"\ndownload_dir = \"HOME/downloads\"\n"
    ));
    let mut tui = Tui::start(&[], Some(home.clone()));
    tui.wait_for("F1 help").await;
    tui.keys(F5);
    // Newest first: weekly, then nightly, each on its way.
    let s = tui
        .wait_for_all(&["BATCH JOB", "weekly", "nightly", "2 running"])
        .await;
    assert!(s.contains("RECORDS"), "{s}");
    let at = |name: &str| s.lines().position(|l| l.contains(name)).unwrap();
    assert!(at("weekly") < at("nightly"), "{s}");

    // s on weekly asks first; y stops it.
    tui.keys("s");
    tui.wait_for("Stop batch job weekly? y stops it").await;
    tui.keys("y");
    tui.wait_for(&format!("Stopping batch job {weekly}")).await;

    // Both end: weekly stopped, nightly completed with all its records.
    let s = tui
        .wait_for_all(&["■ Stopped", "✓ Completed", "none running"])
        .await;
    assert!(s.contains("3/3"), "{s}");
    assert!(
        s.contains("jobs ended") || s.contains("completed in"),
        "{s}"
    );

    // Down to nightly: its details (open since the stop) and its outputs.
    tui.keys(DOWN);
    tui.wait_for("3/3 processed (100%), 3 succeeded, 0 failed")
        .await;
    tui.keys("d");
    let s = tui.wait_for("downloaded 2 files").await;
    let dir = home.join("downloads").join(&nightly);
    for name in ["in.jsonl.out", "manifest.json.out"] {
        let path = dir.join(name);
        assert!(path.is_file(), "{} missing: {s}", path.display());
    }
    let out = std::fs::read_to_string(dir.join("in.jsonl.out")).unwrap();
    assert_eq!(out.lines().count(), 3, "{out}");

    tui.keys("\x03");
    assert!(tui.exit_status().await.success());
}
