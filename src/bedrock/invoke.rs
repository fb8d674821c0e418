//! InvokeModel and InvokeModelWithResponseStream with a model's native request body:
//! the response body, or its chunks as they stream, and the token counts the service
//! reports beside them (the `X-Amzn-Bedrock-*-Token-Count` headers, or the last chunk's
//! `amazon-bedrock-invocationMetrics`).

use std::sync::{Arc, Mutex};

use aws_sdk_bedrockruntime::primitives::Blob;
use aws_sdk_bedrockruntime::types::ResponseStream;
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::BeforeDeserializationInterceptorContextRef;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;

use super::wire::Recorder;
use super::{BedrockError, Connection, error};
use crate::inspect::EventKind;

/// Input and output tokens of an invocation, as the service counted them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub input: Option<u32>,
    pub output: Option<u32>,
}

/// Reads the token-count headers of the response, which the SDK's output type does
/// not carry.
#[derive(Debug, Clone, Default)]
struct TokenHeaders(Arc<Mutex<Counts>>);

impl Intercept for TokenHeaders {
    fn name(&self) -> &'static str {
        "TokenHeaders"
    }

    fn read_before_deserialization(
        &self,
        context: &BeforeDeserializationInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let headers = context.response().headers();
        let n = |name: &str| headers.get(name).and_then(|v| v.trim().parse().ok());
        if let Ok(mut counts) = self.0.lock() {
            *counts = Counts {
                input: n("x-amzn-bedrock-input-token-count"),
                output: n("x-amzn-bedrock-output-token-count"),
            };
        }
        Ok(())
    }
}

/// InvokeModel with `body` (JSON): the response body and the token counts.
pub async fn invoke(
    conn: &Connection,
    model_id: &str,
    body: Vec<u8>,
) -> Result<(Vec<u8>, Counts), BedrockError> {
    let recorder = Recorder::new(conn, "InvokeModel", model_id);
    invoke_recorded(conn, model_id, body, &recorder).await
}

/// [`invoke`], with what goes over the wire kept by `recorder` (the body's text among
/// its chunks).
pub async fn invoke_recorded(
    conn: &Connection,
    model_id: &str,
    body: Vec<u8>,
    recorder: &Recorder,
) -> Result<(Vec<u8>, Counts), BedrockError> {
    let (bytes, counts) = invoke_with(conn, model_id, body, recorder.clone()).await?;
    recorder.update(|x| {
        x.chunks
            .push(crate::sanitize::keeping_tabs(&String::from_utf8_lossy(
                &bytes,
            )))
    });
    Ok((bytes, counts))
}

/// [`invoke`], with `watch` seeing each attempt the SDK makes.
pub(super) async fn invoke_with(
    conn: &Connection,
    model_id: &str,
    body: Vec<u8>,
    watch: impl Intercept + 'static,
) -> Result<(Vec<u8>, Counts), BedrockError> {
    let headers = TokenHeaders::default();
    let out = conn
        .client
        .invoke_model()
        .model_id(model_id)
        .content_type("application/json")
        .accept("application/json")
        .body(Blob::new(body))
        .customize()
        .interceptor(headers.clone())
        .interceptor(watch)
        .send()
        .await
        .map_err(|e| error::from_sdk(&e, model_id, conn.profile.as_deref()))?;
    let counts = headers.0.lock().map(|c| *c).unwrap_or_default();
    Ok((out.body.into_inner(), counts))
}

/// InvokeModelWithResponseStream with `body` (JSON): `chunk` gets each chunk's bytes as
/// it arrives. Returns the token counts of the last chunk's invocation metrics.
pub async fn invoke_stream(
    conn: &Connection,
    model_id: &str,
    body: Vec<u8>,
    chunk: impl FnMut(&[u8]),
) -> Result<Counts, BedrockError> {
    let recorder = Recorder::new(conn, "InvokeModelWithResponseStream", model_id);
    invoke_stream_recorded(conn, model_id, body, &recorder, chunk).await
}

/// [`invoke_stream`], with what goes over the wire kept by `recorder`: each chunk's
/// arrival, size and text.
pub async fn invoke_stream_recorded(
    conn: &Connection,
    model_id: &str,
    body: Vec<u8>,
    recorder: &Recorder,
    mut chunk: impl FnMut(&[u8]),
) -> Result<Counts, BedrockError> {
    let mut out = conn
        .client
        .invoke_model_with_response_stream()
        .model_id(model_id)
        .content_type("application/json")
        .accept("application/json")
        .body(Blob::new(body))
        .customize()
        .interceptor(recorder.clone())
        .send()
        .await
        .map_err(|e| error::from_sdk(&e, model_id, conn.profile.as_deref()))?;
    let mut counts = Counts::default();
    loop {
        match out.body.recv().await {
            Ok(Some(ResponseStream::Chunk(part))) => {
                let Some(bytes) = part.bytes() else {
                    continue;
                };
                let bytes = bytes.as_ref();
                if let Some(m) = serde_json::from_slice::<serde_json::Value>(bytes)
                    .ok()
                    .and_then(|v| v.get("amazon-bedrock-invocationMetrics").cloned())
                {
                    let n = |k: &str| {
                        m.get(k)
                            .and_then(serde_json::Value::as_u64)
                            .and_then(|v| u32::try_from(v).ok())
                    };
                    counts = Counts {
                        input: n("inputTokenCount"),
                        output: n("outputTokenCount"),
                    };
                }
                recorder.event(EventKind::Chunk {
                    bytes: bytes.len() as u64,
                });
                recorder.update(|x| {
                    x.chunks
                        .push(crate::sanitize::keeping_tabs(&String::from_utf8_lossy(
                            bytes,
                        )))
                });
                chunk(bytes);
            }
            Ok(Some(_)) => {}
            Ok(None) => return Ok(counts),
            Err(e) => {
                return Err(error::from_sdk(&e, model_id, conn.profile.as_deref()).not_retried());
            }
        }
    }
}
