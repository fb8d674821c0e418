//! `--attach` on `ask` and `count` against the local endpoint: images and PDFs sent as
//! Converse blocks, counted, refused before any request for a model that cannot take
//! them, S3 locations sent as such, and a document answer with citations.

use super::ask::run_command;
use super::*;

#[path = "../support/media.rs"]
pub mod media;

const HAIKU45: &str = "anthropic.claude-haiku-4-5-20251001-v1:0";
const MICRO: &str = "amazon.nova-micro-v1:0";
const LITE: &str = "amazon.nova-lite-v1:0";

/// The Converse(Stream) requests the endpoint logged, in order.
async fn turns(ep: &LocalEndpoint) -> Vec<serde_json::Value> {
    let log = super::jobs::request_log(ep).await;
    log["requests"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| matches!(r["operation"].as_str(), Some("Converse" | "ConverseStream")))
        .cloned()
        .collect()
}

fn files() -> (tempfile::TempDir, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let png = dir.path().join("chart.png");
    std::fs::write(&png, media::png(900, 600)).unwrap();
    let pdf = dir.path().join("Q3 report.pdf");
    std::fs::write(
        &pdf,
        media::pdf("Revenue grew 12 percent in the third quarter."),
    )
    .unwrap();
    let (png, pdf) = (png.display().to_string(), pdf.display().to_string());
    (dir, png, pdf)
}

/// `count ARGS`: the exact input tokens it printed.
async fn count(ep: &LocalEndpoint, args: &[&str]) -> u64 {
    let out = run_command(ep, "count", args, None).await;
    succeeded(&out);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["exact"], true, "{v}");
    v["inputTokens"].as_u64().unwrap()
}

#[tokio::test]
async fn an_image_and_a_pdf_go_as_converse_blocks_and_are_counted() {
    let ep = endpoint().await;
    let (_dir, png, pdf) = files();
    let out = run_command(
        &ep,
        "ask",
        &[
            "--model",
            HAIKU45,
            "--attach",
            &png,
            "--attach",
            &pdf,
            "What do these show?",
        ],
        None,
    )
    .await;
    succeeded(&out);
    assert!(!out.stdout.is_empty());
    let t = turns(&ep).await;
    assert_eq!(t.len(), 1);
    assert_eq!(
        t[0]["blocks"],
        serde_json::json!([["image", "document", "text"]])
    );
    let m = &t[0]["media"][0];
    assert_eq!(m[0]["kind"], "image");
    assert_eq!(m[0]["format"], "png");
    assert_eq!(m[0]["source"], "bytes");
    assert_eq!(
        (m[0]["width"].as_u64(), m[0]["height"].as_u64()),
        (Some(900), Some(600))
    );
    assert_eq!(m[1]["kind"], "document");
    assert_eq!(m[1]["format"], "pdf");
    assert_eq!(m[1]["name"], "Q3 report");
    assert_eq!(m[1]["citations"], true, "Claude Haiku 4.5 cites documents");

    // CountTokens counts the attachments: more than the question alone.
    let bare = count(&ep, &["--json", "--model", HAIKU45, "What do these show?"]).await;
    let with = count(
        &ep,
        &[
            "--json",
            "--model",
            HAIKU45,
            "--attach",
            &png,
            "--attach",
            &pdf,
            "What do these show?",
        ],
    )
    .await;
    // 900×600 is 720 tokens by Anthropic's rule, and the PDF has text besides.
    assert!(with >= bare + 720, "{bare} → {with}");
    let log = super::jobs::request_log(&ep).await;
    assert!(
        log["requests"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["operation"] == "CountTokens"),
        "{log}"
    );
}

#[tokio::test]
async fn a_model_that_cannot_take_an_image_is_refused_before_any_request() {
    let ep = endpoint().await;
    let (_dir, png, _) = files();
    for sub in ["ask", "count"] {
        let out = run_command(
            &ep,
            sub,
            &["--model", MICRO, "--attach", &png, "Describe it"],
            None,
        )
        .await;
        assert_eq!(out.status.code(), Some(1), "{sub}");
        assert!(out.stdout.is_empty(), "{sub}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("Nova Micro cannot take images. Models that can: "),
            "{sub}: {err}"
        );
    }
    let log = super::jobs::request_log(&ep).await;
    assert_eq!(log["requests"].as_array().unwrap().len(), 0, "{log}");
}

