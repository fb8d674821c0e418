//! Makes untrusted text (model output, pastes) safe to print to a terminal: escape
//! sequences and control characters are removed, tabs become spaces, newlines stay.

/// `text` without escape sequences (CSI, OSC, ...) and without C0/C1 control characters
/// other than newline; tabs become four spaces.
pub fn text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\n' => out.push('\n'),
            '\t' => out.push_str("    "),
            '\x1b' => match chars.next() {
                Some('[') => skip_csi(&mut chars),
                Some(']' | 'P' | '_' | '^' | 'X') => skip_string(&mut chars),
                _ => {}
            },
            '\u{9b}' => skip_csi(&mut chars),
            '\u{9d}' | '\u{90}' => skip_string(&mut chars),
            c if c.is_control() => {}
            // Bidirectional overrides can make text display differently from what it is.
            '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' => {}
            c => out.push(c),
        }
    }
    out
}

/// Skips parameters and intermediates up to a CSI sequence's final byte.
fn skip_csi(chars: &mut std::iter::Peekable<std::str::Chars>) {
    for c in chars.by_ref() {
        if ('\u{40}'..='\u{7e}').contains(&c) {
            break;
        }
    }
}

/// Skips an OSC/DCS string up to BEL or ST (ESC \).
fn skip_string(chars: &mut std::iter::Peekable<std::str::Chars>) {
    while let Some(c) = chars.next() {
        match c {
            '\x07' | '\u{9c}' => break,
            '\x1b' if chars.peek() == Some(&'\\') => {
                chars.next();
                break;
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn strips_escapes_and_controls() {
        let s = super::text(
            "a\x1b[31mred\x1b[0m\tb\r\nc\x07\u{9b}2Jd\u{202E}e\x1b]0;title\x07f\x1b]8;;http://x\x1b\\g",
        );
        assert_eq!(s, "ared    b\ncdefg");
    }
}
