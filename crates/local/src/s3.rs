//! The S3-compatible API on the endpoint's base URL, where async invocations write their
//! outputs: s3s with the s3s-fs file-system backend over `<data-dir>/s3` (or a temporary
//! folder), path-style addressing. Requests signed for the `s3` service come here.
//!
//! Any credentials are accepted. s3s verifies SigV4 signatures, which needs the caller's
//! secret key, so a signed request is re-signed on arrival with the endpoint's own key
//! (same access key, date, region, signed headers and payload hash) before s3s sees it;
//! s3s then still parses and checks everything else, including `aws-chunked` bodies.
//! Buckets have a Region, which s3s-fs does not keep: see [`regions`].

use std::path::Path;
use std::time::SystemTime;

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Response, StatusCode};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use s3s::S3Result;
use s3s::access::{S3Access, S3AccessContext};
use s3s::auth::{S3Auth, SecretKey};
use s3s::service::{S3Service, S3ServiceBuilder};

use super::stream::{self, Body};

mod list;
pub(crate) mod regions;
#[cfg(test)]
pub(crate) mod regions_tests;

/// The key every request is re-signed with; it never leaves the process.
const LOCAL_SECRET: &str = "bedrock-tui-local-s3-secret";

/// Characters of an object key kept as they are in a request path.
const KEY_SET: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~')
    .remove(b'/');

struct AnyKey;

#[async_trait::async_trait]
impl S3Auth for AnyKey {
    async fn get_secret_key(&self, _access_key: &str) -> S3Result<SecretKey> {
        Ok(SecretKey::from(LOCAL_SECRET))
    }
}

struct AllowAll;

#[async_trait::async_trait]
impl S3Access for AllowAll {
    async fn check(&self, _cx: &mut S3AccessContext<'_>) -> S3Result<()> {
        Ok(())
    }
}

/// The credential scope of a SigV4 `Authorization` header or presigned query:
/// (access key, date, region, service).
fn credential_scope(text: &str) -> Option<(&str, &str, &str, &str)> {
    let mut parts = text.split('/');
    let ak = parts.next()?;
    let date = parts.next()?;
    let region = parts.next()?;
    let service = parts.next()?;
    Some((ak, date, region, service))
}

fn header_credential(headers: &HeaderMap) -> Option<&str> {
    let auth = headers.get(http::header::AUTHORIZATION)?.to_str().ok()?;
    let rest = auth.strip_prefix("AWS4-HMAC-SHA256")?;
    let cred = rest.split("Credential=").nth(1)?;
    cred.split([',', ' ']).next()
}

fn query_credential(uri: &http::Uri) -> Option<String> {
    let q = uri.query()?;
    form_pairs(q)
        .find(|(k, _)| k.eq_ignore_ascii_case("X-Amz-Credential"))
        .map(|(_, v)| v)
}

fn form_pairs(q: &str) -> impl Iterator<Item = (String, String)> + '_ {
    q.split('&').filter(|p| !p.is_empty()).map(|p| {
        let (k, v) = p.split_once('=').unwrap_or((p, ""));
        let dec = |s: &str| {
            percent_encoding::percent_decode_str(&s.replace('+', " "))
                .decode_utf8_lossy()
                .into_owned()
        };
        (dec(k), dec(v))
    })
}

/// Whether a request carries a signature of the older S3-only scheme (SigV2), in its
/// `Authorization` header (`AWS AKID:signature`) or, presigned, in its query.
fn is_sigv2(headers: &HeaderMap, uri: &http::Uri) -> bool {
    let header = headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.starts_with("AWS "));
    let query = uri.query().is_some_and(|q| {
        let names: Vec<String> = form_pairs(q).map(|(k, _)| k).collect();
        names.iter().any(|k| k == "AWSAccessKeyId") && names.iter().any(|k| k == "Signature")
    });
    header || query
}

/// Whether a request is meant for S3: signed (in its headers or, presigned, in its
/// query) with a SigV4 credential scope whose service is `s3`, or with SigV2, which only
/// S3 uses.
pub(crate) fn is_s3_request(headers: &HeaderMap, uri: &http::Uri) -> bool {
    if let Some(scope) = header_credential(headers) {
        return credential_scope(scope).is_some_and(|(_, _, _, svc)| svc == "s3");
    }
    is_sigv2(headers, uri)
        || query_credential(uri)
            .is_some_and(|c| credential_scope(&c).is_some_and(|(_, _, _, svc)| svc == "s3"))
}

