//! The executor: carries out the reducer's effects. It owns every running task (turns,
//! token counts, guardrail checks, job listings, polls, starts and downloads) and the
//! history's thread; each task answers with a `Msg` on the event loop's channel. The
//! effects that need the terminal (the editor, the mouse, the composer) are the event
//! loop's own.

use std::collections::HashMap;
use std::future::Future;
use std::time::Duration;

use tokio::sync::{mpsc, watch};
use tokio::task::AbortHandle;

use super::history::History;
use crate::app::meter::{Count, Timing};
use crate::app::turn::TurnRequest;
use crate::app::{App, Effect, Msg, TurnId};
use crate::bedrock::{self, Connection};
use crate::guardrail::{GuardrailChoice, Source, TraceMode};

/// Where tasks send their answers.
pub(super) type Tx = mpsc::UnboundedSender<Msg>;
/// The connection, once credentials resolve in the background.
pub(super) type Conn = watch::Receiver<Option<Connection>>;

/// The connection once credentials resolved; `None` if they never will (the app is
/// shutting down).
pub(super) async fn connection(mut rx: Conn) -> Option<Connection> {
    rx.wait_for(Option::is_some).await.ok()?.clone()
}

/// One task in flight for a purpose: starting another aborts it, so only the latest
/// answers ("one in flight, latest wins").
#[derive(Debug, Default)]
pub(super) struct Latest(Option<AbortHandle>);

impl Latest {
    pub fn spawn(&mut self, task: impl Future<Output = ()> + Send + 'static) {
        self.abort();
        self.0 = Some(tokio::spawn(task).abort_handle());
    }

    pub fn abort(&mut self) {
        if let Some(h) = self.0.take() {
            h.abort();
        }
    }

    /// Whether a task is running.
    pub fn running(&self) -> bool {
        self.0.as_ref().is_some_and(|h| !h.is_finished())
    }
}

/// Sends `msg` after `delay`.
async fn after(delay: Duration, msg: Msg, tx: Tx) {
    tokio::time::sleep(delay).await;
    let _ = tx.send(msg);
}

pub(super) struct Executor {
    tx: Tx,
    conn: Conn,
    /// Streaming turns by id; a cancelled one is aborted, which closes its connection.
    turns: HashMap<TurnId, AbortHandle>,
    count_due: Latest,
    count: Latest,
    check: Latest,
    jobs_list: Latest,
    jobs_poll: Latest,
    /// Job starts and downloads: they run to their end, and stop with the app.
    others: Vec<AbortHandle>,
    history: Option<History>,
    /// Where files the user asks for go (snippets, requests).
    export_dir: std::path::PathBuf,
    /// What runs the tools, and the config file `auto_approve` is written to.
    tools: Option<(crate::runner::Runner, Option<std::path::PathBuf>)>,
    /// Tool calls in flight; aborting one drops its future, which cancels the call.
    calls: HashMap<crate::app::tools::CallId, AbortHandle>,
}

impl Executor {
    pub fn new(tx: Tx, conn: Conn, history: Option<History>) -> Self {
        Executor {
            tx,
            conn,
            turns: HashMap::new(),
            count_due: Latest::default(),
            count: Latest::default(),
            check: Latest::default(),
            jobs_list: Latest::default(),
            jobs_poll: Latest::default(),
            others: Vec::new(),
            history,
            export_dir: std::path::PathBuf::from("."),
            tools: None,
            calls: HashMap::new(),
        }
    }

    /// Runs tools with `runner`; "always" approvals are written to `config`.
    pub fn with_tools(
        mut self,
        runner: crate::runner::Runner,
        config: Option<std::path::PathBuf>,
    ) -> Self {
        self.tools = Some((runner, config));
        self
    }

    pub fn with_export_dir(mut self, dir: std::path::PathBuf) -> Self {
        self.export_dir = dir;
        self
    }

    fn spawn_other(&mut self, task: impl Future<Output = ()> + Send + 'static) {
        self.others.retain(|h| !h.is_finished());
        self.others.push(tokio::spawn(task).abort_handle());
    }

