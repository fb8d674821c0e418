//! The conversation pane. Each entry's lines are cached per (width, revision), so a
//! streaming answer re-renders only itself, and only the rows on screen are drawn.
//! Lines of entries far from the screen are dropped once the cache passes a byte
//! budget, so scrolling through a long conversation does not keep all of it laid out.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use crate::app::{App, Entry, EntryState};
use crate::conversation::{Block, Role, StopReason};
use crate::sanitize;

use super::packed::PackedLines;
use super::text::ellipsize;
use super::{markdown, wrap::wrap};
use unicode_width::UnicodeWidthStr;

struct Cached {
    width: u16,
    revision: u64,
    lines: PackedLines,
    /// For an answer that is streaming: where its finished paragraphs end.
    cut: Option<Cut>,
}

/// The finished part of a streaming answer's last text block: bytes of text and rows
/// of lines that no longer change, so each frame lays out only the paragraph being
/// written.
#[derive(Clone, Copy)]
struct Cut {
    blocks: usize,
    text: usize,
    rows: usize,
}

/// Byte offset just after the last blank line of `text` that is outside a code fence.
fn paragraph_end(text: &str) -> usize {
    let (mut fence, mut end, mut at) = (false, 0, 0);
    for line in text.split_inclusive('\n') {
        if line.trim_start().starts_with("```") {
            fence = !fence;
        }
        at += line.len();
        if !fence && line.trim().is_empty() && line.ends_with('\n') {
            end = at;
        }
    }
    end
}

/// Lays out a streaming answer from its cached finished part, if it has one.
fn stream_lines(
    entry: &Entry,
    width: u16,
    theme: &'static str,
    expanded: bool,
    cached: Option<&mut Cached>,
) -> Option<(PackedLines, Cut)> {
    if super::attachments::cites(&entry.message.blocks) {
        return None;
    }
    let Some(Block::Text(text)) = entry.message.blocks.last() else {
        return None;
    };
    let (mut lines, mut cut) = match cached {
        Some(c)
            if c.width == width
                && c.cut.is_some_and(|k| {
                    k.blocks == entry.message.blocks.len() && k.text <= text.len()
                }) =>
        {
            let cut = c.cut?;
            let mut lines = std::mem::take(&mut c.lines);
            lines.truncate(cut.rows);
            (lines, cut)
        }
        _ => {
            let mut head = entry.clone();
            head.message.blocks.pop();
            let mut lines = entry_lines(&head, width, theme, expanded);
            lines.pop();
            let rows = lines.len();
            (
                lines.into_iter().collect(),
                Cut {
                    blocks: entry.message.blocks.len(),
                    text: 0,
                    rows,
                },
            )
        }
    };
    let rest = text.get(cut.text..)?;
    let end = cut.text + paragraph_end(rest);
    if end > cut.text {
        let done = sanitize::text(&text[cut.text..end]);
        lines.extend(markdown::render(&done, width, theme));
        lines.push(Line::default());
        cut.text = end;
        cut.rows = lines.len();
    }
    lines.extend(markdown::render(
        &sanitize::text(&text[end..]),
        width,
        theme,
    ));
    lines.push(Line::default());
    Some((lines, cut))
}

static EMPTY: PackedLines = PackedLines::EMPTY;

/// Laid-out lines kept for entries off the screen, in bytes: a few screens' worth of
/// scrolling back and forth costs no layout, and memory stays bounded.
const KEPT_BYTES: usize = 4 << 20;

#[derive(Default)]
pub struct ConversationView {
    /// By entry; boxed, as most entries of a long conversation have none.
    cache: Vec<Option<Box<Cached>>>,
    /// Entries rendered since the last reset; benchmarks read it.
    pub renders: u64,
    /// The answer being read in the last frame: the newest one on screen when the view
    /// is at the bottom, else the highest one on screen.
    pub focus: Option<usize>,
    /// Tool cells show input and results in full.
    expanded: bool,
    /// Answers kept from a comparison show their alternatives in full.
    alternatives: bool,
}

