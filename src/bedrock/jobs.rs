//! The Bedrock Runtime calls of async invocations: every page of ListAsyncInvokes
//! (newest first), GetAsyncInvoke, and StartAsyncInvoke with a client request token,
//! with SDK errors turned into errors a caller can act on (throttling apart, so polling
//! can back off).

use std::fmt::Debug;

use aws_sdk_bedrockruntime::Client;
use aws_sdk_bedrockruntime::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_bedrockruntime::types::{
    AsyncInvokeOutputDataConfig, AsyncInvokeS3OutputDataConfig, AsyncInvokeStatus,
    SortAsyncInvocationBy, SortOrder,
};
use aws_smithy_types::retry::RetryConfig;

use super::{BedrockError, Connection};
use crate::jobs::input::InputError;
use crate::jobs::{Job, OutputDataConfig, S3OutputDataConfig, S3Uri, Status};

/// A job from GetAsyncInvoke's output or a ListAsyncInvokes summary, which have the
/// same members (the summary's status is optional). Its texts are the service's, so
/// they are sanitized here, where they enter the program.
macro_rules! job_of {
    ($o:expr, $status:expr) => {{
        let o = $o;
        let s3 = o
            .output_data_config()
            .and_then(|c| c.as_s3_output_data_config().ok());
        let clean = crate::sanitize::keeping_tabs;
        Job {
            invocation_arn: clean(o.invocation_arn()),
            model_arn: clean(o.model_arn()),
            client_request_token: o.client_request_token().map(clean),
            status: $status.map_or(Status::Other(String::new()), |s: &AsyncInvokeStatus| {
                Status::from(s.as_str().to_owned())
            }),
            failure_message: o.failure_message().map(clean),
            submit_time: millis(o.submit_time()),
            last_modified_time: o.last_modified_time().map(millis),
            end_time: o.end_time().map(millis),
            output_data_config: OutputDataConfig {
                s3_output_data_config: S3OutputDataConfig {
                    s3_uri: s3.map(|s| clean(s.s3_uri())).unwrap_or_default(),
                    kms_key_id: s3.and_then(|s| s.kms_key_id()).map(str::to_owned),
                    bucket_owner: s3.and_then(|s| s.bucket_owner()).map(str::to_owned),
                },
            },
        }
    }};
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JobError {
    #[error(transparent)]
    Input(#[from] InputError),
    #[error(
        "The client request token {token} was already used for a different request: {message} Use a new token for a new job."
    )]
    TokenConflict { token: String, message: String },
    #[error("No async invocation {arn}: {message}")]
    NotFound { arn: String, message: String },
    /// Sending again later may succeed; a poller should wait longer first.
    #[error("Throttled by Bedrock: {message}")]
    Throttled { message: String },
    #[error("{0}")]
    Service(BedrockError),
}

impl JobError {
    pub fn is_throttled(&self) -> bool {
        matches!(self, JobError::Throttled { .. })
    }

    fn from_sdk<E, R>(err: &SdkError<E, R>, action: &str, profile: Option<&str>) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
        R: super::error::Raw + Debug + 'static,
    {
        match super::error::from_sdk_action(err, action, profile) {
            BedrockError::Throttled { message, .. } => JobError::Throttled { message },
            other => JobError::Service(other),
        }
    }
}

/// What to start: the model, its input, where the outputs go, and the idempotency
/// token. A request keeps its token, so sending the same request again (after a timeout,
/// say) never starts a second job.
#[derive(Debug, Clone, PartialEq)]
pub struct StartRequest {
    pub model_id: String,
    pub input: serde_json::Value,
    pub output: S3Uri,
    pub token: String,
}

impl StartRequest {
    /// A request with `token`, or a new random one.
    pub fn new(
        model_id: &str,
        input: serde_json::Value,
        output: S3Uri,
        token: Option<String>,
    ) -> Self {
        StartRequest {
            model_id: model_id.to_owned(),
            input,
            output,
            token: token.unwrap_or_else(|| uuid::Uuid::new_v4().to_string()),
        }
    }
}

/// A config override that makes a call once, without the SDK's retries.
fn once() -> aws_sdk_bedrockruntime::config::Builder {
    aws_sdk_bedrockruntime::config::Builder::new().retry_config(RetryConfig::disabled())
}

/// The async-invocation calls of a connection.
#[derive(Clone)]
pub struct JobsClient {
    client: Client,
    profile: Option<String>,
    page_size: Option<i32>,
    /// Whether the SDK retries throttled listings itself.
    retries: bool,
}

impl JobsClient {
    pub fn new(conn: &Connection) -> Self {
        JobsClient {
            client: conn.client.clone(),
            profile: conn.profile.clone(),
            page_size: None,
            retries: true,
        }
    }

