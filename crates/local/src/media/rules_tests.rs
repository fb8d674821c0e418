//! Tests of the service's rules for attachments: one test per refusal, each checking
//! the message.

use bedrock_catalog::{Catalog, Model};
use serde_json::{Value, json};

use super::tests::{HAIKU45, NOVA_LITE, doc_block, image_block, parsed, png, s3_block};
use super::*;
use crate::conversation::{Block, Message, Request, Role};
use crate::converse;
use crate::error::ErrorKind;
use crate::validate::check_conversation;

fn model(id: &str) -> &'static Model {
    Catalog::builtin().get(id).expect("a catalog model")
}

/// The message the model's checks refuse `blocks` with.
fn checked(id: &str, blocks: Vec<Value>) -> String {
    let req = parsed(blocks);
    let e = check_conversation(&req, model(id), false).expect_err("refused");
    assert_eq!(e.kind, ErrorKind::Validation);
    e.message
}

#[test]
fn models_without_images_refuse_them() {
    assert_eq!(
        checked("amazon.nova-micro-v1:0", vec![image_block(&png(10, 10, 0))]),
        "This model doesn't support the image content block that you provided. Try again with a model that supports images."
    );
}

#[test]
fn models_without_video_refuse_it() {
    let video = json!({"video": {"format": "mp4", "source": {"bytes": "AAAA"}}});
    assert_eq!(
        checked(HAIKU45, vec![video]),
        "This model doesn't support the video content block that you provided. Try again with a model that supports video."
    );
}

#[test]
fn models_without_documents_refuse_them() {
    assert_eq!(
        checked(
            "amazon.titan-text-premier-v1:0",
            vec![doc_block("a", "txt", b"x")]
        ),
        "This model doesn't support documents. Try again with a model that supports documents."
    );
}

#[test]
fn models_without_s3_media_refuse_an_s3_location() {
    assert_eq!(
        checked(HAIKU45, vec![s3_block("image", "png", "s3://media/a.png")]),
        "This model doesn't support an Amazon S3 location as the source of the image content block that you provided. Try again with the image as bytes."
    );
    assert!(
        checked(
            HAIKU45,
            vec![s3_block("document", "pdf", "s3://media/a.pdf")]
        )
        .contains("the source of the document content block")
    );
}

#[test]
fn models_without_citations_refuse_them() {
    let cited = json!({"document": {"format": "txt", "name": "a", "source": {"text": "x"},
        "citations": {"enabled": true}}});
    assert_eq!(
        checked(NOVA_LITE, vec![cited.clone()]),
        "This model doesn't support citations. Try again with citations disabled, or with a model that supports citations."
    );
    // Claude 3 Haiku predates citations; 3.5 Haiku and later have them.
    assert!(
        checked(
            "anthropic.claude-3-haiku-20240307-v1:0",
            vec![cited.clone()]
        )
        .contains("citations")
    );
    let req = parsed(vec![cited]);
    assert_eq!(check_conversation(&req, model(HAIKU45), false), Ok(()));
}

#[test]
fn document_names_keep_to_the_service_rule() {
    for bad in [
        "report.pdf",
        "a  b",
        "tab\there",
        "résumé",
        "a/b",
        "it's",
        "x\u{3000}y",
    ] {
        assert_eq!(
            checked(HAIKU45, vec![doc_block(bad, "txt", b"x")]),
            rules::NAME_RULE,
            "{bad:?}"
        );
    }
    for good in ["Report (v2) [final]", "a-b c", "snake_case", "2024"] {
        assert!(rules::valid_name(good), "{good:?}");
    }
}

#[test]
fn document_names_must_be_unique_in_a_request() {
    let body = json!({"messages": [
        {"role": "user", "content": [doc_block("notes", "txt", b"a"), {"text": "read"}]},
        {"role": "assistant", "content": [{"text": "done"}]},
        {"role": "user", "content": [doc_block("notes", "md", b"b"), {"text": "again"}]},
    ]});
    let req = converse::parse(&body).expect("valid");
    let e = check_conversation(&req, model(HAIKU45), false).expect_err("refused");
    assert_eq!(
        e.message,
        "Messages can't contain duplicate document names. Rename the document and retry your request."
    );
}

/// A request of one user message holding `blocks` and a question.
fn request(blocks: Vec<Block>) -> Request {
    let mut blocks = blocks;
    blocks.push(Block::Text("what is this?".into()));
    Request {
        messages: vec![Message {
            role: Role::User,
            blocks,
        }],
        ..Request::default()
    }
}

fn rule_refusal(blocks: Vec<Block>) -> String {
    rules::check_request(&request(blocks))
        .expect_err("refused")
        .message
}

#[test]
fn an_image_may_be_at_most_3_75_mb() {
    let bytes = png(100, 100, rules::MAX_IMAGE_BYTES);
    assert_eq!(
        checked(HAIKU45, vec![image_block(&bytes)]),
        format!(
            "The image at messages.0.content.0 is {} bytes, larger than the maximum of 3.75 MB (3932160 bytes). Reduce the size of the image and try again.",
            bytes.len()
        )
    );
    let at_limit = png(100, 100, 0);
    let mut img = Image::new("png", Source::Bytes { encoded: 0 }, &at_limit);
    img.size = rules::MAX_IMAGE_BYTES;
    assert_eq!(
        rules::check_request(&request(vec![Block::Image(img)])),
        Ok(())
    );
}

