//! Errors of calls to Bedrock as the user reads them: what went wrong in their terms and
//! what to do about it. `bedrock::error` classifies the SDK's errors into these.

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
    #[error("Throttled by Bedrock: {message} {}", throttle_advice(*retried, *on_profile))]
    Throttled {
        message: String,
        /// The SDK retried the call before giving up (a call, not a broken stream).
        retried: bool,
        /// The call already went through a cross-region profile.
        on_profile: bool,
    },
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
    #[error("The connection dropped mid-answer: {message}")]
    Stream { message: String },
    #[error(
        "Guardrail {id} version {version} not found. Check the id (or ARN) and the version in the Bedrock console (Guardrails), and that it exists in this region."
    )]
    GuardrailNotFound { id: String, version: String },
    #[error("{code}: {message}")]
    Other { code: String, message: String },
}

/// What to do about throttling: only what was not done already.
fn throttle_advice(retried: bool, on_profile: bool) -> String {
    let mut s = String::from(if retried {
        "The request was retried and still throttled; wait a moment and send again"
    } else {
        "Wait a moment and send again"
    });
    if !on_profile {
        s.push_str(", or use a cross-region inference profile for more throughput");
    }
    s.push('.');
    s
}

impl BedrockError {
    /// The same error for a call that was not retried (a stream that broke, or a client
    /// with retries off): a throttle no longer claims a retry.
    pub fn not_retried(self) -> Self {
        match self {
            BedrockError::Throttled {
                message,
                on_profile,
                ..
            } => BedrockError::Throttled {
                message,
                retried: false,
                on_profile,
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
