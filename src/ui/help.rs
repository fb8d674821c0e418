//! The help overlay: every key and slash command.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Widget};

use super::wrap::wrap;

pub const KEYS: &[(&str, &str)] = &[
    ("Enter", "send the message"),
    ("Alt/Shift+Enter, Ctrl+J", "new line in the message"),
    (
        "Esc",
        "stop the streaming answer (the partial text is kept); close this help",
    ),
    (
        "Ctrl+P, F3",
        "model picker: type to filter, Tab picks the inference profile",
    ),
    ("Ctrl+R", "regenerate the last answer"),
    (
        "Ctrl+E",
        "edit the last question (it returns to the composer)",
    ),
    ("Ctrl+O", "write the message in $EDITOR"),
    ("PageUp / PageDown", "scroll the conversation"),
    ("Ctrl+End", "jump to the newest text"),
    (
        "F2",
        "mouse wheel scrolling on/off (off keeps the terminal's text selection)",
    ),
    ("F1", "this help"),
    ("Ctrl+C, Ctrl+D", "quit"),
];

pub const COMMANDS: &[(&str, &str)] = &[
    (
        "/model [ID]",
        "switch model or inference profile (no ID opens the picker); the conversation carries over",
    ),
    ("/system TEXT", "set the system prompt (empty clears it)"),
    ("/new", "start a new conversation"),
    ("/retry", "regenerate the last answer"),
    ("/edit", "edit the last question"),
    ("/help", "this help"),
    ("/quit", "quit"),
];

/// Width of the key column.
const KEY_WIDTH: usize = 24;

fn rows(
    title: &str,
    items: &[(&'static str, &'static str)],
    width: usize,
    out: &mut Vec<Line<'static>>,
) {
    let key = Style::default()
        .fg(Color::Cyan)
        .add_modifier(Modifier::BOLD);
    out.push(Line::from(Span::styled(
        title.to_owned(),
        Style::default().add_modifier(Modifier::BOLD),
    )));
    for (k, what) in items {
        // Descriptions wrap under their own column, not under the keys.
        let mut lines = wrap(
            vec![Span::raw(" ".repeat(KEY_WIDTH))],
            vec![Span::raw(*what)],
            width,
            false,
        );
        if let Some(first) = lines.first_mut() {
            first.spans[0] = Span::styled(format!("{k:<KEY_WIDTH$}"), key);
        }
        out.extend(lines);
    }
}

pub fn render(area: Rect, buf: &mut Buffer) {
    let w = area.width.min(96);
    let inner = usize::from(w.saturating_sub(2));
    let mut lines = Vec::new();
    rows("Keys", KEYS, inner, &mut lines);
    lines.push(Line::default());
    rows("Commands", COMMANDS, inner, &mut lines);
    let h = (lines.len() as u16 + 2).min(area.height);
    let r = Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    );
    Clear.render(r, buf);
    Paragraph::new(lines)
        .block(
            Block::default()
                .borders(Borders::ALL)
                .title(" Help · Esc closes "),
        )
        .render(r, buf);
}
