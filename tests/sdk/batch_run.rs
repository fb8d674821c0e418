//! `bedrock-tui batch run` against the local endpoint: every record answered exactly
//! once under injected faults, the concurrency backing off and recovering, a killed run
//! resumed without sending a written record again, and bad input reported by line.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

use bedrock_tui::local::{Fault, FaultRate, Pacing};
use serde_json::Value;

use super::ask::isolated;
use super::jobs::request_log;
use super::*;

/// `n` prompt lines `{"recordId": "r<i>", "prompt": ...}`.
fn prompts(n: usize) -> String {
    (0..n)
        .map(|i| format!("{{\"recordId\":\"r{i}\",\"prompt\":\"Question number {i}\"}}\n"))
        .collect()
}

/// `batch run INPUT --out OUTPUT ARGS...` against `ep`, its log file in `data`.
fn command(
    ep: &LocalEndpoint,
    data: &Path,
    input: &Path,
    out: &Path,
    args: &[&str],
) -> std::process::Command {
    let mut cmd = isolated(&ep.url(), "batch run");
    cmd.arg(input)
        .arg("--out")
        .arg(out)
        .args(args)
        .env("XDG_DATA_HOME", data)
        .env("RUST_LOG", "info");
    cmd
}

async fn batch(ep: &LocalEndpoint, data: &Path, input: &Path, out: &Path, args: &[&str]) -> Output {
    let mut cmd = command(ep, data, input, out, args);
    tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap()
}

