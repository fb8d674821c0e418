//! The help overlay: every key and slash command.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Widget};

use super::wrap::wrap;
use crate::keymap::{Action, Keymap};

/// Keys of the overlays, which are not rebound.
pub const OVERLAY_KEYS: &[(&str, &str)] = &[
    (
        "Picker",
        "type to filter · Up/Down choose · Tab inference profile · Enter switch",
    ),
    (
        "History",
        "type to search · Enter open · Ctrl+R rename · Del delete · Ctrl+E export Markdown · Ctrl+J export JSON",
    ),
    (
        "Guardrails",
        "Up/Down choose · Enter use · t trace mode · s stream mode",
    ),
    (
        "Jobs",
        "Up/Down choose · Enter details · f filter by status · n start a job (the composer's text is its prompt) · d download outputs · r refresh; in the form Tab next field, Left/Right model, Ctrl+O the input in $EDITOR, Enter start",
    ),
    (
        "Tools",
        "Up/Down choose · Enter the model must use this tool · y must use some tool · a auto · o tools on/off",
    ),
    (
        "Tool call",
        "y run it · n decline (the model is told) · c yes to this tool in this conversation · a always (saved in the config) · Esc stop the tool calls",
    ),
];

/// The guardrail modes and what each costs, as the picker and `/guardrail` set them.
pub const GUARDRAIL_MODES: &[(&str, &str)] = &[
    (
        "trace enabled",
        "the trace lists the policies that acted and what they matched: enough to see why a turn was blocked",
    ),
    (
        "trace enabled_full",
        "also every configured filter that did not act: needed to see why something got through, at the cost of a longer trace",
    ),
    (
        ":::guard … :::",
        "lines of a message between these marker lines are sent as guardContent: the guardrail screens only them, and Ctrl+K checks only them",
    ),
    (
        "stream sync",
        "each chunk is screened before it is shown: nothing blocked reaches the screen and PII is masked, but text appears later",
    ),
    (
        "stream async",
        "chunks are shown at once and screened alongside: less latency, but blocked text may already be on screen and masking does not apply to it",
    ),
];

/// The key rows: each action with its chords; the down half of a pair shares the
/// row of its up half.
fn key_rows(keys: &Keymap) -> Vec<(String, &'static str)> {
    let mut out = Vec::new();
    for a in Action::ALL {
        let pair = match a {
            Action::PageDown | Action::ScrollDown => continue,
            Action::PageUp => Some((Action::PageDown, "scroll a page")),
            Action::ScrollUp => Some((Action::ScrollDown, "scroll a line")),
            _ => None,
        };
        out.push(match pair {
            Some((down, what)) => (format!("{} / {}", keys.label(a), keys.label(down)), what),
            None => (keys.label(a), a.describe()),
        });
    }
    out
}

pub const COMMANDS: &[(&str, &str)] = &[
    (
        "/model [ID]",
        "switch model or inference profile (no ID opens the picker); the conversation carries over",
    ),
    ("/system TEXT", "set the system prompt (empty clears it)"),
    ("/new", "start a new conversation"),
    ("/retry", "regenerate the last answer"),
    ("/edit", "edit the last question"),
    (
        "/history",
        "browse, search, open, rename, delete and export conversations",
    ),
    (
        "/export [md|json] [PATH]",
        "write this conversation to PATH, or to a new file named after it",
    ),
    ("/theme [NAME]", "the code theme; no NAME lists them"),
    (
        "/guardrail [NAME|off]",
        "switch the guardrail by label or ID[:VERSION], or turn it off (no NAME opens the picker)",
    ),
    (
        "/guardrail trace|stream M",
        "trace enabled|full, stream sync|async for the guardrail in use",
    ),
    ("/jobs", "the async jobs pane"),
    (
        "/tools [on|off|auto|any|TOOL]",
        "the tools list; tools on or off; which tool the model must use",
    ),
    (
        "/inspect",
        "the focused answer's request as sent, its events and metadata, and as code",
    ),
    (
        "/native [QUESTION]",
        "the composer becomes the model's own InvokeModel body (again: back to chat)",
    ),
    (
        "/compare A B [C [D]] Q",
        "ask Q of 2–4 models at once, side by side; Enter keeps one answer",
    ),
    (
        "/alternatives",
        "show or fold the other answers kept with an answer chosen in a comparison",
    ),
    (
        "/cache [off|5m|1h]",
        "prompt caching: checkpoints after the system prompt and the conversation",
    ),
    (
        "/tier [default|priority|flex]",
        "the service tier turns ask for, priced at its prices",
    ),
    (
        "/latency [standard|optimized]",
        "latency-optimized inference for models that offer it",
    ),
    (
        "/routes",
        "the session's routes: calls, failures, latency; the current model's failover order",
    ),
    (
        "/log",
        "the notice log: every status-bar message of the session, in full",
    ),
    ("/help", "this help"),
    ("/quit", "quit"),
];

/// Width of the key column.
const KEY_WIDTH: usize = 24;

fn rows<K: AsRef<str>>(
    title: &str,
    items: &[(K, &'static str)],
    width: usize,
    out: &mut Vec<Line<'static>>,
) {
    let key = Style::default()
        .fg(Color::Cyan)
        .add_modifier(Modifier::BOLD);
    out.push(Line::from(Span::styled(
        title.to_owned(),
        Style::default().add_modifier(Modifier::BOLD),
    )));
    for (k, what) in items {
        // Descriptions wrap under their own column, not under the keys.
        let mut lines = wrap(
            vec![Span::raw(" ".repeat(KEY_WIDTH))],
            vec![Span::raw(*what)],
            width,
            false,
        );
        let label = k.as_ref();
        if label.chars().count() >= KEY_WIDTH {
            // A long label gets its own row rather than overrunning its column.
            out.push(Line::from(Span::styled(label.to_owned(), key)));
        } else if let Some(first) = lines.first_mut() {
            first.spans[0] = Span::styled(format!("{label:<KEY_WIDTH$}"), key);
        }
        out.extend(lines);
    }
}

/// Draws the help over `area`, scrolled `scroll` rows down when it does not fit.
pub fn render(keys: &Keymap, scroll: u16, area: Rect, buf: &mut Buffer) {
    let w = area.width.min(100);
    let inner = usize::from(w.saturating_sub(2));
    let mut lines = Vec::new();
    rows("Keys", &key_rows(keys), inner, &mut lines);
    lines.push(Line::default());
    rows("In the overlays", OVERLAY_KEYS, inner, &mut lines);
    lines.push(Line::default());
    rows("Commands", COMMANDS, inner, &mut lines);
    lines.push(Line::default());
    rows("Guardrail modes", GUARDRAIL_MODES, inner, &mut lines);
    let h = (lines.len() as u16 + 2).min(area.height);
    let hidden = (lines.len() as u16 + 2).saturating_sub(h);
    let scroll = scroll.min(hidden);
    lines.drain(..usize::from(scroll));
    let title = if hidden > 0 {
        format!(
            " Help · Esc closes · PageUp/PageDown scroll ({}/{}) ",
            scroll, hidden
        )
    } else {
        " Help · Esc closes ".to_owned()
    };
    let r = super::overlay_area(area, w, h, buf);
    Paragraph::new(lines)
        .block(Block::default().borders(Borders::ALL).title(title))
        .render(r, buf);
}
