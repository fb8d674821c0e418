//! The help overlay: every key and slash command.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Widget, Wrap};

pub const KEYS: &[(&str, &str)] = &[
    ("Enter", "send the message"),
    ("Alt+Enter, Shift+Enter, Ctrl+J", "new line in the message"),
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
        "/model ID",
        "switch model or inference profile; the conversation carries over",
    ),
    ("/system TEXT", "set the system prompt (empty clears it)"),
    ("/new", "start a new conversation"),
    ("/retry", "regenerate the last answer"),
    ("/edit", "edit the last question"),
    ("/help", "this help"),
    ("/quit", "quit"),
];

pub fn render(area: Rect, buf: &mut Buffer) {
    let w = area.width.min(76);
    let rows = (KEYS.len() + COMMANDS.len() + 5) as u16;
    let h = rows.min(area.height);
    let r = Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    );
    Clear.render(r, buf);
    let key = Style::default()
        .fg(Color::Cyan)
        .add_modifier(Modifier::BOLD);
    let mut lines = vec![Line::from(Span::styled(
        "Keys",
        Style::default().add_modifier(Modifier::BOLD),
    ))];
    for (k, what) in KEYS {
        lines.push(Line::from(vec![
            Span::styled(format!("{k:<32}"), key),
            Span::raw(*what),
        ]));
    }
    lines.push(Line::default());
    lines.push(Line::from(Span::styled(
        "Commands",
        Style::default().add_modifier(Modifier::BOLD),
    )));
    for (k, what) in COMMANDS {
        lines.push(Line::from(vec![
            Span::styled(format!("{k:<32}"), key),
            Span::raw(*what),
        ]));
    }
    Paragraph::new(lines)
        .wrap(Wrap { trim: false })
        .block(
            Block::default()
                .borders(Borders::ALL)
                .title(" Help · Esc closes "),
        )
        .render(r, buf);
}
