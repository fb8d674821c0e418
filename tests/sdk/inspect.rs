//! The inspector's record of a turn, made by the Bedrock layer against the local
//! endpoint: the request body as the wire carried it, status, request id and URL, the
//! events in order with their times, the response's metadata, the SDK's retries with
//! their causes, and a failed call.

use bedrock_tui::app::turn::{TurnEvent, TurnRequest};
use bedrock_tui::bedrock;
use bedrock_tui::conversation::{Block, Inference, Message, Role};
use bedrock_tui::inspect::{EventKind, Exchange};
use bedrock_tui::local::error::ErrorKind;
use bedrock_tui::local::faults::{Fault, FaultRate};
use serde_json::json;

use super::count::connection;
use super::jobs::request_log;
use super::*;

const HAIKU45: &str = "us.anthropic.claude-haiku-4-5-20251001-v1:0";

fn turn(question: &str) -> TurnRequest {
    TurnRequest {
        model_id: HAIKU45.into(),
        system: Some("Be brief.".into()),
        messages: vec![
            Message::user("What is ownership?"),
            Message {
                role: Role::Assistant,
                blocks: vec![Block::Text("Ownership is a set of rules.".into())],
                model: None,
            },
            Message::user(question),
        ],
        inference: Inference {
            max_tokens: Some(300),
            temperature: Some(0.5),
            ..Inference::default()
        },
        guardrail: None,
        tools: None,
    }
}

/// Streams `req`; the events, the last exchange recorded, and the result.
async fn run(
    conn: &bedrock::Connection,
    req: &TurnRequest,
) -> (Vec<TurnEvent>, Exchange, Result<(), String>) {
    let mut events = Vec::new();
    let result = bedrock::stream_turn(conn, req, |e| events.push(e))
        .await
        .map_err(|e| e.to_string());
    let exchanges: Vec<Exchange> = events
        .iter()
        .filter_map(|e| match e {
            TurnEvent::Exchange(x) => Some((**x).clone()),
            _ => None,
        })
        .collect();
    // Once when the headers are in, once at the end.
    assert_eq!(exchanges.len(), 2, "{exchanges:?}");
    let last = exchanges.last().cloned().unwrap();
    (events, last, result)
}