pub(crate) struct S3Store {
    service: S3Service,
    regions: regions::BucketRegions,
    /// The temporary root when there is no data folder; removed when the store is dropped.
    _temp: Option<tempfile::TempDir>,
}

impl S3Store {
    /// Serves the folder `<data_dir>/s3`, or a new temporary folder; buckets without a
    /// recorded Region are in `region`, the endpoint's own.
    pub(crate) fn open(data_dir: Option<&Path>, region: &str) -> std::io::Result<S3Store> {
        let regions =
            regions::BucketRegions::open(data_dir.map(|d| d.join("s3-regions.json")), region)?;
        let (temp, root) = match data_dir {
            Some(d) => {
                let r = d.join("s3");
                std::fs::create_dir_all(&r)?;
                (None, r)
            }
            None => {
                let t = tempfile::Builder::new()
                    .prefix("bedrock-tui-s3-")
                    .tempdir()?;
                let p = t.path().to_path_buf();
                (Some(t), p)
            }
        };
        let fs =
            s3s_fs::FileSystem::new(&root).map_err(|e| std::io::Error::other(format!("{e:?}")))?;
        let mut builder = S3ServiceBuilder::new(fs);
        builder.set_auth(AnyKey);
        builder.set_access(AllowAll);
        Ok(S3Store {
            service: builder.build(),
            regions,
            _temp: temp,
        })
    }

    /// Answers an S3 request from a client.
    pub(crate) async fn serve(&self, req: http::Request<Incoming>) -> Response<Body> {
        let (mut parts, body) = req.into_parts();
        let body = if is_aws_chunked(&parts.headers) {
            if let Err(e) = unchunk_headers(&mut parts.headers) {
                return s3_error_response(StatusCode::BAD_REQUEST, "InvalidRequest", &e);
            }
            s3s::Body::http_body_unsync(http_body_util::StreamBody::new(decode_aws_chunked(body)))
        } else {
            s3s::Body::from(body)
        };
        if let Err(e) = prepare(&mut parts) {
            return s3_error_response(StatusCode::FORBIDDEN, "AccessDenied", &e);
        }
        let req = http::Request::from_parts(parts, body);
        self.route(req).await
    }

    async fn call(&self, req: http::Request<s3s::Body>) -> Response<Body> {
        match self.service.call(req).await {
            Ok(resp) => resp.map(|b| b.map_err(std::io::Error::other).boxed()),
            Err(e) => {
                tracing::warn!("S3 request failed: {e:?}");
                s3_error_response(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "InternalError",
                    "We encountered an internal error. Please try again.",
                )
            }
        }
    }

    async fn internal(
        &self,
        method: http::Method,
        path: String,
        content_type: Option<&str>,
        body: Bytes,
    ) -> Result<(StatusCode, Bytes), String> {
        let mut req = http::Request::builder()
            .method(method)
            .uri(path)
            .header(http::header::HOST, "localhost")
            .header(http::header::CONTENT_LENGTH, body.len());
        if let Some(ct) = content_type {
            req = req.header(http::header::CONTENT_TYPE, ct);
        }
        let req = req.body(s3s::Body::from(body)).map_err(|e| e.to_string())?;
        let resp = self.call(req).await;
        let status = resp.status();
        let bytes = resp
            .into_body()
            .collect()
            .await
            .map_err(|e| e.to_string())?
            .to_bytes();
        Ok((status, bytes))
    }

    /// Creates a bucket unless it exists.
    pub(crate) async fn ensure_bucket(&self, bucket: &str) -> Result<(), String> {
        let path = format!("/{}", utf8_percent_encode(bucket, KEY_SET));
        let (status, body) = self
            .internal(http::Method::PUT, path, None, Bytes::new())
            .await?;
        if status.is_success() || status == StatusCode::CONFLICT {
            Ok(())
        } else {
            Err(format!(
                "creating bucket {bucket}: {status} {}",
                String::from_utf8_lossy(&body)
            ))
        }
    }

    pub(crate) async fn put(
        &self,
        bucket: &str,
        key: &str,
        content_type: &str,
        body: Vec<u8>,
    ) -> Result<(), String> {
        let (status, resp) = self
            .internal(
                http::Method::PUT,
                object_path(bucket, key),
                Some(content_type),
                Bytes::from(body),
            )
            .await?;
        if status.is_success() {
            Ok(())
        } else {
            Err(format!(
                "writing s3://{bucket}/{key}: {status} {}",
                String::from_utf8_lossy(&resp)
            ))
        }
    }

