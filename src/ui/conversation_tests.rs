//! The conversation pane's cached layout: an answer laid out as it streams, paragraph
//! by paragraph, ends up with the same lines as the answer laid out whole.

use crate::app::{Entry, EntryState};
use crate::conversation::{Block, Message, Role};

use super::{ConversationView, entry_lines};

const THEME: &str = crate::app::theme::DEFAULT;

fn streaming(text: &str) -> Entry {
    Entry::new(
        Message {
            role: Role::Assistant,
            blocks: vec![Block::Text(text.into())],
            model: Some("m".into()),
        },
        EntryState::Streaming,
    )
}

/// Lays `answer` out as it streams in pieces of `step` bytes, then as it ends: the
/// last streaming layout and the final one.
fn streamed(answer: &str, step: usize, width: u16) -> (Vec<String>, Vec<String>) {
    let mut view = ConversationView::default();
    let mut e = streaming("");
    let mut at = 0;
    while at < answer.len() {
        let mut next = (at + step).min(answer.len());
        while !answer.is_char_boundary(next) {
            next += 1;
        }
        e.message.blocks = vec![Block::Text(answer[..next].into())];
        e.revision += 1;
        view.lines(0, &e, width, THEME);
        at = next;
    }
    let last = packed_text(view.lines(0, &e, width, THEME));
    e.state = EntryState::Done;
    e.revision += 1;
    (last, packed_text(view.lines(0, &e, width, THEME)))
}

fn text(lines: &[ratatui::text::Line<'static>]) -> Vec<String> {
    lines
        .iter()
        .map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect())
        .collect()
}

fn packed_text(lines: &super::PackedLines) -> Vec<String> {
    text(&lines.lines(0..lines.len()).collect::<Vec<_>>())
}

#[test]
fn an_answer_streamed_in_pieces_ends_as_it_would_be_laid_out_whole() {
    let answer = "Here is a list:\n\n1. first point\n2. second point\n\nA paragraph that is long enough to wrap across the width of a narrow pane, twice at least.\n\n```rust\nfn main() {\n\n    println!(\"blank line inside the fence\");\n}\n```\n\n| a | b |\n|---|---|\n| 1 | x |\n\n> A quote.\n\n3. a list that goes on\n\nThe end, ünïcode 🦀.";
    let mut done = streaming(answer);
    done.state = EntryState::Done;
    for width in [40u16, 80] {
        let whole = text(&entry_lines(&done, width, THEME, false));
        for step in [1usize, 7, 64] {
            let (last, end) = streamed(answer, step, width);
            // The same lines but the header, which says the answer is streaming.
            assert_eq!(last[1..], whole[1..], "step {step}, width {width}");
            assert_eq!(end, whole, "step {step}, width {width}");
        }
    }
}

#[test]
fn the_end_of_an_answer_reuses_its_streaming_layout() {
    let answer =
        "First paragraph.\n\nSecond paragraph, a little longer than the first.\n\nThe last one.";
    let mut view = ConversationView::default();
    let mut e = streaming(answer);
    e.revision = 1;
    view.lines(0, &e, 80, THEME);
    let cached = view.cache[0].as_mut().expect("laid out");
    assert!(
        cached.cut.is_some(),
        "the streaming layout keeps its finished part"
    );
    e.state = EntryState::Failed(crate::app::error::BedrockError::Other {
        code: "StreamError".into(),
        message: "the stream broke".into(),
    });
    let lines = super::finish_lines(&e, 80, THEME, cached).expect("reused");
    assert_eq!(
        packed_text(&lines),
        text(&entry_lines(&e, 80, THEME, false))
    );
    assert!(
        packed_text(&lines)
            .iter()
            .any(|l| l.contains("the stream broke"))
    );

    // Not at another width.
    let mut view = ConversationView::default();
    view.lines(0, &streaming(answer), 80, THEME);
    let cached = view.cache[0].as_mut().unwrap();
    assert!(super::finish_lines(&streaming(answer), 60, THEME, cached).is_none());
}

#[test]
fn lines_of_entries_far_from_the_screen_are_dropped_past_the_budget() {
    let mut view = ConversationView::default();
    let mut done = streaming(&"A line of an answer long enough to take some room.\n\n".repeat(400));
    done.state = EntryState::Done;
    let each = view.lines(0, &done, 80, THEME).bytes();
    let n = super::KEPT_BYTES / each * 3;
    for idx in 0..n {
        view.lines(idx, &done, 80, THEME);
    }
    let kept = |v: &ConversationView| v.cache.iter().filter(|c| c.is_some()).count();
    assert_eq!(kept(&view), n);
    // The screen shows the last two entries: the farthest ones go first.
    view.evict(n - 2..=n - 1);
    let left = kept(&view);
    assert!(left * each <= super::KEPT_BYTES, "{left} of {n} kept");
    assert!(left >= super::KEPT_BYTES / each - 1, "{left} of {n} kept");
    assert!(view.cache[..n - left].iter().all(Option::is_none));
    assert!(view.cache[n - left..].iter().all(Option::is_some));
    // A dropped entry is laid out again when it comes back on screen, the same.
    let renders = view.renders;
    assert_eq!(
        packed_text(view.lines(0, &done, 80, THEME)),
        packed_text(view.lines(n - 1, &done, 80, THEME))
    );
    assert_eq!(view.renders, renders + 1);
}
