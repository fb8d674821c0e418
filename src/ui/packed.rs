//! Laid-out lines kept compact: one string for all their text, eight bytes per span
//! and per line, and a table of the few styles they use. A 64,000-token answer laid
//! out as ratatui `Line`s takes about 70 bytes of memory per byte of text; packed, two
//! or three. Lines are made whole again only for the rows on screen.

use std::ops::Range;

use ratatui::layout::Alignment;
use ratatui::style::Style;
use ratatui::text::{Line, Span};

#[derive(Clone, Copy, Debug)]
struct PackedSpan {
    /// Where the span's text ends in `text`; it starts where the previous one ends.
    end: u32,
    style: u32,
}

#[derive(Clone, Copy, Debug)]
struct PackedLine {
    /// Where the line's spans end in `spans`.
    end: u32,
    style: u32,
    alignment: Option<Alignment>,
}

#[derive(Default, Debug)]
pub struct PackedLines {
    text: String,
    spans: Vec<PackedSpan>,
    lines: Vec<PackedLine>,
    styles: Vec<Style>,
}

/// An index into `text` or `spans`; a layout of 4 GiB is beyond any conversation.
fn index(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

impl PackedLines {
    pub const EMPTY: Self = Self {
        text: String::new(),
        spans: Vec::new(),
        lines: Vec::new(),
        styles: Vec::new(),
    };

    pub fn len(&self) -> usize {
        self.lines.len()
    }

    /// The memory the lines hold, in bytes.
    pub fn bytes(&self) -> usize {
        self.text.capacity()
            + self.spans.capacity() * std::mem::size_of::<PackedSpan>()
            + self.lines.capacity() * std::mem::size_of::<PackedLine>()
            + self.styles.capacity() * std::mem::size_of::<Style>()
    }

    fn style(&mut self, style: Style) -> u32 {
        // A layout uses a few dozen styles at most; the newest is the likeliest.
        match self.styles.iter().rposition(|s| *s == style) {
            Some(i) => index(i),
            None => {
                self.styles.push(style);
                index(self.styles.len() - 1)
            }
        }
    }

    pub fn push(&mut self, line: Line<'static>) {
        for span in line.spans {
            self.text.push_str(&span.content);
            let style = self.style(span.style);
            self.spans.push(PackedSpan {
                end: index(self.text.len()),
                style,
            });
        }
        let style = self.style(line.style);
        self.lines.push(PackedLine {
            end: index(self.spans.len()),
            style,
            alignment: line.alignment,
        });
    }

    /// Keeps the first `rows` lines.
    pub fn truncate(&mut self, rows: usize) {
        if rows >= self.lines.len() {
            return;
        }
        self.lines.truncate(rows);
        let spans = self.lines.last().map_or(0, |l| l.end as usize);
        self.spans.truncate(spans);
        let text = self.spans.last().map_or(0, |s| s.end as usize);
        self.text.truncate(text);
    }

    /// Puts `line` in place of the first line (or adds it to no lines), shifting the
    /// others' text and spans instead of packing them again: the header of an answer
    /// that ends changes, the thousands of lines under it do not.
    pub fn replace_first(&mut self, line: Line<'static>) {
        if self.lines.is_empty() {
            self.push(line);
            return;
        }
        let mut first = PackedLines {
            styles: std::mem::take(&mut self.styles),
            ..PackedLines::default()
        };
        first.push(line);
        self.styles = std::mem::take(&mut first.styles);
        let old_spans = self.lines[0].end as usize;
        let old_text = self
            .spans
            .get(old_spans.wrapping_sub(1))
            .map_or(0, |s| s.end as usize);
        let (new_spans, new_text) = (first.spans.len(), first.text.len());
        self.text.replace_range(..old_text, &first.text);
        let text_shift = |end: u32| index(end as usize - old_text + new_text);
        let rest = self.spans.split_off(old_spans);
        self.spans = first.spans;
        self.spans.extend(rest.into_iter().map(|s| PackedSpan {
            end: text_shift(s.end),
            style: s.style,
        }));
        self.lines[0] = first.lines[0];
        for l in &mut self.lines[1..] {
            l.end = index(l.end as usize - old_spans + new_spans);
        }
    }

    fn spans_of(&self, row: usize) -> Range<usize> {
        let start = row
            .checked_sub(1)
            .and_then(|r| self.lines.get(r))
            .map_or(0, |l| l.end as usize);
        start..self.lines.get(row).map_or(start, |l| l.end as usize)
    }

    fn text_of(&self, span: usize) -> Range<usize> {
        let start = span
            .checked_sub(1)
            .and_then(|s| self.spans.get(s))
            .map_or(0, |s| s.end as usize);
        start..self.spans.get(span).map_or(start, |s| s.end as usize)
    }

    /// Line `row`, made whole; an empty line past the end.
    pub fn line(&self, row: usize) -> Line<'static> {
        let Some(packed) = self.lines.get(row) else {
            return Line::default();
        };
        let spans: Vec<Span<'static>> = self
            .spans_of(row)
            .map(|s| {
                let text = self.text.get(self.text_of(s)).unwrap_or_default();
                Span::styled(text.to_owned(), self.styles[self.spans[s].style as usize])
            })
            .collect();
        let mut line = Line::from(spans).style(self.styles[packed.style as usize]);
        line.alignment = packed.alignment;
        line
    }

    /// Lines `rows`, made whole.
    pub fn lines(&self, rows: Range<usize>) -> impl Iterator<Item = Line<'static>> + '_ {
        rows.map(|r| self.line(r))
    }
}