fn entry_lines(
    entry: &Entry,
    width: u16,
    theme: &'static str,
    expanded: bool,
) -> Vec<Line<'static>> {
    let w = usize::from(width);
    // The results of an answer's calls are shown in its cells.
    if entry.message.role == Role::User
        && !entry.message.blocks.is_empty()
        && entry
            .message
            .blocks
            .iter()
            .all(|b| matches!(b, Block::ToolResult { .. }))
    {
        return Vec::new();
    }
    let mut lines = vec![header(entry, w)];
    if entry.message.role == Role::Assistant && super::attachments::cites(&entry.message.blocks) {
        return cited_lines(lines, entry, width, theme);
    }
    for block in &entry.message.blocks {
        if let Block::ToolUse { id, name, input } = block {
            let call = entry.calls.iter().find(|c| &c.id == id);
            super::tool_cell::lines(&mut lines, name, input, call, w, expanded);
            continue;
        }
        block_lines(&mut lines, block, entry.message.role, width, theme);
    }
    tail(&mut lines, entry, w);
    lines
}

/// An answer that cites its documents: its text as one Markdown text with a marker
/// after each cited part, then the sources.
fn cited_lines(
    mut lines: Vec<Line<'static>>,
    entry: &Entry,
    width: u16,
    theme: &'static str,
) -> Vec<Line<'static>> {
    let (text, sources) = super::attachments::cited_text(&entry.message.blocks);
    lines.extend(markdown::render(&sanitize::text(&text), width, theme));
    super::attachments::sources_lines(&mut lines, &sources, usize::from(width));
    tail(&mut lines, entry, usize::from(width));
    lines
}

/// What follows an entry's blocks: the guardrail's verdict, the error of a failed
/// answer, and a blank line.
fn tail(lines: &mut Vec<Line<'static>>, entry: &Entry, w: usize) {
    if let Some((note, blocked)) = entry
        .trace
        .as_deref()
        .and_then(crate::guardrail::findings::verdict)
    {
        let (mark, color) = if blocked {
            ("✖ ", Color::LightRed)
        } else {
            ("◐ ", Color::Yellow)
        };
        let style = Style::default().fg(color).add_modifier(Modifier::ITALIC);
        lines.extend(wrap(
            vec![Span::styled(mark, style)],
            vec![Span::styled(note, style)],
            w,
            false,
        ));
    }
    if entry.native
        && let Some(x) = entry.exchange.as_deref()
    {
        raw_chunks(lines, x, w);
    }
    if let EntryState::Failed(e) = &entry.state {
        lines.extend(wrap(
            vec![Span::styled("! ", Style::default().fg(Color::Red))],
            vec![Span::styled(e.to_string(), Style::default().fg(Color::Red))],
            w,
            false,
        ));
    }
    lines.push(Line::default());
}

/// How many raw chunks a native answer shows under its text; the inspector has all.
const RAW_CHUNKS: usize = 6;

/// A native answer's response as it came, beside the text parsed from it: each chunk's
/// JSON on one line, cut to the width.
fn raw_chunks(lines: &mut Vec<Line<'static>>, x: &crate::inspect::Exchange, w: usize) {
    if x.chunks.is_empty() {
        return;
    }
    let dim = Style::default().fg(Color::DarkGray);
    let what = if x.operation == "InvokeModel" {
        "response body".to_owned()
    } else {
        format!("raw chunks ({})", x.chunks.len())
    };
    lines.push(Line::styled(format!("┌ {what}"), dim.fg(Color::Cyan)));
    for chunk in x.chunks.iter().take(RAW_CHUNKS) {
        let one = sanitize::text(&chunk.split_whitespace().collect::<Vec<_>>().join(" "));
        lines.push(Line::from(vec![
            Span::styled("│ ", dim.fg(Color::Cyan)),
            Span::styled(ellipsize(&one, w.saturating_sub(2).max(8)), dim),
        ]));
    }
    if x.chunks.len() > RAW_CHUNKS {
        lines.push(Line::styled(
            format!(
                "└ {} more: the inspector (/inspect) shows them all",
                x.chunks.len() - RAW_CHUNKS
            ),
            dim.fg(Color::Cyan),
        ));
    }
}

