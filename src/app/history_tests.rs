//! Reducer tests of the history browser, `/export`, `/theme` and unknown model ids.

use pretty_assertions::assert_eq;

use crate::conversation::Message;
use crate::store::{ConversationId, MessageState, StoredConversation, StoredMessage};

use crate::app::history::{Browser, Mode, Row};
use crate::app::*;

const HAIKU: &str = "anthropic.claude-3-haiku-20240307-v1:0";

fn row(id: i64, title: &str) -> Row {
    Row {
        id: ConversationId(id),
        title: title.into(),
        updated_ms: 1_764_600_000_000,
        messages: 2,
        model: HAIKU.into(),
        snippet: None,
    }
}

fn browser(app: &App) -> &Browser {
    match &app.overlay {
        Overlay::History(b) => b,
        other => panic!("expected the history browser, got {other:?}"),
    }
}

fn listing(effects: &[Effect]) -> (u64, String) {
    match effects {
        [Effect::ListHistory { request, query }] => (*request, query.clone()),
        other => panic!("expected one ListHistory, got {other:?}"),
    }
}

#[test]
fn browsing_searching_drops_stale_listings() {
    let mut app = App::new(HAIKU);
    let (first, q) = listing(&update(&mut app, Msg::OpenHistory));
    assert_eq!(q, "");
    assert!(browser(&app).loading);
    let (r1, q) = listing(&update(&mut app, Msg::History(HistoryKey::Char('r'))));
    assert_eq!(q, "r");
    let (r2, q) = listing(&update(&mut app, Msg::History(HistoryKey::Char('s'))));
    assert_eq!(q, "rs");
    assert!(first < r1 && r1 < r2);
    // The answer to the newest query lands; the older ones, arriving late, are dropped.
    update(
        &mut app,
        Msg::HistoryListed {
            request: r2,
            rows: Ok(vec![row(7, "Rust sorting")]),
        },
    );
    update(
        &mut app,
        Msg::HistoryListed {
            request: r1,
            rows: Ok(vec![row(1, "stale"), row(2, "stale")]),
        },
    );
    let b = browser(&app);
    assert_eq!(b.rows, vec![row(7, "Rust sorting")]);
    assert!(!b.loading);
    // Backspace on an empty query changes nothing.
    update(&mut app, Msg::History(HistoryKey::Backspace));
    let (_, q) = listing(&update(&mut app, Msg::History(HistoryKey::Backspace)));
    assert_eq!(q, "");
    assert!(update(&mut app, Msg::History(HistoryKey::Backspace)).is_empty());
}

fn with_rows(rows: Vec<Row>) -> App {
    let mut app = App::new(HAIKU);
    let (request, _) = listing(&update(&mut app, Msg::OpenHistory));
    update(
        &mut app,
        Msg::HistoryListed {
            request,
            rows: Ok(rows),
        },
    );
    app
}

#[test]
fn rename_and_delete_ask_the_store() {
    let mut app = with_rows(vec![row(1, "One"), row(2, "Two")]);
    update(&mut app, Msg::History(HistoryKey::Down));
    update(&mut app, Msg::History(HistoryKey::Rename));
    assert_eq!(browser(&app).mode, Mode::Rename("Two".into()));
    for _ in 0..3 {
        update(&mut app, Msg::History(HistoryKey::Backspace));
    }
    for c in "Deux".chars() {
        update(&mut app, Msg::History(HistoryKey::Char(c)));
    }
    let effects = update(&mut app, Msg::History(HistoryKey::Enter));
    assert_eq!(
        effects,
        vec![Effect::RenameConversation {
            id: ConversationId(2),
            title: "Deux".into()
        }]
    );
    assert_eq!(browser(&app).rows[1].title, "Deux");
    assert_eq!(browser(&app).mode, Mode::Browse);

    // Delete asks first; any key but y keeps it.
    update(&mut app, Msg::History(HistoryKey::Delete));
    assert_eq!(browser(&app).mode, Mode::ConfirmDelete);
    assert!(update(&mut app, Msg::History(HistoryKey::Char('n'))).is_empty());
    assert_eq!(browser(&app).rows.len(), 2);
    update(&mut app, Msg::History(HistoryKey::Delete));
    let effects = update(&mut app, Msg::History(HistoryKey::Char('y')));
    assert_eq!(effects, vec![Effect::DeleteConversation(ConversationId(2))]);
    assert_eq!(browser(&app).rows, vec![row(1, "One")]);
    assert_eq!(browser(&app).selected, 0);

    let effects = update(&mut app, Msg::History(HistoryKey::Export(Format::Json)));
    assert_eq!(
        effects,
        vec![Effect::Export {
            conversation: Some(ConversationId(1)),
            format: Format::Json,
            path: None
        }]
    );
}

