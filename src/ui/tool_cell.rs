//! A tool call as the conversation shows it: the tool, where it comes from, its status
//! and duration, its input as pretty JSON and its result, each folded to a few lines
//! unless tool cells are expanded.

use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use serde_json::Value;

use crate::app::tools::{Call, CallStatus};
use crate::sanitize;

use super::wrap::wrap;

/// Lines of input or result a folded cell shows.
const FOLDED: usize = 4;

/// The lines of the call of tool `name` with `input`; `call` is its state, when the
/// answer has ended and its calls are known.
pub fn lines(
    out: &mut Vec<Line<'static>>,
    name: &str,
    input: &Value,
    call: Option<&Call>,
    width: usize,
    expanded: bool,
) {
    let cyan = Style::default().fg(Color::Cyan);
    let mut head = vec![Span::styled(
        sanitize::text(name),
        cyan.add_modifier(Modifier::BOLD),
    )];
    if let Some(c) = call.filter(|c| !c.source.is_empty()) {
        head.push(Span::styled(
            format!("  {}", sanitize::text(&c.source)),
            Style::default().fg(Color::DarkGray),
        ));
    }
    let (status, color) = status(call);
    head.push(Span::styled(
        format!("  {status}"),
        Style::default().fg(color),
    ));
    out.extend(wrap(vec![Span::styled("⚙ ", cyan)], head, width, false));

    // Input that is still streaming is JSON text; once complete, a value.
    let input_text = match input {
        Value::String(s) => sanitize::text(s),
        v => sanitize::text(&serde_json::to_string_pretty(v).unwrap_or_default()),
    };
    let bar = Style::default().fg(Color::DarkGray);
    block(out, &input_text, ("│ ", "│ ", bar), bar, width, expanded);
    if let Some(output) = call.and_then(|c| c.output.as_ref()) {
        let style = if output.error {
            Style::default().fg(Color::Red)
        } else {
            Style::default()
        };
        let text = sanitize::keeping_tabs(&output.joined()).replace('\t', "    ");
        block(out, &text, ("↳ ", "  ", bar), style, width, expanded);
    }
}

/// What the cell says of the call's state, and in which color.
fn status(call: Option<&Call>) -> (String, Color) {
    let Some(c) = call else {
        return ("…".into(), Color::DarkGray);
    };
    let took =
        c.ms.map(|ms| format!(" {}", duration(ms)))
            .unwrap_or_default();
    match (&c.status, c.output.as_ref().is_some_and(|o| o.error)) {
        (CallStatus::Waiting, _) => ("waiting for your yes or no".into(), Color::Yellow),
        (CallStatus::Running(_), _) => ("running…".into(), Color::Cyan),
        (CallStatus::Done, false) => (format!("✓ done{took}"), Color::Green),
        (CallStatus::Done, true) => (format!("✗ failed{took}"), Color::Red),
        (CallStatus::Declined, _) => ("declined".into(), Color::Yellow),
        (CallStatus::Cancelled, _) => ("stopped".into(), Color::Yellow),
    }
}

fn duration(ms: u64) -> String {
    if ms < 1000 {
        format!("{ms} ms")
    } else {
        format!("{:.1} s", ms as f64 / 1000.0)
    }
}

/// `text` under a `mark`, folded to a few lines unless `expanded`.
fn block(
    out: &mut Vec<Line<'static>>,
    text: &str,
    mark: (&'static str, &'static str, Style),
    style: Style,
    width: usize,
    expanded: bool,
) {
    let all: Vec<&str> = text.trim_end().lines().collect();
    let shown = if expanded {
        all.len()
    } else {
        all.len().min(FOLDED)
    };
    for (i, line) in all[..shown].iter().enumerate() {
        let prefix = if i == 0 { mark.0 } else { mark.1 };
        out.extend(wrap(
            vec![Span::styled(prefix, mark.2)],
            vec![Span::styled((*line).to_owned(), style)],
            width,
            false,
        ));
    }
    if shown < all.len() {
        out.push(Line::from(Span::styled(
            format!("  … {} more lines (Alt+T shows them)", all.len() - shown),
            Style::default()
                .fg(Color::DarkGray)
                .add_modifier(Modifier::ITALIC),
        )));
    }
}
