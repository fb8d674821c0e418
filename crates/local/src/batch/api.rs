//! The four model invocation job operations, in the shapes, paths and errors of the
//! Bedrock API model (`bedrock-2023-04-20`).

use serde_json::json;

use super::store::{Job, STATUSES, Status};
use super::{check, limits, records};
use crate::error::{ErrorKind, ServiceError};
use crate::faults::Fault;
use crate::jobs::{ACCOUNT, canonical, fresh_id, now_ms, parse_time};
use crate::json;
use crate::ops::{Call, Reply};
use crate::query;
use crate::state::State;

type Result<T> = std::result::Result<T, ServiceError>;

/// A fault drawn from the server's fault rate fails a control-plane call before it acts.
fn drawn(call: &Call) -> Result<()> {
    match call.drawn {
        Some(Fault::Error(kind)) => Err(ServiceError::of(kind)),
        _ => Ok(()),
    }
}

/// CreateModelInvocationJob.
pub(crate) async fn create(state: &State, call: &Call<'_>) -> Result<Reply> {
    drawn(call)?;
    let body = json::parse_body(call.body)?;
    let req = check::request(state.catalog, call.region, &body)?;
    let mut canon = String::new();
    canonical(
        &json!({
            "jobName": req.name,
            "roleArn": req.role_arn,
            "modelId": req.model_id,
            "input": req.input_data_config,
            "output": req.output_data_config,
            "vpc": req.vpc_config,
            "timeout": req.timeout_hours,
            "type": req.invocation_type,
            "tags": req.tags,
        }),
        &mut canon,
    );
    let request_hash = crate::conversation::Fnv::hash(canon.as_bytes());
    let token = req
        .token
        .clone()
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let key = (call.region.to_owned(), token.clone());
    if let Some(reply) = replay(state, &key, request_hash)? {
        return Ok(reply);
    }
    // The input must be there and within the quotas before the job is accepted.
    let s3 = state
        .jobs
        .s3()
        .ok_or_else(|| ServiceError::of(ErrorKind::ServiceUnavailable))?;
    let uri = req.input_data_config["s3InputDataConfig"]["s3Uri"]
        .as_str()
        .unwrap_or_default();
    let limits = limits(state);
    let inputs = records::read(s3, uri, &limits)
        .await
        .map_err(ServiceError::validation)?;
    records::count(&inputs, &limits).map_err(ServiceError::validation)?;

    let now = now_ms();
    let job = {
        let mut book = state.batch.book();
        // Another request with the token may have been accepted while the input was read.
        if let Some(id) = book.tokens.get(&key)
            && let Some(existing) = book.jobs.get(id)
        {
            return same_request(existing, request_hash, &token);
        }
        let job = Job {
            id: fresh_id(|id| book.jobs.contains_key(id)),
            seq: book.next_seq,
            region: call.region.to_owned(),
            name: req.name,
            model_id: req.model_id,
            model: req.model.id.clone(),
            role_arn: req.role_arn,
            client_request_token: token,
            request_hash,
            input_data_config: req.input_data_config,
            output_data_config: req.output_data_config,
            vpc_config: req.vpc_config,
            timeout_hours: req.timeout_hours,
            invocation_type: req.invocation_type.to_owned(),
            status: Status::Submitted,
            message: None,
            submit_ms: now,
            last_modified_ms: now,
            end_ms: None,
            due_ms: now.saturating_add(state.settings.batch_step.as_millis() as u64),
            counts: None,
        };
        book.next_seq += 1;
        book.tokens.insert(key, job.id.clone());
        book.jobs.insert(job.id.clone(), job.clone());
        job
    };
    state.batch.persist(&job);
    state.batch.wake.notify_one();
    Ok(Reply::json(json!({ "jobArn": job.arn() })))
}

/// The answer to a request whose token was used before, if it was.
fn replay(state: &State, key: &(String, String), request_hash: u64) -> Result<Option<Reply>> {
    let book = state.batch.book();
    match book.tokens.get(key).and_then(|id| book.jobs.get(id)) {
        Some(existing) => same_request(existing, request_hash, &key.1).map(Some),
        None => Ok(None),
    }
}

fn same_request(existing: &Job, request_hash: u64, token: &str) -> Result<Reply> {
    if existing.request_hash == request_hash {
        return Ok(Reply::json(json!({ "jobArn": existing.arn() })));
    }
    Err(ServiceError::new(
        ErrorKind::Conflict,
        format!(
            "The client request token {token} was already used for a different request. Use a new token for a new request."
        ),
    ))
}

