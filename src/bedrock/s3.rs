//! A job's files in S3: an input uploaded, and the objects in its output folder (ListObjectsV2, every page) and
//! their download to a local folder, streamed to disk with progress, never over an
//! existing file unless asked, through a temporary file renamed into place so a failed
//! download leaves nothing half-written.

use std::io::Write;
use std::path::{Component, Path, PathBuf};

use aws_sdk_s3::Client;
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};

use crate::jobs::S3Uri;

#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    #[error("the job's output location is not an S3 URI: {0}")]
    BadUri(String),
    #[error("no output objects under {uri}")]
    Empty { uri: String },
    #[error("{} already exists and was not overwritten", path.display())]
    Exists { path: PathBuf },
    #[error("the object key {key} is not a safe file name under the download folder")]
    UnsafeKey { key: String },
    #[error(
        "Access denied to {uri}: {message} The IAM policy of these credentials must allow {action}."
    )]
    AccessDenied {
        uri: String,
        action: &'static str,
        message: String,
    },
    #[error("S3 {operation} of {uri} failed: {message}")]
    S3 {
        operation: &'static str,
        uri: String,
        message: String,
    },
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Writes `body` to `s3://bucket/key` (PutObject), replacing what is there.
pub async fn upload(
    s3: &Client,
    bucket: &str,
    key: &str,
    body: Vec<u8>,
) -> Result<(), OutputError> {
    s3.put_object()
        .bucket(bucket)
        .key(key)
        .body(body.into())
        .send()
        .await
        .map_err(|e| {
            s3_error(
                &e,
                "PutObject",
                "s3:PutObject",
                format!("s3://{bucket}/{key}"),
            )
        })?;
    Ok(())
}

/// The region of `bucket` as S3 tells it: HeadBucket's `x-amz-bucket-region`, which S3
/// also sends with a redirect or an access error. `None` when it does not say.
pub async fn bucket_region(s3: &Client, bucket: &str) -> Option<String> {
    match s3.head_bucket().bucket(bucket).send().await {
        Ok(out) => out.bucket_region().map(str::to_owned),
        Err(SdkError::ServiceError(e)) => e
            .raw()
            .headers()
            .get("x-amz-bucket-region")
            .map(str::to_owned),
        Err(_) => None,
    }
}

/// One object of a job's output folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputObject {
    pub bucket: String,
    pub key: String,
    /// The key below the job's folder (`output.mp4`, `shots/shot_0001.mp4`).
    pub name: String,
    pub size: u64,
}

impl OutputObject {
    pub fn uri(&self) -> String {
        format!("s3://{}/{}", self.bucket, self.key)
    }
}

/// How far the download of one object is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress<'a> {
    pub object: &'a OutputObject,
    pub done: u64,
    /// The object's size, when S3 said it.
    pub total: Option<u64>,
}

fn s3_error<E, R>(
    err: &SdkError<E, R>,
    operation: &'static str,
    action: &'static str,
    uri: String,
) -> OutputError
where
    E: ProvideErrorMetadata + std::fmt::Debug,
    R: std::fmt::Debug,
{
    let message = err
        .message()
        .map(str::to_owned)
        .or_else(|| err.code().map(str::to_owned))
        .unwrap_or_else(|| format!("{err:?}").lines().next().unwrap_or("").to_owned());
    if err.code() == Some("AccessDenied") {
        OutputError::AccessDenied {
            uri,
            action,
            message,
        }
    } else {
        OutputError::S3 {
            operation,
            uri,
            message,
        }
    }
}

/// The objects under a job's output folder `folder` (GetAsyncInvoke's `s3Uri`), by key.
pub async fn list(s3: &Client, folder: &str) -> Result<Vec<OutputObject>, OutputError> {
    let uri = S3Uri::parse(folder).map_err(OutputError::BadUri)?;
    let prefix = uri.folder();
    let mut out = Vec::new();
    let mut next: Option<String> = None;
    loop {
        let page = s3
            .list_objects_v2()
            .bucket(&uri.bucket)
            .prefix(&prefix)
            .set_continuation_token(next.take())
            .send()
            .await
            .map_err(|e| s3_error(&e, "ListObjectsV2", "s3:ListBucket", uri.to_string()))?;
        for o in page.contents() {
            let Some(key) = o.key() else { continue };
            let name = key.strip_prefix(&prefix).unwrap_or(key);
            if name.is_empty() || name.ends_with('/') {
                continue;
            }
            out.push(OutputObject {
                bucket: uri.bucket.clone(),
                key: key.to_owned(),
                name: name.to_owned(),
                size: o.size().map_or(0, |s| s.max(0) as u64),
            });
        }
        match page.next_continuation_token() {
            Some(t) if page.is_truncated() == Some(true) => next = Some(t.to_owned()),
            _ => break,
        }
    }
    out.sort_by(|a, b| a.key.cmp(&b.key));
    Ok(out)
}

/// Where `object` goes under `dir`: its name as a relative path, refused if it could
/// climb out of `dir` or holds a control character or escape sequence that would reach
/// a terminal listing the folder (the key comes from the bucket, not from the user).
pub fn target(dir: &Path, object: &OutputObject) -> Result<PathBuf, OutputError> {
    let rel = Path::new(&object.name);
    let climbs = !rel.components().all(|c| matches!(c, Component::Normal(_)));
    let unprintable =
        crate::sanitize::keeping_tabs(&object.name) != object.name || object.name.contains('\t');
    if climbs || unprintable || object.name.contains('\\') {
        return Err(OutputError::UnsafeKey {
            key: crate::sanitize::text(&object.key),
        });
    }
    Ok(dir.join(rel))
}

