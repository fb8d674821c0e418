//! The Region of each bucket of the S3 store, which s3s-fs does not keep. CreateBucket
//! records it (the body's `LocationConstraint`, or us-east-1 without one, as S3 does),
//! DeleteBucket forgets it, HeadBucket answers it in `x-amz-bucket-region` and
//! GetBucketLocation in its XML, so that clients can tell where a bucket is and Converse
//! can refuse an attachment in another Region, as the service does.
//!
//! Records are kept in memory and, with a data folder, in `<data-dir>/s3-regions.json`:
//! beside the `s3` folder, where s3s-fs would not take the file for a bucket. A bucket
//! without a record (created on disk, or by the endpoint for async outputs) is in the
//! endpoint's own Region.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Mutex;

use bytes::Bytes;
use http::{HeaderValue, Method, Response, StatusCode};
use http_body_util::BodyExt;

use super::{S3Store, s3_error_response};
use crate::stream::{self, Body};

/// Where a bucket is when nothing says otherwise, as in S3.
pub(crate) const US_EAST_1: &str = "us-east-1";

/// The most bytes of a CreateBucket body read: its configuration is a few lines of XML.
const MAX_CONFIGURATION_BYTES: usize = 64 * 1024;

pub(crate) struct BucketRegions {
    /// The JSON file of the records; `None` keeps them only in memory.
    file: Option<PathBuf>,
    /// The Region of a bucket without a record.
    default: String,
    records: Mutex<BTreeMap<String, String>>,
}

impl BucketRegions {
    /// Reads the records of `file` if it exists. A file that does not parse is reported
    /// and replaced at the next change, so that a damaged file does not stop the endpoint.
    pub(crate) fn open(file: Option<PathBuf>, default: &str) -> std::io::Result<BucketRegions> {
        let records = match &file {
            Some(path) => match std::fs::read(path) {
                Ok(bytes) => serde_json::from_slice(&bytes).unwrap_or_else(|e| {
                    tracing::warn!("ignoring the bucket Regions in {}: {e}", path.display());
                    BTreeMap::new()
                }),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => BTreeMap::new(),
                Err(e) => return Err(e),
            },
            None => BTreeMap::new(),
        };
        let default = if default.is_empty() {
            US_EAST_1
        } else {
            default
        };
        Ok(BucketRegions {
            file,
            default: default.to_owned(),
            records: Mutex::new(records),
        })
    }

    fn records(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, String>> {
        self.records.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The Region of `bucket`, which is assumed to exist.
    pub(crate) fn region(&self, bucket: &str) -> String {
        self.records()
            .get(bucket)
            .cloned()
            .unwrap_or_else(|| self.default.clone())
    }

    pub(crate) fn record(&self, bucket: &str, region: &str) {
        let mut records = self.records();
        records.insert(bucket.to_owned(), region.to_owned());
        self.save(&records);
    }

    pub(crate) fn forget(&self, bucket: &str) {
        let mut records = self.records();
        if records.remove(bucket).is_some() {
            self.save(&records);
        }
    }

    /// Replaces the file in one step, so that a crash leaves the old or the new records.
    /// A failure is reported, not returned: the bucket itself was already made.
    fn save(&self, records: &BTreeMap<String, String>) {
        let Some(path) = &self.file else {
            return;
        };
        let write = || -> std::io::Result<()> {
            let tmp = path.with_extension("json.tmp");
            let bytes = serde_json::to_vec_pretty(records).map_err(std::io::Error::other)?;
            crate::state::replace_file(path, &tmp, &bytes)
        };
        if let Err(e) = write() {
            tracing::warn!(
                "could not save the bucket Regions to {}: {e}",
                path.display()
            );
        }
    }
}

/// The bucket operations whose answers involve the bucket's Region.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BucketOp {
    Create,
    Delete,
    Head,
    Location,
}

/// The operation and bucket of a path-style request on a bucket (`/bucket`, no key),
/// told apart as s3s tells them: a PUT or DELETE with a subresource in its query
/// (`?acl`, `?tagging`, ...) is another operation than CreateBucket or DeleteBucket.
pub(crate) fn bucket_op(method: &Method, uri: &http::Uri) -> Option<(BucketOp, String)> {
    let path = uri.path().strip_prefix('/')?;
    let bucket = path.strip_suffix('/').unwrap_or(path);
    if bucket.is_empty() || bucket.contains('/') {
        return None;
    }
    let keys: Vec<String> = super::form_pairs(uri.query().unwrap_or(""))
        .map(|(k, _)| k)
        .collect();
    // The AWS SDKs name some operations in an `x-id` parameter, which s3s ignores.
    let plain = keys.iter().all(|k| k == "x-id");
    let op = match *method {
        Method::PUT if plain => BucketOp::Create,
        Method::DELETE if plain => BucketOp::Delete,
        Method::HEAD => BucketOp::Head,
        Method::GET if keys.iter().any(|k| k == "location") => BucketOp::Location,
        _ => return None,
    };
    let bucket = percent_encoding::percent_decode_str(bucket)
        .decode_utf8()
        .ok()?
        .into_owned();
    Some((op, bucket))
}

/// Whether `text` has the shape of a Region name (`eu-west-1`): it is written into a
/// header and into XML, so nothing else may pass.
fn is_region(text: &str) -> bool {
    (1..=64).contains(&text.len())
        && text
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// The Region a CreateBucket body asks for: its `LocationConstraint`, or us-east-1
/// when the body, or the element, is empty. `EU` is S3's old name for eu-west-1.
pub(crate) fn requested_region(body: &[u8]) -> Result<String, String> {
    let text = std::str::from_utf8(body).map_err(|_| "the body is not UTF-8".to_owned())?;
    const OPEN: &str = "<LocationConstraint";
    const CLOSE: &str = "</LocationConstraint>";
    let mut rest = text;
    let value = loop {
        let Some(at) = rest.find(OPEN) else {
            return Ok(US_EAST_1.to_owned());
        };
        rest = &rest[at + OPEN.len()..];
        // `<LocationConstraintX>` is another element.
        if !rest.starts_with(['>', '/', ' ', '\t', '\r', '\n']) {
            continue;
        }
        let end = rest.find('>').ok_or("an unclosed LocationConstraint")?;
        if rest[..end].ends_with('/') {
            break "";
        }
        let inner = &rest[end + 1..];
        let close = inner.find(CLOSE).ok_or("an unclosed LocationConstraint")?;
        break inner[..close].trim();
    };
    match value {
        "" => Ok(US_EAST_1.to_owned()),
        "EU" => Ok("eu-west-1".to_owned()),
        v if is_region(v) => Ok(v.to_owned()),
        v => Err(format!("{v:?} is not a Region")),
    }
}

/// GetBucketLocation's answer: S3 leaves the element empty for us-east-1.
pub(crate) fn location_xml(region: &str) -> String {
    const NS: &str = "http://s3.amazonaws.com/doc/2006-03-01/";
    if region == US_EAST_1 {
        format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<LocationConstraint xmlns=\"{NS}\"/>")
    } else {
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<LocationConstraint xmlns=\"{NS}\">{region}</LocationConstraint>"
        )
    }
}

