//! Makes untrusted text (model output, pastes, service messages, S3 keys) safe to print
//! to a terminal: escape sequences and control characters are removed, newlines stay.
//! One state machine serves whole strings and streams, so a sequence split across the
//! chunks of a stream is removed whole.

/// What becomes of a tab.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tabs {
    /// Kept, for text a program reads (a script's pipe).
    Keep,
    /// Four spaces, for text laid out in cells of a screen.
    Spaces,
}

/// Where the machine is: in text, or inside a sequence being skipped.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
enum State {
    #[default]
    Text,
    /// After ESC: the next character says which sequence this is.
    Escape,
    /// ESC and intermediate bytes (0x20–0x2F), up to the final byte (`ESC ( B`).
    EscapeIntermediate,
    /// A control sequence (CSI), up to its final byte (0x40–0x7E).
    Csi,
    /// A control string (OSC, DCS, SOS, PM, APC), up to BEL or ST.
    String,
    /// ESC inside a control string: `\` makes the ST that ends it.
    StringEscape,
}

/// A sanitizer fed text in pieces; what it returns for each piece is safe to print as
/// soon as it is returned.
#[derive(Debug, Clone)]
pub struct Stream {
    state: State,
    tabs: Tabs,
}

impl Stream {
    pub fn new(tabs: Tabs) -> Self {
        Stream {
            state: State::Text,
            tabs,
        }
    }

    /// The printable part of `piece`, given everything pushed before it.
    pub fn push(&mut self, piece: &str) -> String {
        let mut out = String::with_capacity(piece.len());
        for c in piece.chars() {
            self.step(c, &mut out);
        }
        out
    }

    fn step(&mut self, c: char, out: &mut String) {
        self.state = match self.state {
            State::Text => match c {
                '\n' => {
                    out.push('\n');
                    State::Text
                }
                '\t' => {
                    match self.tabs {
                        Tabs::Keep => out.push('\t'),
                        Tabs::Spaces => out.push_str("    "),
                    }
                    State::Text
                }
                '\x1b' => State::Escape,
                '\u{9b}' => State::Csi,
                '\u{90}' | '\u{98}' | '\u{9d}' | '\u{9e}' | '\u{9f}' => State::String,
                // Bidirectional overrides can make text display differently from what it is.
                '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' => State::Text,
                c if c.is_control() => State::Text,
                c => {
                    out.push(c);
                    State::Text
                }
            },
            State::Escape => match c {
                '[' => State::Csi,
                ']' | 'P' | 'X' | '^' | '_' => State::String,
                '\x20'..='\x2f' => State::EscapeIntermediate,
                // A control cuts the sequence short and counts as itself (a newline stays).
                c if c.is_control() => {
                    self.state = State::Text;
                    return self.step(c, out);
                }
                // The final byte of a two-character sequence (ESC 7, ESC c).
                _ => State::Text,
            },
            State::EscapeIntermediate => match c {
                '\x20'..='\x2f' => State::EscapeIntermediate,
                _ => State::Text,
            },
            State::Csi => match c {
                '\x40'..='\x7e' => State::Text,
                _ => State::Csi,
            },
            State::String => match c {
                '\x07' | '\u{9c}' => State::Text,
                '\x1b' => State::StringEscape,
                _ => State::String,
            },
            State::StringEscape => match c {
                '\\' => State::Text,
                '\x1b' => State::StringEscape,
                _ => State::String,
            },
        }
    }
}

/// `text` without escape sequences (CSI, OSC, DCS, ...) and without C0/C1 control
/// characters other than newline; tabs become four spaces. For text shown in cells.
pub fn text(text: &str) -> String {
    Stream::new(Tabs::Spaces).push(text)
}

/// [`text`] with tabs kept, for text a program reads.
pub fn keeping_tabs(text: &str) -> String {
    Stream::new(Tabs::Keep).push(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LADEN: &str = "a\x1b[31mred\x1b[0m\tb\r\nc\x07\u{9b}2Jd\u{202E}e\x1b]0;title\x07f\x1b]8;;http://x\x1b\\g\x1b(Bh\x1b7i\x1bPq#0\x1b\\j\u{98}sos\u{9c}k\x1b_apc\x07l";

    #[test]
    fn strips_escapes_and_controls() {
        assert_eq!(text(LADEN), "ared    b\ncdefghijkl");
        assert_eq!(keeping_tabs(LADEN), "ared\tb\ncdefghijkl");
    }

    #[test]
    fn a_control_ends_an_escape_and_a_newline_after_one_stays() {
        assert_eq!(text("a\x1b\nb\x1b\x1b[2Jc"), "a\nbc");
    }

    #[test]
    fn a_sequence_split_across_pieces_is_removed_whole() {
        let whole = keeping_tabs(LADEN);
        // Every way of cutting the text in two, and in single characters.
        let chars: Vec<char> = LADEN.chars().collect();
        for cut in 0..=chars.len() {
            let (a, b): (String, String) =
                (chars[..cut].iter().collect(), chars[cut..].iter().collect());
            let mut s = Stream::new(Tabs::Keep);
            assert_eq!(s.push(&a) + &s.push(&b), whole, "cut at {cut}");
        }
        let mut s = Stream::new(Tabs::Keep);
        let one_by_one: String = chars.iter().map(|c| s.push(&c.to_string())).collect();
        assert_eq!(one_by_one, whole);
    }

    #[test]
    fn an_unfinished_sequence_hides_nothing_before_it() {
        let mut s = Stream::new(Tabs::Keep);
        assert_eq!(s.push("ok \x1b]0;ti"), "ok ");
        assert_eq!(s.push("tle\x1b"), "");
        assert_eq!(s.push("\\ next"), " next");
    }
}
