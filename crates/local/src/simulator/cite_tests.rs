//! Tests of cited answers: which sentence is quoted, how it is located, and the
//! Converse and ConverseStream shapes it is sent in (checked against the service model
//! when the reference data is at hand).

use serde_json::{Value, json};

use super::*;
use crate::converse::{self, Usage};
use crate::media::pdf::testing::pdf;
use crate::media::tests::b64;
use crate::wire_shape;

const NOTES: &str = "The grass is green. The sky is blue above the clouds.";

fn service_model() -> Option<Value> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/reference/bedrock-runtime-2023-09-30.service-2.json"
    );
    let text = std::fs::read_to_string(path).ok()?;
    Some(serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}")))
}

fn cited_doc(name: &str, source: Value) -> Value {
    json!({"document": {"format": "txt", "name": name, "source": source, "citations": {"enabled": true}}})
}

fn ask(blocks: Vec<Value>, question: &str) -> Generation {
    let mut content = blocks;
    content.push(json!({"text": question}));
    let body = json!({"messages": [{"role": "user", "content": content}]});
    generate(&converse::parse(&body).expect("valid"), 4096)
}

fn cited(g: &Generation) -> (&str, &Citation) {
    match g.blocks.as_slice() {
        [OutBlock::Text(_), OutBlock::Cited { text, citations }] => (text, &citations[0]),
        other => panic!("not a cited answer: {other:?}"),
    }
}

#[test]
fn quotes_the_sentence_that_shares_most_words_with_the_question() {
    let g = ask(
        vec![cited_doc("notes", json!({"text": NOTES}))],
        "Tell me about the clouds",
    );
    let (text, c) = cited(&g);
    assert_eq!(text, "The sky is blue above the clouds.");
    assert_eq!(c.title, "notes");
    assert_eq!(c.quote, text);
    assert_eq!(
        c.location,
        Location::Char {
            document: 0,
            start: 20,
            end: 53
        }
    );
    assert_eq!(
        g.output_tokens,
        g.blocks.iter().map(block_tokens).sum::<u32>(),
        "the cited answer's tokens are counted like any answer's"
    );
    // No word in common: the first sentence.
    let g = ask(
        vec![cited_doc("notes", json!({"text": NOTES}))],
        "Summarize",
    );
    assert_eq!(cited(&g).0, "The grass is green.");
}

#[test]
fn pdf_quotes_are_located_by_page_and_chunks_by_chunk() {
    let report = pdf(&[&["Revenue grew."], &["Costs fell sharply this year."]]);
    let plain = json!({"document": {"format": "txt", "name": "other", "source": {"text": "x"}}});
    let in_pdf = json!({"document": {"format": "pdf", "name": "report",
        "source": {"bytes": b64(&report)}, "citations": {"enabled": true}}});
    let g = ask(vec![plain, in_pdf], "Why did costs fall?");
    let (text, c) = cited(&g);
    assert_eq!(text, "Costs fell sharply this year.");
    assert_eq!(
        c.location,
        Location::Page {
            document: 1,
            start: 2,
            end: 3
        }
    );
    let chunks = json!({"content": [{"text": "Intro."}, {"text": "Prices rose in May."}]});
    let g = ask(vec![cited_doc("chunks", chunks)], "What about prices?");
    assert_eq!(
        cited(&g).1.location,
        Location::Chunk {
            document: 0,
            start: 1,
            end: 2
        }
    );
}

#[test]
fn without_enabled_citations_the_answer_is_plain() {
    let doc = json!({"document": {"format": "txt", "name": "notes", "source": {"text": NOTES}}});
    let g = ask(vec![doc], "Tell me about the clouds");
    assert!(matches!(g.blocks.as_slice(), [OutBlock::Text(_)]));
    // Nothing readable to quote: the answer is plain too.
    let opaque = json!({"document": {"format": "docx", "name": "sheet",
        "source": {"bytes": b64(b"PK\x03\x04")}, "citations": {"enabled": true}}});
    let g = ask(vec![opaque], "What is in it?");
    assert!(matches!(g.blocks.as_slice(), [OutBlock::Text(_)]));
}

#[test]
fn converse_returns_a_citations_content_block() {
    let g = ask(
        vec![cited_doc("notes", json!({"text": NOTES}))],
        "Tell me about the clouds",
    );
    let usage = Usage {
        input: 10,
        output: g.output_tokens,
        ..Usage::default()
    };
    let body = converse::response(&g, usage, 5, None);
    assert_eq!(
        body["output"]["message"]["content"],
        json!([
            {"text": "You asked about **tell me about the clouds**. The document \u{201c}notes\u{201d} says:\n\n"},
            {"citationsContent": {
                "content": [{"text": "The sky is blue above the clouds."}],
                "citations": [{
                    "title": "notes",
                    "sourceContent": [{"text": "The sky is blue above the clouds."}],
                    "location": {"documentChar": {"documentIndex": 0, "start": 20, "end": 53}},
                }],
            }},
        ])
    );
    if let Some(model) = service_model() {
        let errors = wire_shape::check(&model, "ConverseResponse", &body, "ConverseResponse");
        assert!(errors.is_empty(), "{errors:#?}");
    }
}

#[test]
fn converse_stream_sends_the_citation_before_the_text_it_backs() {
    let report = pdf(&[&["Costs fell sharply this year."]]);
    let in_pdf = json!({"document": {"format": "pdf", "name": "report",
        "source": {"bytes": b64(&report)}, "citations": {"enabled": true}}});
    let g = ask(vec![in_pdf], "Why did costs fall?");
    let items = converse::stream_items(&g);
    let model = service_model();
    for item in &items {
        let crate::stream::ItemKind::Event(name) = item.kind else {
            panic!("a Converse event");
        };
        if let Some(model) = &model {
            let shape = model["shapes"]["ConverseStreamOutput"]["members"][name]["shape"]
                .as_str()
                .unwrap_or("missing");
            let errors = wire_shape::check(model, shape, &item.payload, name);
            assert!(errors.is_empty(), "{errors:#?}");
        }
    }
    let on_block_1: Vec<&Value> = items
        .iter()
        .filter(|i| i.payload["contentBlockIndex"] == 1)
        .map(|i| &i.payload)
        .collect();
    assert_eq!(
        on_block_1[0],
        &json!({"contentBlockIndex": 1, "delta": {"citation": {
            "title": "report",
            "sourceContent": [{"text": "Costs fell sharply this year."}],
            "location": {"documentPage": {"documentIndex": 0, "start": 1, "end": 2}},
        }}})
    );
    let text: String = on_block_1[1..]
        .iter()
        .filter_map(|p| p["delta"]["text"].as_str())
        .collect();
    assert_eq!(text, "Costs fell sharply this year.");
    assert_eq!(
        on_block_1.last().map(|p| p.get("delta")),
        Some(None),
        "ends with its stop"
    );
    // The lead-in streams as plain text on block 0, before.
    let first_citation = items
        .iter()
        .position(|i| i.payload["delta"].get("citation").is_some());
    let last_lead = items
        .iter()
        .rposition(|i| i.payload["contentBlockIndex"] == 0);
    assert!(last_lead < first_citation);
}
