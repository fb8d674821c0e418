//! The runner against real MCP servers from the registries: the reference
//! `@modelcontextprotocol/server-everything` (npm; over stdio and streamable HTTP) and
//! `mcp-server-time` (PyPI). `./scripts/test` installs both before the Rust tests;
//! without them these tests fail and say so.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use bedrock_tui::runner::{Event, Runner};
use bedrock_tui::tools::{Content, McpServer, ServerState, Settings, Source, Tool, Transport};
use serde_json::json;
use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};

/// How long any one wait in these tests may take before it fails.
const WAIT: Duration = Duration::from_secs(20);

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn installed(path: PathBuf, what: &str) -> String {
    assert!(
        path.exists(),
        "{what} is not installed at {}: run ./scripts/test, which installs it",
        path.display()
    );
    path.display().to_string()
}

/// The server-everything script, run with `node`.
pub fn everything_js() -> String {
    installed(
        root().join("tests/mcp/node_modules/@modelcontextprotocol/server-everything/dist/index.js"),
        "@modelcontextprotocol/server-everything (npm, tests/mcp)",
    )
}

pub fn time_server() -> String {
    installed(
        root().join("target/test-venv/bin/mcp-server-time"),
        "mcp-server-time (PyPI, tests/mcp/requirements.txt)",
    )
}

fn stdio(name: &str, command: &str, args: &[&str]) -> McpServer {
    McpServer {
        name: name.into(),
        transport: Transport::Stdio {
            command: command.into(),
            args: args.iter().map(|a| a.to_string()).collect(),
            env: BTreeMap::new(),
            cwd: None,
        },
        timeout: Duration::from_secs(10),
        auto_approve: vec!["echo".into()],
    }
}

fn everything() -> McpServer {
    stdio("everything", "node", &[&everything_js(), "stdio"])
}

fn time() -> McpServer {
    stdio("time", &time_server(), &[])
}

/// A server started through `sh`, which first writes its pid (its process group's
/// too) to `pidfile`; `pipe` goes between the app and the server, if given.
fn wrapped(name: &str, server: &str, pidfile: &Path, pipe: &str) -> McpServer {
    let script = format!("echo $$ > '{}'; {pipe} exec {server}", pidfile.display());
    stdio(name, "sh", &["-c", &script])
}

fn start(servers: Vec<McpServer>) -> (Runner, Events) {
    let settings = Settings {
        servers,
        ..Settings::default()
    };
    let (tx, rx) = unbounded_channel();
    (
        Runner::start(&settings, tx),
        Events {
            rx,
            tools: BTreeMap::new(),
            readies: BTreeMap::new(),
        },
    )
}

struct Events {
    rx: UnboundedReceiver<Event>,
    /// Each server's tools as last reported Ready.
    tools: BTreeMap<String, Vec<Tool>>,
    /// How many times each server was reported Ready.
    readies: BTreeMap<String, usize>,
}

impl Events {
    /// The next event, within `WAIT`.
    async fn next(&mut self) -> (String, ServerState, Vec<Tool>) {
        let event = tokio::time::timeout(WAIT, self.rx.recv())
            .await
            .expect("an event in time")
            .expect("the runner is running");
        let Event::Server { name, state, tools } = event;
        if state == ServerState::Ready {
            self.tools.insert(name.clone(), tools.clone());
            *self.readies.entry(name.clone()).or_default() += 1;
        }
        (name, state, tools)
    }

    /// Waits until every one of `names` is Ready; a Failed one fails the test.
    async fn ready(&mut self, names: &[&str]) {
        while !names.iter().all(|n| self.tools.contains_key(*n)) {
            let (name, state, _) = self.next().await;
            if let ServerState::Failed(why) = state {
                panic!("{name} failed: {why}");
            }
        }
    }

    /// Waits for `server` to fail and says why.
    async fn failed(&mut self, server: &str) -> String {
        loop {
            if let (name, ServerState::Failed(why), _) = self.next().await
                && name == server
            {
                return why;
            }
        }
    }

    fn names(&self, server: &str) -> Vec<String> {
        self.tools[server]
            .iter()
            .map(|t| t.spec.name.clone())
            .collect()
    }
}

fn text(out: &bedrock_tui::tools::Output) -> String {
    out.joined()
}