    /// An object's bytes, or None when the bucket or key does not exist.
    pub(crate) async fn get(&self, bucket: &str, key: &str) -> Result<Option<Bytes>, String> {
        let (status, body) = self
            .internal(
                http::Method::GET,
                object_path(bucket, key),
                None,
                Bytes::new(),
            )
            .await?;
        match status {
            s if s.is_success() => Ok(Some(body)),
            StatusCode::NOT_FOUND => Ok(None),
            s => Err(format!(
                "reading s3://{bucket}/{key}: {s} {}",
                String::from_utf8_lossy(&body)
            )),
        }
    }
}

fn object_path(bucket: &str, key: &str) -> String {
    format!(
        "/{}/{}",
        utf8_percent_encode(bucket, KEY_SET),
        utf8_percent_encode(key, KEY_SET)
    )
}

fn s3_error_response(status: StatusCode, code: &str, message: &str) -> Response<Body> {
    let escape = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    };
    let xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>{}</Message></Error>",
        escape(message)
    );
    let mut r = Response::new(stream::full(xml));
    *r.status_mut() = status;
    r.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/xml"),
    );
    r
}

/// Whether the body is in `aws-chunked` framing (`x-amz-content-sha256: STREAMING-...`).
fn is_aws_chunked(headers: &HeaderMap) -> bool {
    headers
        .get("x-amz-content-sha256")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("STREAMING-"))
}

/// The headers of a request whose `aws-chunked` body is decoded here: an unsigned payload
/// of `x-amz-decoded-content-length` bytes. Chunk and trailer signatures were made with
/// the caller's secret, which re-signing cannot reproduce, so the framing is taken off
/// before s3s sees the request (trailing checksums are not checked).
fn unchunk_headers(headers: &mut HeaderMap) -> Result<(), String> {
    let decoded = headers
        .remove("x-amz-decoded-content-length")
        .ok_or("missing header: x-amz-decoded-content-length")?;
    headers.insert(http::header::CONTENT_LENGTH, decoded);
    headers.insert(
        "x-amz-content-sha256",
        HeaderValue::from_static("UNSIGNED-PAYLOAD"),
    );
    headers.remove("x-amz-trailer");
    headers.remove(http::header::TRANSFER_ENCODING);
    strip_aws_chunked(headers);
    Ok(())
}

enum Phase {
    /// Reading a `size[;chunk-signature=...]` line.
    Header,
    /// This many data bytes of the current chunk are still to come.
    Data(usize),
    /// The CRLF after a chunk's data.
    DataEnd,
    /// After the last (empty) chunk: trailers, read and dropped.
    Trailer,
}

/// Decodes an `aws-chunked` body as it arrives, yielding only the payload bytes.
fn decode_aws_chunked(
    body: Incoming,
) -> impl futures_util::Stream<Item = Result<hyper::body::Frame<Bytes>, std::io::Error>> + Send {
    let bad = |what: &str| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("aws-chunked body: {what}"),
        )
    };
    futures_util::stream::unfold(
        (body, bytes::BytesMut::new(), Phase::Header, false),
        move |(mut body, mut buf, mut phase, mut eof)| async move {
            loop {
                match phase {
                    Phase::Header => {
                        if let Some(at) = buf.windows(2).position(|w| w == b"\r\n") {
                            let line = buf.split_to(at + 2);
                            let text = String::from_utf8_lossy(&line[..at]);
                            let size = text.split(';').next().unwrap_or("").trim();
                            match usize::from_str_radix(size, 16) {
                                Ok(0) => phase = Phase::Trailer,
                                Ok(n) => phase = Phase::Data(n),
                                Err(_) => {
                                    return Some((
                                        Err(bad("bad chunk size")),
                                        (body, buf, Phase::Trailer, true),
                                    ));
                                }
                            }
                            continue;
                        }
                    }
                    Phase::Data(n) if !buf.is_empty() => {
                        let take = n.min(buf.len());
                        let data = buf.split_to(take).freeze();
                        let next = if take == n {
                            Phase::DataEnd
                        } else {
                            Phase::Data(n - take)
                        };
                        return Some((Ok(hyper::body::Frame::data(data)), (body, buf, next, eof)));
                    }
                    Phase::Data(_) => {}
                    Phase::DataEnd if buf.len() >= 2 => {
                        if &buf[..2] != b"\r\n" {
                            return Some((
                                Err(bad("missing CRLF after chunk data")),
                                (body, buf, Phase::Trailer, true),
                            ));
                        }
                        let _ = buf.split_to(2);
                        phase = Phase::Header;
                        continue;
                    }
                    Phase::DataEnd => {}
                    Phase::Trailer => {
                        buf.clear();
                        if eof {
                            return None;
                        }
                    }
                }
                if eof {
                    return Some((Err(bad("truncated")), (body, buf, Phase::Trailer, true)));
                }
                match body.frame().await {
                    Some(Ok(frame)) => {
                        if let Ok(data) = frame.into_data() {
                            buf.extend_from_slice(&data);
                        }
                    }
                    Some(Err(e)) => {
                        return Some((
                            Err(std::io::Error::other(e)),
                            (body, buf, Phase::Trailer, true),
                        ));
                    }
                    None => eof = true,
                }
            }
        },
    )
}

