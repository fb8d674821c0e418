use super::*;
use crate::app::{Effect, Msg, update};
use crate::attach::Attached;
use crate::conversation::{Blob, Block, Source};

const HAIKU: &str = "anthropic.claude-3-haiku-20240307-v1:0";
const MICRO: &str = "amazon.nova-micro-v1:0";

fn ready(kind: Kind, format: &str, file: &str, bytes: &[u8]) -> Attached {
    Attached {
        media: Media {
            kind,
            format: format.into(),
            file: file.into(),
            name: if kind == Kind::Document {
                rules::document_name(file)
            } else {
                String::new()
            },
            source: Source::Bytes(Blob::new(bytes.to_vec())),
            citations: false,
        },
        path: None,
        stamp: None,
        size: bytes.len() as u64,
        tokens: None,
    }
}

/// Attaches `a` as the executor would answer `/attach`.
fn attach_ready(app: &mut App, a: Attached) {
    let effects = update(app, Msg::Submit(format!("/attach {}", a.media.file)));
    let id = effects
        .iter()
        .find_map(|e| match e {
            Effect::Attach { id, .. } => Some(*id),
            _ => None,
        })
        .expect("an Attach effect");
    update(app, Msg::Attached { id, result: Ok(a) });
}

#[test]
fn an_attached_image_goes_with_the_question_after_the_executor_checks_it() {
    let mut app = App::new(HAIKU);
    attach_ready(&mut app, ready(Kind::Image, "png", "shot.png", b"img"));
    assert_eq!(app.attach.pending.len(), 1);
    let effects = update(&mut app, Msg::Submit("What is in it?".into()));
    let Some(Effect::PrepareSend {
        text,
        attached,
        paths,
    }) = effects.first().cloned()
    else {
        panic!("{effects:?}")
    };
    assert_eq!(
        (text.as_str(), attached.len(), paths.len()),
        ("What is in it?", 1, 0)
    );
    assert!(app.entries.is_empty(), "nothing is sent before the check");
    let effects = update(
        &mut app,
        Msg::Prepared {
            text,
            result: Ok(attached),
        },
    );
    let Some(Effect::StartTurn { request, .. }) = effects
        .iter()
        .find(|e| matches!(e, Effect::StartTurn { .. }))
    else {
        panic!("{effects:?}")
    };
    let q = &request.messages[0];
    assert!(matches!(&q.blocks[0], Block::Media(m) if m.file == "shot.png"));
    assert_eq!(q.blocks[1], Block::Text("What is in it?".into()));
    assert!(
        app.attach.pending.is_empty(),
        "the chips go with the question"
    );
}

#[test]
fn a_model_that_cannot_take_the_attachment_refuses_it_and_keeps_the_draft_and_chip() {
    let mut app = App::new(MICRO);
    attach_ready(&mut app, ready(Kind::Image, "png", "shot.png", b"img"));
    let effects = update(&mut app, Msg::Submit("Describe".into()));
    let Some(Effect::PrepareSend { text, attached, .. }) = effects.first().cloned() else {
        panic!("{effects:?}")
    };
    let effects = update(
        &mut app,
        Msg::Prepared {
            text,
            result: Ok(attached),
        },
    );
    assert_eq!(effects, vec![Effect::SetComposer("Describe".into())]);
    let notice = app.notice.as_ref().unwrap().text().to_owned();
    assert!(
        notice.starts_with("Not sent: Nova Micro cannot take images. Models that can: "),
        "{notice}"
    );
    assert!(app.entries.is_empty());
    assert_eq!(app.attach.pending.len(), 1, "the chip stays");
}

