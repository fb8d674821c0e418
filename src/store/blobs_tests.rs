use super::super::{Store, StoredMessage};
use crate::conversation::{Blob, Block, Citation, Kind, Media, Message, Place, Role, Source};

fn blobs(s: &Store) -> (i64, i64) {
    s.conn
        .query_row(
            "SELECT count(*), COALESCE(sum(size), 0) FROM blobs",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap()
}

fn image(bytes: &[u8]) -> Media {
    Media {
        kind: Kind::Image,
        format: "png".into(),
        file: "shot.png".into(),
        name: String::new(),
        source: Source::Bytes(Blob::new(bytes.to_vec())),
        citations: false,
    }
}

fn question(media: Vec<Media>) -> StoredMessage {
    StoredMessage::new(0, Message::question("What is it?", media), 1)
}

#[test]
fn attachments_round_trip_and_are_stored_once_per_content() {
    let mut s = Store::in_memory().unwrap();
    let doc = Media {
        kind: Kind::Document,
        format: "pdf".into(),
        file: "Q3 report.pdf".into(),
        name: "Q3 report".into(),
        source: Source::Bytes(Blob::new(b"%PDF-1.4 report".to_vec())),
        citations: true,
    };
    let video = Media {
        kind: Kind::Video,
        format: "mp4".into(),
        file: "demo.mp4".into(),
        name: String::new(),
        source: Source::S3 {
            uri: "s3://media/demo.mp4".into(),
            bucket_owner: Some("123456789012".into()),
        },
        citations: false,
    };
    let a = s.create("a", "m", None, 1).unwrap();
    let b = s.create("b", "m", None, 1).unwrap();
    let q = question(vec![image(&[7; 5000]), doc.clone(), video]);
    s.put_message(a, &q).unwrap();
    s.put_message(b, &question(vec![image(&[7; 5000])]))
        .unwrap();
    // Written again (a checkpoint, an adapted message): still one copy.
    s.put_message(a, &q).unwrap();
    assert_eq!(blobs(&s), (2, 5000 + 15));
    let loaded = s.load(a).unwrap();
    assert_eq!(loaded.messages[0].message, q.message);
    let Block::Media(m) = &loaded.messages[0].message.blocks[0] else {
        panic!()
    };
    assert_eq!(m.data(), Some(&[7u8; 5000][..]));
    // The row holds a reference, not the bytes.
    let content: String = s
        .conn
        .query_row(
            "SELECT content FROM messages WHERE conversation = ?1",
            [a.0],
            |r| r.get(0),
        )
        .unwrap();
    assert!(
        content.len() < 1000 && content.contains("\"sha256\""),
        "{content}"
    );

    // The image is shared: deleting one conversation keeps it for the other.
    s.delete(a).unwrap();
    assert_eq!(blobs(&s), (1, 5000));
    assert_eq!(s.load(b).unwrap().messages[0].message.media().count(), 1);
    s.truncate(b, 0).unwrap();
    assert_eq!(blobs(&s), (0, 0));
}

#[test]
fn exports_carry_the_bytes_as_converse_does_and_list_them_in_markdown() {
    let mut s = Store::in_memory().unwrap();
    let c = s.create("pictures", "m", None, 1).unwrap();
    s.put_message(c, &question(vec![image(b"\x89PNG-bytes")]))
        .unwrap();
    let cite = Citation {
        title: "Q3 report".into(),
        quote: "Revenue grew.".into(),
        place: Some(Place::Pages),
        document: 0,
        start: 2,
        end: 3,
    };
    let answer = Message {
        role: Role::Assistant,
        blocks: vec![
            Block::Text("It says ".into()),
            Block::Cited {
                text: "revenue grew".into(),
                citations: vec![cite],
            },
        ],
        model: Some("m".into()),
    };
    s.put_message(c, &StoredMessage::new(1, answer.clone(), 2))
        .unwrap();
    assert_eq!(s.load(c).unwrap().messages[1].message, answer);
    let json = s.export_json(c).unwrap();
    let img = &json["messages"][0]["content"][0]["image"];
    assert_eq!(img["format"], "png");
    assert_eq!(img["source"]["bytes"], "iVBORy1ieXRlcw==");
    assert!(img.get("file").is_none(), "only Converse members: {img}");
    let cited = &json["messages"][1]["content"][1]["citationsContent"];
    assert_eq!(
        cited["citations"][0]["location"]["documentPage"]["start"],
        2
    );
    let md = s.export_markdown(c).unwrap();
    assert!(
        md.contains("**Attachment** `shot.png` (png image, 10 bytes, sha256 "),
        "{md}"
    );
    assert!(md.contains("\nIt says revenue grew [1]\n"), "{md}");
    assert!(
        md.contains("1. Q3 report, p. 2: \u{201c}Revenue grew.\u{201d}"),
        "{md}"
    );
}

#[test]
fn a_no_blobs_export_names_each_attachment_by_digest_size_and_file() {
    let mut s = Store::in_memory().unwrap();
    let c = s.create("pictures", "m", None, 1).unwrap();
    s.put_message(c, &question(vec![image(b"\x89PNG-bytes")]))
        .unwrap();
    let json = s
        .export_json_with(c, super::super::converse_json::Blobs::Reference)
        .unwrap();
    let img = &json["messages"][0]["content"][0]["image"];
    assert_eq!(img["file"], "shot.png");
    assert_eq!(img["source"]["blob"]["size"], 10);
    assert_eq!(
        img["source"]["blob"]["sha256"].as_str().map(str::len),
        Some(64)
    );
    assert!(!json.to_string().contains("iVBOR"), "no bytes: {json}");
}
