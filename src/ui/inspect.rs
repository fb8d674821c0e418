//! The request inspector overlay: tabs for the exchange and for the request as code; the
//! exchange tab shows the call (operation, URL, region, auth, status, request id,
//! attempts), the events with their times, the response's metadata and the body as
//! sent, the code tabs a runnable snippet.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Widget};

use super::text::ellipsize;
use crate::app::App;
use crate::app::inspect::{Inspector, Tab};
use crate::inspect::{EventKind, Exchange};
use crate::sanitize;

fn dim() -> Style {
    Style::default().fg(Color::DarkGray)
}

fn heading(text: &str) -> Line<'static> {
    Line::styled(
        text.to_owned(),
        Style::default()
            .fg(Color::Cyan)
            .add_modifier(Modifier::BOLD),
    )
}

/// A label and its value on one line.
fn field(label: &str, value: String) -> Line<'static> {
    Line::from(vec![
        Span::styled(format!("{label:<11} "), dim()),
        Span::raw(sanitize::text(&value)),
    ])
}

fn event_text(kind: &EventKind) -> String {
    match kind {
        EventKind::FirstByte { status, attempt } if *status >= 400 => {
            format!("first byte of attempt {attempt}: {status}, an error the SDK may retry")
        }
        EventKind::FirstByte { status, attempt: 1 } => format!("first byte: {status} and headers"),
        EventKind::FirstByte { status, attempt } => {
            format!("first byte of attempt {attempt}: {status} and headers")
        }
        EventKind::FirstToken => "first token".into(),
        EventKind::Block {
            index,
            content,
            deltas,
            chars,
        } => format!(
            "content block {index} ({content}): {deltas} delta{}, {chars} characters",
            if *deltas == 1 { "" } else { "s" }
        ),
        EventKind::MessageStop { reason } => format!("messageStop: {reason}"),
        EventKind::Metadata => "metadata: usage and metrics".into(),
        EventKind::Chunk { bytes } => format!("chunk: {bytes} bytes"),
        EventKind::Error { message } => format!("error: {message}"),
    }
}

/// The exchange tab's lines above the body: the call, its attempts, its events and the
/// response's metadata.
fn summary(x: &Exchange) -> Vec<Line<'static>> {
    let mut lines = vec![
        field("Operation", format!("{}  {}", x.operation, x.model_id)),
        field("URL", format!("POST {}", x.url)),
        field("Region", x.region.clone()),
        field("Auth", x.auth.clone()),
        field(
            "Status",
            x.status
                .map_or_else(|| "no response".to_owned(), |s| s.to_string()),
        ),
        field(
            "Request id",
            x.request_id.clone().unwrap_or_else(|| "none".into()),
        ),
    ];
    let retried = x.retries();
    lines.push(field(
        "Attempts",
        match retried {
            0 => format!("{} (not retried)", x.attempts.len().max(1)),
            n => format!("{} ({n} retried by the SDK)", x.attempts.len()),
        },
    ));
    if retried > 0 {
        for (i, a) in x.attempts.iter().enumerate() {
            lines.push(Line::styled(
                sanitize::text(&format!(
                    "            #{} at {} ms: {}{}",
                    i + 1,
                    a.at_ms,
                    a.status
                        .map_or_else(|| "no response".into(), |s| s.to_string()),
                    a.cause
                        .as_deref()
                        .map(|c| format!(" {c}"))
                        .unwrap_or_default()
                )),
                dim(),
            ));
        }
    }
    if let Some(e) = &x.error {
        lines.push(Line::from(vec![
            Span::styled(format!("{:<11} ", "Error"), dim()),
            Span::styled(sanitize::text(e), Style::default().fg(Color::Red)),
        ]));
    }
    lines.push(Line::default());
    lines.push(heading("Events"));
    if x.events.is_empty() {
        lines.push(Line::styled("  none recorded", dim()));
    }
    for e in &x.events {
        lines.push(Line::from(vec![
            Span::styled(format!("{:>8} ms  ", e.at_ms), dim()),
            Span::raw(sanitize::text(&event_text(&e.kind))),
        ]));
    }
    if let Some(r) = &x.response {
        lines.push(Line::default());
        lines.push(heading("Response"));
        if let Some(u) = &r.usage {
            lines.push(field("  usage", u.to_string()));
        }
        if let Some(ms) = r.latency_ms {
            lines.push(field("  latencyMs", ms.to_string()));
        }
        if let Some(s) = &r.stop_reason {
            lines.push(field("  stop", s.clone()));
        }
        if !r.trace.is_empty() {
            lines.push(field("  trace", r.trace.join(", ")));
        }
    }
    lines.push(Line::default());
    lines.push(heading(
        "Request body (as sent; attachments shown as $blob references)",
    ));
    lines
}

