//! One record of `batch run` sent: Converse for a conversation, InvokeModel for a
//! native body, with the SDK's own retries; each attempt the service throttled is
//! reported as it happens, so the caller can slow down even when a retry then succeeds.

use std::sync::Arc;

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::BeforeDeserializationInterceptorContextRef;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use serde_json::Value;

use super::{BedrockError, Connection, TurnRequest, converse_parts, convert, error};
use crate::catalog::Catalog;
use crate::conversation::Usage;

/// What a record got back.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Answer {
    /// The answer's text: Converse's text blocks, or what the model family's response
    /// body holds (when this program reads that family).
    pub text: Option<String>,
    /// The native response body, as the model sent it.
    pub native: Option<Value>,
    /// The stop reason, in Converse's or the family's own words.
    pub stop: Option<String>,
    pub usage: Option<Usage>,
}

/// Calls `on_throttle` for each attempt the service throttled (HTTP 429, or a
/// throttling or quota error code), the ones the SDK retries included.
#[derive(Clone)]
pub struct Watch(Arc<dyn Fn() + Send + Sync>);

impl Watch {
    pub fn new(on_throttle: impl Fn() + Send + Sync + 'static) -> Watch {
        Watch(Arc::new(on_throttle))
    }
}

impl std::fmt::Debug for Watch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Watch")
    }
}

impl Intercept for Watch {
    fn name(&self) -> &'static str {
        "ThrottleWatch"
    }

    fn read_before_deserialization(
        &self,
        context: &BeforeDeserializationInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let response = context.response();
        let code = response.headers().get("x-amzn-errortype").unwrap_or("");
        if response.status().as_u16() == 429
            || code.starts_with("ThrottlingException")
            || code.starts_with("ServiceQuotaExceededException")
        {
            (self.0)();
        }
        Ok(())
    }
}

/// Sends a conversation with Converse (no tools, no guardrail).
pub async fn converse(
    conn: &Connection,
    req: &TurnRequest,
    watch: Watch,
) -> Result<Answer, BedrockError> {
    let (messages, system, _) = converse_parts(req);
    let out = conn
        .client
        .converse()
        .model_id(&req.model_id)
        .set_messages(Some(messages))
        .set_system(system)
        .set_inference_config(convert::inference(&req.inference))
        .customize()
        .interceptor(watch)
        .send()
        .await
        .map_err(|e| error::from_sdk(&e, &req.model_id, conn.profile.as_deref()))?;
    let text = out.output().and_then(|o| o.as_message().ok()).map(|m| {
        m.content()
            .iter()
            .filter_map(|b| b.as_text().ok().map(String::as_str))
            .collect::<String>()
    });
    Ok(Answer {
        text,
        native: None,
        stop: Some(out.stop_reason().as_str().to_owned()),
        usage: out.usage().map(convert::usage),
    })
}

/// Sends a native body with InvokeModel. The answer's text, stop reason and usage are
/// read from the body when the catalog knows the model's family; the token counts the
/// service sends beside the body come first.
pub async fn invoke_native(
    conn: &Connection,
    model_id: &str,
    body: &Value,
    watch: Watch,
) -> Result<Answer, BedrockError> {
    let bytes = serde_json::to_vec(body).unwrap_or_default();
    let (response, counts) = super::invoke::invoke_with(conn, model_id, bytes, watch).await?;
    let native = serde_json::from_slice::<Value>(&response)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&response).into_owned()));
    let reply = Catalog::builtin()
        .lookup(model_id)
        .filter(|m| crate::native::supported(m.family))
        .and_then(|m| crate::native::parse_response(m.family, &response).ok());
    let usage = match (counts.input, counts.output) {
        (Some(input), Some(output)) => Some(Usage {
            input,
            output,
            ..Usage::default()
        }),
        _ => reply.as_ref().and_then(|r| r.usage),
    };
    Ok(Answer {
        text: reply.as_ref().map(|r| r.text.clone()),
        stop: reply.and_then(|r| r.stop),
        native: Some(native),
        usage,
    })
}
