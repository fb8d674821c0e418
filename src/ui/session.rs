//! The side column's session panel: the model and its limits, where requests go, and
//! the tokens used so far in this conversation.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Widget, Wrap};

use crate::app::App;
use crate::app::adapt::model_of;
use crate::conversation::Role;

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
    let turns = app
        .entries
        .iter()
        .filter(|e| e.message.role == Role::User)
        .count();
    let (input, output) = app
        .entries
        .iter()
        .filter_map(|e| e.usage)
        .fold((0u64, 0u64), |(i, o), u| {
            (i + u64::from(u.input), o + u64::from(u.output))
        });
    lines.push(Line::default());
    lines.push(row("turns", turns.to_string()));
    lines.push(row("tokens in", input.to_string()));
    lines.push(row("tokens out", output.to_string()));
    if let Some(s) = &app.system {
        lines.push(Line::default());
        lines.push(Line::from(Span::styled("system prompt", label)));
        lines.push(Line::from(Span::raw(crate::sanitize::text(s))));
    }
    Paragraph::new(lines)
        .wrap(Wrap { trim: true })
        .block(
            Block::default()
                .borders(Borders::LEFT)
                .border_style(label)
                .title(" Session "),
        )
        .render(area, buf);
}
