//! End-to-end tests: the real binary in a pseudo-terminal against a local endpoint,
//! typed at like a person would, read back through a vt100 screen.

mod chat;

use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bedrock_tui::local::{LocalEndpoint, Pacing, Settings};
use portable_pty::{CommandBuilder, PtySize, native_pty_system};

pub struct Tui {
    parser: Arc<Mutex<vt100::Parser>>,
    writer: Box<dyn Write + Send>,
    child: Box<dyn portable_pty::Child + Send + Sync>,
    pub home: std::path::PathBuf,
}

pub async fn endpoint(tokens_per_second: f64) -> LocalEndpoint {
    let settings = Settings {
        pacing: Pacing {
            ttft: Duration::ZERO,
            tokens_per_second: Some(tokens_per_second),
        },
        ..Settings::default()
    };
    LocalEndpoint::start("127.0.0.1:0".parse().unwrap(), settings)
        .await
        .unwrap()
}

impl Tui {
    /// Starts `bedrock-tui ARGS` at 120x40 with a fresh home directory.
    pub fn start(args: &[&str], home: Option<std::path::PathBuf>) -> Tui {
        let pty = native_pty_system()
            .openpty(PtySize {
                rows: 40,
                cols: 120,
                pixel_width: 0,
                pixel_height: 0,
            })
            .unwrap();
        let home = home.unwrap_or_else(|| {
            let d = std::env::temp_dir().join(format!(
                "bedrock-tui-e2e-{}-{}",
                std::process::id(),
                rand_suffix()
            ));
            std::fs::create_dir_all(&d).unwrap();
            d
        });
        let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_bedrock-tui"));
        cmd.args(args);
        cmd.env("TERM", "xterm-256color");
        cmd.env("HOME", &home);
        cmd.env("XDG_DATA_HOME", home.join("data"));
        cmd.env("XDG_CONFIG_HOME", home.join("config"));
        cmd.env("AWS_EC2_METADATA_DISABLED", "true");
        cmd.env("AWS_CONFIG_FILE", home.join("aws-config"));
        cmd.env("AWS_SHARED_CREDENTIALS_FILE", home.join("aws-credentials"));
        cmd.env_remove("AWS_PROFILE");
        cmd.env_remove("AWS_ACCESS_KEY_ID");
        let child = pty.slave.spawn_command(cmd).unwrap();
        drop(pty.slave);
        let parser = Arc::new(Mutex::new(vt100::Parser::new(40, 120, 0)));
        let mut reader = pty.master.try_clone_reader().unwrap();
        let p = parser.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                p.lock().unwrap().process(&buf[..n]);
            }
        });
        let writer = pty.master.take_writer().unwrap();
        // The master must outlive the child, or the child gets SIGHUP.
        std::mem::forget(pty.master);
        Tui {
            parser,
            writer,
            child,
            home,
        }
    }

    pub fn screen(&self) -> String {
        self.parser.lock().unwrap().screen().contents()
    }

    /// Waits until the screen contains `text` and has stopped changing.
    pub async fn wait_for(&self, text: &str) -> String {
        self.wait(text, true).await
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

    pub fn keys(&mut self, bytes: &str) {
        self.writer.write_all(bytes.as_bytes()).unwrap();
        self.writer.flush().unwrap();
    }

    /// Types `text` and presses Enter.
    pub async fn send(&mut self, text: &str) {
        self.keys(text);
        tokio::time::sleep(Duration::from_millis(50)).await;
        self.keys("\r");
    }

    pub async fn exit_status(mut self) -> portable_pty::ExitStatus {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(s) = self.child.try_wait().unwrap() {
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

fn rand_suffix() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0)
}
