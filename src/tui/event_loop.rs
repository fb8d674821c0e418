//! The event loop: terminal input, signals and the executor's answers become messages;
//! every message already queued is applied before a frame is drawn, and a frame is drawn
//! only when something changed, at most once every `FRAME`. The editor and the sign-in
//! command run after a frame, so the screen shows what led to them before it is
//! suspended.

use std::time::Duration;

use crossterm::event::Event;
use futures_util::{FutureExt, Stream, StreamExt};
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::executor::Executor;
use super::frames::FrameStats;
use crate::app::{App, EditorTarget, Effect, Msg, Overlay, update};
use crate::ui::View;

/// At most this often a frame is drawn; messages that arrive in between are coalesced.
pub(super) const FRAME: Duration = Duration::from_millis(16);

/// What the loop needs of the terminal.
pub(crate) trait Screen {
    type Backend: ratatui::backend::Backend;
    fn draw(&mut self, render: impl FnOnce(&mut ratatui::Frame)) -> std::io::Result<()>;
    /// Rows of the screen.
    fn height(&self) -> u16;
    fn set_mouse(&mut self, on: bool) -> std::io::Result<()>;
    /// Suspends the screen while `text` is edited in the user's editor; the edited
    /// text, or why there is none.
    fn edit(&mut self, text: &str, file_name: &str) -> std::io::Result<Result<String, String>>;
    /// Suspends the screen while `command` runs on the terminal; whether it succeeded.
    fn run_command(&mut self, command: &str) -> std::io::Result<Result<(), String>>;
    /// Puts `text` on the terminal's clipboard (OSC 52).
    fn copy(&mut self, text: &str) -> std::io::Result<()>;
}

/// What takes the terminal once the next frame is drawn.
enum Foreground {
    Editor(String, EditorTarget),
    SignIn(String),
}

pub(crate) struct EventLoop<S: Screen> {
    pub app: App,
    pub view: View,
    pub screen: S,
    pub executor: Executor,
    rx: mpsc::UnboundedReceiver<Msg>,
    tx: mpsc::UnboundedSender<Msg>,
    /// Something changed since the last frame.
    dirty: bool,
    /// No frame is drawn before this.
    next_frame: Instant,
    /// What runs on the terminal once the next frame is drawn.
    foreground: Option<Foreground>,
    /// Frames drawn so far.
    pub frames: u64,
    pub stats: Option<FrameStats>,
    /// The wall clock, in milliseconds since the Unix epoch.
    pub clock: fn() -> i64,
}

impl<S: Screen> EventLoop<S> {
    pub fn new(
        app: App,
        view: View,
        screen: S,
        executor: Executor,
        tx: mpsc::UnboundedSender<Msg>,
        rx: mpsc::UnboundedReceiver<Msg>,
    ) -> Self {
        EventLoop {
            app,
            view,
            screen,
            executor,
            rx,
            tx,
            dirty: true,
            next_frame: Instant::now(),
            foreground: None,
            frames: 0,
            stats: None,
            clock: crate::clock::now_ms,
        }
    }

    /// Runs until the app quits: `input` is the terminal's events, `stop` fires on a
    /// signal that ends the app.
    pub async fn run(
        &mut self,
        mut input: impl Stream<Item = std::io::Result<Event>> + Unpin,
        mut stop: impl Stream<Item = ()> + Unpin,
    ) -> anyhow::Result<()> {
        while !self.app.quitting {
            if self.dirty && Instant::now() >= self.next_frame {
                self.draw()?;
            }
            if let Some(job) = self.foreground.take() {
                self.draw()?;
                let msg = match job {
                    Foreground::Editor(text, target) => Msg::Edited {
                        target,
                        result: self.screen.edit(&text, &target.file_name())?,
                    },
                    Foreground::SignIn(command) => {
                        Msg::SignedIn(self.screen.run_command(&command)?)
                    }
                };
                self.apply(vec![msg])?;
                continue;
            }
            let batch = self.next_batch(&mut input, &mut stop).await?;
            self.apply(batch)?;
        }
        Ok(())
    }