const IDENTIFIER_PATTERN: &str =
    "((arn:aws(-[^:]+)?:bedrock:[a-z0-9-]{1,20}:[0-9]{12}:model-invocation-job/)?[a-z0-9]{12})";

/// The job id of a `jobIdentifier`: the id itself, or a job ARN (whose Region and
/// account must be the caller's for the job to be found).
fn job_id<'a>(identifier: &'a str, region: &str) -> Result<Option<&'a str>> {
    let is_id = |s: &str| {
        s.len() == 12
            && s.bytes()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
    };
    if is_id(identifier) {
        return Ok(Some(identifier));
    }
    let bad = || {
        ServiceError::constraint(
            "jobIdentifier",
            &format!("Member must satisfy regular expression pattern: {IDENTIFIER_PATTERN}"),
        )
    };
    let parts: Vec<&str> = identifier.splitn(6, ':').collect();
    let ["arn", partition, "bedrock", arn_region, account, resource] = parts.as_slice() else {
        return Err(bad());
    };
    let id = resource
        .strip_prefix("model-invocation-job/")
        .filter(|id| is_id(id))
        .ok_or_else(bad)?;
    if !partition.starts_with("aws") || !crate::jobs::is_account(account) {
        return Err(bad());
    }
    Ok((*arn_region == region && *account == ACCOUNT).then_some(id))
}

fn not_found(identifier: &str) -> ServiceError {
    ServiceError::new(
        ErrorKind::ResourceNotFound,
        format!("The model invocation job {identifier} could not be found."),
    )
}

/// The job named by `identifier` in the caller's Region.
fn find(state: &State, region: &str, identifier: &str) -> Result<Job> {
    let id = job_id(identifier, region)?.ok_or_else(|| not_found(identifier))?;
    state
        .batch
        .book()
        .jobs
        .get(id)
        .filter(|j| j.region == region)
        .cloned()
        .ok_or_else(|| not_found(identifier))
}

/// GetModelInvocationJob.
pub(crate) async fn get(state: &State, call: &Call<'_>, identifier: &str) -> Result<Reply> {
    drawn(call)?;
    Ok(Reply::json(find(state, call.region, identifier)?.to_wire()))
}

/// StopModelInvocationJob: a job that has not ended goes to Stopping, then Stopped.
pub(crate) async fn stop(state: &State, call: &Call<'_>, identifier: &str) -> Result<Reply> {
    drawn(call)?;
    let job = find(state, call.region, identifier)?;
    if job.status.terminal() {
        return Err(ServiceError::validation(format!(
            "The model invocation job {} can't be stopped because its status is {}.",
            job.arn(),
            job.status.as_str()
        )));
    }
    let now = now_ms();
    let step = state.settings.batch_step.as_millis() as u64;
    state.batch.update(&job.id, |j| {
        if j.status != Status::Stopping && !j.status.terminal() {
            j.status = Status::Stopping;
            j.last_modified_ms = now;
            j.due_ms = now.saturating_add(step);
        }
    });
    state.batch.wake.notify_one();
    Ok(Reply::json(json!({})))
}

fn timestamp(name: &str, value: &str) -> Result<u64> {
    parse_time(value).ok_or_else(|| {
        ServiceError::validation(format!(
            "1 validation error detected: Value '{value}' at '{name}' failed to satisfy constraint: Member must be a timestamp in ISO 8601 format"
        ))
    })
}

/// The filters and page of a ListModelInvocationJobs request.
#[derive(Debug, Default)]
struct Filters {
    after: Option<u64>,
    before: Option<u64>,
    status: Option<Status>,
    name: Option<String>,
    max: Option<usize>,
    next: Option<(u64, u64)>,
    ascending: bool,
}

