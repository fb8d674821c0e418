//! Runs the real binary in a pseudo-terminal with a home of its own (no config, no AWS
//! credentials) and keeps a vt100 screen of what it draws. Shared by the end-to-end
//! tests and the startup benchmark.

// Each program that includes this module uses a different part of it.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::path::Path;
use std::sync::{Arc, Mutex};

use portable_pty::{CommandBuilder, PtySize, native_pty_system};

pub struct Pty {
    pub parser: Arc<Mutex<vt100::Parser>>,
    /// Every byte the program wrote to the terminal.
    pub raw: Arc<Mutex<Vec<u8>>>,
    pub writer: Box<dyn Write + Send>,
    pub child: Box<dyn portable_pty::Child + Send + Sync>,
    /// The master side; dropping it hangs up on the child.
    pub master: Box<dyn portable_pty::MasterPty + Send>,
}

/// Starts `bedrock-tui ARGS` at `rows` x `cols` with `home` as its home directory.
pub fn spawn(args: &[&str], home: &Path, rows: u16, cols: u16) -> anyhow::Result<Pty> {
    spawn_env(args, home, rows, cols, &[])
}

/// [`spawn`] with more environment variables.
pub fn spawn_env(
    args: &[&str],
    home: &Path,
    rows: u16,
    cols: u16,
    env: &[(&str, &std::ffi::OsStr)],
) -> anyhow::Result<Pty> {
    let pty = native_pty_system().openpty(PtySize {
        rows,
        cols,
        pixel_width: 0,
        pixel_height: 0,
    })?;
    let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_bedrock-tui"));
    cmd.args(args);
    cmd.env("TERM", "xterm-256color");
    cmd.env("HOME", home);
    // Run where nothing but the test's own files are: `@` completion lists them.
    cmd.cwd(home);
    cmd.env("XDG_DATA_HOME", home.join("data"));
    cmd.env("XDG_CONFIG_HOME", home.join("config"));
    cmd.env("XDG_CACHE_HOME", home.join("cache"));
    cmd.env("AWS_EC2_METADATA_DISABLED", "true");
    cmd.env("AWS_CONFIG_FILE", home.join("aws-config"));
    cmd.env("AWS_SHARED_CREDENTIALS_FILE", home.join("aws-credentials"));
    for var in [
        "AWS_PROFILE",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_BEARER_TOKEN_BEDROCK",
        "AWS_CA_BUNDLE",
        "AWS_ENDPOINT_URL",
        "AWS_ENDPOINT_URL_BEDROCK_RUNTIME",
        "BEDROCK_TUI_CONFIG",
    ] {
        cmd.env_remove(var);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    let parser = Arc::new(Mutex::new(vt100::Parser::new(rows, cols, 0)));
    let mut reader = pty.master.try_clone_reader()?;
    let child = pty.slave.spawn_command(cmd)?;
    drop(pty.slave);
    let p = parser.clone();
    let raw = Arc::new(Mutex::new(Vec::new()));
    let r = raw.clone();
    std::thread::spawn(move || {
        let mut buf = [0u8; 16384];
        while let Ok(n) = reader.read(&mut buf) {
            if n == 0 {
                break;
            }
            if let Ok(mut p) = p.lock() {
                p.process(&buf[..n]);
            }
            if let Ok(mut r) = r.lock() {
                r.extend_from_slice(&buf[..n]);
            }
        }
    });
    let writer = pty.master.take_writer()?;
    Ok(Pty {
        parser,
        raw,
        writer,
        child,
        master: pty.master,
    })
}

impl Pty {
    pub fn screen(&self) -> String {
        self.parser
            .lock()
            .map(|p| p.screen().contents())
            .unwrap_or_default()
    }
}
