//! View snapshots at 80x24 and 120x40: the screen as a user sees it in each state.

use ratatui::Terminal;
use ratatui::backend::TestBackend;

use crate::app::state::Link;
use crate::app::{App, Entry, EntryState, Notice, Overlay};
use crate::bedrock::BedrockError;
use crate::conversation::{Message, Role, StopReason, Usage};

use super::View;

const ANSWER: &str = "You asked about **sorting a vector in Rust**.\n\nHere is a short overview:\n\n1. **sort**: what it is and why it matters\n2. **vector**: how it is usually used\n\nA small example in rust:\n\n```rust\nfn main() {\n    let mut v = vec![3, 1, 2];\n    v.sort();\n    println!(\"{v:?}\");\n}\n```\n\n| Term | Length |\n|------|-------:|\n| sort | 4 |\n| vector | 6 |\n\n> Quoted advice with a [link](https://docs.rs).\n\nLet me know if you want more detail.";

fn answered() -> App {
    let mut app = App::new("anthropic.claude-3-haiku-20240307-v1:0");
    app.link = Link::Local {
        url: "http://127.0.0.1:8787".into(),
        reason: None,
    };
    app.entries.push(Entry::new(
        Message::user("How do I sort a vector in Rust?"),
        EntryState::Done,
    ));
    let mut a = Entry::new(
        Message {
            role: Role::Assistant,
            blocks: vec![crate::conversation::Block::Text(ANSWER.into())],
            model: Some("anthropic.claude-3-haiku-20240307-v1:0".into()),
        },
        EntryState::Done,
    );
    a.stop = Some(StopReason::EndTurn);
    a.usage = Some(Usage {
        input: 14,
        output: 121,
        ..Usage::default()
    });
    app.entries.push(a);
    app
}

fn draw(app: &App, w: u16, h: u16) -> TestBackend {
    let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
    let mut view = View::default();
    terminal.draw(|f| view.draw(f, app)).unwrap();
    terminal.backend().clone()
}

#[test]
fn empty_screen() {
    let mut app = App::new("anthropic.claude-3-haiku-20240307-v1:0");
    app.link = Link::Local {
        url: "http://127.0.0.1:8787".into(),
        reason: Some("no AWS credentials found".into()),
    };
    app.notice = Some(Notice::Info("Local mode: no AWS credentials found; run `aws sso login` or pass --profile to use Amazon Bedrock.".into()));
    insta::assert_snapshot!("empty_80x24", draw(&app, 80, 24));
}

#[test]
fn markdown_answer_with_code() {
    let app = answered();
    insta::assert_snapshot!("answer_80x24", draw(&app, 80, 24));
    insta::assert_snapshot!("answer_120x40", draw(&app, 120, 40));
}

#[test]
fn streaming_and_error() {
    let mut app = answered();
    app.entries.push(Entry::new(
        Message::user("And in Python?"),
        EntryState::Done,
    ));
    app.entries.push(Entry::new(
        Message {
            role: Role::Assistant,
            blocks: vec![],
            model: Some("us.anthropic.claude-sonnet-4-5-20250929-v1:0".into()),
        },
        EntryState::Failed(BedrockError::Throttled {
            message: "Too many requests, please wait before trying again.".into(),
        }),
    ));
    app.notice = Some(Notice::Error(
        "Throttled by Bedrock: Too many requests.".into(),
    ));
    insta::assert_snapshot!("error_80x24", draw(&app, 80, 24));
    let mut app = answered();
    app.entries.push(Entry::new(
        Message::user("And in Python?"),
        EntryState::Done,
    ));
    app.entries.push(Entry::new(
        Message {
            role: Role::Assistant,
            blocks: vec![crate::conversation::Block::Text(
                "You asked about **and in Python**.\n\n```python\ndef f(".into(),
            )],
            model: Some("us.anthropic.claude-sonnet-4-5-20250929-v1:0".into()),
        },
        EntryState::Streaming,
    ));
    app.turn = Some((crate::app::TurnId(1), 3));
    insta::assert_snapshot!("streaming_120x40", draw(&app, 120, 40));
}

#[test]
fn help_overlay() {
    let mut app = answered();
    app.overlay = Overlay::Help;
    insta::assert_snapshot!("help_80x24", draw(&app, 80, 24));
    insta::assert_snapshot!("help_120x40", draw(&app, 120, 40));
}

#[test]
fn too_small() {
    insta::assert_snapshot!("too_small", draw(&answered(), 50, 10));
}

#[test]
fn only_visible_entries_are_laid_out() {
    let mut app = answered();
    for i in 0..2000 {
        app.entries.push(Entry::new(
            Message::user(format!("question {i}")),
            EntryState::Done,
        ));
    }
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).unwrap();
    let mut view = View::default();
    terminal.draw(|f| view.draw(f, &app)).unwrap();
    assert!(
        view.conversation.renders < 40,
        "laid out {} entries",
        view.conversation.renders
    );
    let before = view.conversation.renders;
    terminal.draw(|f| view.draw(f, &app)).unwrap();
    assert_eq!(
        view.conversation.renders, before,
        "an unchanged frame re-lays out nothing"
    );
    app.entries.last_mut().unwrap().revision += 1;
    terminal.draw(|f| view.draw(f, &app)).unwrap();
    assert_eq!(
        view.conversation.renders,
        before + 1,
        "a changed entry re-lays out only itself"
    );
}

#[test]
fn picker_overlay() {
    let mut app = answered();
    app.overlay = Overlay::Picker(crate::app::picker::Picker::default());
    insta::assert_snapshot!("picker_120x40", draw(&app, 120, 40));
    app.overlay = Overlay::Picker(crate::app::picker::Picker {
        query: "llama".into(),
        selected: 1,
        route: None,
    });
    insta::assert_snapshot!("picker_filtered_80x24", draw(&app, 80, 24));
}

#[test]
fn a_streaming_answer_lays_out_like_the_finished_one() {
    let text = "First paragraph with **bold** words.\n\n- a list item\n- another\n\n```rust\nfn main() {}\n\nlet x = 1;\n```\n\nLast words that wrap across the pane many times over and over again.";
    let mut app = App::new("m");
    app.entries.push(Entry::new(
        Message {
            role: Role::Assistant,
            blocks: vec![crate::conversation::Block::Text(String::new())],
            model: Some("m".into()),
        },
        EntryState::Streaming,
    ));
    let mut terminal = Terminal::new(TestBackend::new(60, 30)).unwrap();
    let mut view = View::default();
    // Grow the answer a few characters at a time, drawing each step.
    for end in (0..=text.len())
        .filter(|i| text.is_char_boundary(*i))
        .step_by(7)
        .chain([text.len()])
    {
        let e = &mut app.entries[0];
        e.message.blocks[0] = crate::conversation::Block::Text(text[..end].to_owned());
        e.revision += 1;
        terminal.draw(|f| view.draw(f, &app)).unwrap();
    }
    let streamed = terminal.backend().clone();
    let mut fresh = Terminal::new(TestBackend::new(60, 30)).unwrap();
    fresh.draw(|f| View::default().draw(f, &app)).unwrap();
    assert_eq!(streamed.buffer(), fresh.backend().buffer());
}
