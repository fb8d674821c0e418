//! Batch inference jobs (CreateModelInvocationJob and its kin) from the client side,
//! without IO: a job as the service describes it, its record progress, and its details
//! as text and in the service's JSON shape. The calls are `bedrock::batch`.

use serde_json::{Value, json};

use super::human_time;

/// The statuses a batch job goes through, as the service names them.
pub const STATUSES: [&str; 10] = [
    "Submitted",
    "Validating",
    "Scheduled",
    "InProgress",
    "Completed",
    "PartiallyCompleted",
    "Failed",
    "Stopping",
    "Stopped",
    "Expired",
];

/// A batch inference job, from GetModelInvocationJob or a ListModelInvocationJobs
/// summary (which have the same members). Times are milliseconds since the Unix epoch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchJob {
    pub arn: String,
    pub name: String,
    pub model_id: String,
    pub role_arn: String,
    pub status: String,
    pub message: Option<String>,
    pub submit_time: i64,
    pub last_modified_time: Option<i64>,
    pub end_time: Option<i64>,
    pub expiration_time: Option<i64>,
    pub timeout_hours: Option<i32>,
    pub input_uri: Option<String>,
    /// The input's format (`JSONL`), when the service says.
    pub input_format: Option<String>,
    pub output_uri: Option<String>,
    /// How the records are sent (`InvokeModel`), when the service says.
    pub invocation_type: Option<String>,
    pub records: Records,
}

/// The job's record counts, once the service has read its input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Records {
    pub total: Option<i64>,
    pub processed: Option<i64>,
    pub success: Option<i64>,
    pub error: Option<i64>,
}

impl BatchJob {
    /// The job id: the last part of its ARN.
    pub fn id(&self) -> &str {
        self.arn.rsplit('/').next().unwrap_or(&self.arn)
    }

    /// Whether the job has ended and will not change again.
    pub fn ended(&self) -> bool {
        matches!(
            self.status.as_str(),
            "Completed" | "PartiallyCompleted" | "Failed" | "Stopped" | "Expired"
        )
    }

    /// How long the job ran, or has been running at `now_ms`.
    pub fn duration_ms(&self, now_ms: i64) -> i64 {
        (self.end_time.unwrap_or(now_ms) - self.submit_time).max(0)
    }
}

/// `processed/total`, with what is not known yet as `-`.
pub fn progress(j: &BatchJob) -> String {
    let n = |v: Option<i64>| v.map_or_else(|| "-".to_owned(), |v| v.to_string());
    format!("{}/{}", n(j.records.processed), n(j.records.total))
}

/// A job's details, one `name: value` line each.
pub fn details(j: &BatchJob, now_ms: i64) -> String {
    let mut lines = vec![
        ("arn", j.arn.clone()),
        ("name", j.name.clone()),
        ("model", j.model_id.clone()),
        ("status", j.status.clone()),
    ];
    if let Some(m) = &j.message {
        lines.push(("message", m.clone()));
    }
    let r = &j.records;
    if r.total.is_some() || r.processed.is_some() {
        let mut text = format!("{} processed", progress(j));
        if let (Some(p), Some(t)) = (r.processed, r.total.filter(|t| *t > 0)) {
            text.push_str(&format!(" ({}%)", p * 100 / t));
        }
        if let (Some(s), Some(e)) = (r.success, r.error) {
            text.push_str(&format!(", {s} succeeded, {e} failed"));
        }
        lines.push(("records", text));
    }
    lines.extend(crate::jobs::timeline(
        j.submit_time,
        j.last_modified_time,
        j.end_time,
        now_ms,
    ));
    if let Some(h) = j.timeout_hours {
        lines.push(("timeout", format!("{h}h")));
    }
    if let Some(t) = j.expiration_time {
        lines.push(("expires", human_time(t)));
    }
    lines.push(("role", j.role_arn.clone()));
    if let Some(u) = &j.input_uri {
        lines.push(("input", u.clone()));
    }
    if let Some(u) = &j.output_uri {
        lines.push(("output", u.clone()));
    }
    lines
        .into_iter()
        .map(|(k, v)| format!("{k}: {v}\n"))
        .collect()
}

