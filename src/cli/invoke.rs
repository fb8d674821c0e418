//! `bedrock-tui invoke`: a model's native request body sent with InvokeModel (or, with
//! `--stream`, InvokeModelWithResponseStream); the response body pretty-printed, or each
//! chunk as a line of JSON as it arrives, and the token counts on standard error.

use std::io::{Read, Write};

use clap::Args;

use super::common::ConnectArgs;
use super::output;
use crate::bedrock::invoke::{self, Counts};
use crate::catalog::{Catalog, invocation_id};

#[derive(Debug, Args)]
pub struct Invoke {
    /// Model id, inference profile id or ARN [default: the config's `model`, else
    /// Claude Haiku 4.5]. The body is in this model's native format.
    #[arg(long)]
    pub model: Option<String>,
    /// The request body (JSON): a file, or `-` for standard input.
    #[arg(long, default_value = "-", value_name = "FILE")]
    pub body: String,
    /// Stream the response (InvokeModelWithResponseStream): one line of JSON per chunk.
    #[arg(long)]
    pub stream: bool,
    #[command(flatten)]
    pub connect: ConnectArgs,
}

/// The body, read and checked as JSON before anything is sent.
fn body(arg: &str) -> anyhow::Result<Vec<u8>> {
    let bytes = if arg == "-" {
        let mut b = Vec::new();
        std::io::stdin().read_to_end(&mut b)?;
        b
    } else {
        std::fs::read(crate::paths::expand_home(arg))
            .map_err(|e| anyhow::anyhow!("--body {arg}: {e}"))?
    };
    if let Err(e) = serde_json::from_slice::<serde_json::Value>(&bytes) {
        anyhow::bail!("the request body is not JSON ({e}); nothing was sent");
    }
    Ok(bytes)
}

/// A JSON document as the terminal may show it: pretty, its strings escaped (control
/// characters in model output come out as `\u001b`, never raw).
fn pretty(bytes: &[u8], pretty: bool) -> String {
    match serde_json::from_slice::<serde_json::Value>(bytes) {
        Ok(v) if pretty => serde_json::to_string_pretty(&v).unwrap_or_default(),
        Ok(v) => v.to_string(),
        Err(_) => crate::sanitize::text(&String::from_utf8_lossy(bytes)),
    }
}

/// "input 12 · output 34 tokens", or what the service did not say.
fn counts_line(c: Counts) -> String {
    let n = |v: Option<u32>| v.map_or("?".to_owned(), |v| v.to_string());
    format!(
        "usage: input {} · output {} tokens",
        n(c.input),
        n(c.output)
    )
}

pub async fn run(args: Invoke, config: crate::config::Config) -> anyhow::Result<()> {
    let model = super::common::model(args.model.as_deref(), &config)?;
    let body = body(&args.body)?;
    let conn = super::common::connect(&args.connect, &config).await?;
    let model_id = invocation_id(Catalog::builtin(), &model, &conn.region);
    let mut out = output::stdout();
    let counts = if args.stream {
        let mut failed = None;
        let counts = invoke::invoke_stream(&conn, &model_id, body, |chunk| {
            if failed.is_none()
                && let Err(e) = writeln!(out, "{}", pretty(chunk, false)).and_then(|()| out.flush())
            {
                failed = Some(e);
            }
        })
        .await?;
        if let Some(e) = failed {
            return Err(e.into());
        }
        counts
    } else {
        let (response, counts) = invoke::invoke(&conn, &model_id, body).await?;
        writeln!(out, "{}", pretty(&response, true))?;
        counts
    };
    out.flush()?;
    output::note(format!("{model_id} {}", counts_line(counts)));
    Ok(())
}
