//! View snapshots at 80x24 and 120x40: the screen as a user sees it in each state.

use ratatui::Terminal;
use ratatui::backend::TestBackend;

use crate::app::error::BedrockError;
use crate::app::state::Link;
use crate::app::{App, Entry, EntryState, Notice, Overlay};
use crate::conversation::{Message, Role, StopReason, Usage};

use super::View;

const ANSWER: &str = "You asked about **sorting a vector in Rust**.\n\nHere is a short overview:\n\n1. **sort**: what it is and why it matters\n2. **vector**: how it is usually used\n\nA small example in rust:\n\n```rust\nfn main() {\n    let mut v = vec![3, 1, 2];\n    v.sort();\n    println!(\"{v:?}\");\n}\n```\n\n| Term | Length |\n|------|-------:|\n| sort | 4 |\n| vector | 6 |\n\n> Quoted advice with a [link](https://docs.rs).\n\nLet me know if you want more detail.";

/// The app on the local endpoint with `model`, asked how to sort a vector in Rust.
pub(super) fn asked(model: &str) -> App {
    let mut app = App::new(model);
    app.link = Link::Local {
        url: "http://127.0.0.1:8787".into(),
        reason: None,
    };
    app.entries.push(Entry::new(
        Message::user("How do I sort a vector in Rust?"),
        EntryState::Done,
    ));
    app
}

fn answered() -> App {
    let mut app = asked("anthropic.claude-3-haiku-20240307-v1:0");
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

pub(super) fn draw(app: &App, w: u16, h: u16) -> TestBackend {
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
    insta::assert_snapshot!("empty_120x40", draw(&app, 120, 40));
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
            retried: true,
            on_profile: true,
        }),
    ));
    app.notice = Some(Notice::Error(
        "Throttled by Bedrock: Too many requests.".into(),
    ));
    insta::assert_snapshot!("error_80x24", draw(&app, 80, 24));
    insta::assert_snapshot!("error_120x40", draw(&app, 120, 40));
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

fn history_rows() -> Vec<crate::app::history::Row> {
    use crate::app::history::Row;
    use crate::store::ConversationId;
    let row = |id, title: &str, ms, messages, model: &str| Row {
        id: ConversationId(id),
        title: title.into(),
        updated_ms: ms,
        messages,
        model: model.into(),
        snippet: None,
    };
    vec![
        row(
            3,
            "How do I sort a vector in Rust?",
            1_764_607_200_000,
            4,
            "anthropic.claude-3-haiku-20240307-v1:0",
        ),
        row(
            2,
            "Compare DynamoDB and Aurora for a session store",
            1_764_520_800_000,
            6,
            "us.amazon.nova-pro-v1:0",
        ),
        row(
            1,
            "Explain SigV4 signing step by step, with an example request and the canonical string",
            1_764_434_400_000,
            2,
            "us.meta.llama3-3-70b-instruct-v1:0",
        ),
    ]
}

#[test]
fn history_browser() {
    use crate::app::history::{Browser, Mode};
    let mut app = answered();
    app.overlay = Overlay::History(Browser {
        rows: history_rows(),
        selected: 1,
        ..Browser::default()
    });
    insta::assert_snapshot!("history_120x40", draw(&app, 120, 40));

    let mut rows = history_rows();
    rows.truncate(2);
    rows[0].snippet = Some("…how do I sort a vector in Rust? I have…".into());
    rows[1].snippet = None;
    app.overlay = Overlay::History(Browser {
        query: "sort".into(),
        rows,
        ..Browser::default()
    });
    insta::assert_snapshot!("history_search_80x24", draw(&app, 80, 24));

    app.overlay = Overlay::History(Browser {
        rows: history_rows(),
        mode: Mode::ConfirmDelete,
        ..Browser::default()
    });
    insta::assert_snapshot!("history_delete_80x24", draw(&app, 80, 24));

    app.overlay = Overlay::History(Browser::default());
    insta::assert_snapshot!("history_empty_80x24", draw(&app, 80, 24));
}

#[test]
fn help_scrolled_and_rebound_keys() {
    let mut app = answered();
    app.overlay = Overlay::Help;
    app.help_scroll = 6;
    insta::assert_snapshot!("help_scrolled_80x24", draw(&app, 80, 24));

    let keys = crate::keymap::Keymap::with(vec![(
        crate::keymap::Action::Picker,
        vec![crate::keymap::Chord::parse("ctrl+y").unwrap()],
    )])
    .unwrap();
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).unwrap();
    let mut view = View::new(keys, crate::pricing::Prices::builtin());
    app.help_scroll = 0;
    terminal.draw(|f| view.draw(f, &app)).unwrap();
    let screen = format!("{}", terminal.backend());
    assert!(
        screen.contains("Ctrl+Y                  model picker"),
        "{screen}"
    );
    assert!(!screen.contains("Ctrl+P"), "{screen}");
}

