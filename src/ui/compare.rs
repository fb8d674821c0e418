//! The comparison pane: each compared answer in a column of its own (stacked rows on a
//! narrow terminal), laid out as any answer is, with its figures under it (time to
//! first token, output speed, tokens, stop reason, cost, the guardrail's verdict),
//! and a summary ranking the answers by cost and by latency. Each column keeps its own
//! cache of laid-out lines, so a frame lays out only what streamed since the last.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Widget};
use unicode_width::UnicodeWidthStr;

use crate::app::compare::{Column, Compare};
use crate::app::{App, EntryState};
use crate::pricing::{Prices, format_usd};

use super::conversation::ConversationView;
use super::text::ellipsize;

/// From this width on the answers stand side by side; below it they are stacked.
pub const COLUMNS_FROM: u16 = 100;

/// Rows the figures under an answer take at most: three hold all of them in the
/// narrowest column (four side by side at 100 columns).
const FIGURE_ROWS: usize = 3;

#[derive(Default)]
pub struct CompareView {
    /// One cache per column.
    cells: Vec<ConversationView>,
    /// The comparison the caches are of (`Compare::id`).
    of: Option<u64>,
}

/// What one answer came to, as the column and the summary show it.
struct Figures {
    usd: Option<f64>,
    /// The whole answer, as the client timed it.
    total_ms: Option<u64>,
    /// Whether the answer ended with content and without an error.
    ok: bool,
}

fn figures(app: &App, prices: &Prices, col: &Column) -> Figures {
    let e = &col.entry;
    let ended = col.turn.is_none();
    let ok = col.keepable();
    Figures {
        usd: e
            .usage
            .and_then(|u| super::meter::turn_cost(app, prices, e, &u, app.link.region()))
            .and_then(|p| p.usd),
        total_ms: e.timing.map(|t| t.total_ms).filter(|_| ended),
        ok,
    }
}

/// The figures under an answer, as the items of a line.
fn items(col: &Column, f: &Figures) -> Vec<Span<'static>> {
    let e = &col.entry;
    let dim = Style::default().fg(Color::DarkGray);
    let mut out = Vec::new();
    let timing = e.timing.unwrap_or_default();
    if let Some(ms) = timing.first_token_ms {
        out.push(Span::styled(format!("first token {ms} ms"), dim));
    }
    if let Some(rate) = e
        .usage
        .filter(|_| col.turn.is_none())
        .and_then(|u| timing.output_rate(u.output))
    {
        out.push(Span::styled(format!("{rate:.0} tok/s"), dim));
    }
    if let Some(u) = e.usage {
        out.push(Span::styled(
            format!("{} in · {} out", u.input, u.output),
            dim,
        ));
    }
    if let Some(stop) = &e.stop {
        let color = match stop {
            crate::conversation::StopReason::EndTurn => Color::DarkGray,
            _ => Color::Yellow,
        };
        out.push(Span::styled(
            crate::store::converse_json::stop_reason_str(stop).to_owned(),
            Style::default().fg(color),
        ));
    }
    if e.usage.is_some() {
        out.push(match f.usd {
            Some(usd) => Span::styled(
                format_usd(usd),
                Style::default()
                    .fg(Color::Green)
                    .add_modifier(Modifier::BOLD),
            ),
            None => Span::styled("price unknown", dim),
        });
    }
    if e.guardrail.is_some() && col.turn.is_none() {
        out.push(
            match e
                .trace
                .as_deref()
                .and_then(crate::guardrail::findings::verdict)
            {
                Some((_, true)) => {
                    Span::styled("guardrail blocked", Style::default().fg(Color::LightRed))
                }
                Some((_, false)) => {
                    Span::styled("guardrail acted", Style::default().fg(Color::Yellow))
                }
                None => Span::styled("guardrail passed", dim),
            },
        );
    }
    out
}

