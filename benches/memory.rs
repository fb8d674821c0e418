//! Resident memory of the real binary: `cargo bench --bench memory`.
//!
//! Starts `bedrock-tui` (release build) in a 120x40 pseudo-terminal against the local
//! endpoint (started in-process, pacing off) and reads the process's resident set size
//! (`VmRSS` in `/proc/PID/status`) at each stage: started, after a first answer (one
//! with a code block), after a 64,000-token answer, and after `--continue` on stored
//! conversations of 1,000 and 10,000 messages. Each figure is read once the screen has
//! stopped changing for a second.

use std::io::Write;
use std::time::{Duration, Instant};

use bedrock_tui::local::{Pacing, Settings};
use bench::pty;

#[path = "support/bench.rs"]
mod bench;
#[path = "support/stored.rs"]
mod stored;

const MODEL: &str = "anthropic.claude-haiku-4-5-20251001-v1:0";

/// Waits until the screen shows `text` and has not changed for a second.
fn settle(p: &pty::Pty, text: &str) {
    let start = Instant::now();
    let (mut last, mut since) = (String::new(), Instant::now());
    loop {
        let s = p.screen();
        if s != last {
            last = s.clone();
            since = Instant::now();
        }
        if s.contains(text) && since.elapsed() > Duration::from_secs(1) {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(300),
            "no {text:?}: {s}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The resident set size of the process, in MB.
fn rss_mb(p: &pty::Pty) -> f64 {
    let pid = p.child.process_id().expect("pid");
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("status");
    let kb: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .expect("VmRSS");
    kb / 1024.0
}

fn send(p: &mut pty::Pty, text: &str) {
    p.writer.write_all(text.as_bytes()).expect("type");
    p.writer.write_all(b"\r").expect("enter");
    p.writer.flush().expect("flush");
}

fn quit(mut p: pty::Pty) {
    let _ = p.writer.write_all(b"\x03");
    let _ = p.writer.flush();
    let _ = p.child.wait();
}

fn chat(url: &str, home: &std::path::Path, extra: &[&str]) -> pty::Pty {
    let mut args = vec![
        "--endpoint-url",
        url,
        "--region",
        "us-east-1",
        "--model",
        MODEL,
    ];
    args.extend_from_slice(extra);
    pty::spawn(&args, home, 40, 120).expect("spawn")
}

/// A home whose history holds one conversation of `n` messages, the latest.
fn stored(n: u32) -> std::path::PathBuf {
    let h = bench::home("memory", &format!("stored-{n}"));
    stored::conversation(&h, n, None);
    h
}

fn main() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let settings = Settings {
        pacing: Pacing::OFF,
        ..Settings::default()
    };
    let ep = bench::endpoint(&runtime, settings);
    let url = ep.url();
    println!("| stage | RSS |");
    println!("|---|---:|");

    let fresh = bench::home("memory", "fresh");
    let mut p = chat(&url, &fresh, &[]);
    settle(&p, "F1 help");
    println!("| started | {:.1} MB |", rss_mb(&p));
    send(&mut p, "How do I reverse a list in Python?");
    settle(&p, "Let me know");
    let first = rss_mb(&p);
    println!("| after a first answer, with a code block | {first:.1} MB |");
    send(&mut p, "Tell me everything about Rust [[tokens:64000]]");
    settle(&p, "out 64,000");
    let long = rss_mb(&p);
    println!(
        "| after a 64,000-token answer | {long:.1} MB (+{:.1} MB) |",
        long - first
    );
    quit(p);

    for n in [1_000, 10_000] {
        let h = stored(n);
        let p = chat(&url, &h, &["--continue"]);
        settle(&p, "Continuing");
        println!(
            "| --continue on {} messages | {:.1} MB |",
            if n == 1_000 { "1,000" } else { "10,000" },
            rss_mb(&p)
        );
        quit(p);
        let _ = std::fs::remove_dir_all(&h);
    }
    let _ = std::fs::remove_dir_all(&fresh);
    runtime.block_on(ep.shutdown());
}
