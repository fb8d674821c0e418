//! The composer: a multi-line text area. Which keys send and which start a new line is
//! the keymap's business; the composer only edits.

use crossterm::event::KeyEvent;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Widget};
use tui_textarea::TextArea;

use crate::sanitize;

/// The most lines the composer can show: its scrolling counts rows in 16 bits.
pub const MAX_LINES: usize = u16::MAX as usize;
/// The largest draft, in bytes: well past any model's context window.
pub const MAX_BYTES: usize = 16 * 1024 * 1024;

/// A paste that would make the draft too big for the composer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasteRefused {
    pub lines: usize,
    pub bytes: usize,
}

pub struct Composer {
    area: TextArea<'static>,
    placeholder: String,
}

impl Default for Composer {
    fn default() -> Self {
        Composer::new(&crate::keymap::Keymap::default())
    }
}

impl Composer {
    /// A composer whose placeholder names the keys of `keys`.
    pub fn new(keys: &crate::keymap::Keymap) -> Self {
        use crate::keymap::Action;
        let key = |a| keys.first(a).unwrap_or_else(|| "(unbound)".into());
        let mut c = Composer {
            area: TextArea::default(),
            placeholder: format!(
                "Message · {} sends · {} new line · {} help",
                key(Action::Send),
                key(Action::Newline),
                key(Action::Help)
            ),
        };
        c.style();
        c
    }

    fn style(&mut self) {
        self.area.set_cursor_line_style(Style::default());
        self.area.set_placeholder_text(self.placeholder.clone());
        self.area
            .set_placeholder_style(Style::default().fg(Color::DarkGray));
        self.area.set_block(
            Block::default()
                .borders(Borders::TOP)
                .border_style(Style::default().fg(Color::DarkGray)),
        );
    }

    pub fn text(&self) -> String {
        self.area.lines().join("\n")
    }

    pub fn is_empty(&self) -> bool {
        self.area.lines().iter().all(|l| l.is_empty())
    }

    pub fn set_text(&mut self, text: &str) {
        let lines: Vec<String> = text.split('\n').map(str::to_owned).collect();
        self.area = TextArea::new(lines);
        self.style();
        self.area.move_cursor(tui_textarea::CursorMove::Bottom);
        self.area.move_cursor(tui_textarea::CursorMove::End);
    }

    /// Inserts pasted text as typed, with CRLF normalized and control characters removed;
    /// a paste the composer cannot show is refused whole, and the error says why.
    pub fn paste(&mut self, text: &str) -> Result<(), PasteRefused> {
        let clean = sanitize::text(&text.replace("\r\n", "\n").replace('\r', "\n"));
        let lines = self.area.lines().len() + clean.matches('\n').count();
        let bytes = self.area.lines().iter().map(String::len).sum::<usize>() + clean.len();
        if lines > MAX_LINES || bytes > MAX_BYTES {
            return Err(PasteRefused { lines, bytes });
        }
        self.area.insert_str(clean);
        Ok(())
    }

    /// Takes the text to send; `None` (and nothing changes) when there is none.
    pub fn submit(&mut self) -> Option<String> {
        if self.is_empty() {
            return None;
        }
        let text = self.text();
        self.set_text("");
        Some(text)
    }

    pub fn newline(&mut self) {
        self.area.insert_newline();
    }

    /// An editing key: typing, moving, deleting.
    pub fn input(&mut self, key: KeyEvent) {
        self.area.input(key);
    }

    /// Rows the composer wants: its lines (at most `max`) and its top border.
    pub fn height(&self, max: usize) -> u16 {
        (self.area.lines().len().clamp(1, max.max(1)) + 1) as u16
    }

    /// Draws the composer; `title` names a mode on its top border.
    pub fn render(&self, area: Rect, buf: &mut Buffer, title: Option<Line<'static>>) {
        match title {
            Some(t) => {
                let mut area_with_title = self.area.clone();
                area_with_title.set_block(
                    Block::default()
                        .borders(Borders::TOP)
                        .border_style(Style::default().fg(Color::Cyan))
                        .title(t),
                );
                (&area_with_title).render(area, buf);
            }
            None => (&self.area).render(area, buf),
        }
    }
}

#[cfg(test)]
mod tests {
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;

    use super::*;

    #[test]
    fn a_paste_past_what_the_composer_can_show_is_refused_whole() {
        let mut c = Composer::default();
        let fits: String = (0..MAX_LINES - 1).map(|i| format!("line {i}\n")).collect();
        assert!(c.paste(&fits).is_ok());
        assert_eq!(c.text().lines().count(), MAX_LINES - 1);
        // The cursor is on the last line, and the composer shows it.
        let mut t = Terminal::new(TestBackend::new(30, 3)).unwrap();
        c.paste("the end").unwrap();
        t.draw(|f| c.render(f.area(), f.buffer_mut(), None))
            .unwrap();
        let shown: String = t
            .backend()
            .buffer()
            .content()
            .iter()
            .map(|c| c.symbol())
            .collect();
        assert!(shown.contains("the end"), "{shown}");

        let before = c.text();
        let err = c.paste("one\ntwo\n").unwrap_err();
        assert_eq!(err.lines, MAX_LINES + 2);
        assert_eq!(c.text(), before, "nothing of a refused paste is inserted");
        let mut small = Composer::default();
        assert!(small.paste(&"x".repeat(MAX_BYTES + 1)).is_err());
        assert!(small.is_empty());
    }
}
