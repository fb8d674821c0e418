//! Logs of the interactive app go to a file (the screen belongs to the UI), created 0600.

use std::fs::OpenOptions;
use std::path::PathBuf;
use std::sync::Mutex;

use anyhow::Context;

/// The log file: `bedrock-tui.log` in the user's local data directory.
pub fn path() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "bedrock-tui")
        .map(|d| d.data_local_dir().join("bedrock-tui.log"))
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
        .with_writer(Mutex::new(file))
        .with_ansi(false)
        .with_env_filter(filter)
        .try_init();
    Ok(())
}
