//! The composer: a multi-line text area where Enter sends and Alt+Enter (or Shift+Enter,
//! or Ctrl+J) starts a new line.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::widgets::{Block, Borders, Widget};
use tui_textarea::TextArea;

use crate::sanitize;

pub struct Composer {
    area: TextArea<'static>,
}

#[derive(Debug, PartialEq, Eq)]
pub enum Action {
    None,
    Submit(String),
}

impl Default for Composer {
    fn default() -> Self {
        let mut c = Composer {
            area: TextArea::default(),
        };
        c.style();
        c
    }
}

impl Composer {
    fn style(&mut self) {
        self.area.set_cursor_line_style(Style::default());
        self.area
            .set_placeholder_text("Message · Enter sends · Alt+Enter new line · F1 help");
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

    pub fn handle_key(&mut self, key: KeyEvent) -> Action {
        let newline = key
            .modifiers
            .intersects(KeyModifiers::ALT | KeyModifiers::SHIFT);
        match key.code {
            KeyCode::Enter if newline => {
                self.area.insert_newline();
                Action::None
            }
            KeyCode::Char('j') if key.modifiers.contains(KeyModifiers::CONTROL) => {
                self.area.insert_newline();
                Action::None
            }
            KeyCode::Enter => {
                if self.is_empty() {
                    return Action::None;
                }
                let text = self.text();
                self.set_text("");
                Action::Submit(text)
            }
            _ => {
                self.area.input(key);
                Action::None
            }
        }
    }

    /// Rows the composer wants: its lines (at most eight) and its top border.
    pub fn height(&self) -> u16 {
        (self.area.lines().len().clamp(1, 8) + 1) as u16
    }

    pub fn render(&self, area: Rect, buf: &mut Buffer) {
        (&self.area).render(area, buf);
    }
}
