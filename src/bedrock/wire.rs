//! Records what goes over the wire for the inspector: an SDK interceptor sees the
//! request body as signed and sent, every attempt with its status and the cause of a
//! retry, the final status and `x-amzn-RequestId`; the stream's reader adds the events
//! with their arrival times. Headers are never kept, so no signature or key is.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeDeserializationInterceptorContextRef, BeforeTransmitInterceptorContextRef,
    FinalizerInterceptorContextRef,
};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use aws_smithy_types::error::display::DisplayErrorContext;

use super::Connection;
use crate::inspect::{Attempt, Event, EventKind, Exchange};

/// The exchange of one call as it is recorded, shared by the interceptor (which the
/// SDK owns) and the reader of the response.
#[derive(Debug, Clone)]
pub struct Recorder {
    started: Instant,
    exchange: Arc<Mutex<Exchange>>,
}

impl Recorder {
    pub fn new(conn: &Connection, operation: &str, model_id: &str) -> Self {
        Recorder {
            started: Instant::now(),
            exchange: Arc::new(Mutex::new(Exchange {
                operation: operation.to_owned(),
                model_id: model_id.to_owned(),
                region: conn.region.clone(),
                auth: conn.auth.scheme(),
                ..Exchange::default()
            })),
        }
    }

    fn elapsed_ms(&self) -> u64 {
        self.started.elapsed().as_millis() as u64
    }

    fn with(&self, f: impl FnOnce(&mut Exchange)) {
        // A poisoned lock only means a panic elsewhere; the record is still worth having.
        let mut x = self.exchange.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut x);
    }

    /// Adds an event that arrived now.
    pub fn event(&self, kind: EventKind) {
        let at_ms = self.elapsed_ms();
        self.with(|x| x.events.push(Event { at_ms, kind }));
    }

    /// Records the call's failure.
    pub fn failed(&self, message: &str) {
        let at_ms = self.elapsed_ms();
        self.with(|x| {
            x.error = Some(crate::sanitize::keeping_tabs(message));
            x.events.push(Event {
                at_ms,
                kind: EventKind::Error {
                    message: crate::sanitize::keeping_tabs(message),
                },
            });
        });
    }

    pub fn update(&self, f: impl FnOnce(&mut Exchange)) {
        self.with(f);
    }

    /// What has been recorded so far.
    pub fn snapshot(&self) -> Exchange {
        self.exchange
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

/// `url` without the `user:password@` an endpoint URL may carry: the record is kept
/// in the history, which holds no credentials.
fn without_userinfo(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => {
            let authority_end = rest.find('/').unwrap_or(rest.len());
            match rest[..authority_end].rfind('@') {
                Some(at) => format!("{scheme}://{}", &rest[at + 1..]),
                None => url.to_owned(),
            }
        }
        None => url.to_owned(),
    }
}

impl Intercept for Recorder {
    fn name(&self) -> &'static str {
        "InspectorRecorder"
    }

    fn read_before_attempt(
        &self,
        _: &BeforeTransmitInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let at_ms = self.elapsed_ms();
        self.with(|x| {
            x.attempts.push(Attempt {
                at_ms,
                ..Attempt::default()
            })
        });
        Ok(())
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let request = context.request();
        let url = crate::sanitize::keeping_tabs(&without_userinfo(request.uri()));
        let body = request
            .body()
            .bytes()
            .and_then(|b| serde_json::from_slice::<serde_json::Value>(b).ok());
        self.with(|x| {
            x.url = url;
            if let Some(body) = body {
                x.request = crate::inspect::abbreviate(&body);
            }
        });
        Ok(())
    }

    fn read_before_deserialization(
        &self,
        context: &BeforeDeserializationInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let response = context.response();
        let status = response.status().as_u16();
        let headers = response.headers();
        let id = headers
            .get("x-amzn-requestid")
            .map(crate::sanitize::keeping_tabs);
        // The error's code, without the type's namespace or URL the service may add.
        let cause = (status >= 400).then(|| {
            headers
                .get("x-amzn-errortype")
                .map(|t| crate::sanitize::keeping_tabs(t.split(':').next().unwrap_or(t)))
                .unwrap_or_else(|| format!("HTTP {status}"))
        });
        let at_ms = self.elapsed_ms();
        self.with(|x| {
            x.status = Some(status);
            x.request_id = id;
            let attempt = u32::try_from(x.attempts.len()).unwrap_or(u32::MAX);
            if let Some(a) = x.attempts.last_mut() {
                a.status = Some(status);
                a.cause = cause;
            }
            x.events.push(Event {
                at_ms,
                kind: EventKind::FirstByte { status, attempt },
            });
        });
        Ok(())
    }

    fn read_after_attempt(
        &self,
        context: &FinalizerInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        // An attempt without a response failed in transport: a timeout, a refused
        // connection; that is its cause.
        if context.response().is_none()
            && let Some(Err(e)) = context.output_or_error()
        {
            let cause = crate::sanitize::keeping_tabs(&DisplayErrorContext(e).to_string());
            self.with(|x| {
                if let Some(a) = x.attempts.last_mut() {
                    a.cause = Some(cause);
                }
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::without_userinfo;

    #[test]
    fn a_urls_credentials_are_not_kept() {
        assert_eq!(
            without_userinfo("https://me:secret@proxy.example:8443/model/m/converse-stream"),
            "https://proxy.example:8443/model/m/converse-stream"
        );
        let plain = "https://bedrock-runtime.us-east-1.amazonaws.com/model/a@b/converse";
        assert_eq!(without_userinfo(plain), plain);
    }
}
