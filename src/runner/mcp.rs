//! One MCP server through the official SDK (rmcp): started over stdio or streamable
//! HTTP, its tools listed (again when it says they changed), its calls made with a
//! timeout and their results turned into what Converse carries. A server that stops
//! is Failed, with the tail of its stderr, and its calls say so.

use std::collections::BTreeMap;
use std::collections::HashMap;
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::Duration;

use rmcp::model::{CallToolRequestParams, ClientCapabilities, ClientConfig, Implementation};
use rmcp::service::{
    NotificationContext, RoleClient, RunningService, RunningServiceCancellationToken,
};
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use rmcp::transport::{StreamableHttpClientTransport, TokioChildProcess};
use rmcp::{ClientHandler, Peer, ServiceError, ServiceExt};
use serde_json::Value;
use tokio::sync::mpsc::UnboundedSender;
use tokio::task::JoinHandle;

use super::Event;
use super::command::seconds;
use super::process::{self, STDERR_TAIL, Tail};
use crate::tools::{self, McpServer, Output, ServerState, Source, Tool, ToolSpec, Transport};

/// How long a server may take to start and answer `initialize` and `tools/list`.
pub const INIT_TIMEOUT: Duration = Duration::from_secs(20);
/// How long a failure message waits for the server's last words on stderr.
const STDERR_WAIT: Duration = Duration::from_millis(500);

/// One configured server, shared by the runner and the task that drives it.
pub struct Server {
    config: McpServer,
    max_result_bytes: usize,
    events: UnboundedSender<Event>,
    status: Mutex<Status>,
    stderr: Arc<Mutex<Tail>>,
    /// Ends when the server's stderr does, so a failure can wait for its last words.
    stderr_reader: Mutex<Option<JoinHandle<()>>>,
    /// A stdio server's process group.
    pgid: Mutex<Option<u32>>,
    cancel: Mutex<Option<RunningServiceCancellationToken>>,
    stopping: AtomicBool,
    /// One listing at a time, so the last list read is the last one published.
    listing: tokio::sync::Mutex<()>,
    task: Mutex<Option<JoinHandle<()>>>,
}

enum Status {
    Starting,
    Ready {
        peer: Peer<RoleClient>,
        /// Namespaced name → name on the server.
        tools: BTreeMap<String, String>,
    },
    Failed(String),
}

