//! The routes overlay (`/routes`): every route turns went out on this session, with its
//! calls, failures, average latency and last failure, and the routes the current model
//! tries in order.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Widget};

use super::text::ellipsize;
use crate::app::App;

pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let r = super::overlay_area(area, area.width.saturating_sub(4).min(110), 20, buf);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(Style::default().fg(Color::DarkGray))
        .title(" Routes · this session · Esc closes ");
    let inner = block.inner(r);
    block.render(r, buf);
    let w = usize::from(inner.width);
    let dim = Style::default().fg(Color::DarkGray);
    let bold = Style::default().add_modifier(Modifier::BOLD);
    let route_w = w.saturating_sub(40).clamp(12, 60);
    let mut lines = vec![Line::styled(
        format!(
            "{:<route_w$} {:>6} {:>7} {:>10}  last failure",
            "route", "calls", "failed", "avg"
        ),
        bold,
    )];
    if app.routing.stats.is_empty() {
        lines.push(Line::styled("No turn has been sent yet.", dim));
    }
    for s in &app.routing.stats {
        let failed = if s.failures > 0 {
            Style::default().fg(Color::Yellow)
        } else {
            Style::default()
        };
        let avg = s
            .average_ms()
            .map_or_else(|| "–".to_owned(), |ms| format!("{ms} ms"));
        lines.push(Line::from(vec![
            Span::raw(format!("{:<route_w$} ", ellipsize(&s.route, route_w))),
            Span::raw(format!("{:>6} ", s.calls)),
            Span::styled(format!("{:>7} ", s.failures), failed),
            Span::raw(format!("{avg:>10}  ")),
            Span::styled(
                crate::sanitize::text(s.last_error.as_deref().unwrap_or("")),
                dim,
            ),
        ]));
    }
    lines.push(Line::default());
    let routes = crate::app::routes::routes_for(app, &app.model);
    lines.push(Line::styled(
        ellipsize(
            &format!(
                "Turns to {} try, in order: {}",
                app.model,
                routes.join(" → ")
            ),
            w * 2,
        ),
        dim,
    ));
    lines.push(Line::styled(
        "A turn throttled, unavailable or timed out after the SDK's retries goes on the next route; [failover] in the config sets the list.",
        dim,
    ));
    Paragraph::new(lines)
        .wrap(ratatui::widgets::Wrap { trim: false })
        .render(inner, buf);
}
