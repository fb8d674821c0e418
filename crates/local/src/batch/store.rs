//! Batch inference jobs as the endpoint keeps them: in memory and, with `--data-dir`,
//! one JSON file per job under `DIR/batch-jobs/`, each replaced atomically, so a restart
//! finds every job as it last was; and their wire shape (`ModelInvocationJobSummary`,
//! which GetModelInvocationJob's response shares).

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::jobs::{ACCOUNT, iso8601};

/// `ModelInvocationJobStatus`, in the order a job goes through it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(super) enum Status {
    Submitted,
    Validating,
    Scheduled,
    InProgress,
    Completed,
    PartiallyCompleted,
    Failed,
    Stopping,
    Stopped,
    Expired,
}

pub(super) const STATUSES: [Status; 10] = [
    Status::Submitted,
    Status::InProgress,
    Status::Completed,
    Status::Failed,
    Status::Stopping,
    Status::Stopped,
    Status::PartiallyCompleted,
    Status::Expired,
    Status::Validating,
    Status::Scheduled,
];

impl Status {
    pub(super) fn as_str(self) -> &'static str {
        match self {
            Status::Submitted => "Submitted",
            Status::Validating => "Validating",
            Status::Scheduled => "Scheduled",
            Status::InProgress => "InProgress",
            Status::Completed => "Completed",
            Status::PartiallyCompleted => "PartiallyCompleted",
            Status::Failed => "Failed",
            Status::Stopping => "Stopping",
            Status::Stopped => "Stopped",
            Status::Expired => "Expired",
        }
    }

    pub(super) fn parse(s: &str) -> Option<Status> {
        STATUSES.into_iter().find(|st| st.as_str() == s)
    }

    /// Whether the job has ended and changes no more.
    pub(super) fn terminal(self) -> bool {
        matches!(
            self,
            Status::Completed
                | Status::PartiallyCompleted
                | Status::Failed
                | Status::Stopped
                | Status::Expired
        )
    }
}

/// What a job counted of its records, once it has read them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Counts {
    pub total: u64,
    pub processed: u64,
    pub success: u64,
    pub error: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Job {
    /// The 12-character id at the end of the job ARN.
    pub id: String,
    /// Submission order, which breaks ties between jobs submitted in the same millisecond.
    pub seq: u64,
    pub region: String,
    pub name: String,
    /// The model id as the request gave it (an id, an ARN or a profile id).
    pub model_id: String,
    /// The catalog id of the model that runs the records.
    pub model: String,
    pub role_arn: String,
    pub client_request_token: String,
    /// Hash of the request without its token: a token reused for another request is a conflict.
    pub request_hash: u64,
    /// `inputDataConfig`, `outputDataConfig` and `vpcConfig` as the request gave them.
    pub input_data_config: Value,
    pub output_data_config: Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vpc_config: Option<Value>,
    pub timeout_hours: u32,
    /// `InvokeModel` (native bodies) or `Converse`.
    pub invocation_type: String,
    pub status: Status,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    pub submit_ms: u64,
    pub last_modified_ms: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_ms: Option<u64>,
    /// When the current stage ends.
    pub due_ms: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub counts: Option<Counts>,
}

impl Job {
    pub(super) fn arn(&self) -> String {
        format!(
            "arn:aws:bedrock:{}:{ACCOUNT}:model-invocation-job/{}",
            self.region, self.id
        )
    }

    /// `s3Uri` of the input: one `.jsonl` object or a folder of them.
    pub(super) fn input_uri(&self) -> &str {
        self.input_data_config["s3InputDataConfig"]["s3Uri"]
            .as_str()
            .unwrap_or_default()
    }

    /// `s3Uri` of the output folder; a job writes under `<s3Uri>/<job id>/`.
    pub(super) fn output_uri(&self) -> &str {
        self.output_data_config["s3OutputDataConfig"]["s3Uri"]
            .as_str()
            .unwrap_or_default()
    }

    /// The job expires if it has not ended this long after its submission.
    pub(super) fn expiration_ms(&self) -> u64 {
        self.submit_ms
            .saturating_add(u64::from(self.timeout_hours) * 3_600_000)
    }

