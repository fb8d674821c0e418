//! `bedrock-tui batch`: many requests from a JSONL file. `run` sends them from here
//! with adaptive concurrency (see `batch_run`).

use std::process::ExitCode;

use clap::{Args, Subcommand};

#[derive(Debug, Args)]
pub struct Batch {
    #[command(subcommand)]
    pub command: BatchCommand,
}

#[derive(Debug, Subcommand)]
pub enum BatchCommand {
    /// Send every record of a JSONL file from here, as many at once as the service
    /// takes, writing each result to --out as it finishes; a rerun resumes.
    Run(super::batch_run::Run),
}

/// Runs the batch command; the exit code says whether every record was answered.
pub async fn run(args: Batch, config: crate::config::Config) -> anyhow::Result<ExitCode> {
    match args.command {
        BatchCommand::Run(run) => super::batch_run::run(run, config).await,
    }
}
