//! The native console's bodies of a two-turn conversation for each family.

use pretty_assertions::assert_eq;
use serde_json::{Value, json};

use super::*;
use crate::catalog::Catalog;
use crate::conversation::{Blob, Block, Kind, Media, Role, Source};

const SYSTEM: &str = "Be brief.";
const ASKED: &str = "What is ownership?";
const ANSWERED: &str = "Each value has one owner.";
const FOLLOW_UP: &str = "And borrowing?";

fn model(id: &str) -> Model {
    Catalog::builtin().get(id).unwrap().clone()
}

fn assistant(text: &str) -> Message {
    Message {
        role: Role::Assistant,
        blocks: vec![Block::Text(text.into())],
        model: None,
    }
}

fn conversation() -> Vec<Message> {
    vec![
        Message::user(ASKED),
        assistant(ANSWERED),
        Message::user(FOLLOW_UP),
    ]
}

fn inference() -> Inference {
    Inference {
        max_tokens: Some(500),
        temperature: Some(0.7),
        top_p: Some(0.9),
        stop_sequences: vec!["User:".into()],
        ..Inference::default()
    }
}

/// The body of `messages` with no system prompt or settings.
fn bare(id: &str, messages: &[Message]) -> Value {
    body(&model(id), None, messages, &Inference::default()).unwrap()
}

fn built(id: &str) -> Value {
    body(&model(id), Some(SYSTEM), &conversation(), &inference()).unwrap()
}

#[test]
fn anthropic_body() {
    let text = |t: &str| json!([{"type": "text", "text": t}]);
    assert_eq!(
        built("anthropic.claude-haiku-4-5-20251001-v1:0"),
        json!({
            "anthropic_version": "bedrock-2023-05-31",
            "max_tokens": 500,
            "system": SYSTEM,
            "messages": [
                {"role": "user", "content": text(ASKED)},
                {"role": "assistant", "content": text(ANSWERED)},
                {"role": "user", "content": text(FOLLOW_UP)},
            ],
            "temperature": 0.7,
            "top_p": 0.9,
            "stop_sequences": ["User:"],
        })
    );
}

#[test]
fn anthropic_requires_max_tokens_capped_by_the_model() {
    let mut m = model("anthropic.claude-haiku-4-5-20251001-v1:0");
    let b = body(&m, None, &conversation(), &Inference::default()).unwrap();
    assert_eq!(b["max_tokens"], 4096);
    assert!(b.get("system").is_none() && b.get("temperature").is_none());
    m.max_output_tokens = 1000;
    let b = body(&m, None, &conversation(), &Inference::default()).unwrap();
    assert_eq!(b["max_tokens"], 1000);
}

#[test]
fn nova_body() {
    let text = |t: &str| json!([{"text": t}]);
    assert_eq!(
        built("amazon.nova-lite-v1:0"),
        json!({
            "schemaVersion": "messages-v1",
            "system": [{"text": SYSTEM}],
            "messages": [
                {"role": "user", "content": text(ASKED)},
                {"role": "assistant", "content": text(ANSWERED)},
                {"role": "user", "content": text(FOLLOW_UP)},
            ],
            "inferenceConfig": {"maxTokens": 500, "temperature": 0.7, "topP": 0.9, "stopSequences": ["User:"]},
        })
    );
    let b = bare("amazon.nova-lite-v1:0", &conversation());
    assert!(b.get("inferenceConfig").is_none() && b.get("system").is_none());
}

#[test]
fn titan_body() {
    assert_eq!(
        built("amazon.titan-text-express-v1"),
        json!({
            "inputText": format!("{SYSTEM}\n\nUser: {ASKED}\nBot: {ANSWERED}\nUser: {FOLLOW_UP}\nBot:"),
            "textGenerationConfig": {"maxTokenCount": 500, "temperature": 0.7, "topP": 0.9, "stopSequences": ["User:"]},
        })
    );
}

