//! Markdown to terminal lines for a given width: headings, emphasis, lists, block
//! quotes, tables and links, with fenced code highlighted by syntect.

use pulldown_cmark::{CodeBlockKind, Event, HeadingLevel, Options, Parser, Tag, TagEnd};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use syntect::easy::HighlightLines;
use unicode_width::UnicodeWidthStr;

use super::wrap::wrap;

/// A little code in each language answers show most: highlighting it compiles the
/// patterns those languages start with, which a first code block would otherwise wait for.
const SAMPLES: [(&str, &str); 10] = [
    (
        "python",
        "import os\nclass A(B):\n    def f(self, x: int) -> str:\n        return f\"{x}\" + 'a'  # c\n",
    ),
    (
        "rust",
        "use std::io;\n#[derive(Debug)]\nstruct A<'a> { x: &'a str }\nfn main() { let v = vec![1]; println!(\"{}\", v[0]); } // c\n",
    ),
    (
        "javascript",
        "import x from 'y';\nconst f = async (a) => `t${a}`; // c\nclass A extends B {}\n",
    ),
    (
        "bash",
        "#!/bin/sh\nfor f in *.txt; do echo \"$f\" | grep -v x; done  # c\n",
    ),
    ("json", "{\"a\": [1, true, null, \"s\"]}\n"),
    (
        "go",
        "package main\nimport \"fmt\"\nfunc main() { fmt.Println(\"x\") } // c\n",
    ),
    (
        "java",
        "public class A { public static void main(String[] a) { System.out.println(\"x\"); } }\n",
    ),
    (
        "cpp",
        "#include <vector>\nint main() { std::vector<int> v{1}; return v[0]; } // c\n",
    ),
    ("yaml", "key: value\nlist:\n  - 1\n  - \"s\"  # c\n"),
    (
        "sql",
        "SELECT a, COUNT(*) FROM t WHERE b = 'x' GROUP BY a; -- c\n",
    ),
];

/// Highlights [`SAMPLES`] in every language, off the event loop.
pub(super) fn warm_up() {
    for (lang, code) in SAMPLES {
        code_lines(code, lang, 80, crate::app::theme::DEFAULT);
    }
}

/// Highlighted lines of a code block, each cut into rows of at most `width` columns.
fn code_lines(code: &str, lang: &str, width: usize, theme: &str) -> Vec<Line<'static>> {
    let h = super::theme::highlighting();
    let syntax = h
        .syntaxes
        .find_syntax_by_token(lang)
        .unwrap_or_else(|| h.syntaxes.find_syntax_plain_text());
    let mut hl = HighlightLines::new(syntax, h.theme(theme));
    let mut out = Vec::new();
    for line in code.lines() {
        let spans: Vec<Span<'static>> = match hl.highlight_line(line, &h.syntaxes) {
            Ok(ranges) => ranges
                .into_iter()
                .map(|(style, text)| {
                    let c = style.foreground;
                    Span::styled(
                        text.to_owned(),
                        Style::default().fg(Color::Rgb(c.r, c.g, c.b)),
                    )
                })
                .collect(),
            Err(_) => vec![Span::raw(line.to_owned())],
        };
        out.extend(wrap(vec![Span::raw("  ")], spans, width.max(4), true));
    }
    out
}

#[derive(Default)]
struct Builder {
    lines: Vec<Line<'static>>,
    spans: Vec<Span<'static>>,
    styles: Vec<Style>,
    /// One entry per open list: the next number of an ordered list, or `None`.
    lists: Vec<Option<u64>>,
    quote: usize,
    code: Option<(String, String)>,
    table: Option<Table>,
    link: Option<String>,
    width: usize,
    /// The code theme's name.
    theme: &'static str,
    /// The prefix of the first line of the current paragraph (a bullet or number).
    item_prefix: Option<String>,
}

#[derive(Default)]
struct Table {
    rows: Vec<Vec<String>>,
    cell: String,
    row: Vec<String>,
}

