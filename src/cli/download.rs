//! A job's outputs downloaded from S3, for `jobs download` and `batch download`: the
//! folder they go to, progress on stderr when it is a terminal, and each path written
//! on standard output.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use clap::Args;

use super::output;
use crate::bedrock::s3::{self, OutputError};

/// Where the outputs go.
#[derive(Debug, Args)]
pub struct DownloadTo {
    /// The folder to download into [default: the config's `download_dir`, else the
    /// current folder]; the files go to DIR/ID/.
    pub dir: Option<PathBuf>,
    /// Replace files that already exist.
    #[arg(long)]
    pub overwrite: bool,
}

/// Downloads every object under `folder` into DIR/`id`/ and prints each path written;
/// returns them.
pub async fn outputs(
    conn: &crate::bedrock::Connection,
    folder: &str,
    to: &DownloadTo,
    config: &crate::config::Config,
    id: &str,
) -> anyhow::Result<Vec<PathBuf>> {
    let dir = match (&to.dir, &config.download_dir) {
        (Some(d), _) => d.clone(),
        (None, Some(d)) => crate::paths::expand_home(&d.to_string_lossy()),
        (None, None) => std::env::current_dir()?,
    }
    .join(id);
    let show = std::io::stderr().is_terminal();
    let paths = s3::download_all(&conn.s3, folder, &dir, to.overwrite, |_, _, p| {
        if show {
            let total = p.total.map(|t| format!(" of {t}")).unwrap_or_default();
            let name = crate::sanitize::text(&p.object.name);
            // Progress is a courtesy: a closed stderr does not stop the download.
            let _ = write!(std::io::stderr(), "\r\x1b[K{name} {}{total} bytes", p.done);
        }
    })
    .await
    .map_err(|e| match e {
        OutputError::Exists { .. } => anyhow::anyhow!("{e}; pass --overwrite to replace it"),
        other => other.into(),
    })?;
    if show {
        let _ = write!(std::io::stderr(), "\r\x1b[K");
    }
    let mut out = output::stdout();
    for path in &paths {
        // Keys come from the bucket: a name with control characters must not reach the terminal.
        writeln!(
            out,
            "{}",
            crate::sanitize::text(&path.display().to_string())
        )?;
    }
    out.flush()?;
    Ok(paths)
}
