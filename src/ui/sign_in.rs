//! The offer to sign in again: the expired session, the command that would run, and
//! the keys that answer.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Widget, Wrap};

use crate::app::App;

pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let command = app.auth_refresh.as_deref().unwrap_or_default();
    let width = area.width.saturating_sub(4).min(72);
    let r = super::overlay_area(area, width, 8, buf);
    let bold = Style::default().add_modifier(Modifier::BOLD);
    let lines = vec![
        Line::from("The AWS session has expired. Sign in again with"),
        Line::from(Span::styled(command.to_owned(), bold.fg(Color::Yellow))),
        Line::from("and ask the question again? It runs on this terminal."),
        Line::default(),
        Line::from(vec![
            Span::styled("y", bold),
            Span::raw(" run it · "),
            Span::styled("n", bold),
            Span::raw(" or "),
            Span::styled("Esc", bold),
            Span::raw(" not now"),
        ]),
    ];
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(Style::default().fg(Color::Yellow))
        .title(" Sign in again ");
    Paragraph::new(lines)
        .wrap(Wrap { trim: false })
        .block(block)
        .render(r, buf);
}