    /// Jobs per ListAsyncInvokes request (its `maxResults`, 1 to 1,000); the service's
    /// default (1,000) when not set.
    pub fn with_page_size(mut self, size: Option<i32>) -> Self {
        self.page_size = size;
        self
    }

    /// Listings asked once per page: a throttle reaches the caller's poll schedule at
    /// once instead of after the SDK's own attempts.
    pub fn without_retries(mut self) -> Self {
        self.retries = false;
        self
    }

    /// Every job of the region (every page), newest first, only those with `status`
    /// when given.
    pub async fn list(&self, status: Option<&Status>) -> Result<Vec<Job>, JobError> {
        let mut jobs = Vec::new();
        let mut next: Option<String> = None;
        loop {
            let call = self
                .client
                .list_async_invokes()
                .sort_by(SortAsyncInvocationBy::SubmissionTime)
                .sort_order(SortOrder::Descending)
                .set_status_equals(status.map(|s| AsyncInvokeStatus::from(s.as_str())))
                .set_max_results(self.page_size)
                .set_next_token(next.take());
            let sent = if self.retries {
                call.send().await
            } else {
                call.customize().config_override(once()).send().await
            };
            let out = sent
                .map_err(|e| JobError::from_sdk(&e, "bedrock:ListAsyncInvokes", self.profile()))?;
            jobs.extend(
                out.async_invoke_summaries()
                    .iter()
                    .map(|s| job_of!(s, s.status())),
            );
            match out.next_token() {
                Some(t) if !t.is_empty() => next = Some(t.to_owned()),
                _ => return Ok(jobs),
            }
        }
    }

    /// One job.
    pub async fn get(&self, arn: &str) -> Result<Job, JobError> {
        self.get_with(arn, true).await
    }

    /// One job, asked once: the SDK does not retry a throttled call, so the caller's
    /// poll schedule is what backs off.
    pub async fn poll(&self, arn: &str) -> Result<Job, JobError> {
        self.get_with(arn, false).await
    }

    async fn get_with(&self, arn: &str, retry: bool) -> Result<Job, JobError> {
        let call = self.client.get_async_invoke().invocation_arn(arn);
        let sent = if retry {
            call.send().await
        } else {
            call.customize().config_override(once()).send().await
        };
        let g = sent.map_err(|e| {
            let message = e.message().unwrap_or_default().to_owned();
            if e.code() == Some("ValidationException") && message.contains("does not exist") {
                JobError::NotFound {
                    arn: arn.to_owned(),
                    message,
                }
            } else {
                JobError::from_sdk(&e, "bedrock:GetAsyncInvoke", self.profile())
            }
        })?;
        Ok(job_of!(&g, Some(g.status())))
    }

    /// Starts a job after checking the model and its input; returns its invocation ARN.
    pub async fn start(&self, req: &StartRequest) -> Result<String, JobError> {
        let catalog = crate::catalog::Catalog::builtin();
        if let Some(model) = crate::jobs::input::async_model(catalog, &req.model_id)? {
            crate::jobs::input::check(model, &req.input)?;
        }
        let output = AsyncInvokeS3OutputDataConfig::builder()
            .s3_uri(req.output.to_string())
            .build()
            .map_err(|e| {
                JobError::Service(BedrockError::Validation {
                    message: e.to_string(),
                })
            })?;
        let out = self
            .client
            .start_async_invoke()
            .client_request_token(&req.token)
            .model_id(&req.model_id)
            .model_input(crate::bedrock::document(&req.input))
            .output_data_config(AsyncInvokeOutputDataConfig::S3OutputDataConfig(output))
            .send()
            .await
            .map_err(|e| {
                let message = e.message().unwrap_or_default().to_owned();
                match e.code() {
                    Some("ConflictException") => JobError::TokenConflict {
                        token: req.token.clone(),
                        message,
                    },
                    Some("ValidationException") if message.contains("support async") => {
                        JobError::Input(InputError::NotAsyncCapable {
                            model: req.model_id.clone(),
                            capable: crate::jobs::input::async_models(catalog)
                                .iter()
                                .map(|m| m.id.clone())
                                .collect(),
                        })
                    }
                    _ => JobError::from_sdk(&e, "bedrock:InvokeModel", self.profile()),
                }
            })?;
        Ok(out.invocation_arn().to_owned())
    }

    fn profile(&self) -> Option<&str> {
        self.profile.as_deref()
    }
}

/// The epoch milliseconds of an SDK time.
fn millis(t: &aws_smithy_types::DateTime) -> i64 {
    t.to_millis().unwrap_or(i64::MAX)
}
