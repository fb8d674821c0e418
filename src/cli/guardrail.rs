//! `bedrock-tui guardrail apply`: screens a text with ApplyGuardrail and prints what the
//! guardrail did; the exit code says whether it intervened, for scripts and CI.

use std::io::Write;

use clap::{Args, Subcommand, ValueEnum};

use super::common::{self, ConnectArgs};
use super::output;
use crate::guardrail::{ApplyResult, Assessment, GuardrailChoice, Source};
use crate::sanitize;

/// Exit code when the guardrail intervened.
pub const EXIT_INTERVENED: u8 = 2;

#[derive(Debug, Args)]
pub struct Guardrail {
    #[command(subcommand)]
    pub command: GuardrailCommand,
}

#[derive(Debug, Subcommand)]
pub enum GuardrailCommand {
    /// Screen a text with a guardrail (ApplyGuardrail) and print the action, the
    /// outputs and what each policy found.
    ///
    /// Exit codes: 0 when the guardrail did not intervene, 2 when it intervened,
    /// 1 on any error (bad arguments, unknown guardrail, access denied, ...).
    /// Needs the IAM permission bedrock:ApplyGuardrail on the guardrail.
    Apply(Apply),
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum SourceArg {
    /// The text is a prompt.
    Input,
    /// The text is a model's answer.
    Output,
}

#[derive(Debug, Args)]
pub struct Apply {
    /// Guardrail id or ARN, optionally with `:VERSION` [default: the config's
    /// `guardrail`].
    #[arg(long)]
    pub id: Option<String>,
    /// Guardrail version: DRAFT or a number [default: DRAFT, or the one in --id].
    #[arg(long)]
    pub version: Option<String>,
    /// Whether the text is screened as a prompt or as a model's answer.
    #[arg(long, value_enum, default_value = "input")]
    pub source: SourceArg,
    /// List every configured filter, not only those that acted (outputScope FULL).
    #[arg(long)]
    pub full: bool,
    /// Show the sensitive information matched instead of masking it.
    #[arg(long)]
    pub reveal: bool,
    /// Print the ApplyGuardrail response as JSON, in the service's shape.
    #[arg(long)]
    pub json: bool,
    /// The text; `-` or nothing reads it from standard input.
    pub text: Option<String>,
    #[command(flatten)]
    pub connect: ConnectArgs,
}

impl Apply {
    /// The guardrail these options name, else the config's default one.
    pub fn choice(&self, config: &crate::config::Config) -> anyhow::Result<GuardrailChoice> {
        let mut choice = match (&self.id, config.default_guardrail()) {
            (Some(id), _) => {
                GuardrailChoice::parse(id).map_err(|e| anyhow::anyhow!("--id: {e}"))?
            }
            (None, Some(c)) => c.clone(),
            (None, None) => anyhow::bail!(
                "no guardrail given: pass --id ID[:VERSION], or name one with `guardrail` in the config"
            ),
        };
        if let Some(v) = &self.version {
            // Checked as a version of this id; the rest of the choice stays.
            choice.version = GuardrailChoice::new(&choice.id, v)
                .map_err(|e| anyhow::anyhow!("--version: {e}"))?
                .version;
        }
        Ok(choice)
    }
}

/// Runs the command; `Ok(true)` when the guardrail intervened.
pub async fn run(args: Guardrail, config: crate::config::Config) -> anyhow::Result<bool> {
    let GuardrailCommand::Apply(args) = args.command;
    let choice = args.choice(&config)?;
    let text = common::prompt_text(args.text.as_deref())?;
    let conn = common::connect(&args.connect, &config).await?;
    let source = match args.source {
        SourceArg::Input => Source::Input,
        SourceArg::Output => Source::Output,
    };
    let result =
        crate::bedrock::guardrail::apply(&conn, &choice, source, &[text], args.full).await?;
    let printed = print(&result, &args);
    // The verdict is the exit code even when the reader stopped reading early.
    match printed {
        Err(e) if !output::closed(&e) => Err(e),
        _ => Ok(result.intervened()),
    }
}

fn print(result: &ApplyResult, args: &Apply) -> anyhow::Result<()> {
    let mut out = output::stdout();
    if args.json {
        output::json(&mut out, result)?;
    } else {
        // The outputs and matches come from the service: cleaned as one text.
        out.write_all(sanitize::text(&report(result, args.reveal)).as_bytes())?;
    }
    out.flush()?;
    Ok(())
}

/// The result as text: the action, the outputs, then one block per assessment.
fn report(r: &ApplyResult, reveal: bool) -> String {
    let mut s = format!("action: {}\n", r.action);
    if let Some(reason) = &r.action_reason {
        s.push_str(&format!("reason: {reason}\n"));
    }
    for o in &r.outputs {
        s.push_str(&format!("output: {}\n", o.text));
    }
    for (i, a) in r.assessments.iter().enumerate() {
        let fired = a.policies_that_fired();
        s.push_str(&format!(
            "assessment {}: {}\n",
            i + 1,
            if fired.is_empty() {
                "nothing found".to_owned()
            } else {
                fired.join(", ")
            }
        ));
        for line in findings(a, reveal) {
            s.push_str(&format!("  {line}\n"));
        }
    }
    s
}

/// One line per finding of an assessment, then its metrics.
fn findings(a: &Assessment, reveal: bool) -> Vec<String> {
    let mut out: Vec<String> = crate::guardrail::findings::findings(a, reveal)
        .into_iter()
        .map(|f| {
            let found = if f.detected == Some(false) {
                " (not detected)"
            } else {
                ""
            };
            format!("{} {}: {}{found}", f.policy, f.what, f.action)
        })
        .collect();
    if let Some(m) = &a.invocation_metrics {
        let mut parts = Vec::new();
        if let Some(ms) = m.guardrail_processing_latency {
            parts.push(format!("latency {ms} ms"));
        }
        if let Some(t) = m.guardrail_coverage.and_then(|c| c.text_characters) {
            parts.push(format!(
                "coverage {}/{} characters",
                t.guarded.unwrap_or(0),
                t.total.unwrap_or(0)
            ));
        }
        if let Some(u) = m.usage {
            parts.push(format!(
                "units: topic {}, content {}, word {}, sensitive information {}, grounding {}",
                u.topic_policy_units,
                u.content_policy_units,
                u.word_policy_units,
                u.sensitive_information_policy_units,
                u.contextual_grounding_policy_units
            ));
        }
        if !parts.is_empty() {
            out.push(parts.join("; "));
        }
    }
    out
}
