//! Command-line interface: the subcommands and their options.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::local::{Fault, FaultRate, Pacing, Settings};

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
    pub connect: crate::ask::ConnectArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Ask one question; the answer is streamed to standard output.
    Ask(crate::ask::Ask),
    /// Count the input tokens of a prompt (CountTokens, or an estimate) and price the turn.
    Count(crate::count::Count),
    /// Check text against a guardrail (ApplyGuardrail).
    Guardrail(crate::guardrail_cmd::Guardrail),
    /// List, start and wait for async invocations, and download their outputs from S3.
    Jobs(crate::jobs_cmd::Jobs),
    /// List the models: the built-in catalog, merged with what the region lists when
    /// credentials allow.
    Models(crate::models::Models),
    /// Serve a local Bedrock Runtime endpoint backed by a deterministic simulated model.
    ServeLocal(ServeLocal),
}

#[derive(Debug, Args)]
pub struct ServeLocal {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:8787")]
    pub addr: SocketAddr,
    /// Folder for the endpoint's state: request log, async invocations and their S3 outputs.
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// Region assumed for requests whose signature does not name one.
    #[arg(long, default_value = "us-east-1")]
    pub region: String,
    /// Time to first token, in milliseconds.
    #[arg(long, default_value_t = 300)]
    pub ttft_ms: u64,
    /// Output tokens per second of the simulated model.
    #[arg(long, default_value_t = 80.0)]
    pub tokens_per_second: f64,
    /// Answer as fast as possible (no time to first token, no token pacing).
    #[arg(long)]
    pub no_pacing: bool,
    /// Probability (0 to 1) that a request fails with one of --fault-kinds.
    #[arg(long, default_value_t = 0.0)]
    pub fault_rate: f64,
    /// Faults drawn by --fault-rate, comma-separated (same kinds as [[fault:KIND]]).
    #[arg(long, value_delimiter = ',', default_value = "throttle")]
    pub fault_kinds: Vec<String>,
    /// Seed of the fault draw, so a soak run can be repeated.
    #[arg(long, default_value_t = 0)]
    pub fault_seed: u64,
    /// Largest request body accepted, in MiB.
    #[arg(long, default_value_t = 25)]
    pub max_body_mib: usize,
    /// How long an async invocation (StartAsyncInvoke) runs before it completes or fails.
    #[arg(long, default_value_t = 20, value_name = "N")]
    pub async_seconds: u64,
    /// Guardrail definitions (CreateGuardrail's request shape plus `guardrailId` and
    /// `versions`), merged over the built-in ones such as `demo`.
    #[arg(long, value_name = "FILE")]
    pub guardrails: Option<PathBuf>,
}

impl ServeLocal {
    /// The endpoint settings these options describe, or what is wrong with them.
    pub fn settings(&self) -> Result<Settings, String> {
        if !(0.0..=1.0).contains(&self.fault_rate) {
            return Err(format!(
                "--fault-rate must be between 0 and 1, got {}",
                self.fault_rate
            ));
        }
        let valid_rate = self.tokens_per_second > 0.0 && self.tokens_per_second.is_finite();
        if !self.no_pacing && !valid_rate {
            return Err("--tokens-per-second must be a positive number".into());
        }
        let kinds = self
            .fault_kinds
            .iter()
            .map(|k| {
                Fault::parse(k.trim()).ok_or_else(|| {
                    format!(
                        "unknown fault kind '{k}'; known kinds: {}",
                        crate::local::faults::KINDS
                    )
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        // A bad guardrails file is reported before anything starts.
        crate::local::guardrail::Registry::load(self.guardrails.as_deref())?;
        let pacing = if self.no_pacing {
            Pacing::OFF
        } else {
            Pacing {
                ttft: Duration::from_millis(self.ttft_ms),
                tokens_per_second: Some(self.tokens_per_second),
            }
        };
        Ok(Settings {
            pacing,
            region: self.region.clone(),
            fault_rate: (self.fault_rate > 0.0)
                .then(|| FaultRate::new(self.fault_rate, kinds, self.fault_seed)),
            max_body_bytes: self.max_body_mib.saturating_mul(1024 * 1024),
            data_dir: self.data_dir.clone(),
            async_seconds: self.async_seconds,
            guardrails_file: self.guardrails.clone(),
        })
    }
}