    /// The `ModelInvocationJobSummary` / GetModelInvocationJob shape.
    pub(super) fn to_wire(&self) -> Value {
        let mut v = json!({
            "jobArn": self.arn(),
            "jobName": self.name,
            "modelId": self.model_id,
            "clientRequestToken": self.client_request_token,
            "roleArn": self.role_arn,
            "status": self.status.as_str(),
            "submitTime": iso8601(self.submit_ms),
            "lastModifiedTime": iso8601(self.last_modified_ms),
            "inputDataConfig": self.input_data_config,
            "outputDataConfig": self.output_data_config,
            "timeoutDurationInHours": self.timeout_hours,
            "jobExpirationTime": iso8601(self.expiration_ms()),
            "modelInvocationType": self.invocation_type,
        });
        if let Some(m) = &self.message {
            v["message"] = json!(m);
        }
        if let Some(end) = self.end_ms {
            v["endTime"] = json!(iso8601(end));
        }
        if let Some(vpc) = &self.vpc_config {
            v["vpcConfig"] = vpc.clone();
        }
        if let Some(c) = self.counts {
            v["totalRecordCount"] = json!(c.total);
            v["processedRecordCount"] = json!(c.processed);
            v["successRecordCount"] = json!(c.success);
            v["errorRecordCount"] = json!(c.error);
        }
        v
    }
}

impl crate::jobs::disk::Saved for Job {
    fn id(&self) -> &str {
        &self.id
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    pub(in crate::batch) fn job(id: &str) -> Job {
        Job {
            id: id.into(),
            seq: 0,
            region: "us-east-1".into(),
            name: "nightly-1".into(),
            model_id: "anthropic.claude-3-haiku-20240307-v1:0".into(),
            model: "anthropic.claude-3-haiku-20240307-v1:0".into(),
            role_arn: "arn:aws:iam::123456789012:role/Batch".into(),
            client_request_token: "tok".into(),
            request_hash: 1,
            input_data_config: json!({"s3InputDataConfig": {"s3Uri": "s3://in/data.jsonl", "s3InputFormat": "JSONL"}}),
            output_data_config: json!({"s3OutputDataConfig": {"s3Uri": "s3://out/results/"}}),
            vpc_config: None,
            timeout_hours: 24,
            invocation_type: "InvokeModel".into(),
            status: Status::Submitted,
            message: None,
            submit_ms: 1_736_192_036_187,
            last_modified_ms: 1_736_192_036_187,
            end_ms: None,
            due_ms: 1_736_192_037_187,
            counts: None,
        }
    }

    #[test]
    fn wire_shape_tells_the_counts_only_once_known() {
        let mut j = job("abcdefghij12");
        let w = j.to_wire();
        assert_eq!(
            w["jobArn"],
            "arn:aws:bedrock:us-east-1:123456789012:model-invocation-job/abcdefghij12"
        );
        assert_eq!(w["jobExpirationTime"], "2025-01-07T19:33:56.187Z");
        assert!(w.get("totalRecordCount").is_none() && w.get("endTime").is_none());
        j.counts = Some(Counts {
            total: 3,
            processed: 3,
            success: 2,
            error: 1,
        });
        j.end_ms = Some(j.submit_ms + 1);
        let w = j.to_wire();
        assert_eq!(w["errorRecordCount"], 1);
        assert_eq!(w["endTime"], "2025-01-06T19:33:56.188Z");
        assert_eq!(
            Status::parse("PartiallyCompleted"),
            Some(Status::PartiallyCompleted)
        );
        assert_eq!(Status::parse("Done"), None);
    }

    #[test]
    fn saves_and_loads_back() {
        let dir = tempfile::tempdir().unwrap();
        let disk = crate::jobs::disk::Disk::open(dir.path(), "job").unwrap();
        let j = job("abcdefghij12");
        disk.save(&j).unwrap();
        std::fs::write(dir.path().join("junk.json"), "{").unwrap();
        assert_eq!(disk.load::<Job>().unwrap()["abcdefghij12"], j);
    }
}
