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

/// The release binary at 120x40 in `home`, chatting with `model` at `url`, writing
/// every frame's draw time to `stats`, with a 400-token answer on screen so frames draw
/// real content.
pub fn chat_with_answer(
    url: &str,
    model: &str,
    home: &std::path::Path,
    stats: &std::path::Path,
) -> pty::Pty {
    use std::io::Write;
    let mut p = pty::spawn_env(
        &[
            "--endpoint-url",
            url,
            "--region",
            "us-east-1",
            "--model",
            model,
        ],
        home,
        40,
        120,
        &[("BEDROCK_TUI_FRAME_STATS", stats.as_os_str())],
    )
    .expect("spawn");
    wait_for(&p, "F1 help", Duration::from_secs(30));
    p.writer
        .write_all(b"Explain ownership in Rust [[tokens:400]]\r")
        .expect("type");
    p.writer.flush().expect("flush");
    wait_for(&p, "Let me know", Duration::from_secs(30));
    std::thread::sleep(Duration::from_millis(800));
    p
}
