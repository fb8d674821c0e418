//! Wraps styled spans to a width at word boundaries (or anywhere, for code), measuring
//! in terminal columns.

use ratatui::text::{Line, Span};
use unicode_width::UnicodeWidthChar;

/// Lays `spans` out after `prefix` in lines of at most `width` columns. The prefix is
/// repeated on every line. `hard` breaks anywhere instead of at spaces.
pub fn wrap(
    prefix: Vec<Span<'static>>,
    spans: Vec<Span<'static>>,
    width: usize,
    hard: bool,
) -> Vec<Line<'static>> {
    let prefix_width: usize = prefix.iter().map(|s| s.width()).sum();
    let room = width.saturating_sub(prefix_width).max(1);
    let mut lines: Vec<Vec<Span<'static>>> = vec![Vec::new()];
    let mut col = 0usize;
    for span in spans {
        let style = span.style;
        let text = span.content.into_owned();
        let mut word = String::new();
        let mut word_width = 0usize;
        let push_word = |word: &mut String,
                         word_width: &mut usize,
                         lines: &mut Vec<Vec<Span<'static>>>,
                         col: &mut usize| {
            if word.is_empty() {
                return;
            }
            if *col + *word_width > room && *col > 0 {
                lines.push(Vec::new());
                *col = 0;
                let trimmed = word.trim_start().to_owned();
                *word_width -= word.len() - trimmed.len();
                *word = trimmed;
            }
            // A word longer than a whole line is cut.
            while *word_width > room {
                let mut cut = String::new();
                let mut w = 0;
                let mut chars = word.chars();
                for c in chars.by_ref() {
                    let cw = c.width().unwrap_or(0);
                    if w + cw > room - *col {
                        let rest: String = std::iter::once(c).chain(chars).collect();
                        if let Some(l) = lines.last_mut() {
                            l.push(Span::styled(std::mem::take(&mut cut), style));
                        }
                        lines.push(Vec::new());
                        *col = 0;
                        *word = rest;
                        *word_width -= w;
                        break;
                    }
                    cut.push(c);
                    w += cw;
                }
                if word.is_empty() {
                    break;
                }
            }
            if let Some(l) = lines.last_mut() {
                l.push(Span::styled(std::mem::take(word), style));
            }
            *col += *word_width;
            *word_width = 0;
        };
        for c in text.chars() {
            if c == '\n' {
                push_word(&mut word, &mut word_width, &mut lines, &mut col);
                lines.push(Vec::new());
                col = 0;
                continue;
            }
            let boundary = !hard && c == ' ' && !word.is_empty() && !word.ends_with(' ');
            if boundary {
                push_word(&mut word, &mut word_width, &mut lines, &mut col);
            }
            word.push(c);
            word_width += c.width().unwrap_or(0);
        }
        push_word(&mut word, &mut word_width, &mut lines, &mut col);
    }
    lines
        .into_iter()
        .map(|spans| {
            let mut all = prefix.clone();
            all.extend(spans);
            Line::from(all)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(lines: &[Line]) -> Vec<String> {
        lines
            .iter()
            .map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect())
            .collect()
    }

    #[test]
    fn wraps_at_spaces_and_cuts_long_words() {
        let l = wrap(
            vec![Span::raw("> ")],
            vec![Span::raw("the quick brown fox jumps")],
            12,
            false,
        );
        assert_eq!(texts(&l), vec!["> the quick", "> brown fox", "> jumps"]);
        let l = wrap(vec![], vec![Span::raw("abcdefghij")], 4, false);
        assert_eq!(texts(&l), vec!["abcd", "efgh", "ij"]);
        let l = wrap(vec![], vec![Span::raw("日本語のテキスト")], 6, true);
        assert_eq!(texts(&l), vec!["日本語", "のテキ", "スト"]);
        for line in &l {
            assert!(line.width() <= 6);
        }
    }
}
