//! The guardrail picker overlay: "off" and the config's guardrails, each with its
//! trace and stream modes, the one in use marked.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Widget};

use crate::app::App;
use crate::app::guardrail::{stream_name, trace_name};

use super::text::fit;

pub fn render(app: &App, selected: usize, area: Rect, buf: &mut Buffer) {
    let dim = Style::default().fg(Color::DarkGray);
    let rows = app.guardrails.len() + 1;
    let h = u16::try_from(rows + 5).unwrap_or(u16::MAX);
    let r = super::overlay_area(area, area.width.saturating_sub(4).min(90), h, buf);
    let mut lines = vec![
        Line::styled(
            "↑↓ choose · Enter use · t trace mode · s stream mode · Esc cancel",
            dim,
        ),
        Line::default(),
    ];
    let current = |id: &str, version: &str| {
        app.guardrail
            .as_ref()
            .is_some_and(|g| g.id == id && g.version == version)
    };
    let mark = |on: bool| if on { "● " } else { "  " };
    let style = super::row_style(selected == 0);
    lines.push(Line::from(vec![
        Span::styled(if selected == 0 { "▶ " } else { "  " }, style),
        Span::styled(mark(app.guardrail.is_none()), style),
        Span::styled("off", style),
        Span::styled("  turns go unscreened", dim),
    ]));
    for (i, g) in app.guardrails.iter().enumerate() {
        let sel = selected == i + 1;
        let style = super::row_style(sel);
        let label = g.label.clone().unwrap_or_else(|| "—".into());
        lines.push(Line::from(vec![
            Span::styled(if sel { "▶ " } else { "  " }, style),
            Span::styled(mark(current(&g.id, &g.version)), style),
            Span::styled(format!("{label:<14} "), style.add_modifier(Modifier::BOLD)),
            Span::styled(
                format!("{} ", fit(&format!("{}:{}", g.id, g.version), 24)),
                style,
            ),
            Span::styled(
                format!("trace {} · {}", trace_name(g.trace), stream_name(g.stream)),
                dim,
            ),
        ]));
    }
    let block = Block::default()
        .borders(Borders::ALL)
        .title(" Guardrail ")
        .title_bottom(Line::from(Span::styled(
            " switching applies to the next turn; earlier traces stay ",
            dim,
        )));
    Paragraph::new(lines).block(block).render(r, buf);
}