    /// Carries out `effect` for `app` as the reducer left it.
    pub fn run(&mut self, effect: Effect, app: &App) {
        let (tx, conn) = (self.tx.clone(), self.conn.clone());
        match effect {
            Effect::StartTurn { id, request } => {
                self.turns.retain(|_, h| !h.is_finished());
                let task = tokio::spawn(turn(id, request, conn, tx));
                self.turns.insert(id, task.abort_handle());
            }
            Effect::StartNative { id, request } => {
                self.turns.retain(|_, h| !h.is_finished());
                let task = tokio::spawn(super::native::turn(id, request, conn, tx));
                self.turns.insert(id, task.abort_handle());
            }
            Effect::CancelTurn(id) => {
                if let Some(h) = self.turns.remove(&id) {
                    h.abort();
                }
            }
            Effect::ScheduleCount {
                request,
                after: delay,
            } => {
                self.count_due
                    .spawn(after(delay, Msg::CountDue(request), tx));
            }
            Effect::CountTokens {
                request,
                turn,
                with_draft,
            } => self.count.spawn(count(request, turn, with_draft, conn, tx)),
            Effect::ApplyGuardrail {
                request,
                guardrail,
                source,
                text,
            } => self
                .check
                .spawn(check(request, guardrail, source, text, conn, tx)),
            Effect::ListJobs { request } => {
                self.jobs_list.spawn(super::jobs::list(request, conn, tx))
            }
            Effect::ScheduleJobsPoll { poll, after: delay } => {
                self.jobs_poll
                    .spawn(after(delay, Msg::JobsPollDue(poll), tx));
            }
            Effect::StartJob(start) => self.spawn_other(super::jobs::start(start, conn, tx)),
            Effect::StopBatchJob { arn } => {
                self.spawn_other(super::jobs::stop_batch(arn, conn, tx))
            }
            Effect::DownloadJob {
                arn,
                folder,
                dir,
                overwrite,
            } => self.spawn_other(super::jobs::download(arn, folder, dir, overwrite, conn, tx)),
            Effect::Save(save) => {
                if let Some(h) = self.history.as_mut() {
                    h.save(save, app);
                }
            }
            Effect::ListHistory { request, query } => match &self.history {
                Some(h) => h.list(request, query),
                None => {
                    let _ = tx.send(Msg::HistoryListed {
                        request,
                        rows: Err("History is off.".into()),
                    });
                }
            },
            Effect::OpenConversation(id) => {
                if let Some(h) = self.history.as_mut() {
                    // The old conversation's pending writes go first.
                    h.checkpoint(app);
                    h.open(id);
                }
            }
            Effect::RenameConversation { id, title } => {
                if let Some(h) = &self.history {
                    h.rename(id, title);
                }
            }
            Effect::DeleteConversation(id) => {
                if let Some(h) = &self.history {
                    h.delete(id);
                }
            }
            Effect::Export {
                conversation,
                format,
                path,
            } => match self.history.as_mut() {
                Some(h) => {
                    h.checkpoint(app);
                    h.export(conversation, format, path);
                }
                None => {
                    let _ = tx.send(Msg::Stored(Err(
                        "History is off, so there is nothing to export.".into(),
                    )));
                }
            },
            Effect::RunTool { call, name, input } => {
                self.calls.retain(|_, h| !h.is_finished());
                let runner = self.tools.as_ref().map(|(r, _)| r.clone());
                let task = tokio::spawn(run_tool(call, name, input, runner, tx));
                self.calls.insert(call, task.abort_handle());
            }
            Effect::CancelTool(call) => {
                if let Some(h) = self.calls.remove(&call) {
                    h.abort();
                }
            }
            Effect::ApproveAlways { tool, source } => {
                let path = self.tools.as_ref().and_then(|(_, p)| p.clone());
                self.spawn_other(async move {
                    let result = tokio::task::spawn_blocking(move || match path {
                        Some(p) => crate::config::approve(&p, &tool, &source),
                        None => Err(format!(
                            "{tool} runs without asking in this session; there is no config file to keep it in."
                        )),
                    })
                    .await
                    .unwrap_or_else(|e| Err(e.to_string()));
                    let _ = tx.send(Msg::Stored(result));
                });
            }
            Effect::Attach { id, arg } => self.spawn_other(super::attach::read(id, arg, conn, tx)),
            Effect::ListFiles => self.spawn_other(super::attach::list_files(tx)),
            Effect::WriteFile {
                stem,
                extension,
                text,
                what,
            } => {
                let dir = self.export_dir.clone();
                self.spawn_other(async move {
                    let result = tokio::task::spawn_blocking(move || {
                        crate::store::library::write_new(&dir, &stem, &extension, text.as_bytes())
                            .map(|path| {
                                format!(
                                    "Wrote the {what} to {}.",
                                    crate::paths::display_path(&path)
                                )
                            })
                            .map_err(|e| format!("Could not write the {what}: {e}"))
                    })
                    .await
                    .unwrap_or_else(|e| Err(e.to_string()));
                    let _ = tx.send(Msg::Stored(result));
                });
            }
            Effect::PrepareSend {
                text,
                attached,
                paths,
            } => self.spawn_other(super::attach::prepare(text, attached, paths, conn, tx)),
            // The event loop's own: they act on the terminal and the composer.
            Effect::SetComposer(_)
            | Effect::InsertComposer(_)
            | Effect::Clipboard(_)
            | Effect::Editor { .. }
            | Effect::SignIn(_)
            | Effect::MouseCapture(_)
            | Effect::Quit => {}
        }
    }

