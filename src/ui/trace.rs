//! The guardrail trace pane: the assessments of the answer the conversation is on, or
//! of the last ApplyGuardrail check, policy by policy. Assessments where something
//! acted are open and highlighted; the others fold to one line until expanded.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use crate::app::guardrail::{self, Check, CheckState, Pane};
use crate::app::{App, EntryState};
use crate::guardrail::{ApplyResult, Assessment, GuardrailUsage, Metrics, Trace};

use super::wrap::wrap;
use crate::guardrail::findings::{Finding, findings};

fn red() -> Style {
    Style::default()
        .fg(Color::LightRed)
        .add_modifier(Modifier::BOLD)
}

fn dim() -> Style {
    Style::default().fg(Color::DarkGray)
}

fn action_style(action: &str, acted: bool) -> Style {
    match action {
        _ if !acted => dim(),
        "BLOCKED" => red(),
        _ => Style::default().fg(Color::Yellow),
    }
}

fn units(u: &GuardrailUsage) -> i32 {
    u.topic_policy_units
        + u.content_policy_units
        + u.word_policy_units
        + u.sensitive_information_policy_units
        + u.contextual_grounding_policy_units
        + u.content_policy_image_units.unwrap_or(0)
        + u.automated_reasoning_policy_units.unwrap_or(0)
}

/// "12 ms · 4 units · 40/40 chars": what screening cost and covered.
fn metrics(m: Option<&Metrics>) -> String {
    let Some(m) = m else {
        return String::new();
    };
    let mut parts = Vec::new();
    if let Some(ms) = m.guardrail_processing_latency {
        parts.push(format!("{ms} ms"));
    }
    if let Some(u) = &m.usage {
        let n = units(u);
        parts.push(format!("{n} unit{}", if n == 1 { "" } else { "s" }));
    }
    if let Some(t) = m.guardrail_coverage.and_then(|c| c.text_characters) {
        parts.push(format!(
            "{}/{} chars",
            t.guarded.unwrap_or(0),
            t.total.unwrap_or(0)
        ));
    }
    parts.join(" · ")
}

fn finding_line(f: &Finding) -> Line<'static> {
    let mark = if f.acted { "▸ " } else { "  " };
    Line::from(vec![
        Span::styled(format!("  {mark}{:<20}", f.policy), dim()),
        Span::raw(f.what.clone()),
        Span::raw("  "),
        Span::styled(f.action.clone(), action_style(&f.action, f.acted)),
    ])
}

/// One assessment: a header with what it found and cost, then (when something acted or
/// the pane is expanded) its findings.
fn assessment(out: &mut Vec<Line<'static>>, label: &str, a: &Assessment, pane: Pane) {
    let all = findings(a, pane.reveal);
    let fired = a.policies_that_fired();
    let cost = metrics(a.invocation_metrics.as_ref());
    let cost = if cost.is_empty() {
        cost
    } else {
        format!(" · {cost}")
    };
    let open = !fired.is_empty() || pane.expanded;
    let head = if fired.is_empty() {
        Span::styled("✓ nothing acted", Style::default().fg(Color::Green))
    } else {
        let n = all.iter().filter(|f| f.acted).count();
        Span::styled(format!("✖ {n} acted"), red())
    };
    out.push(Line::from(vec![
        Span::styled(
            format!("{} {label} ", if open { "▾" } else { "▸" }),
            Style::default().add_modifier(Modifier::BOLD),
        ),
        head,
        Span::styled(cost, dim()),
    ]));
    if !open {
        return;
    }
    let shown: Vec<&Finding> = all.iter().filter(|f| f.acted || pane.expanded).collect();
    if shown.is_empty() {
        out.push(Line::styled(
            "    no filter reported (trace enabled_full lists the ones that did not act)",
            dim(),
        ));
    }
    out.extend(shown.into_iter().map(finding_line));
}

fn trace_lines(out: &mut Vec<Line<'static>>, t: &Trace, pane: Pane, width: usize) {
    let intervened = t.intervened();
    if !intervened && !pane.expanded {
        let parts = t.input.len() + t.outputs.len();
        out.push(Line::from(vec![
            Span::styled("✓ passed", Style::default().fg(Color::Green)),
            Span::styled(
                format!(" · nothing acted in {parts} assessments · F7 expands"),
                dim(),
            ),
        ]));
        return;
    }
    match crate::guardrail::findings::verdict(t) {
        Some((v, true)) => out.push(Line::styled(format!("✖ {v}"), red())),
        Some((v, false)) => out.push(Line::styled(
            format!("◐ {v}"),
            Style::default()
                .fg(Color::Yellow)
                .add_modifier(Modifier::BOLD),
        )),
        None => out.push(Line::styled("✓ passed", Style::default().fg(Color::Green))),
    }
    if let Some(r) = &t.action_reason {
        out.push(Line::styled(format!("  reason: {r}"), dim()));
    }
    for (id, a) in &t.input {
        assessment(out, &format!("prompt ({id})"), a, pane);
    }
    let n = t.outputs.len();
    for (i, a) in t.outputs.iter().enumerate() {
        let label = if n == 1 {
            "answer".to_owned()
        } else {
            format!("answer part {}/{n}", i + 1)
        };
        assessment(out, &label, a, pane);
    }
    if !t.model_output.is_empty() {
        let text = t.model_output.join("");
        if pane.reveal {
            out.extend(wrap(
                vec![Span::styled("  model said: ", dim())],
                vec![Span::raw(crate::sanitize::text(&text))],
                width,
                false,
            ));
        } else {
            out.push(Line::styled(
                format!(
                    "  the model's answer as written ({} chars) is kept off screen · Alt+V reveals",
                    text.chars().count()
                ),
                dim(),
            ));
        }
    }
}

