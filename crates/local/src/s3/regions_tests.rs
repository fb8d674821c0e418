//! Tests of bucket Regions: reading CreateBucket's configuration, HeadBucket's
//! `x-amz-bucket-region`, GetBucketLocation, and the records kept across a restart,
//! in the store and through a running endpoint.

use bytes::Bytes;
use http::{Method, StatusCode};
use http_body_util::BodyExt;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::S3Store;
use super::regions::{BucketOp, US_EAST_1, bucket_op, location_xml, requested_region};
use crate::LocalEndpoint;

/// A CreateBucket body as the AWS SDKs write it.
pub(crate) fn configuration(region: &str) -> String {
    format!(
        "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\
         <LocationConstraint>{region}</LocationConstraint></CreateBucketConfiguration>"
    )
}

/// An answer read off the wire.
pub(crate) struct Answer {
    pub status: u16,
    /// Header lines, names in lower case.
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Answer {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// One HTTP/1.1 request on a fresh connection to `ep`, with `headers` besides `host`,
/// `content-length` and `connection`.
pub(crate) async fn exchange(
    ep: &LocalEndpoint,
    method: &str,
    path: &str,
    headers: &[(&str, String)],
    body: &str,
) -> Answer {
    let mut conn = tokio::net::TcpStream::connect(ep.addr())
        .await
        .expect("connects");
    let mut req = format!("{method} {path} HTTP/1.1\r\nhost: localhost\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str(&format!(
        "content-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    ));
    conn.write_all(req.as_bytes()).await.expect("sent");
    let mut out = Vec::new();
    conn.read_to_end(&mut out).await.expect("read");
    let out = String::from_utf8_lossy(&out).into_owned();
    let (head, body) = out.split_once("\r\n\r\n").unwrap_or((&out, ""));
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    Answer {
        status,
        headers,
        body: body.to_owned(),
    }
}

/// Headers of a request signed with SigV4 for `service` in `region`, as far as the
/// endpoint reads them: the signature itself is not checked against the caller's key.
pub(crate) fn signed(service: &str, region: &str) -> Vec<(&'static str, String)> {
    let now = time::OffsetDateTime::now_utc();
    let stamp = now
        .format(time::macros::format_description!(
            "[year][month][day]T[hour][minute][second]Z"
        ))
        .expect("a timestamp");
    let day = &stamp[..8];
    vec![
        (
            "authorization",
            format!(
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/{day}/{region}/{service}/aws4_request, \
                 SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=00"
            ),
        ),
        ("x-amz-date", stamp),
        ("x-amz-content-sha256", "UNSIGNED-PAYLOAD".into()),
    ]
}

/// A request to the store as s3s takes it, anonymous (which the store allows).
async fn send(
    store: &S3Store,
    method: Method,
    uri: &str,
    body: &str,
) -> (StatusCode, http::HeaderMap, String) {
    let req = http::Request::builder()
        .method(method)
        .uri(uri)
        .header(http::header::HOST, "localhost")
        .header(http::header::CONTENT_LENGTH, body.len())
        .body(s3s::Body::from(Bytes::from(body.to_owned())))
        .expect("a request");
    let resp = store.route(req).await;
    let (parts, body) = resp.into_parts();
    let body = body.collect().await.expect("a body").to_bytes();
    (
        parts.status,
        parts.headers,
        String::from_utf8_lossy(&body).into_owned(),
    )
}

async fn head_region(store: &S3Store, bucket: &str) -> Option<String> {
    let (status, headers, _) = send(store, Method::HEAD, &format!("/{bucket}"), "").await;
    assert!(status.is_success(), "HeadBucket {bucket}: {status}");
    headers
        .get("x-amz-bucket-region")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

#[test]
fn reads_the_location_constraint() {
    assert_eq!(requested_region(b"").as_deref(), Ok(US_EAST_1));
    assert_eq!(
        requested_region(configuration("eu-west-1").as_bytes()).as_deref(),
        Ok("eu-west-1")
    );
    assert_eq!(
        requested_region(
            b"<CreateBucketConfiguration><LocationConstraint/></CreateBucketConfiguration>"
        )
        .as_deref(),
        Ok(US_EAST_1)
    );
    assert_eq!(
        requested_region(configuration(" EU ").as_bytes()).as_deref(),
        Ok("eu-west-1")
    );
    // Another element whose name starts the same is not the constraint.
    assert_eq!(
        requested_region(b"<LocationConstraintX>ap-south-1</LocationConstraintX>").as_deref(),
        Ok(US_EAST_1)
    );
    assert!(requested_region(configuration("eu-west-1<x>").as_bytes()).is_err());
    assert!(requested_region(b"<LocationConstraint>eu-west-1").is_err());
}

#[test]
fn tells_bucket_operations_apart() {
    let op = |m: Method, uri: &str| bucket_op(&m, &uri.parse().expect("a URI"));
    let b = |o: BucketOp| Some((o, "b".to_owned()));
    assert_eq!(op(Method::PUT, "/b"), b(BucketOp::Create));
    assert_eq!(op(Method::PUT, "/b/"), b(BucketOp::Create));
    assert_eq!(op(Method::PUT, "/b?x-id=CreateBucket"), b(BucketOp::Create));
    assert_eq!(op(Method::PUT, "/b?tagging"), None);
    assert_eq!(op(Method::PUT, "/b/key"), None);
    assert_eq!(op(Method::HEAD, "/b"), b(BucketOp::Head));
    assert_eq!(op(Method::GET, "/b?location"), b(BucketOp::Location));
    assert_eq!(op(Method::GET, "/b"), None);
    assert_eq!(op(Method::DELETE, "/b"), b(BucketOp::Delete));
    assert_eq!(op(Method::DELETE, "/b?cors"), None);
    assert_eq!(op(Method::GET, "/"), None);
}

#[test]
fn location_is_empty_for_us_east_1() {
    assert!(
        location_xml(US_EAST_1)
            .ends_with("<LocationConstraint xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"/>")
    );
    assert!(location_xml("eu-west-1").ends_with(
        "<LocationConstraint xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">eu-west-1</LocationConstraint>"
    ));
}

#[tokio::test]
async fn buckets_keep_their_region_across_a_restart() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let store = S3Store::open(Some(dir.path()), "ap-south-1").expect("opens");

    let (status, _, body) = send(&store, Method::PUT, "/west", &configuration("eu-west-1")).await;
    assert!(status.is_success(), "{status} {body}");
    let (status, _, _) = send(&store, Method::PUT, "/plain", "").await;
    assert!(status.is_success());
    store.ensure_bucket("outputs").await.expect("created");
    std::fs::create_dir(dir.path().join("s3").join("ondisk")).expect("a bucket folder");

    assert_eq!(
        head_region(&store, "west").await.as_deref(),
        Some("eu-west-1")
    );
    assert_eq!(
        head_region(&store, "plain").await.as_deref(),
        Some(US_EAST_1)
    );
    // Buckets the endpoint made, or found, are in its own Region.
    assert_eq!(
        head_region(&store, "outputs").await.as_deref(),
        Some("ap-south-1")
    );
    assert_eq!(
        head_region(&store, "ondisk").await.as_deref(),
        Some("ap-south-1")
    );

    let (status, headers, body) = send(&store, Method::GET, "/west?location", "").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[http::header::CONTENT_TYPE], "application/xml");
    assert_eq!(body, location_xml("eu-west-1"));
    let (_, _, body) = send(&store, Method::GET, "/plain?location", "").await;
    assert_eq!(body, location_xml(US_EAST_1));

    // A bucket that exists already keeps its Region.
    let (status, _, _) = send(&store, Method::PUT, "/west", &configuration("us-west-2")).await;
    assert_eq!(status, StatusCode::CONFLICT);
    // A constraint that is no Region is refused, and no bucket is made.
    let (status, _, body) = send(&store, Method::PUT, "/bad", &configuration("Mars")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body.contains("<Code>InvalidLocationConstraint</Code>"),
        "{body}"
    );
    assert_eq!(store.bucket_region("bad").await, Ok(None));
    // Unknown buckets have no Region and errors are S3's.
    let (status, headers, _) = send(&store, Method::HEAD, "/nobucket", "").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(headers.get("x-amz-bucket-region").is_none());
    let (status, _, body) = send(&store, Method::GET, "/nobucket?location", "").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body.contains("NoSuchBucket"), "{body}");

    // A deleted bucket loses its Region.
    let (status, _, _) = send(&store, Method::DELETE, "/plain", "").await;
    assert!(status.is_success());
    drop(store);

    let on_disk = std::fs::read_to_string(dir.path().join("s3-regions.json")).expect("records");
    let records: serde_json::Value = serde_json::from_str(&on_disk).expect("JSON");
    assert_eq!(records, serde_json::json!({"west": "eu-west-1"}));
    let store = S3Store::open(Some(dir.path()), "ap-south-1").expect("reopens");
    assert_eq!(
        store.bucket_region("west").await,
        Ok(Some("eu-west-1".into()))
    );
    assert_eq!(
        store.bucket_region("outputs").await,
        Ok(Some("ap-south-1".into()))
    );
    assert_eq!(store.bucket_region("plain").await, Ok(None));
    assert_eq!(store.bucket_region("no..such").await, Ok(None));
}

#[tokio::test]
async fn without_a_data_dir_records_stay_in_memory() {
    let store = S3Store::open(None, "").expect("opens");
    let (status, _, _) = send(
        &store,
        Method::PUT,
        "/central",
        &configuration("eu-central-1"),
    )
    .await;
    assert!(status.is_success());
    assert_eq!(
        head_region(&store, "central").await.as_deref(),
        Some("eu-central-1")
    );
    store.ensure_bucket("own").await.expect("created");
    // Without a Region of its own, the endpoint's buckets are in us-east-1.
    assert_eq!(head_region(&store, "own").await.as_deref(), Some(US_EAST_1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_requests_through_the_endpoint() {
    let (dir, ep) = crate::service::tests::with_data_dir().await;
    let s3 = signed("s3", "eu-west-1");
    let a = exchange(&ep, "PUT", "/west", &s3, &configuration("eu-west-1")).await;
    assert_eq!(a.status, 200, "{}", a.body);
    let a = exchange(&ep, "PUT", "/east", &signed("s3", US_EAST_1), "").await;
    assert_eq!(a.status, 200, "{}", a.body);

    let a = exchange(&ep, "HEAD", "/west", &s3, "").await;
    assert_eq!(a.status, 200);
    assert_eq!(a.header("x-amz-bucket-region"), Some("eu-west-1"));
    let a = exchange(&ep, "HEAD", "/east", &s3, "").await;
    assert_eq!(a.header("x-amz-bucket-region"), Some(US_EAST_1));
    let a = exchange(&ep, "GET", "/west?location", &s3, "").await;
    assert_eq!(a.status, 200);
    assert_eq!(a.body, location_xml("eu-west-1"));
    let a = exchange(&ep, "GET", "/east?location", &s3, "").await;
    assert_eq!(a.body, location_xml(US_EAST_1));
    ep.shutdown().await;
    assert!(dir.path().join("s3-regions.json").exists());
}