    /// When the history's pending checkpoint is due, if one is.
    pub fn due(&self) -> Option<tokio::time::Instant> {
        self.history.as_ref().and_then(History::due)
    }

    /// Writes the streaming answers whose checkpoint is due.
    pub fn checkpoint(&mut self, app: &App) {
        if let Some(h) = self.history.as_mut() {
            h.checkpoint(app);
        }
    }

    /// Whether a token count is being asked for (frame statistics report it).
    pub fn counting(&self) -> bool {
        self.count.running()
    }

    /// Stops every task and writes what the history still has to write; returns once
    /// it is on disk.
    pub fn shutdown(mut self, app: &App) {
        for h in self
            .turns
            .values()
            .chain(&self.others)
            .chain(self.calls.values())
        {
            h.abort();
        }
        for l in [
            &mut self.count_due,
            &mut self.count,
            &mut self.check,
            &mut self.jobs_list,
            &mut self.jobs_poll,
        ] {
            l.abort();
        }
        if let Some(h) = self.history.take() {
            h.close(app);
        }
    }
}

/// Counts the input tokens of `turn` for count `request`.
async fn count(request: u64, turn: TurnRequest, with_draft: bool, conn: Conn, tx: Tx) {
    let Some(conn) = connection(conn).await else {
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
    // A long conversation's request, and its local estimate, are megabytes gone now.
    crate::alloc::release();
    let _ = tx.send(Msg::Counted { request, result });
}

/// Screens `text` with ApplyGuardrail for check `request`.
async fn check(
    request: u64,
    guardrail: GuardrailChoice,
    source: Source,
    text: String,
    conn: Conn,
    tx: Tx,
) {
    let Some(conn) = connection(conn).await else {
        return;
    };
    let full = guardrail.trace == TraceMode::EnabledFull;
    let result = bedrock::guardrail::apply(&conn, &guardrail, source, &[text], full)
        .await
        .map_err(|e| e.to_string());
    let _ = tx.send(Msg::Checked { request, result });
}

/// Runs tool call `call` and reports its result and how long it took.
async fn run_tool(
    call: crate::app::tools::CallId,
    name: String,
    input: serde_json::Value,
    runner: Option<crate::runner::Runner>,
    tx: Tx,
) {
    let started = std::time::Instant::now();
    let output = match runner {
        Some(r) => r.call(&name, input).await,
        None => crate::tools::Output::error("Tools are not available in this session."),
    };
    let ms = started.elapsed().as_millis() as u64;
    let _ = tx.send(Msg::ToolDone { call, output, ms });
}

/// Streams turn `id` and reports its events, its timing and how it ended.
async fn turn(id: TurnId, mut request: TurnRequest, conn: Conn, tx: Tx) {
    let Some(conn) = connection(conn).await else {
        return;
    };
    // A question sent before the connection resolved names the model as typed: one
    // offered only through inference profiles goes to the profile of the region that is
    // now known, as the model the app shows from then on does.
    request.model_id = crate::catalog::invocation_id(
        crate::catalog::Catalog::builtin(),
        &request.model_id,
        &conn.region,
    );
    let started = std::time::Instant::now();
    let mut first_token_ms = None;
    let result = bedrock::stream_turn(&conn, &request, |event| {
        if first_token_ms.is_none() && event.is_content() {
            first_token_ms = Some(started.elapsed().as_millis() as u64);
        }
        let _ = tx.send(Msg::Turn { id, event });
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
}

#[cfg(test)]
#[path = "executor_tests.rs"]
mod tests;
