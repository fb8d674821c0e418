use super::*;

/// The first bytes of a PNG of `w`×`h` pixels: enough for the format and the size.
pub(crate) fn png(w: u32, h: u32) -> Vec<u8> {
    let mut b = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    b.extend(w.to_be_bytes());
    b.extend(h.to_be_bytes());
    b.extend(b"\x08\x02\0\0\0\0\0\0\0");
    b
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

#[test]
fn an_image_and_a_document_load_with_format_name_and_digest() {
    let dir = tempfile::tempdir().unwrap();
    let img = load(&write(dir.path(), "shot.PNG", &png(640, 480))).unwrap();
    assert_eq!(img.media.kind, Kind::Image);
    assert_eq!(img.media.format, "png");
    assert_eq!(img.media.file, "shot.PNG");
    assert_eq!(img.media.name, "");
    assert_eq!(img.media.dimensions(), Some((640, 480)));
    let Source::Bytes(blob) = &img.media.source else {
        panic!()
    };
    assert_eq!(blob.sha256.len(), 64);
    let doc = load(&write(
        dir.path(),
        "Q3 notes_v2.md",
        b"# Q3\nRevenue grew.\n",
    ))
    .unwrap();
    assert_eq!(
        (doc.media.kind, doc.media.format.as_str()),
        (Kind::Document, "md")
    );
    assert_eq!(doc.media.name, "Q3 notes-v2");
    assert_eq!(doc.size, 19);
}

#[test]
fn bad_files_are_refused_with_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let err = |p: &Path| load(p).unwrap_err().to_string();
    assert!(err(&d.join("nope.png")).starts_with("No such file: "));
    assert!(err(d).ends_with("is a directory: attach the files in it one by one."));
    assert!(err(&write(d, "empty.txt", b"")).ends_with("empty.txt is empty."));
    let e = err(&write(d, "scan.pdf", &png(10, 10)));
    assert!(
        e.ends_with("scan.pdf is a PNG image, not a PDF document as its name says: rename it to attach it as what it is."),
        "{e}"
    );
    let e = err(&write(d, "wide.png", &png(9000, 10)));
    assert!(
        e.ends_with("wide.png is 9000×10 pixels: Bedrock takes images of at most 8000×8000."),
        "{e}"
    );
    let mut elf = b"\x7fELF\x02\x01\x01".to_vec();
    elf.resize(64, 0);
    let e = err(&write(d, "prog", &elf));
    assert!(e.contains("prog is application/"), "{e}");
    assert!(
        e.contains(", which Bedrock does not take. It takes png, jpg"),
        "{e}"
    );
    // A 2 GB file is refused from its size: it is sparse, and never read.
    let huge = d.join("huge.mp4");
    std::fs::File::create(&huge)
        .unwrap()
        .set_len(2 << 30)
        .unwrap();
    let e = err(&huge);
    assert!(e.contains("huge.mp4 is 2.0 GB: Bedrock takes videos of at most 18.8 MB inline. Larger videos go by S3 location"), "{e}");
    let big = d.join("big.png");
    std::fs::File::create(&big)
        .unwrap()
        .set_len(rules::IMAGE_MAX_BYTES + 1)
        .unwrap();
    assert!(
        err(&big).contains("big.png is 3.8 MB: Bedrock takes images of at most 3.8 MB inline.")
    );
}

#[test]
fn a_file_changed_after_attaching_is_noticed() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "notes.txt", b"first");
    let a = load(&p).unwrap();
    assert_eq!(unchanged(&a), Ok(()));
    std::fs::write(&p, b"second version").unwrap();
    let e = unchanged(&a).unwrap_err().to_string();
    assert!(e.contains("notes.txt changed since it was attached"), "{e}");
    std::fs::remove_file(&p).unwrap();
    assert!(unchanged(&a).is_err());
}

#[test]
fn s3_locations_are_named_by_their_key_and_checked_for_shape() {
    let a = open("s3://media-bucket/clips/demo.MP4").unwrap();
    assert_eq!(
        (a.media.kind, a.media.format.as_str()),
        (Kind::Video, "mp4")
    );
    assert_eq!(a.media.file, "demo.MP4");
    assert_eq!(
        a.media.source,
        Source::S3 {
            uri: "s3://media-bucket/clips/demo.MP4".into(),
            bucket_owner: None
        }
    );
    let d = open("s3://docs-bucket/q3 report.pdf").unwrap();
    assert_eq!(d.media.name, "q3 report");
    for bad in [
        "s3://Bad_Bucket/x.png",
        "s3://bucket",
        "s3://bucket/dir/",
        "s3://ab/x.png",
    ] {
        assert!(matches!(open(bad), Err(Error::BadS3(_))), "{bad}");
    }
    assert!(matches!(
        open("s3://bucket/file.exe"),
        Err(Error::S3Format { .. })
    ));
}

#[test]
fn an_s3_location_must_be_in_the_requests_region_when_s3_says_where_it_is() {
    assert_eq!(bucket("s3://media/clips/a.mp4"), Some("media"));
    assert_eq!(
        same_region("s3://media/a.mp4", Some("us-east-1"), "us-east-1"),
        Ok(())
    );
    assert_eq!(same_region("s3://media/a.mp4", None, "us-east-1"), Ok(()));
    let e = same_region("s3://media/a.mp4", Some("eu-west-1"), "us-east-1").unwrap_err();
    assert_eq!(
        e.to_string(),
        "s3://media/a.mp4 is in eu-west-1: Amazon Bedrock in us-east-1 reads S3 objects only in its own Region. Copy it to a bucket in us-east-1, or use --region eu-west-1."
    );
}

#[test]
fn an_attachments_tokens_are_what_it_adds_to_a_question() {
    let dir = tempfile::tempdir().unwrap();
    let img = load(&write(dir.path(), "shot.png", &png(640, 480))).unwrap();
    // 640 × 480 / 750, rounded up: Anthropic's rule, as the local endpoint counts.
    assert_eq!(tokens(&img.media), Some(410));
    let doc = load(&write(
        dir.path(),
        "notes.txt",
        "word ".repeat(200).as_bytes(),
    ))
    .unwrap();
    let t = tokens(&doc.media).unwrap();
    assert!((200..260).contains(&t), "{t}");
    assert_eq!(
        tokens(&open("s3://media-bucket/a.mp4").unwrap().media),
        None
    );
}
