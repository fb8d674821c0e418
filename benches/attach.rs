//! Attaching large files while typing: `cargo bench --bench attach`.
//!
//! Starts the local endpoint in-process and the release binary in a 120x40
//! pseudo-terminal pointed at it, with `BEDROCK_TUI_FRAME_STATS` set and an answer on
//! screen. Attaches a 3 MB PNG and a 4 MB PDF with `/attach`, and at once types a
//! sentence at 30 keys/s while they are read, hashed and counted. Reports the frames
//! drawn from the attach on (draw times, and the longest wait between two frames while
//! keys arrived every 33 ms) and how long until both chips were ready.

use std::io::Write;
use std::time::{Duration, Instant};

use bedrock_tui::local::{Pacing, Settings};

#[path = "support/bench.rs"]
mod bench;
#[path = "../tests/support/media.rs"]
mod media;

const SENTENCE: &str = "Compare the chart with the figures in the report, please.";
const MODEL: &str = "anthropic.claude-haiku-4-5-20251001-v1:0";

fn percentile(v: &[u64], p: f64) -> u64 {
    if v.is_empty() {
        return 0;
    }
    v[((v.len() - 1) as f64 * p).round() as usize]
}

/// A valid PNG header followed by filler, `size` bytes in all.
fn big_png(size: usize) -> Vec<u8> {
    let mut b = media::png(1920, 1080);
    b.resize(size, 0x5a);
    b
}

/// A one-page PDF padded with a comment to `size` bytes.
fn big_pdf(size: usize) -> Vec<u8> {
    let mut b = media::pdf("Quarterly figures.");
    let pad = size.saturating_sub(b.len() + 2);
    let mut tail = b"\n%".to_vec();
    tail.extend(std::iter::repeat_n(b'x', pad));
    b.extend(tail);
    b
}

fn main() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let ep = bench::endpoint(
        &runtime,
        Settings {
            pacing: Pacing::OFF,
            ..Settings::default()
        },
    );
    let url = ep.url();
    let home = bench::home("attach", "run");
    std::fs::write(home.join("chart.png"), big_png(3 * 1024 * 1024)).expect("png");
    std::fs::write(home.join("report.pdf"), big_pdf(4 * 1024 * 1024)).expect("pdf");
    let stats = home.join("frames.txt");
    let spawned = Instant::now();
    let mut p = bench::chat_with_answer(&url, MODEL, &home, &stats);

    let from = spawned.elapsed();
    let started = Instant::now();
    p.writer
        .write_all(b"/attach chart.png report.pdf\r")
        .expect("attach");
    p.writer.flush().expect("flush");
    let gap = Duration::from_secs_f64(1.0 / 30.0);
    let mut ready = None;
    for c in SENTENCE.chars() {
        p.writer.write_all(c.to_string().as_bytes()).expect("type");
        p.writer.flush().expect("flush");
        std::thread::sleep(gap);
        let s = p.screen();
        if ready.is_none() && s.contains("chart.png  image") && s.contains("report.pdf  document") {
            ready = Some(started.elapsed());
        }
    }
    let typed = spawned.elapsed();
    bench::wait_for(&p, "report.pdf  document", Duration::from_secs(30));
    let ready = ready.unwrap_or_else(|| started.elapsed());
    std::thread::sleep(Duration::from_millis(1200));
    p.writer.write_all(b"\x03").expect("quit");
    p.writer.flush().expect("flush");
    let _ = p.child.wait();

    let text = std::fs::read_to_string(&stats).expect("frame stats");
    let (mut draws, mut ats) = (Vec::new(), Vec::new());
    for line in text.lines() {
        let mut parts = line.split_whitespace();
        let mut next = || parts.next().and_then(|v| v.parse::<u64>().ok());
        let (Some(at), Some(us)) = (next(), next()) else {
            continue;
        };
        if at >= from.as_millis() as u64 {
            draws.push(us);
            if at <= typed.as_millis() as u64 {
                ats.push(at);
            }
        }
    }
    let longest_wait = ats.windows(2).map(|w| w[1] - w[0]).max().unwrap_or(0);
    draws.sort_unstable();
    let ms = |us: u64| us as f64 / 1000.0;
    println!(
        "| attaching | frames | p50 frame | p99 frame | max frame | longest wait between frames while typing | both chips ready after |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|");
    println!(
        "| 3 MB PNG + 4 MB PDF, typing at 30 keys/s | {} | {:.2} ms | {:.2} ms | {:.2} ms | {longest_wait} ms | {} ms |",
        draws.len(),
        ms(percentile(&draws, 0.5)),
        ms(percentile(&draws, 0.99)),
        ms(*draws.last().unwrap_or(&0)),
        ready.as_millis(),
    );
    runtime.block_on(ep.shutdown());
    let _ = std::fs::remove_dir_all(&home);
}
