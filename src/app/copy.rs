//! Copying from the conversation: the focused answer as Markdown (its sources listed
//! under it), or its last code block's text, put on the clipboard with OSC 52 by the
//! event loop, and said in the status bar.

use pulldown_cmark::{CodeBlockKind, Event, Parser, Tag, TagEnd};

use super::effect::Effect;
use super::guardrail::focused_answer;
use super::state::{App, Notice};
use crate::conversation::Block;

/// The answer's Markdown: its text with a numbered marker after each cited part, and
/// the sources under it.
fn markdown(blocks: &[Block]) -> String {
    let mut text = String::new();
    let mut sources = Vec::new();
    for b in blocks {
        match b {
            Block::Text(t) => text.push_str(t),
            Block::Cited { text: t, citations } => {
                text.push_str(t);
                for c in citations {
                    sources.push(c);
                    text.push_str(&format!(" [{}]", sources.len()));
                }
            }
            _ => {}
        }
    }
    if !sources.is_empty() {
        text.push_str("\n\nSources:\n");
        for (i, c) in sources.iter().enumerate() {
            text.push_str(&format!("{}. {}\n", i + 1, c.source()));
        }
    }
    text
}

/// The fenced and indented code blocks of `markdown`: language and text, in order.
pub fn code_blocks(markdown: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut current: Option<(String, String)> = None;
    for event in Parser::new(markdown) {
        match event {
            Event::Start(Tag::CodeBlock(kind)) => {
                let lang = match kind {
                    CodeBlockKind::Fenced(info) => {
                        info.split_whitespace().next().unwrap_or("").to_owned()
                    }
                    CodeBlockKind::Indented => String::new(),
                };
                current = Some((lang, String::new()));
            }
            Event::Text(t) => {
                if let Some((_, code)) = &mut current {
                    code.push_str(&t);
                }
            }
            Event::End(TagEnd::CodeBlock) => out.extend(current.take()),
            _ => {}
        }
    }
    out
}

/// Copies the focused answer (the newest when none is focused) as Markdown.
pub fn answer(app: &mut App) -> Vec<Effect> {
    let text = focused_answer(app).map(|i| markdown(&app.entries[i].message.blocks));
    match text.filter(|t| !t.trim().is_empty()) {
        Some(t) => {
            app.tell(Notice::Info(format!(
                "Copied the answer ({} lines) to the clipboard.",
                t.lines().count()
            )));
            vec![Effect::Clipboard(t)]
        }
        None => {
            app.tell(Notice::Error("There is no answer to copy yet.".into()));
            Vec::new()
        }
    }
}

/// The last code block of the focused answer, named for messages ("rust block"), or
/// why there is none (`doing` says what was asked).
fn last_code(app: &mut App, doing: &str) -> Option<(String, String, String)> {
    let blocks = focused_answer(app)
        .map(|i| code_blocks(&app.entries[i].message.text()))
        .unwrap_or_default();
    let Some((lang, code)) = blocks.last() else {
        app.tell(Notice::Error(format!(
            "The answer has no code block to {doing}."
        )));
        return None;
    };
    let what = if lang.is_empty() {
        "code block".to_owned()
    } else {
        format!("{lang} block")
    };
    Some((lang.clone(), code.clone(), what))
}

/// The file extension of a code block's language, for the editor; the language comes
/// from the model, so only known names map to one.
fn extension(lang: &str) -> &'static str {
    match lang.to_ascii_lowercase().as_str() {
        "rust" | "rs" => "rs",
        "python" | "py" => "py",
        "javascript" | "js" | "node" => "js",
        "typescript" | "ts" => "ts",
        "bash" | "sh" | "shell" | "zsh" | "console" => "sh",
        "json" => "json",
        "yaml" | "yml" => "yaml",
        "toml" => "toml",
        "go" | "golang" => "go",
        "java" => "java",
        "c" => "c",
        "cpp" | "c++" => "cpp",
        "sql" => "sql",
        "html" => "html",
        "css" => "css",
        "markdown" | "md" => "md",
        _ => "txt",
    }
}

/// Opens the last code block of the focused answer in `$EDITOR`.
pub fn edit_code(app: &mut App) -> Vec<Effect> {
    let Some((lang, code, _)) = last_code(app, "open") else {
        return Vec::new();
    };
    vec![Effect::Editor {
        text: code,
        target: super::effect::EditorTarget::Code {
            extension: extension(&lang),
        },
    }]
}

