//! Turns SDK errors into errors a user can act on: what went wrong in their terms and
//! what to do about it.

use crate::app::error::BedrockError;
use aws_sdk_bedrockruntime::config::http::HttpResponse;
use aws_sdk_bedrockruntime::error::{ProvideErrorMetadata, SdkError};

/// Whether `model` is a cross-region inference profile (`us.…`, `global.…`, or a
/// profile ARN), so the advice to use one would be wrong.
fn is_profile(model: &str) -> bool {
    let id = model.rsplit_once('/').map_or(model, |(_, id)| id);
    model.contains(":inference-profile/")
        || model.contains(":application-inference-profile/")
        || crate::catalog::Geo::ALL.iter().any(|g| {
            id.strip_prefix(g.prefix())
                .is_some_and(|r| r.starts_with('.'))
        })
}

/// What the SDK kept of an answer that failed: an HTTP response, or an event of a
/// stream; only the first has a status.
pub trait Raw {
    fn status(&self) -> Option<u16>;
}

impl Raw for HttpResponse {
    fn status(&self) -> Option<u16> {
        Some(self.status().as_u16())
    }
}

impl Raw for aws_smithy_types::event_stream::RawMessage {
    fn status(&self) -> Option<u16> {
        None
    }
}

/// The service's error code for an answer that carries none, by its HTTP status.
fn code_of_status(status: u16) -> &'static str {
    match status {
        400 | 413 | 422 => "ValidationException",
        401 | 403 => "AccessDeniedException",
        404 => "ResourceNotFoundException",
        408 | 504 => "ModelTimeoutException",
        429 => "ThrottlingException",
        500 => "InternalServerException",
        502 | 503 => "ServiceUnavailableException",
        _ => "Unknown",
    }
}

/// What an HTTP status means, in words.
fn status_label(status: u16) -> &'static str {
    http::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("")
}

/// Classifies an SDK error of a call made for `model`, with the profile in use.
pub fn from_sdk<E, R>(err: &SdkError<E, R>, model: &str, profile: Option<&str>) -> BedrockError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: Raw + std::fmt::Debug + 'static,
{
    let profile = profile
        .map(|p| format!(" --profile {p}"))
        .unwrap_or_default();
    match err {
        SdkError::ServiceError(e) => {
            let status = e.raw().status();
            // Without an error code (a proxy's page, say), the HTTP status tells.
            let code = err
                .code()
                .or_else(|| status.map(code_of_status))
                .unwrap_or("Unknown");
            let message = match (err.message(), status) {
                (Some(m), _) => m.to_owned(),
                (None, Some(s)) => format!("HTTP {s} {}.", status_label(s)),
                (None, None) => String::new(),
            };
            from_code(code, message, model, &profile)
        }
        SdkError::DispatchFailure(d) => {
            let text = format!("{:?}", d);
            if let Some(cred) = credentials_problem(&text) {
                return with_profile(cred, &profile);
            }
            // The debug text names the connector's layers; the user needs the cause.
            let message = match d.as_connector_error() {
                Some(e) => sentence(root_cause(e)),
                None => short(&text),
            };
            BedrockError::Unreachable { message }
        }
        SdkError::TimeoutError(_) => BedrockError::Unreachable {
            message: "the request timed out.".into(),
        },
        SdkError::ResponseError(_) => BedrockError::Stream {
            message: sentence(root_cause(err)),
        },
        other => {
            let text = format!("{other:?}");
            credentials_problem(&text)
                .map(|c| with_profile(c, &profile))
                .unwrap_or(BedrockError::Other {
                    code: "Error".into(),
                    message: sentence(root_cause(other)),
                })
        }
    }
}

/// Classifies an SDK error of a call that is not about one model, such as a
/// listing; access denied names the IAM `action` the call needs.
pub fn from_sdk_action<E, R>(
    err: &SdkError<E, R>,
    action: &str,
    profile: Option<&str>,
) -> BedrockError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: Raw + std::fmt::Debug + 'static,
{
    from_sdk_action_on(err, action, "", profile)
}

/// [`from_sdk_action`] of a call on `model`, which errors about the model name.
pub fn from_sdk_action_on<E, R>(
    err: &SdkError<E, R>,
    action: &str,
    model: &str,
    profile: Option<&str>,
) -> BedrockError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: Raw + std::fmt::Debug + 'static,
{
    match from_sdk(err, model, profile) {
        BedrockError::AccessDenied { message } => BedrockError::MissingPermission {
            action: action.to_owned(),
            message,
        },
        other => other,
    }
}

pub fn from_code(code: &str, message: String, model: &str, profile: &str) -> BedrockError {
    // The service's words reach the screen, the history and exports: cleaned here.
    let message = crate::sanitize::text(&message);
    match code {
        "ValidationException" if message.contains("on-demand throughput") => {
            BedrockError::NeedsProfile {
                model: model.to_owned(),
            }
        }
        "ValidationException" => BedrockError::Validation { message },
        "AccessDeniedException" => BedrockError::AccessDenied { message },
        "ThrottlingException" | "ServiceQuotaExceededException" | "ModelNotReadyException" => {
            BedrockError::Throttled {
                message,
                retried: true,
                on_profile: is_profile(model),
            }
        }
        "ExpiredTokenException" | "UnrecognizedClientException" => BedrockError::Expired {
            message,
            profile: profile.to_owned(),
        },
        "ModelErrorException"
        | "ModelTimeoutException"
        | "ModelStreamErrorException"
        | "modelStreamErrorException" => BedrockError::Model { message },
        "ServiceUnavailableException" | "InternalServerException" => {
            BedrockError::Unavailable { message }
        }
        _ => BedrockError::Other {
            code: code.to_owned(),
            message,
        },
    }
}

