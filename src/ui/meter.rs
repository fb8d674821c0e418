//! The meter pane: what the next turn would send (tokens, share of the context window,
//! cost range), what the last answer used and cost, and the conversation's totals per
//! model. Totals are cached and recomputed only when the conversation changes.

use std::collections::BTreeMap;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Widget};

use crate::app::App;
use crate::app::adapt::model_of;
use crate::app::meter::NextTurn;
use crate::conversation::{Role, Usage};
use crate::pricing::{Price, Prices, cost, format_usd, turn_range};

/// Usage and cost of one model in the conversation.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ModelTotal {
    pub usage: Usage,
    pub turns: u32,
    /// `None` when the model has no known price.
    pub usd: Option<f64>,
}

/// The conversation's totals, per model in order of first use.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Totals {
    pub models: Vec<(String, ModelTotal)>,
}

impl Totals {
    pub fn of(app: &App, prices: &Prices) -> Totals {
        let mut order: Vec<String> = Vec::new();
        let mut by: BTreeMap<String, ModelTotal> = BTreeMap::new();
        for e in &app.entries {
            let (Some(u), Some(model)) = (e.usage, e.message.model.as_ref()) else {
                continue;
            };
            if e.message.role != Role::Assistant {
                continue;
            }
            let t = by.entry(model.clone()).or_insert_with(|| {
                order.push(model.clone());
                ModelTotal {
                    usd: Some(0.0),
                    ..ModelTotal::default()
                }
            });
            t.usage.input += u.input;
            t.usage.output += u.output;
            t.usage.cache_read += u.cache_read;
            t.usage.cache_write += u.cache_write;
            t.turns += 1;
            t.usd = match (t.usd, prices.lookup(model, app.link.region())) {
                (Some(sum), Some(p)) => Some(sum + cost(&u, &p)),
                _ => None,
            };
        }
        Totals {
            models: order
                .into_iter()
                .filter_map(|m| by.remove(&m).map(|t| (m, t)))
                .collect(),
        }
    }

    /// The whole conversation's cost; `None` when a model in it has no price.
    pub fn usd(&self) -> Option<f64> {
        self.models.iter().map(|(_, t)| t.usd).sum()
    }

    pub fn turns(&self) -> u32 {
        self.models.iter().map(|(_, t)| t.turns).sum()
    }
}

/// Lays the meter out; keeps the totals until the conversation changes.
#[derive(Default)]
pub struct MeterView {
    key: Option<(u64, usize, Option<Usage>, String)>,
    totals: Totals,
}

fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn short(n: u32) -> String {
    match n {
        n if n >= 1_000_000 => format!("{}M", n / 1_000_000),
        n if n >= 1000 => format!("{}k", n / 1000),
        n => n.to_string(),
    }
}

/// A gauge of `fraction` (0 to 1) in `width` cells.
fn gauge(fraction: f64, width: usize) -> String {
    let filled = ((fraction.clamp(0.0, 1.0) * width as f64).round() as usize).min(width);
    format!("{}{}", "█".repeat(filled), "░".repeat(width - filled))
}

