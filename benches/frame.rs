//! Frame time of the chat view at 120x40 while an answer streams at 4,000 tokens/s,
//! for conversations of 10, 1,000 and 10,000 messages. `cargo bench --bench frame`.
//!
//! Each frame is what the app draws at 60 frames a second: the streaming answer grows
//! by the ~67 tokens (about 270 characters of markdown) that arrive in 1/60 s, with a
//! paragraph break every few frames, and the whole screen is drawn into a ratatui
//! TestBackend. Every answer carries usage from one of three models, so the side
//! column's meter has per-model totals to keep. The answer opens a Python code block
//! in its fourth frame and grows to about 64,000 tokens; the last column is the frame
//! drawn when it ends. The highlighter is loaded first, as the app does at start.
//!
//! A last row draws a comparison instead: four answers streaming side by side, each at
//! 4,000 tokens/s, after a conversation of 1,000 messages; its last column is the frame
//! drawn when all four end.

use std::time::{Duration, Instant};

use bedrock_tui::app::compare::{Column, Compare};
use bedrock_tui::app::{App, Entry, EntryState, TurnId};
use bedrock_tui::conversation::{Block, Message, Role, Usage};
use bedrock_tui::ui::View;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

/// About 64,000 tokens of answer at ~67 tokens a frame.
const FRAMES: usize = 960;
/// The frame at which the answer opens its first code block.
const CODE_AT: usize = 3;
const CODE: &str = "\n\n```python\ndef summarize(words: list[str]) -> dict[str, int]:\n    counts = {}\n    for word in words:\n        counts[word] = counts.get(word, 0) + 1\n    return counts\n```\n\n";
/// The answers alternate between models, as a conversation that switched would.
const MODELS: [&str; 3] = [
    "anthropic.claude-3-haiku-20240307-v1:0",
    "us.amazon.nova-pro-v1:0",
    "global.anthropic.claude-sonnet-4-5-20250929-v1:0",
];
const CHUNK: &str = "Streaming **markdown** with `code`, a [link](https://example.com) and plain words that wrap across the width of the pane. ";
/// Model answers come in paragraphs; this one ends one every few frames.
const PARAGRAPH_EVERY: usize = 4;

fn answer(i: usize) -> String {
    format!(
        "Answer {i}: here is a list.\n\n1. first point\n2. second point\n\n```rust\nfn main() {{\n    println!(\"{i}\");\n}}\n```\n\n| a | b |\n|---|---|\n| {i} | x |\n"
    )
}

fn conversation(n: usize) -> App {
    let mut app = App::new("anthropic.claude-3-haiku-20240307-v1:0");
    for i in 0..n {
        let (role, text) = if i % 2 == 0 {
            (Role::User, format!("Question number {i}?"))
        } else {
            (Role::Assistant, answer(i))
        };
        let mut e = Entry::new(
            Message {
                role,
                blocks: vec![Block::Text(text)],
                model: (role == Role::Assistant).then(|| MODELS[i % MODELS.len()].to_owned()),
            },
            EntryState::Done,
        );
        // Answers carry usage, so the meter has totals to keep per model.
        if role == Role::Assistant {
            e.usage = Some(Usage {
                input: 40 * i as u32,
                output: 120,
                ..Usage::default()
            });
        }
        app.entries.push(e);
    }
    app.entries.push(Entry::new(
        Message {
            role: Role::Assistant,
            blocks: vec![Block::Text(String::new())],
            model: Some("m".into()),
        },
        EntryState::Streaming,
    ));
    app.turn = Some((TurnId(0), app.entries.len() - 1));
    app
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn main() {
    // What the app does on a thread of its own at start.
    let t = Instant::now();
    bedrock_tui::ui::preload();
    println!(
        "highlighter loaded and warmed in {:.1} ms (off the event loop)\n",
        t.elapsed().as_secs_f64() * 1e3
    );
    println!(
        "| messages | first frame | p50 frame | p99 frame | max frame | frame that ends the answer |"
    );
    println!("|---:|---:|---:|---:|---:|---:|");
    for n in [10usize, 1_000, 10_000] {
        let app = conversation(n);
        let times = run(app, |app| app.entries.last_mut().into_iter().collect());
        row(&n.to_string(), &times);
    }
    let mut app = conversation(1_000);
    app.entries.pop();
    app.turn = None;
    app.entries.push(Entry::new(
        Message::user("Which is best?"),
        EntryState::Done,
    ));
    app.compare = Some(Compare {
        id: 1,
        question: app.entries.len() - 1,
        columns: (0..4u64)
            .map(|i| Column {
                model: MODELS[i as usize % MODELS.len()].to_owned(),
                turn: Some(TurnId(i)),
                entry: Entry::new(
                    Message {
                        role: Role::Assistant,
                        blocks: vec![Block::Text(String::new())],
                        model: Some(MODELS[i as usize % MODELS.len()].to_owned()),
                    },
                    EntryState::Streaming,
                ),
                scroll: 0,
            })
            .collect(),
        selected: 0,
        confirm: false,
    });
    let times = run(app, |app| {
        app.compare
            .iter_mut()
            .flat_map(|c| c.columns.iter_mut().map(|c| &mut c.entry))
            .collect()
    });
    row("1000 + compare of 4", &times);
}

/// First frame, the frames while the answers `streaming` picks grow, and the frame
/// when they end.
struct Times {
    first: Duration,
    frames: Vec<Duration>,
    end: Duration,
}

fn run(mut app: App, streaming: impl Fn(&mut App) -> Vec<&mut Entry>) -> Times {
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).expect("terminal");
    let mut view = View::default();
    let t = Instant::now();
    terminal.draw(|f| view.draw(f, &app)).expect("draw");
    let first = t.elapsed();
    let mut frames = Vec::with_capacity(FRAMES);
    for frame in 0..FRAMES {
        for answer in streaming(&mut app) {
            if let Some(Block::Text(t)) = answer.message.blocks.first_mut() {
                t.push_str(CHUNK);
                t.push_str(CHUNK);
                if frame == CODE_AT {
                    t.push_str(CODE);
                }
                if frame % PARAGRAPH_EVERY == PARAGRAPH_EVERY - 1 {
                    t.push_str("\n\n");
                }
            }
            answer.revision += 1;
        }
        let t = Instant::now();
        terminal.draw(|f| view.draw(f, &app)).expect("draw");
        frames.push(t.elapsed());
    }
    // The answers (about 64,000 tokens each by now) end.
    for answer in streaming(&mut app) {
        answer.state = EntryState::Done;
        answer.revision += 1;
    }
    app.turn = None;
    if let Some(c) = app.compare.as_mut() {
        for col in &mut c.columns {
            col.turn = None;
        }
    }
    let t = Instant::now();
    terminal.draw(|f| view.draw(f, &app)).expect("draw");
    let end = t.elapsed();
    frames.sort();
    Times { first, frames, end }
}

fn row(name: &str, t: &Times) {
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "| {name} | {:.2} ms | {:.3} ms | {:.3} ms | {:.3} ms | {:.3} ms |",
        ms(t.first),
        ms(percentile(&t.frames, 0.5)),
        ms(percentile(&t.frames, 0.99)),
        ms(t.frames[t.frames.len() - 1]),
        ms(t.end),
    );
}