#[tokio::test]
async fn both_servers_start_list_their_tools_and_answer() {
    let (runner, mut events) = start(vec![everything(), time()]);
    events.ready(&["everything", "time"]).await;

    let time_tools = events.names("time");
    assert!(
        time_tools.contains(&"time__get_current_time".to_owned()),
        "{time_tools:?}"
    );
    assert!(time_tools.contains(&"time__convert_time".to_owned()));
    let names = events.names("everything");
    for t in [
        "everything__echo",
        "everything__get-sum",
        "everything__trigger-long-running-operation",
    ] {
        assert!(names.contains(&t.to_owned()), "{t} missing from {names:?}");
    }
    let echo = events.tools["everything"]
        .iter()
        .find(|t| t.spec.name == "everything__echo")
        .unwrap();
    assert_eq!(
        echo.source,
        Source::Mcp {
            server: "everything".into(),
            remote: "echo".into()
        }
    );
    assert!(echo.auto_approve);
    assert_eq!(echo.spec.input_schema["type"], "object");
    assert!(!echo.spec.description.is_empty());
    assert!(
        events.tools["time"].iter().all(|t| !t.auto_approve),
        "only echo is approved"
    );

    let out = runner
        .call("everything__echo", json!({"message": "hello"}))
        .await;
    assert!(!out.error, "{out:?}");
    assert_eq!(text(&out), "Echo: hello");

    let out = runner
        .call("time__get_current_time", json!({"timezone": "Asia/Tokyo"}))
        .await;
    assert!(!out.error, "{out:?}");
    let json = out
        .content
        .iter()
        .find_map(|c| match c {
            Content::Json(v) => Some(v.clone()),
            Content::Text(_) => None,
        })
        .unwrap_or_else(|| serde_json::from_str(&text(&out)).expect("JSON"));
    assert_eq!(json["timezone"], "Asia/Tokyo");
    assert!(
        json["datetime"].as_str().unwrap().ends_with("+09:00"),
        "{json}"
    );

    // A tool's own error is an error result, with the server's words.
    let out = runner
        .call("time__get_current_time", json!({"timezone": "Not/AZone"}))
        .await;
    assert!(out.error, "{out:?}");
    assert!(text(&out).contains("Not/AZone"), "{out:?}");

    // What is not text or JSON is described.
    let out = runner.call("everything__get-tiny-image", json!({})).await;
    assert!(!out.error, "{out:?}");
    assert!(text(&out).contains("[image: image/png"), "{out:?}");

    // Names the runner does not know.
    let out = runner.call("time__no_such_tool", json!({})).await;
    assert!(out.error);
    assert!(text(&out).contains("has no tool"), "{out:?}");
    let out = runner.call("nothing__echo", json!({})).await;
    assert!(out.error);
    assert!(
        text(&out).contains("no tool named 'nothing__echo'"),
        "{out:?}"
    );

    // The reference server adds a tool once initialized, and says the list changed.
    // The reference server registers a tool once initialized and sends
    // notifications/tools/list_changed: the list is read again and reported again.
    while events.readies.get("everything").copied().unwrap_or(0) < 2 {
        events.next().await;
    }
    assert!(
        events
            .names("everything")
            .contains(&"everything__simulate-research-query".to_owned())
    );
    runner.shutdown().await;
}

#[tokio::test]
async fn streamable_http() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut server = tokio::process::Command::new("node")
        .args([&everything_js(), "streamableHttp"])
        .env("PORT", port.to_string())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("node starts");
    let deadline = Instant::now() + WAIT;
    while tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_err()
    {
        assert!(
            Instant::now() < deadline,
            "server-everything never listened"
        );
        assert!(
            server.try_wait().unwrap().is_none(),
            "server-everything exited"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let http = McpServer {
        name: "web".into(),
        transport: Transport::Http {
            url: format!("http://127.0.0.1:{port}/mcp"),
            headers: BTreeMap::from([("X-Test".into(), "yes".into())]),
        },
        timeout: Duration::from_secs(10),
        auto_approve: vec![],
    };
    let (runner, mut events) = start(vec![http]);
    events.ready(&["web"]).await;
    assert!(events.names("web").contains(&"web__echo".to_owned()));
    let out = runner
        .call("web__echo", json!({"message": "over http"}))
        .await;
    assert_eq!(text(&out), "Echo: over http", "{out:?}");
    let out = runner.call("web__get-sum", json!({"a": 2, "b": 40})).await;
    assert!(!out.error, "{out:?}");
    assert!(text(&out).contains("42"), "{out:?}");
    runner.shutdown().await;
    server.kill().await.unwrap();
}

#[tokio::test]
async fn servers_that_cannot_start_fail_with_a_message() {
    let (runner, mut events) = start(vec![
        stdio("missing", "/nonexistent/mcp-server", &[]),
        stdio(
            "crashing",
            "sh",
            &["-c", "echo 'boom: no config' >&2; exit 1"],
        ),
    ]);
    let mut why = BTreeMap::new();
    while why.len() < 2 {
        let (name, state, tools) = events.next().await;
        assert!(tools.is_empty());
        match state {
            ServerState::Failed(m) => {
                why.insert(name, m);
            }
            ServerState::Starting => {}
            ServerState::Ready => panic!("{name} is ready"),
        }
    }
    assert!(
        why["missing"].contains("cannot start '/nonexistent/mcp-server'"),
        "{why:?}"
    );
    assert!(why["crashing"].ends_with("boom: no config"), "{why:?}");
    let out = runner.call("crashing__anything", json!({})).await;
    assert!(out.error);
    assert!(text(&out).contains("boom: no config"), "{out:?}");
    runner.shutdown().await;
}

#[tokio::test]
async fn a_server_killed_mid_session_fails_and_the_others_go_on() {
    let dir = tempfile::tempdir().unwrap();
    let pidfile = dir.path().join("time.pid");
    let (runner, mut events) = start(vec![
        wrapped("time", &format!("'{}'", time_server()), &pidfile, ""),
        everything(),
    ]);
    events.ready(&["time", "everything"]).await;
    let out = runner
        .call("time__get_current_time", json!({"timezone": "Etc/UTC"}))
        .await;
    assert!(!out.error, "{out:?}");

    let pid: i32 = std::fs::read_to_string(&pidfile)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), nix::sys::signal::SIGKILL).unwrap();

    let out = runner
        .call("time__get_current_time", json!({"timezone": "Etc/UTC"}))
        .await;
    assert!(out.error, "{out:?}");
    assert!(text(&out).contains("MCP server 'time'"), "{out:?}");
    let why = events.failed("time").await;
    assert!(why.contains("stopped"), "{why}");
    let out = runner
        .call("time__get_current_time", json!({"timezone": "Etc/UTC"}))
        .await;
    assert!(out.error);
    assert!(text(&out).contains("not available"), "{out:?}");

    let out = runner
        .call("everything__echo", json!({"message": "still here"}))
        .await;
    assert_eq!(text(&out), "Echo: still here", "{out:?}");
    runner.shutdown().await;
}

