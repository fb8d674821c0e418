//! What the subcommands share: the connection flags and the connection they make, and
//! the model and prompt of a one-shot command.

use std::io::Read;
use std::time::Duration;

use clap::Args;

use crate::app::turn::TurnRequest;
use crate::bedrock::{self, ConnectOptions, NoCredentials};
use crate::catalog::{Catalog, invocation_id};
use crate::config::DEFAULT_MODEL;
use crate::conversation::{Inference, Message};
use crate::local::Pacing;

/// Options shared by every command that talks to Bedrock.
#[derive(Debug, Clone, Args)]
pub struct ConnectArgs {
    /// AWS profile (default: AWS_PROFILE or the default profile).
    #[arg(long, env = "AWS_PROFILE")]
    pub profile: Option<String>,
    /// AWS region (default: from the profile or AWS_REGION).
    #[arg(long)]
    pub region: Option<String>,
    /// Send requests to this Bedrock endpoint (runtime and control plane) instead of AWS.
    #[arg(long)]
    pub endpoint_url: Option<String>,
    /// Start the local endpoint in-process and use it: the built-in simulated model, no
    /// AWS account needed.
    #[arg(long, conflicts_with = "endpoint_url")]
    pub local: bool,
}

impl ConnectArgs {
    pub fn options(&self, local_pacing: Option<Pacing>) -> ConnectOptions {
        ConnectOptions {
            profile: self.profile.clone(),
            region: self.region.clone(),
            endpoint_url: self.endpoint_url.clone(),
            local: self.local,
            local_pacing,
            fallback_local: false,
            api_key: None,
        }
    }
}

/// The prompt, model and system prompt of a one-shot command (`ask`, `count`).
#[derive(Debug, Clone, Args)]
pub struct PromptArgs {
    /// The prompt; `-` or nothing reads it from standard input.
    pub prompt: Option<String>,
    /// Model id, inference profile id or ARN [default: the config's `model`, else
    /// Claude Haiku 4.5].
    #[arg(long)]
    pub model: Option<String>,
    /// System prompt.
    #[arg(long)]
    pub system: Option<String>,
    /// Attach a file (image, document, video) or an s3://bucket/key location; repeat
    /// for more. Checked against the model and the service's limits before anything is
    /// sent.
    #[arg(long = "attach", value_name = "PATH")]
    pub attach: Vec<String>,
}

/// What a one-shot command starts from: the connection made and the turn that sends
/// the prompt (without inference parameters), with what the flags leave out taken from
/// `config`.
pub struct OneShot {
    pub conn: bedrock::Connection,
    pub turn: TurnRequest,
}

impl OneShot {
    pub async fn start(
        args: &PromptArgs,
        connect: &ConnectArgs,
        config: &crate::config::Config,
    ) -> anyhow::Result<Self> {
        let model = args
            .model
            .clone()
            .or(config.model.clone())
            .unwrap_or_else(|| DEFAULT_MODEL.to_owned());
        // Checked as the chat checks it, before anything is read or sent.
        crate::catalog::check_model_id(&model).map_err(|e| anyhow::anyhow!("--model: {e}"))?;
        let media = attachments(&args.attach)?;
        let prompt = prompt_text(args.prompt.as_deref())?;
        let mut messages = vec![Message::question(&prompt, media)];
        crate::app::adapt::fit_citations(&mut messages, &model);
        crate::attach::rules::check(Catalog::builtin(), &model, &messages)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let conn = self::connect(connect, config).await?;
        for m in messages.iter().flat_map(Message::media) {
            if let crate::conversation::Source::S3 { uri, .. } = &m.source
                && let Some(bucket) = crate::attach::bucket(uri)
            {
                let region = bedrock::s3::bucket_region(&conn.s3, bucket).await;
                crate::attach::same_region(uri, region.as_deref(), &conn.region)
                    .map_err(|e| anyhow::anyhow!("--attach: {e}"))?;
            }
        }
        let turn = TurnRequest {
            model_id: invocation_id(Catalog::builtin(), &model, &conn.region),
            system: args.system.clone().or(config.system.clone()),
            messages,
            inference: Inference::default(),
            guardrail: None,
            tools: None,
        };
        Ok(OneShot { conn, turn })
    }
}

/// The files and S3 locations of `--attach`, read and checked; document names made
/// unique.
fn attachments(args: &[String]) -> anyhow::Result<Vec<crate::conversation::Media>> {
    let mut out: Vec<crate::conversation::Media> = Vec::new();
    for a in args {
        let mut m = crate::attach::open(a)
            .map_err(|e| anyhow::anyhow!("--attach: {e}"))?
            .media;
        if m.kind == crate::conversation::Kind::Document {
            let taken: Vec<&str> = out.iter().map(|m| m.name.as_str()).collect();
            m.name = crate::attach::rules::unique_name(&m.name, &taken);
        }
        out.push(m);
    }
    Ok(out)
}

/// The model a command names: `--model`, else the config's `model`, else the default;
/// checked against the catalog before anything is read or sent.
pub fn model(arg: Option<&str>, config: &crate::config::Config) -> anyhow::Result<String> {
    let model = arg
        .map(str::to_owned)
        .or(config.model.clone())
        .unwrap_or_else(|| DEFAULT_MODEL.to_owned());
    crate::catalog::check_model_id(&model).map_err(|e| anyhow::anyhow!("--model: {e}"))?;
    Ok(model)
}

/// What can be done when no credentials are found.
pub const CREDENTIAL_CHOICES: &str = "configure a profile (`aws configure`, or `aws sso login` \
     with --profile or AWS_PROFILE), set AWS_BEARER_TOKEN_BEDROCK to a Bedrock API key, \
     or pass --endpoint-url URL to use another endpoint";

/// The connection of a command. Without credentials and without `--endpoint-url` it
/// fails, naming the choices: a script never gets simulated answers it did not ask
/// for with `--local`.
pub async fn connect(
    connect: &ConnectArgs,
    config: &crate::config::Config,
) -> anyhow::Result<bedrock::Connection> {
    let opts = config.connect_options(connect.options(Some(Pacing::OFF)));
    bedrock::connect(&opts).await.map_err(|e| {
        if e.is::<NoCredentials>() {
            anyhow::anyhow!(
                "no AWS credentials found: {CREDENTIAL_CHOICES}; \
                 --local uses the built-in simulated model instead"
            )
        } else {
            e
        }
    })
}

/// A `--poll-interval` style argument: a number of seconds above 0.
pub fn seconds_arg(text: &str) -> Result<Duration, String> {
    match text.parse::<f64>() {
        Ok(s) if s > 0.0 && s.is_finite() => Ok(Duration::from_secs_f64(s)),
        _ => Err(format!("'{text}' is not a number of seconds above 0")),
    }
}

/// An interval as a poll line says it: tenths below 10 seconds.
pub fn seconds(d: Duration) -> String {
    if d < Duration::from_secs(10) {
        format!("{:.1}s", d.as_secs_f64())
    } else {
        format!("{}s", d.as_secs())
    }
}

/// The text of a one-shot command: the argument, or standard input for `-` or none.
pub fn prompt_text(prompt: Option<&str>) -> anyhow::Result<String> {
    let text = match prompt {
        Some(p) if p != "-" => p.to_owned(),
        _ => {
            let mut s = String::new();
            std::io::stdin().read_to_string(&mut s)?;
            s
        }
    };
    if text.trim().is_empty() {
        anyhow::bail!("the prompt is empty: pass it as an argument or on standard input");
    }
    Ok(text.replace("\r\n", "\n"))
}
