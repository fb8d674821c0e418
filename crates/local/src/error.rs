//! The service's modeled errors: their codes, HTTP statuses and wire form, both as
//! plain responses and as exception frames inside an event stream.

use http::StatusCode;
use serde_json::{Value, json};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    Validation,
    AccessDenied,
    ResourceNotFound,
    ModelTimeout,
    ModelError,
    ModelNotReady,
    ModelStreamError,
    Throttling,
    ServiceQuotaExceeded,
    ServiceUnavailable,
    InternalServer,
    Conflict,
}

impl ErrorKind {
    pub(crate) fn code(self) -> &'static str {
        match self {
            ErrorKind::Validation => "ValidationException",
            ErrorKind::AccessDenied => "AccessDeniedException",
            ErrorKind::ResourceNotFound => "ResourceNotFoundException",
            ErrorKind::ModelTimeout => "ModelTimeoutException",
            ErrorKind::ModelError => "ModelErrorException",
            ErrorKind::ModelNotReady => "ModelNotReadyException",
            ErrorKind::ModelStreamError => "ModelStreamErrorException",
            ErrorKind::Throttling => "ThrottlingException",
            ErrorKind::ServiceQuotaExceeded => "ServiceQuotaExceededException",
            ErrorKind::ServiceUnavailable => "ServiceUnavailableException",
            ErrorKind::InternalServer => "InternalServerException",
            ErrorKind::Conflict => "ConflictException",
        }
    }

    pub(crate) fn status(self) -> StatusCode {
        let code = match self {
            ErrorKind::Validation | ErrorKind::ServiceQuotaExceeded | ErrorKind::Conflict => 400,
            ErrorKind::AccessDenied => 403,
            ErrorKind::ResourceNotFound => 404,
            ErrorKind::ModelTimeout => 408,
            ErrorKind::ModelError | ErrorKind::ModelStreamError => 424,
            ErrorKind::Throttling | ErrorKind::ModelNotReady => 429,
            ErrorKind::InternalServer => 500,
            ErrorKind::ServiceUnavailable => 503,
        };
        StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    /// The member name of this exception in a streaming output union.
    pub(crate) fn stream_member(self) -> &'static str {
        match self {
            ErrorKind::Validation => "validationException",
            ErrorKind::Throttling => "throttlingException",
            ErrorKind::ServiceUnavailable => "serviceUnavailableException",
            ErrorKind::ModelTimeout => "modelTimeoutException",
            ErrorKind::InternalServer => "internalServerException",
            _ => "modelStreamErrorException",
        }
    }

    /// The message the service gives when nothing more specific applies.
    pub(crate) fn default_message(self) -> &'static str {
        match self {
            ErrorKind::Validation => "The provided request is not valid.",
            ErrorKind::AccessDenied => {
                "You don't have access to the model with the specified model ID."
            }
            ErrorKind::ResourceNotFound => "The specified resource could not be found.",
            ErrorKind::ModelTimeout => {
                "Model has timed out in processing the request. Try your request again."
            }
            ErrorKind::ModelError => {
                "The system encountered an unexpected error during processing. Try your request again."
            }
            ErrorKind::ModelNotReady => {
                "Model is not ready for inference. Wait and try your request again."
            }
            ErrorKind::ModelStreamError => {
                "The model encountered an error while streaming its response."
            }
            ErrorKind::Throttling => "Too many requests, please wait before trying again.",
            ErrorKind::ServiceQuotaExceeded => {
                "Your request exceeds the service quota for your account. You can view your quotas at Viewing service quotas. You can resubmit your request later."
            }
            ErrorKind::ServiceUnavailable => {
                "The service isn't currently available. Try again later."
            }
            ErrorKind::InternalServer => "An internal server error occurred. Retry your request.",
            ErrorKind::Conflict => "The request conflicts with the current state of the resource.",
        }
    }
}

/// A modeled error as the service returns it.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceError {
    pub kind: ErrorKind,
    pub message: String,
    /// Extra members of the exception shape (`originalStatusCode`, `resourceName`, ...).
    pub(crate) extra: Vec<(&'static str, Value)>,
}

impl ServiceError {
    pub(crate) fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        ServiceError {
            kind,
            message: message.into(),
            extra: Vec::new(),
        }
    }

    pub(crate) fn of(kind: ErrorKind) -> Self {
        let mut e = ServiceError::new(kind, kind.default_message());
        match kind {
            ErrorKind::ModelError => {
                e.extra.push(("originalStatusCode", json!(500)));
                e.extra
                    .push(("resourceName", json!("local-simulated-model")));
            }
            ErrorKind::ModelStreamError => {
                e.extra.push(("originalStatusCode", json!(500)));
                e.extra.push((
                    "originalMessage",
                    json!("The model stopped generating unexpectedly."),
                ));
            }
            _ => {}
        }
        e
    }

    pub(crate) fn validation(message: impl Into<String>) -> Self {
        ServiceError::new(ErrorKind::Validation, message)
    }

    /// The coral-style message of a request member that fails a constraint.
    pub(crate) fn constraint(member: &str, constraint: &str) -> Self {
        ServiceError::validation(format!(
            "1 validation error detected: Value at '{member}' failed to satisfy constraint: {constraint}"
        ))
    }

    pub(crate) fn malformed(detail: impl std::fmt::Display) -> Self {
        ServiceError::validation(format!(
            "Malformed input request: {detail}, please reformat your input and try again."
        ))
    }

    /// The JSON body: `{"message": ...}` plus the shape's extra members.
    pub(crate) fn body(&self) -> Value {
        let mut body = serde_json::Map::new();
        body.insert("message".into(), Value::String(self.message.clone()));
        for (k, v) in &self.extra {
            body.insert((*k).into(), v.clone());
        }
        Value::Object(body)
    }

    /// The `x-amzn-ErrorType` header value, in the form the service sends.
    pub(crate) fn error_type_header(&self) -> String {
        format!(
            "{}:http://internal.amazon.com/coral/com.amazon.bedrock/",
            self.kind.code()
        )
    }
}

impl std::fmt::Display for ServiceError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.kind.code(), self.message)
    }
}

impl std::error::Error for ServiceError {}

impl From<bedrock_catalog::ResolveError> for ServiceError {
    fn from(e: bedrock_catalog::ResolveError) -> Self {
        ServiceError::validation(e.to_string())
    }
}