/// The lines of an answer that has just stopped streaming, from its streaming layout:
/// its finished paragraphs are kept as they are, only the last one is laid out, and the
/// header and the tail are made anew, so the end of a long answer costs what a
/// streamed frame does. `None` when the layout cannot be reused (another width, other
/// blocks, tool cells whose state the end changes).
fn finish_lines(
    entry: &Entry,
    width: u16,
    theme: &'static str,
    cached: &mut Cached,
) -> Option<PackedLines> {
    if super::attachments::cites(&entry.message.blocks) {
        return None;
    }
    let cut = cached.cut.filter(|k| {
        cached.width == width && k.blocks == entry.message.blocks.len() && k.rows > 0
    })?;
    if entry
        .message
        .blocks
        .iter()
        .any(|b| matches!(b, Block::ToolUse { .. }))
    {
        return None;
    }
    let Some(Block::Text(text)) = entry.message.blocks.last() else {
        return None;
    };
    let rest = text.get(cut.text..)?;
    let mut lines = std::mem::take(&mut cached.lines);
    lines.truncate(cut.rows);
    lines.replace_first(header(entry, usize::from(width)));
    let mut end = markdown::render(&sanitize::text(rest), width, theme);
    tail(&mut end, entry, usize::from(width));
    lines.extend(end);
    Some(lines)
}

/// The entry's first line: who wrote it, how it ended, and what it used.
/// The first line of an entry: who speaks, what became of the answer, and its tokens,
/// in `width` columns. What does not fit goes in this order: the token counts, then
/// the end of a long model label (an ARN); the answer's state always shows.
fn header(entry: &Entry, width: usize) -> Line<'static> {
    let (label, style) = match entry.message.role {
        Role::User => (
            "You".to_owned(),
            Style::default()
                .fg(Color::Green)
                .add_modifier(Modifier::BOLD),
        ),
        Role::Assistant => (
            format!(
                "◆ {}",
                entry.message.model.as_deref().unwrap_or("assistant")
            ),
            Style::default()
                .fg(Color::Magenta)
                .add_modifier(Modifier::BOLD),
        ),
    };
    let mut marks = Vec::new();
    let mut mark = |text: &'static str, color: Color| {
        marks.push(Span::styled(text, Style::default().fg(color)));
    };
    match &entry.state {
        EntryState::Streaming => mark("  streaming…", Color::DarkGray),
        EntryState::Cancelled => mark("  [stopped]", Color::Yellow),
        EntryState::Failed(_) => mark("  [failed]", Color::Red),
        EntryState::Interrupted => mark("  [interrupted]", Color::Yellow),
        EntryState::Done => {}
    }
    if entry.native {
        mark("  native", Color::Cyan);
    }
    if entry.via.is_some() {
        mark("  via prompt router", Color::Cyan);
    }
    match entry.tier {
        Some(crate::conversation::Tier::Priority) => mark("  priority", Color::Cyan),
        Some(crate::conversation::Tier::Flex) => mark("  flex", Color::Cyan),
        _ => {}
    }
    match entry.stop {
        Some(StopReason::GuardrailIntervened) => mark("  [guardrail intervened]", Color::LightRed),
        Some(StopReason::MaxTokens) => mark("  [cut at max tokens]", Color::Yellow),
        _ => {}
    }
    let marks_width: usize = marks.iter().map(|s| s.width()).sum();
    let usage = entry
        .usage
        .map(|u| format!("  {} in · {} out", u.input, u.output))
        .filter(|u| label.width() + marks_width + u.width() <= width);
    // The label keeps at least a few columns even when the marks alone fill the line.
    let room = width.saturating_sub(marks_width).max(8);
    let mut header = vec![Span::styled(ellipsize(&label, room), style)];
    header.extend(marks);
    if let Some(u) = usage {
        header.push(Span::styled(u, Style::default().fg(Color::DarkGray)));
    }
    Line::from(header)
}

