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
use super::ops::{self, Call, Reply};
use super::router::{self, Route};
use super::s3;
use super::state::{LogEntry, State, now_ms};
use super::stream::{self, Body, Pacing};

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
            let pacing: Pacing = state.settings.pacing;
            let mut r = Response::new(stream::spawn(plan, pacing, started));
            r.headers_mut().insert(
                http::header::CONTENT_TYPE,
                HeaderValue::from_static("application/vnd.amazon.eventstream"),
            );
            (with_headers(r, headers), None)
        }
        Ok(Reply::Drop) => {
            state.record(entry(&route, &request_id, 0, Some("ConnectionDropped")));
            return Err(Dropped);
        }
        Err(e) => {
            tracing::debug!(operation = route.operation(), "{e}");
            (error_response(&e), Some(e.kind.code()))
        }
    };
    finish(&state, &route, &request_id, &mut response, error);
    Ok(response)
}

async fn serve_s3(state: &State, req: http::Request<Incoming>, request_id: &str) -> Response<Body> {
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
    });
    r
}

fn entry(route: &Route, request_id: &str, status: u16, error: Option<&str>) -> LogEntry {
    LogEntry {
        time_ms: now_ms(),
        request_id: request_id.to_owned(),
        operation: route.operation().to_owned(),
        model_id: route.model_id().map(str::to_owned),
        status,
        error: error.map(str::to_owned),
    }
}

fn finish(
    state: &State,
    route: &Route,
    request_id: &str,
    response: &mut Response<Body>,
    error: Option<&str>,
) {
    if let Ok(v) = HeaderValue::from_str(request_id) {
        response.headers_mut().insert("x-amzn-requestid", v);
    }
    if !matches!(route, Route::LocalRequests | Route::LocalHealth) {
        state.record(entry(route, request_id, response.status().as_u16(), error));
    }
}
