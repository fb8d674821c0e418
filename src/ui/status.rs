//! The status bar: model, where requests go, what is happening, and the latest notice.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use crate::app::state::Link;
use crate::app::{App, Notice};

pub fn link_label(link: &Link) -> String {
    match link {
        Link::Connecting => "connecting…".into(),
        Link::Aws { region, profile } => match profile {
            Some(p) => format!("AWS {region} ({p})"),
            None => format!("AWS {region}"),
        },
        Link::Custom { url, region } => format!("{url} ({region})"),
        Link::Local { .. } => "local endpoint".into(),
        Link::Failed(_) => "not connected".into(),
    }
}

pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let bar = Style::default().bg(Color::Rgb(30, 30, 40)).fg(Color::Gray);
    let mut spans = vec![
        Span::styled(
            format!(" {} ", app.model),
            bar.fg(Color::White).add_modifier(Modifier::BOLD),
        ),
        Span::styled(format!("│ {} ", link_label(&app.link)), bar),
    ];
    if app.streaming() {
        spans.push(Span::styled(
            "│ streaming · Esc stops ",
            bar.fg(Color::Yellow),
        ));
    }
    match &app.notice {
        Some(Notice::Error(m)) => {
            spans.push(Span::styled(format!("│ {m}"), bar.fg(Color::LightRed)))
        }
        Some(Notice::Info(m)) => {
            spans.push(Span::styled(format!("│ {m}"), bar.fg(Color::LightCyan)))
        }
        None => spans.push(Span::styled(
            "│ F1 help · Ctrl+C quit",
            bar.fg(Color::DarkGray),
        )),
    }
    Paragraph::new(Line::from(spans))
        .style(bar)
        .render(area, buf);
}