impl MeterView {
    /// One line for the composer's border when there is no side column: the next
    /// turn's tokens and cost range, and the conversation's cost.
    pub fn compact(&mut self, app: &App, prices: &Prices) -> Line<'static> {
        let dim = Style::default().fg(Color::DarkGray);
        let region = app.link.region().to_owned();
        let price = prices.lookup(&app.model, &region);
        let mut parts = Vec::new();
        if let Some(c) = app.meter.next.shown() {
            let approx = if c.exact { "" } else { "≈" };
            let mut s = format!("{approx}{} tok", thousands(u64::from(c.tokens)));
            if let Some(m) = model_of(&app.model).filter(|m| m.context_window > 0) {
                s.push_str(&format!(
                    " ({:.0}%)",
                    f64::from(c.tokens) * 100.0 / f64::from(m.context_window)
                ));
            }
            let max_out = app
                .inference
                .max_tokens
                .or(model_of(&app.model).map(|m| m.max_output_tokens))
                .unwrap_or(0);
            s.push_str(&match price {
                Some(p) => {
                    let (lo, hi) = turn_range(c.tokens, max_out, &p);
                    format!(" {}–{}", format_usd(lo), format_usd(hi))
                }
                None => " price unknown".to_owned(),
            });
            parts.push(s);
        }
        let totals = self.totals(app, prices);
        if !totals.models.is_empty() {
            parts.push(match totals.usd() {
                Some(v) => format!("session {}", format_usd(v)),
                None => "session price unknown".to_owned(),
            });
        }
        if parts.is_empty() {
            return Line::default();
        }
        Line::from(Span::styled(format!(" {} ", parts.join(" · ")), dim)).right_aligned()
    }

    pub fn totals(&mut self, app: &App, prices: &Prices) -> &Totals {
        // Only the newest entry's usage changes in place (when its answer ends); any
        // other change adds or removes entries, or starts a new epoch. A streaming
        // answer therefore costs no recount per frame.
        let last = app.entries.last().and_then(|e| e.usage);
        let key = (
            app.epoch,
            app.entries.len(),
            last,
            app.link.region().to_owned(),
        );
        if self.key.as_ref() != Some(&key) {
            self.totals = Totals::of(app, prices);
            self.key = Some(key);
        }
        &self.totals
    }

    pub fn render(&mut self, app: &App, prices: &Prices, area: Rect, buf: &mut Buffer) {
        let label = Style::default().fg(Color::DarkGray);
        let value = Style::default().add_modifier(Modifier::BOLD);
        let warn = Style::default().fg(Color::Yellow);
        let bad = Style::default().fg(Color::Red).add_modifier(Modifier::BOLD);
        let indent = " ".repeat(11);
        let row = |k: &str, v: Vec<Span<'static>>| {
            let mut spans = vec![Span::styled(format!("{k:<11}"), label)];
            spans.extend(v);
            Line::from(spans)
        };
        let region = app.link.region().to_owned();
        let price: Option<Price> = prices.lookup(&app.model, &region);
        let model = model_of(&app.model);
        let mut lines = Vec::new();

        // What the next turn would send.
        let next = &app.meter.next;
        match next.shown() {
            Some(c) => {
                let counting = matches!(next, NextTurn::Counting(_));
                let style = if counting { label } else { value };
                let (tokens, how) = if c.exact {
                    (thousands(u64::from(c.tokens)), "exact")
                } else {
                    (format!("≈{}", thousands(u64::from(c.tokens))), "estimate")
                };
                lines.push(row(
                    "next turn",
                    vec![
                        Span::styled(format!("{tokens} tok "), style),
                        Span::styled(if counting { "counting…" } else { how }, label),
                    ],
                ));
                if let Some(m) = model.filter(|m| m.context_window > 0) {
                    let share = f64::from(c.tokens) / f64::from(m.context_window);
                    let style = match share {
                        s if s > 1.0 => bad,
                        s if s >= 0.8 => warn,
                        _ => Style::default().fg(Color::Green),
                    };
                    lines.push(Line::from(vec![
                        Span::raw(indent.clone()),
                        Span::styled(gauge(share, 10), style),
                        Span::styled(
                            format!(" {:.0}% of {}", share * 100.0, short(m.context_window)),
                            if share >= 0.8 { style } else { label },
                        ),
                    ]));
                    if share > 1.0 {
                        lines.push(Line::from(vec![
                            Span::raw(indent.clone()),
                            Span::styled("too long: will not fit", bad),
                        ]));
                    }
                }
                let max_out = app
                    .inference
                    .max_tokens
                    .or(model.map(|m| m.max_output_tokens))
                    .unwrap_or(0);
                lines.push(Line::from(vec![
                    Span::raw(indent.clone()),
                    match price {
                        Some(p) => {
                            let (lo, hi) = turn_range(c.tokens, max_out, &p);
                            Span::styled(format!("{}–{}", format_usd(lo), format_usd(hi)), style)
                        }
                        None => Span::styled("price unknown", label),
                    },
                ]));
                if !c.with_draft {
                    lines.push(Line::from(vec![
                        Span::raw(indent.clone()),
                        Span::styled("(history only)", label),
                    ]));
                }
            }
            None => lines.push(row(
                "next turn",
                vec![Span::styled(
                    match next {
                        NextTurn::Failed(_) => "count failed",
                        NextTurn::Counting(_) => "counting…",
                        _ => "type to count",
                    },
                    label,
                )],
            )),
        }

        // The last answer.
        let last = app
            .entries
            .iter()
            .rev()
            .find(|e| e.message.role == Role::Assistant && e.usage.is_some());
        if let Some(e) = last
            && let Some(u) = e.usage
        {
            lines.push(Line::default());
            lines.push(row(
                "last turn",
                vec![Span::styled(
                    format!(
                        "in {} · out {}",
                        thousands(u64::from(u.input)),
                        thousands(u64::from(u.output))
                    ),
                    value,
                )],
            ));
            if u.cache_read > 0 || u.cache_write > 0 {
                lines.push(Line::from(vec![
                    Span::raw(indent.clone()),
                    Span::styled(
                        format!("cache read {} · write {}", u.cache_read, u.cache_write),
                        label,
                    ),
                ]));
            }
            let answered_by = e.message.model.as_deref().unwrap_or(&app.model);
            let mut facts = vec![match prices.lookup(answered_by, &region) {
                Some(p) => format_usd(cost(&u, &p)),
                None => "price unknown".to_owned(),
            }];
            if let Some(t) = e.timing {
                if let Some(ms) = t.service_ms.filter(|ms| *ms > 0) {
                    facts.push(if ms < 1000 {
                        format!("{ms} ms")
                    } else {
                        format!("{:.1} s", ms as f64 / 1000.0)
                    });
                }
                let mut speed = Vec::new();
                if let Some(f) = t.first_token_ms {
                    speed.push(format!("ttft {f} ms"));
                }
                if let Some(r) = t.output_rate(u.output) {
                    speed.push(format!("{r:.0} tok/s"));
                }
                lines.push(Line::from(vec![
                    Span::raw(indent.clone()),
                    Span::styled(facts.join(" · "), value),
                ]));
                if !speed.is_empty() {
                    lines.push(Line::from(vec![
                        Span::raw(indent.clone()),
                        Span::styled(speed.join(" · "), label),
                    ]));
                }
            } else {
                lines.push(Line::from(vec![
                    Span::raw(indent.clone()),
                    Span::styled(facts.join(" · "), value),
                ]));
            }
        }

        // The conversation, per model.
        let totals = self.totals(app, prices).clone();
        if !totals.models.is_empty() {
            lines.push(Line::default());
            let sum = match totals.usd() {
                Some(v) => format_usd(v),
                None => "price unknown".to_owned(),
            };
            let turns = totals.turns();
            lines.push(row(
                "session",
                vec![
                    Span::styled(sum, value),
                    Span::styled(
                        format!(" · {turns} turn{}", if turns == 1 { "" } else { "s" }),
                        label,
                    ),
                ],
            ));
            let width = usize::from(area.width.saturating_sub(2));
            for (m, t) in &totals.models {
                let usd = match t.usd {
                    Some(v) => format_usd(v),
                    None => format!(
                        "{} tok",
                        thousands(u64::from(t.usage.input + t.usage.output))
                    ),
                };
                let name_w = width.saturating_sub(usd.chars().count() + 2).max(4);
                let mut name: String = super::history::model_name(m).chars().take(name_w).collect();
                let pad = name_w.saturating_sub(name.chars().count());
                name.push_str(&" ".repeat(pad));
                lines.push(Line::from(vec![
                    Span::styled(format!(" {name} "), label),
                    Span::styled(usd, Style::default()),
                ]));
            }
        }

        Paragraph::new(lines)
            .block(
                Block::default()
                    .borders(Borders::LEFT | Borders::TOP)
                    .border_style(label)
                    .title(" Meter "),
            )
            .render(area, buf);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::state::Link;
    use crate::app::{Entry, EntryState};
    use crate::conversation::{Block, Message};

    fn answer(model: &str, usage: Usage) -> Entry {
        let mut e = Entry::new(
            Message {
                role: Role::Assistant,
                blocks: vec![Block::Text("ok".into())],
                model: Some(model.into()),
            },
            EntryState::Done,
        );
        e.usage = Some(usage);
        e
    }

    #[test]
    fn totals_price_each_answer_at_its_route_cache_tokens_included() {
        let sonnet = "anthropic.claude-sonnet-4-5-20250929-v1:0";
        let mut app = App::new(format!("us.{sonnet}"));
        app.link = Link::Aws {
            region: "us-east-1".into(),
            profile: None,
        };
        let u = Usage {
            input: 1_000,
            output: 2_000,
            cache_read: 10_000,
            cache_write: 4_000,
        };
        app.entries
            .push(Entry::new(Message::user("q"), EntryState::Done));
        app.entries.push(answer(&format!("us.{sonnet}"), u));
        app.entries
            .push(Entry::new(Message::user("q"), EntryState::Done));
        app.entries.push(answer(&format!("global.{sonnet}"), u));
        let t = Totals::of(&app, Prices::builtin());
        // Per million: the US profile 3.30 in, 16.50 out, 0.33 cache read, 4.125 cache
        // write (5 minutes); global. 10% less.
        let us = (1_000.0 * 3.3 + 2_000.0 * 16.5 + 10_000.0 * 0.33 + 4_000.0 * 4.125) / 1e6;
        let global = (1_000.0 * 3.0 + 2_000.0 * 15.0 + 10_000.0 * 0.3 + 4_000.0 * 3.75) / 1e6;
        assert_eq!(t.models.len(), 2);
        assert!((t.models[0].1.usd.unwrap() - us).abs() < 1e-12, "{t:?}");
        assert!((t.models[1].1.usd.unwrap() - global).abs() < 1e-12, "{t:?}");
        assert!((t.usd().unwrap() - (us + global)).abs() < 1e-12);
        assert_eq!(t.turns(), 2);

        // One answer of a model without a price makes the total unknown, not smaller.
        app.entries
            .push(answer("arn:aws:bedrock:us-east-1:1:custom-model/x", u));
        let t = Totals::of(&app, Prices::builtin());
        assert_eq!(t.usd(), None);
        assert_eq!(t.models[2].1.usd, None);
        assert_eq!(t.models[2].1.usage, u);
    }
}