#[test]
fn a_new_epoch_drops_cached_lines() {
    let mut app = App::new("anthropic.claude-3-haiku-20240307-v1:0");
    app.entries.push(Entry::new(
        Message::user("How do I sort a vector in Rust?"),
        EntryState::Done,
    ));
    let mut terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();
    let mut view = View::default();
    let mut screen = |app: &App| {
        terminal.draw(|f| view.draw(f, app)).unwrap();
        format!("{}", terminal.backend())
    };
    assert!(screen(&app).contains("How do I sort a vector"));
    // Another conversation with the same shape (same revisions) replaces this one:
    // the cache cannot tell by revision alone, the epoch says so.
    app.entries[0].message = Message::user("A different question about Go channels");
    assert!(
        screen(&app).contains("How do I sort a vector"),
        "cached by revision"
    );
    app.epoch += 1;
    let s = screen(&app);
    assert!(s.contains("A different question about Go channels"), "{s}");
}

#[test]
fn picker_with_the_live_list() {
    let mut app = answered();
    let mut live = crate::catalog::live::LiveModels {
        region: "us-east-1".into(),
        fetched_ms: 1,
        models: Vec::new(),
        profiles: Vec::new(),
    };
    for m in &crate::catalog::Catalog::builtin().models {
        if m.provider == "Anthropic" && !m.id.contains("opus-4-1") {
            live.models.push(crate::catalog::live::LiveModel {
                id: m.id.clone(),
                name: m.name.clone(),
                provider: m.provider.clone(),
                input_modalities: vec!["TEXT".into()],
                output_modalities: vec!["TEXT".into()],
                streaming: Some(true),
                inference_types: vec!["ON_DEMAND".into()],
                lifecycle: Some("ACTIVE".into()),
            });
        }
    }
    live.models.push(crate::catalog::live::LiveModel {
        id: "anthropic.claude-next-v1:0".into(),
        name: "Claude Next".into(),
        provider: "Anthropic".into(),
        input_modalities: vec!["TEXT".into(), "IMAGE".into()],
        output_modalities: vec!["TEXT".into()],
        streaming: Some(true),
        inference_types: vec!["ON_DEMAND".into()],
        lifecycle: Some("ACTIVE".into()),
    });
    app.live = Some(std::sync::Arc::new(crate::catalog::merge::merge(
        crate::catalog::Catalog::builtin(),
        &live,
    )));
    app.overlay = Overlay::Picker(crate::app::picker::Picker {
        query: "claude".into(),
        ..Default::default()
    });
    insta::assert_snapshot!("picker_live_120x40", draw(&app, 120, 40));
}

fn metered(tokens: u32, exact: bool) -> App {
    use crate::app::meter::{Count, NextTurn, Timing};
    let mut app = answered();
    app.link = Link::Aws {
        region: "us-east-1".into(),
        profile: None,
        auth: "SSO".into(),
    };
    app.entries[1].usage = Some(Usage {
        input: 1_840,
        output: 412,
        cache_read: 1_024,
        cache_write: 0,
    });
    app.entries[1].timing = Some(Timing {
        first_token_ms: Some(310),
        total_ms: 4_420,
        service_ms: Some(4_380),
    });
    app.entries.push(Entry::new(
        Message::user("And with a custom comparator?"),
        EntryState::Done,
    ));
    let mut nova = Entry::new(
        Message {
            role: Role::Assistant,
            blocks: vec![crate::conversation::Block::Text("Use `sort_by`.".into())],
            model: Some("us.amazon.nova-pro-v1:0".into()),
        },
        EntryState::Done,
    );
    nova.usage = Some(Usage {
        input: 2_300,
        output: 95,
        ..Usage::default()
    });
    app.entries.push(nova);
    app.meter.next = NextTurn::Counted(Count {
        tokens,
        exact,
        with_draft: true,
    });
    app
}

#[test]
fn meter_pane() {
    let app = metered(2_512, true);
    insta::assert_snapshot!("meter_120x40", draw(&app, 120, 40));

    // Near the context window of Claude 3 Haiku (200k), then past it.
    let app = metered(185_000, true);
    insta::assert_snapshot!("meter_near_limit_120x40", draw(&app, 120, 40));
    let app = metered(240_000, false);
    let screen = format!("{}", draw(&app, 120, 40));
    assert!(screen.contains("too long: will not fit"), "{screen}");
    assert!(screen.contains("≈240,000 tok estimate"), "{screen}");

    // A model without a price: tokens, and "price unknown" instead of a number.
    let mut app = metered(900, false);
    app.model = "arn:aws:bedrock:us-east-1:123456789012:custom-model/acme-chat".into();
    app.entries[3].message.model = Some(app.model.clone());
    insta::assert_snapshot!("meter_unknown_price_120x40", draw(&app, 120, 40));
}