impl Builder {
    fn style(&self) -> Style {
        self.styles
            .iter()
            .fold(Style::default(), |a, s| a.patch(*s))
    }

    fn indent(&self) -> String {
        let mut s = "│ ".repeat(self.quote);
        s.push_str(&"   ".repeat(self.lists.len().saturating_sub(1)));
        s
    }

    fn flush(&mut self) {
        if self.spans.is_empty() && self.item_prefix.is_none() {
            return;
        }
        let indent = self.indent();
        let first = match self.item_prefix.take() {
            Some(p) => format!("{indent}{p}"),
            None => indent.clone(),
        };
        let rest_indent = " ".repeat(UnicodeWidthStr::width(first.as_str()));
        let quote_style = Style::default().fg(Color::DarkGray);
        let spans = std::mem::take(&mut self.spans);
        let mut wrapped = wrap(
            vec![Span::styled(first, quote_style)],
            spans,
            self.width,
            false,
        );
        for l in wrapped.iter_mut().skip(1) {
            if let Some(s) = l.spans.first_mut() {
                *s = Span::styled(rest_indent.clone(), quote_style);
            }
        }
        self.lines.extend(wrapped);
    }

    fn blank(&mut self) {
        if self.lines.last().is_some_and(|l| l.width() > 0) {
            self.lines.push(Line::default());
        }
    }

    fn text(&mut self, t: &str) {
        if let Some((_, code)) = &mut self.code {
            code.push_str(t);
        } else if let Some(table) = &mut self.table {
            table.cell.push_str(t);
        } else {
            let style = self.style();
            self.spans.push(Span::styled(t.to_owned(), style));
        }
    }

    fn start(&mut self, tag: Tag) {
        match tag {
            Tag::Paragraph => {}
            Tag::Heading { level, .. } => {
                self.blank();
                let style = match level {
                    HeadingLevel::H1 => Style::default()
                        .fg(Color::Cyan)
                        .add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
                    HeadingLevel::H2 => Style::default()
                        .fg(Color::Cyan)
                        .add_modifier(Modifier::BOLD),
                    _ => Style::default().add_modifier(Modifier::BOLD),
                };
                self.styles.push(style);
            }
            Tag::BlockQuote(_) => {
                self.flush();
                self.quote += 1;
                self.styles
                    .push(Style::default().add_modifier(Modifier::ITALIC));
            }
            Tag::CodeBlock(kind) => {
                self.flush();
                let lang = match kind {
                    CodeBlockKind::Fenced(l) => l.split(',').next().unwrap_or("").trim().to_owned(),
                    CodeBlockKind::Indented => String::new(),
                };
                self.code = Some((lang, String::new()));
            }
            Tag::List(start) => {
                self.flush();
                if self.lists.is_empty() {
                    self.blank();
                }
                self.lists.push(start);
            }
            Tag::Item => {
                self.flush();
                let prefix = match self.lists.last_mut() {
                    Some(Some(n)) => {
                        let p = format!("{n}. ");
                        *n += 1;
                        p
                    }
                    _ => "• ".to_owned(),
                };
                self.item_prefix = Some(prefix);
            }
            Tag::Emphasis => self
                .styles
                .push(Style::default().add_modifier(Modifier::ITALIC)),
            Tag::Strong => self
                .styles
                .push(Style::default().add_modifier(Modifier::BOLD)),
            Tag::Strikethrough => self
                .styles
                .push(Style::default().add_modifier(Modifier::CROSSED_OUT)),
            Tag::Link { dest_url, .. } => {
                self.link = Some(dest_url.to_string());
                self.styles.push(
                    Style::default()
                        .fg(Color::Blue)
                        .add_modifier(Modifier::UNDERLINED),
                );
            }
            Tag::Table(_) => {
                self.flush();
                self.blank();
                self.table = Some(Table::default());
            }
            Tag::TableHead | Tag::TableRow | Tag::TableCell => {}
            _ => {}
        }
    }

