//! Bad input never crashes or hangs the endpoint: malformed JSON, wrong types, missing
//! members, unknown operations, oversized bodies and many concurrent requests each get
//! the service's answer. Raw requests go over HTTP/1.1 and cleartext HTTP/2.

use std::time::Duration;

use aws_smithy_types::Blob;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::{TokioExecutor, TokioIo};

use super::*;

/// One raw request over HTTP/1.1; returns (status, error type header, body).
async fn raw(
    ep: &LocalEndpoint,
    method: &str,
    path: &str,
    body: impl Into<Bytes>,
) -> (u16, String, String) {
    let stream = tokio::net::TcpStream::connect(ep.addr()).await.unwrap();
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .unwrap();
    tokio::spawn(conn);
    let req = http::Request::builder()
        .method(method)
        .uri(path)
        .header("host", ep.addr().to_string())
        .header("content-type", "application/json")
        .body(Full::new(body.into()))
        .unwrap();
    let resp = tokio::time::timeout(Duration::from_secs(30), sender.send_request(req))
        .await
        .expect("no hang")
        .unwrap();
    let status = resp.status().as_u16();
    assert!(resp.headers().contains_key("x-amzn-requestid"), "{path}");
    let kind = resp
        .headers()
        .get("x-amzn-errortype")
        .map(|v| v.to_str().unwrap().split(':').next().unwrap().to_owned())
        .unwrap_or_default();
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    (status, kind, String::from_utf8_lossy(&body).into_owned())
}

const CONVERSE: &str = "/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse";

#[tokio::test]
async fn malformed_and_mistyped_bodies_get_validation_errors() {
    let ep = endpoint().await;
    let cases: &[(&str, &str)] = &[
        ("{not json", "Malformed input request"),
        ("[1,2,3]", "must be a JSON object"),
        (
            "{}",
            "Value at 'messages' failed to satisfy constraint: Member must not be null",
        ),
        (
            r#"{"messages": "hello"}"#,
            "'messages' failed to satisfy constraint: Member must be of type list",
        ),
        (
            r#"{"messages": [{"role": "user"}]}"#,
            "'messages.1.member.content'",
        ),
        (
            r#"{"messages": [{"role": "robot", "content": [{"text": "x"}]}]}"#,
            "enum value set",
        ),
        (
            r#"{"messages": [{"role": "user", "content": [{"text": 5}]}]}"#,
            "Member must be of type string",
        ),
        (
            r#"{"messages": [{"role": "user", "content": [{"image": {"format": "png", "source": {"bytes": "%%%"}}}]}]}"#,
            "base64",
        ),
        (
            r#"{"messages": [{"role": "user", "content": [{"text": "x"}]}], "inferenceConfig": {"maxTokens": -1}}"#,
            "inferenceConfig.maxTokens",
        ),
        (
            r#"{"messages": [{"role": "user", "content": [{"text": "x"}]}], "inferenceConfig": {"maxTokens": 999999}}"#,
            "exceeds the model limit of 4096",
        ),
        (
            r#"{"messages": [{"role": "assistant", "content": [{"text": "x"}]}]}"#,
            "must start with a user message",
        ),
        (
            r#"{"messages": [{"role": "user", "content": [{"text": "x"}]}, {"role": "user", "content": [{"text": "y"}]}]}"#,
            "must alternate",
        ),
        (
            r#"{"messages": [{"role": "user", "content": [{"text": "  "}]}]}"#,
            "is blank",
        ),
        (
            r#"{"messages": [{"role": "user", "content": [{"bogus": {}}]}]}"#,
            "exactly one supported member",
        ),
    ];
    for (body, expect) in cases {
        let (status, kind, text) = raw(&ep, "POST", CONVERSE, body.to_string()).await;
        assert_eq!(
            (status, kind.as_str()),
            (400, "ValidationException"),
            "{body}: {text}"
        );
        let msg: serde_json::Value = serde_json::from_str(&text).unwrap();
        let msg = msg["message"].as_str().unwrap();
        assert!(msg.contains(expect), "{body}: {msg}");
    }
}