/// Spans as lines of `width` columns, items separated by " · ", never splitting one.
fn fold(items: Vec<Span<'static>>, width: usize) -> Vec<Line<'static>> {
    let sep = Style::default().fg(Color::DarkGray);
    let mut lines: Vec<Vec<Span<'static>>> = vec![Vec::new()];
    let mut used = 0;
    for item in items {
        let w = item.width();
        let line = lines.last_mut().expect("never empty");
        if !line.is_empty() && used + 3 + w > width {
            lines.push(Vec::new());
            used = 0;
        }
        let line = lines.last_mut().expect("never empty");
        if !line.is_empty() {
            line.push(Span::styled(" · ", sep));
            used += 3;
        }
        used += w;
        line.push(item);
    }
    lines.into_iter().map(Line::from).collect()
}

/// "1.24 s", or milliseconds under a second.
fn seconds(ms: u64) -> String {
    if ms < 1000 {
        format!("{ms} ms")
    } else {
        format!("{:.2} s", ms as f64 / 1000.0)
    }
}

/// The summary: the answers ranked by cost and by latency, by column number; answers
/// still streaming or failed are named as such after the ranked ones.
fn summary(cmp: &Compare, figs: &[Figures], width: usize) -> Vec<Line<'static>> {
    let label = Style::default()
        .fg(Color::Cyan)
        .add_modifier(Modifier::BOLD);
    let dim = Style::default().fg(Color::DarkGray);
    let rank = |name: &'static str,
                key: &dyn Fn(&Figures) -> Option<f64>,
                show: &dyn Fn(f64) -> String| {
        let mut ranked: Vec<(usize, f64)> = (0..figs.len())
            .filter(|&i| figs[i].ok)
            .filter_map(|i| key(&figs[i]).map(|v| (i, v)))
            .collect();
        ranked.sort_by(|a, b| a.1.total_cmp(&b.1));
        let mut spans = vec![Span::styled(format!("{name} "), label)];
        for (n, (i, v)) in ranked.iter().enumerate() {
            if n > 0 {
                spans.push(Span::styled(" < ", dim));
            }
            spans.push(Span::styled(
                format!("#{} ", i + 1),
                Style::default().fg(Color::Magenta),
            ));
            spans.push(Span::raw(show(*v)));
        }
        let rest: Vec<String> = (0..figs.len())
            .filter(|i| !ranked.iter().any(|(r, _)| r == i))
            .map(|i| {
                let what = match (&cmp.columns[i].turn, &cmp.columns[i].entry.state) {
                    (Some(_), _) => "streaming",
                    (None, EntryState::Failed(_)) => "failed",
                    (None, _) if !figs[i].ok => "no answer",
                    (None, EntryState::Cancelled) => "stopped",
                    (None, EntryState::Interrupted) => "interrupted",
                    _ => "no price",
                };
                format!("#{} {what}", i + 1)
            })
            .collect();
        if !rest.is_empty() {
            let gap = if ranked.is_empty() { "" } else { "   " };
            spans.push(Span::styled(format!("{gap}{}", rest.join(", ")), dim));
        }
        let line = Line::from(spans);
        if line.width() > width {
            let text: String = line.spans.iter().map(|s| s.content.as_ref()).collect();
            return Line::from(Span::raw(ellipsize(&text, width)));
        }
        line
    };
    vec![
        rank("By cost:   ", &|f| f.usd, &format_usd),
        rank("By latency:", &|f| f.total_ms.map(|m| m as f64), &|v| {
            seconds(v as u64)
        }),
    ]
}

/// What the keys do now: the question of which model goes on, or the keys.
fn hint(app: &App, cmp: &Compare) -> Line<'static> {
    let key = Style::default()
        .fg(Color::Yellow)
        .add_modifier(Modifier::BOLD);
    let text = Style::default().fg(Color::Gray);
    let spans = if cmp.confirm {
        // Both models in a line: each by its catalog name when its id is long.
        let room = 28;
        let chosen = label(app, &cmp.columns[cmp.selected].model, room);
        let current = label(app, &app.model, room);
        vec![
            Span::styled(
                format!("Keep #{}: ", cmp.selected + 1),
                text.add_modifier(Modifier::BOLD),
            ),
            Span::styled("Enter", key),
            Span::styled(format!(" goes on with {chosen} · "), text),
            Span::styled("c", key),
            Span::styled(format!(" goes on with {current} · "), text),
            Span::styled("Esc", key),
            Span::styled(" back", text),
        ]
    } else {
        let mut s = vec![
            Span::styled("←/→", key),
            Span::styled(" choose · ", text),
            Span::styled("Enter", key),
            Span::styled(" keeps · ", text),
        ];
        if cmp.streaming() {
            s.push(Span::styled("Esc", key));
            s.push(Span::styled(" stops all · ", text));
        }
        s.push(Span::styled("Ctrl+E", key));
        s.push(Span::styled(" discards · ", text));
        s.push(Span::styled("↑/↓", key));
        s.push(Span::styled(" scroll", text));
        s
    };
    Line::from(spans)
}

/// A column's model as its title names it: the id when it fits, else the catalog's
/// name for it (with the profile's geography), else the id cut short.
fn label(app: &App, id: &str, room: usize) -> String {
    if id.width() <= room {
        return id.to_owned();
    }
    let Some(m) = app.catalog().lookup(id) else {
        return ellipsize(id, room);
    };
    let name = match id.split_once('.') {
        Some((geo, rest)) if rest == m.id => format!("{} · {geo}", m.name),
        _ => m.name.clone(),
    };
    ellipsize(&name, room)
}

/// Where a column is drawn: its number, whether it is the chosen one, and whether the
/// columns stand side by side.
struct Place {
    i: usize,
    selected: bool,
    side_by_side: bool,
}

