//! Tests of attachments: parsing, token counting and the request log's description
//! (the service's rules are tested in `rules_tests`).

use base64::Engine;
use serde_json::{Value, json};

use super::pdf::testing::pdf;
use super::*;
use crate::conversation::{Block, Request};
use crate::converse;
use crate::error::ErrorKind;
use crate::tokens;

pub(crate) const HAIKU45: &str = "anthropic.claude-haiku-4-5-20251001-v1:0";
pub(crate) const NOVA_LITE: &str = "amazon.nova-lite-v1:0";

pub(crate) fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// The start of a PNG file: its signature and an `IHDR` chunk declaring the size,
/// which is all a header reader needs; `extra` zero bytes follow.
pub(crate) fn png(width: u32, height: u32, extra: usize) -> Vec<u8> {
    let mut out = b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR".to_vec();
    out.extend_from_slice(&width.to_be_bytes());
    out.extend_from_slice(&height.to_be_bytes());
    out.extend_from_slice(&[8, 6, 0, 0, 0, 0, 0, 0, 0]);
    out.resize(out.len() + extra, 0);
    out
}

pub(crate) fn image_block(bytes: &[u8]) -> Value {
    json!({"image": {"format": "png", "source": {"bytes": b64(bytes)}}})
}

pub(crate) fn doc_block(name: &str, format: &str, bytes: &[u8]) -> Value {
    json!({"document": {"format": format, "name": name, "source": {"bytes": b64(bytes)}}})
}

pub(crate) fn s3_block(kind: &str, format: &str, uri: &str) -> Value {
    let mut inner = json!({"format": format, "source": {"s3Location": {"uri": uri}}});
    if kind == "document" {
        inner["name"] = json!("from s3");
    }
    json!({ kind: inner })
}

/// A user message of `blocks` followed by a question.
pub(crate) fn body(blocks: Vec<Value>, question: &str) -> Value {
    let mut content = blocks;
    content.push(json!({"text": question}));
    json!({"messages": [{"role": "user", "content": content}]})
}

pub(crate) fn parsed(blocks: Vec<Value>) -> Request {
    converse::parse(&body(blocks, "what is in it?")).expect("a valid body")
}

fn first(req: &Request) -> &Block {
    &req.messages[0].blocks[0]
}

fn refusal(body: &Value) -> String {
    let e = converse::parse(body).expect_err("a refused body");
    assert_eq!(e.kind, ErrorKind::Validation);
    e.message
}

#[test]
fn parses_images_with_their_size_and_dimensions() {
    let bytes = png(640, 480, 100);
    let req = parsed(vec![image_block(&bytes)]);
    let Block::Image(img) = first(&req) else {
        panic!("an image")
    };
    assert_eq!(img.format, "png");
    assert_eq!(img.size, bytes.len());
    assert_eq!(img.dims, Some((640, 480)));
    assert_eq!(
        img.source,
        Source::Bytes {
            encoded: b64(&bytes).len()
        }
    );
    let req = parsed(vec![s3_block("image", "webp", "s3://media/cat.webp")]);
    let Block::Image(img) = first(&req) else {
        panic!("an image")
    };
    let uri = "s3://media/cat.webp".to_owned();
    assert_eq!(img.source, Source::S3 { uri, lookup: None });
    assert_eq!((img.size, img.dims), (0, None));
}

#[test]
fn parses_video_as_its_own_block() {
    let file = crate::jobs::mp4::build(&crate::jobs::mp4::Video {
        seconds: 12,
        fps: 24,
        width: 640,
        height: 360,
        seed: 1,
    });
    let req = parsed(vec![
        json!({"video": {"format": "mp4", "source": {"bytes": b64(&file)}}}),
        json!({"video": {"format": "three_gp", "source": {"bytes": b64(b"abc")}}}),
    ]);
    let Block::Video(v) = first(&req) else {
        panic!("a video")
    };
    assert_eq!(
        (v.format.as_str(), v.size, v.seconds),
        ("mp4", file.len(), Some(12.0))
    );
    let Block::Video(v) = &req.messages[0].blocks[1] else {
        panic!("a video")
    };
    assert_eq!((v.format.as_str(), v.seconds), ("three_gp", None));
}

