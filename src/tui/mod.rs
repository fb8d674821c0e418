//! The interactive app: sets up the terminal, the state and the executor, connects in
//! the background, runs the event loop, and on the way out writes what the history
//! still has to write before the terminal is restored. Keys are turned into messages in
//! `input.rs`, effects run in `executor.rs`, the loop is `event_loop.rs`.

mod attach;
mod editor;
mod event_loop;
mod executor;
mod frames;
mod history;
mod input;
mod jobs;
mod native;
mod reader;
mod safe_backend;
mod terminal;

use anyhow::Context;
use futures_util::{Stream, StreamExt};
use tokio::sync::{mpsc, watch};

use crate::app::state::Link;
use crate::app::{App, Msg, Notice};
use crate::bedrock::{self, ConnectOptions, Connection, Endpoint};
use crate::conversation::Inference;
use crate::keymap::Keymap;
use crate::store::Store;
use crate::ui::View;

pub use terminal::restore;

use event_loop::EventLoop;
use executor::Executor;
use history::History;

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
    /// The command that signs in again when the session expires.
    pub auth_refresh: Option<String>,
    /// The config's tools and MCP servers.
    pub tools: crate::tools::Settings,
    /// The config file, where "always" approvals of tools are written.
    pub config_path: Option<std::path::PathBuf>,
    /// The config's failover routes, by model id.
    pub failover: std::collections::BTreeMap<String, Vec<String>>,
}

fn link_of(conn: &Connection) -> Link {
    let auth = match conn.auth {
        bedrock::auth::Auth::None => String::new(),
        a => a.label().to_owned(),
    };
    match &conn.endpoint {
        Endpoint::Aws => Link::Aws {
            region: conn.region.clone(),
            profile: conn.profile.clone(),
            auth: auth.clone(),
        },
        Endpoint::Custom(url) => Link::Custom {
            url: url.clone(),
            region: conn.region.clone(),
            auth,
        },
        Endpoint::Local { url, reason } => Link::Local {
            url: url.clone(),
            reason: reason.clone(),
        },
    }
}

/// The state the app starts in, from the options.
fn initial_state(opts: &Options) -> App {
    let mut app = App::new(opts.model.clone());
    app.system = opts.system.clone();
    app.inference = opts.inference.clone();
    app.guardrail = opts.guardrail.clone();
    app.guardrails = opts.guardrails.clone();
    app.jobs.download_dir = opts.download_dir.clone();
    app.jobs.output = opts.jobs_output.clone();
    app.auth_refresh = opts.auth_refresh.clone();
    app.routing.config = opts.failover.clone();
    app.tools = crate::app::tools::Tools::configured(&opts.tools);
    app.jobs.session = uuid::Uuid::new_v4().simple().to_string();
    app.utc_offset_s = crate::clock::local_offset_s();
    if let Some(k) = opts.keys.first(crate::keymap::Action::Regenerate) {
        app.retry_key = k;
    }
    if let Some(t) = opts.theme.as_deref().and_then(crate::app::theme::find) {
        app.theme = t;
    }
    app
}

/// Opens the history and, when asked, the most recent conversation in it.
fn open_history(
    app: &mut App,
    continue_last: bool,
    export_dir: std::path::PathBuf,
    tx: &mpsc::UnboundedSender<Msg>,
) -> Option<History> {
    let store = match Store::default_path().and_then(Store::open) {
        Ok(s) => s,
        Err(e) => {
            app.tell(Notice::Error(format!("History is off: {e}")));
            return None;
        }
    };
    let mut resumed = None;
    if continue_last {
        match store.last() {
            Ok(Some(id)) => resumed = Some(id),
            Ok(None) => app.tell(Notice::Info("No earlier conversation to continue.".into())),
            Err(e) => app.tell(Notice::Error(format!(
                "Could not open the last conversation: {e}"
            ))),
        }
    }
    let replies = tx.clone();
    let history = History::start(store, export_dir, move |msg| {
        let _ = replies.send(msg);
    });
    // Read on the store's thread, so a long conversation does not hold the first
    // frame; it is shown when it comes (`Msg::ConversationLoaded`).
    if let Some(id) = resumed {
        app.resuming = true;
        history.open(id);
    }
    Some(history)
}