#[tokio::test]
async fn bad_files_are_refused_with_a_clear_message_and_nothing_is_sent() {
    let ep = endpoint().await;
    let dir = tempfile::tempdir().unwrap();
    let fake = dir.path().join("scan.pdf");
    std::fs::write(&fake, media::png(10, 10)).unwrap();
    let huge = dir.path().join("huge.mov");
    std::fs::File::create(&huge)
        .unwrap()
        .set_len(2 << 30)
        .unwrap();
    let cases = [
        (
            fake.display().to_string(),
            "is a PNG image, not a PDF document as its name says",
        ),
        (
            huge.display().to_string(),
            "is 2.0 GB: Bedrock takes videos of at most 18.8 MB inline",
        ),
        (dir.path().display().to_string(), "is a directory"),
        (
            dir.path().join("none.png").display().to_string(),
            "No such file",
        ),
        (
            "s3://Not_A_Bucket/x.png".to_owned(),
            "is not an S3 location Bedrock takes",
        ),
    ];
    for (path, says) in cases {
        let out = run_command(
            &ep,
            "ask",
            &["--model", HAIKU45, "--attach", &path, "hi"],
            None,
        )
        .await;
        assert_eq!(out.status.code(), Some(1), "{path}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(says), "{path}: {err}");
    }
    assert!(turns(&ep).await.is_empty());
}

#[tokio::test]
async fn an_s3_location_is_sent_as_one_to_a_model_that_reads_s3() {
    let ep = endpoint().await;
    let s3 = super::jobs::s3_client(&ep);
    s3.create_bucket().bucket("media-in").send().await.unwrap();
    s3.put_object()
        .bucket("media-in")
        .key("clips/demo.mp4")
        .body(b"\0\0\0\x18ftypisom\0\0\0\0isommp41".to_vec().into())
        .send()
        .await
        .unwrap();
    let uri = "s3://media-in/clips/demo.mp4";
    let out = run_command(
        &ep,
        "ask",
        &["--model", LITE, "--attach", uri, "What happens?"],
        None,
    )
    .await;
    succeeded(&out);
    let t = turns(&ep).await;
    let m = &t[0]["media"][0][0];
    assert_eq!(
        (m["kind"].as_str(), m["source"].as_str()),
        (Some("video"), Some("s3"))
    );
    assert_eq!(m["uri"], uri);
    // Claude reads no S3 location: refused here, before a request.
    let out = run_command(
        &ep,
        "ask",
        &["--model", HAIKU45, "--attach", uri, "What happens?"],
        None,
    )
    .await;
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot take video"));
    assert_eq!(turns(&ep).await.len(), 1);
}

#[tokio::test]
async fn a_document_question_is_answered_with_citations() {
    let ep = endpoint().await;
    let (_dir, _, pdf) = files();
    let out = run_command(
        &ep,
        "ask",
        &["--model", HAIKU45, "--attach", &pdf, "How did revenue do?"],
        None,
    )
    .await;
    succeeded(&out);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("\nSources\n[1] Q3 report, p. 1: \u{201c}"),
        "{text}"
    );
    assert!(text.contains("Revenue grew 12 percent"), "{text}");
    let out = run_command(
        &ep,
        "ask",
        &[
            "--json",
            "--model",
            HAIKU45,
            "--attach",
            &pdf,
            "How did revenue do?",
        ],
        None,
    )
    .await;
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["citations"][0]["title"], "Q3 report");
    assert_eq!(v["citations"][0]["location"], "p. 1");
}

#[tokio::test]
async fn an_s3_location_in_another_region_is_refused_before_any_request() {
    let ep = endpoint().await;
    let s3 = super::jobs::s3_client(&ep);
    s3.create_bucket()
        .bucket("clips-dublin")
        .create_bucket_configuration(
            aws_sdk_s3::types::CreateBucketConfiguration::builder()
                .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::EuWest1)
                .build(),
        )
        .send()
        .await
        .unwrap();
    s3.put_object()
        .bucket("clips-dublin")
        .key("demo.mp4")
        .body(b"\0\0\0\x18ftypisom\0\0\0\0isommp41".to_vec().into())
        .send()
        .await
        .unwrap();
    let out = run_command(
        &ep,
        "ask",
        &[
            "--model",
            LITE,
            "--attach",
            "s3://clips-dublin/demo.mp4",
            "What happens?",
        ],
        None,
    )
    .await;
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("s3://clips-dublin/demo.mp4 is in eu-west-1: Amazon Bedrock in us-east-1 reads S3 objects only in its own Region."),
        "{err}"
    );
    assert!(turns(&ep).await.is_empty());
}
