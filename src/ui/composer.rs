//! The composer: a multi-line text area. Which keys send and which start a new line is
//! the keymap's business; the composer only edits.

use crossterm::event::KeyEvent;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::widgets::{Block, Borders, Widget};
use tui_textarea::TextArea;

use crate::sanitize;

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

    /// Inserts pasted text as typed, with CRLF normalized and control characters removed.
    pub fn paste(&mut self, text: &str) {
        let clean = sanitize::text(&text.replace("\r\n", "\n").replace('\r', "\n"));
        self.area.insert_str(clean);
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

    /// Rows the composer wants: its lines (at most eight) and its top border.
    pub fn height(&self) -> u16 {
        (self.area.lines().len().clamp(1, 8) + 1) as u16
    }

    pub fn render(&self, area: Rect, buf: &mut Buffer) {
        (&self.area).render(area, buf);
    }
}
