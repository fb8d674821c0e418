//! The `bedrock-tui` binary: parses the command line and runs the chosen command.

use std::io::Write;

use anyhow::Context;
use clap::Parser;

use bedrock_tui::cli::{Cli, Command, ServeLocal};
use bedrock_tui::local::LocalEndpoint;

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::ServeLocal(opts) => serve_local(opts),
    }
}

fn serve_local(opts: ServeLocal) -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .init();
    let settings = opts.settings().map_err(anyhow::Error::msg)?;
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    runtime.block_on(async move {
        let endpoint = LocalEndpoint::start(opts.addr, settings)
            .await
            .with_context(|| format!("binding {}", opts.addr))?;
        let mut out = std::io::stdout().lock();
        writeln!(out, "local Bedrock endpoint listening on {}", endpoint.url())?;
        writeln!(
            out,
            "point an SDK at it: AWS_ENDPOINT_URL_BEDROCK_RUNTIME={} (any credentials are accepted)",
            endpoint.url()
        )?;
        out.flush()?;
        drop(out);
        wait_for_signal().await?;
        endpoint.shutdown().await;
        anyhow::Ok(())
    })
}

async fn wait_for_signal() -> anyhow::Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate()).context("installing the SIGTERM handler")?;
    tokio::select! {
        r = tokio::signal::ctrl_c() => r.context("waiting for SIGINT")?,
        _ = term.recv() => {}
    }
    Ok(())
}
