//! Terminal input, read on a thread of its own with crossterm's blocking reader. That
//! reader hands out every event the terminal has queued, where crossterm's async stream
//! can leave already-read keys waiting until more bytes arrive (a burst of keys stalled
//! it). The thread pauses while another program has the terminal, so `$EDITOR` gets
//! every key typed into it.

use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Duration;

use crossterm::event::{self, Event};
use futures_util::Stream;
use tokio::sync::mpsc;

/// How long the thread waits for input before it looks whether it should pause: the
/// longest a pause waits.
const POLL: Duration = Duration::from_millis(50);

/// What the loop and the thread agree on.
#[derive(Default)]
struct State {
    /// The thread is to stop reading.
    paused: bool,
    /// The thread has stopped reading and waits to be resumed.
    parked: bool,
    /// The thread is to end.
    closed: bool,
}

#[derive(Default)]
struct Gate {
    state: Mutex<State>,
    changed: Condvar,
}

impl Gate {
    fn lock(&self) -> MutexGuard<'_, State> {
        // The state is three flags, consistent whatever a panicking holder did.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn wait<'a>(&self, guard: MutexGuard<'a, State>) -> MutexGuard<'a, State> {
        self.changed.wait(guard).unwrap_or_else(|e| e.into_inner())
    }

    /// The thread's turn to read: parks while paused; false once closed.
    fn admit(&self) -> bool {
        let mut state = self.lock();
        while state.paused && !state.closed {
            if !state.parked {
                state.parked = true;
                self.changed.notify_all();
            }
            state = self.wait(state);
        }
        state.parked = false;
        !state.closed
    }
}

/// The handle that pauses, resumes and ends the reading thread.
pub(super) struct Reader {
    gate: Arc<Gate>,
}

/// Starts reading the terminal; the handle, and the events as a stream.
pub(super) fn start() -> (Reader, impl Stream<Item = std::io::Result<Event>> + Unpin) {
    let gate = Arc::new(Gate::default());
    let (tx, rx) = mpsc::unbounded_channel();
    let thread_gate = gate.clone();
    std::thread::Builder::new()
        .name("terminal-input".into())
        .spawn(move || read(&thread_gate, &tx))
        .map(drop)
        .unwrap_or_else(|e| tracing::error!("cannot start the terminal reader: {e}"));
    let events =
        futures_util::stream::unfold(
            rx,
            |mut rx| async move { rx.recv().await.map(|ev| (ev, rx)) },
        );
    (Reader { gate }, Box::pin(events))
}

/// The thread: every event to `tx`, until the loop is gone, the reader is closed or the
/// terminal fails.
fn read(gate: &Gate, tx: &mpsc::UnboundedSender<std::io::Result<Event>>) {
    while gate.admit() {
        let next = match event::poll(POLL) {
            Ok(true) => event::read(),
            Ok(false) => continue,
            Err(e) => Err(e),
        };
        let failed = next.is_err();
        // A failed terminal is said once and ends the reading.
        if tx.send(next).is_err() || failed {
            return;
        }
    }
}

impl Reader {
    /// Stops reading the terminal; returns once the thread reads no more.
    pub fn pause(&self) {
        let mut state = self.gate.lock();
        state.paused = true;
        while !state.parked && !state.closed {
            state = self.gate.wait(state);
        }
    }

    /// Reads the terminal again after `pause`.
    pub fn resume(&self) {
        self.gate.lock().paused = false;
        self.gate.changed.notify_all();
    }
}

impl Drop for Reader {
    fn drop(&mut self) {
        self.gate.lock().closed = true;
        self.gate.changed.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pause_waits_for_the_thread_to_park_and_a_resume_frees_it() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let gate = Arc::new(Gate::default());
        let reader = Reader { gate: gate.clone() };
        let rounds = Arc::new(AtomicUsize::new(0));
        let (thread_gate, thread_rounds) = (gate.clone(), rounds.clone());
        // The reading thread's gate, without a terminal to read.
        let worker = std::thread::spawn(move || {
            while thread_gate.admit() {
                thread_rounds.fetch_add(1, Ordering::SeqCst);
                std::thread::sleep(Duration::from_millis(1));
            }
        });
        reader.pause();
        assert!(
            gate.lock().parked,
            "pause returned before the thread parked"
        );
        let paused_at = rounds.load(Ordering::SeqCst);
        std::thread::sleep(Duration::from_millis(20));
        assert_eq!(
            rounds.load(Ordering::SeqCst),
            paused_at,
            "it read while paused"
        );
        reader.resume();
        let resumed = std::time::Instant::now();
        while rounds.load(Ordering::SeqCst) == paused_at {
            assert!(
                resumed.elapsed() < Duration::from_secs(10),
                "it stayed parked"
            );
            std::thread::yield_now();
        }
        drop(reader);
        worker.join().expect("the thread ends once closed");
    }
}