/// A poisoned lock only means another thread panicked holding it; the data is
/// still whole.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Server {
    /// The server, Starting, with the task that connects it running.
    pub fn start(
        config: McpServer,
        max_result_bytes: usize,
        events: UnboundedSender<Event>,
    ) -> Arc<Server> {
        let server = Arc::new(Server {
            config,
            max_result_bytes,
            events,
            status: Mutex::new(Status::Starting),
            stderr: Arc::new(Mutex::new(Tail::new(STDERR_TAIL))),
            stderr_reader: Mutex::new(None),
            pgid: Mutex::new(None),
            cancel: Mutex::new(None),
            stopping: AtomicBool::new(false),
            listing: tokio::sync::Mutex::new(()),
            task: Mutex::new(None),
        });
        server.emit(ServerState::Starting, Vec::new());
        let task = tokio::spawn(Arc::clone(&server).run());
        *lock(&server.task) = Some(task);
        server
    }

    pub fn name(&self) -> &str {
        &self.config.name
    }

    fn emit(&self, state: ServerState, tools: Vec<Tool>) {
        // The app may have stopped listening; the runner goes on without it.
        let _ = self.events.send(Event::Server {
            name: self.config.name.clone(),
            state,
            tools,
        });
    }

    async fn run(self: Arc<Self>) {
        let service = match tokio::time::timeout(INIT_TIMEOUT, self.connect()).await {
            Ok(Ok(s)) => s,
            Ok(Err(why)) => return self.fail(&why).await,
            Err(_) => {
                let why = format!("did not finish starting within {}", seconds(INIT_TIMEOUT));
                return self.fail(&why).await;
            }
        };
        *lock(&self.cancel) = Some(service.cancellation_token());
        if self.stopping.load(Ordering::SeqCst) {
            self.cancel_service();
        } else {
            let peer = service.peer().clone();
            match tokio::time::timeout(INIT_TIMEOUT, self.list(&peer)).await {
                Ok(Ok(())) => {}
                Ok(Err(why)) => {
                    self.cancel_service();
                    let _ = service.waiting().await;
                    return self.fail(&why).await;
                }
                Err(_) => {
                    self.cancel_service();
                    let _ = service.waiting().await;
                    let why = format!("did not list its tools within {}", seconds(INIT_TIMEOUT));
                    return self.fail(&why).await;
                }
            }
        }
        let reason = service.waiting().await;
        tracing::info!(server = %self.config.name, ?reason, "MCP server stopped");
        if !self.stopping.load(Ordering::SeqCst) {
            self.fail("stopped (its connection closed)").await;
        }
    }

    async fn connect(self: &Arc<Self>) -> Result<RunningService<RoleClient, Handler>, String> {
        let handler = Handler {
            server: Arc::downgrade(self),
        };
        match &self.config.transport {
            Transport::Stdio {
                command,
                args,
                env,
                cwd,
            } => {
                let mut cmd = tokio::process::Command::new(process::program(command, env));
                cmd.args(args)
                    .env_clear()
                    .envs(env)
                    .kill_on_drop(true)
                    .process_group(0);
                if let Some(cwd) = cwd {
                    cmd.current_dir(cwd);
                }
                let (transport, stderr) = TokioChildProcess::builder(cmd)
                    .stderr(Stdio::piped())
                    .spawn()
                    .map_err(|e| {
                        format!("cannot start '{}': {e}", crate::sanitize::text(command))
                    })?;
                *lock(&self.pgid) = transport.id();
                if let Some(stderr) = stderr {
                    let tail = Arc::clone(&self.stderr);
                    let name = self.config.name.clone();
                    let reader = tokio::spawn(async move {
                        use tokio::io::AsyncReadExt;
                        let mut stderr = stderr;
                        let mut buf = vec![0u8; 8192];
                        while let Ok(n @ 1..) = stderr.read(&mut buf).await {
                            tracing::trace!(server = %name, bytes = n, "MCP server stderr");
                            lock(&tail).push(&buf[..n]);
                        }
                    });
                    *lock(&self.stderr_reader) = Some(reader);
                }
                handler.serve(transport).await.map_err(|e| init_error(&e))
            }
            Transport::Http { url, headers } => {
                let mut custom = HashMap::new();
                for (k, v) in headers {
                    let name = http::HeaderName::try_from(k.as_str())
                        .map_err(|e| format!("header '{}': {e}", crate::sanitize::text(k)))?;
                    let value = http::HeaderValue::try_from(v.as_str())
                        .map_err(|e| format!("header '{}': {e}", crate::sanitize::text(k)))?;
                    custom.insert(name, value);
                }
                let config = StreamableHttpClientTransportConfig::with_uri(url.as_str())
                    .custom_headers(custom);
                let transport = StreamableHttpClientTransport::from_config(config);
                handler.serve(transport).await.map_err(|e| init_error(&e))
            }
        }
    }

    /// Reads the server's tools and publishes them: Ready with the list.
    async fn list(&self, peer: &Peer<RoleClient>) -> Result<(), String> {
        let _one = self.listing.lock().await;
        let remote = peer
            .list_all_tools()
            .await
            .map_err(|e| format!("could not list its tools: {}", service_error(&e)))?;
        let server = &self.config;
        let mut names = BTreeMap::new();
        let mut tools = Vec::new();
        for t in remote {
            let remote_name = t.name.to_string();
            let name = tools::namespaced(&server.name, &remote_name);
            if let Some(first) = names.get(&name) {
                tracing::warn!(
                    server = %server.name,
                    tool = %remote_name,
                    "tool skipped: its name becomes {name}, as {first}'s does"
                );
                continue;
            }
            names.insert(name.clone(), remote_name.clone());
            tools.push(Tool {
                spec: ToolSpec {
                    name,
                    description: crate::sanitize::text(t.description.as_deref().unwrap_or("")),
                    input_schema: {
                        let mut schema = Value::Object((*t.input_schema).clone());
                        tools::sanitize_json(&mut schema);
                        schema
                    },
                },
                source: Source::Mcp {
                    server: server.name.clone(),
                    remote: remote_name.clone(),
                },
                auto_approve: server.approves(&remote_name),
            });
        }
        {
            let mut status = lock(&self.status);
            if matches!(*status, Status::Failed(_)) || self.stopping.load(Ordering::SeqCst) {
                return Ok(());
            }
            *status = Status::Ready {
                peer: peer.clone(),
                tools: names,
            };
        }
        tracing::info!(server = %server.name, tools = tools.len(), "MCP server ready");
        self.emit(ServerState::Ready, tools);
        Ok(())
    }

    /// Failed, with `why` and the tail of the server's stderr.
    async fn fail(&self, why: &str) {
        if let Some(pgid) = *lock(&self.pgid) {
            process::kill_group(pgid);
        }
        let reader = lock(&self.stderr_reader).take();
        if let Some(reader) = reader {
            let _ = tokio::time::timeout(STDERR_WAIT, reader).await;
        }
        let tail = lock(&self.stderr).text();
        let msg = if tail.is_empty() {
            why.to_owned()
        } else {
            format!("{why}; its stderr ends: {tail}")
        };
        tracing::warn!(server = %self.config.name, "MCP server failed: {msg}");
        *lock(&self.status) = Status::Failed(msg.clone());
        if !self.stopping.load(Ordering::SeqCst) {
            self.emit(ServerState::Failed(msg), Vec::new());
        }
    }

    fn cancel_service(&self) {
        if let Some(ct) = lock(&self.cancel).take() {
            ct.cancel();
        }
    }

    /// Asks the server to stop: its connection closes, and a stdio server's stdin.
    pub fn stop(&self) {
        self.stopping.store(true, Ordering::SeqCst);
        self.cancel_service();
    }

    /// The task driving the server, to wait for.
    pub fn take_task(&self) -> Option<JoinHandle<()>> {
        lock(&self.task).take()
    }

    /// Kills a stdio server's process group, whatever it is doing.
    pub fn kill(&self) {
        if let Some(pgid) = *lock(&self.pgid) {
            process::kill_group(pgid);
        }
    }

    /// Calls the server's tool the model knows as `name`.
    pub async fn call(&self, name: &str, input: Value) -> Output {
        let server = &self.config.name;
        let (peer, remote) = match &*lock(&self.status) {
            Status::Starting => {
                return Output::error(format!(
                    "The MCP server '{server}' is still starting; try the tool again shortly."
                ));
            }
            Status::Failed(why) => {
                return Output::error(format!("The MCP server '{server}' is not available: {why}"))
                    .capped(self.max_result_bytes);
            }
            Status::Ready { peer, tools } => match tools.get(name) {
                Some(remote) => (peer.clone(), remote.clone()),
                None => {
                    return Output::error(format!(
                        "The MCP server '{server}' has no tool '{}'.",
                        crate::sanitize::text(name)
                    ));
                }
            },
        };
        let arguments = match input {
            Value::Object(map) => map,
            Value::Null => serde_json::Map::new(),
            _ => {
                return Output::error(format!("The input of '{name}' must be a JSON object."));
            }
        };
        let params = CallToolRequestParams::new(remote).with_arguments(arguments);
        // Dropping the request (timeout or a dropped call) makes rmcp send
        // notifications/cancelled.
        match tokio::time::timeout(self.config.timeout, peer.call_tool(params)).await {
            Err(_) => Output::error(format!(
                "The MCP server '{server}' did not answer '{name}' within {}; the call was cancelled.",
                seconds(self.config.timeout)
            )),
            Ok(Err(e)) => {
                let msg = if peer.is_transport_closed() {
                    let tail = lock(&self.stderr).text();
                    let mut m = format!(
                        "The MCP server '{server}' stopped during the call ({}).",
                        service_error(&e)
                    );
                    if !tail.is_empty() {
                        m.push_str(&format!(" Its stderr ends: {tail}"));
                    }
                    m
                } else {
                    format!(
                        "The MCP server '{server}' failed the call: {}",
                        service_error(&e)
                    )
                };
                Output::error(msg).capped(self.max_result_bytes)
            }
            Ok(Ok(result)) => super::result::output(result).capped(self.max_result_bytes),
        }
    }
}

