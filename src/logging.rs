//! Logs of the interactive app go to a file (the screen belongs to the UI), created 0600.
//! Every line passes through a scrubber first, so no credential reaches the file at any
//! level: AWS access key ids, bearer tokens (Bedrock API keys), session tokens and
//! signatures are replaced, whatever library logged them.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::PathBuf;
use std::sync::{Mutex, OnceLock};

use anyhow::Context;
use regex::Regex;

/// The log file: `bedrock-tui.log` in the user's local data directory.
pub fn path() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "bedrock-tui")
        .map(|d| d.data_local_dir().join("bedrock-tui.log"))
}

/// What a credential looks like in a log line, and what it becomes.
fn secrets() -> &'static [(Regex, &'static str)] {
    static S: OnceLock<Vec<(Regex, &'static str)>> = OnceLock::new();
    S.get_or_init(|| {
        [
            // Access key ids (long-term AKIA, temporary ASIA, and the other IAM prefixes).
            (
                r"\b(?:AKIA|ASIA|AIDA|AROA|AGPA|ANPA|ANVA|AIPA|APKA|ABIA|ACCA)[A-Z0-9]{12,}",
                "[access key id]",
            ),
            // Authorization: Bearer <Bedrock API key>, and the key on its own.
            (r"(?i)\bbearer\s+[^\s,;\x22']+", "Bearer [redacted]"),
            (r"\bABSK[A-Za-z0-9+/=]{16,}", "[api key]"),
            // SigV4 signatures and session tokens, in headers and query strings.
            (
                r"(?i)(signature=|x-amz-signature=)[0-9a-f]{16,}",
                "${1}[redacted]",
            ),
            (
                r#"(?i)(x-amz-security-token\x22?\s*[:=]\s*\x22?)[^\s,;\x22&]+"#,
                "${1}[redacted]",
            ),
            (
                r#"(?i)((?:secret_access_key|session_token|aws_bearer_token_bedrock)\x22?\s*[:=]\s*\x22?)[^\s,;\x22}]+"#,
                "${1}[redacted]",
            ),
        ]
        .into_iter()
        .filter_map(|(re, with)| Regex::new(re).ok().map(|r| (r, with)))
        .collect()
    })
}

/// `line` with every credential in it replaced.
pub fn scrub(line: &str) -> String {
    let mut out = std::borrow::Cow::Borrowed(line);
    for (re, with) in secrets() {
        if re.is_match(&out) {
            out = std::borrow::Cow::Owned(re.replace_all(&out, *with).into_owned());
        }
    }
    out.into_owned()
}

/// A writer that scrubs what it is given before passing it on. `tracing` writes each
/// event with one call, so a credential is never split between two.
pub struct Scrubbed<W>(pub W);

impl<W: Write> Write for Scrubbed<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        self.0.write_all(scrub(&text).as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

/// Sends `tracing` output to the log file (level from RUST_LOG, default info).
pub fn to_file() -> anyhow::Result<()> {
    let Some(path) = path() else {
        return Ok(());
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let mut opts = OpenOptions::new();
    opts.create(true).append(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let file = opts
        .open(&path)
        .with_context(|| format!("opening the log file {}", path.display()))?;
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_writer(Mutex::new(Scrubbed(file)))
        .with_ansi(false)
        .with_env_filter(filter)
        .try_init();
    Ok(())
}

#[cfg(test)]
#[path = "logging_tests.rs"]
mod tests;
