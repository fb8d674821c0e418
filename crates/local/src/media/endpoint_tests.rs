//! Attachments through a running endpoint: S3 objects read from its store (and refused
//! when missing or in a bucket of another Region), CountTokens over them, and the
//! request log's `media`.

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::tests::{HAIKU45, NOVA_LITE, body, image_block, png, s3_block};
use crate::LocalEndpoint;
use crate::jobs::mp4;
use crate::s3::regions_tests::{configuration, exchange, signed};
use crate::tokens;

/// One HTTP/1.1 POST on a fresh connection: the status and the JSON body.
async fn post(ep: &LocalEndpoint, path: &str, body: &Value) -> (u16, Value) {
    let head = format!("POST {path} HTTP/1.1");
    let (status, text) = crate::service::tests::exchange(ep, &head, &body.to_string()).await;
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

async fn get(ep: &LocalEndpoint, path: &str) -> Value {
    let mut conn = tokio::net::TcpStream::connect(ep.addr())
        .await
        .expect("connects");
    let req = format!("GET {path} HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\n\r\n");
    conn.write_all(req.as_bytes()).await.expect("sent");
    let mut out = Vec::new();
    conn.read_to_end(&mut out).await.expect("read");
    let out = String::from_utf8_lossy(&out).into_owned();
    let body = out.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or("");
    serde_json::from_str(body).unwrap_or(Value::Null)
}

fn converse_path(model: &str) -> String {
    format!("/model/{}/converse", model.replace(':', "%3A"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_media_is_read_from_the_store_and_refused_when_missing() {
    let (dir, ep) = crate::service::tests::with_data_dir().await;
    // The store keeps an object at <data-dir>/s3/<bucket>/<key>.
    let media = dir.path().join("s3").join("media");
    std::fs::create_dir_all(&media).expect("bucket folder");
    let clip = mp4::build(&mp4::Video {
        seconds: 12,
        fps: 24,
        width: 640,
        height: 360,
        seed: 3,
    });
    std::fs::write(media.join("clip.mp4"), &clip).expect("object");
    std::fs::write(media.join("notes.txt"), "Stored notes say hello.").expect("object");

    let question = "what happens?";
    let video = body(
        vec![s3_block("video", "mp4", "s3://media/clip.mp4")],
        question,
    );
    let (status, answer) = post(&ep, &converse_path(NOVA_LITE), &video).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(
        answer["usage"]["inputTokens"],
        4 + 12 * 288 + tokens::count(question)
    );

    let doc = body(
        vec![s3_block("document", "txt", "s3://media/notes.txt")],
        question,
    );
    let (status, answer) = post(&ep, &converse_path(NOVA_LITE), &doc).await;
    assert_eq!(status, 200, "{answer}");
    let expected = 4
        + tokens::count("from s3")
        + tokens::count("Stored notes say hello.")
        + tokens::count(question);
    assert_eq!(answer["usage"]["inputTokens"], expected);

    let missing = body(
        vec![s3_block("video", "mp4", "s3://media/none.mp4")],
        question,
    );
    let (status, answer) = post(&ep, &converse_path(NOVA_LITE), &missing).await;
    assert_eq!(status, 400);
    assert_eq!(
        answer["message"],
        "The model returned the following errors: The S3 object s3://media/none.mp4 does not exist or access to it is denied. Check the S3 URI and your permissions, and try again."
    );

    let image = png(1000, 1000, 0);
    let counted = json!({"input": {"converse": body(vec![image_block(&image)], question)}});
    let path = format!("/model/{}/count-tokens", HAIKU45.replace(':', "%3A"));
    let (status, answer) = post(&ep, &path, &counted).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["inputTokens"], 4 + 1334 + tokens::count(question));

    let log = get(&ep, "/_local/requests").await;
    let media: Vec<&Value> = log["requests"]
        .as_array()
        .expect("a log")
        .iter()
        .map(|e| &e["media"])
        .collect();
    assert_eq!(
        media,
        [
            &json!([[{"kind": "video", "format": "mp4", "source": "s3", "uri": "s3://media/clip.mp4"}]]),
            &json!([[{"kind": "document", "format": "txt", "source": "s3", "name": "from s3",
                "citations": false, "uri": "s3://media/notes.txt"}]]),
            &json!([[{"kind": "video", "format": "mp4", "source": "s3", "uri": "s3://media/none.mp4"}]]),
            &json!([[{"kind": "image", "format": "png", "source": "bytes", "size": image.len(),
                "width": 1000, "height": 1000}]]),
        ]
    );
    let on_disk = std::fs::read_to_string(dir.path().join("requests.jsonl")).expect("a log file");
    assert!(on_disk.contains(r#""media":[[{"kind":"image","format":"png","source":"bytes""#));
    ep.shutdown().await;
}

/// The refusal of an object in a bucket of `bucket`'s Region by Bedrock in `request`'s.
fn elsewhere(uri: &str, bucket: &str, request: &str) -> String {
    format!(
        "The S3 bucket of {uri} is in {bucket}; Amazon Bedrock in {request} can read S3 objects only in its own Region. Copy the object to a bucket in {request} and try again."
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_media_in_another_region_is_refused() {
    let (_dir, ep) = crate::service::tests::with_data_dir().await;
    let a = exchange(
        &ep,
        "PUT",
        "/west",
        &signed("s3", "eu-west-1"),
        &configuration("eu-west-1"),
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let a = exchange(&ep, "PUT", "/east", &signed("s3", "us-east-1"), "").await;
    assert_eq!(a.status, 200, "{}", a.body);
    for bucket in ["west", "east"] {
        let a = exchange(
            &ep,
            "PUT",
            &format!("/{bucket}/notes.txt"),
            &signed("s3", "us-east-1"),
            "Stored notes say hello.",
        )
        .await;
        assert_eq!(a.status, 200, "{}", a.body);
    }

    let json = [("content-type", "application/json".to_owned())];
    let with = |auth: Vec<(&'static str, String)>| {
        let mut h = auth;
        h.extend(json.iter().cloned());
        h
    };
    let unsigned = with(Vec::new());
    let bearer = with(vec![("authorization", "Bearer a-bedrock-api-key".into())]);
    let in_west = with(signed("bedrock", "eu-west-1"));
    let doc = |uri: &str| body(vec![s3_block("document", "txt", uri)], "what is in it?");
    let west = doc("s3://west/notes.txt").to_string();
    let east = doc("s3://east/notes.txt").to_string();
    let path = converse_path(NOVA_LITE);

    // Unsigned or with an API key, a request is in the endpoint's Region, us-east-1.
    for headers in [&unsigned, &bearer] {
        let a = exchange(&ep, "POST", &path, headers, &west).await;
        assert_eq!(a.status, 400, "{}", a.body);
        let answer: Value = serde_json::from_str(&a.body).expect("JSON");
        assert_eq!(
            answer["message"],
            elsewhere("s3://west/notes.txt", "eu-west-1", "us-east-1")
        );
        assert_eq!(
            a.header("x-amzn-errortype")
                .map(|t| t.starts_with("ValidationException")),
            Some(true)
        );
        let a = exchange(&ep, "POST", &path, headers, &east).await;
        assert_eq!(a.status, 200, "{}", a.body);
    }
    // Signed, it is in the Region of its credential scope.
    let a = exchange(&ep, "POST", &path, &in_west, &west).await;
    assert_eq!(a.status, 200, "{}", a.body);
    let a = exchange(&ep, "POST", &path, &in_west, &east).await;
    assert_eq!(a.status, 400);
    let answer: Value = serde_json::from_str(&a.body).expect("JSON");
    assert_eq!(
        answer["message"],
        elsewhere("s3://east/notes.txt", "us-east-1", "eu-west-1")
    );
    // The Region is checked before the object is looked for: the service cannot look.
    let missing = doc("s3://west/none.txt").to_string();
    let a = exchange(&ep, "POST", &path, &unsigned, &missing).await;
    let answer: Value = serde_json::from_str(&a.body).expect("JSON");
    assert_eq!(
        answer["message"],
        elsewhere("s3://west/none.txt", "eu-west-1", "us-east-1")
    );

    let stream_path = format!("/model/{NOVA_LITE}/converse-stream").replace(':', "%3A");
    let a = exchange(&ep, "POST", &stream_path, &unsigned, &west).await;
    assert_eq!(a.status, 400, "{}", a.body);
    let answer: Value = serde_json::from_str(&a.body).expect("JSON");
    assert_eq!(
        answer["message"],
        elsewhere("s3://west/notes.txt", "eu-west-1", "us-east-1")
    );
    let a = exchange(&ep, "POST", &stream_path, &in_west, &west).await;
    assert_eq!(a.status, 200);

    let count_path = format!("/model/{}/count-tokens", HAIKU45.replace(':', "%3A"));
    let counted = |uri: &str| json!({"input": {"converse": doc(uri)}}).to_string();
    let a = exchange(
        &ep,
        "POST",
        &count_path,
        &unsigned,
        &counted("s3://west/notes.txt"),
    )
    .await;
    assert_eq!(a.status, 400, "{}", a.body);
    let answer: Value = serde_json::from_str(&a.body).expect("JSON");
    assert_eq!(
        answer["message"],
        elsewhere("s3://west/notes.txt", "eu-west-1", "us-east-1")
    );
    let a = exchange(
        &ep,
        "POST",
        &count_path,
        &in_west,
        &counted("s3://west/notes.txt"),
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.body);
    ep.shutdown().await;
}
