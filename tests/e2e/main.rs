//! End-to-end tests: the real binary in a pseudo-terminal against a local endpoint,
//! typed at like a person would, read back through a vt100 screen.

mod attach;
mod auth;
mod batch;
mod cancel;
mod chat;
mod cli;
mod compare;
mod copy;
mod escapes;
mod exit;
mod failover;
mod guardrail;
mod history;
mod input;
mod inspect;
mod jobs;
mod meter;
mod tools;

use std::io::Write;
use std::time::{Duration, Instant};

use bedrock_tui::local::{LocalEndpoint, Pacing, Settings};

#[path = "../support/pty.rs"]
mod pty;

pub struct Tui {
    pty: pty::Pty,
    pub home: std::path::PathBuf,
}

pub async fn endpoint(tokens_per_second: f64) -> LocalEndpoint {
    endpoint_with(Settings {
        pacing: Pacing {
            ttft: Duration::ZERO,
            tokens_per_second: Some(tokens_per_second),
        },
        ..Settings::default()
    })
    .await
}

/// An endpoint with `settings`, answering at 4,000 tokens/s unless they pace it.
pub async fn endpoint_with(settings: Settings) -> LocalEndpoint {
    let settings = if settings.pacing == Settings::default().pacing {
        Settings {
            pacing: Pacing {
                ttft: Duration::ZERO,
                tokens_per_second: Some(4000.0),
            },
            ..settings
        }
    } else {
        settings
    };
    LocalEndpoint::start("127.0.0.1:0".parse().unwrap(), settings)
        .await
        .unwrap()
}

impl Tui {
    /// Starts `bedrock-tui ARGS` at 120x40 with a fresh home directory.
    pub fn start(args: &[&str], home: Option<std::path::PathBuf>) -> Tui {
        let home = home.unwrap_or_else(|| {
            let d = std::env::temp_dir().join(format!(
                "bedrock-tui-e2e-{}-{}",
                std::process::id(),
                rand_suffix()
            ));
            std::fs::create_dir_all(&d).unwrap();
            d
        });
        let pty = pty::spawn(args, &home, 40, 120).unwrap();
        Tui { pty, home }
    }

    /// [`Tui::start`] on `home` with more environment variables.
    pub fn start_env(
        args: &[&str],
        home: std::path::PathBuf,
        env: &[(&str, &std::ffi::OsStr)],
    ) -> Tui {
        let pty = pty::spawn_env(args, &home, 40, 120, env).unwrap();
        Tui { pty, home }
    }

    /// Starts the chat with `model` against the endpoint at `url` and waits until it
    /// is up.
    pub async fn chat(url: &str, model: &str) -> Tui {
        let tui = Tui::start(
            &[
                "--endpoint-url",
                url,
                "--region",
                "us-east-1",
                "--model",
                model,
            ],
            None,
        );
        tui.wait_for("F1 help").await;
        tui
    }

    pub fn screen(&self) -> String {
        self.pty.screen()
    }

    /// Waits until the screen contains `text` and has stopped changing.
    pub async fn wait_for(&self, text: &str) -> String {
        self.wait(text, true).await
    }

    /// Waits until the screen contains every one of `texts` and has stopped changing.
    pub async fn wait_for_all(&self, texts: &[&str]) -> String {
        loop {
            let s = self.wait_for(texts[0]).await;
            match texts.iter().find(|t| !s.contains(**t)) {
                None => return s,
                Some(missing) => {
                    self.wait_for(missing).await;
                }
            }
        }
    }

    /// Waits until the screen contains `text`, even while it keeps changing (streaming).
    pub async fn wait_for_now(&self, text: &str) -> String {
        self.wait(text, false).await
    }

    async fn wait(&self, text: &str, stable: bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut last = String::new();
        let mut stable_since = Instant::now();
        loop {
            let s = self.screen();
            if s != last {
                last = s.clone();
                stable_since = Instant::now();
            }
            if s.contains(text) && (!stable || stable_since.elapsed() > Duration::from_millis(150))
            {
                return s;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {text:?}; screen:\n{s}"
            );
            tokio::time::sleep(Duration::from_millis(30)).await;
        }
    }