/// Makes a client's request one s3s accepts: a presigned URL or a SigV2 header loses its
/// signature (the request is then anonymous, which this endpoint allows); a SigV4
/// header-signed request is re-signed with [`LOCAL_SECRET`]. `aws-chunked` is taken out
/// of `Content-Encoding`, as S3 does, so that it is not stored with the object.
fn prepare(parts: &mut http::request::Parts) -> Result<(), String> {
    if header_credential(&parts.headers).is_none() {
        if parts
            .headers
            .get(http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|a| a.starts_with("AWS "))
        {
            parts.headers.remove(http::header::AUTHORIZATION);
        }
        strip_presigned_query(parts)?;
        return Ok(());
    }
    strip_aws_chunked(&mut parts.headers);
    resign(parts)
}

fn strip_presigned_query(parts: &mut http::request::Parts) -> Result<(), String> {
    let Some(q) = parts.uri.query() else {
        return Ok(());
    };
    const SIGV2: [&str; 3] = ["awsaccesskeyid=", "signature=", "expires="];
    let kept: Vec<&str> = q
        .split('&')
        .filter(|p| {
            let p = p.to_ascii_lowercase();
            !p.starts_with("x-amz-") && !SIGV2.iter().any(|s| p.starts_with(s))
        })
        .collect();
    let path = parts.uri.path();
    let pq = if kept.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{}", kept.join("&"))
    };
    let mut up = http::uri::Parts::from(parts.uri.clone());
    up.path_and_query = Some(pq.parse().map_err(|e| format!("{e}"))?);
    parts.uri = http::Uri::from_parts(up).map_err(|e| e.to_string())?;
    Ok(())
}

