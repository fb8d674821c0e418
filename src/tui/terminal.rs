//! The terminal: raw mode, the alternate screen and bracketed paste while the app runs,
//! put back as it was on every way out (return, error, panic), and suspended while
//! `$EDITOR` has it. Each frame is written as one synchronized update, through the
//! backend that blanks any cell a control character slipped into.

use std::io::{Stdout, Write};

use crossterm::event::{
    DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste, EnableMouseCapture,
};
use crossterm::terminal::{self, EnterAlternateScreen, LeaveAlternateScreen};
use crossterm::{execute, queue};
use ratatui::Terminal as Ratatui;
use ratatui::backend::CrosstermBackend;

use super::event_loop::Screen;
use super::safe_backend::SafeBackend;

/// Puts the terminal back as it was: mouse and paste modes off, main screen, cursor
/// shown, cooked mode.
pub fn restore() {
    let mut out = std::io::stdout();
    let _ = execute!(
        out,
        DisableMouseCapture,
        DisableBracketedPaste,
        LeaveAlternateScreen,
        crossterm::cursor::Show
    );
    let _ = terminal::disable_raw_mode();
    let _ = out.flush();
}

/// The app's terminal; dropping it restores the terminal.
pub(super) struct Terminal {
    inner: Ratatui<SafeBackend<CrosstermBackend<Stdout>>>,
    mouse: bool,
}

impl Terminal {
    /// Takes the terminal over; a panic from now on restores it before the message.
    pub fn enter() -> anyhow::Result<Terminal> {
        terminal::enable_raw_mode()?;
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            restore();
            previous(info);
        }));
        let mut t = Terminal {
            inner: Ratatui::new(SafeBackend(CrosstermBackend::new(std::io::stdout())))?,
            mouse: false,
        };
        t.resume()?;
        Ok(t)
    }

    fn resume(&mut self) -> std::io::Result<()> {
        terminal::enable_raw_mode()?;
        execute!(
            std::io::stdout(),
            EnterAlternateScreen,
            EnableBracketedPaste
        )?;
        if self.mouse {
            execute!(std::io::stdout(), EnableMouseCapture)?;
        }
        self.inner.clear()
    }
}

impl Drop for Terminal {
    fn drop(&mut self) {
        restore();
    }
}

impl Screen for Terminal {
    type Backend = SafeBackend<CrosstermBackend<Stdout>>;

    fn draw(&mut self, render: impl FnOnce(&mut ratatui::Frame)) -> std::io::Result<()> {
        queue!(std::io::stdout(), terminal::BeginSynchronizedUpdate)?;
        self.inner.draw(render)?;
        execute!(std::io::stdout(), terminal::EndSynchronizedUpdate)
    }

    fn height(&self) -> u16 {
        self.inner.size().map(|s| s.height).unwrap_or(24)
    }

    fn set_mouse(&mut self, on: bool) -> std::io::Result<()> {
        self.mouse = on;
        if on {
            execute!(std::io::stdout(), EnableMouseCapture)
        } else {
            execute!(std::io::stdout(), DisableMouseCapture)
        }
    }

    fn edit(&mut self, text: &str) -> std::io::Result<Result<String, String>> {
        restore();
        let edited = super::editor::edit(text);
        self.resume()?;
        Ok(edited)
    }

    fn run_command(&mut self, command: &str) -> std::io::Result<Result<(), String>> {
        restore();
        println!("bedrock-tui: running `{command}`");
        // Through the shell, as the config gives one command line with its arguments.
        let status = std::process::Command::new("sh")
            .arg("-c")
            .arg(command)
            .status();
        self.resume()?;
        Ok(match status {
            Ok(s) if s.success() => Ok(()),
            Ok(s) => Err(format!("`{command}` ended with {s}")),
            Err(e) => Err(format!("cannot run `{command}`: {e}")),
        })
    }
}
