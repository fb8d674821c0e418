//! The jobs library against the local endpoint through an app connection: errors a
//! caller matches on, and output downloads with their progress and their clean failure.

use bedrock_tui::bedrock::jobs::{JobError, JobsClient, StartRequest};
use bedrock_tui::bedrock::s3::{self as output, OutputError, OutputObject};
use bedrock_tui::jobs::input::{self, VideoParams};
use bedrock_tui::jobs::{S3Uri, Status};

use super::count::connection;
use super::jobs_cli::{endpoint_secs, served};

const REEL: &str = "amazon.nova-reel-v1:0";

fn video(prompt: &str) -> serde_json::Value {
    let model = bedrock_tui::catalog::Catalog::builtin().get(REEL).unwrap();
    input::from_prompt(model, prompt, &VideoParams::default()).unwrap()
}

fn request(prompt: &str) -> StartRequest {
    StartRequest::new(
        REEL,
        video(prompt),
        S3Uri::parse("s3://lib-out/v").unwrap(),
        None,
    )
}

#[tokio::test]
async fn errors_are_ones_a_caller_can_tell_apart() {
    let ep = endpoint_secs(30, None).await;
    let conn = connection(&ep).await;
    let jobs = JobsClient::new(&conn);

    let err = jobs
        .start(&request("A fox [[fault:throttle]]"))
        .await
        .unwrap_err();
    assert!(err.is_throttled(), "{err:?}");
    let err = jobs
        .get("arn:aws:bedrock:us-east-1:123456789012:async-invoke/zzzzzzzzzzzz")
        .await
        .unwrap_err();
    assert!(matches!(err, JobError::NotFound { .. }), "{err:?}");
    let err = jobs
        .start(&request("A fox [[fault:access-denied]]"))
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("must allow bedrock:InvokeModel"),
        "{err}"
    );

    // A request keeps its token: sent twice, one job.
    let req = request("A heron");
    let arn = jobs.start(&req).await.unwrap();
    assert_eq!(jobs.start(&req).await.unwrap(), arn);
    let other = StartRequest {
        input: video("A crane"),
        ..req.clone()
    };
    let err = jobs.start(&other).await.unwrap_err();
    assert!(matches!(err, JobError::TokenConflict { .. }), "{err:?}");
    let listed = jobs.list(None).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(
        listed[0].client_request_token.as_deref(),
        Some(req.token.as_str())
    );
    assert_eq!(jobs.poll(&arn).await.unwrap().status, Status::InProgress);
}

#[tokio::test]
async fn downloads_report_progress_and_a_failed_one_leaves_nothing() {
    let ep = endpoint_secs(1, None).await;
    let conn = connection(&ep).await;
    let jobs = JobsClient::new(&conn);
    let arn = jobs.start(&request("Waves on a beach")).await.unwrap();
    let job = loop {
        let j = jobs.get(&arn).await.unwrap();
        if !j.status.is_running() {
            break j;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    let objects = output::list(&conn.s3, job.output_uri()).await.unwrap();
    let names: Vec<&str> = objects.iter().map(|o| o.name.as_str()).collect();
    assert_eq!(names, ["manifest.json", "output.mp4"]);

    let dir = tempfile::tempdir().unwrap();
    let paths = output::plan(dir.path(), &objects, false).unwrap();
    let mut seen = Vec::new();
    output::download(&conn.s3, &objects[1], &paths[1], false, |p| {
        seen.push((p.done, p.total))
    })
    .await
    .unwrap();
    let size = objects[1].size;
    assert_eq!(seen.first(), Some(&(0, Some(size))));
    assert_eq!(seen.last(), Some(&(size, Some(size))));
    assert!(seen.windows(2).all(|w| w[0].0 <= w[1].0), "{seen:?}");
    assert_eq!(std::fs::metadata(&paths[1]).unwrap().len(), size);

    // Without overwrite a file that exists by then is kept, and the download is refused.
    std::fs::write(&paths[0], b"mine").unwrap();
    let err = output::download(&conn.s3, &objects[0], &paths[0], false, |_| {})
        .await
        .unwrap_err();
    assert!(matches!(err, OutputError::Exists { .. }), "{err:?}");
    assert_eq!(std::fs::read(&paths[0]).unwrap(), b"mine");

    let missing = OutputObject {
        key: format!("{}/nothing.bin", objects[0].key.rsplit_once('/').unwrap().0),
        name: "nothing.bin".into(),
        ..objects[0].clone()
    };
    let target = dir.path().join("nothing.bin");
    let err = output::download(&conn.s3, &missing, &target, false, |_| {})
        .await
        .unwrap_err();
    assert!(matches!(err, OutputError::S3 { .. }), "{err:?}");
    let mut left: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(left, ["manifest.json", "output.mp4"]);
}

#[tokio::test]
async fn a_listing_without_retries_reports_the_first_throttle() {
    use bedrock_tui::local::faults::{Fault, FaultRate};
    let ep = endpoint_secs(
        30,
        Some(FaultRate::new(
            1.0,
            vec![Fault::parse("throttle").unwrap()],
            7,
        )),
    )
    .await;
    let conn = connection(&ep).await;
    let err = JobsClient::new(&conn)
        .without_retries()
        .list(None)
        .await
        .unwrap_err();
    assert!(err.is_throttled(), "{err:?}");
    assert_eq!(served(&ep, "ListAsyncInvokes").await.len(), 1);
    let err = JobsClient::new(&conn).list(None).await.unwrap_err();
    assert!(err.is_throttled(), "{err:?}");
    assert!(
        served(&ep, "ListAsyncInvokes").await.len() > 2,
        "the SDK retried the listing"
    );
}
