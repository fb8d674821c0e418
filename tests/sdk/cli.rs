//! The `serve-local` command: its first line names the URL, an SDK works against it,
//! and it stops cleanly on SIGTERM and SIGINT.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use super::*;

fn spawn(args: &[&str]) -> (std::process::Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_bedrock-tui"))
        .arg("serve-local")
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line.trim().rsplit(' ').next().unwrap().to_owned();
    assert!(
        line.starts_with("local Bedrock endpoint listening on http://127.0.0.1:"),
        "{line}"
    );
    (child, url)
}

fn signal(child: &std::process::Child, sig: &str) {
    let status = Command::new("kill")
        .args([sig, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

fn wait(mut child: std::process::Child) -> std::process::ExitStatus {
    for _ in 0..100 {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    panic!("serve-local did not stop");
}

#[tokio::test]
async fn serve_local_prints_its_url_serves_and_stops() {
    let dir = std::env::temp_dir().join(format!("bedrock-tui-test-{}", std::process::id()));
    let (child, url) = spawn(&[
        "--addr",
        "127.0.0.1:0",
        "--no-pacing",
        "--data-dir",
        dir.to_str().unwrap(),
    ]);
    let config = aws_sdk_bedrockruntime::Config::builder()
        .behavior_version(aws_sdk_bedrockruntime::config::BehaviorVersion::latest())
        .region(aws_sdk_bedrockruntime::config::Region::new("us-east-1"))
        .credentials_provider(aws_credential_types::Credentials::new(
            "AKIDCLI", "secret", None, None, "t",
        ))
        .endpoint_url(&url)
        .build();
    let c = aws_sdk_bedrockruntime::Client::from_conf(config);
    let out = c
        .converse()
        .model_id(HAIKU3)
        .messages(user("hello from the cli test"))
        .send()
        .await
        .unwrap();
    assert!(out.usage().unwrap().output_tokens() > 0);
    signal(&child, "-TERM");
    assert!(wait(child).success());
    let log = std::fs::read_to_string(dir.join("requests.jsonl")).unwrap();
    assert!(log.contains("\"operation\":\"Converse\""));
    assert!(!log.contains("AKIDCLI"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.join("requests.jsonl"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let _ = std::fs::remove_dir_all(&dir);

    let (child, _) = spawn(&["--addr", "127.0.0.1:0"]);
    signal(&child, "-INT");
    assert!(wait(child).success());
}

#[test]
fn bad_options_are_refused_with_a_clear_error() {
    let out = Command::new(env!("CARGO_BIN_EXE_bedrock-tui"))
        .args([
            "serve-local",
            "--addr",
            "127.0.0.1:0",
            "--fault-rate",
            "0.5",
            "--fault-kinds",
            "throttle,explode",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("unknown fault kind 'explode'"), "{err}");
    let out = Command::new(env!("CARGO_BIN_EXE_bedrock-tui"))
        .args(["serve-local", "--addr", "not-an-address"])
        .output()
        .unwrap();
    assert!(!out.status.success());
}

/// `bedrock-tui ARGS` as a new user runs it: a home of its own with nothing in it and
/// no AWS variable but the one that keeps the SDK from asking this machine's instance
/// metadata for a role (a credential source the test cannot empty).
pub fn bare(args: &[&str], home: &std::path::Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_bedrock-tui"));
    cmd.args(args)
        .env_clear()
        .env("HOME", home)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

#[test]
fn without_credentials_a_command_fails_and_names_the_choices() {
    let home = tempfile::tempdir().unwrap();
    for args in [
        &["ask", "hello"][..],
        &["ask", "--json", "hello"],
        &["count", "hello"],
        &["guardrail", "apply", "--id", "demo", "hello"],
        &["jobs", "list"],
        &["jobs", "get", "abc123"],
        &["jobs", "download", "abc123"],
        &[
            "jobs",
            "start",
            "--model",
            "amazon.nova-reel-v1:1",
            "--prompt",
            "A fox",
            "--output",
            "s3://videos/x",
        ],
    ] {
        let out = bare(args, home.path()).output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert!(out.stdout.is_empty(), "{args:?}: no simulated answer");
        let err = String::from_utf8_lossy(&out.stderr);
        for choice in [
            "no AWS credentials found",
            "aws sso login",
            "AWS_BEARER_TOKEN_BEDROCK",
            "--endpoint-url URL",
            "--local uses the built-in simulated model",
        ] {
            assert!(err.contains(choice), "{args:?}: {choice} in {err}");
        }
        assert_eq!(err.lines().count(), 1, "{args:?}: one plain line: {err}");
    }
    // Asked for, the simulated model answers.
    let out = bare(&["ask", "--local", "hello"], home.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!out.stdout.is_empty());
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_closed_stdout_ends_a_command_quietly() {
    let home = tempfile::tempdir().unwrap();
    let ssn = "My SSN is 123-45-6789";
    for (args, code) in [
        (&["models", "--local"][..], 0),
        (&["models", "--local", "--json"], 0),
        (&["ask", "--local", "--json", "hello"], 0),
        (&["ask", "--local", "hello"], 0),
        (&["count", "--local", "hello"], 0),
        (&["count", "--local", "--json", "hello"], 0),
        (&["--print-default-config"], 0),
        // A guardrail's verdict is still its exit code.
        (&["guardrail", "apply", "--local", "--id", "demo", ssn], 2),
    ] {
        // The reader is gone before the command writes anything.
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let out = bare(args, home.path()).stdout(writer).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            (out.status.code(), err.as_ref()),
            (Some(code), ""),
            "{args:?}"
        );
    }
}

#[test]
fn serve_local_on_every_interface_warns_and_prints_a_url_a_client_can_use() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_bedrock-tui"))
        .args(["serve-local", "--addr", "0.0.0.0:0", "--no-pacing"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    let _ = BufReader::new(child.stdout.take().unwrap()).read_line(&mut line);
    // The URL answers (checked before the server is stopped, asserted after).
    let url = line.trim().rsplit(' ').next().unwrap_or("").to_owned();
    let reachable = url
        .strip_prefix("http://")
        .is_some_and(|a| std::net::TcpStream::connect(a).is_ok());
    signal(&child, "-TERM");
    let mut err = String::new();
    let _ = std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err);
    assert!(wait(child).success());
    assert!(
        line.starts_with("local Bedrock endpoint listening on http://127.0.0.1:"),
        "{line}"
    );
    assert!(reachable && !url.ends_with(":0"), "{url}");
    assert!(err.contains("listening on 0.0.0.0:"), "{err}");
    assert!(err.contains("beyond this machine"), "{err}");

    // Loopback says nothing.
    let (mut child, _) = spawn(&["--addr", "127.0.0.1:0"]);
    signal(&child, "-TERM");
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
    assert!(wait(child).success());
    assert_eq!(err, "");
}
