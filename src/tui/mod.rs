//! The interactive app: terminal set-up and restoration, the event loop (terminal input,
//! effect results, signals) and the executor that runs the reducer's effects.

use std::collections::HashMap;
use std::io::Write;
use std::time::Duration;

use anyhow::Context;
use crossterm::event::{
    DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste, EventStream,
};
use crossterm::terminal::{self, EnterAlternateScreen, LeaveAlternateScreen};
use crossterm::{execute, queue};
use futures_util::StreamExt;
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use tokio::sync::{mpsc, watch};
use tokio::task::AbortHandle;

use crate::app::meter::{Count, Timing};
use crate::app::state::Link;
use crate::app::{App, Effect, Msg, TurnId, update};
use crate::bedrock::{self, ConnectOptions, Connection, Endpoint};
use crate::conversation::Inference;
use crate::keymap::Keymap;
use crate::persist::Persister;
use crate::store::Store;
use crate::ui::View;

mod frames;
mod input;
mod jobs;

use frames::FrameStats;

use input::on_event;

/// At most this often a frame is drawn; messages that arrive in between are coalesced.
const FRAME: Duration = Duration::from_millis(16);

/// Puts the terminal back as it was: cooked mode, main screen, no paste or mouse modes.
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

struct Restore;

impl Drop for Restore {
    fn drop(&mut self) {
        restore();
    }
}

fn link_of(conn: &Connection) -> Link {
    match &conn.endpoint {
        Endpoint::Aws => Link::Aws {
            region: conn.region.clone(),
            profile: conn.profile.clone(),
        },
        Endpoint::Custom(url) => Link::Custom {
            url: url.clone(),
            region: conn.region.clone(),
        },
        Endpoint::Local { url, reason } => Link::Local {
            url: url.clone(),
            reason: reason.clone(),
        },
    }
}

pub struct Options {
    pub connect: ConnectOptions,
    pub model: String,
    pub system: Option<String>,
    pub inference: Inference,
    /// Resume the most recent conversation of the history.
    pub continue_last: bool,
    pub keys: Keymap,
    pub theme: Option<String>,
    /// Where exports without a path go.
    pub export_dir: std::path::PathBuf,
    /// The prices the meter uses: the built-in ones with the config's overrides.
    pub prices: &'static crate::pricing::Prices,
    /// The guardrail turns are sent with.
    pub guardrail: Option<crate::guardrail::GuardrailChoice>,
    /// The guardrails of the config, offered by the guardrail picker.
    pub guardrails: Vec<crate::guardrail::GuardrailChoice>,
    /// Where job outputs are downloaded.
    pub download_dir: std::path::PathBuf,
    /// The start form's default output location.
    pub jobs_output: Option<crate::jobs::S3Uri>,
}

/// Opens the history and, when asked, the most recent conversation in it.
fn open_history(
    app: &mut App,
    continue_last: bool,
    export_dir: std::path::PathBuf,
    tx: &mpsc::UnboundedSender<Msg>,
) -> Option<Persister> {
    let store = match Store::default_path().and_then(Store::open) {
        Ok(s) => s,
        Err(e) => {
            app.notice = Some(crate::app::Notice::Error(format!("History is off: {e}")));
            return None;
        }
    };
    let mut resumed = None;
    if continue_last {
        match store
            .last()
            .and_then(|id| id.map(|id| store.load(id)).transpose())
        {
            Ok(Some(conv)) => {
                app.show_conversation(&conv);
                app.notice = Some(crate::app::Notice::Info(format!(
                    "Continuing \u{201c}{}\u{201d}.",
                    conv.title
                )));
                resumed = Some(conv.id);
            }
            Ok(None) => {
                app.notice = Some(crate::app::Notice::Info(
                    "No earlier conversation to continue.".into(),
                ))
            }
            Err(e) => {
                app.notice = Some(crate::app::Notice::Error(format!(
                    "Could not open the last conversation: {e}"
                )))
            }
        }
    }
    let replies = tx.clone();
    let mut p = Persister::start(store, resumed, export_dir, move |msg| {
        let _ = replies.send(msg);
    });
    p.mark_saved(app);
    Some(p)
}

/// The connection once credentials resolved; `None` if they never will (the app is
/// shutting down).
async fn connection(mut rx: watch::Receiver<Option<Connection>>) -> Option<Connection> {
    rx.wait_for(Option::is_some).await.ok()?.clone()
}