#[test]
fn a_failed_check_keeps_the_draft_and_a_failed_read_says_why() {
    let mut app = App::new(HAIKU);
    attach_ready(&mut app, ready(Kind::Document, "txt", "notes.txt", b"x"));
    let effects = update(&mut app, Msg::Submit("Sum up".into()));
    assert!(matches!(effects[0], Effect::PrepareSend { .. }));
    // A second Enter while the check runs does not send twice.
    let again = update(&mut app, Msg::Submit("Sum up".into()));
    assert_eq!(again, vec![Effect::SetComposer("Sum up".into())]);
    let effects = update(
        &mut app,
        Msg::Prepared {
            text: "Sum up".into(),
            result: Err("notes.txt changed since it was attached: attach it again (/attach notes.txt) or remove it (Ctrl+X).".into()),
        },
    );
    assert_eq!(effects, vec![Effect::SetComposer("Sum up".into())]);
    assert!(
        app.notice
            .as_ref()
            .unwrap()
            .text()
            .contains("changed since it was attached")
    );
    let effects = update(&mut app, Msg::Submit("/attach missing.png".into()));
    let id = effects
        .iter()
        .find_map(|e| match e {
            Effect::Attach { id, .. } => Some(*id),
            _ => None,
        })
        .unwrap();
    update(
        &mut app,
        Msg::Attached {
            id,
            result: Err("No such file: missing.png.".into()),
        },
    );
    assert_eq!(
        app.attach.pending.len(),
        1,
        "only the file that was read stays"
    );
    assert_eq!(
        app.notice.as_ref().unwrap().text(),
        "No such file: missing.png."
    );
    update(&mut app, Msg::Detach);
    assert!(app.attach.pending.is_empty());
}

#[test]
fn documents_get_unique_names_and_citations_where_the_model_gives_them() {
    let mut app = App::new("anthropic.claude-haiku-4-5-20251001-v1:0");
    attach_ready(&mut app, ready(Kind::Document, "txt", "notes.txt", b"a"));
    attach_ready(&mut app, ready(Kind::Document, "md", "notes.md", b"b"));
    let names: Vec<String> = app
        .attach
        .pending
        .iter()
        .map(|p| p.ready.as_ref().unwrap().media.name.clone())
        .collect();
    assert_eq!(names, ["notes", "notes (2)"]);
    let req = crate::app::meter::request(&app, Some("Compare them"));
    let docs: Vec<&Media> = req.messages.iter().flat_map(Message::media).collect();
    assert!(docs.iter().all(|m| m.citations), "{docs:?}");
    let haiku3 = App {
        model: HAIKU.into(),
        ..app.clone()
    };
    let req = crate::app::meter::request(&haiku3, Some("Compare them"));
    assert!(
        req.messages
            .iter()
            .flat_map(Message::media)
            .all(|m| !m.citations)
    );
}

#[test]
fn switching_to_a_text_model_keeps_attachments_but_sends_a_note_in_their_place() {
    let mut app = App::new(HAIKU);
    attach_ready(&mut app, ready(Kind::Image, "png", "shot.png", b"img"));
    let effects = update(&mut app, Msg::Submit("Q".into()));
    let Some(Effect::PrepareSend { text, attached, .. }) = effects.first().cloned() else {
        panic!()
    };
    update(
        &mut app,
        Msg::Prepared {
            text,
            result: Ok(attached),
        },
    );
    let id = app.turn.unwrap().0;
    update(
        &mut app,
        Msg::Turn {
            id,
            event: crate::app::turn::TurnEvent::Text("A chart.".into()),
        },
    );
    update(&mut app, Msg::TurnDone { id });
    update(&mut app, Msg::SwitchModel(MICRO.into()));
    let notice = app.notice.as_ref().unwrap().text().to_owned();
    assert!(
        notice.contains("1 attachment(s) it cannot take are kept but sent as a note"),
        "{notice}"
    );
    assert!(
        app.entries[0].message.media().count() == 1,
        "the history keeps the image"
    );
    let req = crate::app::meter::request(&app, Some("next"));
    assert_eq!(
        req.messages[0].blocks[0],
        Block::Text("[image shot.png not sent: Nova Micro cannot take it]".into())
    );
}

