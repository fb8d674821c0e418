//! The `bedrock-tui` binary: parses the command line and runs the chosen command on one
//! async runtime.

use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;

use bedrock_tui::cli::{self, Cli};

fn main() -> anyhow::Result<ExitCode> {
    let cli = Cli::parse();
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    runtime.block_on(cli::run(cli))
}
