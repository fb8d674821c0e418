//! The last guard between the screen and the terminal: a backend that passes every cell
//! on, but replaces a cell's symbol that holds a control character or a bidirectional
//! override (text that did not come through the sanitizer) with a blank, so no escape
//! sequence written into a pane can reach the terminal.

use std::io;

use ratatui::backend::{Backend, ClearType, WindowSize};
use ratatui::buffer::Cell;
use ratatui::layout::{Position, Size};

/// Whether `symbol` can reach a terminal as it is.
fn printable(symbol: &str) -> bool {
    !symbol
        .chars()
        .any(|c| c.is_control() || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'))
}

pub(super) struct SafeBackend<B>(pub B);

impl<B: Backend> Backend for SafeBackend<B> {
    fn draw<'a, I>(&mut self, content: I) -> io::Result<()>
    where
        I: Iterator<Item = (u16, u16, &'a Cell)>,
    {
        let cells: Vec<(u16, u16, &Cell)> = content.collect();
        if cells.iter().all(|(_, _, c)| printable(c.symbol())) {
            return self.0.draw(cells.into_iter());
        }
        let cleaned: Vec<(u16, u16, Cell)> = cells
            .into_iter()
            .map(|(x, y, c)| {
                let mut c = c.clone();
                if !printable(c.symbol()) {
                    c.set_symbol(" ");
                }
                (x, y, c)
            })
            .collect();
        self.0.draw(cleaned.iter().map(|(x, y, c)| (*x, *y, c)))
    }

    fn append_lines(&mut self, n: u16) -> io::Result<()> {
        self.0.append_lines(n)
    }

    fn hide_cursor(&mut self) -> io::Result<()> {
        self.0.hide_cursor()
    }

    fn show_cursor(&mut self) -> io::Result<()> {
        self.0.show_cursor()
    }

    fn get_cursor_position(&mut self) -> io::Result<Position> {
        self.0.get_cursor_position()
    }

    fn set_cursor_position<P: Into<Position>>(&mut self, position: P) -> io::Result<()> {
        self.0.set_cursor_position(position)
    }

    fn clear(&mut self) -> io::Result<()> {
        self.0.clear()
    }

    fn clear_region(&mut self, clear_type: ClearType) -> io::Result<()> {
        self.0.clear_region(clear_type)
    }

    fn size(&self) -> io::Result<Size> {
        self.0.size()
    }

    fn window_size(&mut self) -> io::Result<WindowSize> {
        self.0.window_size()
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

#[cfg(test)]
mod tests {
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;

    use super::*;

    #[test]
    fn a_cell_with_a_control_character_or_a_bidi_override_is_blanked() {
        let mut t = Terminal::new(SafeBackend(TestBackend::new(6, 1))).unwrap();
        t.draw(|f| {
            let buf = f.buffer_mut();
            buf[(0, 0)].set_symbol("a");
            buf[(1, 0)].set_symbol("\x1b");
            buf[(2, 0)].set_symbol("\u{9b}");
            buf[(3, 0)].set_symbol("\u{202E}");
            buf[(4, 0)].set_symbol("\x07");
            buf[(5, 0)].set_symbol("é");
        })
        .unwrap();
        t.backend().0.assert_buffer_lines(["a    é"]);
    }
}