/// The job in the service's shape (GetModelInvocationJob's members), times in ISO 8601.
pub fn to_json(j: &BatchJob) -> Value {
    let mut v = json!({
        "jobArn": j.arn,
        "jobName": j.name,
        "modelId": j.model_id,
        "roleArn": j.role_arn,
        "status": j.status,
        "submitTime": human_time(j.submit_time),
    });
    let mut put = |k: &str, x: Value| {
        if !x.is_null() {
            v[k] = x;
        }
    };
    put("message", json!(j.message));
    put(
        "lastModifiedTime",
        json!(j.last_modified_time.map(human_time)),
    );
    put("endTime", json!(j.end_time.map(human_time)));
    put(
        "jobExpirationTime",
        json!(j.expiration_time.map(human_time)),
    );
    put("timeoutDurationInHours", json!(j.timeout_hours));
    let input = j.input_uri.as_ref().map(|u| {
        let mut c = json!({ "s3Uri": u });
        if let Some(f) = &j.input_format {
            c["s3InputFormat"] = json!(f);
        }
        json!({ "s3InputDataConfig": c })
    });
    put("inputDataConfig", json!(input));
    put("modelInvocationType", json!(j.invocation_type));
    put(
        "outputDataConfig",
        json!(
            j.output_uri
                .as_ref()
                .map(|u| json!({"s3OutputDataConfig": {"s3Uri": u}}))
        ),
    );
    put("totalRecordCount", json!(j.records.total));
    put("processedRecordCount", json!(j.records.processed));
    put("successRecordCount", json!(j.records.success));
    put("errorRecordCount", json!(j.records.error));
    v
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A job of Nova Micro submitted at 2026-12-01T19:00:00Z (ended 2m 05s later when
    /// `status` is an end), with `processed` of `total` records and, once ended, all of
    /// them succeeded.
    pub(crate) fn sample(id: &str, status: &str, processed: i64, total: i64) -> BatchJob {
        let ended = matches!(
            status,
            "Completed" | "PartiallyCompleted" | "Failed" | "Stopped" | "Expired"
        );
        BatchJob {
            arn: format!("arn:aws:bedrock:us-east-1:123456789012:model-invocation-job/{id}"),
            name: format!("eval-{id}"),
            model_id: "amazon.nova-micro-v1:0".into(),
            role_arn: "arn:aws:iam::123456789012:role/Batch".into(),
            status: status.into(),
            message: None,
            submit_time: 1_796_151_600_000,
            last_modified_time: None,
            end_time: ended.then_some(1_796_151_725_000),
            expiration_time: None,
            timeout_hours: None,
            input_uri: Some(format!("s3://in/{id}.jsonl")),
            input_format: Some("JSONL".into()),
            output_uri: Some("s3://out/results/".into()),
            invocation_type: None,
            records: Records {
                total: Some(total),
                processed: Some(processed),
                success: ended.then_some(processed),
                error: ended.then_some(0),
            },
        }
    }

    #[test]
    fn progress_and_details_say_what_is_known() {
        let early = BatchJob {
            records: Records::default(),
            ..sample("b1", "Submitted", 0, 0)
        };
        assert_eq!(progress(&early), "-/-");
        assert!(!early.ended());
        let d = details(&early, early.submit_time + 61_000);
        assert!(!d.contains("records:"), "{d}");
        assert!(d.contains("running for: 1m 01s\n"), "{d}");

        let busy = sample("b1", "InProgress", 300, 400);
        assert_eq!(progress(&busy), "300/400");
        let d = details(&busy, busy.submit_time);
        assert!(d.contains("records: 300/400 processed (75%)\n"), "{d}");
        let mut done = BatchJob {
            message: Some("10 records failed".into()),
            timeout_hours: Some(24),
            ..sample("b1", "PartiallyCompleted", 400, 400)
        };
        done.records.success = Some(390);
        done.records.error = Some(10);
        assert!(done.ended());
        let d = details(&done, i64::MAX);
        assert!(d.contains("status: PartiallyCompleted\nmessage: 10 records failed\n"));
        assert!(
            d.contains("records: 400/400 processed (100%), 390 succeeded, 10 failed\n"),
            "{d}"
        );
        assert!(d.contains("took: 2m 05s\ntimeout: 24h\n"), "{d}");
        assert!(d.ends_with("input: s3://in/b1.jsonl\noutput: s3://out/results/\n"));
    }

    #[test]
    fn the_json_has_the_services_members_and_leaves_out_the_unknown() {
        let job = BatchJob {
            records: Records::default(),
            ..sample("b1", "Submitted", 0, 0)
        };
        let v = to_json(&job);
        assert_eq!(v["jobArn"], json!(job.arn));
        assert_eq!(v["submitTime"], "2026-12-01T19:00:00Z");
        assert_eq!(
            v["outputDataConfig"],
            json!({"s3OutputDataConfig": {"s3Uri": "s3://out/results/"}})
        );
        for absent in ["message", "endTime", "totalRecordCount"] {
            assert!(v.get(absent).is_none(), "{absent}: {v}");
        }
    }
}
