//! The meter pane: what the next turn would send (tokens, share of the context window,
//! cost range), what the last answer used and cost, and the conversation's totals per
//! model. Totals are cached and recomputed only when the conversation changes.

use std::collections::BTreeMap;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Widget};

use crate::app::adapt::model_of;
use crate::app::cache::CachePlan;
use crate::app::meter::NextTurn;
use crate::app::{App, Entry};
use crate::conversation::Tier;
use crate::conversation::{Role, Usage};
use crate::pricing::{CacheTtl, Price, Prices, TurnUsage, cost, format_usd, turn_range};

use super::text::fit;
use unicode_width::UnicodeWidthStr;

/// Usage and cost of one model in the conversation.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ModelTotal {
    pub usage: Usage,
    pub turns: u32,
    /// `None` when the model has no known price.
    pub usd: Option<f64>,
    /// What the same turns would have cost with nothing cached.
    pub uncached_usd: Option<f64>,
}

/// What answer `e` with usage `u` cost: at the route that answered (the model an
/// application profile reaches), at the tier it was asked at, its cache writes at the
/// TTL the cache setting gives its model.
///
/// At the default tier a cache price the pricing file does not have is taken as the
/// input price, as `pricing::cost` does, rather than leaving the turn unpriced.
pub(super) fn turn_cost(
    app: &App,
    prices: &Prices,
    e: &Entry,
    u: &Usage,
    region: &str,
) -> Option<Priced> {
    let model = e.message.model.as_deref().unwrap_or(&app.model);
    let ttl = match app.inference.cache {
        crate::conversation::Cache::OneHour
            if app
                .catalog()
                .lookup(model)
                .is_some_and(|m| m.capabilities.cache_ttl_1h) =>
        {
            CacheTtl::OneHour
        }
        _ => CacheTtl::FiveMinutes,
    };
    let model = app.priced_as(model);
    let tier = e.tier.unwrap_or_default();
    let turn = prices.price_turn(model, region, tier, &TurnUsage::new(u, ttl))?;
    let (usd, uncached) = match (turn.usd(), tier) {
        (None, Tier::Default) => {
            let p = prices.lookup(model, region)?;
            let all_input = Usage {
                input: u.input + u.cache_read + u.cache_write,
                output: u.output,
                cache_read: 0,
                cache_write: 0,
            };
            (Some(cost(u, &p)), Some(cost(&all_input, &p)))
        }
        (usd, _) => (usd, turn.uncached_usd()),
    };
    Some(Priced {
        usd,
        uncached,
        tier,
    })
}

/// A turn's cost, what it would have cost uncached, and the tier it was priced at.
pub(super) struct Priced {
    pub(super) usd: Option<f64>,
    uncached: Option<f64>,
    tier: Tier,
}

/// "cache saved $X", or "cache premium $X" when writing cost more than reading saved,
/// against the same turns uncached.
fn saving(usd: f64, uncached_usd: f64) -> Option<Span<'static>> {
    let d = uncached_usd - usd;
    if d.abs() < 1e-9 {
        return None;
    }
    Some(if d > 0.0 {
        Span::styled(
            format!("cache saved {}", format_usd(d)),
            Style::default().fg(Color::Green),
        )
    } else {
        Span::styled(format!("cache premium {}", format_usd(-d)), LABEL)
    })
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
        // Every answer paid for: the alternatives of answers kept from a comparison and
        // the answers of the comparison on screen too.
        let compared = app
            .compare
            .iter()
            .flat_map(|c| c.columns.iter().map(|c| &c.entry));
        let answers = (app.entries.iter())
            .flat_map(|e| std::iter::once(e).chain(&e.alternatives))
            .chain(compared);
        for e in answers {
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
                    uncached_usd: Some(0.0),
                    ..ModelTotal::default()
                }
            });
            t.usage.input += u.input;
            t.usage.output += u.output;
            t.usage.cache_read += u.cache_read;
            t.usage.cache_write += u.cache_write;
            t.turns += 1;
            let turn = turn_cost(app, prices, e, &u, app.link.region());
            t.usd = match (t.usd, turn.as_ref().and_then(|p| p.usd)) {
                (Some(sum), Some(c)) => Some(sum + c),
                _ => None,
            };
            t.uncached_usd = match (t.uncached_usd, turn.as_ref().and_then(|p| p.uncached)) {
                (Some(sum), Some(c)) => Some(sum + c),
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

    /// The whole conversation's cost had nothing been cached.
    pub fn uncached_usd(&self) -> Option<f64> {
        self.models.iter().map(|(_, t)| t.uncached_usd).sum()
    }

    pub fn turns(&self) -> u32 {
        self.models.iter().map(|(_, t)| t.turns).sum()
    }
}

