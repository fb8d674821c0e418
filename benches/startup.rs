//! Time to first frame of the real binary: `cargo bench --bench startup`.
//!
//! Starts `bedrock-tui` (release build) in a 120x40 pseudo-terminal with a fresh home
//! (no config, no AWS credentials, so it falls back to the in-process local endpoint)
//! and measures, over 20 runs each, the time from spawning the process until the
//! screen shows the composer (the first frame), and until the status bar names the
//! local endpoint (credentials resolved and the endpoint started in the background).
//! Two more cases resume (`--continue`) stored conversations of 1,000 and 10,000
//! messages, which are read after the first frame: for them it also measures until
//! the conversation's last message is on screen.

use std::time::{Duration, Instant};

#[path = "support/bench.rs"]
mod bench;
use bench::pty;
#[path = "support/stored.rs"]
mod stored;

const RUNS: usize = 20;

/// (first frame, `shown` on screen, connected) for one start of the binary.
fn one_start(home: &std::path::Path, args: &[&str], shown: &str) -> [Duration; 3] {
    let start = Instant::now();
    let mut pty = pty::spawn(args, home, 40, 120).expect("spawn");
    let (mut first, mut seen, mut connected) = (None, None, None);
    loop {
        let screen = pty.screen();
        let now = Some(start.elapsed());
        if first.is_none() && screen.contains("F1 help") {
            first = now;
        }
        if seen.is_none() && screen.contains(shown) {
            seen = now;
        }
        if connected.is_none() && screen.contains("local endpoint") {
            connected = now;
        }
        if let (Some(f), Some(s), Some(c)) = (first, seen, connected) {
            let _ = pty.child.kill();
            let _ = pty.child.wait();
            return [f, s, c];
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "no frame: {screen}"
        );
        std::thread::sleep(Duration::from_micros(200));
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn report(label: &str, home: &std::path::Path, args: &[&str], shown: &str) {
    // One run to warm the page cache, not counted.
    one_start(home, args, shown);
    let mut runs: Vec<[Duration; 3]> = (0..RUNS).map(|_| one_start(home, args, shown)).collect();
    let pct = |i: usize, p: f64, runs: &mut Vec<[Duration; 3]>| {
        runs.sort_by_key(|r| r[i]);
        ms(runs[((runs.len() - 1) as f64 * p).round() as usize][i])
    };
    println!(
        "| {label} | {:.1} ms | {:.1} ms | {:.1} ms | {:.1} ms | {:.1} ms |",
        pct(0, 0.5, &mut runs),
        pct(0, 0.95, &mut runs),
        pct(0, 1.0, &mut runs),
        pct(1, 0.5, &mut runs),
        pct(2, 0.5, &mut runs),
    );
}

fn main() {
    println!(
        "| start | first frame p50 | first frame p95 | first frame max | conversation shown p50 | local endpoint up p50 |"
    );
    println!("|---|---:|---:|---:|---:|---:|");
    let fresh = bench::home("startup", "fresh");
    report("fresh home, no credentials", &fresh, &[], "F1 help");

    for n in [1_000u32, 10_000] {
        let long = bench::home("startup", &format!("long-{n}"));
        stored::conversation(&long, n, None);
        let label = if n == 1_000 { "1,000" } else { "10,000" };
        report(
            &format!("--continue, {label} messages"),
            &long,
            &["--continue"],
            // The last stored message, at the bottom of the conversation.
            &format!("Message {}:", n - 1),
        );
        let _ = std::fs::remove_dir_all(&long);
    }
    let _ = std::fs::remove_dir_all(&fresh);
}