/// Resolves credentials in the background, so the first frame does not wait for them;
/// the connection is published on the returned channel.
fn connect(
    opts: ConnectOptions,
    tx: mpsc::UnboundedSender<Msg>,
) -> watch::Receiver<Option<Connection>> {
    let (conn_tx, conn_rx) = watch::channel::<Option<Connection>>(None);
    tokio::spawn(async move {
        match bedrock::connect(&opts).await {
            Ok(conn) => {
                let _ = tx.send(Msg::Connected(link_of(&conn)));
                let _ = conn_tx.send(Some(conn.clone()));
                // What the region offers fills the picker when it comes; the catalog
                // serves until then, or if the list cannot be had.
                let live = bedrock::control::cached_or_fetch(&conn).await;
                let _ = tx.send(Msg::LiveModels(live.map_err(|e| e.to_string())));
            }
            Err(e) => {
                let _ = tx.send(Msg::Connected(Link::Failed(e.to_string())));
            }
        }
    });
    conn_rx
}

/// The signals that end the app: SIGTERM, SIGHUP (the terminal went away) and SIGINT
/// sent from outside (Ctrl+C in the app is a key).
fn stop_signals() -> anyhow::Result<impl Stream<Item = ()> + Unpin> {
    use tokio::signal::unix::{SignalKind, signal};
    let streams =
        [
            SignalKind::terminate(),
            SignalKind::hangup(),
            SignalKind::interrupt(),
        ]
        .into_iter()
        .map(|kind| {
            let s = signal(kind).context("installing a signal handler")?;
            Ok(futures_util::stream::unfold(
                s,
                |mut s| async move { s.recv().await.map(|()| ((), s)) },
            )
            .boxed())
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok(futures_util::stream::select_all(streams))
}

pub async fn run(opts: Options) -> anyhow::Result<()> {
    let stop = stop_signals()?;
    // Ready before the first answer with code needs it.
    std::thread::spawn(crate::ui::preload);
    let (screen, input) = terminal::Terminal::enter().context("setting up the terminal")?;
    let (tx, rx) = mpsc::unbounded_channel::<Msg>();
    let mut app = initial_state(&opts);
    let history = open_history(&mut app, opts.continue_last, opts.export_dir.clone(), &tx);
    let conn = connect(opts.connect, tx.clone());
    let runner = start_tools(&opts.tools, tx.clone());
    let executor = Executor::new(tx.clone(), conn, history)
        .with_tools(runner.clone(), opts.config_path)
        .with_export_dir(opts.export_dir);
    let view = View::new(opts.keys, opts.prices);
    let mut event_loop = EventLoop::new(app, view, screen, executor, tx, rx);
    event_loop.stats = frames::FrameStats::from_env();
    let result = event_loop.run(input, stop).await;
    // Whatever ended the loop, the answer on screen is written before the app exits.
    event_loop.finish();
    runner.shutdown().await;
    result
}

/// Starts the MCP servers in the background; their states reach the reducer as
/// `Msg::ToolServer`.
fn start_tools(
    settings: &crate::tools::Settings,
    tx: mpsc::UnboundedSender<Msg>,
) -> crate::runner::Runner {
    let (events, mut rx) = mpsc::unbounded_channel();
    let runner = crate::runner::Runner::start(settings, events);
    tokio::spawn(async move {
        while let Some(crate::runner::Event::Server { name, state, tools }) = rx.recv().await {
            if tx.send(Msg::ToolServer { name, state, tools }).is_err() {
                break;
            }
        }
    });
    runner
}
