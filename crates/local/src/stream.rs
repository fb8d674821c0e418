//! AWS event-stream responses: items encoded as event-stream frames (aws-smithy-eventstream),
//! paced like a model generating tokens, with mid-stream faults.

use std::convert::Infallible;
use std::time::{Duration, Instant};

use aws_smithy_eventstream::frame::write_message_to;
use aws_smithy_types::event_stream::{Header, HeaderValue, Message};
use base64::Engine;
use bytes::Bytes;
use http_body_util::{BodyExt, StreamBody, combinators::BoxBody};
use hyper::body::Frame;
use serde_json::Value;
use tokio::sync::mpsc;

use super::error::{ErrorKind, ServiceError};

pub(crate) type Body = BoxBody<Bytes, std::io::Error>;

pub(crate) fn full(bytes: impl Into<Bytes>) -> Body {
    http_body_util::Full::new(bytes.into())
        .map_err(|e: Infallible| match e {})
        .boxed()
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ItemKind {
    /// A named event of a Converse stream (`messageStart`, `contentBlockDelta`, ...).
    Event(&'static str),
    /// A `chunk` of InvokeModelWithResponseStream: native JSON sent base64 in `bytes`.
    Chunk,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct StreamItem {
    pub kind: ItemKind,
    pub payload: Value,
    /// Output tokens this item carries, for pacing and for faults after N tokens.
    pub tokens: u32,
}

impl StreamItem {
    pub(crate) fn event(name: &'static str, payload: Value, tokens: u32) -> Self {
        StreamItem {
            kind: ItemKind::Event(name),
            payload,
            tokens,
        }
    }

    pub(crate) fn chunk(payload: Value, tokens: u32) -> Self {
        StreamItem {
            kind: ItemKind::Chunk,
            payload,
            tokens,
        }
    }

    /// The item as one event-stream frame.
    pub(crate) fn frame(&self) -> Bytes {
        let (event_type, payload) = match &self.kind {
            ItemKind::Event(name) => (*name, padded(self.payload.clone())),
            ItemKind::Chunk => {
                let bytes = base64::engine::general_purpose::STANDARD
                    .encode(self.payload.to_string().as_bytes());
                ("chunk", padded(serde_json::json!({ "bytes": bytes })))
            }
        };
        encode(
            vec![
                Header::new(":event-type", HeaderValue::String(event_type.into())),
                Header::new(
                    ":content-type",
                    HeaderValue::String("application/json".into()),
                ),
                Header::new(":message-type", HeaderValue::String("event".into())),
            ],
            payload.to_string(),
        )
    }
}

/// The service pads event payloads with a `p` member of varying length so that
/// payload sizes do not reveal token lengths; clients must ignore it.
fn padded(mut payload: Value) -> Value {
    const PAD: &str = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    if let Value::Object(map) = &mut payload {
        let len = 1 + map.len() * 7 % PAD.len();
        map.insert("p".into(), Value::String(PAD[..len].to_owned()));
    }
    payload
}

/// A modeled exception as an event-stream frame (`:message-type` exception).
pub(crate) fn exception_frame(err: &ServiceError) -> Bytes {
    encode(
        vec![
            Header::new(
                ":exception-type",
                HeaderValue::String(err.kind.stream_member().into()),
            ),
            Header::new(
                ":content-type",
                HeaderValue::String("application/json".into()),
            ),
            Header::new(":message-type", HeaderValue::String("exception".into())),
        ],
        err.body().to_string(),
    )
}

fn encode(headers: Vec<Header>, payload: String) -> Bytes {
    let msg = Message::new_from_parts(headers, payload);
    let mut buf = Vec::with_capacity(msg.payload().len() + 128);
    // Encoding only fails for oversized headers or payloads, which these never are.
    if let Err(e) = write_message_to(&msg, &mut buf) {
        tracing::error!("event-stream encoding failed: {e}");
    }
    Bytes::from(buf)
}

/// Token pacing of a simulated model.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pacing {
    pub ttft: Duration,
    /// Output tokens per second; `None` sends as fast as the connection takes them.
    pub tokens_per_second: Option<f64>,
}

impl Pacing {
    pub const OFF: Pacing = Pacing {
        ttft: Duration::ZERO,
        tokens_per_second: None,
    };
}

/// Latencies measured while streaming, for the final metadata or metrics chunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Timing {
    pub first_byte_ms: u64,
    pub total_ms: u64,
}

/// Builds the items sent last, once the stream's latency is known.
pub(crate) type Tail = Box<dyn FnOnce(Timing) -> Vec<StreamItem> + Send>;

/// A fault that interrupts a stream after a number of output tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Interrupt {
    Exception(u32),
    Drop(u32),
}

pub(crate) struct Plan {
    /// The request's pacing: the endpoint's, scaled for its service tier and latency.
    pub pacing: Pacing,
    pub items: Vec<StreamItem>,
    pub tail: Tail,
    pub interrupt: Option<Interrupt>,
}

/// Starts sending `plan` and returns the response body it is sent through.
/// `started` is when the request arrived; time to first token has already passed.
pub(crate) fn spawn(plan: Plan, started: Instant) -> Body {
    let pacing = plan.pacing;
    let (tx, rx) = mpsc::channel::<Result<Frame<Bytes>, std::io::Error>>(64);
    tokio::spawn(async move {
        let first_byte_ms = started.elapsed().as_millis() as u64;
        let begin = tokio::time::Instant::now();
        let mut sent_tokens: u64 = 0;
        for item in plan.items {
            if let Some(stop) = plan.interrupt {
                let at = match stop {
                    Interrupt::Exception(n) | Interrupt::Drop(n) => u64::from(n),
                };
                if sent_tokens + u64::from(item.tokens) > at && item.tokens > 0 {
                    let last = match stop {
                        Interrupt::Exception(_) => Ok(Frame::data(exception_frame(
                            &ServiceError::of(ErrorKind::ModelStreamError),
                        ))),
                        Interrupt::Drop(_) => Err(std::io::Error::new(
                            std::io::ErrorKind::ConnectionAborted,
                            "connection dropped by fault directive",
                        )),
                    };
                    if matches!(stop, Interrupt::Drop(_)) {
                        // Let the connection flush what was sent before it is cut.
                        tokio::time::sleep(Duration::from_millis(20)).await;
                    }
                    let _ = tx.send(last).await;
                    return;
                }
            }
            if let (Some(tps), true) = (pacing.tokens_per_second, item.tokens > 0) {
                sent_tokens += u64::from(item.tokens);
                let due = begin + Duration::from_secs_f64(sent_tokens as f64 / tps);
                tokio::time::sleep_until(due).await;
            } else {
                sent_tokens += u64::from(item.tokens);
            }
            if tx.send(Ok(Frame::data(item.frame()))).await.is_err() {
                return;
            }
        }
        let timing = Timing {
            first_byte_ms,
            total_ms: started.elapsed().as_millis() as u64,
        };
        for item in (plan.tail)(timing) {
            if tx.send(Ok(Frame::data(item.frame()))).await.is_err() {
                return;
            }
        }
    });
    StreamBody::new(tokio_stream_of(rx)).boxed()
}

fn tokio_stream_of(
    mut rx: mpsc::Receiver<Result<Frame<Bytes>, std::io::Error>>,
) -> impl futures_util::Stream<Item = Result<Frame<Bytes>, std::io::Error>> {
    futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx))
}
