//! Snapshots of the comparison: columns at 120x40, stacked at 80x24, the question of
//! which model goes on, and a kept answer's alternatives in the conversation.

use crate::app::compare::{Column, Compare};
use crate::app::error::BedrockError;
use crate::app::meter::Timing;
use crate::app::{App, Entry, EntryState, TurnId};
use crate::conversation::{Block, Message, Role, StopReason, Usage};

use super::super::tests::draw;

const HAIKU: &str = "anthropic.claude-3-haiku-20240307-v1:0";
const NOVA: &str = "amazon.nova-lite-v1:0";
const LLAMA: &str = "us.meta.llama3-2-1b-instruct-v1:0";

fn answer(model: &str, text: &str, state: EntryState) -> Entry {
    let mut e = Entry::new(
        Message {
            role: Role::Assistant,
            blocks: vec![Block::Text(text.into())],
            model: Some(model.into()),
        },
        state,
    );
    e.revision = 1;
    e
}

fn done(model: &str, text: &str, usage: (u32, u32), timing: (u64, u64)) -> Entry {
    let mut e = answer(model, text, EntryState::Done);
    e.stop = Some(StopReason::EndTurn);
    e.usage = Some(Usage {
        input: usage.0,
        output: usage.1,
        ..Usage::default()
    });
    e.timing = Some(Timing {
        first_token_ms: Some(timing.0),
        total_ms: timing.1,
        service_ms: None,
    });
    e
}

fn column(model: &str, turn: Option<u64>, entry: Entry) -> Column {
    Column {
        model: model.into(),
        turn: turn.map(TurnId),
        entry,
        scroll: 0,
    }
}

const HAIKU_SAYS: &str = "Use `sort_unstable` when the order of equal items does not matter: it is faster and sorts in place.\n\n```rust\nv.sort_unstable();\n```";
const NOVA_SAYS: &str =
    "Call `v.sort()` for a stable sort, or `v.sort_by_key(|x| x.len())` to sort by a key.";

fn comparing(streaming: bool) -> App {
    let mut app = super::super::tests::asked(HAIKU);
    let third = if streaming {
        let mut e = answer(
            LLAMA,
            "Sorting a vector in Rust is done with the",
            EntryState::Streaming,
        );
        e.timing = Some(Timing {
            first_token_ms: Some(412),
            total_ms: 0,
            service_ms: None,
        });
        column(LLAMA, Some(9), e)
    } else {
        let mut e = answer(LLAMA, "", EntryState::Done);
        e.message.blocks.clear();
        e.state = EntryState::Failed(BedrockError::AccessDenied {
            message: "You don't have access to the model with the specified model ID.".into(),
        });
        column(LLAMA, None, e)
    };
    app.compare = Some(Compare {
        id: 7,
        question: 0,
        columns: vec![
            column(HAIKU, None, done(HAIKU, HAIKU_SAYS, (14, 38), (231, 910))),
            column(NOVA, None, done(NOVA, NOVA_SAYS, (12, 29), (180, 640))),
            third,
        ],
        selected: 1,
        confirm: false,
    });
    app
}

#[test]
fn compare_columns_and_stacked() {
    let app = comparing(true);
    insta::assert_snapshot!("compare_streaming_120x40", draw(&app, 120, 40));
    insta::assert_snapshot!("compare_streaming_80x24", draw(&app, 80, 24));
    let app = comparing(false);
    insta::assert_snapshot!("compare_done_120x40", draw(&app, 120, 40));
    insta::assert_snapshot!("compare_done_80x24", draw(&app, 80, 24));
}

#[test]
fn compare_asks_which_model_goes_on() {
    let mut app = comparing(false);
    if let Some(c) = app.compare.as_mut() {
        c.confirm = true;
    }
    insta::assert_snapshot!("compare_confirm_120x40", draw(&app, 120, 40));
}

#[test]
fn a_kept_answer_names_its_alternatives_and_shows_them_on_request() {
    let mut app = comparing(false);
    let Some(mut cmp) = app.compare.take() else {
        unreachable!()
    };
    let mut kept = cmp.columns.remove(1).entry;
    kept.alternatives = cmp.columns.into_iter().map(|c| c.entry).collect();
    app.entries.push(kept);
    insta::assert_snapshot!("alternatives_folded_80x24", draw(&app, 80, 24));
    app.alternatives = true;
    insta::assert_snapshot!("alternatives_shown_120x40", draw(&app, 120, 40));
}

/// The figures under a column, as one line of text.
fn figures_text(app: &App, col: &Column) -> String {
    let f = super::figures(app, crate::pricing::Prices::builtin(), col);
    let spans = super::items(col, &f);
    let parts: Vec<&str> = spans.iter().map(|s| s.content.as_ref()).collect();
    parts.join(" · ")
}

#[test]
fn a_guarded_answer_shows_the_guardrails_verdict_under_it() {
    let app = comparing(false);
    let mut col = column(NOVA, None, done(NOVA, NOVA_SAYS, (12, 29), (180, 640)));
    assert!(!figures_text(&app, &col).contains("guardrail"));
    col.entry.guardrail = Some("demo".into());
    let text = figures_text(&app, &col);
    assert!(text.ends_with("$0.0000077 · guardrail passed"), "{text}");
    col.entry.stop = Some(StopReason::GuardrailIntervened);
    col.entry.trace = Some(Box::new(crate::guardrail::denied_topic_trace()));
    let text = figures_text(&app, &col);
    assert!(
        text.ends_with("guardrail_intervened · $0.0000077 · guardrail blocked"),
        "{text}"
    );
    // While the answer streams, no verdict yet.
    col.turn = Some(TurnId(3));
    assert!(!figures_text(&app, &col).contains("guardrail blocked"));
}