impl CompareView {
    pub fn render(
        &mut self,
        app: &App,
        cmp: &Compare,
        prices: &Prices,
        area: Rect,
        buf: &mut Buffer,
    ) {
        if self.of != Some(cmp.id) {
            self.cells.clear();
            self.of = Some(cmp.id);
        }
        self.cells
            .resize_with(cmp.columns.len(), ConversationView::default);
        let width = usize::from(area.width);
        let figs: Vec<Figures> = cmp
            .columns
            .iter()
            .map(|c| figures(app, prices, c))
            .collect();
        let question = app
            .entries
            .get(cmp.question)
            .map(|e| e.message.text())
            .unwrap_or_default();
        let question = crate::sanitize::text(question.lines().next().unwrap_or(""));
        let head = format!("⇆ {} answers to: ", cmp.columns.len());
        let title = Line::from(vec![
            Span::styled(
                head.clone(),
                Style::default()
                    .fg(Color::Cyan)
                    .add_modifier(Modifier::BOLD),
            ),
            Span::styled(
                ellipsize(&question, width.saturating_sub(head.width())),
                Style::default().fg(Color::Green),
            ),
        ]);
        let summary = summary(cmp, &figs, width);
        let [top, body, bottom, keys] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Min(3),
            Constraint::Length(summary.len() as u16),
            Constraint::Length(1),
        ])
        .areas(area);
        Paragraph::new(title).render(top, buf);
        Paragraph::new(summary).render(bottom, buf);
        Paragraph::new(hint(app, cmp)).render(keys, buf);
        let n = cmp.columns.len() as u32;
        let side_by_side = area.width >= COLUMNS_FROM;
        let cells: Vec<Rect> = if side_by_side {
            Layout::horizontal((0..n).map(|_| Constraint::Ratio(1, n)))
                .split(body)
                .to_vec()
        } else {
            Layout::vertical((0..n).map(|_| Constraint::Ratio(1, n)))
                .split(body)
                .to_vec()
        };
        for (i, cell) in cells.into_iter().enumerate() {
            let at = Place {
                i,
                selected: i == cmp.selected,
                side_by_side,
            };
            self.column(app, &cmp.columns[i], &figs[i], at, cell, buf);
        }
    }

    fn column(
        &mut self,
        app: &App,
        col: &Column,
        figs: &Figures,
        Place {
            i,
            selected,
            side_by_side,
        }: Place,
        area: Rect,
        buf: &mut Buffer,
    ) {
        let border = if selected {
            Style::default()
                .fg(Color::Yellow)
                .add_modifier(Modifier::BOLD)
        } else {
            Style::default().fg(Color::DarkGray)
        };
        let (mark, mark_style) = match (&col.turn, &col.entry.state) {
            (Some(_), _) => ("streaming…", Style::default().fg(Color::DarkGray)),
            (None, EntryState::Failed(_)) => ("failed", Style::default().fg(Color::Red)),
            (None, EntryState::Cancelled) => ("stopped", Style::default().fg(Color::Yellow)),
            (None, EntryState::Interrupted) => ("interrupted", Style::default().fg(Color::Yellow)),
            (None, _) => ("done", Style::default().fg(Color::Green)),
        };
        let number = if selected {
            format!("▶ #{} ", i + 1)
        } else {
            format!(" #{} ", i + 1)
        };
        let room = usize::from(area.width).saturating_sub(number.width() + mark.width() + 6);
        let title = Line::from(vec![
            Span::styled(number, border),
            Span::styled(
                label(app, &col.model, room.max(6)),
                Style::default()
                    .fg(Color::Magenta)
                    .add_modifier(Modifier::BOLD),
            ),
            Span::raw(" "),
            Span::styled(mark, mark_style),
            Span::raw(" "),
        ]);
        let block = Block::default()
            .borders(if side_by_side {
                Borders::ALL
            } else {
                Borders::TOP
            })
            .border_style(border)
            .title(title);
        let inner = block.inner(area);
        block.render(area, buf);
        if inner.width == 0 || inner.height == 0 {
            return;
        }
        let mut below = fold(items(col, figs), usize::from(inner.width));
        below.retain(|l| l.width() > 0);
        below.truncate(FIGURE_ROWS.min(usize::from(inner.height).saturating_sub(1)));
        let text_rows = usize::from(inner.height) - below.len();
        let lines = self.cells[i].lines(0, &col.entry, inner.width, app.theme);
        // The first line is the header the column's title stands for.
        let total = lines.len();
        let first = total.min(1);
        let furthest = (total - first).saturating_sub(text_rows);
        // A streaming answer follows its end; an ended one reads from its start.
        let start = if col.turn.is_some() {
            total.saturating_sub(text_rows).max(first)
        } else {
            first + usize::from(col.scroll).min(furthest)
        };
        let end = (start + text_rows).min(total);
        let mut shown: Vec<Line<'static>> = lines.lines(start..end).collect();
        if shown.is_empty() && col.turn.is_some() {
            shown.push(Line::styled(
                "waiting for the first token…",
                Style::default().fg(Color::DarkGray),
            ));
        }
        shown.resize(text_rows, Line::default());
        shown.extend(below);
        Paragraph::new(shown).render(inner, buf);
    }
}

#[cfg(test)]
#[path = "compare_tests.rs"]
mod tests;