#[tokio::test]
async fn a_turn_records_its_request_as_sent_and_its_events_in_order() {
    let ep = endpoint().await;
    let conn = connection(&ep).await;
    let (events, x, result) = run(&conn, &turn("And borrowing?")).await;
    result.unwrap();

    assert_eq!(x.operation, "ConverseStream");
    assert_eq!(x.model_id, HAIKU45);
    assert_eq!(x.region, "us-east-1");
    assert_eq!(
        x.url,
        format!(
            "{}/model/us.anthropic.claude-haiku-4-5-20251001-v1%3A0/converse-stream",
            ep.url()
        )
    );
    assert_eq!(x.status, Some(200));
    assert_eq!(x.attempts.len(), 1);
    assert!(x.auth.starts_with("SigV4"), "{}", x.auth);
    // The body is the Converse request the service received.
    assert_eq!(
        x.request,
        json!({
            "messages": [
                {"role": "user", "content": [{"text": "What is ownership?"}]},
                {"role": "assistant", "content": [{"text": "Ownership is a set of rules."}]},
                {"role": "user", "content": [{"text": "And borrowing?"}]}
            ],
            "system": [{"text": "Be brief."}],
            "inferenceConfig": {"maxTokens": 300, "temperature": 0.5}
        })
    );
    // The request id is the endpoint's, as its log has it.
    let log = request_log(&ep).await;
    let logged = log["requests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["operation"] == "ConverseStream")
        .unwrap()
        .clone();
    assert_eq!(x.request_id.as_deref(), logged["requestId"].as_str());

    // First byte, first token, the text block, messageStop, metadata: in this order,
    // with times that never go back.
    let kinds: Vec<&EventKind> = x.events.iter().map(|e| &e.kind).collect();
    assert!(
        matches!(
            kinds[0],
            EventKind::FirstByte {
                status: 200,
                attempt: 1
            }
        ),
        "{kinds:?}"
    );
    assert!(matches!(kinds[1], EventKind::FirstToken), "{kinds:?}");
    let text: String = events
        .iter()
        .filter_map(|e| match e {
            TurnEvent::Text(t) => Some(t.as_str()),
            _ => None,
        })
        .collect();
    assert!(
        kinds.iter().any(
            |k| matches!(k, EventKind::Block { index: 0, content, deltas, chars }
            if content == "text" && *deltas > 1 && *chars == text.chars().count() as u64)
        ),
        "{kinds:?}"
    );
    let tail: Vec<_> = kinds.iter().rev().take(2).rev().collect();
    assert!(
        matches!(tail[0], EventKind::MessageStop { reason } if reason == "end_turn"),
        "{kinds:?}"
    );
    assert!(matches!(tail[1], EventKind::Metadata), "{kinds:?}");
    assert!(x.events.windows(2).all(|w| w[0].at_ms <= w[1].at_ms));

    // The metadata as the stream gave it.
    let usage = usage_of(&events);
    let r = x.response.clone().unwrap();
    let u = r.usage.unwrap();
    assert_eq!(u["inputTokens"], usage.input);
    assert_eq!(u["outputTokens"], usage.output);
    assert!(r.latency_ms.is_some());
    assert_eq!(r.stop_reason.as_deref(), Some("end_turn"));
    assert_eq!(x.error, None);
}

#[tokio::test]
async fn retries_are_recorded_with_their_causes() {
    let ep = endpoint_with(bedrock_tui::local::Settings {
        fault_rate: Some(FaultRate::new(
            0.5,
            vec![Fault::Error(ErrorKind::Throttling)],
            7,
        )),
        ..bedrock_tui::local::Settings::default()
    })
    .await;
    let conn = connection(&ep).await;
    let mut attempts = 0;
    let mut retried = None;
    for n in 0..8 {
        let (_, x, result) = run(&conn, &turn(&format!("Question {n}?"))).await;
        attempts += x.attempts.len();
        // Every attempt but the last failed, and says why.
        for a in &x.attempts[..x.attempts.len() - 1] {
            assert_eq!(a.status, Some(429), "{x:?}");
            assert_eq!(a.cause.as_deref(), Some("ThrottlingException"), "{x:?}");
        }
        assert_eq!(x.attempts.last().unwrap().status, x.status);
        // Each attempt's response arrived as an event, numbered.
        let bytes: Vec<(u16, u32)> = x
            .events
            .iter()
            .filter_map(|e| match e.kind {
                EventKind::FirstByte { status, attempt } => Some((status, attempt)),
                _ => None,
            })
            .collect();
        let want: Vec<(u16, u32)> = x
            .attempts
            .iter()
            .zip(1..)
            .map(|(a, n)| (a.status.unwrap(), n))
            .collect();
        assert_eq!(bytes, want, "{x:?}");
        match result {
            Ok(()) => assert_eq!(x.status, Some(200)),
            Err(_) => assert!(x.error.is_some()),
        }
        if x.retries() > 0 && x.status == Some(200) {
            retried = Some(x);
        }
    }
    assert!(retried.is_some(), "no turn was retried into success");
    // One attempt per request the endpoint saw.
    let log = request_log(&ep).await;
    let sent = log["requests"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["operation"] == "ConverseStream")
        .count();
    assert_eq!(attempts, sent);
}

#[tokio::test]
async fn a_refused_call_keeps_its_status_request_id_and_error() {
    let ep = endpoint().await;
    let conn = connection(&ep).await;
    let (_, x, result) = run(&conn, &turn("Check this [[fault:validation]]")).await;
    let err = result.unwrap_err();
    assert_eq!(x.status, Some(400));
    assert!(x.request_id.as_deref().is_some_and(|id| !id.is_empty()));
    assert_eq!(x.error.as_deref(), Some(err.as_str()));
    assert_eq!(
        x.attempts.last().unwrap().cause.as_deref(),
        Some("ValidationException")
    );
    assert!(matches!(
        x.events.last().map(|e| &e.kind),
        Some(EventKind::Error { .. })
    ));
    // The request is kept although it was refused.
    assert_eq!(
        x.request["messages"][2]["content"][0]["text"],
        "Check this [[fault:validation]]"
    );
}