impl S3Store {
    /// Answers a request s3s is ready to take, keeping the bucket Regions: s3s-fs checks
    /// and performs the operation, and a successful one is recorded or completed here.
    pub(super) async fn route(&self, req: http::Request<s3s::Body>) -> Response<Body> {
        let Some((op, bucket)) = bucket_op(req.method(), req.uri()) else {
            return self.call(req).await;
        };
        match op {
            BucketOp::Create => self.create_bucket(req, &bucket).await,
            BucketOp::Delete => {
                let resp = self.call(req).await;
                if resp.status().is_success() {
                    self.regions.forget(&bucket);
                }
                resp
            }
            BucketOp::Head => {
                let mut resp = self.call(req).await;
                if resp.status().is_success()
                    && let Ok(v) = HeaderValue::from_str(&self.regions.region(&bucket))
                {
                    resp.headers_mut().insert("x-amz-bucket-region", v);
                }
                resp
            }
            BucketOp::Location => {
                let resp = self.call(req).await;
                if !resp.status().is_success() {
                    return resp;
                }
                // s3s-fs answers an empty constraint: only the body changes.
                let (mut parts, _) = resp.into_parts();
                parts.headers.remove(http::header::CONTENT_LENGTH);
                parts.headers.insert(
                    http::header::CONTENT_TYPE,
                    HeaderValue::from_static("application/xml"),
                );
                let xml = location_xml(&self.regions.region(&bucket));
                Response::from_parts(parts, stream::full(xml))
            }
        }
    }

    async fn create_bucket(&self, req: http::Request<s3s::Body>, bucket: &str) -> Response<Body> {
        let (parts, body) = req.into_parts();
        let body = match http_body_util::Limited::new(body, MAX_CONFIGURATION_BYTES)
            .collect()
            .await
        {
            Ok(b) => b.to_bytes(),
            Err(e) => {
                return s3_error_response(
                    StatusCode::BAD_REQUEST,
                    "MalformedXML",
                    &format!("The CreateBucket configuration could not be read: {e}"),
                );
            }
        };
        let region = match requested_region(&body) {
            Ok(r) => r,
            Err(e) => {
                tracing::debug!("CreateBucket {bucket}: {e}");
                return s3_error_response(
                    StatusCode::BAD_REQUEST,
                    "InvalidLocationConstraint",
                    "The specified location-constraint is not valid",
                );
            }
        };
        let resp = self
            .call(http::Request::from_parts(parts, s3s::Body::from(body)))
            .await;
        if resp.status().is_success() {
            self.regions.record(bucket, &region);
        }
        resp
    }

    /// The Region of `bucket`, or `None` when the store has no such bucket.
    pub(crate) async fn bucket_region(&self, bucket: &str) -> Result<Option<String>, String> {
        let path = format!(
            "/{}",
            percent_encoding::utf8_percent_encode(bucket, super::KEY_SET)
        );
        let (status, body) = self
            .internal(Method::HEAD, path, None, Bytes::new())
            .await?;
        match status {
            s if s.is_success() => Ok(Some(self.regions.region(bucket))),
            // No such bucket, or a name that cannot be one.
            s if s.is_client_error() => Ok(None),
            s => Err(format!(
                "looking up bucket {bucket}: {s} {}",
                String::from_utf8_lossy(&body)
            )),
        }
    }
}
