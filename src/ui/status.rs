//! The status bar: model, where requests go, what is happening, and the latest notice.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use crate::app::state::Link;
use crate::app::{App, Notice};
use crate::keymap::{Action, Keymap};

use super::text::ellipsize;
use unicode_width::UnicodeWidthStr;

pub fn link_label(link: &Link) -> String {
    match link {
        Link::Connecting => "connecting…".into(),
        Link::Aws {
            region,
            profile,
            auth,
        } => match profile {
            Some(p) => format!("AWS {region} ({p}){}", auth_suffix(auth)),
            None => format!("AWS {region}{}", auth_suffix(auth)),
        },
        Link::Custom { url, region, auth } => format!("{url} ({region}){}", auth_suffix(auth)),
        Link::Local { .. } => "local endpoint".into(),
        Link::Failed(_) => "not connected".into(),
    }
}

/// How requests authenticate, after the endpoint; nothing for an endpoint that is
/// sent placeholder credentials.
fn auth_suffix(auth: &str) -> String {
    if auth.is_empty() {
        String::new()
    } else {
        format!(" \u{b7} {auth}")
    }
}

pub fn render(app: &App, keys: &Keymap, area: Rect, buf: &mut Buffer) {
    let bar = Style::default().bg(Color::Rgb(30, 30, 40)).fg(Color::Gray);
    let full = usize::from(area.width);
    // How turns go out, when it is not the default: tier, latency, cache.
    let i = &app.inference;
    let delivery: Vec<String> = [
        i.tier
            .filter(|t| *t != crate::conversation::Tier::Default)
            .map(|t| t.as_str().to_owned()),
        (i.latency == crate::conversation::Latency::Optimized).then(|| "optimized".to_owned()),
        (i.cache != crate::conversation::Cache::Off).then(|| format!("cache {}", i.cache.name())),
    ]
    .into_iter()
    .flatten()
    .collect();
    let delivery = if delivery.is_empty() {
        String::new()
    } else {
        format!(" · {}", delivery.join(" · "))
    };
    let link = match &app.guardrail {
        Some(g) => Span::styled(
            format!(
                "│ {}{delivery} │ guardrail {} ",
                link_label(&app.link),
                g.name()
            ),
            bar,
        ),
        None => Span::styled(format!("│ {}{delivery} ", link_label(&app.link)), bar),
    };
    let mut tail = Vec::new();
    if app.streaming() {
        tail.push(Span::styled(
            "│ streaming · Esc stops ",
            bar.fg(Color::Yellow),
        ));
    }
    let width = |spans: &[&Span]| spans.iter().map(|s| s.width()).sum::<usize>();
    // A long model id (an ARN) is cut only as far as where requests go needs, and never
    // below half the bar.
    let rest = width(&[&link]) + width(&tail.iter().collect::<Vec<_>>());
    let model = Span::styled(
        format!(
            " {} ",
            ellipsize(&app.model, full.saturating_sub(rest + 2).max(full / 2))
        ),
        bar.fg(Color::White).add_modifier(Modifier::BOLD),
    );
    let mut spans = vec![model.clone()];
    match &app.notice {
        Some(notice) => {
            let style = match notice {
                Notice::Error(_) => bar.fg(Color::LightRed),
                Notice::Info(_) => bar.fg(Color::LightCyan),
            };
            let text = format!("│ {}", notice.text());
            // A notice that would be cut makes room by leaving out where requests go
            // (the side panel and the help say it too); if it still does not fit, it is
            // cut with an ellipsis and the notice log has it in full.
            let all: Vec<&Span> = [&model, &link].into_iter().chain(tail.iter()).collect();
            if width(&all) + text.width() <= full {
                spans.push(link);
            }
            spans.extend(tail);
            let room = full.saturating_sub(width(&spans.iter().collect::<Vec<_>>()));
            let shown = if text.width() <= room {
                text
            } else {
                let hint = match keys.first(Action::Log) {
                    Some(k) => format!(" ({k}: log)"),
                    None => " (/log)".to_owned(),
                };
                format!(
                    "{}{hint}",
                    ellipsize(&text, room.saturating_sub(hint.width()))
                )
            };
            spans.push(Span::styled(shown, style));
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