    fn end(&mut self, tag: TagEnd) {
        match tag {
            TagEnd::Paragraph => {
                self.flush();
                if self.lists.is_empty() {
                    self.lines.push(Line::default());
                }
            }
            TagEnd::Heading(_) => {
                self.styles.pop();
                self.flush();
                self.lines.push(Line::default());
            }
            TagEnd::BlockQuote(_) => {
                self.flush();
                self.styles.pop();
                self.quote = self.quote.saturating_sub(1);
            }
            TagEnd::CodeBlock => {
                if let Some((lang, code)) = self.code.take() {
                    let label = if lang.is_empty() {
                        "code".to_owned()
                    } else {
                        lang.clone()
                    };
                    self.lines.push(Line::from(Span::styled(
                        format!("  ╭─ {label}"),
                        Style::default().fg(Color::DarkGray),
                    )));
                    self.lines
                        .extend(code_lines(&code, &lang, self.width, self.theme));
                    self.lines.push(Line::from(Span::styled(
                        "  ╰─",
                        Style::default().fg(Color::DarkGray),
                    )));
                    self.lines.push(Line::default());
                }
            }
            TagEnd::List(_) => {
                self.flush();
                self.lists.pop();
                if self.lists.is_empty() {
                    self.lines.push(Line::default());
                }
            }
            TagEnd::Item => self.flush(),
            TagEnd::Emphasis | TagEnd::Strong | TagEnd::Strikethrough => {
                self.styles.pop();
            }
            TagEnd::Link => {
                self.styles.pop();
                if let Some(url) = self.link.take() {
                    self.spans.push(Span::styled(
                        format!(" ({url})"),
                        Style::default().fg(Color::DarkGray),
                    ));
                }
            }
            TagEnd::TableCell => {
                if let Some(t) = &mut self.table {
                    let cell = std::mem::take(&mut t.cell);
                    t.row.push(cell.trim().to_owned());
                }
            }
            TagEnd::TableHead | TagEnd::TableRow => {
                if let Some(t) = &mut self.table {
                    let row = std::mem::take(&mut t.row);
                    t.rows.push(row);
                }
            }
            TagEnd::Table => {
                if let Some(t) = self.table.take() {
                    self.lines.extend(super::table::render(&t.rows, self.width));
                    self.lines.push(Line::default());
                }
            }
            _ => {}
        }
    }
}

/// Renders markdown into lines no wider than `width` columns, code highlighted with
/// the theme named `theme`.
pub fn render(markdown: &str, width: u16, theme: &'static str) -> Vec<Line<'static>> {
    let mut b = Builder {
        width: usize::from(width).max(8),
        theme,
        ..Builder::default()
    };
    let opts = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH;
    for ev in Parser::new_ext(markdown, opts) {
        match ev {
            Event::Start(tag) => b.start(tag),
            Event::End(tag) => b.end(tag),
            Event::Text(t) => b.text(&t),
            Event::Code(c) => {
                if let Some(t) = &mut b.table {
                    t.cell.push_str(&c);
                } else {
                    b.spans.push(Span::styled(
                        c.to_string(),
                        Style::default().fg(Color::Yellow),
                    ));
                }
            }
            Event::SoftBreak => b.text(" "),
            Event::HardBreak => b.flush(),
            Event::Rule => {
                b.flush();
                b.lines.push(Line::from(Span::styled(
                    "─".repeat(b.width.min(40)),
                    Style::default().fg(Color::DarkGray),
                )));
            }
            Event::Html(h) | Event::InlineHtml(h) => b.text(&h),
            _ => {}
        }
    }
    // An unterminated code fence while streaming still shows its code.
    if b.code.is_some() {
        b.end(TagEnd::CodeBlock);
    }
    b.flush();
    while b.lines.last().is_some_and(|l| l.width() == 0) {
        b.lines.pop();
    }
    b.lines
}
