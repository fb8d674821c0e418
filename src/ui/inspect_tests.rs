//! Snapshots of the request inspector (the exchange, a retried call, a snippet), the
//! native console with its body in the composer, a native answer with its raw chunks,
//! and the confirmation of a copied snippet.

use serde_json::json;

use super::tests::draw;
use crate::app::inspect::InspectKey;
use crate::app::{App, Entry, EntryState, Msg, Notice, update};
use crate::conversation::{Block, Message, Role, StopReason, Usage};
use crate::inspect::{Attempt, Event, EventKind, Exchange, Response};

const HAIKU: &str = "us.anthropic.claude-haiku-4-5-20251001-v1:0";

fn at(at_ms: u64, kind: EventKind) -> Event {
    Event { at_ms, kind }
}

fn exchange() -> Exchange {
    Exchange {
        operation: "ConverseStream".into(),
        model_id: HAIKU.into(),
        url: format!(
            "http://127.0.0.1:8787/model/{}/converse-stream",
            HAIKU.replace(':', "%3A")
        ),
        region: "us-east-1".into(),
        auth: "SigV4 (access keys)".into(),
        request: json!({
            "messages": [{"role": "user", "content": [{"text": "How do I sort a vector in Rust?"}]}],
            "system": [{"text": "Be brief."}],
            "inferenceConfig": {"maxTokens": 512, "temperature": 0.2}
        }),
        status: Some(200),
        request_id: Some("3f6c1a2e-7b7d-4d0e-9a51-0c2f5e8b9d11".into()),
        attempts: vec![Attempt {
            at_ms: 0,
            status: Some(200),
            cause: None,
        }],
        events: vec![
            at(
                212,
                EventKind::FirstByte {
                    status: 200,
                    attempt: 1,
                },
            ),
            at(305, EventKind::FirstToken),
            at(
                1630,
                EventKind::Block {
                    index: 0,
                    content: "text".into(),
                    deltas: 58,
                    chars: 412,
                },
            ),
            at(
                1631,
                EventKind::MessageStop {
                    reason: "end_turn".into(),
                },
            ),
            at(1632, EventKind::Metadata),
        ],
        response: Some(Response {
            usage: Some(json!({"inputTokens": 18, "outputTokens": 121, "totalTokens": 139})),
            latency_ms: Some(1598),
            stop_reason: Some("end_turn".into()),
            trace: Vec::new(),
        }),
        error: None,
        chunks: Vec::new(),
    }
}

fn answered(x: Exchange) -> App {
    let mut app = super::tests::asked(HAIKU);
    let mut a = Entry::new(
        Message {
            role: Role::Assistant,
            blocks: vec![Block::Text(
                "Call `sort` on it:\n\n```rust\nlet mut v = vec![3, 1, 2];\nv.sort();\n```".into(),
            )],
            model: Some(HAIKU.into()),
        },
        EntryState::Done,
    );
    a.stop = Some(StopReason::EndTurn);
    a.usage = Some(Usage {
        input: 18,
        output: 121,
        ..Usage::default()
    });
    a.exchange = Some(Box::new(x));
    app.entries.push(a);
    app
}

#[test]
fn inspector_shows_the_exchange() {
    let mut app = answered(exchange());
    update(&mut app, Msg::Inspect);
    insta::assert_snapshot!("inspector_80x24", draw(&app, 80, 24));
    insta::assert_snapshot!("inspector_120x40", draw(&app, 120, 40));
}

#[test]
fn inspector_shows_retries_and_their_causes() {
    let mut x = exchange();
    x.attempts = vec![
        Attempt {
            at_ms: 0,
            status: Some(429),
            cause: Some("ThrottlingException".into()),
        },
        Attempt {
            at_ms: 61,
            status: Some(503),
            cause: Some("ServiceUnavailableException".into()),
        },
        Attempt {
            at_ms: 180,
            status: Some(200),
            cause: None,
        },
    ];
    x.events.splice(
        0..1,
        [(1, 429, 1), (62, 503, 2), (212, 200, 3)]
            .map(|(ms, status, attempt)| at(ms, EventKind::FirstByte { status, attempt })),
    );
    let mut app = answered(x);
    update(&mut app, Msg::Inspect);
    insta::assert_snapshot!("inspector_retried_120x40", draw(&app, 120, 40));
}

#[test]
fn inspector_shows_the_request_as_code_and_the_copy_is_confirmed() {
    let mut app = answered(exchange());
    update(&mut app, Msg::Inspect);
    update(
        &mut app,
        Msg::InspectKey {
            key: InspectKey::Next,
            page: 10,
            max: 100,
        },
    );
    update(
        &mut app,
        Msg::InspectKey {
            key: InspectKey::Copy,
            page: 10,
            max: 100,
        },
    );
    assert!(matches!(app.notice, Some(Notice::Info(_))));
    insta::assert_snapshot!("inspector_boto3_120x40", draw(&app, 120, 40));
    insta::assert_snapshot!("inspector_boto3_80x24", draw(&app, 80, 24));
}

#[test]
fn native_console_and_a_native_answer() {
    let mut app = answered(exchange());
    let effects = update(&mut app, Msg::Native("And in Go?".into()));
    let body = effects
        .iter()
        .find_map(|e| match e {
            crate::app::Effect::SetComposer(t) => Some(t.clone()),
            _ => None,
        })
        .unwrap();
    let mut terminal = ratatui::Terminal::new(ratatui::backend::TestBackend::new(120, 40)).unwrap();
    let mut view = super::View::default();
    view.composer.set_text(&body);
    terminal.draw(|f| view.draw(f, &app)).unwrap();
    insta::assert_snapshot!("native_console_120x40", terminal.backend().clone());
    let mut terminal = ratatui::Terminal::new(ratatui::backend::TestBackend::new(80, 24)).unwrap();
    terminal.draw(|f| view.draw(f, &app)).unwrap();
    insta::assert_snapshot!("native_console_80x24", terminal.backend().clone());

    // Sent: the turn is labelled native and its raw chunks stand under its text.
    let effects = update(&mut app, Msg::Submit(body));
    let Some(crate::app::Effect::StartNative { id, .. }) = effects.last() else {
        panic!("{effects:?}");
    };
    let id = *id;
    let chunks = [
        r#"{"type":"message_start","message":{"role":"assistant"}}"#,
        r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Use slices.Sort"}}"#,
        r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":" from the standard library."}}"#,
        r#"{"type":"message_delta","delta":{"stop_reason":"end_turn"}}"#,
        r#"{"type":"message_stop","amazon-bedrock-invocationMetrics":{"inputTokenCount":40,"outputTokenCount":9}}"#,
    ];
    for t in ["Use slices.Sort", " from the standard library."] {
        update(
            &mut app,
            Msg::Turn {
                id,
                event: crate::app::turn::TurnEvent::Text(t.into()),
            },
        );
    }
    let x = Exchange {
        operation: "InvokeModelWithResponseStream".into(),
        chunks: chunks.iter().map(|c| (*c).to_owned()).collect(),
        ..exchange()
    };
    for event in [
        crate::app::turn::TurnEvent::Metadata {
            usage: Usage {
                input: 40,
                output: 9,
                ..Usage::default()
            },
            latency_ms: 700,
        },
        crate::app::turn::TurnEvent::Exchange(Box::new(x)),
    ] {
        update(&mut app, Msg::Turn { id, event });
    }
    update(&mut app, Msg::TurnDone { id });
    insta::assert_snapshot!("native_answer_120x40", draw(&app, 120, 40));
}
