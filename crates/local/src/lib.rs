//! The local Bedrock endpoint: a wire-faithful stand-in for the Bedrock Runtime API
//! (restJson1 over HTTP/1.1 and HTTP/2 on one port: cleartext by default, or HTTPS with
//! a self-signed certificate, ALPN choosing the version) backed by a deterministic
//! simulated model. Used by `serve-local`, by the app's local mode and by the tests.
//! It depends on the model catalog (`bedrock-catalog`) and nothing of the app.

// An item is `pub` only where the app, its tests or another user of the endpoint
// needs it; the rest is `pub(crate)`, and this lint keeps it so.
#![warn(unreachable_pub)]

mod batch;
mod cache;
mod cl100k;
mod control;
mod conversation;
pub mod converse;
pub mod error;
pub mod faults;
pub mod guardrail;
pub mod jobs;
mod json;
mod media;
mod native;
mod ops;
mod profiles;
mod query;
mod quota;
mod router;
mod s3;
mod schema;
mod service;
mod simulator;
mod state;
mod stream;
mod tiers;
mod tls;
pub mod tokens;
mod validate;
pub mod wire_shape;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use bedrock_catalog::Catalog;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;

pub use faults::{FailRoute, Fault, FaultRate};
pub use state::Settings;
pub use stream::Pacing;
pub use tls::Tls;

use state::State;

/// How long a stopping endpoint lets responses in flight finish.
const DRAIN: Duration = Duration::from_secs(5);
/// How long a client has to finish a TLS handshake before its connection is closed.
const HANDSHAKE: Duration = Duration::from_secs(10);

/// A running local endpoint. Dropping it stops the server.
pub struct LocalEndpoint {
    addr: SocketAddr,
    /// The certificate clients trust, when serving HTTPS.
    certificate: Option<PathBuf>,
    stop: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
    /// Completes async invocations in the background.
    runner: Option<JoinHandle<()>>,
    /// Advances batch inference jobs in the background.
    batches: Option<JoinHandle<()>>,
}

impl LocalEndpoint {
    /// Binds `addr` (port 0 picks a free port) and starts serving in the background:
    /// HTTPS when `settings.tls` is set, its certificate made or reused first.
    pub async fn start(addr: SocketAddr, settings: Settings) -> std::io::Result<LocalEndpoint> {
        if let Some(dir) = &settings.data_dir {
            std::fs::create_dir_all(dir)?;
        }
        // Loading the tokenizer takes a moment; do it now rather than in the first request.
        tokio::task::spawn_blocking(|| tokens::count("warm up"))
            .await
            .ok();
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        // Key generation and file writes: off the async threads too.
        let acceptor = match settings.tls.clone() {
            Some(tls) => {
                let names = tls::names(addr.ip());
                let acceptor = tokio::task::spawn_blocking(move || tls::acceptor(&tls, &names))
                    .await
                    .map_err(std::io::Error::other)??;
                Some(acceptor)
            }
            None => None,
        };
        let certificate = settings.tls.as_ref().map(Tls::cert_path);
        // Loading guardrails compiles their patterns: off the async threads, like the tokenizer.
        let file = settings.guardrails_file.clone();
        let guardrails =
            tokio::task::spawn_blocking(move || guardrail::Registry::load(file.as_deref()))
                .await
                .map_err(std::io::Error::other)?
                .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
        let mut state = State::new(Catalog::builtin(), settings);
        state.guardrails = guardrails;
        let state = Arc::new(state);
        let (stop, stopped) = watch::channel(false);
        let runner = state
            .jobs
            .open(&state.settings, state.catalog, stopped.clone())?;
        let batches = batch::start(state.clone(), stopped.clone())?;
        let task = tokio::spawn(serve(listener, state, acceptor, stopped));
        Ok(LocalEndpoint {
            addr,
            certificate,
            stop,
            task: Some(task),
            runner: Some(runner),
            batches: Some(batches),
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The base URL to give an SDK as its endpoint: `https://` when serving HTTPS.
    pub fn url(&self) -> String {
        let scheme = if self.certificate.is_some() {
            "https"
        } else {
            "http"
        };
        format!("{scheme}://{}", self.addr)
    }

    /// The PEM certificate a client must trust when the endpoint serves HTTPS
    /// (`AWS_CA_BUNDLE` for the AWS SDKs and CLI); `None` for plain HTTP.
    pub fn certificate(&self) -> Option<&Path> {
        self.certificate.as_deref()
    }

    /// Stops accepting connections and waits for responses in flight (at most a few seconds).
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
        if let Some(runner) = self.runner.take() {
            let _ = runner.await;
        }
        if let Some(batches) = self.batches.take() {
            let _ = batches.await;
        }
    }
}

impl Drop for LocalEndpoint {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

async fn serve(
    listener: TcpListener,
    state: Arc<State>,
    tls: Option<TlsAcceptor>,
    mut stopped: watch::Receiver<bool>,
) {
    let graceful = GracefulShutdown::new();
    let builder = auto::Builder::new(TokioExecutor::new());
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, _) = match accepted {
                    Ok(conn) => conn,
                    Err(e) => {
                        // Out of file descriptors and similar: back off instead of spinning.
                        tracing::warn!("accept failed: {e}");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let state = state.clone();
                let svc = service_fn(move |req| service::handle(state.clone(), req));
                let builder = builder.clone();
                // Taken now, so that a stop waits for a connection still in its handshake.
                let watcher = graceful.watcher();
                let tls = tls.clone();
                tokio::spawn(async move {
                    // The auto builder tells HTTP/2 from HTTP/1.1 by the first bytes, so
                    // it serves whichever version ALPN settled on.
                    let ended = match tls {
                        None => {
                            let conn = builder.serve_connection(TokioIo::new(stream), svc);
                            watcher.watch(conn.into_owned()).await
                        }
                        Some(tls) => match tokio::time::timeout(HANDSHAKE, tls.accept(stream)).await {
                            Ok(Ok(stream)) => {
                                let conn = builder.serve_connection(TokioIo::new(stream), svc);
                                watcher.watch(conn.into_owned()).await
                            }
                            Ok(Err(e)) => {
                                tracing::debug!("TLS handshake failed: {e}");
                                return;
                            }
                            Err(_) => {
                                tracing::debug!("TLS handshake timed out");
                                return;
                            }
                        },
                    };
                    if let Err(e) = ended {
                        tracing::debug!("connection ended: {e}");
                    }
                });
            }
            _ = stopped.changed() => break,
        }
    }
    drop(listener);
    let _ = tokio::time::timeout(DRAIN, graceful.shutdown()).await;
}
