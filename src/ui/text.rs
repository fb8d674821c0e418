//! Cutting text to a width in terminal columns (a CJK character or an emoji takes two),
//! with an ellipsis where something was cut: every column cut in the panes goes through
//! here.

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// `text` in at most `width` columns: as it is when it fits, else its start and `…`.
pub fn ellipsize(text: &str, width: usize) -> String {
    if UnicodeWidthStr::width(text) <= width {
        return text.to_owned();
    }
    if width == 0 {
        return String::new();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = c.width().unwrap_or(0);
        if used + w + 1 > width {
            break;
        }
        out.push(c);
        used += w;
    }
    out.push('…');
    out
}

/// `text` in exactly `width` columns: ellipsized, then padded with spaces.
pub fn fit(text: &str, width: usize) -> String {
    let mut out = ellipsize(text, width);
    let used = UnicodeWidthStr::width(out.as_str());
    out.extend(std::iter::repeat_n(' ', width.saturating_sub(used)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuts_in_columns_never_splitting_a_wide_character() {
        assert_eq!(ellipsize("short", 10), "short");
        assert_eq!(ellipsize("exactly", 7), "exactly");
        assert_eq!(ellipsize("too long", 5), "too …");
        assert_eq!(ellipsize("日本語のテキスト", 7), "日本語…");
        assert_eq!(ellipsize("日本語のテキスト", 6), "日本…");
        assert_eq!(ellipsize("anything", 1), "…");
        assert_eq!(ellipsize("anything", 0), "");
        assert_eq!(fit("ab", 4), "ab  ");
        assert_eq!(fit("日本語", 5), "日本…");
        assert_eq!(fit("日本語", 4), "日… ");
        assert_eq!(fit("", 0), "");
        for w in 0..12 {
            assert!(UnicodeWidthStr::width(fit("日本語 mixed text", w).as_str()) == w);
        }
    }
}
