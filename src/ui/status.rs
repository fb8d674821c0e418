//! The status bar: model, where requests go, what is happening, and the latest notice.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use crate::app::state::Link;
use crate::app::{App, Notice};
use crate::keymap::{Action, Keymap};

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

pub fn render(app: &App, keys: &Keymap, area: Rect, buf: &mut Buffer) {
    let bar = Style::default().bg(Color::Rgb(30, 30, 40)).fg(Color::Gray);
    let model = Span::styled(
        format!(" {} ", app.model),
        bar.fg(Color::White).add_modifier(Modifier::BOLD),
    );
    let link = match &app.guardrail {
        Some(g) => Span::styled(
            format!("│ {} │ guardrail {} ", link_label(&app.link), g.name()),
            bar,
        ),
        None => Span::styled(format!("│ {} ", link_label(&app.link)), bar),
    };
    let mut tail = Vec::new();
    if app.streaming() {
        tail.push(Span::styled(
            "│ streaming · Esc stops ",
            bar.fg(Color::Yellow),
        ));
    }
    let notice = match &app.notice {
        Some(Notice::Error(m)) => Some(Span::styled(format!("│ {m}"), bar.fg(Color::LightRed))),
        Some(Notice::Info(m)) => Some(Span::styled(format!("│ {m}"), bar.fg(Color::LightCyan))),
        None => None,
    };
    let width = |spans: &[&Span]| spans.iter().map(|s| s.width()).sum::<usize>();
    let mut spans = vec![model.clone()];
    match notice {
        Some(n) => {
            // A notice that would be cut makes room by leaving out where requests go
            // (the side panel and the help say it too).
            let all: Vec<&Span> = [&model, &link]
                .into_iter()
                .chain(tail.iter())
                .chain([&n])
                .collect();
            if width(&all) <= usize::from(area.width) {
                spans.push(link);
            }
            spans.extend(tail);
            spans.push(n);
        }
        None => {
            spans.push(link);
            spans.extend(tail);
            let key = |a| keys.first(a).unwrap_or_else(|| "(unbound)".into());
            spans.push(Span::styled(
                format!("│ {} help · {} quit", key(Action::Help), key(Action::Quit)),
                bar.fg(Color::DarkGray),
            ));
        }
    }
    Paragraph::new(Line::from(spans))
        .style(bar)
        .render(area, buf);
}
