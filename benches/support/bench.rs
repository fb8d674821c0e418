//! What the benchmarks that drive the real binary share: fresh homes, the local
//! endpoint in-process, and waiting for the screen.
// Each benchmark mounts this file and uses a part of it.
#![allow(dead_code)]

use std::time::{Duration, Instant};

use bedrock_tui::local::{LocalEndpoint, Settings};

#[path = "../../tests/support/pty.rs"]
pub mod pty;

/// An empty folder for a home, named after the benchmark, the process and `tag`.
pub fn home(bench: &str, tag: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("bedrock-tui-{bench}-{}-{tag}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}

/// The local endpoint on a free port, served by `runtime`.
pub fn endpoint(runtime: &tokio::runtime::Runtime, settings: Settings) -> LocalEndpoint {
    runtime
        .block_on(LocalEndpoint::start(
            "127.0.0.1:0".parse().expect("addr"),
            settings,
        ))
        .expect("endpoint")
}

/// Waits until the screen shows `text`; gives up after `limit`.
pub fn wait_for(p: &pty::Pty, text: &str, limit: Duration) {
    let start = Instant::now();
    while !p.screen().contains(text) {
        assert!(start.elapsed() < limit, "no {text:?}: {}", p.screen());
        std::thread::sleep(Duration::from_millis(10));
    }
}
