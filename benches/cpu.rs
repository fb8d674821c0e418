//! CPU while an answer streams at 4,000 tokens/s: `cargo bench --bench cpu`.
//!
//! Starts the local endpoint in-process, paced at 4,000 tokens/s, and has it write a
//! 40,000-token answer (10 s) to: the chat (release binary, 120x40 pseudo-terminal) on
//! a fresh conversation, the chat after `--continue` on a stored conversation of 10,000
//! messages, and `ask` with its standard output on a pipe. Fresh and 10,000-message
//! runs alternate, three times each. The chat's CPU is its user and system time (from
//! `/proc/PID/stat`) from Enter to the end of the answer on screen; `ask`'s is the
//! whole process's (`getrusage` of the reaped child), start-up included.

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use bedrock_tui::local::{Pacing, Settings};
use bench::{home, pty};

#[path = "support/bench.rs"]
mod bench;
#[path = "support/stored.rs"]
mod stored;

/// 10,000 stored messages are about 290,000 tokens: a model with a context of a million.
const MODEL: &str = "us.amazon.nova-2-lite-v1:0";
const TOKENS: u32 = 40_000;
const RATE: f64 = 4_000.0;
/// Ten seconds of answer, and time to spare.
const LIMIT: Duration = Duration::from_secs(120);

/// User and system time of process `pid` so far, in seconds.
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("stat");
    // The fields after the command name, which is in parentheses.
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or_default();
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime and stime are the 14th and 15th fields of the line; 12th and 13th here.
    let hz = nix::unistd::sysconf(nix::unistd::SysconfVar::CLK_TCK)
        .ok()
        .flatten()
        .unwrap_or(100) as f64;
    (ticks(11) + ticks(12)) / hz
}

/// Waits until process `pid` has used no CPU for 200 ms.
fn quiet(pid: u32) {
    let start = Instant::now();
    let mut last = cpu_seconds(pid);
    loop {
        std::thread::sleep(Duration::from_millis(200));
        let now = cpu_seconds(pid);
        if now == last {
            return;
        }
        assert!(start.elapsed() < Duration::from_secs(60), "never idle");
        last = now;
    }
}

/// The share of a core the chat used while the answer streamed.
fn chat(url: &str, home: &std::path::Path, extra: &[&str]) -> f64 {
    let mut args = vec![
        "--endpoint-url",
        url,
        "--region",
        "us-east-1",
        "--model",
        MODEL,
    ];
    args.extend_from_slice(extra);
    let mut p = pty::spawn(&args, home, 40, 120).expect("spawn");
    bench::wait_for(&p, "F1 help", LIMIT);
    let pid = p.child.process_id().expect("pid");
    p.writer
        .write_all(format!("Tell me everything about Rust [[tokens:{TOKENS}]]").as_bytes())
        .expect("type");
    p.writer.flush().expect("flush");
    // Loading the conversation and counting the draft are over before the answer starts.
    quiet(pid);
    let (cpu, wall) = (cpu_seconds(pid), Instant::now());
    p.writer.write_all(b"\r").expect("enter");
    p.writer.flush().expect("flush");
    bench::wait_for(&p, "out 40,000", LIMIT);
    let share = (cpu_seconds(pid) - cpu) / wall.elapsed().as_secs_f64();
    p.writer.write_all(b"\x03").expect("quit");
    p.writer.flush().expect("flush");
    let _ = p.child.wait();
    share
}

/// The share of a core `ask` used, and the bytes it wrote.
fn ask(url: &str, home: &std::path::Path) -> (f64, usize) {
    use nix::sys::resource::{UsageWho, getrusage};
    let seconds = |u: nix::sys::resource::Usage| {
        let t = |v: nix::sys::time::TimeVal| v.tv_sec() as f64 + v.tv_usec() as f64 / 1e6;
        t(u.user_time()) + t(u.system_time())
    };
    let before = seconds(getrusage(UsageWho::RUSAGE_CHILDREN).expect("rusage"));
    let wall = Instant::now();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_bedrock-tui"))
        .args([
            "ask",
            "--endpoint-url",
            url,
            "--region",
            "us-east-1",
            "--model",
            MODEL,
            &format!("Tell me everything about Rust [[tokens:{TOKENS}]]"),
        ])
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", home.join("aws-config"))
        .env("AWS_SHARED_CREDENTIALS_FILE", home.join("aws-credentials"))
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("ask");
    let mut out = Vec::new();
    child
        .stdout
        .take()
        .expect("stdout")
        .read_to_end(&mut out)
        .expect("read");
    assert!(child.wait().expect("wait").success(), "ask failed");
    let used = seconds(getrusage(UsageWho::RUSAGE_CHILDREN).expect("rusage")) - before;
    (used / wall.elapsed().as_secs_f64(), out.len())
}

fn main() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let settings = Settings {
        pacing: Pacing {
            ttft: Duration::ZERO,
            tokens_per_second: Some(RATE),
        },
        ..Settings::default()
    };
    let ep = bench::endpoint(&runtime, settings);
    let url = ep.url();
    println!("| run | what streams the answer | CPU (share of a core) |");
    println!("|---:|---|---:|");
    let (mut fresh, mut resumed, mut asked) = (Vec::new(), Vec::new(), Vec::new());
    for run in 1..=3 {
        let h = home("cpu", &format!("fresh-{run}"));
        let f = chat(&url, &h, &[]);
        println!("| {run} | chat, fresh conversation | {:.1}% |", f * 100.0);
        let _ = std::fs::remove_dir_all(&h);
        // Stored anew each run, so no answer of an earlier run is on screen.
        let long = home("cpu", "stored");
        stored::conversation(&long, 10_000, Some(MODEL));
        let r = chat(&url, &long, &["--continue"]);
        let _ = std::fs::remove_dir_all(&long);
        println!(
            "| {run} | chat, after --continue on 10,000 messages | {:.1}% |",
            r * 100.0
        );
        fresh.push(f);
        resumed.push(r);
    }
    for run in 1..=2 {
        let h = home("cpu", &format!("ask-{run}"));
        let (a, bytes) = ask(&url, &h);
        asked.push(a);
        println!(
            "| {run} | ask, stdout on a pipe ({bytes} bytes) | {:.1}% |",
            a * 100.0
        );
        let _ = std::fs::remove_dir_all(&h);
    }
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    println!(
        "\n10,000 messages / fresh: {:.2}x",
        mean(&resumed) / mean(&fresh)
    );
    println!("ask / chat (fresh): {:.2}x", mean(&asked) / mean(&fresh));
    runtime.block_on(ep.shutdown());
}