#[test]
fn at_completion_follows_the_word_being_typed_and_attaches_the_choice() {
    let mut app = App::new(HAIKU);
    let effects = update(&mut app, Msg::DraftChanged("look at @rep".into()));
    assert!(effects.contains(&Effect::ListFiles));
    update(
        &mut app,
        Msg::FilesListed(vec![
            "README.md".into(),
            "docs/report.pdf".into(),
            "src/main.rs".into(),
        ]),
    );
    let c = app.attach.completion.clone().unwrap();
    assert_eq!(c.query, "rep");
    assert_eq!(c.items[0], "docs/report.pdf");
    let effects = update(&mut app, Msg::Complete(CompleteKey::Accept));
    assert_eq!(
        effects[0],
        Effect::SetComposer("look at @docs/report.pdf ".into())
    );
    assert!(effects.contains(&Effect::Attach {
        id: 0,
        arg: "docs/report.pdf".into()
    }));
    assert!(app.attach.completion.is_none());
    update(&mut app, Msg::DraftChanged("look at ".into()));
    assert!(app.attach.completion.is_none());
    // A new @ word lists the files again, and ranks the last list meanwhile.
    let effects = update(&mut app, Msg::DraftChanged("look at @ma".into()));
    assert!(effects.contains(&Effect::ListFiles));
    assert_eq!(
        app.attach.completion.as_ref().unwrap().items[0],
        "src/main.rs"
    );
    let effects = update(&mut app, Msg::DraftChanged("look at @mai".into()));
    assert!(
        !effects.contains(&Effect::ListFiles),
        "one listing per word"
    );
    update(
        &mut app,
        Msg::FilesListed(vec!["src/main.rs".into(), "new/mail.txt".into()]),
    );
    assert_eq!(app.attach.completion.as_ref().unwrap().items.len(), 2);
}

#[test]
fn at_words_that_look_like_paths_are_attached_when_sent() {
    assert_eq!(
        at_paths("see @docs/a.pdf, and @notes.txt. Ask @bob"),
        ["docs/a.pdf", "notes.txt"]
    );
    assert_eq!(unquote("'/tmp/a b.png'"), "/tmp/a b.png");
    assert_eq!(unquote("/tmp/a\\ b.png"), "/tmp/a b.png");
    assert_eq!(unquote("file:///tmp/x.pdf"), "/tmp/x.pdf");
    assert!(looks_like_path("/home/me/shot.png"));
    assert!(!looks_like_path("some text\n/with/lines"));
    assert!(!looks_like_path("hello"));
    let mut app = App::new(HAIKU);
    let effects = update(&mut app, Msg::Submit("what is @README.md about".into()));
    assert_eq!(
        effects,
        vec![Effect::PrepareSend {
            text: "what is @README.md about".into(),
            attached: vec![],
            paths: vec!["README.md".into()]
        }]
    );
}

#[test]
fn a_json_export_without_blobs_is_asked_for_with_a_flag() {
    use crate::app::Format;
    let mut app = App::new(HAIKU);
    app.entries.push(crate::app::Entry::new(
        Message::user("hi"),
        crate::app::EntryState::Done,
    ));
    let export = |app: &mut App, cmd: &str| update(app, Msg::Submit(cmd.into()));
    assert_eq!(
        export(&mut app, "/export json --no-blobs out"),
        vec![Effect::Export {
            conversation: None,
            format: Format::JsonNoBlobs,
            path: Some("out".into())
        }]
    );
    assert_eq!(
        export(&mut app, "/export --no-blobs"),
        vec![Effect::Export {
            conversation: None,
            format: Format::JsonNoBlobs,
            path: None
        }]
    );
    let refused = export(&mut app, "/export --no-blobs notes.md");
    assert_eq!(
        refused,
        vec![Effect::SetComposer("/export --no-blobs notes.md".into())]
    );
    assert!(
        app.notice
            .as_ref()
            .unwrap()
            .text()
            .starts_with("--no-blobs is for JSON exports.")
    );
}