    /// Waits for something to happen; returns the messages it makes (none for a frame
    /// that is due, a checkpoint, or input, which is applied as it is read).
    async fn next_batch(
        &mut self,
        input: &mut (impl Stream<Item = std::io::Result<Event>> + Unpin),
        stop: &mut (impl Stream<Item = ()> + Unpin),
    ) -> anyhow::Result<Vec<Msg>> {
        let checkpoint = self.executor.due();
        // The jobs pane's running times move on each second.
        let ticking = self.app.overlay == Overlay::Jobs;
        let mut batch = Vec::new();
        tokio::select! {
            ev = input.next() => {
                let mut next = Some(ev);
                // Every key already queued is applied before the next frame, each on
                // the state the keys before it left, so a burst is not drawn one frame
                // per key. A key that hands the terminal over or quits ends the run.
                while let Some(ev) = next {
                    match ev {
                        Some(Ok(ev)) => {
                            let msgs = self.on_input(ev);
                            self.apply(msgs)?;
                        }
                        Some(Err(e)) => return Err(e.into()),
                        None => batch.push(Msg::Quit),
                    }
                    next = (batch.is_empty() && !self.app.quitting && self.foreground.is_none())
                        .then(|| input.next().now_or_never())
                        .flatten();
                }
            }
            Some(msg) = self.rx.recv() => {
                batch.push(msg);
                // Everything already queued goes into the same frame, a stream's
                // pieces merged.
                while let Ok(m) = self.rx.try_recv() {
                    batch.push(m);
                }
                batch = crate::app::msg::coalesce(batch);
            }
            Some(()) = stop.next() => batch.push(Msg::Quit),
            _ = tokio::time::sleep_until(self.next_frame), if self.dirty => {}
            _ = sleep_until(checkpoint), if checkpoint.is_some() => {
                self.executor.checkpoint(&self.app);
            }
            _ = tokio::time::sleep(Duration::from_secs(1)), if ticking => self.dirty = true,
        }
        Ok(batch)
    }

    /// The messages a terminal event makes, with the draft's change if it made one.
    fn on_input(&mut self, ev: Event) -> Vec<Msg> {
        self.dirty = true;
        let page = i32::from(self.screen.height() / 2);
        let mut msgs = super::input::on_event(ev, &self.app, &mut self.view, page);
        let draft = self.view.composer.text();
        if draft != self.app.meter.draft {
            msgs.push(Msg::DraftChanged(draft));
        }
        msgs
    }

    /// Applies each message and carries out the effects it asks for.
    fn apply(&mut self, batch: Vec<Msg>) -> anyhow::Result<()> {
        if batch.is_empty() {
            return Ok(());
        }
        self.dirty = true;
        self.app.clock_ms = (self.clock)();
        for msg in batch {
            for effect in update(&mut self.app, msg) {
                match effect {
                    Effect::SetComposer(text) => {
                        self.view.composer.set_text(&text);
                        let _ = self.tx.send(Msg::DraftChanged(text));
                    }
                    Effect::Clipboard(text) => self.screen.copy(&text)?,
                    Effect::InsertComposer(text) => {
                        if let Err(refused) = self.view.composer.paste(&text) {
                            tracing::debug!("pasted path not inserted: {refused:?}");
                        }
                        let _ = self.tx.send(Msg::DraftChanged(self.view.composer.text()));
                    }
                    Effect::Editor { text, target } => {
                        self.foreground = Some(Foreground::Editor(text, target));
                    }
                    Effect::SignIn(command) => {
                        self.foreground = Some(Foreground::SignIn(command));
                    }
                    Effect::MouseCapture(on) => self.screen.set_mouse(on)?,
                    other => self.executor.run(other, &self.app),
                }
            }
        }
        Ok(())
    }

    fn draw(&mut self) -> anyhow::Result<()> {
        let began = std::time::Instant::now();
        self.view.now_ms = (self.clock)();
        let (view, app) = (&mut self.view, &self.app);
        self.screen.draw(|f| view.draw(f, app))?;
        if let Some(stats) = self.stats.as_mut() {
            stats.record(began, began.elapsed(), self.executor.counting());
        }
        self.frames += 1;
        self.dirty = false;
        self.next_frame = Instant::now() + FRAME;
        // Which answer is on screen is known once it is drawn; only the trace pane
        // shows it, so only then is another frame needed.
        let focus = self.view.focus();
        if focus != self.app.focus {
            self.apply(vec![Msg::Focus(focus)])?;
            self.dirty = crate::app::guardrail::pane_follows_focus(&self.app);
        }
        Ok(())
    }

    /// Stops the executor's tasks and writes what the history still has to write.
    pub fn finish(self) {
        if let Some(stats) = self.stats {
            stats.write();
        }
        self.executor.shutdown(&self.app);
    }
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
#[path = "event_loop_tests.rs"]
mod tests;
