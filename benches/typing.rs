//! Typing while the meter counts: `cargo bench --bench typing`.
//!
//! Starts the local endpoint in-process (request log on) and the release binary in a
//! 120x40 pseudo-terminal pointed at it, with `BEDROCK_TUI_FRAME_STATS` set. Types a
//! 60-character sentence a key at a time at two speeds (a steady 10 keys/s and a fast
//! 30 keys/s), with an answer on screen, then quits and reads back the draw time of
//! every frame from the first typed key on (and how many of them had a count in
//! flight), and how many CountTokens requests the endpoint received for the sentence.

use std::io::Write;
use std::time::{Duration, Instant};

use bedrock_tui::local::{Pacing, Settings};

#[path = "support/bench.rs"]
mod bench;

const SENTENCE: &str = "How do I reverse a linked list in Rust without unsafe code?";
const MODEL: &str = "anthropic.claude-haiku-4-5-20251001-v1:0";

fn count_tokens_calls(dir: &std::path::Path) -> usize {
    std::fs::read_to_string(dir.join("requests.jsonl"))
        .unwrap_or_default()
        .lines()
        .filter(|l| l.contains("\"CountTokens\""))
        .count()
}

fn percentile(v: &[u64], p: f64) -> u64 {
    if v.is_empty() {
        return 0;
    }
    v[((v.len() - 1) as f64 * p).round() as usize]
}

fn run(url: &str, data: &std::path::Path, keys_per_second: f64) {
    let home = std::env::temp_dir().join(format!(
        "bedrock-tui-typing-{}-{}",
        std::process::id(),
        keys_per_second as u32
    ));
    let _ = std::fs::remove_dir_all(&home);
    std::fs::create_dir_all(&home).expect("home");
    let stats = home.join("frames.txt");
    let spawned = Instant::now();
    let mut p = bench::chat_with_answer(url, MODEL, &home, &stats);

    let before = count_tokens_calls(data);
    let typing_from = spawned.elapsed();
    let gap = Duration::from_secs_f64(1.0 / keys_per_second);
    for c in SENTENCE.chars() {
        p.writer.write_all(c.to_string().as_bytes()).expect("type");
        p.writer.flush().expect("flush");
        std::thread::sleep(gap);
    }
    // Let the last count land.
    std::thread::sleep(Duration::from_millis(1200));
    let calls = count_tokens_calls(data) - before;
    bench::wait_for(&p, "exact", Duration::from_secs(30));
    p.writer.write_all(b"\x03").expect("quit");
    p.writer.flush().expect("flush");
    let _ = p.child.wait();

    let text = std::fs::read_to_string(&stats).expect("frame stats");
    let mut all = Vec::new();
    let mut counting = Vec::new();
    // Only the frames drawn from the first typed key on: the answer before it (and
    // the highlighter's one-time load) is the frame benchmark's business.
    let from_ms = typing_from.as_millis() as u64;
    for line in text.lines() {
        let mut parts = line.split_whitespace();
        let mut next = || parts.next().and_then(|v| v.parse::<u64>().ok());
        let (Some(at), Some(us), Some(flag)) = (next(), next(), next()) else {
            continue;
        };
        if at < from_ms {
            continue;
        }
        all.push(us);
        if flag == 1 {
            counting.push(us);
        }
    }
    all.sort_unstable();
    counting.sort_unstable();
    let ms = |us: u64| us as f64 / 1000.0;
    println!(
        "| {keys_per_second:.0} keys/s | {} | {} | {:.2} ms | {:.2} ms | {:.2} ms | {calls} |",
        all.len(),
        counting.len(),
        ms(percentile(&all, 0.5)),
        ms(percentile(&all, 0.99)),
        ms(*all.last().unwrap_or(&0)),
    );
    let _ = std::fs::remove_dir_all(&home);
}

fn main() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let data = std::env::temp_dir().join(format!("bedrock-tui-typing-ep-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data);
    let settings = Settings {
        pacing: Pacing::OFF,
        data_dir: Some(data.clone()),
        ..Settings::default()
    };
    let ep = bench::endpoint(&runtime, settings);
    let url = ep.url();
    println!(
        "| typing | frames | frames with a count in flight | p50 frame | p99 frame | max frame | CountTokens calls for the sentence |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for speed in [10.0, 30.0] {
        run(&url, &data, speed);
    }
    runtime.block_on(ep.shutdown());
    let _ = std::fs::remove_dir_all(&data);
}
