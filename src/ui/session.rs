//! The side column's session panel: the model and its limits, where requests go, and
//! the system prompt (the meter below it counts tokens and cost).

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Widget};

use crate::app::App;
use crate::app::adapt::model_of;

/// Rows the panel takes at the top of the side column.
pub const HEIGHT: u16 = 8;

pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let label = Style::default().fg(Color::DarkGray);
    let value = Style::default().add_modifier(Modifier::BOLD);
    let row = |k: &str, v: String| {
        Line::from(vec![
            Span::styled(format!("{k:<11}"), label),
            Span::styled(v, value),
        ])
    };
    let mut lines = Vec::new();
    match model_of(&app.model) {
        Some(m) => {
            lines.push(row("model", m.name.clone()));
            lines.push(row("provider", m.provider.clone()));
            lines.push(row("context", format!("{} tokens", m.context_window)));
            lines.push(row("output", format!("up to {}", m.max_output_tokens)));
        }
        None => lines.push(row("model", app.model.clone())),
    }
    lines.push(row("endpoint", super::status::link_label(&app.link)));
    if let Some(s) = &app.system {
        let one_line = crate::sanitize::text(s).replace('\n', " ");
        lines.push(row("system", one_line));
    }
    Paragraph::new(lines)
        .block(
            Block::default()
                .borders(Borders::LEFT)
                .border_style(label)
                .title(" Session "),
        )
        .render(area, buf);
}