fn stored(id: i64) -> StoredConversation {
    let mut answer = Message::user("Use reversed().");
    answer.role = crate::conversation::Role::Assistant;
    answer.model = Some("us.amazon.nova-pro-v1:0".into());
    StoredConversation {
        id: ConversationId(id),
        title: "Python lists".into(),
        model: HAIKU.into(),
        system: Some("Be brief.".into()),
        created_ms: 1,
        updated_ms: 2,
        messages: vec![
            StoredMessage::new(0, Message::user("How do I reverse a list?"), 1),
            StoredMessage {
                state: MessageState::Done,
                ..StoredMessage::new(1, answer, 2)
            },
        ],
    }
}

#[test]
fn opening_stops_the_stream_and_replaces_the_conversation() {
    let mut app = with_rows(vec![row(4, "Python lists")]);
    app.overlay = Overlay::None;
    let (turn, _) = match update(&mut app, Msg::Submit("Long question".into())).as_slice() {
        [.., Effect::StartTurn { id, request }] => (*id, request.clone()),
        other => panic!("{other:?}"),
    };
    let (request, _) = listing(&update(&mut app, Msg::OpenHistory));
    update(
        &mut app,
        Msg::HistoryListed {
            request,
            rows: Ok(vec![row(4, "Python lists")]),
        },
    );
    let effects = update(&mut app, Msg::History(HistoryKey::Enter));
    assert_eq!(
        effects,
        vec![
            Effect::CancelTurn(turn),
            Effect::Save(Save::Entry(1)),
            Effect::OpenConversation(ConversationId(4))
        ]
    );
    assert_eq!(app.entries[1].state, EntryState::Cancelled);
    assert_eq!(browser(&app).mode, Mode::Opening);
    // Keys wait while it loads.
    assert!(update(&mut app, Msg::History(HistoryKey::Char('x'))).is_empty());

    let epoch = app.epoch;
    let effects = update(&mut app, Msg::ConversationLoaded(Ok(stored(4))));
    assert!(
        matches!(effects.as_slice(), [Effect::ScheduleCount { .. }]),
        "{effects:?}"
    );
    assert_eq!(app.overlay, Overlay::None);
    assert_eq!(app.entries.len(), 2);
    assert_eq!(app.entries[0].message.text(), "How do I reverse a list?");
    assert_eq!(app.system.as_deref(), Some("Be brief."));
    assert_eq!(
        app.model, "us.amazon.nova-pro-v1:0",
        "the model of the last answer"
    );
    assert_eq!(
        app.epoch,
        epoch + 1,
        "renderers drop the old conversation's lines"
    );
    // A late event of the stopped turn changes nothing.
    update(
        &mut app,
        Msg::Turn {
            id: turn,
            event: crate::app::turn::TurnEvent::Text("late".into()),
        },
    );
    assert_eq!(app.entries[1].message.text(), "Use reversed().");
}

#[test]
fn a_question_waits_for_the_conversation_continue_is_loading() {
    let mut app = App::new(HAIKU);
    app.resuming = true;
    let effects = update(&mut app, Msg::Submit("Go on".into()));
    assert_eq!(effects, vec![Effect::SetComposer("Go on".into())]);
    assert!(app.entries.is_empty(), "no turn starts");
    assert_eq!(
        app.notice,
        Some(Notice::Info(
            "The last conversation is still being opened: send again in a moment.".into()
        ))
    );

    update(&mut app, Msg::ConversationLoaded(Ok(stored(4))));
    assert!(!app.resuming);
    assert_eq!(app.entries.len(), 2);
    assert_eq!(
        app.notice,
        Some(Notice::Info(
            "Continuing \u{201c}Python lists\u{201d}.".into()
        ))
    );
    let effects = update(&mut app, Msg::Submit("Go on".into()));
    assert!(
        matches!(effects.as_slice(), [.., Effect::StartTurn { .. }]),
        "{effects:?}"
    );
}

#[test]
fn a_failed_continue_says_so_and_leaves_a_new_conversation() {
    let mut app = App::new(HAIKU);
    app.resuming = true;
    update(
        &mut app,
        Msg::ConversationLoaded(Err("database is locked".into())),
    );
    assert!(!app.resuming);
    assert!(app.entries.is_empty());
    assert_eq!(
        app.notice,
        Some(Notice::Error(
            "Could not open the last conversation: database is locked".into()
        ))
    );
}

#[test]
fn a_failed_open_keeps_the_browser_and_says_why() {
    let mut app = with_rows(vec![row(4, "Gone")]);
    update(&mut app, Msg::History(HistoryKey::Enter));
    update(
        &mut app,
        Msg::ConversationLoaded(Err("conversation 4 not found".into())),
    );
    assert_eq!(browser(&app).mode, Mode::Browse);
    assert_eq!(
        browser(&app).error.as_deref(),
        Some("conversation 4 not found")
    );
    assert_eq!(
        app.notice,
        Some(Notice::Error(
            "Could not open the conversation: conversation 4 not found".into()
        ))
    );
}