#[test]
fn parses_documents_of_every_source() {
    let text = doc_block("notes", "txt", b"Line one. Line two.");
    let pdf_bytes = pdf(&[&["Page one says hello."], &["Page two says bye."]]);
    let in_pdf = doc_block("report", "pdf", &pdf_bytes);
    let inline = json!({"document": {"name": "inline", "source": {"text": "Plain text."},
        "citations": {"enabled": true}, "context": "a memo"}});
    let chunks = json!({"document": {"format": "txt", "name": "chunks",
        "source": {"content": [{"text": "First chunk."}, {"text": "Second chunk."}]}}});
    let docx = doc_block("sheet", "docx", b"PK\x03\x04zip");
    let req = parsed(vec![text, in_pdf, inline, chunks, docx]);
    let docs: Vec<&Document> = req.messages[0]
        .blocks
        .iter()
        .filter_map(|b| match b {
            Block::Document(d) => Some(d),
            _ => None,
        })
        .collect();
    assert_eq!(docs[0].text, "Line one. Line two.");
    assert_eq!(docs[0].layout, Layout::Chars);
    assert_eq!(docs[1].text, "Page one says hello.\nPage two says bye.");
    assert_eq!(docs[1].pages(), 2);
    assert_eq!(docs[1].size, pdf_bytes.len());
    assert_eq!(
        (
            docs[2].citations,
            docs[2].context.as_deref(),
            &docs[2].source
        ),
        (true, Some("a memo"), &Source::Text)
    );
    assert_eq!(
        docs[3].layout,
        Layout::Chunks(vec!["First chunk.".into(), "Second chunk.".into()])
    );
    assert_eq!(docs[3].text, "First chunk.\nSecond chunk.");
    assert_eq!(
        (docs[4].text.as_str(), &docs[4].layout),
        ("[sheet: 7 bytes]", &Layout::Opaque)
    );
    // A PDF that does not parse is read as its name and size.
    let broken = parsed(vec![doc_block("broken", "pdf", b"%PDF-1.7 garbage")]);
    let Block::Document(d) = first(&broken) else {
        panic!("a document")
    };
    assert_eq!(
        (d.text.as_str(), &d.layout),
        ("[broken: 16 bytes]", &Layout::Opaque)
    );
}

#[test]
fn formats_outside_the_service_model_are_refused_as_constraints() {
    let at = "messages.1.member.content.1.member";
    let image = json!({"image": {"format": "bmp", "source": {"bytes": "AAAA"}}});
    assert_eq!(
        refusal(&body(vec![image], "q")),
        format!(
            "1 validation error detected: Value 'bmp' at '{at}.image.format' failed to satisfy constraint: Member must satisfy enum value set: [png, jpeg, gif, webp]"
        )
    );
    let video = json!({"video": {"format": "avi", "source": {"bytes": "AAAA"}}});
    assert_eq!(
        refusal(&body(vec![video], "q")),
        format!(
            "1 validation error detected: Value 'avi' at '{at}.video.format' failed to satisfy constraint: Member must satisfy enum value set: [mkv, mov, mp4, webm, flv, mpeg, mpg, wmv, three_gp]"
        )
    );
    let doc = doc_block("a", "rtf", b"x");
    assert_eq!(
        refusal(&body(vec![doc], "q")),
        format!(
            "1 validation error detected: Value 'rtf' at '{at}.document.format' failed to satisfy constraint: Member must satisfy enum value set: [pdf, csv, doc, docx, xls, xlsx, html, txt, md]"
        )
    );
}

#[test]
fn sources_must_set_exactly_one_valid_member() {
    let at = "messages.1.member.content.1.member";
    let both = json!({"image": {"format": "png", "source": {"bytes": "AAAA", "s3Location": {"uri": "s3://b/k"}}}});
    assert_eq!(
        refusal(&body(vec![both], "q")),
        format!(
            "1 validation error detected: Value at '{at}.image.source' failed to satisfy constraint: Member must have exactly one supported member set (got [bytes, s3Location])"
        )
    );
    let text_image = json!({"image": {"format": "png", "source": {"text": "hi"}}});
    assert!(refusal(&body(vec![text_image], "q")).contains("exactly one supported member"));
    let bad = json!({"image": {"format": "png", "source": {"bytes": "not base64!"}}});
    assert!(refusal(&body(vec![bad], "q")).ends_with("Member must be valid base64-encoded data"));
    let empty = json!({"image": {"format": "png", "source": {"bytes": ""}}});
    assert!(
        refusal(&body(vec![empty], "q"))
            .ends_with("Member must have length greater than or equal to 1")
    );
    let http = s3_block("video", "mp4", "https://bucket/clip.mp4");
    assert_eq!(
        refusal(&body(vec![http], "q")),
        format!(
            "1 validation error detected: Value 'https://bucket/clip.mp4' at '{at}.video.source.s3Location.uri' failed to satisfy constraint: Member must satisfy regular expression pattern: s3://[a-z0-9][\\.\\-a-z0-9]{{1,61}}[a-z0-9](/.*)?"
        )
    );
    let no_enabled = json!({"document": {"name": "a", "source": {"text": "x"}, "citations": {}}});
    assert_eq!(
        refusal(&body(vec![no_enabled], "q")),
        format!(
            "1 validation error detected: Value at '{at}.document.citations.enabled' failed to satisfy constraint: Member must not be null"
        )
    );
    let long = json!({"document": {"name": "n".repeat(201), "source": {"text": "x"}}});
    assert!(
        refusal(&body(vec![long], "q"))
            .ends_with("Member must have length less than or equal to 200")
    );
}

