//! Command tools run for real: small python3 and sh programs in a temporary folder.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::json;

use super::*;
use crate::runner::Runner;
use crate::tools::{Settings, ToolSpec};

fn tool(argv: &[&str], env: &[(&str, &str)], timeout: Duration) -> CommandTool {
    CommandTool {
        spec: ToolSpec {
            name: "t".into(),
            description: String::new(),
            input_schema: json!({"type": "object"}),
        },
        argv: argv.iter().map(|s| s.to_string()).collect(),
        timeout,
        cwd: None,
        env: env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect::<BTreeMap<_, _>>(),
        auto_approve: false,
    }
}

fn python(code: &str) -> CommandTool {
    tool(&["python3", "-c", code], &[], Duration::from_secs(20))
}

async fn run_py(code: &str, input: Value) -> Output {
    run(&python(code), &input, 10_000).await
}

#[tokio::test]
async fn json_on_stdout_is_json_and_the_input_arrives_on_stdin() {
    let out = run_py(
        "import json,sys; d=json.load(sys.stdin); print(json.dumps({'city': d['city'], 'temp': 21}))",
        json!({"city": "Paris"}),
    )
    .await;
    assert!(!out.error, "{out:?}");
    assert_eq!(
        out.content,
        vec![Content::Json(json!({"city": "Paris", "temp": 21}))]
    );
}

#[tokio::test]
async fn text_on_stdout_is_text() {
    let out = run_py("print('sunny, 21 degrees')", json!({})).await;
    assert!(!out.error);
    assert_eq!(
        out.content,
        vec![Content::Text("sunny, 21 degrees\n".into())]
    );
}

#[tokio::test]
async fn a_failing_command_says_its_status_and_the_tail_of_its_stderr() {
    let out = run_py(
        "import sys; sys.stderr.write('x' * 5000 + 'no such city\\n'); sys.exit(3)",
        json!({}),
    )
    .await;
    assert!(out.error);
    let text = out.joined();
    assert!(
        text.starts_with("The tool 't' exited with status 3: "),
        "{text}"
    );
    assert!(text.ends_with("no such city"), "{text}");
    assert!(text.len() < 2200, "{}", text.len());
}

#[tokio::test]
async fn a_missing_program_is_named() {
    let out = run(
        &tool(&["no-such-program-xyz"], &[], Duration::from_secs(5)),
        &json!({}),
        1000,
    )
    .await;
    assert!(out.error);
    assert!(out.joined().contains("'no-such-program-xyz'"), "{out:?}");
}

#[tokio::test]
async fn a_slow_command_times_out_and_is_killed() {
    let dir = tempfile::tempdir().unwrap();
    let pidfile = dir.path().join("pid");
    let code = format!(
        "import os,time; open({:?}, 'w').write(str(os.getpid())); time.sleep(60)",
        pidfile.display().to_string()
    );
    let t = tool(&["python3", "-c", &code], &[], Duration::from_millis(1500));
    let started = Instant::now();
    let out = run(&t, &json!({}), 1000).await;
    assert!(started.elapsed() < Duration::from_secs(10));
    assert!(out.error);
    assert_eq!(
        out.joined(),
        "The tool 't' timed out after 1.5 s and was stopped."
    );
    let pid = std::fs::read_to_string(&pidfile).unwrap();
    wait_gone(pid.trim().parse().unwrap()).await;
}

#[tokio::test]
async fn fifty_megabytes_of_output_are_cut_without_being_kept() {
    let started = Instant::now();
    let out = run(
        &tool(
            &["sh", "-c", "head -c 52428800 /dev/zero | tr '\\0' a"],
            &[],
            Duration::from_secs(20),
        ),
        &json!({}),
        10_000,
    )
    .await;
    assert!(!out.error, "{out:?}");
    let text = out.joined();
    assert!(text.starts_with(&"a".repeat(10_000)));
    assert!(
        text.contains("the command printed 52428800 bytes; results keep at most 10000 bytes"),
        "{}",
        &text[10_000..]
    );
    assert!(text.len() < 10_200);
    assert!(started.elapsed() < Duration::from_secs(15));
}