/// Hears the server's notifications: a changed tool list is read again.
pub struct Handler {
    server: Weak<Server>,
}

impl ClientHandler for Handler {
    async fn on_tool_list_changed(&self, context: NotificationContext<RoleClient>) {
        let Some(server) = self.server.upgrade() else {
            return;
        };
        // Listing waits for an answer the service loop delivers: not from inside it.
        tokio::spawn(async move {
            if let Err(why) = server.list(&context.peer).await {
                tracing::warn!(server = %server.name(), "{why}");
            }
        });
    }

    fn get_info(&self) -> ClientConfig {
        ClientConfig::new(
            ClientCapabilities::default(),
            Implementation::new("bedrock-tui", env!("CARGO_PKG_VERSION")),
        )
    }
}

fn init_error(e: &rmcp::service::ClientInitializeError) -> String {
    use rmcp::service::ClientInitializeError as E;
    match e {
        E::ConnectionClosed(_) => "exited or closed its connection while starting".into(),
        E::JsonRpcError(data) => format!(
            "refused to initialize: {}",
            crate::sanitize::text(&data.message)
        ),
        other => format!(
            "could not initialize: {}",
            crate::sanitize::text(&other.to_string())
        ),
    }
}

fn service_error(e: &ServiceError) -> String {
    match e {
        ServiceError::McpError(data) => {
            format!(
                "error {}: {}",
                data.code.0,
                crate::sanitize::text(&data.message)
            )
        }
        ServiceError::UnexpectedResponse => {
            "it answered with something that is not a tool result".into()
        }
        other => crate::sanitize::text(&other.to_string()),
    }
}
