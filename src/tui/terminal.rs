//! The terminal: raw mode, the alternate screen and bracketed paste while the app runs,
//! put back as it was on every way out (return, error, panic), and suspended while
//! `$EDITOR` has it, its input read on a thread that pauses then too. Each frame is written as one synchronized update, through the
//! backend that blanks any cell a control character slipped into.

use std::io::{Stdout, Write};

use crossterm::event::{
    DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste, EnableMouseCapture, Event,
};
use crossterm::terminal::{self, EnterAlternateScreen, LeaveAlternateScreen};
use crossterm::{execute, queue};
use futures_util::Stream;
use ratatui::Terminal as Ratatui;
use ratatui::backend::CrosstermBackend;

use super::event_loop::Screen;
use super::reader::{self, Reader};
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
    /// Paused while another program has the terminal.
    reader: Reader,
}

impl Terminal {
    /// Takes the terminal over; a panic from now on restores it before the message.
    /// Returns the terminal and its input events.
    pub fn enter() -> anyhow::Result<(Terminal, impl Stream<Item = std::io::Result<Event>> + Unpin)>
    {
        terminal::enable_raw_mode()?;
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            restore();
            previous(info);
        }));
        let (reader, input) = reader::start();
        let mut t = Terminal {
            inner: Ratatui::new(SafeBackend(CrosstermBackend::new(std::io::stdout())))?,
            mouse: false,
            reader,
        };
        t.resume()?;
        Ok((t, input))
    }

    /// Hands the terminal to `run` and takes it back after.
    fn suspended<T>(&mut self, run: impl FnOnce() -> T) -> std::io::Result<T> {
        self.reader.pause();
        restore();
        let out = run();
        self.resume()?;
        self.reader.resume();
        Ok(out)
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

    fn edit(&mut self, text: &str, file_name: &str) -> std::io::Result<Result<String, String>> {
        self.suspended(|| super::editor::edit(text, file_name))
    }

    fn copy(&mut self, text: &str) -> std::io::Result<()> {
        use base64::Engine;
        use std::io::Write;
        // The text travels base64-encoded: nothing in it can act on the terminal.
        let b64 = base64::engine::general_purpose::STANDARD.encode(text);
        let mut out = std::io::stdout();
        write!(out, "\x1b]52;c;{b64}\x07")?;
        out.flush()
    }

    fn run_command(&mut self, command: &str) -> std::io::Result<Result<(), String>> {
        let status = self.suspended(|| {
            println!("bedrock-tui: running `{command}`");
            // Through the shell, as the config gives one command line with its arguments.
            std::process::Command::new("sh")
                .arg("-c")
                .arg(command)
                .status()
        })?;
        Ok(match status {
            Ok(s) if s.success() => Ok(()),
            Ok(s) => Err(format!("`{command}` ended with {s}")),
            Err(e) => Err(format!("cannot run `{command}`: {e}")),
        })
    }
}