fn strip_aws_chunked(headers: &mut HeaderMap) {
    let Some(v) = headers
        .get(http::header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
    else {
        return;
    };
    let rest: Vec<&str> = v
        .split(',')
        .map(str::trim)
        .filter(|e| !e.is_empty() && !e.eq_ignore_ascii_case("aws-chunked"))
        .collect();
    if rest.is_empty() {
        headers.remove(http::header::CONTENT_ENCODING);
    } else if let Ok(v) = HeaderValue::from_str(&rest.join(",")) {
        headers.insert(http::header::CONTENT_ENCODING, v);
    }
}

fn amz_date(headers: &HeaderMap) -> Result<SystemTime, String> {
    let text = headers
        .get("x-amz-date")
        .and_then(|v| v.to_str().ok())
        .ok_or("missing header: x-amz-date")?;
    let fmt = time::macros::format_description!("[year][month][day]T[hour][minute][second]Z");
    let t = time::PrimitiveDateTime::parse(text, fmt).map_err(|e| format!("x-amz-date: {e}"))?;
    Ok(t.assume_utc().into())
}

fn resign(parts: &mut http::request::Parts) -> Result<(), String> {
    use aws_sigv4::http_request::{
        PayloadChecksumKind, PercentEncodingMode, SignableBody, SignableRequest, SigningSettings,
        UriPathNormalizationMode, sign,
    };

    let auth = parts
        .headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or("missing Authorization")?
        .to_owned();
    let scope = header_credential(&parts.headers).ok_or("malformed Authorization")?;
    let (ak, _, region, service) = credential_scope(scope).ok_or("malformed credential scope")?;
    let (ak, region, service) = (ak.to_owned(), region.to_owned(), service.to_owned());
    let signed: Vec<String> = auth
        .split("SignedHeaders=")
        .nth(1)
        .and_then(|s| s.split([',', ' ']).next())
        .ok_or("malformed Authorization: no SignedHeaders")?
        .split(';')
        .map(str::to_owned)
        .collect();
    let time = amz_date(&parts.headers)?;
    let payload = parts
        .headers
        .get("x-amz-content-sha256")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("UNSIGNED-PAYLOAD")
        .to_owned();
    let host = parts
        .headers
        .get(http::header::HOST)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .or_else(|| parts.uri.authority().map(|a| a.to_string()))
        .unwrap_or_else(|| "localhost".into());
    let pq = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/");
    let uri = format!("http://{host}{pq}");

    let mut values: Vec<(String, String)> = Vec::new();
    for name in &signed {
        if name == "host" {
            values.push((name.clone(), host.clone()));
            continue;
        }
        let joined: Vec<&str> = parts
            .headers
            .get_all(name.as_str())
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect();
        if !joined.is_empty() {
            values.push((name.clone(), joined.join(",")));
        }
    }

    let identity =
        aws_credential_types::Credentials::new(ak, LOCAL_SECRET, None, None, "local").into();
    let mut settings = SigningSettings::default();
    settings.percent_encoding_mode = PercentEncodingMode::Single;
    settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
    settings.payload_checksum_kind = PayloadChecksumKind::NoHeader;
    settings.excluded_headers = None;
    let params = aws_sigv4::sign::v4::SigningParams::builder()
        .identity(&identity)
        .region(&region)
        .name(&service)
        .time(time)
        .settings(settings)
        .build()
        .map_err(|e| e.to_string())?
        .into();
    let signable = SignableRequest::new(
        parts.method.as_str(),
        uri,
        values.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        SignableBody::Precomputed(payload),
    )
    .map_err(|e| e.to_string())?;
    let (instructions, _) = sign(signable, &params)
        .map_err(|e| e.to_string())?
        .into_parts();
    for (name, value) in instructions.headers() {
        let name = HeaderName::from_bytes(name.as_bytes()).map_err(|e| e.to_string())?;
        let value = HeaderValue::from_str(value).map_err(|e| e.to_string())?;
        parts.headers.insert(name, value);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_requests_signed_for_s3() {
        let mut h = HeaderMap::new();
        let uri: http::Uri = "/bucket/key".parse().unwrap();
        assert!(!is_s3_request(&h, &uri));
        h.insert(
            http::header::AUTHORIZATION,
            HeaderValue::from_static(
                "AWS4-HMAC-SHA256 Credential=AK/20250101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00",
            ),
        );
        assert!(is_s3_request(&h, &uri));
        h.insert(
            http::header::AUTHORIZATION,
            HeaderValue::from_static(
                "AWS4-HMAC-SHA256 Credential=AK/20250101/us-east-1/bedrock/aws4_request, SignedHeaders=host, Signature=00",
            ),
        );
        assert!(!is_s3_request(&h, &uri));
        let presigned: http::Uri =
            "/b/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AK%2F20250101%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Signature=00"
                .parse()
                .unwrap();
        assert!(is_s3_request(&HeaderMap::new(), &presigned));
        let v2: http::Uri = "/b/k?AWSAccessKeyId=AK&Signature=abc%3D&Expires=1"
            .parse()
            .unwrap();
        assert!(is_s3_request(&HeaderMap::new(), &v2));
        let (mut parts, ()) = http::Request::get(v2).body(()).unwrap().into_parts();
        prepare(&mut parts).unwrap();
        assert_eq!(parts.uri, "/b/k");
    }

    #[test]
    fn aws_chunked_leaves_content_encoding() {
        let mut h = HeaderMap::new();
        h.insert(
            http::header::CONTENT_ENCODING,
            HeaderValue::from_static("aws-chunked,gzip"),
        );
        strip_aws_chunked(&mut h);
        assert_eq!(h[http::header::CONTENT_ENCODING], "gzip");
        h.insert(
            http::header::CONTENT_ENCODING,
            HeaderValue::from_static("aws-chunked"),
        );
        strip_aws_chunked(&mut h);
        assert!(h.get(http::header::CONTENT_ENCODING).is_none());
    }
}
