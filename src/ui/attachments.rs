//! Attachments on screen: the chips of the draft's attachments above the composer,
//! the `@` completion list, a question's attachments in the conversation, and the
//! sources under an answer that cites its documents.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use crate::app::App;
use crate::attach::rules;
use crate::conversation::{Block, Citation, Media, Source};
use crate::sanitize;

use super::wrap::wrap;

const MARK: &str = "▣ ";

fn chip_style() -> Style {
    Style::default().fg(Color::Cyan)
}

fn dim() -> Style {
    Style::default().fg(Color::DarkGray)
}

/// What a chip and a question's attachment line say after the name: kind, format,
/// dimensions, size, and the estimated tokens when known.
pub fn facts(m: &Media, tokens: Option<u32>) -> String {
    let mut parts = vec![
        m.kind.member().to_owned(),
        m.format.replace("three_gp", "3gp").to_uppercase(),
    ];
    if let Some((w, h)) = m.dimensions() {
        parts.push(format!("{w}×{h}"));
    }
    match &m.source {
        Source::Bytes(b) => parts.push(rules::size(b.data.len() as u64)),
        Source::S3 { .. } => parts.push("by S3 location".to_owned()),
    }
    if let Some(t) = tokens {
        parts.push(format!("~{t} tok"));
    }
    parts.join(" · ")
}

/// The chips' rows: one per attachment being read or ready, at most three rows, the
/// last saying how many more there are.
fn chip_lines(app: &App) -> Vec<Line<'static>> {
    const ROWS: usize = 3;
    let pending = &app.attach.pending;
    let mut lines: Vec<Line<'static>> = pending
        .iter()
        .take(ROWS)
        .map(|p| match &p.ready {
            Some(a) => Line::from(vec![
                Span::styled(MARK, chip_style()),
                Span::styled(
                    sanitize::text(&a.media.file),
                    chip_style().add_modifier(Modifier::BOLD),
                ),
                Span::styled(format!("  {}", facts(&a.media, a.tokens)), dim()),
            ]),
            None => Line::from(vec![
                Span::styled(MARK, dim()),
                Span::styled(format!("{}  reading…", p.arg), dim()),
            ]),
        })
        .collect();
    if pending.len() > ROWS {
        lines.pop();
        lines.push(Line::styled(
            format!("  and {} more", pending.len() - ROWS + 1),
            dim(),
        ));
    }
    if let Some(last) = lines.last_mut().filter(|_| !pending.is_empty()) {
        last.spans
            .push(Span::styled("   Ctrl+X removes the last", dim()));
    }
    lines
}

/// Rows the chips take.
pub fn chips_height(app: &App) -> u16 {
    chip_lines(app).len() as u16
}

pub fn render_chips(app: &App, area: Rect, buf: &mut Buffer) {
    Paragraph::new(chip_lines(app)).render(area, buf);
}

/// The `@` completion list, drawn upwards from the bottom of `above` (the rows over
/// the composer).
pub fn render_completion(app: &App, above: Rect, buf: &mut Buffer) {
    let Some(c) = &app.attach.completion else {
        return;
    };
    let mut lines: Vec<Line<'static>> = c
        .items
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let style = if i == c.selected {
                super::row_style(true)
            } else {
                Style::default()
            };
            Line::styled(format!(" @{f} "), style)
        })
        .collect();
    if lines.is_empty() {
        lines.push(Line::styled(
            format!(" no file matches @{} ", sanitize::text(&c.query)),
            dim(),
        ));
    } else {
        lines.push(Line::styled(
            " ↑↓ choose · Tab/Enter attach · Esc close ",
            dim(),
        ));
    }
    let h = (lines.len() as u16).min(above.height);
    let w = lines
        .iter()
        .map(Line::width)
        .max()
        .unwrap_or(0)
        .min(usize::from(above.width)) as u16;
    let r = Rect::new(above.x, above.y + above.height - h, w, h);
    ratatui::widgets::Clear.render(r, buf);
    Paragraph::new(lines)
        .style(Style::default().bg(Color::Rgb(30, 30, 40)))
        .render(r, buf);
}

/// `spans` wrapped after `mark` on the first line and under it, indented, on the
/// others: a list item's hanging indent.
fn hanging(mark: Span<'static>, spans: Vec<Span<'static>>, width: usize) -> Vec<Line<'static>> {
    let indent = Span::raw(" ".repeat(mark.width()));
    let mut lines = wrap(vec![indent], spans, width, false);
    if let Some(first) = lines.first_mut().and_then(|l| l.spans.first_mut()) {
        *first = mark;
    }
    lines
}

/// A question's attachment, as a line of the conversation.
pub fn media_lines(lines: &mut Vec<Line<'static>>, m: &Media, width: usize) {
    let name = match &m.source {
        Source::S3 { uri, .. } => sanitize::text(uri),
        Source::Bytes(_) => sanitize::text(&m.file),
    };
    lines.extend(hanging(
        Span::styled(MARK, chip_style()),
        vec![
            Span::styled(name, chip_style().add_modifier(Modifier::BOLD)),
            // The answer's usage says what the question cost.
            Span::styled(format!("  {}", facts(m, None)), dim()),
        ],
        width,
    ));
}

/// Whether an answer cites its documents.
pub fn cites(blocks: &[Block]) -> bool {
    blocks.iter().any(|b| matches!(b, Block::Cited { .. }))
}

/// An answer's text with a numbered marker after each cited part, and its citations in
/// the order of their numbers (a passage cited twice keeps its first number).
pub fn cited_text(blocks: &[Block]) -> (String, Vec<&Citation>) {
    let mut text = String::new();
    let mut sources: Vec<&Citation> = Vec::new();
    for b in blocks {
        match b {
            Block::Text(t) => text.push_str(t),
            Block::Cited { text: t, citations } => {
                text.push_str(t.trim_end_matches(char::is_whitespace));
                for c in citations {
                    let n = match sources.iter().position(|s| *s == c) {
                        Some(i) => i + 1,
                        None => {
                            sources.push(c);
                            sources.len()
                        }
                    };
                    text.push_str(&format!(" [{n}]"));
                }
                // The whitespace the markers were put before.
                text.push_str(&t[t.trim_end_matches(char::is_whitespace).len()..]);
            }
            _ => {}
        }
    }
    (text, sources)
}

/// The sources under a cited answer: number, document, where, and the quoted passage.
pub fn sources_lines(lines: &mut Vec<Line<'static>>, sources: &[&Citation], width: usize) {
    if sources.is_empty() {
        return;
    }
    if lines.last().is_some_and(|l| l.width() > 0) {
        lines.push(Line::default());
    }
    lines.push(Line::styled("Sources", dim().add_modifier(Modifier::BOLD)));
    for (i, c) in sources.iter().enumerate() {
        let place = c.location();
        let head = if place.is_empty() {
            sanitize::text(&c.title)
        } else {
            format!("{}, {place}", sanitize::text(&c.title))
        };
        lines.extend(hanging(
            Span::styled(format!("[{}] ", i + 1), chip_style()),
            vec![
                Span::styled(head, Style::default().add_modifier(Modifier::BOLD)),
                Span::styled(
                    format!(": \u{201c}{}\u{201d}", sanitize::text(c.quote.trim())),
                    dim().add_modifier(Modifier::ITALIC),
                ),
            ],
            width,
        ));
    }
}