#[test]
fn llama_body() {
    assert_eq!(
        built("meta.llama3-1-8b-instruct-v1:0"),
        json!({
            "prompt": format!(
                "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n{SYSTEM}<|eot_id|>\
                 <|start_header_id|>user<|end_header_id|>\n\n{ASKED}<|eot_id|>\
                 <|start_header_id|>assistant<|end_header_id|>\n\n{ANSWERED}<|eot_id|>\
                 <|start_header_id|>user<|end_header_id|>\n\n{FOLLOW_UP}<|eot_id|>\
                 <|start_header_id|>assistant<|end_header_id|>\n\n"
            ),
            "max_gen_len": 500,
            "temperature": 0.7,
            "top_p": 0.9,
        })
    );
    let prompt = built("meta.llama4-scout-17b-instruct-v1:0")["prompt"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        prompt.starts_with(
            "<|begin_of_text|><|header_start|>system<|header_end|>\n\nBe brief.<|eot|>"
        ) && prompt.ends_with("<|header_start|>assistant<|header_end|>\n\n"),
        "{prompt}"
    );
}

fn chat_messages() -> Value {
    json!([
        {"role": "system", "content": SYSTEM},
        {"role": "user", "content": ASKED},
        {"role": "assistant", "content": ANSWERED},
        {"role": "user", "content": FOLLOW_UP},
    ])
}

#[test]
fn mistral_large_and_jamba_bodies_are_chat_messages() {
    for id in [
        "mistral.mistral-large-2407-v1:0",
        "mistral.mistral-large-2402-v1:0",
        "ai21.jamba-1-5-mini-v1:0",
    ] {
        assert_eq!(
            built(id),
            json!({"messages": chat_messages(), "max_tokens": 500, "temperature": 0.7, "top_p": 0.9, "stop": ["User:"]}),
            "{id}"
        );
    }
}

#[test]
fn other_mistral_models_get_the_inst_prompt() {
    let mut m = model("mistral.mistral-large-2402-v1:0");
    m.id = "mistral.mixtral-8x7b-instruct-v0:1".into();
    let b = body(&m, Some(SYSTEM), &conversation(), &inference()).unwrap();
    assert_eq!(
        b,
        json!({
            "prompt": format!("<s>[INST] {SYSTEM}\n\n{ASKED} [/INST] {ANSWERED}</s>[INST] {FOLLOW_UP} [/INST]"),
            "max_tokens": 500, "temperature": 0.7, "top_p": 0.9, "stop": ["User:"],
        })
    );
}

#[test]
fn cohere_body() {
    assert_eq!(
        built("cohere.command-r-v1:0"),
        json!({
            "message": FOLLOW_UP,
            "chat_history": [
                {"role": "USER", "message": ASKED},
                {"role": "CHATBOT", "message": ANSWERED},
            ],
            "preamble": SYSTEM,
            "max_tokens": 500,
            "temperature": 0.7,
            "p": 0.9,
            "stop_sequences": ["User:"],
        })
    );
    // Cohere's `p` stops at 0.99; a lone question has no history.
    let one = [Message::user(ASKED)];
    let top = Inference {
        top_p: Some(1.0),
        ..Inference::default()
    };
    assert_eq!(
        body(&model("cohere.command-r-v1:0"), None, &one, &top).unwrap(),
        json!({"message": ASKED, "p": 0.99})
    );
}

#[test]
fn consecutive_messages_of_a_role_are_merged_and_empty_ones_dropped() {
    let messages = vec![
        Message::user("First."),
        Message::user("Second."),
        Message {
            role: Role::Assistant,
            blocks: vec![Block::ToolUse {
                id: "t1".into(),
                name: "search".into(),
                input: json!({}),
            }],
            model: None,
        },
        Message {
            role: Role::User,
            blocks: vec![Block::tool_text("t1", "found", false)],
            model: None,
        },
        Message {
            role: Role::Assistant,
            blocks: vec![
                Block::Reasoning {
                    text: "thinking".into(),
                    signature: None,
                },
                Block::Text("Done.".into()),
            ],
            model: None,
        },
    ];
    let b = bare("amazon.nova-lite-v1:0", &messages);
    assert_eq!(
        b["messages"],
        json!([
            {"role": "user", "content": [{"text": "First."}, {"text": "Second."}]},
            {"role": "assistant", "content": [{"text": "Done."}]},
        ])
    );
    let b = bare("cohere.command-r-v1:0", &messages);
    assert_eq!(
        b,
        json!({"message": "", "chat_history": [
            {"role": "USER", "message": "First.\n\nSecond."},
            {"role": "CHATBOT", "message": "Done."},
        ]})
    );
}

