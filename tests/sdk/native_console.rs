//! The native console's bodies against the local endpoint: for each family, the body
//! built from a two-turn conversation is sent with InvokeModel and with
//! InvokeModelWithResponseStream, and both answers read back are the one Converse gives
//! for the same conversation, with the same token counts.

use aws_sdk_bedrockruntime::types::{InferenceConfiguration, SystemContentBlock};
use bedrock_tui::bedrock::invoke::{invoke, invoke_stream};
use bedrock_tui::catalog::Catalog;
use bedrock_tui::conversation::{Block, Inference, Message, Role, Usage};
use bedrock_tui::native::{self, Chunks, Reply};

use super::count::connection;
use super::guardrails::converse_text;
use super::*;

const SYSTEM: &str = "You are a concise Rust tutor.";
const ASKED: &str = "What is ownership in Rust?";
const ANSWERED: &str = "Ownership is how Rust manages memory: each value has exactly one owner.";
const FOLLOW_UP: &str = "How does borrowing relate to lifetimes?";

/// The model each family is tried with, as it is invoked (a profile id where the model
/// has no on-demand throughput), and whether the family takes a system prompt.
const MODELS: [(&str, bool); 7] = [
    ("us.anthropic.claude-haiku-4-5-20251001-v1:0", true),
    ("amazon.nova-lite-v1:0", true),
    ("amazon.titan-text-express-v1", false),
    ("us.meta.llama3-1-8b-instruct-v1:0", true),
    ("mistral.mistral-large-2407-v1:0", true),
    ("cohere.command-r-v1:0", true),
    ("ai21.jamba-1-5-mini-v1:0", true),
];

fn conversation() -> Vec<Message> {
    vec![
        Message::user(ASKED),
        Message {
            role: Role::Assistant,
            blocks: vec![Block::Text(ANSWERED.into())],
            model: None,
        },
        Message::user(FOLLOW_UP),
    ]
}

fn inference() -> Inference {
    Inference {
        max_tokens: Some(1000),
        temperature: Some(0.5),
        top_p: Some(0.9),
        stop_sequences: Vec::new(),
        ..Inference::default()
    }
}

/// Converse's answer and usage for the same conversation and settings.
async fn converse(ep: &LocalEndpoint, id: &str, system: Option<&str>) -> (String, Usage) {
    let inf = inference();
    let mut req = client(ep)
        .converse()
        .model_id(id)
        .messages(user(ASKED))
        .messages(assistant(ANSWERED))
        .messages(user(FOLLOW_UP))
        .inference_config(
            InferenceConfiguration::builder()
                .max_tokens(inf.max_tokens.unwrap() as i32)
                .set_temperature(inf.temperature)
                .set_top_p(inf.top_p)
                .build(),
        );
    if let Some(s) = system {
        req = req.system(SystemContentBlock::Text(s.into()));
    }
    let out = req.send().await.unwrap_or_else(|e| panic!("{id}: {e:?}"));
    let text = converse_text(&out);
    let u = out.usage().unwrap();
    let usage = Usage {
        input: u.input_tokens() as u32,
        output: u.output_tokens() as u32,
        ..Usage::default()
    };
    (text, usage)
}

#[tokio::test]
async fn every_familys_console_body_gets_the_converse_answer_whole_and_streamed() {
    let ep = endpoint().await;
    let conn = connection(&ep).await;
    for (id, takes_system) in MODELS {
        let model = Catalog::builtin().lookup(id).unwrap();
        let system = takes_system.then_some(SYSTEM);
        let body = native::body(model, system, &conversation(), &inference()).unwrap();
        // The assistant's turn and the new question are in the body.
        let sent = body.to_string();
        assert!(
            sent.contains(ANSWERED) && sent.contains(FOLLOW_UP),
            "{id}: {sent}"
        );
        let bytes = serde_json::to_vec_pretty(&body).unwrap();

        let (response, counts) = invoke(&conn, id, bytes.clone())
            .await
            .unwrap_or_else(|e| panic!("{id}: {e}"));
        let whole = native::parse_response(model.family, &response).unwrap();

        assert!(native::streams(model), "{id}");
        let mut chunks = Chunks::new(model.family);
        let mut pieces = String::new();
        let mut failed = None;
        let stream_counts = invoke_stream(&conn, id, bytes, |c| match chunks.push(c) {
            Ok(piece) => pieces.push_str(&piece),
            Err(e) => failed = Some(e),
        })
        .await
        .unwrap_or_else(|e| panic!("{id}: {e}"));
        assert_eq!(failed, None, "{id}");
        let streamed: Reply = chunks.finish();

        // One answer: whole, streamed, and as Converse gives it.
        assert!(!whole.text.is_empty(), "{id}");
        assert_eq!(streamed.text, whole.text, "{id}");
        assert_eq!(pieces, whole.text, "{id}");
        assert_eq!(streamed.stop, whole.stop, "{id}");
        assert!(whole.stop.is_some(), "{id}");
        let (expected, converse_usage) = converse(&ep, id, system).await;
        assert_eq!(whole.text, expected, "{id}");
        // The answer speaks of the last question: it reached the model.
        assert!(
            whole.text.contains("borrowing relate to lifetimes"),
            "{id}: {}",
            whole.text
        );

        // The service's counts: the headers, the invocation metrics, Converse's usage.
        let (input, output) = (converse_usage.input, converse_usage.output);
        assert!(input > 0 && output > 0, "{id}");
        assert_eq!(
            (counts.input, counts.output),
            (Some(input), Some(output)),
            "{id}"
        );
        assert_eq!(stream_counts, counts, "{id}");
        let usage = streamed.usage.unwrap();
        assert_eq!((usage.input, usage.output), (input, output), "{id}");
        // The body's own counts, where the family reports them.
        if let Some(u) = whole.usage {
            assert_eq!(u.output, output, "{id}");
            assert!(u.input >= input, "{id}");
        }
    }
}
