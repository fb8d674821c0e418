//! Attachment snapshots at 80x24 and 120x40: chips and the `@` completion above the
//! composer, a refusal, and an answer with its sources.

use crate::app::attach::{Completion, Pending};
use crate::app::state::Link;
use crate::app::{App, Entry, EntryState, Notice};
use crate::attach::Attached;
use crate::conversation::{
    Blob, Block, Citation, Kind, Media, Message, Place, Role, Source, Usage,
};

use super::tests::draw;

const HAIKU45: &str = "anthropic.claude-haiku-4-5-20251001-v1:0";

fn png(w: u32, h: u32) -> Vec<u8> {
    let mut b = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    b.extend(w.to_be_bytes());
    b.extend(h.to_be_bytes());
    b.extend(b"\x08\x02\0\0\0\0\0\0\0");
    b
}

fn media(kind: Kind, format: &str, file: &str, bytes: Vec<u8>) -> Media {
    Media {
        kind,
        format: format.into(),
        file: file.into(),
        name: file.split('.').next().unwrap_or(file).into(),
        source: Source::Bytes(Blob::new(bytes)),
        citations: kind == Kind::Document,
    }
}

fn app() -> App {
    let mut app = App::new(HAIKU45);
    app.link = Link::Local {
        url: "http://127.0.0.1:8787".into(),
        reason: None,
    };
    app
}

fn chips(app: &mut App) {
    let ready = |id, m: Media| Pending {
        id,
        arg: m.file.clone(),
        ready: Some(Attached {
            size: m.data().map_or(0, |d| d.len() as u64),
            tokens: crate::attach::tokens(&m),
            media: m,
            path: None,
            stamp: None,
        }),
        pasted: None,
    };
    app.attach.pending = vec![
        ready(
            0,
            media(Kind::Image, "png", "screenshot.png", png(1280, 720)),
        ),
        ready(
            1,
            media(
                Kind::Document,
                "md",
                "notes.md",
                b"# Notes\nShip on Friday.\n".repeat(40),
            ),
        ),
        Pending {
            id: 2,
            arg: "docs/Q3 report.pdf".into(),
            ready: None,
            pasted: None,
        },
    ];
}

#[test]
fn chips_and_completion_above_the_composer() {
    let mut app = app();
    chips(&mut app);
    insta::assert_snapshot!("attach_chips_80x24", draw(&app, 80, 24));
    app.attach.completion = Some(Completion {
        query: "rep".into(),
        items: vec![
            "docs/Q3 report.pdf".into(),
            "reports/2024.csv".into(),
            "src/repl.rs".into(),
        ],
        selected: 0,
    });
    insta::assert_snapshot!("attach_completion_120x40", draw(&app, 120, 40));
}

#[test]
fn a_refused_attachment_keeps_the_draft() {
    let mut app = app();
    app.model = "amazon.nova-micro-v1:0".into();
    chips(&mut app);
    app.attach.pending.truncate(1);
    app.notice = Some(Notice::Error(
        "Not sent: Nova Micro cannot take images. Models that can: Claude Opus 4.5, Claude Sonnet 4.5, Claude Haiku 4.5, Claude Opus 4.1, Claude Sonnet 4 and 9 more (/model switches).".into(),
    ));
    insta::assert_snapshot!("attach_refused_80x24", draw(&app, 80, 24));
    insta::assert_snapshot!("attach_refused_120x40", draw(&app, 120, 40));
}

#[test]
fn an_answer_with_citations_lists_its_sources() {
    let mut app = app();
    let pdf = b"%PDF-1.4\n".repeat(300);
    app.entries.push(Entry::new(
        Message::question(
            "How did revenue do in Q3?",
            vec![media(Kind::Document, "pdf", "Q3 report.pdf", pdf)],
        ),
        EntryState::Done,
    ));
    let cite = |quote: &str, start| Citation {
        title: "Q3 report".into(),
        quote: quote.into(),
        place: Some(Place::Pages),
        document: 0,
        start,
        end: start + 1,
    };
    let mut a = Entry::new(
        Message {
            role: Role::Assistant,
            blocks: vec![
                Block::Text("According to the report, ".into()),
                Block::Cited {
                    text: "revenue grew 12 percent in the third quarter".into(),
                    citations: vec![cite("Revenue grew 12 percent in the third quarter.", 1)],
                },
                Block::Text(", while ".into()),
                Block::Cited {
                    text: "costs stayed flat".into(),
                    citations: vec![cite("Operating costs were flat year over year.", 2)],
                },
                Block::Text(".".into()),
            ],
            model: Some(HAIKU45.into()),
        },
        EntryState::Done,
    );
    a.usage = Some(Usage {
        input: 1480,
        output: 38,
        ..Usage::default()
    });
    app.entries.push(a);
    insta::assert_snapshot!("attach_citations_80x24", draw(&app, 80, 24));
    insta::assert_snapshot!("attach_citations_120x40", draw(&app, 120, 40));
}
