//! Async invocations through the AWS SDK for Rust: jobs from StartAsyncInvoke to
//! Completed or Failed, their outputs read back with the S3 client from the same base
//! URL, idempotent starts, listing with filters and pages, faults, bad input, and a job
//! that outlives a restart of the endpoint.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use aws_sdk_bedrockruntime::operation::get_async_invoke::GetAsyncInvokeOutput;
use aws_sdk_bedrockruntime::types::{
    AsyncInvokeOutputDataConfig, AsyncInvokeS3OutputDataConfig, AsyncInvokeStatus, SortOrder, Tag,
};
use aws_smithy_types::{DateTime, Document};
use serde_json::{Value, json};

use super::*;

const REEL: &str = "amazon.nova-reel-v1:0";
const REEL_11: &str = "amazon.nova-reel-v1:1";
const NOVA_EMBED: &str = "amazon.nova-2-multimodal-embeddings-v1:0";
const MARENGO: &str = "twelvelabs.marengo-embed-2-7-v1:0";

async fn endpoint_secs(secs: u64) -> LocalEndpoint {
    endpoint_with(Settings {
        async_seconds: secs,
        ..Settings::default()
    })
    .await
}

pub fn s3_client(ep: &LocalEndpoint) -> aws_sdk_s3::Client {
    let config = aws_sdk_s3::config::Builder::new()
        .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
        .region(aws_sdk_s3::config::Region::new("us-east-1"))
        .credentials_provider(aws_credential_types::Credentials::new(
            "AKIDLOCALTEST",
            "a-secret-the-endpoint-never-knows",
            None,
            None,
            "tests",
        ))
        .endpoint_url(ep.url())
        .force_path_style(true)
        .build();
    aws_sdk_s3::Client::from_conf(config)
}

fn doc(v: &Value) -> Document {
    bedrock_tui::bedrock::document(v)
}

fn output_to(uri: &str) -> AsyncInvokeOutputDataConfig {
    AsyncInvokeOutputDataConfig::S3OutputDataConfig(
        AsyncInvokeS3OutputDataConfig::builder()
            .s3_uri(uri)
            .build()
            .unwrap(),
    )
}

fn video_input(text: &str) -> Value {
    json!({
        "taskType": "TEXT_VIDEO",
        "textToVideoParams": {"text": text},
        "videoGenerationConfig": {"durationSeconds": 6, "fps": 24, "dimension": "1280x720", "seed": 11}
    })
}

async fn start(
    c: &aws_sdk_bedrockruntime::Client,
    model: &str,
    input: &Value,
    uri: &str,
) -> String {
    c.start_async_invoke()
        .model_id(model)
        .model_input(doc(input))
        .output_data_config(output_to(uri))
        .send()
        .await
        .unwrap_or_else(|e| panic!("start {model}: {e:?}"))
        .invocation_arn()
        .to_owned()
}

