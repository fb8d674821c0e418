//! The history browser overlay: the search box, conversations newest first (or by
//! relevance when searching) with their date, size and model, and the keys.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Widget};

use unicode_width::UnicodeWidthStr;

use super::text::{ellipsize, fit};
use crate::app::history::{Browser, Mode};

/// `2026-12-01 16:40` in UTC, the zone the history stores.
fn when(ms: i64) -> String {
    let fmt = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]");
    time::OffsetDateTime::from_unix_timestamp(ms.div_euclid(1000))
        .ok()
        .and_then(|t| t.format(fmt).ok())
        .unwrap_or_default()
}

const MODEL_W: usize = 22;

/// The ` · `-separated parts of `hint` packed into rows of at most `width` columns.
fn pack(hint: &str, width: usize) -> Vec<String> {
    let mut rows: Vec<String> = Vec::new();
    for part in hint.split(" · ").filter(|p| !p.is_empty()) {
        match rows.last_mut() {
            Some(row) if row.width() + 3 + part.width() <= width => {
                row.push_str(" · ");
                row.push_str(part);
            }
            _ => rows.push(ellipsize(part, width)),
        }
    }
    rows
}

/// The model's name when the catalog knows it (ids are long), with the profile's
/// geography: `Nova Pro · us`.
pub(super) fn model_name(id: &str) -> String {
    let Some(m) = crate::catalog::Catalog::builtin().lookup(id) else {
        return id.to_owned();
    };
    let bare = id.rsplit_once('/').map_or(id, |(_, i)| i);
    match bare
        .strip_suffix(m.id.as_str())
        .and_then(|p| p.strip_suffix('.'))
    {
        Some(geo) if !geo.is_empty() => format!("{} · {geo}", m.name),
        _ => m.name.clone(),
    }
}

pub fn render(b: &Browser, area: Rect, buf: &mut Buffer) {
    let w = area.width.saturating_sub(4).min(110);
    let h = area.height.saturating_sub(2).min(32);
    let r = super::overlay_area(area, w, h, buf);
    let dim = Style::default().fg(Color::DarkGray);
    let bold = Style::default().add_modifier(Modifier::BOLD);
    let inner = usize::from(w.saturating_sub(2));
    let (prompt, hint) = match &b.mode {
        Mode::Rename(t) => (
            Line::from(vec![
                Span::styled("new title ", dim),
                Span::styled(format!("{t}▏"), bold),
            ]),
            "Enter rename · Esc cancel".to_owned(),
        ),
        Mode::ConfirmDelete => (
            Line::from(Span::styled(
                format!(
                    "Delete \u{201c}{}\u{201d}? y deletes, any other key keeps it.",
                    b.selected_row().map_or("", |r| r.title.as_str())
                ),
                Style::default().fg(Color::Yellow).add_modifier(Modifier::BOLD),
            )),
            String::new(),
        ),
        Mode::Browse | Mode::Opening => (
            Line::from(vec![
                Span::styled("search ", dim),
                Span::styled(format!("{}▏", b.query), bold),
            ]),
            "↑↓ choose · Enter open · Ctrl+R rename · Del delete · Ctrl+E export .md · Ctrl+J export .json · Esc close"
                .to_owned(),
        ),
    };
    let mut lines = vec![prompt];
    let hints = pack(&hint, inner);
    let hint_rows = hints.len();
    lines.extend(hints.into_iter().map(|l| Line::from(Span::styled(l, dim))));
    lines.push(Line::default());

    // Narrow screens keep the title readable and leave the model out.
    let model_w = if inner >= 90 { MODEL_W } else { 0 };
    let title_w = inner.saturating_sub(2 + 18 + 9 + model_w).max(16);
    let list_rows = usize::from(h.saturating_sub(5)).saturating_sub(hint_rows);
    let per_row = if b.query.trim().is_empty() { 1 } else { 2 };
    let visible = (list_rows / per_row).max(1);
    let first = b.selected.saturating_sub(visible.saturating_sub(1));
    for (i, row) in b.rows.iter().enumerate().skip(first).take(visible) {
        let selected = i == b.selected;
        let style = super::row_style(selected);
        lines.push(Line::from(vec![
            Span::styled(if selected { "▶ " } else { "  " }, style),
            Span::styled(fit(&row.title, title_w), style),
            Span::styled(format!(" {} ", when(row.updated_ms)), dim),
            Span::styled(format!("{:>4} msg ", row.messages), dim),
            Span::styled(
                fit(&model_name(&row.model), model_w),
                Style::default().fg(Color::Magenta),
            ),
        ]));
        if per_row == 2 {
            let snippet = row.snippet.as_deref().unwrap_or("(title matches)");
            lines.push(Line::from(Span::styled(
                format!(
                    "    {}",
                    fit(&crate::sanitize::text(snippet), inner.saturating_sub(4))
                ),
                dim,
            )));
        }
    }
    let status = if let Some(e) = &b.error {
        Some(Span::styled(e.clone(), Style::default().fg(Color::Red)))
    } else if b.mode == Mode::Opening {
        Some(Span::styled("Opening…", dim))
    } else if b.rows.is_empty() && !b.loading {
        Some(Span::styled(
            if b.query.trim().is_empty() {
                "No conversations yet: they are saved here as you chat."
            } else {
                "No conversation matches every word."
            },
            dim,
        ))
    } else {
        None
    };
    if let Some(s) = status {
        lines.push(Line::from(s));
    }
    let count = if b.loading {
        " searching… ".to_owned()
    } else {
        match b.rows.len() {
            1 => " 1 conversation ".to_owned(),
            n => format!(" {n} conversations "),
        }
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .title(" History ")
        .title_bottom(Line::from(Span::styled(count, dim)));
    Paragraph::new(lines).block(block).render(r, buf);
}