/// The lines of one block of a message.
fn block_lines(
    lines: &mut Vec<Line<'static>>,
    block: &Block,
    role: Role,
    width: u16,
    theme: &'static str,
) {
    let w = usize::from(width);
    let dim = Style::default()
        .fg(Color::DarkGray)
        .add_modifier(Modifier::ITALIC);
    match block {
        Block::Text(t) => {
            let clean = sanitize::text(t);
            match role {
                Role::User => lines.extend(wrap(vec![], vec![Span::raw(clean)], w, false)),
                Role::Assistant => lines.extend(markdown::render(&clean, width, theme)),
            }
        }
        Block::Reasoning { text, .. } => {
            lines.extend(wrap(
                vec![Span::styled("┊ ", dim)],
                vec![Span::styled(sanitize::text(text), dim)],
                w,
                false,
            ));
        }
        Block::Media(m) => super::attachments::media_lines(lines, m, w),
        // An answer with cited parts is drawn whole by `cited_lines`.
        Block::Cited { text, .. } => {
            lines.extend(markdown::render(&sanitize::text(text), width, theme))
        }
        // A call is drawn as a cell by `entry_lines`, its result in that cell.
        Block::ToolUse { .. } | Block::ToolResult { .. } => {}
    }
}

impl ConversationView {
    /// The laid-out lines of entry `idx` at `width`, from the cache while it is fresh.
    pub(super) fn lines(
        &mut self,
        idx: usize,
        entry: &Entry,
        width: u16,
        theme: &'static str,
    ) -> &PackedLines {
        if self.cache.len() <= idx {
            self.cache.resize_with(idx + 1, || None);
        }
        let fresh =
            matches!(&self.cache[idx], Some(c) if c.width == width && c.revision == entry.revision);
        if !fresh {
            self.renders += 1;
            let streaming =
                entry.state == EntryState::Streaming && entry.message.role == Role::Assistant;
            let cached = self.cache[idx].as_deref_mut();
            let (lines, cut) = if streaming {
                match stream_lines(entry, width, theme, self.expanded, cached) {
                    Some((lines, cut)) => (lines, Some(cut)),
                    None => (
                        entry_lines(entry, width, theme, self.expanded)
                            .into_iter()
                            .collect(),
                        None,
                    ),
                }
            } else {
                // An answer that just ended keeps the layout it streamed with.
                let reused = cached
                    .filter(|c| c.cut.is_some())
                    .and_then(|c| finish_lines(entry, width, theme, c));
                let lines = reused.unwrap_or_else(|| {
                    entry_lines(entry, width, theme, self.expanded)
                        .into_iter()
                        .collect()
                });
                (lines, None)
            };
            let lines = if entry.alternatives.is_empty() {
                lines
            } else {
                let mut lines = lines;
                self.alternatives_lines(&mut lines, entry, width, theme);
                lines
            };
            self.cache[idx] = Some(Box::new(Cached {
                width,
                revision: entry.revision,
                lines,
                cut,
            }));
        }
        match &self.cache[idx] {
            Some(c) => &c.lines,
            None => &EMPTY,
        }
    }

    /// Under an answer kept from a comparison: one line naming its alternatives, or
    /// each of them in full (`/alternatives`).
    fn alternatives_lines(
        &self,
        lines: &mut PackedLines,
        entry: &Entry,
        width: u16,
        theme: &'static str,
    ) {
        let w = usize::from(width);
        let style = Style::default()
            .fg(Color::Cyan)
            .add_modifier(Modifier::ITALIC);
        let n = entry.alternatives.len();
        if !self.alternatives {
            let models: Vec<&str> = (entry.alternatives.iter())
                .map(|a| a.message.model.as_deref().unwrap_or("assistant"))
                .collect();
            let note = format!(
                "kept from a comparison; {n} other answer{} not sent: {} (/alternatives shows them)",
                if n == 1 { "" } else { "s" },
                models.join(", ")
            );
            for line in wrap(
                Vec::new(),
                vec![Span::styled(format!("⇆ {}", sanitize::text(&note)), style)],
                w,
                false,
            ) {
                lines.push(line);
            }
            lines.push(Line::default());
            return;
        }
        for (i, alternative) in entry.alternatives.iter().enumerate() {
            lines.push(Line::styled(
                ellipsize(
                    &format!("⇆ alternative {} of {n}, not sent", i + 1),
                    w.max(8),
                ),
                style,
            ));
            for line in entry_lines(alternative, width, theme, self.expanded) {
                lines.push(line);
            }
        }
    }