#[tokio::test]
async fn bytes_that_are_not_utf8_and_escape_sequences_are_cleaned() {
    let out = run_py(
        "import sys; sys.stdout.buffer.write(b'ok \\x1b[2J\\x1b]0;title\\x07done\\xff\\x07\\n')",
        json!({}),
    )
    .await;
    assert!(!out.error);
    assert_eq!(out.joined(), "ok done\u{fffd}\n");
    let failed = run_py(
        "import sys; sys.stderr.write('bad \\x1b[31mred\\x1b[0m\\x9b'); sys.exit(1)",
        json!({}),
    )
    .await;
    assert_eq!(
        failed.joined(),
        "The tool 't' exited with status 1: bad red"
    );
}

#[tokio::test]
async fn the_environment_is_only_what_the_config_gives() {
    // HOME and PATH are set in the test process, so the child would inherit them were
    // its environment not cleared; `env` is still found through the app's PATH.
    assert!(std::env::var_os("HOME").is_some() && std::env::var_os("PATH").is_some());
    let t = tool(&["env"], &[("GIVEN", "yes")], Duration::from_secs(20));
    let out = run(&t, &json!({}), 10_000).await;
    assert_eq!(out.joined(), "GIVEN=yes\n");
}

#[tokio::test]
async fn the_command_runs_in_its_cwd() {
    let dir = tempfile::tempdir().unwrap();
    let mut t = python("import os; print(os.getcwd())");
    t.cwd = Some(dir.path().to_owned());
    let out = run(&t, &json!({}), 10_000).await;
    let cwd = std::fs::canonicalize(dir.path()).unwrap();
    assert_eq!(out.joined().trim(), cwd.display().to_string());
}

#[tokio::test]
async fn dropping_the_call_kills_the_command_and_what_it_started() {
    let dir = tempfile::tempdir().unwrap();
    let pidfile = dir.path().join("pid");
    // The shell starts a sleep in the background: only killing the group reaches it.
    let script = format!(
        "sleep 60 & echo $! > {}.tmp; mv {0}.tmp {0}; wait",
        pidfile.display()
    );
    let mut settings = Settings::default();
    settings.commands.push(CommandTool {
        spec: ToolSpec {
            name: "sleeper".into(),
            description: String::new(),
            input_schema: json!({"type": "object"}),
        },
        ..tool(&["sh", "-c", &script], &[], Duration::from_secs(60))
    });
    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
    let runner = Runner::start(&settings, tx);
    let mut call = Box::pin(runner.call("sleeper", json!({})));
    let deadline = Instant::now() + Duration::from_secs(10);
    while !pidfile.exists() {
        assert!(Instant::now() < deadline, "the command never started");
        tokio::select! {
            out = &mut call => panic!("the call ended: {out:?}"),
            () = tokio::time::sleep(Duration::from_millis(20)) => {}
        }
    }
    let pid: i32 = std::fs::read_to_string(&pidfile)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(alive(pid));
    drop(call);
    wait_gone(pid).await;
}

/// Whether `pid` is a live process (not gone, not a zombie).
fn alive(pid: i32) -> bool {
    match std::fs::read_to_string(Path::new("/proc").join(pid.to_string()).join("stat")) {
        Err(_) => false,
        // The state follows the command's name in parentheses.
        Ok(stat) => stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| !rest.trim_start().starts_with(['Z', 'X'])),
    }
}

async fn wait_gone(pid: i32) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while alive(pid) {
        assert!(Instant::now() < deadline, "process {pid} is still running");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[test]
fn durations_read_as_seconds() {
    assert_eq!(seconds(Duration::from_secs(30)), "30 s");
    assert_eq!(seconds(Duration::from_millis(1500)), "1.5 s");
}