#[tokio::test]
async fn dropping_a_call_cancels_it_and_a_slow_call_times_out() {
    let dir = tempfile::tempdir().unwrap();
    let pidfile = dir.path().join("everything.pid");
    let log = dir.path().join("to-server.jsonl");
    std::fs::write(&log, "").unwrap();
    // `tee` keeps a copy of what the app sends, to see the cancellation arrive.
    let mut server = wrapped(
        "everything",
        &format!("node '{}' stdio", everything_js()),
        &pidfile,
        &format!("tee '{}' |", log.display()),
    );
    server.timeout = Duration::from_millis(1500);
    let (runner, mut events) = start(vec![server]);
    events.ready(&["everything"]).await;
    let sent = |what: &str| std::fs::read_to_string(&log).unwrap().matches(what).count();

    let long = json!({"duration": 30, "steps": 30});
    let mut call =
        Box::pin(runner.call("everything__trigger-long-running-operation", long.clone()));
    let deadline = Instant::now() + WAIT;
    while sent("trigger-long-running-operation") == 0 {
        assert!(Instant::now() < deadline, "the call was never sent");
        tokio::select! {
            out = &mut call => panic!("the call ended: {out:?}"),
            () = tokio::time::sleep(Duration::from_millis(20)) => {}
        }
    }
    drop(call);
    until("notifications/cancelled is sent", || {
        sent("notifications/cancelled") == 1
    })
    .await;

    let started = Instant::now();
    let out = runner
        .call("everything__trigger-long-running-operation", long)
        .await;
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(out.error);
    assert!(text(&out).contains("did not answer"), "{out:?}");
    assert!(text(&out).contains("within 1.5 s"), "{out:?}");
    until("the timed-out call is cancelled", || {
        sent("notifications/cancelled") == 2
    })
    .await;

    let out = runner
        .call("everything__echo", json!({"message": "ok"}))
        .await;
    assert_eq!(text(&out), "Echo: ok", "{out:?}");

    // Shutting down ends the server's whole process group.
    let pid: i32 = std::fs::read_to_string(&pidfile)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    runner.shutdown().await;
    until("the server's processes end", || !group_alive(pid)).await;
}

/// Waits until `done`, failing the test after `WAIT`.
async fn until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + WAIT;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Whether a process of group `pgid` still runs (exited ones waiting to be reaped
/// do not count).
fn group_alive(pgid: i32) -> bool {
    let Ok(procs) = std::fs::read_dir("/proc") else {
        return false;
    };
    procs.flatten().any(|p| {
        let Ok(stat) = std::fs::read_to_string(p.path().join("stat")) else {
            return false;
        };
        // After the command's name: state, ppid, pgrp.
        let Some((_, rest)) = stat.rsplit_once(')') else {
            return false;
        };
        let fields: Vec<&str> = rest.split_whitespace().collect();
        fields.len() > 2 && fields[2] == pgid.to_string() && !matches!(fields[0], "Z" | "X")
    })
}