fn with_profile(e: BedrockError, profile: &str) -> BedrockError {
    match e {
        BedrockError::Expired { message, .. } => BedrockError::Expired {
            message,
            profile: profile.to_owned(),
        },
        other => other,
    }
}

fn credentials_problem(text: &str) -> Option<BedrockError> {
    let lower = text.to_lowercase();
    if lower.contains("sso") && lower.contains("expired") || lower.contains("token has expired") {
        Some(BedrockError::Expired {
            message: "the SSO token has expired.".into(),
            profile: String::new(),
        })
    } else if lower.contains("no credentials") || lower.contains("credentialsnotloaded") {
        Some(BedrockError::NoCredentials {
            message: "no provider in the chain returned credentials.".into(),
        })
    } else {
        None
    }
}

/// What the innermost error of a chain says: "Connection refused (os error 111)" rather
/// than the connector types wrapped around it.
fn root_cause(err: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = err;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}

/// `text` ending with a full stop, to be followed by advice.
fn sentence(text: String) -> String {
    let text = crate::sanitize::text(&text);
    if text.ends_with(['.', '!', '?']) {
        text
    } else {
        text + "."
    }
}

/// The first line of a debug dump, bounded, so an error fits a status line.
fn short(text: &str) -> String {
    let text = crate::sanitize::text(text);
    let line = text.lines().next().unwrap_or("");
    let mut s: String = line.chars().take(200).collect();
    if line.chars().count() > 200 {
        s.push('…');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unreachable_endpoint_is_said_in_words_not_a_debug_dump() {
        use aws_sdk_bedrockruntime::error::ConnectorError;
        use aws_sdk_bedrockruntime::operation::converse::ConverseError;
        let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        let err: SdkError<ConverseError, HttpResponse> =
            SdkError::dispatch_failure(ConnectorError::io(Box::new(refused)));
        let e = from_sdk(&err, "m", None);
        assert_eq!(
            e.to_string(),
            "Cannot reach the Bedrock endpoint: connection refused. Check the network, the region and --endpoint-url."
        );
    }

    /// A service error as the SDK reports it: `code` (if any) and `status`.
    fn service(code: Option<&str>, message: Option<&str>, status: u16) -> BedrockError {
        use aws_sdk_bedrockruntime::error::ErrorMetadata;
        use aws_sdk_bedrockruntime::operation::converse::ConverseError;
        use aws_smithy_types::body::SdkBody;
        let mut meta = ErrorMetadata::builder();
        if let Some(c) = code {
            meta = meta.code(c);
        }
        if let Some(m) = message {
            meta = meta.message(m);
        }
        let raw = HttpResponse::new(status.try_into().unwrap(), SdkBody::empty());
        let err: SdkError<ConverseError, HttpResponse> =
            SdkError::service_error(ConverseError::generic(meta.build()), raw);
        from_sdk(&err, "us.anthropic.claude-sonnet-4-5-20250929-v1:0", None)
    }

    #[test]
    fn an_answer_without_an_error_code_is_named_by_its_http_status() {
        for (status, said) in [
            (503, "Bedrock is unavailable: HTTP 503 Service Unavailable."),
            (502, "Bedrock is unavailable: HTTP 502 Bad Gateway."),
            (
                500,
                "Bedrock is unavailable: HTTP 500 Internal Server Error.",
            ),
            (429, "Throttled by Bedrock: HTTP 429 Too Many Requests."),
            (403, "Access denied: HTTP 403 Forbidden."),
            (400, "The request was refused: HTTP 400 Bad Request."),
            (504, "The model failed: HTTP 504 Gateway Timeout."),
        ] {
            let e = service(None, None, status);
            assert!(e.to_string().starts_with(said), "{status}: {e}");
            assert!(!e.to_string().contains("Unknown"), "{status}: {e}");
        }
    }

    #[test]
    fn throttling_advice_says_only_what_was_not_done() {
        let on_profile = service(Some("ThrottlingException"), Some("Slow down."), 429);
        assert_eq!(
            on_profile.to_string(),
            "Throttled by Bedrock: Slow down. The request was retried and still throttled; wait a moment and send again."
        );
        let bare = from_code(
            "ThrottlingException",
            "Slow down.".into(),
            "amazon.nova-pro-v1:0",
            "",
        );
        assert!(bare.to_string().ends_with(
            "wait a moment and send again, or use a cross-region inference profile for more throughput."
        ));
        let arn =
            "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.amazon.nova-pro-v1:0";
        assert!(
            !from_code("ThrottlingException", "x".into(), arn, "")
                .to_string()
                .contains("cross-region")
        );
        let broken = bare.not_retried().to_string();
        assert!(!broken.contains("retried"), "{broken}");
        assert!(broken.contains("Wait a moment and send again"), "{broken}");
    }

    #[test]
    fn codes_become_actionable_errors() {
        let e = from_code(
            "ValidationException",
            "Invocation of model ID x with on-demand throughput isn't supported.".into(),
            "anthropic.claude-sonnet-4-5-20250929-v1:0",
            "",
        );
        assert!(e.to_string().contains("inference profile"));
        assert!(e.to_string().contains("us.anthropic.claude-sonnet-4-5"));
        let e = from_code(
            "ExpiredTokenException",
            "expired".into(),
            "m",
            " --profile dev",
        );
        assert!(e.to_string().contains("aws sso login --profile dev"));
        assert!(from_code("ThrottlingException", "slow".into(), "m", "").is_transient());
        assert!(!from_code("AccessDeniedException", "no".into(), "m", "").is_transient());
    }
}