/// The output's lines, parsed.
fn lines(out: &Path) -> Vec<Value> {
    std::fs::read_to_string(out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn ids(lines: &[Value]) -> Vec<String> {
    lines
        .iter()
        .map(|l| l["recordId"].as_str().unwrap().to_owned())
        .collect()
}

/// How many Converse requests the endpoint answered.
async fn answered(ep: &LocalEndpoint) -> usize {
    request_log(ep).await["requests"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["operation"] == "Converse" && e["status"] == 200)
        .count()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Asserts that a run said `text` on stderr.
fn says(out: &Output, text: &str) {
    let said = stderr(out);
    assert!(said.contains(text), "{text:?} not in {said}");
}

/// The number before `word` in `text` ("3 decreases" -> 3).
fn count_before(text: &str, word: &str) -> u64 {
    let at = text
        .find(word)
        .unwrap_or_else(|| panic!("no {word:?} in {text}"));
    text[..at]
        .trim_end()
        .rsplit([' ', '('])
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no count before {word:?} in {text}"))
}

/// An endpoint slow enough that a run of a few hundred records is still going when a
/// test stops it: about 25 ms a request.
async fn paced() -> LocalEndpoint {
    endpoint_with(Settings {
        pacing: Pacing {
            ttft: Duration::from_millis(5),
            tokens_per_second: Some(400.0),
        },
        ..Settings::default()
    })
    .await
}

struct Files {
    _dir: tempfile::TempDir,
    data: PathBuf,
    input: PathBuf,
    out: PathBuf,
}

fn files(input: &str) -> Files {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let path = dir.path().join("in.jsonl");
    std::fs::write(&path, input).unwrap();
    Files {
        data,
        input: path,
        out: dir.path().join("out.jsonl"),
        _dir: dir,
    }
}

#[tokio::test]
async fn a_thousand_records_under_faults_are_each_answered_once() {
    let kinds = ["throttle", "unavailable"].map(|k| Fault::parse(k).unwrap());
    let ep = endpoint_with(Settings {
        fault_rate: Some(FaultRate::new(0.1, kinds.to_vec(), 7)),
        ..Settings::default()
    })
    .await;
    let f = files(&prompts(1000));
    let out = batch(
        &ep,
        &f.data,
        &f.input,
        &f.out,
        &[
            "--model",
            HAIKU3,
            "--max-tokens",
            "8",
            "--concurrency",
            "16",
        ],
    )
    .await;
    succeeded(&out);
    let lines = lines(&f.out);
    let got: BTreeSet<String> = ids(&lines).into_iter().collect();
    let want: BTreeSet<String> = (0..1000).map(|i| format!("r{i}")).collect();
    assert_eq!(lines.len(), 1000, "one line per record");
    assert_eq!(got, want);
    for l in &lines {
        assert!(l.get("error").is_none(), "{l}");
        assert_eq!(l["usage"]["outputTokens"], 8, "{l}");
        assert!(l["costUsd"].as_f64().unwrap() > 0.0, "{l}");
    }
    // Faults come before an answer, so each record was answered by the endpoint once.
    assert_eq!(answered(&ep).await, 1000);
    let said = stderr(&out);
    assert!(count_before(&said, "throttled attempts") > 0, "{said}");
    assert!(count_before(&said, "decreases") > 0, "{said}");
    assert!(count_before(&said, "increases") > 0, "{said}");
    let log = std::fs::read_to_string(f.data.join("bedrock-tui/bedrock-tui.log")).unwrap();
    assert!(log.contains("concurrency decreased"), "{log}");
    assert!(log.contains("concurrency increased"), "{log}");
}

#[tokio::test]
async fn a_run_killed_at_40_percent_resumes_without_sending_a_written_record_again() {
    // Paced, so the run is still going when 400 lines are written.
    let slow = paced().await;
    let f = files(&prompts(1000));
    let args = ["--model", HAIKU3, "--max-tokens", "8", "--concurrency", "8"];
    let mut child = command(&slow, &f.data, &f.input, &f.out, &args)
        .spawn()
        .unwrap();
    let out = f.out.clone();
    let child = tokio::task::spawn_blocking(move || {
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        loop {
            let n = std::fs::read(&out).map_or(0, |b| b.iter().filter(|c| **c == b'\n').count());
            if n >= 400 || std::time::Instant::now() > deadline {
                break;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        child.kill().unwrap();
        child.wait_with_output().unwrap()
    })
    .await
    .unwrap();
    assert!(!child.status.success(), "killed before it finished");
    let text = std::fs::read_to_string(&f.out).unwrap();
    let written = text
        .lines()
        .filter(|l| serde_json::from_str::<Value>(l).is_ok())
        .count();
    assert!(
        (400..1000).contains(&written),
        "{written} lines at the kill"
    );

    let ep = endpoint().await;
    let out = batch(&ep, &f.data, &f.input, &f.out, &args).await;
    succeeded(&out);
    let lines = lines(&f.out);
    let got: BTreeSet<String> = ids(&lines).into_iter().collect();
    assert_eq!(lines.len(), 1000);
    assert_eq!(got.len(), 1000, "no record twice");
    assert_eq!(
        answered(&ep).await,
        1000 - written,
        "the rerun sent only what was not written"
    );
    says(&out, &format!("{written} answered by an earlier run"));
}

#[tokio::test]
async fn ctrl_c_stops_with_every_finished_record_written() {
    let slow = paced().await;
    let f = files(&prompts(300));
    let args = ["--model", HAIKU3, "--max-tokens", "8", "--concurrency", "4"];
    let child = command(&slow, &f.data, &f.input, &f.out, &args)
        .spawn()
        .unwrap();
    let out = f.out.clone();
    let child = tokio::task::spawn_blocking(move || {
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        while std::fs::read(&out).map_or(0, |b| b.len()) == 0
            && std::time::Instant::now() < deadline
        {
            std::thread::sleep(Duration::from_millis(5));
        }
        let pid = nix::unistd::Pid::from_raw(child.id() as i32);
        nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGINT).unwrap();
        child.wait_with_output().unwrap()
    })
    .await
    .unwrap();
    assert_eq!(child.status.code(), Some(130), "{}", stderr(&child));
    let text = std::fs::read_to_string(&f.out).unwrap();
    assert!(text.ends_with('\n'), "only whole lines");
    let written = lines(&f.out).len();
    assert!(written < 300, "stopped early: {written}");
    assert_eq!(
        answered(&slow).await,
        written,
        "every record answered before the stop was written"
    );
    says(&child, "stopped early");
}

#[tokio::test]
async fn records_of_every_shape_in_input_order_through_the_profile() {
    let ep = endpoint().await;
    let input = [
        r#"{"recordId":"n","modelInput":{"anthropic_version":"bedrock-2023-05-31","max_tokens":12,"messages":[{"role":"user","content":"Hello there"}]}}"#,
        r#"{"recordId":"c","messages":[{"role":"user","content":[{"text":"Explain traits"}]}],"system":[{"text":"Be brief"}],"inferenceConfig":{"maxTokens":10}}"#,
        r#"{"prompt":"Rust","lang":"French"}"#,
    ]
    .join("\n");
    let f = files(&input);
    let out = batch(
        &ep,
        &f.data,
        &f.input,
        &f.out,
        &[
            "--model",
            SONNET45,
            "--template",
            "Say {prompt} in {lang}",
            "--max-tokens",
            "9",
            "--ordered",
        ],
    )
    .await;
    succeeded(&out);
    let lines = lines(&f.out);
    assert_eq!(ids(&lines), ["n", "c", "line-3"], "--ordered: input order");
    for l in &lines {
        assert_eq!(
            l["modelId"],
            format!("us.{SONNET45}"),
            "through the profile"
        );
        assert!(l["output"].as_str().is_some_and(|t| !t.is_empty()), "{l}");
        assert!(l["costUsd"].as_f64().unwrap() > 0.0, "{l}");
    }
    assert_eq!(lines[0]["usage"]["outputTokens"], 12);
    assert_eq!(
        lines[0]["modelOutput"]["type"], "message",
        "the native body kept"
    );
    assert_eq!(lines[1]["usage"]["outputTokens"], 10);
    assert_eq!(lines[2]["usage"]["outputTokens"], 9);
}

#[tokio::test]
async fn bad_lines_are_named_and_strict_sends_nothing() {
    let ep = endpoint().await;
    let input = "{\"recordId\":\"a\",\"prompt\":\"one\"}\n{oops\n{\"recordId\":\"a\",\"prompt\":\"again\"}\n{\"recordId\":\"b\",\"prompt\":\"two\"}\n";
    let f = files(input);
    let strict = batch(
        &ep,
        &f.data,
        &f.input,
        &f.out,
        &["--model", HAIKU3, "--strict"],
    )
    .await;
    assert_eq!(strict.status.code(), Some(1));
    let said = stderr(&strict);
    assert!(said.contains("line 2: not JSON"), "{said}");
    assert!(
        said.contains("line 3: record id a repeats the record of line 1"),
        "{said}"
    );
    assert!(!f.out.exists(), "nothing written");
    assert_eq!(answered(&ep).await, 0, "nothing sent");

    let lax = batch(&ep, &f.data, &f.input, &f.out, &["--model", HAIKU3]).await;
    assert_eq!(
        lax.status.code(),
        Some(3),
        "lines were skipped: {}",
        stderr(&lax)
    );
    assert_eq!(ids(&lines(&f.out)).len(), 2);
    says(&lax, "2 input lines skipped");
}

#[tokio::test]
async fn an_output_of_another_input_is_refused_unless_forced() {
    let ep = endpoint().await;
    let f = files(&prompts(3));
    succeeded(&batch(&ep, &f.data, &f.input, &f.out, &["--model", HAIKU3]).await);
    let before = std::fs::read(&f.out).unwrap();
    let other = f.input.with_file_name("other.jsonl");
    std::fs::write(&other, "{\"recordId\":\"x\",\"prompt\":\"other\"}\n").unwrap();
    let refused = batch(&ep, &f.data, &other, &f.out, &["--model", HAIKU3]).await;
    assert_eq!(refused.status.code(), Some(1));
    says(&refused, "belongs to another run");
    assert_eq!(std::fs::read(&f.out).unwrap(), before, "left as it was");
    // The same input with another template asks other questions: another run too.
    let reworded = batch(
        &ep,
        &f.data,
        &f.input,
        &f.out,
        &["--model", HAIKU3, "--template", "In French: {prompt}"],
    )
    .await;
    assert_eq!(reworded.status.code(), Some(1));
    says(
        &reworded,
        "other --template, --system, --max-tokens or --temperature",
    );
    assert_eq!(std::fs::read(&f.out).unwrap(), before, "left as it was");
    let forced = batch(
        &ep,
        &f.data,
        &other,
        &f.out,
        &["--model", HAIKU3, "--force"],
    )
    .await;
    succeeded(&forced);
    let mut all = ids(&lines(&f.out));
    all.sort();
    assert_eq!(all, ["r0", "r1", "r2", "x"].map(String::from));
    // The same run again has nothing left to send.
    let again = batch(&ep, &f.data, &other, &f.out, &["--model", HAIKU3]).await;
    succeeded(&again);
    says(&again, "0 of 0 records finished");
}

#[tokio::test]
async fn a_dry_run_counts_and_prices_without_sending_or_writing() {
    let ep = endpoint().await;
    let f = files(&prompts(5));
    let out = batch(
        &ep,
        &f.data,
        &f.input,
        &f.out,
        &["--model", HAIKU3, "--max-tokens", "100", "--dry-run"],
    )
    .await;
    succeeded(&out);
    let said = String::from_utf8(out.stdout).unwrap();
    assert!(said.contains("to send      5"), "{said}");
    assert!(said.contains("max output   500 tokens"), "{said}");
    assert!(said.contains("cost         $"), "{said}");
    assert!(!f.out.exists());
    assert_eq!(answered(&ep).await, 0);
}

#[tokio::test]
async fn a_write_that_fails_stops_the_run_with_only_whole_lines_written() {
    use std::os::unix::process::CommandExt;
    let ep = endpoint().await;
    let f = files(&prompts(200));
    let args = ["--model", HAIKU3, "--max-tokens", "8"];
    let mut cmd = command(&ep, &f.data, &f.input, &f.out, &args);
    // A disk that fills at 20 kB: files may not grow past it (EFBIG instead of ENOSPC,
    // the same failed write), and the signal that would kill the process is ignored.
    unsafe {
        cmd.pre_exec(|| {
            use nix::sys::resource::{Resource, setrlimit};
            use nix::sys::signal::{SigHandler, Signal, signal};
            setrlimit(Resource::RLIMIT_FSIZE, 20_000, 20_000)?;
            signal(Signal::SIGXFSZ, SigHandler::SigIgn)?;
            Ok(())
        });
    }
    let full = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    assert_eq!(full.status.code(), Some(1), "{}", stderr(&full));
    says(&full, "run again to resume");
    let text = std::fs::read_to_string(&f.out).unwrap();
    assert!(
        text.len() <= 20_000 && text.ends_with('\n'),
        "whole lines only"
    );
    let written = lines(&f.out).len();
    assert!((1..200).contains(&written), "{written}");

    let out = batch(&ep, &f.data, &f.input, &f.out, &args).await;
    succeeded(&out);
    let ids: BTreeSet<String> = ids(&lines(&f.out)).into_iter().collect();
    assert_eq!(ids.len(), 200);
    assert_eq!(lines(&f.out).len(), 200, "no record twice");
}

#[tokio::test]
async fn a_second_ctrl_c_leaves_the_records_in_flight_to_the_next_run() {
    use std::io::BufRead;
    // Half a second a request: the second signal comes while requests are in flight.
    let slow = endpoint_with(Settings {
        pacing: Pacing {
            ttft: Duration::from_millis(500),
            tokens_per_second: None,
        },
        ..Settings::default()
    })
    .await;
    let f = files(&prompts(40));
    let args = ["--model", HAIKU3, "--max-tokens", "8", "--concurrency", "4"];
    let mut child = command(&slow, &f.data, &f.input, &f.out, &args)
        .spawn()
        .unwrap();
    let out = f.out.clone();
    let (code, said) = tokio::task::spawn_blocking(move || {
        let pid = nix::unistd::Pid::from_raw(child.id() as i32);
        let interrupt = || nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGINT).unwrap();
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        while std::fs::read(&out).map_or(0, |b| b.len()) == 0
            && std::time::Instant::now() < deadline
        {
            std::thread::sleep(Duration::from_millis(5));
        }
        interrupt();
        let mut said = String::new();
        let mut stderr = std::io::BufReader::new(child.stderr.take().unwrap());
        // The first signal was taken in once the run says it is stopping.
        while stderr.read_line(&mut said).unwrap() > 0 && !said.contains("stopping:") {}
        interrupt();
        let mut rest = String::new();
        std::io::Read::read_to_string(&mut stderr, &mut rest).unwrap();
        (child.wait().unwrap().code(), said + &rest)
    })
    .await
    .unwrap();
    assert_eq!(code, Some(130), "{said}");
    assert!(said.contains("left for the next run"), "{said}");
    let text = std::fs::read_to_string(&f.out).unwrap();
    assert!(text.ends_with('\n'), "only whole lines");
    let written = lines(&f.out).len();
    assert!(written < 40, "{written}");

    let ep = endpoint().await;
    let rerun = batch(&ep, &f.data, &f.input, &f.out, &args).await;
    succeeded(&rerun);
    assert_eq!(answered(&ep).await, 40 - written);
    let ids: BTreeSet<String> = ids(&lines(&f.out)).into_iter().collect();
    assert_eq!((ids.len(), lines(&f.out).len()), (40, 40));
}