pub async fn run(opts: Options) -> anyhow::Result<()> {
    terminal::enable_raw_mode().context("switching the terminal to raw mode")?;
    let _restore = Restore;
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore();
        previous(info);
    }));
    execute!(
        std::io::stdout(),
        EnterAlternateScreen,
        EnableBracketedPaste
    )?;
    let mut terminal = Terminal::new(CrosstermBackend::new(std::io::stdout()))?;
    terminal.clear()?;

    let mut app = App::new(opts.model);
    app.system = opts.system;
    app.inference = opts.inference;
    app.guardrail = opts.guardrail;
    app.guardrails = opts.guardrails;
    app.jobs.download_dir = opts.download_dir;
    app.jobs.output = opts.jobs_output;
    app.jobs.session = uuid::Uuid::new_v4().simple().to_string();
    if let Some(t) = opts.theme {
        app.theme = t;
    }
    let mut view = View::new(opts.keys, opts.prices);
    let (tx, mut rx) = mpsc::unbounded_channel::<Msg>();
    let mut history = open_history(&mut app, opts.continue_last, opts.export_dir, &tx);
    let (conn_tx, conn_rx) = watch::channel::<Option<Connection>>(None);

    // Credentials resolve in the background: the first frame does not wait for them.
    {
        let tx = tx.clone();
        let connect = opts.connect.clone();
        tokio::spawn(async move {
            match bedrock::connect(&connect).await {
                Ok(conn) => {
                    let _ = tx.send(Msg::Connected(link_of(&conn)));
                    let _ = conn_tx.send(Some(conn.clone()));
                    // What the region offers fills the picker when it comes; the
                    // catalog serves until then, or if the list cannot be had.
                    let live = bedrock::control::cached_or_fetch(&conn).await;
                    let _ = tx.send(Msg::LiveModels(live.map_err(|e| e.to_string())));
                }
                Err(e) => {
                    let _ = tx.send(Msg::Connected(Link::Failed(e.to_string())));
                }
            }
        });
    }

    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate())?;
    let mut hup = signal(SignalKind::hangup())?;
    let mut events = EventStream::new();
    let mut turns: HashMap<TurnId, AbortHandle> = HashMap::new();
    let mut counting: Option<AbortHandle> = None;
    let mut frame_stats = FrameStats::from_env();
    let mut mouse = false;
    let mut dirty = true;
    let mut next_frame = tokio::time::Instant::now();

    loop {
        if dirty && tokio::time::Instant::now() >= next_frame {
            let drawing = std::time::Instant::now();
            queue!(std::io::stdout(), terminal::BeginSynchronizedUpdate)?;
            terminal.draw(|f| view.draw(f, &app))?;
            execute!(std::io::stdout(), terminal::EndSynchronizedUpdate)?;
            if let Some(stats) = frame_stats.as_mut() {
                stats.record(drawing, drawing.elapsed(), app.meter.next.in_flight());
            }
            dirty = false;
            next_frame = tokio::time::Instant::now() + FRAME;
        }
        let mut msgs = Vec::new();
        // Which answer is on screen is known once it is drawn.
        let focus = view.focus();
        if focus != app.focus {
            msgs.push(Msg::Focus(focus));
            dirty = true;
        }
        tokio::select! {
            ev = events.next() => match ev {
                Some(Ok(ev)) => {
                    dirty = true;
                    msgs.extend(on_event(ev, &app, &mut view, &mut mouse, &mut terminal)?);
                    let draft = view.composer.text();
                    if draft != app.meter.draft {
                        msgs.push(Msg::DraftChanged(draft));
                    }
                }
                Some(Err(e)) => return Err(e.into()),
                None => msgs.push(Msg::Quit),
            },
            Some(msg) = rx.recv() => {
                msgs.push(msg);
                // Coalesce: everything already queued goes into the same frame.
                while let Ok(m) = rx.try_recv() {
                    msgs.push(m);
                }
                dirty = true;
            }
            _ = term.recv() => msgs.push(Msg::Quit),
            _ = hup.recv() => msgs.push(Msg::Quit),
            _ = tokio::time::sleep_until(next_frame), if dirty => {}
            // The jobs pane's running times move on.
            _ = tokio::time::sleep(Duration::from_secs(1)), if app.overlay == crate::app::Overlay::Jobs => {
                dirty = true;
            }
        }
        for msg in msgs {
            for effect in update(&mut app, msg) {
                match effect {
                    Effect::StartTurn { id, request } => {
                        let tx = tx.clone();
                        let conn_rx = conn_rx.clone();
                        let handle = tokio::spawn(async move {
                            let Some(conn) = connection(conn_rx).await else {
                                return;
                            };
                            let events = tx.clone();
                            let started = std::time::Instant::now();
                            let mut first_token_ms = None;
                            let result = bedrock::stream_turn(&conn, &request, |event| {
                                if first_token_ms.is_none() && event.is_content() {
                                    first_token_ms = Some(started.elapsed().as_millis() as u64);
                                }
                                let _ = events.send(Msg::Turn { id, event });
                            })
                            .await;
                            let timing = Timing {
                                first_token_ms,
                                total_ms: started.elapsed().as_millis() as u64,
                                service_ms: None,
                            };
                            let _ = tx.send(Msg::TurnTiming { id, timing });
                            let _ = tx.send(match result {
                                Ok(()) => Msg::TurnDone { id },
                                Err(error) => Msg::TurnFailed { id, error },
                            });
                        });
                        turns.retain(|_, h| !h.is_finished());
                        turns.insert(id, handle.abort_handle());
                    }
                    Effect::ScheduleCount { request, after } => {
                        let tx = tx.clone();
                        tokio::spawn(async move {
                            tokio::time::sleep(after).await;
                            let _ = tx.send(Msg::CountDue(request));
                        });
                    }
                    Effect::CountTokens {
                        request,
                        turn,
                        with_draft,
                    } => {
                        // A newer draft supersedes the count in flight.
                        if let Some(h) = counting.take() {
                            h.abort();
                        }
                        let tx = tx.clone();
                        let conn_rx = conn_rx.clone();
                        let handle = tokio::spawn(async move {
                            let Some(conn) = connection(conn_rx).await else {
                                return;
                            };
                            let result = bedrock::count::count_input(&conn, &turn)
                                .await
                                .map(|c| Count {
                                    tokens: c.tokens,
                                    exact: c.exact,
                                    with_draft,
                                })
                                .map_err(|e| e.to_string());
                            let _ = tx.send(Msg::Counted { request, result });
                        });
                        counting = Some(handle.abort_handle());
                    }
                    Effect::CancelTurn(id) => {
                        if let Some(h) = turns.remove(&id) {
                            h.abort();
                        }
                    }
                    Effect::SetComposer(text) => {
                        view.composer.set_text(&text);
                        let _ = tx.send(Msg::DraftChanged(text));
                    }
                    Effect::NewConversation => {
                        if let Some(h) = history.as_mut() {
                            h.new_conversation();
                        }
                    }
                    Effect::ListHistory { request, query } => match history.as_ref() {
                        Some(h) => h.list(request, query),
                        None => {
                            let _ = tx.send(Msg::HistoryListed {
                                request,
                                rows: Err("History is off.".into()),
                            });
                        }
                    },
                    Effect::OpenConversation(id) => {
                        if let Some(h) = history.as_mut() {
                            // What the old conversation still has to write goes first.
                            h.sync(&app);
                            h.open(id);
                        }
                    }
                    Effect::AdoptConversation => {
                        if let Some(h) = history.as_mut() {
                            h.mark_saved(&app);
                        }
                    }
                    Effect::RenameConversation { id, title } => {
                        if let Some(h) = history.as_ref() {
                            h.rename(id, title);
                        }
                    }
                    Effect::DeleteConversation(id) => {
                        if let Some(h) = history.as_ref() {
                            h.delete(id);
                        }
                    }
                    Effect::Export {
                        conversation,
                        format,
                        path,
                    } => match history.as_mut() {
                        Some(h) => {
                            h.sync(&app);
                            h.export(conversation, format, path);
                        }
                        None => {
                            let _ = tx.send(Msg::Stored(Err(
                                "History is off, so there is nothing to export.".into(),
                            )));
                        }
                    },
                    Effect::ApplyGuardrail {
                        request,
                        guardrail,
                        source,
                        text,
                    } => {
                        let tx = tx.clone();
                        let conn_rx = conn_rx.clone();
                        tokio::spawn(async move {
                            let Some(conn) = connection(conn_rx).await else {
                                return;
                            };
                            let result = bedrock::guardrail::apply(
                                &conn,
                                &guardrail,
                                source,
                                &[text],
                                guardrail.trace == crate::guardrail::TraceMode::EnabledFull,
                            )
                            .await
                            .map_err(|e| e.to_string());
                            let _ = tx.send(Msg::Checked { request, result });
                        });
                    }
                    Effect::ListJobs { request } => {
                        jobs::list(request, conn_rx.clone(), tx.clone());
                    }
                    Effect::ScheduleJobsPoll { poll, after } => {
                        jobs::schedule_poll(poll, after, tx.clone());
                    }
                    Effect::StartJob(start) => jobs::start(start, conn_rx.clone(), tx.clone()),
                    Effect::DownloadJob {
                        arn,
                        folder,
                        dir,
                        overwrite,
                    } => jobs::download(arn, folder, dir, overwrite, conn_rx.clone(), tx.clone()),
                    Effect::Quit => {}
                }
            }
        }
        if let Some(h) = history.as_mut() {
            h.sync(&app);
        }
        if app.quitting {
            break;
        }
    }
    for h in turns.values() {
        h.abort();
    }
    if let Some(stats) = frame_stats {
        stats.write();
    }
    if let Some(mut h) = history {
        // A stopped answer's final state is written before the app exits.
        h.sync(&app);
        h.close();
    }
    Ok(())
}