/// Copies the last code block of the focused answer: its text only, without fences.
pub fn code(app: &mut App) -> Vec<Effect> {
    let Some((_, code, what)) = last_code(app, "copy") else {
        return Vec::new();
    };
    app.tell(Notice::Info(format!(
        "Copied the {what} ({} lines) to the clipboard.",
        code.lines().count()
    )));
    vec![Effect::Clipboard(code.clone())]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::{Entry, EntryState, Msg, update};
    use crate::conversation::{Message, Role};

    fn with_answer(text: &str) -> App {
        let mut app = App::new("anthropic.claude-3-haiku-20240307-v1:0");
        app.entries
            .push(Entry::new(Message::user("Q"), EntryState::Done));
        app.entries.push(Entry::new(
            Message {
                role: Role::Assistant,
                blocks: vec![Block::Text(text.into())],
                model: None,
            },
            EntryState::Done,
        ));
        app
    }

    #[test]
    fn the_answer_and_its_last_code_block_go_to_the_clipboard() {
        let text = "Use `sorted`:\n\n```python\nprint(sorted(xs))\n```\n\nOr in place:\n\n```python\nxs.sort()\nprint(xs)\n```\n";
        let mut app = with_answer(text);
        assert_eq!(
            update(&mut app, Msg::CopyAnswer),
            vec![Effect::Clipboard(text.into())]
        );
        assert_eq!(
            app.notice.as_ref().unwrap().text(),
            "Copied the answer (12 lines) to the clipboard."
        );
        assert_eq!(
            update(&mut app, Msg::CopyCode),
            vec![Effect::Clipboard("xs.sort()\nprint(xs)\n".into())]
        );
        assert_eq!(
            app.notice.as_ref().unwrap().text(),
            "Copied the python block (2 lines) to the clipboard."
        );
    }

    #[test]
    fn nothing_to_copy_is_said_and_copies_nothing() {
        let mut app = App::new("anthropic.claude-3-haiku-20240307-v1:0");
        assert!(update(&mut app, Msg::CopyAnswer).is_empty());
        assert_eq!(
            app.notice.as_ref().unwrap().text(),
            "There is no answer to copy yet."
        );
        let mut app = with_answer("No code here.");
        assert!(update(&mut app, Msg::CopyCode).is_empty());
        assert_eq!(
            app.notice.as_ref().unwrap().text(),
            "The answer has no code block to copy."
        );
    }

    #[test]
    fn the_last_code_block_opens_in_the_editor_named_for_its_language() {
        use crate::app::EditorTarget;
        let mut app = with_answer("```python\nprint(1)\n```\n\n```rust\nfn main() {}\n```");
        assert_eq!(
            update(&mut app, Msg::EditCode),
            vec![Effect::Editor {
                text: "fn main() {}\n".into(),
                target: EditorTarget::Code { extension: "rs" },
            }]
        );
        assert_eq!(
            EditorTarget::Code { extension: "rs" }.file_name(),
            "code.rs"
        );
        // A language the model names oddly (or hostilely) gets a plain text file.
        let mut app = with_answer("```../../etc/passwd\nx\n```");
        assert_eq!(
            update(&mut app, Msg::EditCode),
            vec![Effect::Editor {
                text: "x\n".into(),
                target: EditorTarget::Code { extension: "txt" },
            }]
        );
        // Closing the editor changes nothing in the answer.
        let before = app.entries.clone();
        update(
            &mut app,
            Msg::Edited {
                target: EditorTarget::Code { extension: "txt" },
                result: Ok("changed".into()),
            },
        );
        assert_eq!(app.entries, before);
        assert!(app.notice.as_ref().unwrap().text().contains("unchanged"));
        let mut app = with_answer("No code here.");
        assert!(update(&mut app, Msg::EditCode).is_empty());
        assert_eq!(
            app.notice.as_ref().unwrap().text(),
            "The answer has no code block to open."
        );
    }

    #[test]
    fn a_cited_answer_is_copied_with_its_sources() {
        use crate::conversation::{Citation, Place};
        let mut app = with_answer("");
        app.entries[1].message.blocks = vec![
            Block::Text("It says ".into()),
            Block::Cited {
                text: "revenue grew".into(),
                citations: vec![Citation {
                    title: "Q3 report".into(),
                    quote: "Revenue grew.".into(),
                    place: Some(Place::Pages),
                    document: 0,
                    start: 2,
                    end: 3,
                }],
            },
            Block::Text(".".into()),
        ];
        assert_eq!(
            update(&mut app, Msg::CopyAnswer),
            vec![Effect::Clipboard(
                "It says revenue grew [1].\n\nSources:\n1. Q3 report, p. 2: \u{201c}Revenue grew.\u{201d}\n".into()
            )]
        );
    }
}