fn filters(query_string: &str) -> Result<Filters> {
    let mut f = Filters::default();
    for (k, v) in query::pairs(query_string) {
        match k.as_str() {
            "submitTimeAfter" => f.after = Some(timestamp(&k, &v)?),
            "submitTimeBefore" => f.before = Some(timestamp(&k, &v)?),
            "statusEquals" => {
                let names: Vec<&str> = STATUSES.iter().map(|s| s.as_str()).collect();
                query::one_of(&k, &v, &names)?;
                f.status = Status::parse(&v);
            }
            "nameContains" => {
                if v.is_empty() || v.chars().count() > 63 {
                    return Err(ServiceError::constraint(
                        "nameContains",
                        "Member must have length between 1 and 63",
                    ));
                }
                f.name = Some(v);
            }
            "maxResults" => f.max = Some(query::max_results(&v)?),
            "nextToken" => {
                let text = query::decode_token(&v).ok_or_else(query::invalid_token)?;
                let (a, b) = text.split_once('.').ok_or_else(query::invalid_token)?;
                let parse = |s: &str| s.parse::<u64>().map_err(|_| query::invalid_token());
                f.next = Some((parse(a)?, parse(b)?));
            }
            "sortBy" => {
                query::one_of(&k, &v, &["CreationTime"])?;
            }
            "sortOrder" => {
                f.ascending = query::one_of(&k, &v, &["Ascending", "Descending"])? == "Ascending"
            }
            _ => {}
        }
    }
    Ok(f)
}

/// ListModelInvocationJobs: newest first unless asked otherwise, in pages.
pub(crate) async fn list(state: &State, call: &Call<'_>) -> Result<Reply> {
    drawn(call)?;
    let f = filters(call.query)?;
    let book = state.batch.book();
    let mut jobs: Vec<&Job> = book
        .jobs
        .values()
        .filter(|j| j.region == call.region)
        .filter(|j| f.after.is_none_or(|a| j.submit_ms > a))
        .filter(|j| f.before.is_none_or(|b| j.submit_ms < b))
        .filter(|j| f.status.is_none_or(|s| j.status == s))
        .filter(|j| f.name.as_deref().is_none_or(|n| j.name.contains(n)))
        .collect();
    jobs.sort_by_key(|j| (j.submit_ms, j.seq));
    if !f.ascending {
        jobs.reverse();
    }
    if let Some(cursor) = f.next {
        jobs.retain(|j| {
            let at = (j.submit_ms, j.seq);
            if f.ascending {
                at > cursor
            } else {
                at < cursor
            }
        });
    }
    let max = f.max.unwrap_or(1000);
    let more = jobs.len() > max;
    jobs.truncate(max);
    let mut body = json!({
        "invocationJobSummaries": jobs.iter().map(|j| j.to_wire()).collect::<Vec<_>>(),
    });
    if more && let Some(last) = jobs.last() {
        body["nextToken"] = json!(query::encode_token(&format!(
            "{}.{}",
            last.submit_ms, last.seq
        )));
    }
    Ok(Reply::json(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_ids_or_job_arns() {
        let arn = "arn:aws:bedrock:us-east-1:123456789012:model-invocation-job/abcdefghij12";
        assert_eq!(job_id(arn, "us-east-1").unwrap(), Some("abcdefghij12"));
        assert_eq!(
            job_id("abcdefghij12", "us-east-1").unwrap(),
            Some("abcdefghij12")
        );
        // Another Region's or account's job is not found here.
        assert_eq!(job_id(arn, "eu-west-1").unwrap(), None);
        let other = arn.replace("123456789012", "210987654321");
        assert_eq!(job_id(&other, "us-east-1").unwrap(), None);
        for bad in [
            "ABCDEFGHIJ12",
            "short",
            "arn:aws:bedrock:us-east-1:1:model-invocation-job/abcdefghij12",
        ] {
            let e = job_id(bad, "us-east-1").unwrap_err();
            assert!(e.message.contains("jobIdentifier"), "{bad}: {}", e.message);
        }
    }

    #[test]
    fn list_filters_are_checked() {
        let f = filters(
            "statusEquals=PartiallyCompleted&nameContains=night&sortOrder=Ascending&maxResults=2",
        )
        .unwrap();
        assert_eq!(f.status, Some(Status::PartiallyCompleted));
        assert_eq!(f.name.as_deref(), Some("night"));
        assert!(f.ascending);
        assert_eq!(f.max, Some(2));
        for bad in [
            "statusEquals=Done",
            "sortBy=SubmissionTime",
            "sortOrder=Up",
            "maxResults=0",
            "nextToken=%21",
            "submitTimeAfter=yesterday",
        ] {
            let e = filters(bad).unwrap_err();
            assert_eq!(e.kind, ErrorKind::Validation, "{bad}");
        }
    }
}
