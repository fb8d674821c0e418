//! The HTTP side of the endpoint: reads a request (bounded), finds its region and
//! operation, runs it, and writes the service's response, headers and errors.

use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode};
use http_body_util::BodyExt;
use hyper::body::{Body as _, Incoming};
use serde_json::json;

use super::error::ServiceError;
use super::media::{self, log::MediaEntry};
use super::ops::{self, Call, Reply};
use super::router::{self, Route};
use super::s3;
use super::state::{Auth, LogEntry, State, now_ms};
use super::stream::{self, Body};

/// The connection is closed without a response (a `drop` fault, or the client left).
#[derive(Debug)]
pub(crate) struct Dropped;

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped")
    }
}

impl std::error::Error for Dropped {}

/// The region of a SigV4-signed request: the third field of its credential scope.
fn region_of(headers: &http::HeaderMap) -> Option<String> {
    let auth = headers.get(http::header::AUTHORIZATION)?.to_str().ok()?;
    let cred = auth.split("Credential=").nth(1)?;
    let scope = cred.split([',', ' ']).next()?;
    let region = scope.split('/').nth(2)?;
    (!region.is_empty()).then(|| region.to_owned())
}

/// What the log tells of a request besides its outcome.
struct Seen {
    auth: Auth,
    roles: Option<Vec<String>>,
    blocks: Option<Vec<Vec<String>>>,
    texts: Option<Vec<String>>,
    media: Option<Vec<Vec<MediaEntry>>>,
}

/// The message roles of a Converse body, in order; `None` when the body has no
/// readable `messages` list (the operation reports what is wrong with it).
fn converse_roles(body: &[u8]) -> Option<Vec<String>> {
    #[derive(serde::Deserialize)]
    struct Body {
        messages: Vec<Message>,
    }
    #[derive(serde::Deserialize)]
    struct Message {
        role: String,
    }
    let body: Body = serde_json::from_slice(body).ok()?;
    Some(body.messages.into_iter().map(|m| m.role).collect())
}

/// How much of each message's text the log keeps.
const LOGGED_TEXT_CHARS: usize = 200;

/// The text of each message (its `text` blocks joined), cut at [`LOGGED_TEXT_CHARS`]
/// characters, so a test sees which question and answers a request carried; `None`
/// when the body has no readable `messages` list.
fn converse_texts(body: &[u8]) -> Option<Vec<String>> {
    #[derive(serde::Deserialize)]
    struct Body {
        messages: Vec<Message>,
    }
    #[derive(serde::Deserialize)]
    struct Message {
        content: Vec<Text>,
    }
    #[derive(serde::Deserialize)]
    struct Text {
        text: Option<String>,
    }
    let body: Body = serde_json::from_slice(body).ok()?;
    Some(
        body.messages
            .into_iter()
            .map(|m| {
                let all: String = m.content.into_iter().filter_map(|b| b.text).collect();
                let mut cut: String = all.chars().take(LOGGED_TEXT_CHARS).collect();
                if cut.len() < all.len() {
                    cut.push('…');
                }
                cut
            })
            .collect(),
    )
}

/// The kinds of each message's content blocks (the key of each block: `text`,
/// `toolUse`, ...), in order; `None` unless every message has a list of block objects.
fn converse_blocks(body: &[u8]) -> Option<Vec<Vec<String>>> {
    #[derive(serde::Deserialize)]
    struct Body {
        messages: Vec<Message>,
    }
    #[derive(serde::Deserialize)]
    struct Message {
        content: Vec<BlockKind>,
    }
    let body: Body = serde_json::from_slice(body).ok()?;
    Some(
        body.messages
            .into_iter()
            .map(|m| m.content.into_iter().map(|k| k.0).collect())
            .collect(),
    )
}

/// The first non-null member's name of a content block object. Member values are
/// skipped unread, so an image's bytes are never copied for the log.
struct BlockKind(String);

impl<'de> serde::Deserialize<'de> for BlockKind {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = BlockKind;

            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a content block object")
            }

            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<BlockKind, A::Error> {
                let mut kind = None;
                while let Some(key) = map.next_key::<String>()? {
                    let value = map.next_value::<Option<serde::de::IgnoredAny>>()?;
                    if value.is_some() && kind.is_none() {
                        kind = Some(key);
                    }
                }
                kind.map(BlockKind)
                    .ok_or_else(|| serde::de::Error::invalid_length(0, &self))
            }
        }
        d.deserialize_map(Visitor)
    }
}

