//! Turns SDK errors into errors a user can act on: what went wrong in their terms and
//! what to do about it.

use std::fmt::Debug;

use aws_sdk_bedrockruntime::error::{ProvideErrorMetadata, SdkError};
use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum BedrockError {
    #[error(
        "{model} can only be invoked through an inference profile. Pick one of its profiles (for example us.{model}) in the model picker."
    )]
    NeedsProfile { model: String },
    #[error(
        "Access denied: {message} Enable access to this model in the Bedrock console (Model access) or check the IAM policy allows bedrock:InvokeModelWithResponseStream."
    )]
    AccessDenied { message: String },
    #[error("Access denied: {message} The IAM policy of these credentials must allow {action}.")]
    MissingPermission { action: String, message: String },
    #[error(
        "Throttled by Bedrock: {message} The request was retried; wait a moment and send again, or use a cross-region inference profile for more throughput."
    )]
    Throttled { message: String },
    #[error("The AWS session has expired: {message} Run `aws sso login{profile}` and try again.")]
    Expired { message: String, profile: String },
    #[error("No AWS credentials were found: {message}")]
    NoCredentials { message: String },
    #[error(
        "Cannot reach the Bedrock endpoint: {message} Check the network, the region and --endpoint-url."
    )]
    Unreachable { message: String },
    #[error("The request was refused: {message}")]
    Validation { message: String },
    #[error("The model failed: {message} Try again; if it keeps failing, try another model.")]
    Model { message: String },
    #[error("Bedrock is unavailable: {message} Try again shortly.")]
    Unavailable { message: String },
    #[error("The stream broke off: {message}")]
    Stream { message: String },
    #[error(
        "Guardrail {id} version {version} not found. Check the id (or ARN) and the version in the Bedrock console (Guardrails), and that it exists in this region."
    )]
    GuardrailNotFound { id: String, version: String },
    #[error("{code}: {message}")]
    Other { code: String, message: String },
}

impl BedrockError {
    /// Classifies an SDK error of a call made for `model`, with the profile in use.
    pub fn from_sdk<E, R>(err: &SdkError<E, R>, model: &str, profile: Option<&str>) -> Self
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
                Self::from_code(&code, message, model, &profile)
            }
            SdkError::DispatchFailure(d) => {
                let text = format!("{:?}", d);
                if let Some(cred) = credentials_problem(&text) {
                    return cred.with_profile(&profile);
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
                    .map(|c| c.with_profile(&profile))
                    .unwrap_or(BedrockError::Other {
                        code: "Error".into(),
                        message: short(&text),
                    })
            }
        }
    }

    /// Classifies an SDK error of a call that is not about one model, such as a
    /// listing; access denied names the IAM `action` the call needs.
    pub fn from_sdk_action<E, R>(err: &SdkError<E, R>, action: &str, profile: Option<&str>) -> Self
    where
        E: ProvideErrorMetadata + Debug,
        R: Debug,
    {
        match Self::from_sdk(err, "", profile) {
            BedrockError::AccessDenied { message } => BedrockError::MissingPermission {
                action: action.to_owned(),
                message,
            },
            other => other,
        }
    }

    pub fn from_code(code: &str, message: String, model: &str, profile: &str) -> Self {
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

    fn with_profile(self, profile: &str) -> Self {
        match self {
            BedrockError::Expired { message, .. } => BedrockError::Expired {
                message,
                profile: profile.to_owned(),
            },
            other => other,
        }
    }

    /// Whether sending again later may succeed as it is.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            BedrockError::Throttled { .. }
                | BedrockError::Unavailable { .. }
                | BedrockError::Unreachable { .. }
                | BedrockError::Stream { .. }
                | BedrockError::Model { .. }
        )
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
    if text.ends_with(['.', '!', '?']) {
        text
    } else {
        text + "."
    }
}

/// The first line of a debug dump, bounded, so an error fits a status line.
fn short(text: &str) -> String {
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
        let e = BedrockError::from_sdk(&err, "m", None);
        assert_eq!(
            e.to_string(),
            "Cannot reach the Bedrock endpoint: connection refused. Check the network, the region and --endpoint-url."
        );
    }

    #[test]
    fn codes_become_actionable_errors() {
        let e = BedrockError::from_code(
            "ValidationException",
            "Invocation of model ID x with on-demand throughput isn't supported.".into(),
            "anthropic.claude-sonnet-4-5-20250929-v1:0",
            "",
        );
        assert!(e.to_string().contains("inference profile"));
        assert!(e.to_string().contains("us.anthropic.claude-sonnet-4-5"));
        let e = BedrockError::from_code(
            "ExpiredTokenException",
            "expired".into(),
            "m",
            " --profile dev",
        );
        assert!(e.to_string().contains("aws sso login --profile dev"));
        assert!(
            BedrockError::from_code("ThrottlingException", "slow".into(), "m", "").is_transient()
        );
        assert!(
            !BedrockError::from_code("AccessDeniedException", "no".into(), "m", "").is_transient()
        );
    }
}
