//! The Bedrock control-plane calls of batch inference (model invocation jobs): every
//! page of ListModelInvocationJobs (newest first, filtered by status and name),
//! GetModelInvocationJob, StopModelInvocationJob and CreateModelInvocationJob. The service's texts are
//! sanitized here, where they enter the program.

use aws_sdk_bedrock::types::{
    ModelInvocationJobInputDataConfig, ModelInvocationJobOutputDataConfig,
    ModelInvocationJobS3InputDataConfig, ModelInvocationJobS3OutputDataConfig,
    ModelInvocationJobStatus, S3InputFormat, SortJobsBy, SortOrder,
};

use super::{BedrockError, Connection, error};
use crate::jobs::batch::{BatchJob, Records};

/// A job from either shape: their members have the same names, and the same types
/// but for the name, optional in GetModelInvocationJob's output only.
macro_rules! batch_job_of {
    ($o:expr) => {{
        let o = $o;
        let clean = crate::sanitize::keeping_tabs;
        BatchJob {
            arn: clean(o.job_arn()),
            name: text(o.job_name()),
            model_id: clean(o.model_id()),
            role_arn: clean(o.role_arn()),
            status: o.status().map_or_else(String::new, |s| clean(s.as_str())),
            message: o.message().map(clean),
            submit_time: millis(o.submit_time()),
            last_modified_time: o.last_modified_time().map(millis),
            end_time: o.end_time().map(millis),
            expiration_time: o.job_expiration_time().map(millis),
            timeout_hours: o.timeout_duration_in_hours(),
            input_uri: input_uri(o.input_data_config()),
            input_format: input_format(o.input_data_config()),
            output_uri: output_uri(o.output_data_config()),
            invocation_type: o.model_invocation_type().map(|t| clean(t.as_str())),
            records: Records {
                total: o.total_record_count(),
                processed: o.processed_record_count(),
                success: o.success_record_count(),
                error: o.error_record_count(),
            },
        }
    }};
}

fn text<'a>(s: impl Into<Option<&'a str>>) -> String {
    crate::sanitize::keeping_tabs(s.into().unwrap_or_default())
}

fn input_uri(c: Option<&ModelInvocationJobInputDataConfig>) -> Option<String> {
    c.and_then(|c| c.as_s3_input_data_config().ok())
        .map(|s| crate::sanitize::keeping_tabs(s.s3_uri()))
}

fn input_format(c: Option<&ModelInvocationJobInputDataConfig>) -> Option<String> {
    c.and_then(|c| c.as_s3_input_data_config().ok())
        .and_then(|s| s.s3_input_format())
        .map(|f| crate::sanitize::keeping_tabs(f.as_str()))
}

fn output_uri(c: Option<&ModelInvocationJobOutputDataConfig>) -> Option<String> {
    c.and_then(|c| c.as_s3_output_data_config().ok())
        .map(|s| crate::sanitize::keeping_tabs(s.s3_uri()))
}

fn millis(t: &aws_smithy_types::DateTime) -> i64 {
    t.to_millis().unwrap_or(i64::MAX)
}

/// Every batch job of the connection's region, newest first; only those with
/// `status`, and whose name contains `name`, when given.
pub async fn list(
    conn: &Connection,
    status: Option<&str>,
    name: Option<&str>,
) -> Result<Vec<BatchJob>, BedrockError> {
    list_with(&conn.control, conn, status, name).await
}

/// Every batch job of the region, each page asked once: a throttle reaches the
/// caller's poll schedule at once instead of after the SDK's own attempts.
pub async fn list_once(conn: &Connection) -> Result<Vec<BatchJob>, BedrockError> {
    let once = conn
        .control
        .config()
        .to_builder()
        .retry_config(aws_smithy_types::retry::RetryConfig::disabled())
        .build();
    list_with(&aws_sdk_bedrock::Client::from_conf(once), conn, None, None).await
}

async fn list_with(
    client: &aws_sdk_bedrock::Client,
    conn: &Connection,
    status: Option<&str>,
    name: Option<&str>,
) -> Result<Vec<BatchJob>, BedrockError> {
    let mut pages = client
        .list_model_invocation_jobs()
        .set_status_equals(status.map(ModelInvocationJobStatus::from))
        .set_name_contains(name.map(str::to_owned))
        .sort_by(SortJobsBy::CreationTime)
        .sort_order(SortOrder::Descending)
        .into_paginator()
        .items()
        .send();
    let mut jobs = Vec::new();
    while let Some(item) = pages.next().await {
        let summary = item.map_err(|e| {
            error::from_sdk_action(
                &e,
                "bedrock:ListModelInvocationJobs",
                conn.profile.as_deref(),
            )
        })?;
        jobs.push(batch_job_of!(&summary));
    }
    Ok(jobs)
}

/// The job `job` names: its ARN or its id.
pub async fn get(conn: &Connection, job: &str) -> Result<BatchJob, BedrockError> {
    let out = conn
        .control
        .get_model_invocation_job()
        .job_identifier(job)
        .send()
        .await
        .map_err(|e| {
            error::from_sdk_action(&e, "bedrock:GetModelInvocationJob", conn.profile.as_deref())
        })?;
    Ok(batch_job_of!(&out))
}

/// Asks the service to stop the job `job` names (its ARN or its id).
pub async fn stop(conn: &Connection, job: &str) -> Result<(), BedrockError> {
    conn.control
        .stop_model_invocation_job()
        .job_identifier(job)
        .send()
        .await
        .map_err(|e| {
            error::from_sdk_action(
                &e,
                "bedrock:StopModelInvocationJob",
                conn.profile.as_deref(),
            )
        })?;
    Ok(())
}

/// What CreateModelInvocationJob is given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewJob {
    pub name: String,
    pub model_id: String,
    pub role_arn: String,
    /// The JSONL input, an object or a folder of them: `s3://bucket/key`.
    pub input_uri: String,
    /// The folder the service writes `ID/*.jsonl.out` and `manifest.json.out` under.
    pub output_uri: String,
    pub timeout_hours: Option<i32>,
    /// Creating again with the same token and request returns the same job.
    pub token: Option<String>,
}

/// Creates the batch inference job `job` describes; returns its ARN.
pub async fn create(conn: &Connection, job: &NewJob) -> Result<String, BedrockError> {
    // The builders fail only on a missing required member, which both set.
    let action = |e: &dyn std::fmt::Display| BedrockError::Validation {
        message: format!("CreateModelInvocationJob: {e}"),
    };
    let input = ModelInvocationJobS3InputDataConfig::builder()
        .s3_uri(&job.input_uri)
        .s3_input_format(S3InputFormat::Jsonl)
        .build()
        .map_err(|e| action(&e))?;
    let output = ModelInvocationJobS3OutputDataConfig::builder()
        .s3_uri(&job.output_uri)
        .build()
        .map_err(|e| action(&e))?;
    let out = conn
        .control
        .create_model_invocation_job()
        .job_name(&job.name)
        .model_id(&job.model_id)
        .role_arn(&job.role_arn)
        .input_data_config(ModelInvocationJobInputDataConfig::S3InputDataConfig(input))
        .output_data_config(ModelInvocationJobOutputDataConfig::S3OutputDataConfig(
            output,
        ))
        .set_timeout_duration_in_hours(job.timeout_hours)
        .set_client_request_token(job.token.clone())
        .send()
        .await
        .map_err(|e| {
            error::from_sdk_action_on(
                &e,
                "bedrock:CreateModelInvocationJob",
                &job.model_id,
                conn.profile.as_deref(),
            )
        })?;
    Ok(crate::sanitize::keeping_tabs(out.job_arn()))
}