    /// Drops every cached line: the entries were replaced or their look changed.
    pub fn reset(&mut self) {
        self.cache.clear();
    }

    /// Drops cached lines of entries that no longer exist.
    fn trim(&mut self, len: usize) {
        self.cache.truncate(len);
    }

    /// Drops the lines of entries outside `shown`, farthest first, until the cache
    /// holds no more than [`KEPT_BYTES`].
    fn evict(&mut self, shown: std::ops::RangeInclusive<usize>) {
        let size = |c: &Option<Box<Cached>>| c.as_ref().map_or(0, |c| c.lines.bytes());
        let mut total: usize = self.cache.iter().map(size).sum();
        if total <= KEPT_BYTES {
            return;
        }
        let (lo, hi) = (*shown.start(), *shown.end());
        let mut far: Vec<usize> = (0..self.cache.len())
            .filter(|i| self.cache[*i].is_some() && !shown.contains(i))
            .collect();
        far.sort_by_key(|&i| std::cmp::Reverse(if i < lo { lo - i } else { i - hi }));
        for i in far {
            if total <= KEPT_BYTES {
                break;
            }
            total -= size(&self.cache[i]);
            self.cache[i] = None;
        }
    }

    /// Draws the rows that are visible with the view scrolled `app.scroll` rows up
    /// from the bottom; returns how far it could actually scroll.
    pub fn render(&mut self, app: &App, area: Rect, buf: &mut Buffer) -> u16 {
        self.trim(app.entries.len());
        self.focus = None;
        if self.expanded != app.tools.expanded || self.alternatives != app.alternatives {
            self.expanded = app.tools.expanded;
            self.alternatives = app.alternatives;
            self.reset();
        }
        if app.entries.is_empty() {
            Paragraph::new(Line::from(Span::styled(
                "Ask anything. Enter sends; Alt+Enter adds a line; F1 shows every key.",
                Style::default().fg(Color::DarkGray),
            )))
            .render(area, buf);
            return 0;
        }
        let height = usize::from(area.height);
        let want = height + usize::from(app.scroll);
        // Walk up from the newest entry until the window is covered; only those
        // entries are laid out (or taken from the cache).
        let mut heights: Vec<(usize, usize)> = Vec::new();
        let mut covered = 0;
        for idx in (0..app.entries.len()).rev() {
            let n = self
                .lines(idx, &app.entries[idx], area.width, app.theme)
                .len();
            covered += n;
            heights.push((idx, n));
            if covered >= want {
                break;
            }
        }
        heights.reverse();
        if let (Some(&(lo, _)), Some(&(hi, _))) = (heights.first(), heights.last()) {
            self.evict(lo..=hi);
        }
        let scroll = usize::from(app.scroll).min(covered.saturating_sub(height));
        let end = covered - scroll;
        let start = end.saturating_sub(height);
        let mut visible: Vec<Line<'static>> = Vec::with_capacity(height);
        let mut row = 0;
        for (idx, n) in heights {
            let (lo, hi) = (row, row + n);
            row = hi;
            if hi <= start || lo >= end {
                continue;
            }
            // At the bottom the newest answer is the one read; scrolled up, the
            // reader is at the top of the view.
            if app.entries[idx].message.role == Role::Assistant
                && (self.focus.is_none() || scroll == 0)
            {
                self.focus = Some(idx);
            }
            let lines = self.lines(idx, &app.entries[idx], area.width, app.theme);
            let from = start.saturating_sub(lo);
            let to = n - hi.saturating_sub(end);
            visible.extend(lines.lines(from..to));
        }
        Paragraph::new(visible).render(area, buf);
        scroll as u16
    }
}

#[cfg(test)]
#[path = "conversation_tests.rs"]
mod tests;
