//! The model picker overlay: filter box, models grouped by provider with context
//! window, capabilities and whether an inference profile is needed, and the route.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Widget};

use crate::app::App;
use crate::app::picker::{self, Picker, Route};
use crate::catalog::Model;
use crate::catalog::merge::Merged;

use super::text::fit;

fn caps(m: &Model) -> String {
    let c = m.capabilities;
    let mut v = Vec::new();
    for (on, name) in [
        (c.tools, "tools"),
        (c.images, "images"),
        (c.documents, "docs"),
        (c.reasoning, "reasoning"),
        (c.count_tokens, "count"),
    ] {
        if on {
            v.push(name);
        }
    }
    v.join(" ")
}

fn context(n: u32) -> String {
    if n == 0 {
        "?".to_owned()
    } else if n >= 1_000_000 {
        format!("{}M", n / 1_000_000)
    } else {
        format!("{}k", n / 1000)
    }
}

pub fn render(app: &App, p: &Picker, area: Rect, buf: &mut Buffer) {
    let region = app.link.region();
    let w = area.width.saturating_sub(4).min(100);
    let h = area.height.saturating_sub(2).min(30);
    let r = super::overlay_area(area, w, h, buf);
    let catalog = app.catalog();
    let models = picker::filtered(catalog, &p.query);
    let dim = Style::default().fg(Color::DarkGray);
    let mut lines = vec![
        Line::from(vec![
            Span::styled("filter ", dim),
            Span::styled(
                format!("{}▏", p.query),
                Style::default().add_modifier(Modifier::BOLD),
            ),
        ]),
        Line::from(Span::styled(
            "↑↓ choose · Tab profile · Enter switch · Esc cancel",
            dim,
        )),
    ];
    let list_rows = usize::from(h.saturating_sub(5));
    // Keep the selection in view.
    let first = p.selected.saturating_sub(list_rows.saturating_sub(3));
    let grouped = p.query.trim().is_empty();
    let mut last_provider: Option<&str> = None;
    let mut rows: Vec<Line> = Vec::new();
    for (i, m) in models.iter().enumerate() {
        if grouped && last_provider != Some(m.provider.as_str()) {
            if i >= first {
                rows.push(Line::from(Span::styled(
                    m.provider.clone(),
                    Style::default()
                        .fg(Color::Cyan)
                        .add_modifier(Modifier::BOLD),
                )));
            }
            last_provider = Some(&m.provider);
        }
        if i < first {
            continue;
        }
        let selected = i == p.selected;
        let route = if selected {
            p.route(m, region)
        } else {
            picker::routes(m, region)[0]
        };
        let how = match route {
            Route::Bare if m.on_demand => "on-demand".to_owned(),
            Route::Bare => "needs a profile".to_owned(),
            Route::Profile(g) => format!("via {}.", g.prefix()),
        };
        let style = super::row_style(selected);
        rows.push(Line::from(vec![
            Span::styled(if selected { "▶ " } else { "  " }, style),
            Span::styled(format!("{} ", fit(&m.name, 29)), style),
            Span::styled(format!("{:>6} ", context(m.context_window)), dim),
            Span::styled(
                format!("{:<13}", how),
                Style::default().fg(if m.on_demand {
                    Color::Green
                } else {
                    Color::Yellow
                }),
            ),
            match app.live.as_deref() {
                Some(_) if Merged::live_only(m) => {
                    Span::styled("live only ", Style::default().fg(Color::Cyan))
                }
                Some(l) if l.unlisted.contains(&m.id) => Span::styled(
                    format!("not in {} ", l.region),
                    Style::default().fg(Color::Red),
                ),
                _ => Span::raw(""),
            },
            Span::styled(caps(m), dim),
        ]));
        if rows.len() >= list_rows {
            break;
        }
    }
    let custom = picker::custom(app.live.as_deref(), &p.query);
    if !custom.is_empty() && rows.len() < list_rows {
        rows.push(Line::from(Span::styled(
            "Application profiles and prompt routers",
            Style::default()
                .fg(Color::Cyan)
                .add_modifier(Modifier::BOLD),
        )));
    }
    for (j, r) in custom.iter().enumerate() {
        let i = models.len() + j;
        if i < first {
            continue;
        }
        if rows.len() >= list_rows {
            break;
        }
        let selected = i == p.selected;
        let style = super::row_style(selected);
        let names: Vec<String> = r
            .model_ids
            .iter()
            .map(|id| catalog.lookup(id).map_or(id.clone(), |m| m.name.clone()))
            .collect();
        let (kind, reach) = if r.is_router() {
            ("prompt router", names.join(" | "))
        } else {
            ("app profile", names.join(", "))
        };
        rows.push(Line::from(vec![
            Span::styled(if selected { "▶ " } else { "  " }, style),
            Span::styled(format!("{} ", fit(&r.name, 29)), style),
            Span::styled(format!("{kind:<14}"), Style::default().fg(Color::Magenta)),
            Span::styled(format!("→ {reach}"), dim),
        ]));
    }
    if models.is_empty() && custom.is_empty() {
        rows.push(Line::from(Span::styled(
            "No model matches the filter.",
            dim,
        )));
    }
    lines.push(Line::default());
    lines.extend(rows);
    let source = match (app.live.as_deref(), &app.live_error) {
        (Some(l), _) => format!(" catalog + live list of {} ", l.region),
        (None, Some(e)) => format!(" catalog only: {e} "),
        (None, None) => " catalog ".to_owned(),
    };
    let mut block = Block::default()
        .borders(Borders::ALL)
        .title(" Model ")
        .title(Line::from(Span::styled(source, dim)).right_aligned());
    let id = match p.selected_model(catalog) {
        Some(m) => Some(picker::route_id(m, p.route(m, region))),
        None => custom
            .get(p.selected.wrapping_sub(models.len()))
            .map(|r| r.id.clone()),
    };
    if let Some(id) = id {
        block = block.title_bottom(Line::from(Span::styled(format!(" {id} "), dim)));
    }
    Paragraph::new(lines).block(block).render(r, buf);
}
