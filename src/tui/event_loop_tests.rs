//! The event loop under paused time on a test screen: a burst of messages is drawn in
//! one frame, a steady stream at most once every `FRAME`, nothing when idle; typing
//! reaches the composer and the meter; the editor runs after a frame and its text comes
//! back to the composer.

use std::sync::{Arc, Mutex};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use futures_util::stream;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use tokio::sync::watch;

use super::*;
use crate::app::TurnId;
use crate::app::turn::TurnEvent;

struct TestScreen {
    terminal: Terminal<TestBackend>,
    /// What `edit` was given, and what it answers.
    edits: Arc<Mutex<Vec<String>>>,
    answer: Result<String, String>,
}

impl Screen for TestScreen {
    type Backend = TestBackend;

    fn draw(&mut self, render: impl FnOnce(&mut ratatui::Frame)) -> std::io::Result<()> {
        self.terminal.draw(render).map(|_| ())
    }

    fn height(&self) -> u16 {
        24
    }

    fn set_mouse(&mut self, _on: bool) -> std::io::Result<()> {
        Ok(())
    }

    fn edit(&mut self, text: &str, _: &str) -> std::io::Result<Result<String, String>> {
        self.edits.lock().unwrap().push(text.to_owned());
        Ok(self.answer.clone())
    }

    fn copy(&mut self, text: &str) -> std::io::Result<()> {
        self.edits
            .lock()
            .unwrap()
            .push(format!("clipboard: {text}"));
        Ok(())
    }

    fn run_command(&mut self, command: &str) -> std::io::Result<Result<(), String>> {
        // What the screen showed when the command took the terminal.
        let shown: String = self
            .terminal
            .backend()
            .buffer()
            .content()
            .iter()
            .map(|c| c.symbol())
            .collect();
        self.edits
            .lock()
            .unwrap()
            .push(format!("run {command} over: {shown}"));
        Ok(Ok(()))
    }
}

fn event_loop() -> (EventLoop<TestScreen>, mpsc::UnboundedSender<Msg>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let screen = TestScreen {
        terminal: Terminal::new(TestBackend::new(80, 24)).unwrap(),
        edits: Arc::default(),
        answer: Ok("Written in the editor".into()),
    };
    let executor = Executor::new(tx.clone(), watch::channel(None).1, None);
    let mut app = App::new("anthropic.claude-3-haiku-20240307-v1:0");
    // A conversation with an answer streaming in, as turn 1.
    crate::app::update(&mut app, Msg::Submit("Tell me a story".into()));
    let lp = EventLoop::new(app, View::default(), screen, executor, tx.clone(), rx);
    (lp, tx)
}

fn text(t: &str) -> Msg {
    Msg::Turn {
        id: TurnId(0),
        event: TurnEvent::Text(t.into()),
    }
}

/// A stream that ends the app after `after` (of paused time).
fn stop_after(after: Duration) -> impl Stream<Item = ()> + Unpin {
    stream::once(tokio::time::sleep(after)).boxed()
}

fn screen_text(lp: &EventLoop<TestScreen>) -> String {
    let buf = lp.screen.terminal.backend().buffer();
    buf.content().iter().map(|c| c.symbol()).collect()
}

#[tokio::test(start_paused = true)]
async fn a_burst_of_messages_is_applied_whole_and_drawn_in_one_frame() {
    let (mut lp, tx) = event_loop();
    for i in 0..500 {
        tx.send(text(&format!("w{i} "))).unwrap();
    }
    lp.run(stream::pending(), stop_after(Duration::from_secs(2)))
        .await
        .unwrap();
    // The first frame, then one for the whole burst; idle after that.
    assert_eq!(lp.frames, 2);
    assert!(lp.app.entries[1].message.text().ends_with("w499 "));
    assert!(
        screen_text(&lp).contains("w499"),
        "the last word is on screen"
    );
}