    /// Sends `signal` to the app, as `kill` would.
    pub fn signal(&self, signal: nix::sys::signal::Signal) {
        let pid = self.pty.child.process_id().expect("the app runs");
        nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid as i32), signal).unwrap();
    }

    /// The terminal as the app left it: the screen's modes, and the line discipline.
    pub fn terminal(&self) -> (vt100::Screen, Option<nix::sys::termios::Termios>) {
        let screen = self.pty.parser.lock().unwrap().screen().clone();
        (screen, self.pty.master.get_termios())
    }

    /// Every byte the app has written to the terminal so far.
    pub fn raw(&self) -> Vec<u8> {
        self.pty.raw.lock().unwrap().clone()
    }

    /// Pastes `text` as a terminal with bracketed paste does.
    pub fn paste(&mut self, text: &str) {
        self.keys(&format!("\x1b[200~{text}\x1b[201~"));
    }

    pub fn keys(&mut self, bytes: &str) {
        self.pty.writer.write_all(bytes.as_bytes()).unwrap();
        self.pty.writer.flush().unwrap();
    }

    /// Types `text` and presses Enter.
    pub async fn send(&mut self, text: &str) {
        self.keys(text);
        tokio::time::sleep(Duration::from_millis(50)).await;
        self.keys("\r");
    }

    /// Quits with Ctrl+C (which must succeed) and starts again on the same home with
    /// `--continue`, against `url`.
    pub async fn quit_and_resume(mut self, url: &str) -> Tui {
        self.keys("\x03");
        let home = self.home.clone();
        let status = self.exit_status().await;
        assert!(status.success(), "{status:?}");
        Tui::start(
            &["--endpoint-url", url, "--region", "us-east-1", "--continue"],
            Some(home),
        )
    }

    pub async fn exit_status(mut self) -> portable_pty::ExitStatus {
        self.exited().await
    }

    /// Waits for the app to exit, keeping what it left on the terminal to inspect.
    pub async fn exited(&mut self) -> portable_pty::ExitStatus {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(s) = self.pty.child.try_wait().unwrap() {
                return s;
            }
            assert!(
                Instant::now() < deadline,
                "the app did not exit; screen:\n{}",
                self.screen()
            );
            tokio::time::sleep(Duration::from_millis(30)).await;
        }
    }
}

/// A fresh home whose config file is `config`, with HOME in it replaced by the home.
pub fn config_home(config: &str) -> std::path::PathBuf {
    let home = std::env::temp_dir().join(format!(
        "bedrock-tui-e2e-cfg-{}-{}",
        std::process::id(),
        rand_suffix()
    ));
    let dir = home.join("config").join("bedrock-tui");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("config.toml"),
        config.replace("HOME", &home.to_string_lossy()),
    )
    .unwrap();
    home
}

fn rand_suffix() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0)
}

/// The local endpoint's request log: one JSON object per request, oldest first.
pub async fn request_log(url: &str) -> Vec<serde_json::Value> {
    let body = http_get(&format!("{url}/_local/requests")).await;
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    v["requests"].as_array().cloned().unwrap_or_default()
}

/// The body of a plain-HTTP GET of `url` (a loopback endpoint).
pub async fn http_get(url: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let rest = url.strip_prefix("http://").expect("a plain-HTTP URL");
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let mut s = tokio::net::TcpStream::connect(authority).await.unwrap();
    let req = format!("GET {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n");
    s.write_all(req.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).await.unwrap();
    let text = String::from_utf8_lossy(&out).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        dechunk(body)
    } else {
        body.to_owned()
    }
}

fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 {
            break;
        }
        out.push_str(&rest[..n]);
        body = rest[n..].trim_start_matches("\r\n");
    }
    out
}

/// An `$EDITOR` (and `$VISUAL`) running a shell script of `body` on the file, written
/// into `home`; the environment to start the app with.
pub fn editor_env(home: &std::path::Path, body: &str) -> Vec<(&'static str, std::ffi::OsString)> {
    let editor = home.join("editor.sh");
    std::fs::write(&editor, format!("#!/bin/sh\n{body}\n")).unwrap();
    let command = std::ffi::OsString::from(format!("sh {}", editor.display()));
    vec![("EDITOR", command.clone()), ("VISUAL", command)]
}
