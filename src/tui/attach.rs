//! The executor's attachment work, all blocking IO run off the event loop: reading and
//! hashing a file, listing the working directory for `@` completion, and checking a
//! question's attachments just before it is sent.

use super::executor::Tx;
use crate::app::Msg;
use crate::attach::{self, Attached};

/// Reads the file (or checks the S3 location) `arg` names, for attachment `id`.
pub(super) async fn read(id: u64, arg: String, tx: Tx) {
    let result = tokio::task::spawn_blocking(move || attach::open(&arg).map_err(|e| e.to_string()))
        .await
        .unwrap_or_else(|e| Err(e.to_string()));
    let _ = tx.send(Msg::Attached { id, result });
}

/// Lists the working directory's files.
pub(super) async fn list_files(tx: Tx) {
    let files = tokio::task::spawn_blocking(|| {
        std::env::current_dir()
            .map(|d| attach::files::list(&d))
            .unwrap_or_default()
    })
    .await
    .unwrap_or_default();
    let _ = tx.send(Msg::FilesListed(files));
}

/// The question's attachments as they go: each unchanged since it was read, and the
/// files its `@path` words name read too (a file attached twice is sent once).
pub(super) async fn prepare(text: String, attached: Vec<Attached>, paths: Vec<String>, tx: Tx) {
    let result = tokio::task::spawn_blocking(move || checked(attached, paths))
        .await
        .unwrap_or_else(|e| Err(e.to_string()));
    let _ = tx.send(Msg::Prepared { text, result });
}

fn checked(mut attached: Vec<Attached>, paths: Vec<String>) -> Result<Vec<Attached>, String> {
    for a in &attached {
        attach::unchanged(a).map_err(|e| e.to_string())?;
    }
    for p in paths {
        let a = attach::open(&p).map_err(|e| e.to_string())?;
        let digest = |a: &Attached| match &a.media.source {
            crate::conversation::Source::Bytes(b) => Some(b.sha256.clone()),
            crate::conversation::Source::S3 { uri, .. } => Some(uri.clone()),
        };
        if !attached.iter().any(|b| digest(b) == digest(&a)) {
            attached.push(a);
        }
    }
    Ok(attached)
}
