//! The effects the reducer asks for: the executor (tui/executor.rs) carries them out and
//! answers with messages; the reducer itself does no IO.

use crate::app::turn::TurnRequest;
use crate::store::ConversationId;

use super::history::Format;
use super::jobs::JobStart;
use super::state::TurnId;

#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    StartTurn {
        id: TurnId,
        request: TurnRequest,
    },
    /// Send a native InvokeModel body; its events come back as turn `id`'s.
    StartNative {
        id: TurnId,
        request: super::native::NativeRequest,
    },
    CancelTurn(TurnId),
    /// Replace the composer's text.
    SetComposer(String),
    /// Keep the history in step with the conversation on screen.
    Save(Save),
    ListHistory {
        request: u64,
        query: String,
    },
    /// Load a stored conversation; following messages continue it.
    OpenConversation(ConversationId),
    RenameConversation {
        id: ConversationId,
        title: String,
    },
    DeleteConversation(ConversationId),
    /// Send `Msg::CountDue(request)` after `after`.
    ScheduleCount {
        request: u64,
        after: std::time::Duration,
    },
    /// Count the input tokens of `turn`; a newer count supersedes this one.
    CountTokens {
        request: u64,
        turn: TurnRequest,
        with_draft: bool,
    },
    /// Write a conversation (the one on screen when `None`) to `path`, or to a new
    /// file named after its title in the export folder.
    Export {
        conversation: Option<ConversationId>,
        format: Format,
        path: Option<String>,
    },
    /// List the region's async invocations and batch inference jobs; the answer is
    /// `Msg::JobsListed`.
    ListJobs {
        request: u64,
    },
    /// Send `Msg::JobsPollDue(poll)` after `after`.
    ScheduleJobsPoll {
        poll: u64,
        after: std::time::Duration,
    },
    StartJob(JobStart),
    /// Stop a batch inference job; the answer is `Msg::BatchStopped`.
    StopBatchJob {
        arn: String,
    },
    /// Download every output under `folder` into `dir`.
    DownloadJob {
        arn: String,
        folder: String,
        dir: std::path::PathBuf,
        overwrite: bool,
    },
    /// Screen `text` with ApplyGuardrail; the answer is `Msg::Checked { request, .. }`.
    ApplyGuardrail {
        request: u64,
        guardrail: crate::guardrail::GuardrailChoice,
        source: crate::guardrail::Source,
        text: String,
    },
    /// Suspend the screen and edit `text` in `$VISUAL`/`$EDITOR`; the result comes back
    /// as `Msg::Edited` for `target`. Run after the next frame is drawn.
    Editor {
        text: String,
        target: EditorTarget,
    },
    /// Suspend the screen and run the config's `auth_refresh` command on the terminal;
    /// the result comes back as `Msg::SignedIn`. Run after the next frame is drawn.
    SignIn(String),
    /// Run tool `name` with `input`; the result comes back as `Msg::ToolDone { call }`.
    RunTool {
        call: crate::app::tools::CallId,
        name: String,
        input: serde_json::Value,
    },
    /// Stop a running call (its process killed, its MCP request cancelled).
    CancelTool(crate::app::tools::CallId),
    /// Write `auto_approve` for `tool` to the config file; the outcome comes back as
    /// `Msg::Stored`.
    ApproveAlways {
        tool: String,
        source: crate::tools::Source,
    },
    /// Read the file (or check the S3 location) `arg` names; the answer is
    /// `Msg::Attached { id }`.
    Attach {
        id: u64,
        arg: String,
    },
    /// List the working directory's files for `@` completion (`Msg::FilesListed`).
    ListFiles,
    /// Check a question's attachments before it is sent: `attached` unchanged since
    /// read, and the files its `@path` words name read; the answer is `Msg::Prepared`.
    PrepareSend {
        text: String,
        attached: Vec<crate::attach::Attached>,
        paths: Vec<String>,
    },
    /// Put `text` on the clipboard (OSC 52, which works over SSH and in tmux with
    /// `set-clipboard on`).
    Clipboard(String),
    /// Write `text` to a new file `STEM.EXTENSION` (or a free variant of it) in the
    /// export folder; `what` names it in the message that says where.
    WriteFile {
        stem: String,
        extension: String,
        text: String,
        what: String,
    },
    /// A pasted path that names no file: inserted into the composer as text.
    InsertComposer(String),
    /// Capture the mouse (wheel scrolling) or leave it to the terminal (selection).
    MouseCapture(bool),
    /// The app is quitting: the executor finishes its writes and the loop ends.
    Quit,
}

/// What the history is told about the conversation on screen. The executor writes a
/// streaming answer at most once a second and everything else at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Save {
    /// Entry `index` changed.
    Entry(usize),
    /// The entries from `index` on were removed.
    Truncate(usize),
    /// The system prompt changed.
    System,
    /// Following entries belong to a new conversation.
    New,
}

/// Where text written in `$EDITOR` goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EditorTarget {
    /// The composer: the draft of the next message.
    Composer,
    /// The jobs start form's model input.
    JobInput,
    /// A code block of an answer, opened to read or save elsewhere; the answer is
    /// not changed.
    Code {
        /// The file extension that tells the editor the block's language.
        extension: &'static str,
    },
    /// The native console's request body.
    NativeBody,
}

impl EditorTarget {
    /// The name of the file the editor opens: its extension picks the editor's mode.
    pub fn file_name(self) -> String {
        match self {
            EditorTarget::Composer => "message.md".into(),
            EditorTarget::JobInput => "model-input.json".into(),
            EditorTarget::Code { extension } => format!("code.{extension}"),
            EditorTarget::NativeBody => "request-body.json".into(),
        }
    }
}
