//! Turns SDK errors into errors a user can act on: what went wrong in their terms and
//! what to do about it.

use std::fmt::Debug;

pub use crate::app::error::BedrockError;
use aws_sdk_bedrockruntime::error::{ProvideErrorMetadata, SdkError};

/// Classifies an SDK error of a call made for `model`, with the profile in use.
pub fn from_sdk<E, R>(err: &SdkError<E, R>, model: &str, profile: Option<&str>) -> BedrockError
where
    E: ProvideErrorMetadata + Debug,
    R: Debug,
{
    let profile = profile
        .map(|p| format!(" --profile {p}"))
        .unwrap_or_default();
    match err {
        SdkError::ServiceError(_) => {
            let code = err.code().unwrap_or("Unknown").to_owned();
            let message = err.message().unwrap_or("").to_owned();
            from_code(&code, message, model, &profile)
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
        SdkError::ResponseError(r) => BedrockError::Stream {
            message: short(&format!("{r:?}")),
        },
        other => {
            let text = format!("{other:?}");
            credentials_problem(&text)
                .map(|c| with_profile(c, &profile))
                .unwrap_or(BedrockError::Other {
                    code: "Error".into(),
                    message: short(&text),
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
    E: ProvideErrorMetadata + Debug,
    R: Debug,
{
    match from_sdk(err, "", profile) {
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
            BedrockError::Throttled { message }
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
        let err: SdkError<ConverseError, ()> =
            SdkError::dispatch_failure(ConnectorError::io(Box::new(refused)));
        let e = from_sdk(&err, "m", None);
        assert_eq!(
            e.to_string(),
            "Cannot reach the Bedrock endpoint: connection refused. Check the network, the region and --endpoint-url."
        );
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
