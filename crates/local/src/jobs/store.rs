//! The async invocations of an endpoint: kept in memory and, with `--data-dir`, one JSON
//! file per invocation under `DIR/async-invokes/`, each replaced atomically (written
//! beside it, then renamed), so a restart finds every job as it last was.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::clock::iso8601;

/// The account the endpoint pretends to be in its ARNs (the one AWS documentation uses).
pub(crate) const ACCOUNT: &str = "123456789012";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(super) enum Status {
    InProgress,
    Completed,
    Failed,
}

impl Status {
    pub(super) fn as_str(self) -> &'static str {
        match self {
            Status::InProgress => "InProgress",
            Status::Completed => "Completed",
            Status::Failed => "Failed",
        }
    }

    pub(super) fn parse(s: &str) -> Option<Status> {
        [Status::InProgress, Status::Completed, Status::Failed]
            .into_iter()
            .find(|st| st.as_str() == s)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Job {
    /// The 12-character id at the end of the invocation ARN.
    pub id: String,
    /// Submission order, which breaks ties between jobs submitted in the same millisecond.
    pub seq: u64,
    pub region: String,
    /// The catalog id of the model the request named.
    pub model_id: String,
    pub client_request_token: String,
    /// Hash of the request without its token: a token reused for another request is a conflict.
    pub request_hash: u64,
    pub model_input: Value,
    /// `s3Uri` as the request gave it; outputs go under `<s3Uri>/<id>/`.
    pub s3_uri: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kms_key_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bucket_owner: Option<String>,
    #[serde(default)]
    pub tags: Value,
    pub status: Status,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_message: Option<String>,
    pub submit_ms: u64,
    pub last_modified_ms: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_ms: Option<u64>,
    /// When the simulated model finishes.
    pub due_ms: u64,
    /// A failure asked for at submission (`[[fault:job-fail]]`), applied when the job ends.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fail: Option<String>,
}

impl Job {
    pub(super) fn arn(&self) -> String {
        format!(
            "arn:aws:bedrock:{}:{ACCOUNT}:async-invoke/{}",
            self.region, self.id
        )
    }

    pub(super) fn model_arn(&self) -> String {
        format!(
            "arn:aws:bedrock:{}::foundation-model/{}",
            self.region, self.model_id
        )
    }

    /// Where the outputs of this invocation are, as GetAsyncInvoke reports it: the
    /// requested URI with the invocation id appended.
    pub(super) fn output_uri(&self) -> String {
        format!("{}/{}", self.s3_uri.trim_end_matches('/'), self.id)
    }

    /// The summary / GetAsyncInvoke shape.
    pub(super) fn to_wire(&self) -> Value {
        let mut s3 = json!({ "s3Uri": self.output_uri() });
        if let Some(k) = &self.kms_key_id {
            s3["kmsKeyId"] = json!(k);
        }
        if let Some(o) = &self.bucket_owner {
            s3["bucketOwner"] = json!(o);
        }
        let mut v = json!({
            "invocationArn": self.arn(),
            "modelArn": self.model_arn(),
            "clientRequestToken": self.client_request_token,
            "status": self.status.as_str(),
            "submitTime": iso8601(self.submit_ms),
            "lastModifiedTime": iso8601(self.last_modified_ms),
            "outputDataConfig": { "s3OutputDataConfig": s3 },
        });
        if let Some(m) = &self.failure_message {
            v["failureMessage"] = json!(m);
        }
        if let Some(end) = self.end_ms {
            v["endTime"] = json!(iso8601(end));
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
mod tests {
    use super::*;

    pub(super) fn job(id: &str) -> Job {
        Job {
            id: id.into(),
            seq: 1,
            region: "us-east-1".into(),
            model_id: "amazon.nova-reel-v1:0".into(),
            client_request_token: "tok".into(),
            request_hash: 42,
            model_input: json!({"taskType": "TEXT_VIDEO"}),
            s3_uri: "s3://bucket/videos/".into(),
            kms_key_id: None,
            bucket_owner: None,
            tags: json!([]),
            status: Status::InProgress,
            failure_message: None,
            submit_ms: 1_736_192_036_187,
            last_modified_ms: 1_736_192_036_187,
            end_ms: None,
            due_ms: 1_736_192_037_187,
            fail: None,
        }
    }

    #[test]
    fn saves_atomically_and_loads_back() {
        let dir = tempfile::tempdir().unwrap();
        let disk = crate::jobs::disk::Disk::open(dir.path(), "job").unwrap();
        let mut j = job("abcdefghij12");
        disk.save(&j).unwrap();
        j.status = Status::Completed;
        disk.save(&j).unwrap();
        std::fs::write(dir.path().join("junk.json"), "{").unwrap();
        let loaded = disk.load::<Job>().unwrap();
        assert_eq!(loaded.len(), 1);
        assert_eq!(loaded["abcdefghij12"], j);
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert!(!names.iter().any(|n| n.ends_with(".tmp")), "{names:?}");
    }

    #[test]
    fn wire_shape_names_the_invocation_folder() {
        let w = job("abcdefghij12").to_wire();
        assert_eq!(
            w["invocationArn"],
            "arn:aws:bedrock:us-east-1:123456789012:async-invoke/abcdefghij12"
        );
        assert_eq!(
            w["modelArn"],
            "arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-reel-v1:0"
        );
        assert_eq!(
            w["outputDataConfig"]["s3OutputDataConfig"]["s3Uri"],
            "s3://bucket/videos/abcdefghij12"
        );
        assert_eq!(w["submitTime"], "2025-01-06T19:33:56.187Z");
        assert!(w.get("endTime").is_none() && w.get("failureMessage").is_none());
    }
}