impl Extend<Line<'static>> for PackedLines {
    fn extend<I: IntoIterator<Item = Line<'static>>>(&mut self, lines: I) {
        for line in lines {
            self.push(line);
        }
    }
}

impl FromIterator<Line<'static>> for PackedLines {
    fn from_iter<I: IntoIterator<Item = Line<'static>>>(lines: I) -> Self {
        let mut packed = Self::default();
        packed.extend(lines);
        packed
    }
}

#[cfg(test)]
mod tests {
    use ratatui::style::{Color, Modifier};

    use super::*;

    fn sample() -> Vec<Line<'static>> {
        vec![
            Line::from(vec![
                Span::styled("◆ model", Style::default().fg(Color::Magenta)),
                Span::raw("  12 in · 3 out"),
            ]),
            Line::default(),
            Line::from("plain ünïcode text").style(Style::default().add_modifier(Modifier::BOLD)),
            Line::from(vec![
                Span::raw(""),
                Span::styled("x", Style::default().fg(Color::Red)),
            ])
            .alignment(Alignment::Right),
        ]
    }

    #[test]
    fn lines_come_back_as_they_were_packed() {
        let packed: PackedLines = sample().into_iter().collect();
        assert_eq!(packed.len(), 4);
        let back: Vec<Line<'static>> = packed.lines(0..4).collect();
        assert_eq!(back, sample());
        assert_eq!(packed.line(9), Line::default());
        // Magenta, the default, bold and red: each kept once however often it is used.
        assert_eq!(packed.styles.len(), 4);
    }

    #[test]
    fn replacing_the_first_line_keeps_the_others_as_they_were() {
        let mut packed: PackedLines = sample().into_iter().collect();
        let header = Line::from(vec![
            Span::styled("◆ other model", Style::default().fg(Color::Green)),
            Span::raw("  [stopped]"),
            Span::raw("  120 in · 4096 out"),
        ]);
        packed.replace_first(header.clone());
        let mut want = sample();
        want[0] = header.clone();
        assert_eq!(packed.lines(0..4).collect::<Vec<_>>(), want);
        // Shorter than before, and onto nothing.
        packed.replace_first(Line::from("x"));
        want[0] = Line::from("x");
        assert_eq!(packed.lines(0..4).collect::<Vec<_>>(), want);
        let mut empty = PackedLines::default();
        empty.replace_first(header.clone());
        assert_eq!(empty.lines(0..1).collect::<Vec<_>>(), vec![header]);
    }

    #[test]
    fn truncating_then_pushing_is_packing_the_kept_lines_and_the_new_ones() {
        let mut packed: PackedLines = sample().into_iter().collect();
        packed.truncate(2);
        assert_eq!(packed.len(), 2);
        assert_eq!(packed.text, "◆ model  12 in · 3 out");
        packed.push(Line::from("new"));
        let mut want = sample()[..2].to_vec();
        want.push(Line::from("new"));
        assert_eq!(packed.lines(0..3).collect::<Vec<_>>(), want);
        packed.truncate(0);
        assert!(packed.len() == 0 && packed.text.is_empty() && packed.spans.is_empty());
        packed.truncate(5);
        assert_eq!(packed.len(), 0);
    }
}
