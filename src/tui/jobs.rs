//! The executor's tasks for async jobs and batch inference jobs: listing, starting,
//! stopping and downloading, each answering with a message, so the screen never waits
//! on them.

use std::path::{Path, PathBuf};
use std::time::Instant;

use super::executor::{Conn, Tx, connection};
use crate::app::Msg;
use crate::app::jobs::{Download, DownloadFailure, JobInput, JobStart, ListFailure};
use crate::bedrock::jobs::{JobsClient, StartRequest};
use crate::bedrock::s3::{self as output, OutputError};
use crate::jobs::input;

pub(super) async fn list(request: u64, conn: Conn, tx: Tx) {
    let Some(conn) = connection(conn).await else {
        return;
    };
    let client = JobsClient::new(&conn).without_retries();
    let (result, batch) = tokio::join!(client.list(None), crate::bedrock::batch::list_once(&conn));
    let result = result.map_err(|e| ListFailure {
        throttled: e.is_throttled(),
        message: e.to_string(),
    });
    let batch = batch.map_err(|e| ListFailure {
        throttled: matches!(e, crate::app::error::BedrockError::Throttled { .. }),
        message: e.to_string(),
    });
    let _ = tx.send(Msg::JobsListed {
        request,
        at: Instant::now(),
        result,
        batch,
    });
}

pub(super) async fn stop_batch(arn: String, conn: Conn, tx: Tx) {
    let Some(conn) = connection(conn).await else {
        return;
    };
    let result = crate::bedrock::batch::stop(&conn, &arn)
        .await
        .map_err(|e| e.to_string());
    let _ = tx.send(Msg::BatchStopped { arn, result });
}

/// The model input the form asked for: a file read now, or the model's template.
fn model_input(start: &JobStart) -> Result<serde_json::Value, String> {
    match &start.input {
        JobInput::File(path) => {
            input::from_file(&crate::paths::expand_home(path)).map_err(|e| e.to_string())
        }
        JobInput::Json(v) => Ok(v.clone()),
        JobInput::Prompt(prompt) => {
            let catalog = crate::catalog::Catalog::builtin();
            let model = input::async_model(catalog, &start.model_id)
                .map_err(|e| e.to_string())?
                .ok_or_else(|| format!("{} has no prompt template", start.model_id))?;
            input::from_prompt(model, prompt, &Default::default()).map_err(|e| e.to_string())
        }
    }
}

pub(super) async fn start(start: JobStart, conn: Conn, tx: Tx) {
    let Some(conn) = connection(conn).await else {
        return;
    };
    let result = match model_input(&start) {
        Ok(input) => {
            let req = StartRequest::new(
                &start.model_id,
                input,
                start.output.clone(),
                Some(start.token.clone()),
            );
            JobsClient::new(&conn)
                .start(&req)
                .await
                .map_err(|e| e.to_string())
        }
        Err(e) => Err(e),
    };
    let _ = tx.send(Msg::JobStarted {
        at: Instant::now(),
        result,
    });
}

/// Text outputs are previewed: the first lines of a small JSON or text file.
fn preview(path: &Path) -> Option<String> {
    const LINES: usize = 12;
    let text_like = matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("json" | "jsonl" | "txt" | "md" | "csv")
    );
    let small = std::fs::metadata(path).ok()?.len() <= 256 * 1024;
    if !text_like || !small {
        return None;
    }
    let text = std::fs::read_to_string(path).ok()?;
    let shown = match serde_json::from_str::<serde_json::Value>(&text) {
        Ok(v) => serde_json::to_string_pretty(&v).unwrap_or(text),
        Err(_) => text,
    };
    Some(shown.lines().take(LINES).collect::<Vec<_>>().join("\n"))
}

pub(super) async fn download(
    arn: String,
    folder: String,
    dir: PathBuf,
    overwrite: bool,
    conn: Conn,
    tx: Tx,
) {
    let Some(conn) = connection(conn).await else {
        return;
    };
    // Progress is told every 2% of a file, so a large file does not flood the loop.
    let mut told = (usize::MAX, 0u64);
    let result = output::download_all(&conn.s3, &folder, &dir, overwrite, |i, n, p| {
        let step = p.total.unwrap_or(0) / 50;
        if told.0 != i || p.done >= told.1 + step.max(1) || Some(p.done) == p.total {
            told = (i, p.done);
            let _ = tx.send(Msg::DownloadProgress {
                arn: arn.clone(),
                progress: Download::Running {
                    file: i + 1,
                    files: n,
                    name: p.object.name.clone(),
                    done: p.done,
                    total: p.total,
                },
            });
        }
    })
    .await
    .map(|paths| {
        paths
            .into_iter()
            .map(|p| {
                let text = preview(&p);
                (p, text)
            })
            .collect()
    })
    .map_err(|e| match e {
        OutputError::Exists { path } => DownloadFailure::Exists(path),
        other => DownloadFailure::Other(other.to_string()),
    });
    let _ = tx.send(Msg::Downloaded { arn, result });
}
