//! Batch jobs end to end on a state of their own: inputs written to the S3 store, jobs
//! created through the operations, their stages awaited, their outputs read back.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bedrock_catalog::Catalog;
use serde_json::{Value, json};
use tokio::sync::watch;

use super::records::{self, Input, Limits};
use super::store::Status;
use super::*;
use crate::error::{ErrorKind, ServiceError};
use crate::ops::{Call, Reply};
use crate::router::Route;
use crate::state::Settings;

const HAIKU: &str = "anthropic.claude-3-haiku-20240307-v1:0";

struct Rig {
    state: Arc<State>,
    _stop: watch::Sender<bool>,
}

async fn rig(min_records: usize) -> Rig {
    let settings = Settings {
        batch_step: Duration::from_millis(20),
        batch_min_records: min_records,
        ..Settings::default()
    };
    let state = Arc::new(State::new(Catalog::builtin(), settings));
    let (stop, stopped) = watch::channel(false);
    state
        .jobs
        .open(&state.settings, state.catalog, stopped.clone())
        .unwrap();
    start(state.clone(), stopped).unwrap();
    Rig { state, _stop: stop }
}

impl Rig {
    async fn put(&self, uri: &str, lines: &[Value]) {
        let (bucket, key) = records::split(uri);
        let s3 = self.state.jobs.s3().unwrap();
        s3.ensure_bucket(bucket).await.unwrap();
        let body: String = lines.iter().map(|l| format!("{l}\n")).collect();
        s3.put(bucket, key, "application/jsonl", body.into_bytes())
            .await
            .unwrap();
    }

    async fn read(&self, uri: &str) -> Option<String> {
        let (bucket, key) = records::split(uri);
        let s3 = self.state.jobs.s3().unwrap();
        let bytes = s3.get(bucket, key).await.unwrap()?;
        Some(String::from_utf8(bytes.to_vec()).unwrap())
    }

    async fn call(&self, route: Route, query: &str, body: &Value) -> Result<Value, ServiceError> {
        let headers = http::HeaderMap::new();
        let bytes = body.to_string().into_bytes();
        let call = Call {
            route: &route,
            region: "us-east-1",
            headers: &headers,
            query,
            body: &bytes,
            started: Instant::now(),
            drawn: None,
        };
        let reply = match &route {
            Route::CreateModelInvocationJob => create(&self.state, &call).await,
            Route::GetModelInvocationJob(id) => get(&self.state, &call, id).await,
            Route::ListModelInvocationJobs => list(&self.state, &call).await,
            Route::StopModelInvocationJob(id) => stop(&self.state, &call, id).await,
            _ => unreachable!("not a batch route"),
        }?;
        match reply {
            Reply::Json { body, .. } => Ok(body),
            _ => panic!("not a JSON reply"),
        }
    }

    async fn create(&self, name: &str, input: &str) -> Result<String, ServiceError> {
        let body = json!({
            "jobName": name,
            "roleArn": "arn:aws:iam::123456789012:role/Batch",
            "modelId": HAIKU,
            "inputDataConfig": {"s3InputDataConfig": {"s3Uri": input}},
            "outputDataConfig": {"s3OutputDataConfig": {"s3Uri": "s3://batch-out/results/"}},
        });
        let r = self
            .call(Route::CreateModelInvocationJob, "", &body)
            .await?;
        Ok(r["jobArn"].as_str().unwrap().to_owned())
    }

    async fn get(&self, arn: &str) -> Value {
        self.call(Route::GetModelInvocationJob(arn.into()), "", &json!({}))
            .await
            .unwrap()
    }

    async fn list(&self, query: &str) -> Value {
        self.call(Route::ListModelInvocationJobs, query, &json!({}))
            .await
            .unwrap()
    }

    /// Polls the job until it ends, noting each status it was seen in.
    async fn finish(&self, arn: &str) -> (Value, Vec<String>) {
        let mut seen: Vec<String> = Vec::new();
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let job = self.get(arn).await;
            let status = job["status"].as_str().unwrap().to_owned();
            if seen.last() != Some(&status) {
                seen.push(status.clone());
            }
            let st = Status::parse(&status).unwrap();
            if st.terminal() {
                return (job, seen);
            }
            assert!(Instant::now() < deadline, "{arn} stuck in {status}");
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }
}

fn record(id: &str, text: &str) -> Value {
    json!({"recordId": id, "modelInput": {
        "anthropic_version": "bedrock-2023-05-31",
        "max_tokens": 64,
        "messages": [{"role": "user", "content": [{"type": "text", "text": text}]}],
    }})
}