#[test]
fn a_cited_assistant_message_reads_back_as_its_generated_text() {
    let body = json!({"messages": [
        {"role": "user", "content": [{"text": "what does it say?"}]},
        {"role": "assistant", "content": [
            {"text": "It says: "},
            {"citationsContent": {
                "content": [{"text": "The sky is blue."}],
                "citations": [{"title": "doc", "sourceContent": [{"text": "The sky is blue."}],
                    "location": {"documentChar": {"documentIndex": 0, "start": 0, "end": 16}}}],
            }},
        ]},
        {"role": "user", "content": [{"text": "thanks"}]},
    ]});
    let req = converse::parse(&body).expect("valid");
    assert_eq!(req.messages[1].text(), "It says: \nThe sky is blue.");
}

#[test]
fn images_count_by_their_scaled_area() {
    let tokens_of = |w, h| tokens::image(&Image::new("png", Source::Text, &png(w, h, 0)));
    assert_eq!(tokens_of(200, 100), 27);
    assert_eq!(tokens_of(1000, 1000), 1334);
    // Scaled by sqrt(1.2 MP / 6 MP) to 1341 x 894.
    assert_eq!(tokens_of(3000, 2000), 1599);
    // Long and thin: scaled to 1568 on the long side.
    assert_eq!(
        tokens_of(4000, 100),
        (1568.0_f64 * 39.0 / 750.0).ceil() as u32
    );
    let unread = Image::new("png", Source::Text, b"not an image");
    assert_eq!(tokens::image(&unread), 1_600);
    // CountTokens and usage see the same number.
    let req = parsed(vec![image_block(&png(1000, 1000, 0))]);
    let counted = converse::input_tokens(&body(
        vec![image_block(&png(1000, 1000, 0))],
        "what is in it?",
    ))
    .expect("counted")
    .total();
    assert_eq!(counted, tokens::input(&req).total());
    assert_eq!(counted, 4 + 1334 + tokens::count("what is in it?"));
}

#[test]
fn video_counts_by_its_length_and_documents_by_their_text() {
    let mut v = Video::new("mp4", Source::Text, b"");
    v.seconds = Some(9.5);
    assert_eq!(tokens::video(&v), 10 * 288);
    v.seconds = Some(3600.0);
    assert_eq!(tokens::video(&v), 960 * 288);
    v.seconds = None;
    v.size = 1_000_000;
    assert_eq!(tokens::video(&v), 4 * 288);
    v.size = 0;
    assert_eq!(tokens::video(&v), 10 * 288);

    let pdf_bytes = pdf(&[&["Alpha beta gamma."], &["Delta epsilon."]]);
    let req = parsed(vec![doc_block("two pages", "pdf", &pdf_bytes)]);
    let text = "Alpha beta gamma.\nDelta epsilon.";
    let expected = 4
        + tokens::count("two pages")
        + tokens::count(text)
        + 2 * 100
        + tokens::count("what is in it?");
    assert_eq!(tokens::input(&req).total(), expected);
}

#[test]
fn the_log_tells_each_messages_media_without_content() {
    let image = png(64, 32, 10);
    let body = json!({"messages": [
        {"role": "user", "content": [image_block(&image), {"text": "look"}]},
        {"role": "assistant", "content": [{"text": "ok"}]},
        {"role": "user", "content": [
            {"document": {"format": "pdf", "name": "report", "source": {"bytes": b64(b"%PDF-x")},
                "citations": {"enabled": true}}},
            s3_block("video", "mp4", "s3://b/k.mp4"),
            {"image": {"format": "bmp", "source": {"bytes": "AAAA"}}},
        ]},
    ]});
    let media = log::of_body(body.to_string().as_bytes()).expect("media");
    assert_eq!(
        serde_json::to_value(&media).expect("serializes"),
        json!([
            [{"kind": "image", "format": "png", "source": "bytes", "size": image.len(), "width": 64, "height": 32}],
            [],
            [
                {"kind": "document", "format": "pdf", "source": "bytes", "size": 6, "name": "report", "citations": true},
                {"kind": "video", "format": "mp4", "source": "s3", "uri": "s3://b/k.mp4"},
                {"kind": "image", "format": "bmp", "source": "bytes", "size": 3},
            ],
        ])
    );
    let counted = json!({"input": {"converse": body}});
    assert_eq!(log::of_body(counted.to_string().as_bytes()), Some(media));
    let plain = json!({"messages": [{"role": "user", "content": [{"text": "no source here"}]}]});
    assert_eq!(log::of_body(plain.to_string().as_bytes()), None);
    let sourced_text = json!({"messages": [{"role": "user", "content": [{"text": "\"source\""}]}]});
    assert_eq!(log::of_body(sourced_text.to_string().as_bytes()), None);
}