enum BodyError {
    TooLarge,
    Broken,
}

/// Reads at most `max` bytes. A larger body is read to its end (up to four times
/// the limit) and discarded, so the client gets the error instead of a reset.
async fn read_body(mut body: Incoming, max: usize) -> Result<Bytes, BodyError> {
    if body.size_hint().lower() as usize > max.saturating_mul(4) {
        return Err(BodyError::TooLarge);
    }
    let mut buf = Vec::new();
    let mut seen = 0usize;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|_| BodyError::Broken)?;
        if let Ok(data) = frame.into_data() {
            seen += data.len();
            if seen <= max {
                buf.extend_from_slice(&data);
            } else if seen > max.saturating_mul(4) {
                return Err(BodyError::TooLarge);
            }
        }
    }
    if seen > max {
        Err(BodyError::TooLarge)
    } else {
        Ok(Bytes::from(buf))
    }
}

fn json_response(status: StatusCode, body: &serde_json::Value) -> Response<Body> {
    let mut r = Response::new(stream::full(body.to_string()));
    *r.status_mut() = status;
    r.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

fn error_response(e: &ServiceError) -> Response<Body> {
    let mut r = json_response(e.kind.status(), &e.body());
    if let Ok(v) = HeaderValue::from_str(&e.error_type_header()) {
        r.headers_mut().insert("x-amzn-errortype", v);
    }
    r
}

fn unknown_operation() -> Response<Body> {
    let mut r = json_response(
        StatusCode::NOT_FOUND,
        &json!({ "message": "The requested operation is not recognized by Amazon Bedrock Runtime." }),
    );
    r.headers_mut().insert(
        "x-amzn-errortype",
        HeaderValue::from_static(
            "UnknownOperationException:http://internal.amazon.com/coral/com.amazon.coral.service/",
        ),
    );
    r
}

fn with_headers(mut r: Response<Body>, headers: Vec<(&'static str, String)>) -> Response<Body> {
    for (k, v) in headers {
        if let Ok(v) = HeaderValue::from_str(&v) {
            r.headers_mut().insert(k, v);
        }
    }
    r
}

pub(crate) async fn handle(
    state: Arc<State>,
    req: http::Request<Incoming>,
) -> Result<Response<Body>, Dropped> {
    let started = Instant::now();
    let request_id = uuid::Uuid::new_v4().to_string();
    // Requests signed for S3 (the async outputs) share the base URL with Bedrock.
    if s3::is_s3_request(req.headers(), req.uri()) {
        return Ok(serve_s3(&state, req, &request_id).await);
    }
    let route = router::route(req.method(), req.uri().path());
    let region = region_of(req.headers()).unwrap_or_else(|| state.settings.region.clone());
    let (parts, body) = req.into_parts();
    let query = parts.uri.query().unwrap_or("");
    let body = read_body(body, state.settings.max_body_bytes).await;
    let mut seen = Seen {
        auth: Auth::of(&parts.headers, query),
        roles: None,
        blocks: None,
        texts: None,
        media: None,
    };
    if let (Route::Converse(_) | Route::ConverseStream(_), Ok(bytes)) = (&route, &body) {
        seen.roles = converse_roles(bytes);
        seen.blocks = converse_blocks(bytes);
        seen.texts = converse_texts(bytes);
    }
    if let (Route::Converse(_) | Route::ConverseStream(_) | Route::CountTokens(_), Ok(bytes)) =
        (&route, &body)
    {
        seen.media = media::log::of_body(bytes);
    }

    let outcome = match (&route, body) {
        (_, Err(BodyError::Broken)) => return Err(Dropped),
        (Route::LocalHealth, _) => Ok(Reply::Json {
            body: json!({ "status": "ok" }),
            headers: Vec::new(),
        }),
        (Route::LocalRequests, _) => Ok(Reply::Json {
            body: json!({ "requests": state.log() }),
            headers: Vec::new(),
        }),
        (Route::Unknown, _) => {
            let mut r = unknown_operation();
            finish(
                &state,
                &route,
                &request_id,
                seen,
                &mut r,
                Some("UnknownOperationException"),
            );
            return Ok(r);
        }
        (_, Err(BodyError::TooLarge)) => Err(ServiceError::validation(format!(
            "The request body exceeds the maximum size of {} bytes. Reduce the size of the request and try again.",
            state.settings.max_body_bytes
        ))),
        (_, Ok(bytes)) => {
            let drawn = state.settings.fault_rate.as_ref().and_then(|r| r.draw());
            let call = Call {
                route: &route,
                region: &region,
                headers: &parts.headers,
                query,
                body: &bytes,
                started,
                drawn,
            };
            ops::run(&state, call).await
        }
    };

    let (mut response, error) = match outcome {
        Ok(Reply::Json { body, headers }) => (
            with_headers(json_response(StatusCode::OK, &body), headers),
            None,
        ),
        Ok(Reply::Stream { plan, headers }) => {
            let mut r = Response::new(stream::spawn(plan, started));
            r.headers_mut().insert(
                http::header::CONTENT_TYPE,
                HeaderValue::from_static("application/vnd.amazon.eventstream"),
            );
            (with_headers(r, headers), None)
        }
        Ok(Reply::Drop) => {
            state.record(entry(
                &route,
                &request_id,
                seen,
                0,
                Some("ConnectionDropped"),
            ));
            return Err(Dropped);
        }
        Err(e) => {
            tracing::debug!(operation = route.operation(), "{e}");
            (error_response(&e), Some(e.kind.code()))
        }
    };
    finish(&state, &route, &request_id, seen, &mut response, error);
    Ok(response)
}

async fn serve_s3(state: &State, req: http::Request<Incoming>, request_id: &str) -> Response<Body> {
    let auth = Auth::of(req.headers(), req.uri().query().unwrap_or(""));
    let mut r = match state.jobs.s3() {
        Some(store) => store.serve(req).await,
        None => {
            let mut r = Response::new(stream::full(""));
            *r.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
            r
        }
    };
    if let Ok(v) = HeaderValue::from_str(request_id) {
        r.headers_mut().insert("x-amz-request-id", v);
    }
    let status = r.status().as_u16();
    state.record(LogEntry {
        time_ms: now_ms(),
        request_id: request_id.to_owned(),
        operation: "S3".to_owned(),
        model_id: None,
        status,
        error: (status >= 400).then(|| format!("HTTP {status}")),
        auth,
        roles: None,
        blocks: None,
        texts: None,
        media: None,
    });
    r
}

fn entry(
    route: &Route,
    request_id: &str,
    seen: Seen,
    status: u16,
    error: Option<&str>,
) -> LogEntry {
    LogEntry {
        time_ms: now_ms(),
        request_id: request_id.to_owned(),
        operation: route.operation().to_owned(),
        model_id: route.model_id().map(str::to_owned),
        status,
        error: error.map(str::to_owned),
        auth: seen.auth,
        roles: seen.roles,
        blocks: seen.blocks,
        texts: seen.texts,
        media: seen.media,
    }
}

fn finish(
    state: &State,
    route: &Route,
    request_id: &str,
    seen: Seen,
    response: &mut Response<Body>,
    error: Option<&str>,
) {
    if let Ok(v) = HeaderValue::from_str(request_id) {
        response.headers_mut().insert("x-amzn-requestid", v);
    }
    if !matches!(route, Route::LocalRequests | Route::LocalHealth) {
        state.record(entry(
            route,
            request_id,
            seen,
            response.status().as_u16(),
            error,
        ));
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::LocalEndpoint;
    use crate::state::Settings;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    const TOKEN: &str = "bedrock-api-key-c2VjcmV0IHRva2Vu";
    const SIGNATURE: &str = "0123456789abcdef0123456789abcdef";

    fn headers(auth: Option<&str>) -> http::HeaderMap {
        let mut h = http::HeaderMap::new();
        if let Some(v) = auth {
            h.insert(
                http::header::AUTHORIZATION,
                HeaderValue::from_str(v).unwrap(),
            );
        }
        h
    }

    #[test]
    fn tells_the_kind_of_credential() {
        let sigv4 = format!(
            "AWS4-HMAC-SHA256 Credential=AKID/20250101/us-east-1/bedrock/aws4_request, \
             SignedHeaders=host, Signature={SIGNATURE}"
        );
        assert_eq!(Auth::of(&headers(Some(&sigv4)), ""), Auth::Sigv4);
        assert_eq!(
            Auth::of(&headers(Some(&format!("Bearer {TOKEN}"))), ""),
            Auth::Bearer
        );
        assert_eq!(
            Auth::of(&headers(Some(&format!("bearer {TOKEN}"))), ""),
            Auth::Bearer
        );
        assert_eq!(
            Auth::of(&headers(Some("Basic dXNlcjpwdw==")), ""),
            Auth::Other
        );
        assert_eq!(Auth::of(&headers(None), ""), Auth::None);
        assert_eq!(
            Auth::of(
                &headers(None),
                "x-id=GetObject&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=ab"
            ),
            Auth::Sigv4
        );
    }

    #[test]
    fn reads_the_text_of_each_message_cut_at_its_limit() {
        let long = "x".repeat(LOGGED_TEXT_CHARS + 5);
        let body = serde_json::json!({"messages": [
            {"role": "user", "content": [{"text": "Why? "}, {"image": {}}, {"text": "Say."}]},
            {"role": "assistant", "content": [{"toolUse": {}}]},
            {"role": "user", "content": [{"text": long}]},
        ]});
        let texts = converse_texts(body.to_string().as_bytes()).unwrap();
        assert_eq!(texts[0], "Why? Say.");
        assert_eq!(texts[1], "");
        assert_eq!(texts[2], format!("{}…", "x".repeat(LOGGED_TEXT_CHARS)));
        assert_eq!(converse_texts(b"{\"messages\": 3}"), None);
    }

    #[test]
    fn reads_the_roles_of_a_converse_body() {
        let body = serde_json::json!({"messages": [
            {"role": "user", "content": [{"text": "a"}]},
            {"role": "assistant", "content": [{"text": "b"}]},
            {"role": "user", "content": [{"text": "c"}]},
        ], "system": [{"text": "s"}]});
        assert_eq!(
            converse_roles(body.to_string().as_bytes()),
            Some(vec!["user".into(), "assistant".into(), "user".into()])
        );
        assert_eq!(converse_roles(br#"{"messages": []}"#), Some(vec![]));
        assert_eq!(converse_roles(b"{\"messages\": 3}"), None);
        assert_eq!(converse_roles(b"not json"), None);
    }

    #[test]
    fn reads_the_block_kinds_of_a_converse_body() {
        let body = serde_json::json!({"messages": [
            {"role": "user", "content": [
                {"text": "a"},
                {"image": {"format": "png", "source": {"bytes": "AAAA"}}},
                {"cachePoint": {"type": "default"}},
            ]},
            {"role": "assistant", "content": [
                {"reasoningContent": {"reasoningText": {"text": "r", "signature": "s"}}},
                {"toolUse": {"toolUseId": "t1", "name": "n", "input": {}}},
            ]},
            {"role": "user", "content": [
                {"toolResult": {"toolUseId": "t1", "content": [{"text": "ok"}]}},
                {"text": null, "document": {"name": "d", "format": "txt", "source": {"bytes": "AA=="}}},
                {"guardContent": {"text": {"text": "g"}}},
            ]},
        ]});
        let kinds = |v: &[&str]| v.iter().map(|k| (*k).to_owned()).collect::<Vec<_>>();
        assert_eq!(
            converse_blocks(body.to_string().as_bytes()),
            Some(vec![
                kinds(&["text", "image", "cachePoint"]),
                kinds(&["reasoningContent", "toolUse"]),
                kinds(&["toolResult", "document", "guardContent"]),
            ])
        );
        assert_eq!(converse_blocks(br#"{"messages": []}"#), Some(vec![]));
        for unreadable in [
            r#"{"messages": [{"role": "user"}]}"#,
            r#"{"messages": [{"role": "user", "content": "text"}]}"#,
            r#"{"messages": [{"role": "user", "content": ["text"]}]}"#,
            r#"{"messages": [{"role": "user", "content": [{}]}]}"#,
            "not json",
        ] {
            assert_eq!(converse_blocks(unreadable.as_bytes()), None, "{unreadable}");
        }
        // The roles are still told when the blocks cannot be.
        assert_eq!(
            converse_roles(br#"{"messages": [{"role": "user", "content": 3}]}"#),
            Some(vec!["user".to_owned()])
        );
    }

    /// An endpoint keeping its state in a new temporary folder, returned with it.
    pub(crate) async fn with_data_dir() -> (tempfile::TempDir, LocalEndpoint) {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let settings = Settings {
            data_dir: Some(dir.path().to_path_buf()),
            ..Settings::default()
        };
        let ep = LocalEndpoint::start("127.0.0.1:0".parse().expect("an address"), settings)
            .await
            .expect("starts");
        (dir, ep)
    }

    /// One HTTP/1.1 exchange on a fresh connection: the status and the body.
    pub(crate) async fn exchange(ep: &LocalEndpoint, head: &str, body: &str) -> (u16, String) {
        let mut conn = tokio::net::TcpStream::connect(ep.addr()).await.unwrap();
        let req = format!(
            "{head}\r\nhost: localhost\r\ncontent-type: application/json\r\n\
             content-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        );
        conn.write_all(req.as_bytes()).await.unwrap();
        let mut out = Vec::new();
        conn.read_to_end(&mut out).await.unwrap();
        let out = String::from_utf8_lossy(&out).into_owned();
        let status = out
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let body = out.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or("");
        (status, body.to_owned())
    }

    #[tokio::test]
    async fn the_log_tells_the_credential_kind_and_converse_shape_but_not_the_credential() {
        let dir = tempfile::tempdir().unwrap();
        let settings = Settings {
            data_dir: Some(dir.path().to_path_buf()),
            ..Settings::default()
        };
        let ep = LocalEndpoint::start("127.0.0.1:0".parse().unwrap(), settings)
            .await
            .unwrap();
        let model = "anthropic.claude-3-haiku-20240307-v1%3A0";
        let conversation = serde_json::json!({"messages": [
            {"role": "user", "content": [{"text": "hello"}]},
            {"role": "assistant", "content": [{"text": "hi"}]},
            {"role": "user", "content": [{"text": "again"}]},
        ]})
        .to_string();
        let sigv4 = format!(
            "authorization: AWS4-HMAC-SHA256 Credential=AKIDLOGTEST/20250101/us-east-1/bedrock/aws4_request, SignedHeaders=host, Signature={SIGNATURE}"
        );
        let calls = [
            (
                format!("POST /model/{model}/converse HTTP/1.1\r\nauthorization: Bearer {TOKEN}"),
                conversation.clone(),
            ),
            (
                format!("POST /model/{model}/converse-stream HTTP/1.1\r\n{sigv4}"),
                conversation.clone(),
            ),
            (
                "POST /model/anthropic.claude-haiku-4-5-20251001-v1%3A0/count-tokens HTTP/1.1"
                    .to_owned(),
                serde_json::json!({"input": {"converse": {"messages": [
                    {"role": "user", "content": [{"text": "x"}]}
                ]}}})
                .to_string(),
            ),
        ];
        for (head, body) in &calls {
            let (status, answer) = exchange(&ep, head, body).await;
            assert_eq!(status, 200, "{head}: {answer}");
        }
        let (status, listed) = exchange(&ep, "GET /_local/requests HTTP/1.1", "").await;
        assert_eq!(status, 200);
        let on_disk = std::fs::read_to_string(dir.path().join("requests.jsonl")).unwrap();
        let listed: serde_json::Value = serde_json::from_str(&listed).unwrap();
        let from_disk: Vec<serde_json::Value> = on_disk
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        for log in [listed["requests"].as_array().unwrap(), &from_disk] {
            let seen: Vec<_> = log
                .iter()
                .map(|e| {
                    (
                        e["operation"].clone(),
                        e["auth"].clone(),
                        e.get("roles"),
                        e.get("blocks"),
                    )
                })
                .collect();
            let roles = serde_json::json!(["user", "assistant", "user"]);
            let blocks = serde_json::json!([["text"], ["text"], ["text"]]);
            assert_eq!(
                seen,
                [
                    (
                        "Converse".into(),
                        "bearer".into(),
                        Some(&roles),
                        Some(&blocks)
                    ),
                    (
                        "ConverseStream".into(),
                        "sigv4".into(),
                        Some(&roles),
                        Some(&blocks)
                    ),
                    ("CountTokens".into(), "none".into(), None, None),
                ]
            );
        }
        for text in [&on_disk, &listed.to_string()] {
            assert!(!text.contains(TOKEN));
            assert!(!text.contains(SIGNATURE));
            assert!(!text.contains("AKIDLOGTEST"));
        }
        ep.shutdown().await;
    }
}