#[test]
fn an_image_may_be_at_most_8000_pixels_wide_and_high() {
    assert_eq!(
        checked(HAIKU45, vec![image_block(&png(8001, 20, 0))]),
        "The image at messages.0.content.0 is 8001 x 20 pixels. An image can be at most 8000 pixels wide and 8000 pixels high. Resize the image and try again."
    );
    assert!(checked(HAIKU45, vec![image_block(&png(20, 9000, 0))]).contains("20 x 9000 pixels"));
    let req = parsed(vec![image_block(&png(8000, 8000, 0))]);
    assert_eq!(check_conversation(&req, model(HAIKU45), false), Ok(()));
}

#[test]
fn a_request_may_have_at_most_20_images() {
    let image = Block::Image(Image::new(
        "png",
        Source::Bytes { encoded: 8 },
        &png(4, 4, 0),
    ));
    assert_eq!(
        rules::check_request(&request(vec![image.clone(); 20])),
        Ok(())
    );
    assert_eq!(
        rule_refusal(vec![image; 21]),
        "The request has 21 images, more than the maximum of 20 images per request. Remove some images and try again."
    );
}

#[test]
fn a_request_may_have_at_most_5_documents() {
    let docs = |n: usize| {
        (0..n)
            .map(|i| Block::Document(Document::text(format!("doc {i}"), "text")))
            .collect::<Vec<_>>()
    };
    assert_eq!(rules::check_request(&request(docs(5))), Ok(()));
    assert_eq!(
        rule_refusal(docs(6)),
        "The request has 6 documents, more than the maximum of 5 documents per request. Remove some documents and try again."
    );
}

#[test]
fn a_document_may_be_at_most_4_5_mb() {
    let mut doc = Document::text("big", "x");
    doc.size = rules::MAX_DOCUMENT_BYTES + 1;
    assert_eq!(
        rule_refusal(vec![Block::Document(doc)]),
        "The document big at messages.0.content.0 is 4718593 bytes, larger than the maximum of 4.5 MB (4718592 bytes). Reduce the size of the document and try again."
    );
}

#[test]
fn inline_video_may_be_at_most_25_mb_of_base64() {
    let video = |encoded| Block::Video(Video::new("mp4", Source::Bytes { encoded }, b"abc"));
    assert_eq!(
        rules::check_request(&request(vec![video(rules::MAX_INLINE_VIDEO_BASE64)])),
        Ok(())
    );
    assert_eq!(
        rule_refusal(vec![video(rules::MAX_INLINE_VIDEO_BASE64 + 1)]),
        "The video at messages.0.content.0 is 26214401 bytes base64-encoded, larger than the maximum of 25 MB (26214400 bytes) for a video sent as bytes. Upload the video to Amazon S3 and give its s3Location instead."
    );
}

#[test]
fn an_s3_object_the_store_lacks_is_refused_last() {
    let mut req = parsed(vec![s3_block("video", "mp4", "s3://media/none.mp4")]);
    // Not looked up yet: nothing to refuse.
    assert_eq!(rules::check_found(&req), Ok(()));
    if let Block::Video(v) = &mut req.messages[0].blocks[0] {
        v.source = Source::S3 {
            uri: "s3://media/none.mp4".into(),
            lookup: Some(Lookup::Missing),
        };
    }
    let e = check_conversation(&req, model(NOVA_LITE), false).expect_err("refused");
    assert_eq!(
        e.message,
        "The model returned the following errors: The S3 object s3://media/none.mp4 does not exist or access to it is denied. Check the S3 URI and your permissions, and try again."
    );
    // The model's checks come first.
    let e = check_conversation(&req, model(HAIKU45), false).expect_err("refused");
    assert!(
        e.message.contains("doesn't support the video"),
        "{}",
        e.message
    );
}

#[test]
fn an_s3_object_in_another_region_is_refused_last() {
    let mut req = parsed(vec![s3_block("document", "txt", "s3://west/notes.txt")]);
    if let Block::Document(d) = &mut req.messages[0].blocks[0] {
        d.source = Source::S3 {
            uri: "s3://west/notes.txt".into(),
            lookup: Some(Lookup::OtherRegion {
                bucket: "eu-west-1".into(),
                request: "us-east-1".into(),
            }),
        };
    }
    let e = check_conversation(&req, model(NOVA_LITE), false).expect_err("refused");
    assert_eq!(e.kind, ErrorKind::Validation);
    assert_eq!(
        e.message,
        "The S3 bucket of s3://west/notes.txt is in eu-west-1; Amazon Bedrock in us-east-1 can read S3 objects only in its own Region. Copy the object to a bucket in us-east-1 and try again."
    );
    if let Block::Document(d) = &mut req.messages[0].blocks[0] {
        d.source = Source::S3 {
            uri: "s3://west/notes.txt".into(),
            lookup: Some(Lookup::Found),
        };
    }
    assert_eq!(check_conversation(&req, model(NOVA_LITE), false), Ok(()));
}
