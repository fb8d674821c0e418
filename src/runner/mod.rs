//! The only code that runs tools: command tools as child processes and MCP servers
//! through the official Rust SDK (rmcp). Everything it hands back (results, failure
//! messages, tool descriptions) is sanitized and capped.

mod command;
mod mcp;
mod process;
mod result;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use tokio::sync::mpsc::UnboundedSender;

use crate::tools::{CommandTool, Output, ServerState, Settings, Tool};

/// How long `shutdown` waits for servers to exit on their own before killing them.
const SHUTDOWN_WAIT: Duration = Duration::from_secs(1);

/// What the runner tells the app as it goes.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// A server's state changed: Starting, then Ready with its tools (again whenever it
    /// sends notifications/tools/list_changed and the list is re-read), or Failed with
    /// a message ending in its stderr's tail.
    Server {
        name: String,
        state: ServerState,
        tools: Vec<Tool>,
    },
}

/// Runs the configured tools. Cheap to clone; every clone drives the same servers.
#[derive(Clone)]
pub struct Runner {
    inner: Arc<Inner>,
}

struct Inner {
    commands: BTreeMap<String, CommandTool>,
    /// By server name.
    servers: BTreeMap<String, Arc<mcp::Server>>,
    max_result_bytes: usize,
}

impl Drop for Inner {
    /// The last runner gone: its servers go too, even without `shutdown`.
    fn drop(&mut self) {
        for s in self.servers.values() {
            s.stop();
            s.kill();
        }
    }
}

impl Runner {
    /// Starts every MCP server in the background (does not wait); reports through
    /// `events`. Must be called within a Tokio runtime.
    pub fn start(settings: &Settings, events: UnboundedSender<Event>) -> Runner {
        let commands = settings
            .commands
            .iter()
            .map(|c| (c.spec.name.clone(), c.clone()))
            .collect();
        let servers = settings
            .servers
            .iter()
            .map(|s| {
                let server =
                    mcp::Server::start(s.clone(), settings.max_result_bytes, events.clone());
                (s.name.clone(), server)
            })
            .collect();
        Runner {
            inner: Arc::new(Inner {
                commands,
                servers,
                max_result_bytes: settings.max_result_bytes,
            }),
        }
    }

    /// Runs tool `name` (a command tool's name, or an MCP tool's namespaced name
    /// `server__tool`) with `input`. Never panics; every failure is an error `Output`
    /// with a message the model can act on. Dropping the future cancels the call: a
    /// command's process group is killed, an MCP request is cancelled.
    pub async fn call(&self, name: &str, input: Value) -> Output {
        let inner = &self.inner;
        if let Some(tool) = inner.commands.get(name) {
            return command::run(tool, &input, inner.max_result_bytes).await;
        }
        // Server names have no "__", so the first one ends the server's part.
        if let Some((server, _)) = name.split_once("__")
            && let Some(s) = inner.servers.get(server)
        {
            return s.call(name, input).await;
        }
        let mut known: Vec<&str> = inner.commands.keys().map(String::as_str).collect();
        known.extend(inner.servers.values().map(|s| s.name()));
        let msg = if known.is_empty() {
            format!(
                "There is no tool named '{}', and no tools are configured.",
                crate::sanitize::text(name)
            )
        } else {
            format!(
                "There is no tool named '{}'. Command tools and MCP servers configured: {}.",
                crate::sanitize::text(name),
                known.join(", ")
            )
        };
        Output::error(msg).capped(inner.max_result_bytes)
    }

    /// Stops every server (child processes killed) and waits briefly for them.
    pub async fn shutdown(&self) {
        let servers: Vec<_> = self.inner.servers.values().collect();
        for s in &servers {
            s.stop();
        }
        let mut tasks: Vec<_> = servers.iter().filter_map(|s| s.take_task()).collect();
        let all = futures_util::future::join_all(tasks.iter_mut());
        if tokio::time::timeout(SHUTDOWN_WAIT, all).await.is_err() {
            tracing::info!("MCP servers slow to stop: stopped");
            // A server still starting (an HTTP one cannot be killed) stops waiting.
            for t in &tasks {
                t.abort();
            }
        }
        // Whatever is left of a stdio server's process group (or a server that would
        // not close its stdin) goes now.
        for s in &servers {
            s.kill();
        }
    }
}
