//! The playground's bench as a person uses it: an answer, the inspector showing its
//! request id and events, the request copied as a boto3 snippet (an OSC 52 sequence
//! whose payload is the snippet shown), then the native console: `/native`, the body
//! edited in `$EDITOR`, sent, and the answer with its raw chunks.

use super::copy::clipboard;
use super::*;

const HAIKU45: &str = "us.anthropic.claude-haiku-4-5-20251001-v1:0";

#[tokio::test(flavor = "multi_thread")]
async fn inspect_copy_as_boto3_then_a_native_request() {
    let ep = endpoint(4000.0).await;
    let url = ep.url();
    let home = config_home(&format!(
        "endpoint_url = \"{url}\"\nregion = \"us-east-1\"\nmodel = \"{HAIKU45}\"\n"
    ));
    // The "editor" changes the native body's question.
    let env = editor_env(&home, "sed -i 's/And in Go?/And in Zig?/' \"$1\"");
    let env: Vec<_> = env.iter().map(|(k, v)| (*k, v.as_os_str())).collect();
    let mut tui = Tui::start_env(&[], home.clone(), &env);
    tui.wait_for("F1 help").await;

    tui.send("How do I sort a vector in Rust?").await;
    tui.wait_for("Let me know if you want more detail").await;

    // Alt+I: the request id the endpoint gave, and the stream's events.
    tui.keys("\x1bi");
    let s = tui
        .wait_for_all(&[
            "Inspector · answer 1",
            "Request id",
            "messageStop: end_turn",
        ])
        .await;
    let log = request_log(&url).await;
    let id = log
        .iter()
        .find(|r| r["operation"] == "ConverseStream")
        .and_then(|r| r["requestId"].as_str())
        .unwrap()
        .to_owned();
    assert!(s.contains(&format!("Request id  {id}")), "{s}");
    assert!(s.contains("first byte"), "{s}");
    assert!(s.contains("first token"), "{s}");
    assert!(s.contains("content block 0 (text)"), "{s}");
    assert!(s.contains("Status      200"), "{s}");

    // 2 shows the boto3 snippet, c copies it.
    tui.keys("2");
    let s = tui.wait_for("import boto3").await;
    tui.keys("c");
    tui.wait_for("Copied the boto3 snippet").await;
    let copied = clipboard(&tui.raw());
    assert_eq!(copied.len(), 1, "{copied:?}");
    let snippet = &copied[0];
    assert!(snippet.contains("client.converse_stream("), "{snippet}");
    assert!(
        snippet.contains(&format!("endpoint_url=\"{url}\"")),
        "{snippet}"
    );
    assert!(
        snippet.contains(&format!("modelId=\"{HAIKU45}\"")),
        "{snippet}"
    );
    assert!(
        snippet.contains("How do I sort a vector in Rust?"),
        "{snippet}"
    );
    // The payload is the snippet on screen, line for line.
    for line in snippet.lines().take(12).filter(|l| !l.is_empty()) {
        assert!(s.contains(line), "{line:?} is not shown:\n{s}");
    }
    tui.keys("\x1b");
    tui.wait_for("Message · Enter sends").await;

    // The native console: `/native QUESTION` puts the model's body in the composer,
    // with the question as its last turn.
    tui.send("/native And in Go?").await;
    let s = tui
        .wait_for_all(&[
            " native ",
            "Anthropic Messages → InvokeModelWithResponseStream",
        ])
        .await;
    assert!(s.contains("\"text\": \"And in Go?\""), "{s}");
    // Ctrl+O: the body is edited in $EDITOR.
    tui.keys("\x0f");
    tui.wait_for("\"text\": \"And in Zig?\"").await;
    tui.keys("\r");
    let s = tui
        .wait_for_all(&["raw chunks", "content_block_delta", "Message · Enter sends"])
        .await;
    assert!(s.contains("You  native"), "{s}");
    assert!(s.contains("And in Zig?"), "{s}");
    let log = request_log(&url).await;
    let native: Vec<_> = log
        .iter()
        .filter(|r| r["operation"] == "InvokeModelWithResponseStream")
        .collect();
    assert_eq!(native.len(), 1, "{log:?}");
    assert_eq!(native[0]["status"], 200);
    // The native answer is in the conversation: the inspector shows its chunks.
    tui.keys("\x1bi");
    tui.wait_for_all(&["InvokeModelWithResponseStream", "chunk: "])
        .await;
    // End: the last raw chunk, with the invocation metrics.
    tui.keys("G");
    tui.wait_for_all(&["content_block_stop", "amazon-bedrock-invocationMetrics"])
        .await;
}
