//! `bedrock-tui invoke` against the local endpoint: a native body sent with InvokeModel
//! (the response pretty-printed) or InvokeModelWithResponseStream (a line of JSON per
//! chunk), the token counts on stderr, and a body that is not JSON refused unsent.

use super::ask::run_command;
use super::*;

const ANTHROPIC: &str = r#"{"anthropic_version": "bedrock-2023-05-31", "max_tokens": 200,
  "messages": [{"role": "user", "content": "How do I sort a list in Python?"}]}"#;

fn usage_line(stderr: &[u8]) -> String {
    String::from_utf8_lossy(stderr)
        .lines()
        .find(|l| l.contains("usage: "))
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn invoke_prints_the_response_and_the_token_counts() {
    let ep = endpoint().await;
    let out = run_command(&ep, "invoke", &["--model", HAIKU3], Some(ANTHROPIC)).await;
    succeeded(&out);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        v["content"][0]["text"].as_str().unwrap().contains("sort"),
        "{v}"
    );
    let (input, output) = (&v["usage"]["input_tokens"], &v["usage"]["output_tokens"]);
    assert_eq!(
        usage_line(&out.stderr),
        format!("bedrock-tui: {HAIKU3} usage: input {input} · output {output} tokens")
    );
    // Pretty-printed, as a person reads it.
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("{\n  \""));
}

#[tokio::test]
async fn invoke_stream_prints_each_chunk_as_a_line_of_json() {
    let ep = endpoint().await;
    let dir = tempfile::tempdir().unwrap();
    let body = dir.path().join("body.json");
    std::fs::write(&body, ANTHROPIC).unwrap();
    let path = body.display().to_string();
    let out = run_command(
        &ep,
        "invoke",
        &["--model", HAIKU3, "--stream", "--body", &path],
        None,
    )
    .await;
    succeeded(&out);
    let chunks: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(chunks[0]["type"], "message_start");
    let text: String = chunks
        .iter()
        .filter_map(|c| c["delta"]["text"].as_str())
        .collect();
    assert!(text.contains("sort"), "{text}");
    let metrics = &chunks.last().unwrap()["amazon-bedrock-invocationMetrics"];
    assert_eq!(
        usage_line(&out.stderr),
        format!(
            "bedrock-tui: {HAIKU3} usage: input {} · output {} tokens",
            metrics["inputTokenCount"], metrics["outputTokenCount"]
        )
    );
}

#[tokio::test]
async fn a_body_that_is_not_json_is_refused_and_nothing_is_sent() {
    let ep = endpoint().await;
    let out = run_command(
        &ep,
        "invoke",
        &["--model", HAIKU3],
        Some("{\"messages\": ["),
    )
    .await;
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("the request body is not JSON"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let log = super::jobs::request_log(&ep).await;
    assert_eq!(log["requests"].as_array().unwrap().len(), 0, "{log}");
    // A body the model refuses is the service's error, with its exit code.
    let out = run_command(&ep, "invoke", &["--model", HAIKU3], Some("{\"prompt\": 1}")).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(!String::from_utf8_lossy(&out.stderr).is_empty());
}
