//! The notice log overlay: every message the status bar showed this session, in full,
//! with its time, newest at the bottom; errors in red.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Widget};

use super::wrap::wrap;
use crate::app::{App, Notice};
use crate::clock::time_of_day;

/// Draws the log scrolled `scroll` rows up from its newest line.
pub fn render(app: &App, scroll: u16, area: Rect, buf: &mut Buffer) {
    let r = super::overlay_area(area, area.width.saturating_sub(4), area.height - 2, buf);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(Style::default().fg(Color::DarkGray))
        .title(format!(
            " Notice log · {} message{} · PageUp/PageDown scroll · Esc closes ",
            app.log.len(),
            if app.log.len() == 1 { "" } else { "s" }
        ));
    let inner = block.inner(r);
    block.render(r, buf);
    let width = usize::from(inner.width);
    let mut lines: Vec<Line<'static>> = Vec::new();
    if app.log.is_empty() {
        lines.push(Line::styled(
            "Nothing has been said yet.",
            Style::default().fg(Color::DarkGray),
        ));
    }
    for logged in &app.log {
        let (text, color) = match &logged.notice {
            Notice::Info(t) => (t, Color::Gray),
            Notice::Error(t) => (t, Color::LightRed),
        };
        let time = format!("{}  ", time_of_day(logged.at_ms, app.utc_offset_s));
        let indent = " ".repeat(time.len());
        let wrapped = wrap(
            vec![Span::raw(indent)],
            vec![Span::styled(text.clone(), Style::default().fg(color))],
            width,
            false,
        );
        // The time stands on the notice's first line only.
        for (i, mut line) in wrapped.into_iter().enumerate() {
            if i == 0
                && let Some(first) = line.spans.first_mut()
            {
                *first = Span::styled(time.clone(), Style::default().fg(Color::DarkGray));
            }
            lines.push(line);
        }
    }
    let height = usize::from(inner.height);
    let end = lines
        .len()
        .saturating_sub(usize::from(scroll).min(lines.len().saturating_sub(height)));
    let start = end.saturating_sub(height);
    Paragraph::new(lines[start..end].to_vec()).render(inner, buf);
}