/// Draws the inspector; returns how far it scrolls (its rows beyond one screen).
pub fn render(app: &App, i: &Inspector, area: Rect, buf: &mut Buffer) -> u16 {
    let r = super::overlay_area(
        area,
        area.width.saturating_sub(4),
        area.height.saturating_sub(2),
        buf,
    );
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(Style::default().fg(Color::DarkGray))
        .title(format!(
            " Inspector · answer {} · Tab switches · c copies · w writes a file · Esc closes ",
            crate::app::guardrail::answer_number(app, i.entry)
        ));
    let inner = block.inner(r);
    block.render(r, buf);
    if inner.height < 2 {
        return 0;
    }
    let w = usize::from(inner.width);
    let mut tabs = Vec::new();
    for (n, t) in Tab::all().into_iter().enumerate() {
        if n > 0 {
            tabs.push(Span::styled(" │ ", dim()));
        }
        let label = format!("{} {}", n + 1, t.label());
        tabs.push(if t == i.tab {
            Span::styled(
                label,
                Style::default()
                    .fg(Color::Black)
                    .bg(Color::Cyan)
                    .add_modifier(Modifier::BOLD),
            )
        } else {
            Span::raw(label)
        });
    }
    Paragraph::new(Line::from(tabs)).render(Rect { height: 1, ..inner }, buf);
    let body = Rect {
        y: inner.y + 1,
        height: inner.height - 1,
        ..inner
    };
    let x = app.entries.get(i.entry).and_then(|e| e.exchange.as_deref());
    let mut lines: Vec<Line<'static>> = Vec::new();
    match (i.tab, x) {
        (_, None) => lines.push(Line::styled("No record of the request.", dim())),
        (_, Some(_)) if i.unavailable.is_some() => lines.push(Line::styled(
            sanitize::text(i.unavailable.as_deref().unwrap_or_default()),
            Style::default().fg(Color::Yellow),
        )),
        (Tab::Wire, Some(x)) => lines.extend(summary(x)),
        (Tab::Code(l), Some(_)) => lines.push(Line::styled(
            format!(
                "{} · runs as it is; c copies it, w writes it to a .{} file",
                l.label(),
                l.extension()
            ),
            dim(),
        )),
    }
    let head = lines.len();
    let text_lines = if i.unavailable.is_some() {
        0
    } else {
        i.text.lines().count()
    };
    let total = head + text_lines;
    let height = usize::from(body.height);
    let start = usize::from(i.scroll).min(total.saturating_sub(height));
    let end = (start + height).min(total);
    // Only the rows on screen are built: a request can be megabytes long.
    let mut shown: Vec<Line<'static>> = lines
        .get(start.min(head)..end.min(head))
        .unwrap_or_default()
        .to_vec();
    let from = start.saturating_sub(head);
    let to = end.saturating_sub(head).min(text_lines);
    if from < to {
        shown.extend(i.text.lines().skip(from).take(to - from).map(|t| {
            Line::raw(ellipsize(
                &sanitize::keeping_tabs(t).replace('\t', "    "),
                w,
            ))
        }));
    }
    Paragraph::new(shown).render(body, buf);
    u16::try_from(total.saturating_sub(height)).unwrap_or(u16::MAX)
}
