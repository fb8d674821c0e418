//! Reducer tests of the inspector: what opens it, its tabs, the code it makes from the
//! recorded request (attachments filled back in), copying and writing.

use pretty_assertions::assert_eq;
use serde_json::json;

use super::*;
use crate::app::{Entry, EntryState, Msg, update};
use crate::conversation::{Blob, Block, Kind, Media, Message, Role, Source};
use crate::inspect::Exchange;

const HAIKU: &str = "anthropic.claude-3-haiku-20240307-v1:0";

fn png() -> Media {
    Media {
        kind: Kind::Image,
        format: "png".into(),
        file: "chart.png".into(),
        name: String::new(),
        source: Source::Bytes(Blob::new((0..=255u8).cycle().take(3000).collect())),
        citations: false,
    }
}

/// A conversation of one question (with an image) and its answer, whose exchange
/// recorded the request as the wire carried it.
fn answered(url: &str) -> App {
    use base64::Engine;
    let mut app = App::new(HAIKU);
    let media = png();
    let b64 = base64::engine::general_purpose::STANDARD.encode(media.data().unwrap());
    app.entries.push(Entry::new(
        Message::question("What is in the chart?", vec![media]),
        EntryState::Done,
    ));
    let mut answer = Entry::new(
        Message {
            role: Role::Assistant,
            blocks: vec![Block::Text("A rising line.".into())],
            model: Some(HAIKU.into()),
        },
        EntryState::Done,
    );
    answer.exchange = Some(Box::new(Exchange {
        operation: "ConverseStream".into(),
        model_id: HAIKU.into(),
        url: url.into(),
        region: "us-east-1".into(),
        auth: "SigV4 (access keys)".into(),
        request: crate::inspect::abbreviate(&json!({"messages": [{"role": "user", "content": [
            {"image": {"format": "png", "source": {"bytes": b64}}},
            {"text": "What is in the chart?"}
        ]}]})),
        status: Some(200),
        request_id: Some("6f1c-22ab".into()),
        ..Exchange::default()
    }));
    app.entries.push(answer);
    app
}

fn inspector(app: &App) -> &Inspector {
    match &app.overlay {
        Overlay::Inspector(i) => i,
        other => panic!("the inspector is not open: {other:?}"),
    }
}

fn key(app: &mut App, key: InspectKey) -> Vec<Effect> {
    update(
        app,
        Msg::InspectKey {
            key,
            page: 10,
            max: 100,
        },
    )
}

#[test]
fn nothing_to_inspect_says_why_and_opens_nothing() {
    let mut app = App::new(HAIKU);
    assert!(update(&mut app, Msg::Inspect).is_empty());
    assert_eq!(app.overlay, Overlay::None);
    assert!(app.notice.as_ref().unwrap().text().contains("no answer"));

    let mut app =
        answered("https://bedrock-runtime.us-east-1.amazonaws.com/model/x/converse-stream");
    app.entries[1].exchange = None;
    update(&mut app, Msg::Inspect);
    assert_eq!(app.overlay, Overlay::None);
    assert!(app.notice.as_ref().unwrap().text().contains("no record"));
}

#[test]
fn the_request_tab_shows_the_body_with_attachments_as_references() {
    let mut app =
        answered("https://bedrock-runtime.us-east-1.amazonaws.com/model/x/converse-stream");
    update(&mut app, Msg::Submit("/inspect".into()));
    let i = inspector(&app);
    assert_eq!((i.entry, i.tab), (1, Tab::Wire));
    assert!(i.text.contains("\"$blob\""), "{}", i.text);
    assert!(i.text.contains("\"size\": 3000"));
    assert!(i.text.contains("What is in the chart?"));
}

#[test]
fn copying_the_request_gives_it_as_sent_with_the_bytes() {
    let mut app =
        answered("https://bedrock-runtime.us-east-1.amazonaws.com/model/x/converse-stream");
    update(&mut app, Msg::Inspect);
    let effects = key(&mut app, InspectKey::Copy);
    let [Effect::Clipboard(text)] = effects.as_slice() else {
        panic!("{effects:?}");
    };
    let sent: serde_json::Value = serde_json::from_str(text).unwrap();
    let b64 = sent["messages"][0]["content"][0]["image"]["source"]["bytes"]
        .as_str()
        .unwrap();
    assert_eq!(b64.len(), 4000);
    assert!(
        app.notice
            .as_ref()
            .unwrap()
            .text()
            .starts_with("Copied the request")
    );
}

#[test]
fn tabs_cycle_through_the_languages_and_copy_the_snippet_shown() {
    let mut app = answered("http://127.0.0.1:4567/model/x/converse-stream");
    update(&mut app, Msg::Inspect);
    key(&mut app, InspectKey::Next);
    let i = inspector(&app);
    assert_eq!(i.tab, Tab::Code(Language::Python));
    // The snippet has the attachment's bytes and the local endpoint.
    assert!(i.text.contains("127.0.0.1:4567"), "{}", i.text);
    let shown = i.text.clone();
    let effects = key(&mut app, InspectKey::Copy);
    assert_eq!(effects, vec![Effect::Clipboard(shown)]);
    assert!(
        app.notice
            .as_ref()
            .unwrap()
            .text()
            .starts_with(&format!("Copied the {} snippet", Language::Python.label()))
    );

    key(&mut app, InspectKey::Prev);
    key(&mut app, InspectKey::Prev);
    assert_eq!(inspector(&app).tab, Tab::Code(Language::Curl));
    key(&mut app, InspectKey::Tab(0));
    assert_eq!(inspector(&app).tab, Tab::Wire);
    key(&mut app, InspectKey::Tab(40));
    assert_eq!(inspector(&app).tab, Tab::Wire);
}

