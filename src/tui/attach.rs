//! The executor's attachment work, all blocking IO run off the event loop: reading and
//! hashing a file, listing the working directory for `@` completion, and checking a
//! question's attachments just before it is sent. An S3 location is checked with S3
//! for its bucket's region, which must be the requests'.

use super::executor::{Conn, Tx, connection};
use crate::app::Msg;
use crate::attach::{self, Attached};
use crate::conversation::Source;

/// Reads the file (or checks the S3 location) `arg` names, for attachment `id`.
pub(super) async fn read(id: u64, arg: String, conn: Conn, tx: Tx) {
    let read = move || {
        attach::open(&arg).map(|mut a| {
            a.tokens = attach::tokens(&a.media);
            a
        })
    };
    let result = match blocking(read).await {
        Ok(a) => in_region(a, conn).await,
        Err(e) => Err(e),
    };
    let _ = tx.send(Msg::Attached { id, result });
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, attach::Error> + Send + 'static,
) -> Result<T, String> {
    tokio::task::spawn_blocking(move || f().map_err(|e| e.to_string()))
        .await
        .unwrap_or_else(|e| Err(e.to_string()))
}

/// `a`, unless it is an S3 location whose bucket S3 says is in another region.
async fn in_region(a: Attached, conn: Conn) -> Result<Attached, String> {
    let Source::S3 { uri, .. } = &a.media.source else {
        return Ok(a);
    };
    let (Some(bucket), Some(conn)) = (attach::bucket(uri), connection(conn).await) else {
        return Ok(a);
    };
    let region = crate::bedrock::s3::bucket_region(&conn.s3, bucket).await;
    attach::same_region(uri, region.as_deref(), &conn.region).map_err(|e| e.to_string())?;
    Ok(a)
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
pub(super) async fn prepare(
    text: String,
    attached: Vec<Attached>,
    paths: Vec<String>,
    conn: Conn,
    tx: Tx,
) {
    let result = match blocking(move || checked(attached, paths)).await {
        Ok(list) => {
            let mut out = Vec::with_capacity(list.len());
            let mut failed = None;
            for a in list {
                match in_region(a, conn.clone()).await {
                    Ok(a) => out.push(a),
                    Err(e) => {
                        failed = Some(e);
                        break;
                    }
                }
            }
            failed.map_or(Ok(out), Err)
        }
        Err(e) => Err(e),
    };
    let _ = tx.send(Msg::Prepared { text, result });
}

fn checked(
    mut attached: Vec<Attached>,
    paths: Vec<String>,
) -> Result<Vec<Attached>, attach::Error> {
    for a in &attached {
        attach::unchanged(a)?;
    }
    for p in paths {
        let a = attach::open(&p)?;
        let key = |a: &Attached| match &a.media.source {
            Source::Bytes(b) => b.sha256.clone(),
            Source::S3 { uri, .. } => uri.clone(),
        };
        if !attached.iter().any(|b| key(b) == key(&a)) {
            attached.push(a);
        }
    }
    Ok(attached)
}