#[test]
fn the_status_bar_names_the_guardrail() {
    let mut app = answered();
    let mut g = crate::guardrail::GuardrailChoice::parse("demo:1").unwrap();
    g.label = Some("support-policy".into());
    app.guardrail = Some(g);
    insta::assert_snapshot!("guarded_80x24", draw(&app, 80, 24));
}

#[test]
fn the_notice_log_keeps_every_notice_in_full_with_its_time() {
    let mut app = answered();
    app.utc_offset_s = 3600;
    let long = "Throttled by Bedrock: Too many requests, please wait before trying again. The request was retried 3 times over 9 seconds; wait a moment and send again, or use a cross-region inference profile for more throughput.";
    for (i, n) in [
        Notice::Info(
            "Switched to us.amazon.nova-pro-v1:0; the conversation carries over as it is.".into(),
        ),
        Notice::Error(long.into()),
        Notice::Info("Answer stopped; the partial text is kept.".into()),
    ]
    .into_iter()
    .enumerate()
    {
        app.clock_ms = 1_733_330_982_000 + i as i64 * 61_000;
        app.tell(n);
    }
    // The status bar cuts the newest notice and says where it is whole.
    app.tell(Notice::Error(long.into()));
    insta::assert_snapshot!("status_cut_80x24", draw(&app, 80, 24));
    app.overlay = Overlay::Log(0);
    insta::assert_snapshot!("log_80x24", draw(&app, 80, 24));
    app.overlay = Overlay::Log(3);
    insta::assert_snapshot!("log_scrolled_80x24", draw(&app, 80, 24));
}

#[test]
fn an_expired_session_offers_to_sign_in_and_the_status_bar_names_the_auth() {
    let mut app = answered();
    app.link = Link::Aws {
        region: "eu-west-1".into(),
        profile: Some("dev".into()),
        auth: "SSO".into(),
    };
    app.auth_refresh = Some("aws sso login --profile dev".into());
    app.entries[1].state = EntryState::Failed(BedrockError::Expired {
        message: "the SSO token has expired.".into(),
        profile: " --profile dev".into(),
    });
    app.overlay = Overlay::SignIn;
    insta::assert_snapshot!("sign_in_80x24", draw(&app, 80, 24));
    app.overlay = Overlay::None;
    app.link = Link::Custom {
        url: "https://127.0.0.1:8787".into(),
        region: "us-east-1".into(),
        auth: "API key".into(),
    };
    insta::assert_snapshot!("api_key_status_120x40", draw(&app, 120, 40));
}

#[test]
fn long_labels_and_figures_fit_their_columns() {
    let mut app = answered();
    let arn = "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3d4e5f6";
    app.entries[1].message.model = Some(arn.into());
    app.entries[1].message.blocks = vec![crate::conversation::Block::Text("Use `sort`.".into())];
    app.entries[1].state = EntryState::Interrupted;
    app.entries[1].usage = Some(Usage {
        input: 123_456,
        output: 65_432,
        cache_read: 1_048_576,
        cache_write: 524_288,
    });
    app.link = Link::Aws {
        region: "us-east-1".into(),
        profile: None,
        auth: "SSO".into(),
    };
    for _ in 0..11 {
        app.entries.push(app.entries[0].clone());
        app.entries.push(app.entries[1].clone());
    }
    let s80 = format!("{:?}", draw(&app, 80, 24));
    // The answer's state shows even when its model label is an ARN.
    assert!(s80.contains("[interrupted]"), "{s80}");
    assert!(
        s80.contains("application-inference-…  [interrupted]"),
        "{s80}"
    );
    insta::assert_snapshot!("long_labels_80x24", draw(&app, 80, 24));
    insta::assert_snapshot!("long_labels_120x40", draw(&app, 120, 40));
}

#[test]
fn the_picker_opens_on_the_current_model() {
    let mut app = answered();
    app.model = "us.amazon.nova-pro-v1:0".into();
    app.overlay = Overlay::Picker(crate::app::picker::Picker::on(
        app.catalog(),
        &app.model,
        app.link.region(),
    ));
    let s = format!("{:?}", draw(&app, 120, 40));
    assert!(s.contains("▶ Nova Pro"), "{s}");
    insta::assert_snapshot!("picker_on_current_120x40", draw(&app, 120, 40));
}

#[test]
fn copy_confirmation() {
    let mut app = answered();
    app.notice = Some(Notice::Info(
        "Copied the rust block (5 lines) to the clipboard.".into(),
    ));
    insta::assert_snapshot!("copied_80x24", draw(&app, 80, 24));
    insta::assert_snapshot!("copied_120x40", draw(&app, 120, 40));
}