fn check_lines(out: &mut Vec<Line<'static>>, c: &Check, pane: Pane, width: usize) {
    let r: &ApplyResult = match &c.state {
        CheckState::Running => {
            out.push(Line::styled("checking…", dim()));
            return;
        }
        CheckState::Failed(e) => {
            out.extend(wrap(
                vec![Span::styled("✗ ", red())],
                vec![Span::raw(e.clone())],
                width,
                false,
            ));
            return;
        }
        CheckState::Done(r) => r,
    };
    if r.intervened() {
        out.push(Line::styled(
            format!("✖ {} · the guardrail would intervene", r.action),
            red(),
        ));
    } else {
        out.push(Line::styled(
            format!("✓ {} · it would pass", r.action),
            Style::default().fg(Color::Green),
        ));
    }
    if let Some(reason) = &r.action_reason {
        out.push(Line::styled(format!("  reason: {reason}"), dim()));
    }
    for o in &r.outputs {
        out.extend(wrap(
            vec![Span::styled("  output: ", dim())],
            vec![Span::raw(crate::sanitize::text(&o.text))],
            width,
            false,
        ));
    }
    let label = match c.source {
        crate::guardrail::Source::Input => "as a prompt",
        crate::guardrail::Source::Output => "as a model output",
    };
    for a in &r.assessments {
        assessment(
            out,
            label,
            a,
            Pane {
                expanded: true,
                ..pane
            },
        );
    }
}

/// The pane's title and lines, or `None` when there is nothing guardrail-related to
/// show (no guardrail on, no trace on the answer, no check).
pub fn content(app: &App, width: u16) -> Option<(String, Vec<Line<'static>>)> {
    let w = usize::from(width);
    let mut out = Vec::new();
    if let Some(c) = &app.check {
        check_lines(&mut out, c, app.pane, w);
        let title = format!(
            "check of {} · {} · ApplyGuardrail, no model call",
            c.subject, c.guardrail
        );
        return Some((title, out));
    }
    let focused = guardrail::focused_answer(app).map(|i| (i, &app.entries[i]));
    let on = app.guardrail.as_ref().map(|g| g.name());
    let title = |n: usize, g: &str| format!("guardrail trace · answer {n} · {g}");
    if app.tools.enabled && on.is_some() {
        // Converse screens the conversation's text, never a tool's input or result.
        out.push(Line::styled(
            "tools are on: their inputs and results are not evaluated by the guardrail",
            Style::default().fg(Color::Yellow),
        ));
    }
    match focused {
        Some((i, e)) if e.guardrail.is_some() || e.trace.is_some() => {
            let name = e
                .trace
                .as_ref()
                .and_then(|t| t.guardrail.clone())
                .or_else(|| e.guardrail.clone())
                .unwrap_or_default();
            match (&e.trace, &e.state) {
                (Some(t), _) => trace_lines(&mut out, t, app.pane, w),
                (None, EntryState::Streaming) => out.push(Line::styled(
                    "the trace comes with the end of the answer…",
                    dim(),
                )),
                (None, _) => out.push(Line::styled("no trace came back for this turn", dim())),
            }
            Some((title(guardrail::answer_number(app, i), &name), out))
        }
        Some((i, _)) if on.is_some() => {
            out.push(Line::styled(
                "this answer was not sent with a guardrail",
                dim(),
            ));
            Some((title(guardrail::answer_number(app, i), "none"), out))
        }
        _ => {
            let name = on?;
            out.push(Line::styled(
                "no guarded answer yet · Ctrl+K checks the draft",
                dim(),
            ));
            Some((format!("guardrail trace · {name}"), out))
        }
    }
}

/// Rows the pane wants for `lines`, its title row included, within half of `avail`.
pub fn height(lines: usize, avail: u16) -> u16 {
    let want = u16::try_from(lines + 1).unwrap_or(u16::MAX);
    want.min(avail / 2).max(2)
}

pub fn render(title: &str, lines: Vec<Line<'static>>, area: Rect, buf: &mut Buffer) {
    let bar = Style::default()
        .fg(Color::Cyan)
        .add_modifier(Modifier::BOLD);
    let head = format!("─ {title} ");
    let fill = usize::from(area.width)
        .saturating_sub(unicode_width::UnicodeWidthStr::width(head.as_str()));
    let mut rows = vec![Line::styled(format!("{head}{}", "─".repeat(fill)), bar)];
    let room = usize::from(area.height).saturating_sub(1);
    let more = lines.len().saturating_sub(room);
    if more > 0 {
        rows.extend(lines.into_iter().take(room.saturating_sub(1)));
        rows.push(Line::styled(
            format!("… {} more lines (F6 hides the pane)", more + 1),
            dim(),
        ));
    } else {
        rows.extend(lines);
    }
    Paragraph::new(rows).render(area, buf);
}