/// What the totals depend on: the epoch, the number of entries, the last one's usage,
/// the region, and the usage of each answer of the comparison on screen.
type TotalsKey = (u64, usize, Option<Usage>, String, Vec<Option<Usage>>);

/// Lays the meter out; keeps the totals until the conversation changes.
#[derive(Default)]
pub struct MeterView {
    key: Option<TotalsKey>,
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
        let price = next_price(app, prices, &region);
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
            s.push_str(&match next_range(app, c.tokens, max_out, price) {
                Some((lo, hi, _)) => format!(" {}–{}", format_usd(lo), format_usd(hi)),
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
        let compared = (app.compare.iter())
            .flat_map(|c| c.columns.iter().map(|c| c.entry.usage))
            .collect();
        let key = (
            app.epoch,
            app.entries.len(),
            last,
            app.link.region().to_owned(),
            compared,
        );
        if self.key.as_ref() != Some(&key) {
            self.totals = Totals::of(app, prices);
            self.key = Some(key);
        }
        &self.totals
    }

    pub fn render(&mut self, app: &App, prices: &Prices, area: Rect, buf: &mut Buffer) {
        let region = app.link.region().to_owned();
        let mut lines = next_turn(app, next_price(app, prices, &region));
        lines.extend(last_turn(app, prices, &region));
        let totals = self.totals(app, prices).clone();
        let width = usize::from(area.width.saturating_sub(1));
        lines.extend(session(&totals, width));
        let lines: Vec<Line<'static>> = lines.into_iter().flat_map(|l| fold(l, width)).collect();
        Paragraph::new(lines)
            .block(
                Block::default()
                    .borders(Borders::LEFT | Borders::TOP)
                    .border_style(LABEL)
                    .title(" Meter "),
            )
            .render(area, buf);
    }
}

const LABEL: Style = Style::new().fg(Color::DarkGray);
const VALUE: Style = Style::new().add_modifier(Modifier::BOLD);
const WARN: Style = Style::new().fg(Color::Yellow);
const BAD: Style = Style::new().fg(Color::Red).add_modifier(Modifier::BOLD);
/// Values of a row line up after its label.
const INDENT: &str = "           ";

/// A row: its label in the label column, then `value`.
fn row(label: &str, value: Vec<Span<'static>>) -> Line<'static> {
    let mut spans = vec![Span::styled(format!("{label:<11}"), LABEL)];
    spans.extend(value);
    Line::from(spans)
}

/// `line` in `width` columns: a line too long is broken after its " · " separators
/// and goes on under the value column; a piece longer than a line is ellipsized.
fn fold(line: Line<'static>, width: usize) -> Vec<Line<'static>> {
    if line.width() <= width {
        return vec![line];
    }
    let mut pieces: Vec<Vec<Span<'static>>> = vec![Vec::new()];
    for span in line.spans {
        for (i, part) in span.content.split(" · ").enumerate() {
            if i > 0 {
                pieces.push(Vec::new());
            }
            if !part.is_empty()
                && let Some(piece) = pieces.last_mut()
            {
                piece.push(Span::styled(part.to_owned(), span.style));
            }
        }
    }
    let mut out: Vec<Line<'static>> = Vec::new();
    let mut current: Vec<Span<'static>> = Vec::new();
    for mut piece in pieces.into_iter().filter(|p| !p.is_empty()) {
        let piece_w: usize = piece.iter().map(Span::width).sum();
        let used: usize = current.iter().map(Span::width).sum();
        if !current.is_empty() && used + 3 + piece_w <= width {
            current.push(Span::styled(" · ", LABEL));
            current.extend(piece);
            continue;
        }
        if !current.is_empty() {
            out.push(Line::from(std::mem::take(&mut current)));
            current.push(Span::raw(INDENT));
        }
        let room = width.saturating_sub(current.iter().map(Span::width).sum());
        if piece_w > room
            && let Some(last) = piece.last_mut()
        {
            let before = piece_w - last.width();
            last.content =
                super::text::ellipsize(&last.content, room.saturating_sub(before)).into();
        }
        current.extend(piece);
    }
    out.push(Line::from(current));
    out
}

/// A line of the row above, under its value.
fn more(span: Span<'static>) -> Line<'static> {
    Line::from(vec![Span::raw(INDENT), span])
}

/// What the next turn would send: its tokens, the share of the context window it
/// fills and its cost range.
fn next_turn(app: &App, price: Option<Price>) -> Vec<Line<'static>> {
    let next = &app.meter.next;
    let Some(c) = next.shown() else {
        let state = match next {
            NextTurn::Failed(_) => "count failed",
            NextTurn::Counting(_) => "counting…",
            _ => "type to count",
        };
        return vec![row("next turn", vec![Span::styled(state, LABEL)])];
    };
    let model = model_of(&app.model);
    let counting = matches!(next, NextTurn::Counting(_));
    let style = if counting { LABEL } else { VALUE };
    let (tokens, how) = if c.exact {
        (thousands(u64::from(c.tokens)), "exact")
    } else {
        (format!("≈{}", thousands(u64::from(c.tokens))), "estimate")
    };
    let mut lines = vec![row(
        "next turn",
        vec![
            Span::styled(format!("{tokens} tok "), style),
            Span::styled(if counting { "counting…" } else { how }, LABEL),
        ],
    )];
    if let Some(m) = model.filter(|m| m.context_window > 0) {
        let share = f64::from(c.tokens) / f64::from(m.context_window);
        let gauge_style = match share {
            s if s > 1.0 => BAD,
            s if s >= 0.8 => WARN,
            _ => Style::new().fg(Color::Green),
        };
        lines.push(Line::from(vec![
            Span::raw(INDENT),
            Span::styled(gauge(share, 10), gauge_style),
            Span::styled(
                format!(" {:.0}% of {}", share * 100.0, short(m.context_window)),
                if share >= 0.8 { gauge_style } else { LABEL },
            ),
        ]));
        if share > 1.0 {
            lines.push(more(Span::styled("too long: will not fit", BAD)));
        }
    }
    let max_out = app
        .inference
        .max_tokens
        .or(model.map(|m| m.max_output_tokens))
        .unwrap_or(0);
    let range = next_range(app, c.tokens, max_out, price);
    lines.push(more(match range {
        Some((lo, hi, _)) => Span::styled(format!("{}–{}", format_usd(lo), format_usd(hi)), style),
        None => Span::styled("price unknown", LABEL),
    }));
    if let Some((_, _, Some((read, written)))) = range {
        lines.push(more(Span::styled(
            format!(
                "cache ≈{} read · ≈{} written",
                thousands(u64::from(read)),
                thousands(u64::from(written))
            ),
            LABEL,
        )));
    }
    if !c.with_draft {
        lines.push(more(Span::styled("(history only)", LABEL)));
    }
    lines
}

/// The price of the next turn: at the route it goes out on first (a bare id offered
/// only through profiles costs what the region's profile does), and at the model an
/// application profile reaches.
fn next_price(app: &App, prices: &Prices, region: &str) -> Option<Price> {
    let routes = crate::app::routes::routes_for(app, &app.model);
    let route = app.priced_as(routes.first().map_or(app.model.as_str(), String::as_str));
    match app.inference.tier.unwrap_or_default() {
        Tier::Default => prices.lookup(route, region),
        // A tier's price, where the pricing file has one; else the range is unknown.
        tier => {
            let (p, _) = prices.tier_price(route, region, tier)?;
            Some(Price {
                input: p.input?,
                output: p.output?,
                cache_read: p.cache_read,
                cache_write_5m: p.cache_write_5m,
                cache_write_1h: p.cache_write_1h,
            })
        }
    }
}

/// A cost range in USD, and the cache tokens read and written it assumes.
type Range = (f64, f64, Option<(u32, u32)>);

/// The next turn's cost range (its input alone, up to `max_out` tokens of output) at
/// `price`, with the cache as the last count's plan expects it, and the tokens read
/// and written when the cache is used.
fn next_range(app: &App, tokens: u32, max_out: u32, price: Option<Price>) -> Option<Range> {
    let p = price?;
    let cached = app
        .meter
        .cache
        .as_ref()
        .and_then(|plan| cached_input(tokens, plan, &p));
    Some(match cached {
        Some((input_usd, read, written)) => (
            input_usd,
            input_usd + f64::from(max_out) * p.output / 1e6,
            Some((read, written)),
        ),
        None => {
            let (lo, hi) = turn_range(tokens, max_out, &p);
            (lo, hi, None)
        }
    })
}

/// The input's cost when the cache is used as `plan` expects, with the counted tokens
/// split in the plan's proportions: the prefix earlier turns wrote at the cache-read
/// price, the part this turn writes at the write price, the rest as input. Also the
/// read and written tokens. `None` when a cache price is unknown.
fn cached_input(tokens: u32, plan: &CachePlan, p: &Price) -> Option<(f64, u32, u32)> {
    if plan.total == 0 {
        return None;
    }
    let share = |n: u32| (u64::from(tokens) * u64::from(n) / u64::from(plan.total)) as u32;
    let (read, written) = (share(plan.read), share(plan.written));
    let write_price = match plan.ttl {
        crate::conversation::Cache::OneHour => p.cache_write_1h?,
        _ => p.cache_write_5m?,
    };
    let rest = tokens.saturating_sub(read + written);
    let usd = (f64::from(rest) * p.input
        + f64::from(read) * p.cache_read?
        + f64::from(written) * write_price)
        / 1e6;
    Some((usd, read, written))
}

/// What the last answer used and cost, and how fast it came.
fn last_turn(app: &App, prices: &Prices, region: &str) -> Vec<Line<'static>> {
    let last = app
        .entries
        .iter()
        .rev()
        .find(|e| e.message.role == Role::Assistant && e.usage.is_some());
    let Some((e, u)) = last.and_then(|e| e.usage.map(|u| (e, u))) else {
        return Vec::new();
    };
    let mut lines = vec![
        Line::default(),
        row(
            "last turn",
            vec![Span::styled(
                format!(
                    "in {} · out {}",
                    thousands(u64::from(u.input)),
                    thousands(u64::from(u.output))
                ),
                VALUE,
            )],
        ),
    ];
    if u.cache_read > 0 || u.cache_write > 0 {
        lines.push(more(Span::styled(
            format!(
                "cache read {} · write {}",
                thousands(u64::from(u.cache_read)),
                thousands(u64::from(u.cache_write))
            ),
            LABEL,
        )));
    }
    let turn = turn_cost(app, prices, e, &u, region);
    let mut facts = vec![match turn.as_ref().map(|t| (t.usd, t.tier)) {
        Some((Some(usd), _)) => format_usd(usd),
        Some((None, tier)) if tier != Tier::Default => format!("price unknown at {tier}"),
        _ => "price unknown".to_owned(),
    }];
    let saved = turn
        .as_ref()
        .and_then(|t| Some((t.usd?, t.uncached?)))
        .and_then(|(usd, uncached)| saving(usd, uncached));
    let mut speed = Vec::new();
    if let Some(t) = e.timing {
        if let Some(ms) = t.service_ms.filter(|ms| *ms > 0) {
            facts.push(if ms < 1000 {
                format!("{ms} ms")
            } else {
                format!("{:.1} s", ms as f64 / 1000.0)
            });
        }
        if let Some(f) = t.first_token_ms {
            speed.push(format!("ttft {f} ms"));
        }
        if let Some(r) = t.output_rate(u.output) {
            speed.push(format!("{r:.0} tok/s"));
        }
    }
    lines.push(more(Span::styled(facts.join(" · "), VALUE)));
    lines.extend(saved.map(more));
    if !speed.is_empty() {
        lines.push(more(Span::styled(speed.join(" · "), LABEL)));
    }
    lines
}

/// The conversation's cost and turns, then each model's share, in `width` columns.
fn session(totals: &Totals, width: usize) -> Vec<Line<'static>> {
    if totals.models.is_empty() {
        return Vec::new();
    }
    let sum = match totals.usd() {
        Some(v) => format_usd(v),
        None => "price unknown".to_owned(),
    };
    let turns = totals.turns();
    let mut lines = vec![
        Line::default(),
        row(
            "session",
            vec![
                Span::styled(sum, VALUE),
                Span::styled(
                    format!(" · {turns} turn{}", if turns == 1 { "" } else { "s" }),
                    LABEL,
                ),
            ],
        ),
    ];
    if let (Some(usd), Some(uncached_usd)) = (totals.usd(), totals.uncached_usd())
        && let Some(s) = saving(usd, uncached_usd)
    {
        lines.push(more(s));
    }
    for (m, t) in &totals.models {
        let usd = match t.usd {
            Some(v) => format_usd(v),
            None => format!(
                "{} tok",
                thousands(u64::from(t.usage.input + t.usage.output))
            ),
        };
        let name_w = width.saturating_sub(usd.width() + 2).max(4);
        let name = fit(&super::history::model_name(m), name_w);
        lines.push(Line::from(vec![
            Span::styled(format!(" {name} "), LABEL),
            Span::styled(usd, Style::new()),
        ]));
    }
    lines
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
            auth: "SSO".into(),
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