/// The local paths of `objects` under `dir`; with `overwrite` unset, an error naming the
/// first that already exists, so that a refused download writes nothing.
pub fn plan(
    dir: &Path,
    objects: &[OutputObject],
    overwrite: bool,
) -> Result<Vec<PathBuf>, OutputError> {
    let paths = objects
        .iter()
        .map(|o| target(dir, o))
        .collect::<Result<Vec<_>, _>>()?;
    if !overwrite && let Some(p) = paths.iter().find(|p| p.exists()) {
        return Err(OutputError::Exists { path: p.clone() });
    }
    Ok(paths)
}

/// Every object of the output folder `folder`, downloaded into `dir` in key order;
/// `progress` hears of each chunk with the object's position and the count. Nothing is
/// written when a file is in the way and `overwrite` is unset. Returns the paths.
pub async fn download_all(
    s3: &Client,
    folder: &str,
    dir: &Path,
    overwrite: bool,
    mut progress: impl FnMut(usize, usize, Progress<'_>),
) -> Result<Vec<PathBuf>, OutputError> {
    let objects = list(s3, folder).await?;
    if objects.is_empty() {
        return Err(OutputError::Empty {
            uri: folder.to_owned(),
        });
    }
    let paths = plan(dir, &objects, overwrite)?;
    let n = objects.len();
    for (i, (object, path)) in objects.iter().zip(&paths).enumerate() {
        download(s3, object, path, overwrite, |p| progress(i, n, p)).await?;
    }
    Ok(paths)
}

/// Downloads `object` to `path`, calling `progress` after each chunk. The body goes to a
/// temporary file beside `path`, renamed to `path` once complete; without `overwrite`
/// the rename fails if `path` appeared meanwhile.
pub async fn download(
    s3: &Client,
    object: &OutputObject,
    path: &Path,
    overwrite: bool,
    mut progress: impl FnMut(Progress<'_>),
) -> Result<(), OutputError> {
    let io = |path: &Path| {
        let path = path.to_owned();
        move |source| OutputError::Io { path, source }
    };
    let parent = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(io(parent))?;
    let got = s3
        .get_object()
        .bucket(&object.bucket)
        .key(&object.key)
        .send()
        .await
        .map_err(|e| s3_error(&e, "GetObject", "s3:GetObject", object.uri()))?;
    let total = got.content_length().map(|n| n.max(0) as u64);
    let mut body = got.body;
    // Dropped on any error before the rename, which deletes it.
    let mut tmp = tempfile::Builder::new()
        .prefix(".bedrock-tui-download-")
        .tempfile_in(parent)
        .map_err(io(parent))?;
    let mut done = 0u64;
    progress(Progress {
        object,
        done,
        total,
    });
    while let Some(chunk) = body.try_next().await.map_err(|e| OutputError::S3 {
        operation: "GetObject",
        uri: object.uri(),
        message: e.to_string(),
    })? {
        tmp.write_all(&chunk).map_err(io(tmp.path()))?;
        done += chunk.len() as u64;
        progress(Progress {
            object,
            done,
            total,
        });
    }
    if let Some(t) = total
        && t != done
    {
        return Err(OutputError::S3 {
            operation: "GetObject",
            uri: object.uri(),
            message: format!("the body ended after {done} of {t} bytes"),
        });
    }
    tmp.as_file().sync_all().map_err(io(tmp.path()))?;
    let placed = if overwrite {
        tmp.persist(path).map(|_| ())
    } else {
        tmp.persist_noclobber(path).map(|_| ())
    };
    placed.map_err(|e| {
        if e.error.kind() == std::io::ErrorKind::AlreadyExists {
            OutputError::Exists {
                path: path.to_owned(),
            }
        } else {
            OutputError::Io {
                path: path.to_owned(),
                source: e.error,
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(name: &str) -> OutputObject {
        OutputObject {
            bucket: "b".into(),
            key: format!("runs/abc/{name}"),
            name: name.into(),
            size: 1,
        }
    }

    #[test]
    fn keys_stay_inside_the_download_folder() {
        let dir = Path::new("/tmp/out");
        assert_eq!(
            target(dir, &object("shots/shot_0001.mp4")).unwrap(),
            dir.join("shots/shot_0001.mp4")
        );
        for bad in [
            "../escape",
            "/etc/passwd",
            "a/../../b",
            "a\\..\\b",
            "./x",
            "out\x1b]0;pwned\x07.mp4",
            "shot\u{9b}2J.mp4",
            "name\u{202E}4pm.exe",
            "tab\there.json",
        ] {
            assert!(
                matches!(
                    target(dir, &object(bad)),
                    Err(OutputError::UnsafeKey { .. })
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn a_plan_names_an_existing_file_unless_overwriting() {
        let dir = tempfile::tempdir().unwrap();
        let objects = [object("manifest.json"), object("output.mp4")];
        assert_eq!(plan(dir.path(), &objects, false).unwrap().len(), 2);
        std::fs::write(dir.path().join("output.mp4"), b"mine").unwrap();
        let e = plan(dir.path(), &objects, false).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!(
                "{} already exists and was not overwritten",
                dir.path().join("output.mp4").display()
            )
        );
        assert_eq!(plan(dir.path(), &objects, true).unwrap().len(), 2);
    }
}