#[test]
fn writing_names_the_file_after_the_request_id_and_language() {
    let mut app = answered("http://127.0.0.1:4567/model/x/converse-stream");
    update(&mut app, Msg::Inspect);
    key(&mut app, InspectKey::Tab(5));
    let effects = key(&mut app, InspectKey::Write);
    let [
        Effect::WriteFile {
            stem,
            extension,
            text,
            what,
        },
    ] = effects.as_slice()
    else {
        panic!("{effects:?}");
    };
    assert_eq!(stem, "request-6f1c22ab");
    assert_eq!(extension, Language::Curl.extension());
    assert_eq!(text, &inspector(&app).text);
    assert_eq!(what, &format!("{} snippet", Language::Curl.label()));
}

#[test]
fn a_native_request_has_no_converse_code() {
    let mut app = answered("http://127.0.0.1:4567/model/x/invoke");
    app.entries[1].exchange.as_mut().unwrap().operation = "InvokeModel".into();
    update(&mut app, Msg::Inspect);
    key(&mut app, InspectKey::Next);
    let i = inspector(&app);
    assert!(i.unavailable.as_deref().unwrap().contains("InvokeModel"));
    assert!(key(&mut app, InspectKey::Copy).is_empty());
    assert!(matches!(app.notice, Some(Notice::Error(_))));
}

#[test]
fn a_snippet_needs_the_attachments_still_in_the_conversation() {
    let mut app = answered("http://127.0.0.1:4567/model/x/converse-stream");
    app.entries[0]
        .message
        .blocks
        .retain(|b| !matches!(b, Block::Media(_)));
    update(&mut app, Msg::Inspect);
    key(&mut app, InspectKey::Next);
    assert!(
        inspector(&app)
            .unavailable
            .as_deref()
            .unwrap()
            .contains("no longer in the conversation")
    );
}

#[test]
fn only_amazon_bedrocks_own_endpoint_is_left_to_the_sdks() {
    assert_eq!(
        custom_endpoint(
            "https://bedrock-runtime.us-west-2.amazonaws.com/model/m/converse-stream",
            "us-west-2"
        ),
        None
    );
    assert_eq!(
        custom_endpoint("http://127.0.0.1:8080/model/m/converse-stream", "us-east-1").as_deref(),
        Some("http://127.0.0.1:8080")
    );
    // Another region's endpoint is named, as the request went there.
    assert_eq!(
        custom_endpoint(
            "https://bedrock-runtime.eu-west-1.amazonaws.com/model/m/converse-stream",
            "us-east-1"
        )
        .as_deref(),
        Some("https://bedrock-runtime.eu-west-1.amazonaws.com")
    );
}

#[test]
fn scrolling_stays_within_the_text() {
    let mut app = answered("http://127.0.0.1:4567/model/x/converse-stream");
    update(&mut app, Msg::Inspect);
    key(&mut app, InspectKey::Up);
    assert_eq!(inspector(&app).scroll, 0);
    key(&mut app, InspectKey::PageDown);
    assert_eq!(inspector(&app).scroll, 10);
    key(&mut app, InspectKey::End);
    assert_eq!(inspector(&app).scroll, 100);
    key(&mut app, InspectKey::Down);
    assert_eq!(inspector(&app).scroll, 100);
    key(&mut app, InspectKey::Top);
    assert_eq!(inspector(&app).scroll, 0);
}

#[test]
fn a_native_exchanges_chunks_follow_its_request() {
    let mut app = answered("http://127.0.0.1:4567/model/x/invoke-with-response-stream");
    let x = app.entries[1].exchange.as_mut().unwrap();
    x.operation = "InvokeModelWithResponseStream".into();
    x.chunks = vec![
        r#"{"type":"content_block_delta","delta":{"text":"Hi"}}"#.into(),
        r#"{"type":"message_stop","amazon-bedrock-invocationMetrics":{"inputTokenCount":4}}"#
            .into(),
    ];
    update(&mut app, Msg::Inspect);
    let text = inspector(&app).text.clone();
    assert!(text.ends_with("\n\nResponse chunks\n{\"type\":\"content_block_delta\",\"delta\":{\"text\":\"Hi\"}}\n{\"type\":\"message_stop\",\"amazon-bedrock-invocationMetrics\":{\"inputTokenCount\":4}}\n"), "{text}");
}

#[test]
fn keys_after_the_conversation_was_replaced_change_nothing_and_do_not_panic() {
    let mut app = answered("http://127.0.0.1:4567/model/x/converse-stream");
    update(&mut app, Msg::Inspect);
    app.entries.clear();
    for k in [
        InspectKey::Next,
        InspectKey::Copy,
        InspectKey::Write,
        InspectKey::Prev,
    ] {
        key(&mut app, k);
    }
    assert!(matches!(app.notice, Some(Notice::Error(_))));
}