#[tokio::test]
async fn a_job_goes_through_its_stages_and_writes_the_service_layout() {
    let rig = rig(3).await;
    let lines = [
        record("R1", "Name a colour."),
        record("R2", "Count to three."),
        json!({"modelInput": {"anthropic_version": "bedrock-2023-05-31", "max_tokens": 10,
            "messages": [{"role": "user", "content": "no id here"}]}}),
    ];
    rig.put("s3://batch-in/jobs/data.jsonl", &lines).await;
    let arn = rig
        .create("stages-1", "s3://batch-in/jobs/data.jsonl")
        .await
        .unwrap();
    let (job, seen) = rig.finish(&arn).await;
    assert_eq!(job["status"], "Completed", "{job:#}");
    assert_eq!(seen.last().map(String::as_str), Some("Completed"));
    // Stages are 20 ms apart and polled every 2 ms: each one is seen, in order.
    let order = [
        "Submitted",
        "Validating",
        "Scheduled",
        "InProgress",
        "Completed",
    ];
    let mut at = 0;
    for s in &seen {
        let i = order.iter().position(|o| o == s).unwrap();
        assert!(i >= at, "{seen:?}");
        at = i;
    }
    assert!(seen.len() >= 4, "{seen:?}");
    assert_eq!(job["totalRecordCount"], 3);
    assert_eq!(job["successRecordCount"], 3);
    assert!(job["endTime"].is_string());
    let id = arn.rsplit('/').next().unwrap();
    let out = rig
        .read(&format!("s3://batch-out/results/{id}/data.jsonl.out"))
        .await
        .unwrap();
    let out: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(out.len(), 3);
    assert_eq!(out[0]["recordId"], "R1");
    assert_eq!(out[0]["modelInput"], lines[0]["modelInput"]);
    assert_eq!(out[0]["modelOutput"]["type"], "message");
    assert!(out[0]["modelOutput"]["content"][0]["text"].is_string());
    let generated = out[2]["recordId"].as_str().unwrap();
    assert_eq!(generated.len(), 11, "{generated}");
    let manifest: Value = serde_json::from_str(
        &rig.read(&format!("s3://batch-out/results/{id}/manifest.json.out"))
            .await
            .unwrap(),
    )
    .unwrap();
    assert_eq!(manifest["totalRecordCount"], 3);
    assert_eq!(manifest["errorRecordCount"], 0);
    assert!(manifest["inputTokenCount"].as_u64().unwrap() > 0);
    assert!(manifest["outputTokenCount"].as_u64().unwrap() > 0);
}

#[tokio::test]
async fn bad_records_make_a_partially_completed_job_and_a_failure_directive_a_failed_one() {
    let rig = rig(2).await;
    rig.put(
        "s3://batch-in/mixed/a.jsonl",
        &[
            record("A1", "fine"),
            record("A2", "busy [[fault:throttle]]"),
        ],
    )
    .await;
    rig.put(
        "s3://batch-in/mixed/sub/b.jsonl",
        &[json!({"recordId": "B1"})],
    )
    .await;
    rig.put("s3://batch-in/mixed/notes.txt", &[json!("ignored")])
        .await;
    let arn = rig.create("mixed", "s3://batch-in/mixed/").await.unwrap();
    let (job, _) = rig.finish(&arn).await;
    assert_eq!(job["status"], "PartiallyCompleted", "{job:#}");
    assert_eq!(job["errorRecordCount"], 2);
    assert_eq!(job["successRecordCount"], 1);
    let id = arn.rsplit('/').next().unwrap();
    let a = rig
        .read(&format!("s3://batch-out/results/{id}/a.jsonl.out"))
        .await
        .unwrap();
    let a2: Value = serde_json::from_str(a.lines().nth(1).unwrap()).unwrap();
    assert_eq!(a2["error"]["errorCode"], 429);
    assert_eq!(
        a2["error"]["errorMessage"],
        ErrorKind::Throttling.default_message()
    );
    assert!(a2.get("modelOutput").is_none());
    let b = rig
        .read(&format!("s3://batch-out/results/{id}/sub/b.jsonl.out"))
        .await
        .unwrap();
    assert!(b.contains("\"errorCode\":400"), "{b}");

    rig.put(
        "s3://batch-in/doomed.jsonl",
        &[record("D1", "x [[fault:job-fail]]"), record("D2", "y")],
    )
    .await;
    let arn = rig
        .create("doomed", "s3://batch-in/doomed.jsonl")
        .await
        .unwrap();
    let (job, _) = rig.finish(&arn).await;
    assert_eq!(job["status"], "Failed");
    assert_eq!(job["message"], crate::jobs::JOB_FAIL_MESSAGE);
}