#[tokio::test]
async fn unknown_operations_get_a_json_error() {
    let ep = endpoint().await;
    for (method, path) in [
        ("GET", "/"),
        ("POST", "/model/x/explode"),
        ("GET", CONVERSE),
        ("DELETE", "/async-invoke"),
        ("POST", "/foo/bar/baz"),
    ] {
        let (status, kind, body) = raw(&ep, method, path, "").await;
        assert_eq!(
            (status, kind.as_str()),
            (404, "UnknownOperationException"),
            "{method} {path}"
        );
        assert!(serde_json::from_str::<serde_json::Value>(&body).unwrap()["message"].is_string());
    }
    // Operations of endpoint part 2 answer as the service does when nothing exists yet.
    let (status, kind, _) = raw(
        &ep,
        "POST",
        "/guardrail/nope/version/1/apply",
        r#"{"source":"INPUT","content":[]}"#,
    )
    .await;
    assert_eq!((status, kind.as_str()), (404, "ResourceNotFoundException"));
    let (status, _, body) = raw(&ep, "GET", "/async-invoke", "").await;
    assert_eq!(status, 200);
    assert_eq!(body, r#"{"asyncInvokeSummaries":[]}"#);
}

#[tokio::test]
async fn a_50_mb_body_is_refused_without_a_hang() {
    let ep = endpoint().await;
    let big = vec![b'a'; 50 * 1024 * 1024];
    let (status, kind, _) = raw(&ep, "POST", CONVERSE, big.clone()).await;
    assert_eq!((status, kind.as_str()), (400, "ValidationException"));
    let err = client(&ep)
        .invoke_model()
        .model_id("amazon.titan-text-express-v1")
        .body(Blob::new(big))
        .send()
        .await
        .unwrap_err();
    assert!(
        code_of(&err).1.contains("exceeds the maximum size"),
        "{err:?}"
    );
    // The endpoint still serves.
    client(&ep)
        .converse()
        .model_id(HAIKU3)
        .messages(user("still there?"))
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn many_concurrent_requests_all_succeed() {
    let ep = endpoint().await;
    let c = client(&ep);
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..200 {
        let c = c.clone();
        tasks.spawn(async move {
            if i % 2 == 0 {
                c.converse()
                    .model_id(HAIKU3)
                    .messages(user(&format!("request {i}")))
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|e| format!("{e:?}"))
            } else {
                let mut s = c
                    .converse_stream()
                    .model_id(HAIKU3)
                    .messages(user(&format!("request {i}")))
                    .send()
                    .await
                    .map_err(|e| format!("{e:?}"))?;
                while s
                    .stream
                    .recv()
                    .await
                    .map_err(|e| format!("{e:?}"))?
                    .is_some()
                {}
                Ok(())
            }
        });
    }
    let mut ok = 0;
    while let Some(r) = tasks.join_next().await {
        r.unwrap().unwrap();
        ok += 1;
    }
    assert_eq!(ok, 200);
}

#[tokio::test]
async fn cleartext_http2_serves_plain_and_streaming_calls() {
    let ep = endpoint().await;
    let stream = tokio::net::TcpStream::connect(ep.addr()).await.unwrap();
    let (mut sender, conn) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(stream))
            .await
            .unwrap();
    tokio::spawn(conn);
    let body = r#"{"messages":[{"role":"user","content":[{"text":"hello over h2"}]}]}"#;
    for (path, content_type) in [
        (CONVERSE.to_owned(), "application/json"),
        (
            CONVERSE.replace("/converse", "/converse-stream"),
            "application/vnd.amazon.eventstream",
        ),
    ] {
        let req = http::Request::builder()
            .method("POST")
            .uri(format!("{}{path}", ep.url()))
            .body(Full::new(Bytes::from(body)))
            .unwrap();
        let resp = sender.send_request(req).await.unwrap();
        assert_eq!(resp.version(), http::Version::HTTP_2);
        assert_eq!(resp.status(), 200, "{path}");
        assert_eq!(resp.headers()["content-type"], content_type);
        let bytes = resp.into_body().collect().await.unwrap().to_bytes();
        let text = String::from_utf8_lossy(&bytes);
        assert!(
            text.contains("over h2") || text.contains("messageStart"),
            "{path}: {text}"
        );
    }
}

#[tokio::test]
async fn request_log_records_operations_without_credentials() {
    let ep = endpoint().await;
    client(&ep)
        .converse()
        .model_id(HAIKU3)
        .messages(user("logged"))
        .send()
        .await
        .unwrap();
    let _ = client(&ep)
        .converse()
        .model_id("nope")
        .messages(user("x"))
        .send()
        .await;
    let (status, _, body) = raw(&ep, "GET", "/_local/requests", "").await;
    assert_eq!(status, 200);
    let log: serde_json::Value = serde_json::from_str(&body).unwrap();
    let entries = log["requests"].as_array().unwrap();
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0]["operation"], "Converse");
    assert_eq!(entries[0]["modelId"], HAIKU3);
    assert_eq!(entries[0]["status"], 200);
    assert_eq!(entries[1]["error"], "ValidationException");
    assert!(!body.contains("AKIDLOCALTEST"));
}