#[test]
fn deleting_the_open_conversation_starts_a_new_one() {
    let mut app = App::new(HAIKU);
    update(&mut app, Msg::Submit("Hi".into()));
    let effects = update(&mut app, Msg::ConversationDeleted { current: true });
    assert!(matches!(
        effects.as_slice(),
        [
            Effect::CancelTurn(_),
            Effect::Save(Save::Entry(1)),
            Effect::Save(Save::New),
            Effect::ScheduleCount { .. }
        ]
    ));
    assert!(app.entries.is_empty());
    let mut other = App::new(HAIKU);
    assert!(update(&mut other, Msg::ConversationDeleted { current: false }).is_empty());
}

#[test]
fn export_command_picks_format_and_path() {
    let mut app = App::new(HAIKU);
    let effects = update(&mut app, Msg::Submit("/export".into()));
    assert_eq!(effects, vec![Effect::SetComposer("/export".into())]);
    assert_eq!(
        app.notice,
        Some(Notice::Error(
            "Nothing to export yet: ask something first.".into()
        ))
    );
    app.entries
        .push(Entry::new(Message::user("Hi"), EntryState::Done));
    let cases = [
        ("/export", Format::Markdown, None),
        ("/export json", Format::Json, None),
        (
            "/export md notes/today.md",
            Format::Markdown,
            Some("notes/today.md"),
        ),
        ("/export out.json", Format::Json, Some("out.json")),
        ("/export ~/chat.md", Format::Markdown, Some("~/chat.md")),
    ];
    for (cmd, format, path) in cases {
        assert_eq!(
            update(&mut app, Msg::Submit(cmd.into())),
            vec![Effect::Export {
                conversation: None,
                format,
                path: path.map(str::to_owned)
            }],
            "{cmd}"
        );
    }
    // A format it does not know, by name or by extension, is refused; nothing is written.
    for (cmd, said) in [
        ("/export yaml", "Unknown export format \u{201c}yaml\u{201d}"),
        ("/export YAML out", "Unknown export format"),
        ("/export chat.yaml", "Cannot export as .yaml"),
    ] {
        let effects = update(&mut app, Msg::Submit(cmd.into()));
        assert_eq!(effects, vec![Effect::SetComposer(cmd.into())], "{cmd}");
        assert!(
            matches!(&app.notice, Some(Notice::Error(m)) if m.starts_with(said) && m.contains("md (Markdown) and json")),
            "{cmd}: {:?}",
            app.notice
        );
    }
    update(&mut app, Msg::Submit("/export notes/chat".into()));
    update(&mut app, Msg::Stored(Ok("Exported to /tmp/x.md.".into())));
    assert_eq!(
        app.notice,
        Some(Notice::Info("Exported to /tmp/x.md.".into()))
    );
}

#[test]
fn theme_command_switches_and_lists() {
    let mut app = App::new(HAIKU);
    assert_eq!(app.theme, "base16-ocean.dark");
    update(&mut app, Msg::Submit("/theme solarized (light)".into()));
    assert_eq!(app.theme, "Solarized (light)");
    assert_eq!(app.epoch, 1);
    let effects = update(&mut app, Msg::Submit("/theme neon".into()));
    assert_eq!(effects, vec![Effect::SetComposer("/theme neon".into())]);
    assert_eq!(app.theme, "Solarized (light)");
    update(&mut app, Msg::Submit("/theme".into()));
    assert!(
        matches!(&app.notice, Some(Notice::Info(m)) if m.starts_with("Theme: Solarized (light). Themes: base16-ocean.dark"))
    );
}

#[test]
fn an_unknown_model_is_refused_with_close_matches() {
    let mut app = App::new(HAIKU);
    app.entries
        .push(Entry::new(Message::user("Hi"), EntryState::Done));
    let before = app.clone();
    update(
        &mut app,
        Msg::Submit("/model anthropic.claude-3-haiku-2024".into()),
    );
    assert_eq!(app.model, HAIKU);
    assert_eq!(app.entries, before.entries);
    assert!(
        matches!(&app.notice, Some(Notice::Error(m)) if m.contains("did you mean anthropic.claude-3-haiku-20240307-v1:0")),
        "{:?}",
        app.notice
    );
}

#[test]
fn help_scrolls_while_open() {
    let mut app = App::new(HAIKU);
    update(&mut app, Msg::ToggleHelp);
    update(&mut app, Msg::ScrollBy(-10));
    assert_eq!(app.help_scroll, 10);
    assert_eq!(app.scroll, 0, "the conversation stays put");
    update(&mut app, Msg::ScrollBy(30));
    assert_eq!(app.help_scroll, 0);
    update(&mut app, Msg::ToggleHelp);
    update(&mut app, Msg::ScrollBy(5));
    assert_eq!(app.scroll, 5);
}