#[tokio::test]
async fn creation_checks_the_input_and_is_idempotent() {
    let rig = rig(3).await;
    rig.put(
        "s3://batch-in/two.jsonl",
        &[record("1", "a"), record("2", "b")],
    )
    .await;
    let e = rig
        .create("few", "s3://batch-in/two.jsonl")
        .await
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Validation);
    assert!(
        e.message.contains("fewer than the minimum of 3"),
        "{}",
        e.message
    );
    let e = rig
        .create("none", "s3://batch-in/missing.jsonl")
        .await
        .unwrap_err();
    assert!(e.message.contains("No JSONL input files"), "{}", e.message);
    let e = rig
        .create("nobucket", "s3://no-such-bucket/x.jsonl")
        .await
        .unwrap_err();
    assert!(e.message.contains("doesn't exist"), "{}", e.message);
    assert!(rig.state.batch.book().jobs.is_empty());

    rig.put(
        "s3://batch-in/three.jsonl",
        &[record("1", "a"), record("2", "b"), record("3", "c")],
    )
    .await;
    let body = |name: &str| {
        json!({
            "jobName": name, "clientRequestToken": "tok-1",
            "roleArn": "arn:aws:iam::123456789012:role/Batch", "modelId": HAIKU,
            "inputDataConfig": {"s3InputDataConfig": {"s3Uri": "s3://batch-in/three.jsonl"}},
            "outputDataConfig": {"s3OutputDataConfig": {"s3Uri": "s3://batch-out"}},
        })
    };
    let a = rig
        .call(Route::CreateModelInvocationJob, "", &body("same"))
        .await
        .unwrap();
    let b = rig
        .call(Route::CreateModelInvocationJob, "", &body("same"))
        .await
        .unwrap();
    assert_eq!(a, b);
    let e = rig
        .call(Route::CreateModelInvocationJob, "", &body("other"))
        .await
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Conflict);
}

#[tokio::test]
async fn a_stopped_job_ends_stopped_and_lists_filter_and_page() {
    let rig = rig(1).await;
    rig.put("s3://batch-in/one.jsonl", &[record("1", "a")])
        .await;
    let first = rig
        .create("nightly-a", "s3://batch-in/one.jsonl")
        .await
        .unwrap();
    rig.call(Route::StopModelInvocationJob(first.clone()), "", &json!({}))
        .await
        .unwrap();
    assert_eq!(rig.get(&first).await["status"], "Stopping");
    let (job, _) = rig.finish(&first).await;
    assert_eq!(job["status"], "Stopped");
    let e = rig
        .call(Route::StopModelInvocationJob(first.clone()), "", &json!({}))
        .await
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Validation);

    let second = rig
        .create("nightly-b", "s3://batch-in/one.jsonl")
        .await
        .unwrap();
    let third = rig
        .create("weekly", "s3://batch-in/one.jsonl")
        .await
        .unwrap();
    rig.finish(&second).await;
    rig.finish(&third).await;
    let names = |v: &Value| -> Vec<String> {
        v["invocationJobSummaries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|j| j["jobName"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        names(&rig.list("").await),
        ["weekly", "nightly-b", "nightly-a"]
    );
    assert_eq!(
        names(&rig.list("nameContains=nightly&sortOrder=Ascending").await),
        ["nightly-a", "nightly-b"]
    );
    assert_eq!(
        names(&rig.list("statusEquals=Stopped").await),
        ["nightly-a"]
    );
    let page = rig.list("maxResults=2").await;
    assert_eq!(names(&page), ["weekly", "nightly-b"]);
    let token = page["nextToken"].as_str().unwrap().to_owned();
    let q = format!("maxResults=2&nextToken={token}");
    let rest = rig
        .call(Route::ListModelInvocationJobs, &q, &json!({}))
        .await
        .unwrap();
    assert_eq!(names(&rest), ["nightly-a"]);
    assert!(rest.get("nextToken").is_none());
    let id = second.rsplit('/').next().unwrap();
    assert_eq!(rig.get(id).await["jobArn"], second.as_str());
    let e = rig
        .call(
            Route::GetModelInvocationJob("zzzzzzzzzzzz".into()),
            "",
            &json!({}),
        )
        .await
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::ResourceNotFound);
}

fn input(name: &str, lines: usize) -> Input {
    let body: String = (0..lines)
        .map(|i| format!("{}\n\n", record(&i.to_string(), "x")))
        .collect();
    Input {
        uri: format!("s3://b/{name}"),
        name: name.into(),
        bytes: body.into(),
    }
}

#[test]
fn record_counts_follow_the_quotas() {
    let limits = Limits::with_min(100);
    assert_eq!(
        records::count(&[input("a", 60), input("b", 40)], &limits),
        Ok(100)
    );
    let few = records::count(&[input("a", 99)], &limits).unwrap_err();
    assert!(
        few.contains("99 records, fewer than the minimum of 100"),
        "{few}"
    );
    let tight = Limits {
        max_file_records: 5,
        max_job_records: 8,
        ..Limits::with_min(1)
    };
    let e = records::count(&[input("a", 6)], &tight).unwrap_err();
    assert!(e.contains("records per input file"), "{e}");
    let e = records::count(&[input("a", 5), input("b", 4)], &tight).unwrap_err();
    assert!(e.contains("9 records, more than the quota of 8"), "{e}");
}