#[tokio::test(start_paused = true)]
async fn a_steady_stream_is_drawn_at_most_once_a_frame() {
    let (mut lp, tx) = event_loop();
    tokio::spawn(async move {
        for i in 0..160 {
            if tx.send(text(&format!("t{i} "))).is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    });
    lp.run(stream::pending(), stop_after(Duration::from_secs(1)))
        .await
        .unwrap();
    assert!(lp.app.entries[1].message.text().ends_with("t159 "));
    // 160 messages over 160 ms: about ten frames of 16 ms, not 160.
    let most = 2 + 160 / FRAME.as_millis() as u64;
    assert!(
        (3..=most).contains(&lp.frames),
        "{} frames for 160 messages",
        lp.frames
    );
}

#[tokio::test(start_paused = true)]
async fn an_idle_app_draws_nothing_more() {
    let (mut lp, _tx) = event_loop();
    lp.run(stream::pending(), stop_after(Duration::from_secs(30)))
        .await
        .unwrap();
    assert_eq!(lp.frames, 1);
}

#[tokio::test(start_paused = true)]
async fn typing_reaches_the_composer_and_the_meter() {
    let (mut lp, _tx) = event_loop();
    let keys = "Hi!".chars().map(|c| {
        Ok(Event::Key(KeyEvent::new(
            KeyCode::Char(c),
            KeyModifiers::NONE,
        )))
    });
    let input = stream::iter(keys).chain(stream::pending());
    lp.run(input, stop_after(Duration::from_secs(1)))
        .await
        .unwrap();
    assert_eq!(lp.view.composer.text(), "Hi!");
    assert_eq!(lp.app.meter.draft, "Hi!");
    assert!(screen_text(&lp).contains("Hi!"));
}

#[tokio::test(start_paused = true)]
async fn the_editor_runs_after_a_frame_and_its_text_returns_to_the_composer() {
    let (mut lp, tx) = event_loop();
    let edits = lp.screen.edits.clone();
    tx.send(Msg::EditDraft("Draft".into())).unwrap();
    lp.run(stream::pending(), stop_after(Duration::from_secs(1)))
        .await
        .unwrap();
    assert_eq!(*edits.lock().unwrap(), vec!["Draft".to_owned()]);
    assert_eq!(lp.view.composer.text(), "Written in the editor");
    assert_eq!(lp.app.meter.draft, "Written in the editor");
}

#[tokio::test(start_paused = true)]
async fn a_failed_editor_leaves_the_draft_and_says_why() {
    let (mut lp, tx) = event_loop();
    lp.screen.answer = Err("nano exited with exit status: 1".into());
    lp.view.composer.set_text("Draft");
    tx.send(Msg::EditDraft("Draft".into())).unwrap();
    lp.run(stream::pending(), stop_after(Duration::from_secs(1)))
        .await
        .unwrap();
    assert_eq!(lp.view.composer.text(), "Draft");
    assert!(
        matches!(&lp.app.notice, Some(crate::app::Notice::Error(m)) if m.contains("nano exited"))
    );
}

#[tokio::test(start_paused = true)]
async fn a_signal_quits_with_the_answer_marked_interrupted() {
    let (mut lp, tx) = event_loop();
    tx.send(text("Once upon a time")).unwrap();
    lp.run(stream::pending(), stop_after(Duration::from_millis(100)))
        .await
        .unwrap();
    assert!(lp.app.quitting);
    assert_eq!(lp.app.entries[1].state, crate::app::EntryState::Interrupted);
    assert_eq!(lp.app.entries[1].message.text(), "Once upon a time");
}

#[tokio::test(start_paused = true)]
async fn the_sign_in_command_runs_after_a_frame_then_the_question_is_asked_again() {
    let (mut lp, tx) = event_loop();
    lp.app.auth_refresh = Some("aws sso login".into());
    let runs = lp.screen.edits.clone();
    tx.send(Msg::TurnFailed {
        id: TurnId(0),
        error: crate::app::error::BedrockError::Expired {
            message: "the SSO token has expired.".into(),
            profile: String::new(),
        },
    })
    .unwrap();
    tx.send(Msg::SignIn(true)).unwrap();
    lp.run(stream::pending(), stop_after(Duration::from_secs(1)))
        .await
        .unwrap();
    let runs = runs.lock().unwrap();
    assert_eq!(runs.len(), 1, "{runs:?}");
    assert!(runs[0].starts_with("run aws sso login over: "), "{runs:?}");
    assert!(
        runs[0].contains("session has expired"),
        "the reason was on screen: {runs:?}"
    );
    // Asked again: the question and a new answer, streaming until the signal.
    assert_eq!(lp.app.entries.len(), 2);
    assert_eq!(lp.app.entries[0].message.text(), "Tell me a story");
    assert_eq!(lp.app.entries[1].state, crate::app::EntryState::Interrupted);
}
