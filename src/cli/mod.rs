//! The command line: the flags of the chat, one module per subcommand (siblings that
//! share `common`), and the dispatch from the parsed command to its module.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

mod ask;
mod ask_tools;
mod batch;
mod batch_drive;
mod batch_progress;
mod batch_run;
mod batch_state;
mod chat;
mod common;
mod compare;
mod count;
mod download;
mod guardrail;
mod invoke;
mod jobs;
mod models;
mod output;
mod poll;
mod serve_local;
mod table;

#[derive(Debug, Parser)]
#[command(
    name = "bedrock-tui",
    version,
    about = "A terminal client and playground for Amazon Bedrock"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Model id, inference profile id or ARN to chat with [default: the config's
    /// `model`, else Claude Haiku 4.5].
    #[arg(long)]
    pub model: Option<String>,
    /// System prompt of the conversation.
    #[arg(long)]
    pub system: Option<String>,
    /// Continue the most recent conversation.
    #[arg(long = "continue", short = 'c')]
    pub continue_last: bool,
    /// Guardrail every turn is sent with: a `[[guardrails]]` label or id from the
    /// config, or ID[:VERSION] (version DRAFT when left out) [default: the config's
    /// `guardrail`].
    #[arg(long, value_name = "ID[:VERSION]")]
    pub guardrail: Option<String>,
    /// Code-highlighting theme (`/theme` in the app lists them).
    #[arg(long)]
    pub theme: Option<String>,
    /// Read this config file instead of the default one (also BEDROCK_TUI_CONFIG).
    #[arg(long, value_name = "FILE", global = true)]
    pub config: Option<PathBuf>,
    /// Print where the config file is read from, and exit.
    #[arg(long)]
    pub print_config_path: bool,
    /// Print a commented example config file, and exit.
    #[arg(long)]
    pub print_default_config: bool,
    #[command(flatten)]
    pub connect: common::ConnectArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Ask one question; the answer is streamed to standard output.
    Ask(ask::Ask),
    /// Many requests from a JSONL file: `run` sends them from here with adaptive
    /// concurrency; `submit` hands them to Bedrock batch inference, and `list`, `get`,
    /// `stop` and `download` follow its jobs.
    Batch(batch::Batch),
    /// Count the input tokens of a prompt (CountTokens, or an estimate) and price the turn.
    Count(count::Count),
    /// Check text against a guardrail (ApplyGuardrail).
    Guardrail(guardrail::Guardrail),
    /// Send a model's native request body (InvokeModel, or with --stream
    /// InvokeModelWithResponseStream) and print the response or its chunks.
    Invoke(invoke::Invoke),
    /// List, start and wait for async invocations, and download their outputs from S3.
    Jobs(jobs::Jobs),
    /// List the models: the built-in catalog, merged with what the region lists when
    /// credentials allow.
    Models(models::Models),
    /// Serve a local Bedrock Runtime endpoint backed by a deterministic simulated model.
    ServeLocal(serve_local::ServeLocal),
}

/// Runs the parsed command line to its end; the exit code says how it went. An error
/// is one plain line on stderr; a reader that closed standard output early (`| head`)
/// is not an error.
/// How requests authenticate, in the order the first one found is used.
const AUTH_HELP: &str = "Authentication, the first found is used:
  API key       AWS_BEARER_TOKEN_BEDROCK, else the config's api_key (a command or file)
  access keys   AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN)
  profile       --profile, the config's profile or AWS_PROFILE: keys, SSO, roles, processes
  instance      an instance, container or web-identity role
AWS_CA_BUNDLE adds certificates to trust (serve-local --tls prints the line to set).";

/// What the environment says will be used, without resolving anything.
fn auth_in_use() -> String {
    let set = |v: &str| std::env::var_os(v).is_some_and(|x| !x.is_empty());
    let what = if set(crate::bedrock::auth::API_KEY_VAR) {
        "a Bedrock API key (AWS_BEARER_TOKEN_BEDROCK)".to_owned()
    } else if set("AWS_ACCESS_KEY_ID") {
        "access keys from the environment".to_owned()
    } else if let Some(p) = std::env::var_os("AWS_PROFILE").filter(|p| !p.is_empty()) {
        format!(
            "profile {} (AWS_PROFILE) unless --profile or the config's api_key or profile says otherwise",
            crate::sanitize::text(&p.to_string_lossy())
        )
    } else {
        "the config's api_key or profile, else the default profile; \
         the chat's status bar names what was found"
            .to_owned()
    };
    format!("{AUTH_HELP}\nIn use here: {what}.")
}

/// The command line, with `--help` saying how requests would authenticate here.
pub fn parse() -> Cli {
    let help = auth_in_use();
    let command = Cli::command()
        .after_help(help.clone())
        .mut_subcommands(|c| {
            if c.get_name() == "serve-local" {
                c
            } else {
                c.after_help(help.clone())
            }
        });
    let matches = command.get_matches();
    Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit())
}

pub async fn run(cli: Cli) -> ExitCode {
    match dispatch(cli).await {
        Ok(code) => code,
        Err(e) if output::closed(&e) => ExitCode::SUCCESS,
        Err(e) => {
            output::note(output::error_message(&e));
            ExitCode::FAILURE
        }
    }
}

async fn dispatch(cli: Cli) -> anyhow::Result<ExitCode> {
    let Some(command) = cli.command else {
        return chat::run(cli).await.map(|()| ExitCode::SUCCESS);
    };
    let config = || crate::config::load(cli.config.as_deref());
    match command {
        Command::ServeLocal(opts) => serve_local::run(opts).await?,
        Command::Ask(args) => ask::run(args, config()?).await?,
        Command::Batch(args) => return batch::run(args, config()?).await,
        Command::Count(args) => count::run(args, config()?).await?,
        Command::Guardrail(args) => {
            // An intervention is a result, not an error: scripts tell it apart by the code.
            if guardrail::run(args, config()?).await? {
                return Ok(ExitCode::from(guardrail::EXIT_INTERVENED));
            }
        }
        Command::Invoke(args) => invoke::run(args, config()?).await?,
        Command::Jobs(args) => jobs::run(args, config()?).await?,
        Command::Models(args) => models::run(args).await?,
    }
    Ok(ExitCode::SUCCESS)
}
