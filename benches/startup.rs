//! Time to first frame of the real binary: `cargo bench --bench startup`.
//!
//! Starts `bedrock-tui` (release build) in a 120x40 pseudo-terminal with a fresh home
//! (no config, no AWS credentials, so it falls back to the in-process local endpoint)
//! and measures, over 20 runs each, the time from spawning the process until the
//! screen shows the composer (the first frame), and until the status bar names the
//! local endpoint (credentials resolved and the endpoint started in the background).
//! Two more cases resume (`--continue`) stored conversations of 1,000 and 10,000
//! messages.

use std::time::{Duration, Instant};

#[path = "../tests/support/pty.rs"]
mod pty;
#[path = "support/stored.rs"]
mod stored;

const RUNS: usize = 20;

fn home(tag: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("bedrock-tui-startup-{}-{tag}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}

/// (first frame, connected) for one start of the binary.
fn one_start(home: &std::path::Path, args: &[&str]) -> (Duration, Duration) {
    let start = Instant::now();
    let mut pty = pty::spawn(args, home, 40, 120).expect("spawn");
    let mut first = None;
    let connected = loop {
        let screen = pty.screen();
        if first.is_none() && screen.contains("F1 help") {
            first = Some(start.elapsed());
        }
        if screen.contains("local endpoint") {
            break start.elapsed();
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "no frame: {screen}"
        );
        std::thread::sleep(Duration::from_micros(200));
    };
    let _ = pty.child.kill();
    let _ = pty.child.wait();
    (first.unwrap_or(connected), connected)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn report(label: &str, home: &std::path::Path, args: &[&str]) {
    // One run to warm the page cache, not counted.
    one_start(home, args);
    let mut firsts = Vec::new();
    let mut conns = Vec::new();
    for _ in 0..RUNS {
        let (f, c) = one_start(home, args);
        firsts.push(f);
        conns.push(c);
    }
    firsts.sort();
    conns.sort();
    let pct = |v: &[Duration], p: f64| v[((v.len() - 1) as f64 * p).round() as usize];
    println!(
        "| {label} | {:.1} ms | {:.1} ms | {:.1} ms | {:.1} ms |",
        ms(pct(&firsts, 0.5)),
        ms(pct(&firsts, 0.95)),
        ms(*firsts.last().unwrap_or(&Duration::ZERO)),
        ms(pct(&conns, 0.5)),
    );
}

fn main() {
    println!(
        "| start | first frame p50 | first frame p95 | first frame max | local endpoint up p50 |"
    );
    println!("|---|---:|---:|---:|---:|");
    let fresh = home("fresh");
    report("fresh home, no credentials", &fresh, &[]);

    for n in [1_000u32, 10_000] {
        let long = home(&format!("long-{n}"));
        stored::conversation(&long, n);
        let label = if n == 1_000 { "1,000" } else { "10,000" };
        report(
            &format!("--continue, {label} messages"),
            &long,
            &["--continue"],
        );
        let _ = std::fs::remove_dir_all(&long);
    }
    let _ = std::fs::remove_dir_all(&fresh);
}
