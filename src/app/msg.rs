//! The messages the reducer takes: what the user did (keys translated by the input
//! handler) and what the executor's tasks answered, each tagged with the request it
//! answers.

use super::error::BedrockError;
use super::turn::TurnEvent;
use crate::catalog::live::LiveModels;
use crate::store::StoredConversation;

use super::effect::EditorTarget;
use super::guardrail::GuardKey;
use super::history::{HistoryKey, Row};
use super::jobs::{Download, DownloadFailure, JobsKey, ListFailure};
use super::meter::{Count, Timing};
use super::state::{Link, TurnId};

#[derive(Debug, Clone, PartialEq)]
pub enum Msg {
    /// The composer's text was submitted (a message or a slash command).
    Submit(String),
    Turn {
        id: TurnId,
        event: TurnEvent,
    },
    TurnDone {
        id: TurnId,
    },
    TurnFailed {
        id: TurnId,
        error: BedrockError,
    },
    /// Esc: stop the answer that is streaming.
    Cancel,
    /// A key of the comparison on screen.
    Compare(super::compare::CompareKey),
    /// Ask the last question again.
    Regenerate,
    /// Put the last question back in the composer and remove it and its answer.
    EditLast,
    Connected(Link),
    SwitchModel(String),
    ScrollBy(i32),
    ScrollToBottom,
    ToggleHelp,
    OpenPicker,
    Picker(PickerKey),
    CloseOverlay,
    /// The history could not be saved.
    HistoryError(String),
    OpenHistory,
    History(HistoryKey),
    /// The store's answer to `Effect::ListHistory`.
    HistoryListed {
        request: u64,
        rows: Result<Vec<Row>, String>,
    },
    /// The store's answer to `Effect::OpenConversation`.
    ConversationLoaded(Result<StoredConversation, String>),
    /// A conversation was deleted; `current` when it was the one on screen.
    ConversationDeleted {
        current: bool,
    },
    /// A rename or export finished: what to tell the user, or what went wrong.
    Stored(Result<String, String>),
    /// What the region offers (ListFoundationModels, ListInferenceProfiles), or why
    /// it could not be listed.
    LiveModels(Result<LiveModels, String>),
    /// The composer's text changed (the meter counts what the next turn would send).
    DraftChanged(String),
    /// The debounce of count `request` ran out.
    CountDue(u64),
    /// The answer to `Effect::CountTokens`.
    Counted {
        request: u64,
        result: Result<Count, String>,
    },
    /// How long turn `id` took, measured by the client; comes before `TurnDone`.
    TurnTiming {
        id: TurnId,
        timing: Timing,
    },
    /// The answer the conversation view is on changed (see `App::focus`).
    Focus(Option<usize>),
    /// Show or hide the trace pane.
    ToggleTrace,
    /// Show every assessment in full, or only what acted.
    ExpandTrace,
    /// Show PII matches in clear, or masked.
    RevealPii,
    OpenGuardrails,
    Guardrails(GuardKey),
    /// Screen the draft with ApplyGuardrail (source INPUT), invoking no model.
    CheckDraft(String),
    /// Screen the focused answer with ApplyGuardrail (source OUTPUT).
    CheckAnswer,
    /// The answer to `Effect::ApplyGuardrail`.
    Checked {
        request: u64,
        result: Result<crate::guardrail::ApplyResult, String>,
    },
    OpenJobs,
    /// Show or hide the notice log.
    ToggleLog,
    Jobs(JobsKey),
    /// Open the start form with the composer's text as the prompt.
    NewJob(String),
    /// Write the start form's model input in `$EDITOR`, from the model's template.
    EditJobInput,
    /// Write the draft (the composer's text) in `$EDITOR`.
    EditDraft(String),
    /// What `$EDITOR` left in the file of `Effect::Editor`, or why it could not run.
    Edited {
        target: EditorTarget,
        result: Result<String, String>,
    },
    /// The answer to the offer to sign in again: run `auth_refresh` or not.
    SignIn(bool),
    /// How the `auth_refresh` command of `Effect::SignIn` ended.
    SignedIn(Result<(), String>),
    /// A paste that would have made the draft longer than the composer can show.
    PasteRefused {
        lines: usize,
        bytes: usize,
        /// What the composer holds at most.
        max_lines: usize,
        max_bytes: usize,
    },
    /// Mouse-wheel scrolling on or off.
    ToggleMouse,
    /// The answer to the consent prompt of a tool call.
    Consent(super::tools::Consent),
    /// Tool call `call` finished after `ms` milliseconds.
    ToolDone {
        call: super::tools::CallId,
        output: crate::tools::Output,
        ms: u64,
    },
    /// An MCP server's state, and its tools when it is ready.
    ToolServer {
        name: String,
        state: crate::tools::ServerState,
        tools: Vec<crate::tools::Tool>,
    },
    /// Go on with the tool loop after `max_tool_rounds` rounds, or stop it.
    MoreRounds(bool),
    /// A key of the tools list.
    Tools(super::tools::ToolsKey),
    /// Show tool cells' input and results in full, or folded.
    ExpandTools,
    /// The answer to `Effect::ListJobs`, made at `at`: the async invocations and the
    /// batch inference jobs.
    JobsListed {
        request: u64,
        at: std::time::Instant,
        result: Result<Vec<crate::jobs::Job>, ListFailure>,
        batch: Result<Vec<crate::jobs::batch::BatchJob>, ListFailure>,
    },
    /// The answer to `Effect::StopBatchJob`.
    BatchStopped {
        arn: String,
        result: Result<(), String>,
    },
    /// Poll `poll` of `Effect::ScheduleJobsPoll` is due.
    JobsPollDue(u64),
    /// The answer to `Effect::StartJob`: the invocation ARN, or the error.
    JobStarted {
        at: std::time::Instant,
        result: Result<String, String>,
    },
    DownloadProgress {
        arn: String,
        progress: Download,
    },
    Downloaded {
        arn: String,
        result: Result<Vec<(std::path::PathBuf, Option<String>)>, DownloadFailure>,
    },
    /// Open the native console with the composer's text as the next question, or go
    /// back to chat.
    Native(String),
    /// Open the request inspector on the focused answer.
    Inspect,
    /// A key of the request inspector; `page` is how far a page scrolls, `max` the
    /// furthest the inspector scrolls as the last frame laid it out.
    InspectKey {
        key: super::inspect::InspectKey,
        page: u16,
        max: u16,
    },
    /// Copy the focused answer as Markdown to the clipboard.
    CopyAnswer,
    /// Copy the focused answer's last code block to the clipboard.
    CopyCode,
    /// Open the focused answer's last code block in `$EDITOR`.
    EditCode,
    /// Attach a file or an S3 location (a pasted path, a completion).
    Attach(String),
    /// The answer to `Effect::Attach`.
    Attached {
        id: u64,
        result: Result<crate::attach::Attached, String>,
    },
    /// Remove the draft's last attachment.
    Detach,
    /// The answer to `Effect::ListFiles`: the working directory's files.
    FilesListed(Vec<String>),
    /// A key of the `@` completion list.
    Complete(super::attach::CompleteKey),
    /// The answer to `Effect::PrepareSend`: the question's attachments, checked.
    Prepared {
        text: String,
        result: Result<Vec<crate::attach::Attached>, String>,
    },
    /// Text pasted into the composer that may be the path of a file to attach: attached
    /// if it is one, else inserted as text.
    PastedPath(String),
    Quit,
}