/// Polls GetAsyncInvoke until the job leaves InProgress (bounded).
async fn wait(c: &aws_sdk_bedrockruntime::Client, arn: &str) -> GetAsyncInvokeOutput {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let got = c
            .get_async_invoke()
            .invocation_arn(arn)
            .send()
            .await
            .unwrap();
        if *got.status() != AsyncInvokeStatus::InProgress {
            return got;
        }
        assert!(
            Instant::now() < deadline,
            "{arn} still in progress after 30 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn id_of(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap()
}

fn s3_uri_of(got: &GetAsyncInvokeOutput) -> String {
    got.output_data_config()
        .unwrap()
        .as_s3_output_data_config()
        .unwrap()
        .s3_uri()
        .to_owned()
}

async fn keys(s3: &aws_sdk_s3::Client, bucket: &str, prefix: &str) -> Vec<String> {
    let out = s3
        .list_objects_v2()
        .bucket(bucket)
        .prefix(prefix)
        .send()
        .await
        .unwrap();
    out.contents()
        .iter()
        .map(|o| o.key().unwrap().to_owned())
        .collect()
}

async fn object(s3: &aws_sdk_s3::Client, bucket: &str, key: &str) -> (Option<String>, Vec<u8>) {
    let out = s3
        .get_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .unwrap_or_else(|e| panic!("get {key}: {e:?}"));
    let ct = out.content_type().map(str::to_owned);
    (ct, out.body.collect().await.unwrap().into_bytes().to_vec())
}

async fn json_object(s3: &aws_sdk_s3::Client, bucket: &str, key: &str) -> Value {
    serde_json::from_slice(&object(s3, bucket, key).await.1).unwrap()
}

fn is_invocation_arn(arn: &str) -> bool {
    let Some(id) = arn.strip_prefix("arn:aws:bedrock:us-east-1:123456789012:async-invoke/") else {
        return false;
    };
    id.len() == 12
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}

#[tokio::test]
async fn nova_reel_job_completes_and_its_video_is_in_s3() {
    let ep = endpoint_secs(2).await;
    let c = client(&ep);
    let s3 = s3_client(&ep);
    let arn = start(
        &c,
        REEL,
        &video_input("A red fox in the snow"),
        "s3://videos/runs/",
    )
    .await;
    assert!(is_invocation_arn(&arn), "{arn}");

    let first = c
        .get_async_invoke()
        .invocation_arn(&arn)
        .send()
        .await
        .unwrap();
    assert_eq!(*first.status(), AsyncInvokeStatus::InProgress);
    assert!(first.end_time().is_none());
    assert_eq!(
        first.model_arn(),
        "arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-reel-v1:0"
    );
    assert!(first.client_request_token().is_some_and(|t| !t.is_empty()));

    let done = wait(&c, &arn).await;
    assert_eq!(*done.status(), AsyncInvokeStatus::Completed);
    assert!(done.failure_message().is_none());
    let end = done.end_time().expect("endTime once ended");
    assert!(end.secs() >= done.submit_time().secs());
    assert!(
        end.secs() - done.submit_time().secs() >= 1,
        "ran for --async-seconds"
    );
    let id = id_of(&arn);
    assert_eq!(s3_uri_of(&done), format!("s3://videos/runs/{id}"));

    let prefix = format!("runs/{id}/");
    assert_eq!(
        keys(&s3, "videos", &prefix).await,
        vec![
            format!("{prefix}manifest.json"),
            format!("{prefix}output.mp4")
        ]
    );
    let (ct, mp4) = object(&s3, "videos", &format!("{prefix}output.mp4")).await;
    assert_eq!(ct.as_deref(), Some("video/mp4"));
    assert_eq!(&mp4[4..8], b"ftyp");
    assert!(mp4.windows(4).any(|w| w == b"moov") && mp4.windows(4).any(|w| w == b"mvhd"));
    let manifest = json_object(&s3, "videos", &format!("{prefix}manifest.json")).await;
    assert_eq!(manifest["invocationArn"], arn.as_str());
    assert_eq!(manifest["durationSeconds"], 6);

    // The bucket was created by the job; S3 lists it.
    let buckets = s3.list_buckets().send().await.unwrap();
    assert!(buckets.buckets().iter().any(|b| b.name() == Some("videos")));
}

#[tokio::test]
async fn nova_reel_multi_shot_writes_each_shot_and_a_status_file() {
    let ep = endpoint_secs(1).await;
    let c = client(&ep);
    let s3 = s3_client(&ep);
    let input = json!({
        "taskType": "MULTI_SHOT_MANUAL",
        "multiShotManualParams": {"shots": [
            {"text": "Aerial view of a city at dawn"},
            {"text": "Street level, cars passing"},
            {"text": "Close-up of a robot hand"}
        ]},
        "videoGenerationConfig": {"fps": 24, "dimension": "1280x720", "seed": 3}
    });
    let arn = start(&c, REEL_11, &input, "s3://reels").await;
    let done = wait(&c, &arn).await;
    assert_eq!(*done.status(), AsyncInvokeStatus::Completed);
    let id = id_of(&arn);
    let mut expected: Vec<String> = [
        "manifest.json",
        "output.mp4",
        "shot_0001.mp4",
        "shot_0002.mp4",
        "shot_0003.mp4",
        "video-generation-status.json",
    ]
    .iter()
    .map(|f| format!("{id}/{f}"))
    .collect();
    expected.sort();
    assert_eq!(keys(&s3, "reels", &format!("{id}/")).await, expected);
    let status = json_object(&s3, "reels", &format!("{id}/video-generation-status.json")).await;
    assert_eq!(status["fullVideo"]["status"], "SUCCESS");
    assert_eq!(
        status["fullVideo"]["location"],
        format!("s3://reels/{id}/output.mp4")
    );
    assert_eq!(status["shots"].as_array().unwrap().len(), 3);
    assert_eq!(
        status["shots"][2]["location"],
        format!("s3://reels/{id}/shot_0003.mp4")
    );
    let manifest = json_object(&s3, "reels", &format!("{id}/manifest.json")).await;
    assert_eq!(manifest["durationSeconds"], 18);
}

#[tokio::test]
async fn job_fail_directive_and_a_missing_input_end_failed() {
    let ep = endpoint_secs(1).await;
    let c = client(&ep);
    let s3 = s3_client(&ep);
    let arn = start(
        &c,
        REEL_11,
        &video_input("A sunset [[fault:job-fail]]"),
        "s3://failures/reel",
    )
    .await;
    let done = wait(&c, &arn).await;
    assert_eq!(*done.status(), AsyncInvokeStatus::Failed);
    assert!(
        done.failure_message()
            .unwrap()
            .contains("[[fault:job-fail]]"),
        "{:?}",
        done.failure_message()
    );
    assert!(done.end_time().is_some());
    let id = id_of(&arn);
    // No video; Nova Reel 1.1 reports the failure in its status file.
    assert_eq!(
        keys(&s3, "failures", &format!("reel/{id}/")).await,
        vec![format!("reel/{id}/video-generation-status.json")]
    );
    let status = json_object(
        &s3,
        "failures",
        &format!("reel/{id}/video-generation-status.json"),
    )
    .await;
    assert_eq!(status["fullVideo"]["status"], "FAILURE");

    let input = json!({
        "taskType": "SEGMENTED_EMBEDDING",
        "segmentedEmbeddingParams": {
            "embeddingPurpose": "GENERIC_INDEX",
            "audio": {"format": "mp3", "source": {"s3Location": {"uri": "s3://nowhere/missing.mp3"}},
                      "segmentationConfig": {"durationSeconds": 5}}
        }
    });
    let arn = start(&c, NOVA_EMBED, &input, "s3://failures/embed").await;
    let done = wait(&c, &arn).await;
    assert_eq!(*done.status(), AsyncInvokeStatus::Failed);
    assert!(
        done.failure_message()
            .unwrap()
            .contains("s3://nowhere/missing.mp3")
    );
}

#[tokio::test]
async fn nova_embeddings_of_an_uploaded_video_land_as_segmented_jsonl() {
    let ep = endpoint_secs(1).await;
    let c = client(&ep);
    let s3 = s3_client(&ep);
    // A six-second video made by Nova Reel, uploaded with PutObject.
    let arn = start(&c, REEL, &video_input("Waves on a beach"), "s3://media/gen").await;
    wait(&c, &arn).await;
    let (_, mp4) = object(&s3, "media", &format!("gen/{}/output.mp4", id_of(&arn))).await;
    s3.create_bucket().bucket("inputs").send().await.unwrap();
    s3.put_object()
        .bucket("inputs")
        .key("clips/beach.mp4")
        .content_type("video/mp4")
        .body(mp4.clone().into())
        .send()
        .await
        .unwrap();
    assert_eq!(object(&s3, "inputs", "clips/beach.mp4").await.1, mp4);

    let input = json!({
        "schemaVersion": "nova-multimodal-embed-v1",
        "taskType": "SEGMENTED_EMBEDDING",
        "segmentedEmbeddingParams": {
            "embeddingPurpose": "GENERIC_INDEX",
            "embeddingDimension": 256,
            "video": {
                "format": "mp4",
                "embeddingMode": "AUDIO_VIDEO_SEPARATE",
                "source": {"s3Location": {"uri": "s3://inputs/clips/beach.mp4"}},
                "segmentationConfig": {"durationSeconds": 2}
            }
        }
    });
    let arn = start(&c, NOVA_EMBED, &input, "s3://embeddings/out/").await;
    let done = wait(&c, &arn).await;
    assert_eq!(*done.status(), AsyncInvokeStatus::Completed, "{done:?}");
    let id = id_of(&arn);
    let base = format!("out/{id}");
    assert_eq!(
        keys(&s3, "embeddings", &format!("{base}/")).await,
        vec![
            format!("{base}/embedding-audio.jsonl"),
            format!("{base}/embedding-video.jsonl"),
            format!("{base}/manifest.json"),
            format!("{base}/segmented-embedding-result.json"),
        ]
    );
    let result = json_object(
        &s3,
        "embeddings",
        &format!("{base}/segmented-embedding-result.json"),
    )
    .await;
    assert_eq!(result["sourceFileUri"], "s3://inputs/clips/beach.mp4");
    assert_eq!(result["embeddingDimension"], 256);
    let results = result["embeddingResults"].as_array().unwrap();
    assert_eq!(results.len(), 2);
    assert_eq!(results[0]["embeddingType"], "VIDEO");
    assert_eq!(results[0]["status"], "SUCCESS");
    assert_eq!(
        results[0]["outputFileUri"],
        format!("s3://embeddings/{base}/embedding-video.jsonl")
    );
    let (_, jsonl) = object(&s3, "embeddings", &format!("{base}/embedding-video.jsonl")).await;
    let lines: Vec<Value> = String::from_utf8(jsonl)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    // Six seconds in two-second segments.
    assert_eq!(lines.len(), 3);
    for (i, l) in lines.iter().enumerate() {
        assert_eq!(l["embedding"].as_array().unwrap().len(), 256);
        assert_eq!(l["segmentMetadata"]["segmentIndex"], i);
        assert_eq!(l["segmentMetadata"]["segmentStartSeconds"], (2 * i) as f64);
        assert_eq!(l["status"], "SUCCESS");
    }
}

#[tokio::test]
async fn marengo_text_embedding_is_written_to_output_json() {
    let ep = endpoint_secs(1).await;
    let c = client(&ep);
    let s3 = s3_client(&ep);
    let input = json!({"inputType": "text", "inputText": "man walking a dog"});
    let arn = start(&c, MARENGO, &input, "s3://marengo").await;
    let done = wait(&c, &arn).await;
    assert_eq!(*done.status(), AsyncInvokeStatus::Completed);
    let id = id_of(&arn);
    assert_eq!(
        keys(&s3, "marengo", &format!("{id}/")).await,
        vec![format!("{id}/output.json")]
    );
    let out = json_object(&s3, "marengo", &format!("{id}/output.json")).await;
    let data = out["data"].as_array().unwrap();
    assert_eq!(data.len(), 1);
    assert_eq!(data[0]["embedding"].as_array().unwrap().len(), 1024);
    // Same input, same numbers.
    let again = start(&c, MARENGO, &input, "s3://marengo").await;
    wait(&c, &again).await;
    let out2 = json_object(&s3, "marengo", &format!("{}/output.json", id_of(&again))).await;
    assert_eq!(out, out2);
}

#[tokio::test]
async fn starts_are_idempotent_on_the_client_request_token() {
    let ep = endpoint_secs(1).await;
    let c = client(&ep);
    let send = |text: &str| {
        c.start_async_invoke()
            .client_request_token("same-token-1")
            .model_id(REEL)
            .model_input(doc(&video_input(text)))
            .output_data_config(output_to("s3://idem"))
            .tags(Tag::builder().key("team").value("video").build().unwrap())
            .send()
    };
    let a = send("A lighthouse").await.unwrap();
    let b = send("A lighthouse").await.unwrap();
    assert_eq!(a.invocation_arn(), b.invocation_arn());
    let listed = c.list_async_invokes().send().await.unwrap();
    assert_eq!(listed.async_invoke_summaries().len(), 1);
    assert_eq!(
        listed.async_invoke_summaries()[0].client_request_token(),
        Some("same-token-1")
    );
    // The same token for a different request is a conflict.
    let err = send("A different lighthouse").await.unwrap_err();
    assert_eq!(code_of(&err).0, "ConflictException");
    assert!(err.into_service_error().is_conflict_exception());
    // Without a token the SDK makes a new one each time: two jobs.
    let c1 = start(&c, REEL, &video_input("A lighthouse"), "s3://idem").await;
    let c2 = start(&c, REEL, &video_input("A lighthouse"), "s3://idem").await;
    assert_ne!(c1, c2);
    assert_eq!(
        c.list_async_invokes()
            .send()
            .await
            .unwrap()
            .async_invoke_summaries()
            .len(),
        3
    );
}

#[tokio::test]
async fn bad_starts_get_the_services_validation_errors_and_create_nothing() {
    let ep = endpoint_secs(1).await;
    let c = client(&ep);
    let attempt = |model: &'static str, input: Value, uri: &'static str| {
        c.start_async_invoke()
            .model_id(model)
            .model_input(doc(&input))
            .output_data_config(output_to(uri))
            .send()
    };
    let err = attempt(HAIKU3, json!({"x": 1}), "s3://b-1")
        .await
        .unwrap_err();
    let (code, msg) = code_of(&err);
    assert_eq!(code, "ValidationException");
    assert!(msg.contains("doesn't support async inference"), "{msg}");

    let mut long = video_input("x");
    long["videoGenerationConfig"]["durationSeconds"] = json!(7);
    for (model, input, uri, expect) in [
        (REEL, video_input("ok"), "https://bucket/x", "s3Uri"),
        (REEL, video_input("ok"), "s3://Upper", "s3Uri"),
        (
            REEL,
            long,
            "s3://b-1",
            "#/videoGenerationConfig/durationSeconds",
        ),
        (
            REEL,
            json!({"taskType": "TEXT_VIDEO"}),
            "s3://b-1",
            "required key [textToVideoParams] not found",
        ),
        (
            MARENGO,
            json!({"inputType": "text"}),
            "s3://b-1",
            "required key [inputText] not found",
        ),
        (
            REEL,
            video_input("[[fault:melt]]"),
            "s3://b-1",
            "Unknown fault directive",
        ),
    ] {
        let err = attempt(model, input, uri).await.unwrap_err();
        let (code, msg) = code_of(&err);
        assert_eq!(code, "ValidationException", "{msg}");
        assert!(msg.contains(expect), "{expect}: {msg}");
    }
    let err = c
        .get_async_invoke()
        .invocation_arn("arn:aws:bedrock:us-east-1:123456789012:async-invoke/zzzzzzzzzzzz")
        .send()
        .await
        .unwrap_err();
    assert!(code_of(&err).1.contains("invalid or does not exist"));
    let err = c
        .get_async_invoke()
        .invocation_arn("not-an-arn")
        .send()
        .await
        .unwrap_err();
    assert!(code_of(&err).1.contains("regular expression pattern"));
    let err = c
        .list_async_invokes()
        .max_results(0)
        .send()
        .await
        .unwrap_err();
    assert!(code_of(&err).1.contains("maxResults"));
    assert!(
        c.list_async_invokes()
            .send()
            .await
            .unwrap()
            .async_invoke_summaries()
            .is_empty()
    );
}

#[tokio::test]
async fn throttled_and_other_faulted_starts_create_no_job() {
    let ep = endpoint_secs(1).await;
    let c = client(&ep);
    for (kind, code, status) in [
        ("throttle", "ThrottlingException", 429),
        ("quota", "ServiceQuotaExceededException", 400),
        ("unavailable", "ServiceUnavailableException", 503),
        ("access-denied", "AccessDeniedException", 403),
    ] {
        let err = c
            .start_async_invoke()
            .model_id(REEL)
            .model_input(doc(&video_input(&format!("A fox [[fault:{kind}]]"))))
            .output_data_config(output_to("s3://faults"))
            .send()
            .await
            .unwrap_err();
        assert_eq!(code_of(&err).0, code);
        assert_eq!(err.raw_response().unwrap().status().as_u16(), status);
        if kind == "throttle" {
            assert!(err.into_service_error().is_throttling_exception());
        }
    }
    let started = Instant::now();
    let arn = start(
        &c,
        REEL,
        &video_input("A fox [[fault:stall-300]]"),
        "s3://faults",
    )
    .await;
    assert!(started.elapsed() >= Duration::from_millis(300));
    let listed = c.list_async_invokes().send().await.unwrap();
    assert_eq!(listed.async_invoke_summaries().len(), 1);
    assert_eq!(listed.async_invoke_summaries()[0].invocation_arn(), arn);
}

#[tokio::test]
async fn listing_filters_sorts_and_pages() {
    let ep = endpoint_secs(1).await;
    let c = client(&ep);
    let mut arns = Vec::new();
    for i in 0..5 {
        let fail = if i % 2 == 1 {
            " [[fault:job-fail]]"
        } else {
            ""
        };
        arns.push(
            start(
                &c,
                REEL,
                &video_input(&format!("Scene {i}{fail}")),
                "s3://listing",
            )
            .await,
        );
        // Distinct submission milliseconds, so the time-window filter below is exact.
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let mut finished = HashMap::new();
    for arn in &arns {
        finished.insert(arn.clone(), wait(&c, arn).await);
    }

    // Newest first by default; one page when it fits.
    let all = c.list_async_invokes().send().await.unwrap();
    let listed: Vec<&str> = all
        .async_invoke_summaries()
        .iter()
        .map(|s| s.invocation_arn())
        .collect();
    let newest_first: Vec<&str> = arns.iter().rev().map(String::as_str).collect();
    assert_eq!(listed, newest_first);
    assert!(all.next_token().is_none());
    let summary = &all.async_invoke_summaries()[0];
    assert_eq!(summary.status(), Some(&AsyncInvokeStatus::Completed));
    assert!(summary.end_time().is_some());
    assert_eq!(
        summary
            .output_data_config()
            .unwrap()
            .as_s3_output_data_config()
            .unwrap()
            .s3_uri(),
        format!("s3://listing/{}", id_of(&arns[4]))
    );

    let ascending = c
        .list_async_invokes()
        .sort_by(aws_sdk_bedrockruntime::types::SortAsyncInvocationBy::SubmissionTime)
        .sort_order(SortOrder::Ascending)
        .send()
        .await
        .unwrap();
    let asc: Vec<&str> = ascending
        .async_invoke_summaries()
        .iter()
        .map(|s| s.invocation_arn())
        .collect();
    assert_eq!(asc, arns.iter().map(String::as_str).collect::<Vec<_>>());

    // Pages of two, by hand and with the paginator.
    let first = c.list_async_invokes().max_results(2).send().await.unwrap();
    assert_eq!(first.async_invoke_summaries().len(), 2);
    let token = first.next_token().expect("more pages").to_owned();
    let second = c
        .list_async_invokes()
        .max_results(2)
        .next_token(token)
        .send()
        .await
        .unwrap();
    assert_eq!(second.async_invoke_summaries()[0].invocation_arn(), arns[2]);
    let pages: Vec<_> = c
        .list_async_invokes()
        .max_results(2)
        .into_paginator()
        .send()
        .collect::<Vec<_>>()
        .await;
    assert_eq!(pages.len(), 3);
    let paged: Vec<String> = pages
        .into_iter()
        .flat_map(|p| p.unwrap().async_invoke_summaries().to_vec())
        .map(|s| s.invocation_arn().to_owned())
        .collect();
    assert_eq!(paged, newest_first);
    let err = c
        .list_async_invokes()
        .next_token("garbage!")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code_of(&err).0, "ValidationException");

    // Status filter.
    let failed = c
        .list_async_invokes()
        .status_equals(AsyncInvokeStatus::Failed)
        .send()
        .await
        .unwrap();
    let failed: Vec<&str> = failed
        .async_invoke_summaries()
        .iter()
        .map(|s| s.invocation_arn())
        .collect();
    assert_eq!(failed, vec![arns[3].as_str(), arns[1].as_str()]);

    // Submission-time window: strictly after the first and before the last.
    let t = |i: usize| *finished[&arns[i]].submit_time();
    let window = c
        .list_async_invokes()
        .submit_time_after(t(0))
        .submit_time_before(t(4))
        .sort_order(SortOrder::Ascending)
        .send()
        .await
        .unwrap();
    let window: Vec<&str> = window
        .async_invoke_summaries()
        .iter()
        .map(|s| s.invocation_arn())
        .collect();
    assert_eq!(
        window,
        vec![arns[1].as_str(), arns[2].as_str(), arns[3].as_str()]
    );
    let future = c
        .list_async_invokes()
        .submit_time_after(DateTime::from_secs(t(4).secs() + 3600))
        .send()
        .await
        .unwrap();
    assert!(future.async_invoke_summaries().is_empty());

    // Jobs belong to the region they were started in.
    let west = client_for(&ep, "us-west-2");
    assert!(
        west.list_async_invokes()
            .send()
            .await
            .unwrap()
            .async_invoke_summaries()
            .is_empty()
    );
}

#[tokio::test]
async fn a_job_survives_a_restart_of_the_endpoint() {
    let dir = tempfile::tempdir().unwrap();
    let settings = |secs| Settings {
        async_seconds: secs,
        data_dir: Some(dir.path().to_path_buf()),
        ..Settings::default()
    };
    let ep = endpoint_with(settings(1)).await;
    let c = client(&ep);
    let done_before = start(&c, REEL, &video_input("Before the restart"), "s3://persist").await;
    wait(&c, &done_before).await;
    ep.shutdown().await;

    // A job still running when the endpoint stops.
    let ep = endpoint_with(settings(3)).await;
    let c = client(&ep);
    let running = c
        .start_async_invoke()
        .client_request_token("restart-token")
        .model_id(REEL_11)
        .model_input(doc(&video_input("Across the restart")))
        .output_data_config(output_to("s3://persist/later"))
        .send()
        .await
        .unwrap()
        .invocation_arn()
        .to_owned();
    let before = c
        .get_async_invoke()
        .invocation_arn(&running)
        .send()
        .await
        .unwrap();
    assert_eq!(*before.status(), AsyncInvokeStatus::InProgress);
    ep.shutdown().await;

    let ep = endpoint_with(settings(1)).await;
    let c = client(&ep);
    let s3 = s3_client(&ep);
    let old = c
        .get_async_invoke()
        .invocation_arn(&done_before)
        .send()
        .await
        .unwrap();
    assert_eq!(*old.status(), AsyncInvokeStatus::Completed);
    let after = wait(&c, &running).await;
    assert_eq!(*after.status(), AsyncInvokeStatus::Completed);
    assert_eq!(after.submit_time(), before.submit_time());
    let id = id_of(&running);
    let files = keys(&s3, "persist", &format!("later/{id}/")).await;
    assert!(
        files.contains(&format!("later/{id}/output.mp4")),
        "{files:?}"
    );
    let old_files = keys(&s3, "persist", &format!("{}/", id_of(&done_before))).await;
    assert_eq!(old_files.len(), 2, "{old_files:?}");
    // The idempotency token is remembered too.
    let again = c
        .start_async_invoke()
        .client_request_token("restart-token")
        .model_id(REEL_11)
        .model_input(doc(&video_input("Across the restart")))
        .output_data_config(output_to("s3://persist/later"))
        .send()
        .await
        .unwrap();
    assert_eq!(again.invocation_arn(), running);
    assert_eq!(
        c.list_async_invokes()
            .send()
            .await
            .unwrap()
            .async_invoke_summaries()
            .len(),
        2
    );
    ep.shutdown().await;
    assert!(dir.path().join("async-invokes").read_dir().unwrap().count() >= 2);
}

#[tokio::test]
async fn s3_api_serves_buckets_and_objects_to_any_credentials() {
    let ep = endpoint_secs(1).await;
    let s3 = s3_client(&ep);
    s3.create_bucket().bucket("notes").send().await.unwrap();
    for (key, body) in [
        ("a/one.txt", "first"),
        ("a/two.txt", "second"),
        ("b.txt", "third"),
    ] {
        s3.put_object()
            .bucket("notes")
            .key(key)
            .body(body.as_bytes().to_vec().into())
            .send()
            .await
            .unwrap();
    }
    assert_eq!(
        keys(&s3, "notes", "a/").await,
        vec!["a/one.txt".to_owned(), "a/two.txt".to_owned()]
    );
    let page = s3
        .list_objects_v2()
        .bucket("notes")
        .max_keys(2)
        .send()
        .await
        .unwrap();
    assert_eq!(page.contents().len(), 2);
    assert_eq!(page.is_truncated(), Some(true));
    assert_eq!(object(&s3, "notes", "b.txt").await.1, b"third");
    // A streamed upload from a file.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.bin");
    let big: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    std::fs::write(&path, &big).unwrap();
    s3.put_object()
        .bucket("notes")
        .key("big.bin")
        .body(
            aws_sdk_s3::primitives::ByteStream::from_path(&path)
                .await
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let got = s3
        .get_object()
        .bucket("notes")
        .key("big.bin")
        .send()
        .await
        .unwrap();
    assert!(
        got.content_encoding().is_none(),
        "{:?}",
        got.content_encoding()
    );
    assert_eq!(got.body.collect().await.unwrap().into_bytes().to_vec(), big);
    let err = s3
        .get_object()
        .bucket("notes")
        .key("missing.txt")
        .send()
        .await
        .unwrap_err();
    assert!(err.into_service_error().is_no_such_key());
    // S3 requests are in the request log; Bedrock's part of it is untouched.
    let log: Value = request_log(&ep).await;
    assert!(
        log["requests"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["operation"] == "S3")
    );
}

pub async fn request_log(ep: &LocalEndpoint) -> Value {
    use http_body_util::{BodyExt, Empty};
    use hyper_util::rt::TokioIo;
    let stream = tokio::net::TcpStream::connect(ep.addr()).await.unwrap();
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .unwrap();
    tokio::spawn(conn);
    let req = http::Request::builder()
        .uri("/_local/requests")
        .header("host", ep.addr().to_string())
        .body(Empty::<bytes::Bytes>::new())
        .unwrap();
    let resp = sender.send_request(req).await.unwrap();
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    serde_json::from_slice(&body).unwrap()
}
