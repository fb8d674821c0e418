//! The tool loop end to end, as `ask --tools` runs it (the chat's reducer, driven
//! without a screen) against the local endpoint's simulated model: a command tool and
//! two real MCP servers from the registries are called, their results go back as the
//! next turn, and the final answer quotes them; a tool not approved is declined and the
//! model told so.

use std::path::Path;

use serde_json::Value;

use super::*;

/// A config with the `get_weather` command tool (approved when `auto`) and the
/// `time` and `everything` MCP servers.
fn config(dir: &Path, auto: bool) -> std::path::PathBuf {
    let script = dir.join("weather.py");
    std::fs::write(
        &script,
        "import json, sys\n\
         city = json.load(sys.stdin)['city']\n\
         print(json.dumps({'city': city, 'forecast': 'sunny, 21 degrees'}))\n",
    )
    .unwrap();
    let path = dir.join("config.toml");
    let text = format!(
        r#"
[[tools]]
name = "get_weather"
description = "The current weather in a city"
input_schema = {{ type = "object", properties = {{ city = {{ type = "string" }} }}, required = ["city"] }}
command = ["python3", "{script}"]
auto_approve = {auto}

[[mcp_servers]]
name = "time"
command = "{time}"

[[mcp_servers]]
name = "everything"
command = "node"
args = ["{everything}", "stdio"]
"#,
        script = script.display(),
        time = super::mcp::time_server(),
        everything = super::mcp::everything_js(),
    );
    std::fs::write(&path, text).unwrap();
    path
}

async fn ask(
    ep: &LocalEndpoint,
    config: &Path,
    extra: &[&str],
    question: &str,
) -> (i32, String, String) {
    let mut cmd = super::ask::isolated(&ep.url(), "ask");
    cmd.arg("--config")
        .arg(config)
        .args(["--model", HAIKU3, "--tools"])
        .args(extra)
        .arg(question)
        .stdin(std::process::Stdio::null());
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The Converse requests the endpoint saw since `from`, as (roles, body-less entry).
async fn turns(ep: &LocalEndpoint, from: usize) -> Vec<Value> {
    let log = super::jobs::request_log(ep).await;
    log["requests"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["operation"] == "ConverseStream")
        .skip(from)
        .cloned()
        .collect()
}

fn roles(turn: &Value) -> Vec<&str> {
    turn["roles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn each_tool_is_called_and_the_answer_quotes_its_result() {
    let dir = tempfile::tempdir().unwrap();
    let config = config(dir.path(), false);
    let ep = endpoint().await;
    let cases = [
        (
            "What is the weather in Paris?",
            "get_weather",
            "sunny, 21 degrees",
        ),
        (
            "What is the current time in the \"Asia/Tokyo\" timezone?",
            "time__get_current_time",
            "Asia/Tokyo",
        ),
        (
            "Please echo \"hello tools\"",
            "everything__echo",
            "hello tools",
        ),
    ];
    for (i, (question, tool, quoted)) in cases.into_iter().enumerate() {
        let (code, out, err) = ask(&ep, &config, &["--yes"], question).await;
        assert_eq!(code, 0, "{question}: {err}");
        assert!(
            err.contains(&format!("tool {tool} ")) && err.contains(": done in"),
            "{question}: the call is said on stderr: {err}"
        );
        assert!(
            out.contains(quoted),
            "{question}: the answer quotes the result: {out}"
        );
        // Two turns: the question, then the call's result after the answer that made it.
        let sent = turns(&ep, i * 2).await;
        assert_eq!(sent.len(), 2, "{sent:?}");
        assert_eq!(roles(&sent[0]), ["user"]);
        assert_eq!(roles(&sent[1]), ["user", "assistant", "user"]);
        // The call, then its result alone in the next message.
        assert_eq!(
            sent[1]["blocks"],
            serde_json::json!([["text"], ["text", "toolUse"], ["toolResult"]])
        );
        assert!(sent.iter().all(|t| t["status"] == 200), "{sent:?}");
    }
}

#[tokio::test]
async fn without_yes_only_auto_approve_tools_run_and_others_are_declined() {
    let dir = tempfile::tempdir().unwrap();
    let config = config(dir.path(), true);
    let ep = endpoint().await;
    let (code, out, err) = ask(&ep, &config, &[], "What is the weather in Paris?").await;
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("sunny, 21 degrees"), "{out}");

    let (code, out, err) = ask(
        &ep,
        &config,
        &["--json"],
        "What is the current time in the \"Asia/Tokyo\" timezone?",
    )
    .await;
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("tool time__get_current_time: declined"),
        "{err}"
    );
    let v: Value = serde_json::from_str(&out).unwrap();
    let call = &v["toolCalls"][0];
    assert_eq!(call["name"], "time__get_current_time");
    assert_eq!(call["error"], true);
    assert!(call["result"].as_str().unwrap().contains("declined"), "{v}");
    assert!(
        v["text"].as_str().unwrap().contains("declined"),
        "the model is told: {v}"
    );
}

#[tokio::test]
async fn tools_without_any_configured_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    std::fs::write(&path, "").unwrap();
    let ep = endpoint().await;
    let (code, out, err) = ask(&ep, &path, &[], "Hi").await;
    assert_eq!(code, 1, "{err}");
    assert!(out.is_empty());
    assert!(err.contains("no [[tools]] or [[mcp_servers]]"), "{err}");
}