/// `batch` with the streamed text of a turn merged where pieces follow one another
/// (text after text, reasoning after reasoning, tool input after tool input, of the
/// same turn): a batch drained from a fast stream is applied as a few messages instead
/// of one per token. Order is kept; nothing else is merged.
pub fn coalesce(batch: Vec<Msg>) -> Vec<Msg> {
    let mut out: Vec<Msg> = Vec::with_capacity(batch.len());
    for msg in batch {
        if let (
            Some(Msg::Turn {
                id: last_id,
                event: last,
            }),
            Msg::Turn { id, event },
        ) = (out.last_mut(), &msg)
            && last_id == id
        {
            match (last, event) {
                (TurnEvent::Text(a), TurnEvent::Text(b))
                | (TurnEvent::Reasoning(a), TurnEvent::Reasoning(b))
                | (TurnEvent::ToolUseInput(a), TurnEvent::ToolUseInput(b)) => {
                    a.push_str(b);
                    continue;
                }
                _ => {}
            }
        }
        out.push(msg);
    }
    out
}

/// Keys the model picker understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PickerKey {
    Char(char),
    Backspace,
    Up,
    Down,
    /// Cycle through the ways to invoke the selected model (bare id, geo, global).
    Tab,
    Enter,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::state::TurnId;

    fn turn(id: u64, event: TurnEvent) -> Msg {
        Msg::Turn {
            id: TurnId(id),
            event,
        }
    }

    #[test]
    fn coalescing_merges_runs_of_one_turn_and_keeps_every_delta_in_order() {
        let text = |t: &str| TurnEvent::Text(t.into());
        let batch = vec![
            turn(1, text("Hel")),
            turn(1, text("lo ")),
            turn(1, text("world")),
            turn(1, TurnEvent::BlockStop),
            turn(1, TurnEvent::Reasoning("a".into())),
            turn(1, TurnEvent::Reasoning("b".into())),
            turn(2, text("other turn")),
            turn(1, text("!")),
            Msg::ScrollBy(1),
            turn(1, text("?")),
            turn(1, TurnEvent::ToolUseInput("{\"a\":".into())),
            turn(1, TurnEvent::ToolUseInput("1}".into())),
            Msg::TurnDone { id: TurnId(1) },
        ];
        assert_eq!(
            coalesce(batch),
            vec![
                turn(1, text("Hello world")),
                turn(1, TurnEvent::BlockStop),
                turn(1, TurnEvent::Reasoning("ab".into())),
                turn(2, text("other turn")),
                turn(1, text("!")),
                Msg::ScrollBy(1),
                turn(1, text("?")),
                turn(1, TurnEvent::ToolUseInput("{\"a\":1}".into())),
                Msg::TurnDone { id: TurnId(1) },
            ]
        );
    }

    #[test]
    fn a_coalesced_batch_leaves_the_answer_as_one_message_at_a_time_would() {
        use crate::app::{App, update};
        let pieces: Vec<String> = (0..200).map(|i| format!("w{i} ")).collect();
        let run = |batched: bool| {
            let mut app = App::new("anthropic.claude-3-haiku-20240307-v1:0");
            let effects = update(&mut app, Msg::Submit("Q".into()));
            let Some(crate::app::Effect::StartTurn { id, .. }) = effects.last().cloned() else {
                panic!("{effects:?}")
            };
            let msgs: Vec<Msg> = pieces
                .iter()
                .map(|p| Msg::Turn {
                    id,
                    event: TurnEvent::Text(p.clone()),
                })
                .chain([Msg::TurnDone { id }])
                .collect();
            let msgs = if batched { coalesce(msgs) } else { msgs };
            for m in msgs {
                update(&mut app, m);
            }
            app.entries[1].message.clone()
        };
        assert_eq!(run(true), run(false));
    }
}