fn media(kind: Kind, format: &str, file: &str, source: Source) -> Media {
    Media {
        kind,
        format: format.into(),
        file: file.into(),
        name: String::new(),
        source,
        citations: false,
    }
}

#[test]
fn images_go_as_base64_where_the_family_takes_them_and_other_media_as_placeholders() {
    let png = Source::Bytes(Blob::new(b"\x89PNG-bytes".to_vec()));
    let pdf = Source::Bytes(Blob::new(b"%PDF-1.7".to_vec()));
    let question = Message::question(
        "What is in these?",
        vec![
            media(Kind::Image, "png", "chart.png", png),
            media(Kind::Document, "pdf", "report.pdf", pdf),
        ],
    );
    let messages = [question];
    let data = "iVBORy1ieXRlcw==";

    let claude = bare("anthropic.claude-haiku-4-5-20251001-v1:0", &messages);
    assert_eq!(
        claude["messages"][0]["content"],
        json!([
            {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": data}},
            {"type": "text", "text": "[document report.pdf]\nWhat is in these?"},
        ])
    );
    let nova = bare("amazon.nova-lite-v1:0", &messages);
    assert_eq!(
        nova["messages"][0]["content"][0],
        json!({"image": {"format": "png", "source": {"bytes": data}}})
    );
    // Nova Micro reads no images.
    let micro = bare("amazon.nova-micro-v1:0", &messages);
    assert_eq!(
        micro["messages"][0]["content"],
        json!([{"text": "[image chart.png]\n[document report.pdf]\nWhat is in these?"}])
    );
    let jamba = bare("ai21.jamba-1-5-mini-v1:0", &messages);
    assert_eq!(
        jamba["messages"][0]["content"],
        "[image chart.png]\n[document report.pdf]\nWhat is in these?"
    );
}

#[test]
fn an_empty_conversation_is_one_empty_user_turn_and_a_last_answer_is_continued() {
    let titan = "amazon.titan-text-express-v1";
    assert_eq!(bare(titan, &[]), json!({"inputText": "User: \nBot:"}));
    let prefill = [Message::user(ASKED), assistant("Ownership means")];
    let b = bare(titan, &prefill);
    assert_eq!(
        b["inputText"],
        format!("User: {ASKED}\nBot: Ownership means")
    );
    let b = bare("meta.llama3-1-8b-instruct-v1:0", &prefill);
    assert!(
        b["prompt"]
            .as_str()
            .unwrap()
            .ends_with("<|start_header_id|>assistant<|end_header_id|>\n\nOwnership means"),
        "{b}"
    );
}

#[test]
fn supported_families_and_streaming() {
    let embed = model("amazon.titan-embed-text-v2:0");
    assert!(!supported(embed.family) && !streams(&embed));
    assert_eq!(
        body(&embed, None, &conversation(), &inference()),
        Err(Error::Unsupported {
            family: Family::TitanEmbed
        })
    );
    assert_eq!(
        parse_response(Family::NovaReel, b"{}"),
        Err(Error::Unsupported {
            family: Family::NovaReel
        })
    );
    let mut nova = model("amazon.nova-lite-v1:0");
    assert!(supported(nova.family) && streams(&nova));
    nova.capabilities.streaming = false;
    assert!(!streams(&nova));
}

#[test]
fn settings_keep_the_numbers_as_typed() {
    assert_eq!(number(0.7).to_string(), "0.7");
    assert_eq!(number(1.0).to_string(), "1.0");
}
