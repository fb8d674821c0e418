//! Async invocations (StartAsyncInvoke, GetAsyncInvoke, ListAsyncInvokes) from the
//! client side, without IO: the jobs of an account and region in the service's shape,
//! their inputs and the schedule that polls them. The calls themselves are
//! `bedrock::jobs` and `bedrock::s3`.

pub mod batch;
pub mod input;
pub mod poll;
pub mod uri;

use serde::{Deserialize, Serialize};

pub use input::InputError;
pub use uri::S3Uri;

/// Where a job is, as the service reports it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub enum Status {
    InProgress,
    Completed,
    Failed,
    /// A status this client does not know yet, kept as the service spelled it.
    Other(String),
}

impl Status {
    pub fn as_str(&self) -> &str {
        match self {
            Status::InProgress => "InProgress",
            Status::Completed => "Completed",
            Status::Failed => "Failed",
            Status::Other(s) => s,
        }
    }

    /// Whether the job may still change.
    pub fn is_running(&self) -> bool {
        *self == Status::InProgress
    }

    /// A status a user typed, in any case (`completed`, `InProgress`, `in-progress`).
    pub fn parse(text: &str) -> Option<Status> {
        let folded: String = text
            .chars()
            .filter(|c| c.is_ascii_alphabetic())
            .collect::<String>()
            .to_ascii_lowercase();
        match folded.as_str() {
            "inprogress" => Some(Status::InProgress),
            "completed" => Some(Status::Completed),
            "failed" => Some(Status::Failed),
            _ => None,
        }
    }
}

impl From<String> for Status {
    fn from(s: String) -> Self {
        match s.as_str() {
            "InProgress" => Status::InProgress,
            "Completed" => Status::Completed,
            "Failed" => Status::Failed,
            _ => Status::Other(s),
        }
    }
}

impl From<Status> for String {
    fn from(s: Status) -> Self {
        s.as_str().to_owned()
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `outputDataConfig` of a job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OutputDataConfig {
    pub s3_output_data_config: S3OutputDataConfig,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct S3OutputDataConfig {
    /// For a job the service reports, the job's own folder: the requested URI with the
    /// invocation id appended.
    pub s3_uri: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kms_key_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bucket_owner: Option<String>,
}

/// One async invocation, with the members and JSON names of GetAsyncInvoke (a
/// ListAsyncInvokes summary has the same ones). Times are milliseconds since the Unix
/// epoch, written as ISO 8601 in JSON like the service writes them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Job {
    pub invocation_arn: String,
    pub model_arn: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_request_token: Option<String>,
    pub status: Status,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_message: Option<String>,
    #[serde(with = "crate::clock::iso")]
    pub submit_time: i64,
    #[serde(
        default,
        with = "crate::clock::iso_opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub last_modified_time: Option<i64>,
    #[serde(
        default,
        with = "crate::clock::iso_opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub end_time: Option<i64>,
    pub output_data_config: OutputDataConfig,
}

impl Job {
    /// The invocation id: the last part of the ARN.
    pub fn id(&self) -> &str {
        self.invocation_arn
            .rsplit_once('/')
            .map_or(self.invocation_arn.as_str(), |(_, id)| id)
    }

    /// The model id: the resource part of the model ARN.
    pub fn model_id(&self) -> &str {
        self.model_arn
            .rsplit_once('/')
            .map_or(self.model_arn.as_str(), |(_, id)| id)
    }

    /// The job's output folder, `s3://bucket/prefix/ID`.
    pub fn output_uri(&self) -> &str {
        &self.output_data_config.s3_output_data_config.s3_uri
    }

    /// How long the job ran (to its end), or has been running (to `now_ms`).
    pub fn duration_ms(&self, now_ms: i64) -> i64 {
        (self.end_time.unwrap_or(now_ms) - self.submit_time).max(0)
    }
}

/// A duration for people: `45s`, `3m 05s`, `2h 10m`.
pub fn human_duration(ms: i64) -> String {
    let s = ms.max(0) / 1000;
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m {:02}s", s / 60, s % 60),
        _ => format!("{}h {:02}m", s / 3600, s % 3600 / 60),
    }
}

/// A job's times as `name: value` pairs: submitted, last modified and ended when
/// known, and how long it took (or has been running, as of `now_ms`).
pub fn timeline(
    submit: i64,
    modified: Option<i64>,
    end: Option<i64>,
    now_ms: i64,
) -> Vec<(&'static str, String)> {
    let mut lines = vec![("submitted", human_time(submit))];
    if let Some(t) = modified {
        lines.push(("last modified", human_time(t)));
    }
    if let Some(t) = end {
        lines.push(("ended", human_time(t)));
    }
    let took = if end.is_some() { "took" } else { "running for" };
    lines.push((took, human_duration(end.unwrap_or(now_ms) - submit)));
    lines
}

/// An ISO 8601 time (UTC, seconds) of epoch milliseconds, for tables.
pub fn human_time(ms: i64) -> String {
    crate::clock::format(ms - ms.rem_euclid(1000))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_parse_as_typed_and_round_trip_as_the_service_spells_them() {
        assert_eq!(Status::parse("in-progress"), Some(Status::InProgress));
        assert_eq!(Status::parse("Completed"), Some(Status::Completed));
        assert_eq!(Status::parse("FAILED"), Some(Status::Failed));
        assert_eq!(Status::parse("done"), None);
        let s: Status = serde_json::from_str("\"Paused\"").unwrap();
        assert_eq!(s, Status::Other("Paused".into()));
        assert_eq!(serde_json::to_string(&s).unwrap(), "\"Paused\"");
    }

    #[test]
    fn durations_read_well() {
        assert_eq!(human_duration(45_900), "45s");
        assert_eq!(human_duration(185_000), "3m 05s");
        assert_eq!(human_duration(7_800_000), "2h 10m");
        assert_eq!(human_duration(-5), "0s");
    }

    #[test]
    fn a_job_is_json_in_the_services_shape() {
        let text = r#"{"invocationArn":"arn:aws:bedrock:us-east-1:123456789012:async-invoke/abc123def456",
            "modelArn":"arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-reel-v1:0",
            "clientRequestToken":"t-1","status":"Failed","failureMessage":"no",
            "submitTime":"2026-12-01T19:14:15.123Z","endTime":"2026-12-01T19:15:16Z",
            "outputDataConfig":{"s3OutputDataConfig":{"s3Uri":"s3://b/p/abc123def456"}}}"#;
        let job: Job = serde_json::from_str(text).unwrap();
        assert_eq!(job.id(), "abc123def456");
        assert_eq!(job.model_id(), "amazon.nova-reel-v1:0");
        assert_eq!(job.duration_ms(0), 60_877);
        assert_eq!(job.last_modified_time, None);
        let back = serde_json::to_value(&job).unwrap();
        assert_eq!(back["submitTime"], "2026-12-01T19:14:15.123Z");
        assert_eq!(back["endTime"], "2026-12-01T19:15:16Z");
        assert!(back.get("lastModifiedTime").is_none());
        assert_eq!(human_time(job.submit_time), "2026-12-01T19:14:15Z");
    }
}
