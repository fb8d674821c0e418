//! Async invocations: StartAsyncInvoke, GetAsyncInvoke and ListAsyncInvokes for the
//! async-capable models of the catalog. A job runs in the background for
//! `--async-seconds`, then writes its outputs to the endpoint's S3 store (see
//! [`super::s3`]) where the real model would, and ends Completed or Failed. Jobs are
//! kept in `--data-dir` and carry on after a restart.

mod clock;
pub(crate) mod disk;
mod input;
pub(crate) mod mp4;
mod output;
mod store;

pub(crate) use clock::{iso8601, now_ms, parse as parse_time};
pub(crate) use store::ACCOUNT;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use bedrock_catalog::{Catalog, resolve};
use serde_json::{Value, json};
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;

use super::error::{ErrorKind, ServiceError};
use super::faults::{self, Fault};
use super::json::{self, Obj, root};
use super::ops::{Call, Reply};
use super::query;
use super::s3::S3Store;
use super::state::{Settings, State};
use disk::{Disk, wait_due};
use store::{Job, Status};

type Result<T> = std::result::Result<T, ServiceError>;

/// The directive that makes a job end Failed.
pub(crate) const JOB_FAIL: &str = "job-fail";
/// The failure message of a job asked to fail with `[[fault:job-fail]]`.
pub const JOB_FAIL_MESSAGE: &str = "The model could not process the input and the invocation failed. (Simulated by [[fault:job-fail]].)";

/// The endpoint's async jobs and S3 store, opened when the endpoint starts.
#[derive(Default)]
pub(crate) struct Jobs {
    engine: OnceLock<Arc<Engine>>,
}

#[derive(Default)]
struct Book {
    jobs: BTreeMap<String, Job>,
    /// (region, clientRequestToken) -> job id.
    tokens: HashMap<(String, String), String>,
    next_seq: u64,
}

struct Engine {
    book: Mutex<Book>,
    disk: Option<Disk>,
    s3: S3Store,
    wake: Notify,
    async_ms: u64,
    catalog: &'static Catalog,
}

impl Jobs {
    /// Opens the job store and the S3 store (in `settings.data_dir` if set), and starts
    /// the runner, which stops when `stop` turns true.
    pub(crate) fn open(
        &self,
        settings: &Settings,
        catalog: &'static Catalog,
        stop: watch::Receiver<bool>,
    ) -> std::io::Result<JoinHandle<()>> {
        let dir = settings.data_dir.as_deref();
        let s3 = S3Store::open(dir, &settings.region)?;
        let disk = dir
            .map(|d| Disk::open(&d.join("async-invokes"), "async invocation"))
            .transpose()?;
        let mut book = Book::default();
        if let Some(disk) = &disk {
            book.jobs = disk.load()?;
        }
        for job in book.jobs.values() {
            book.tokens.insert(
                (job.region.clone(), job.client_request_token.clone()),
                job.id.clone(),
            );
        }
        book.next_seq = book.jobs.values().map(|j| j.seq + 1).max().unwrap_or(0);
        let engine = Arc::new(Engine {
            book: Mutex::new(book),
            disk,
            s3,
            wake: Notify::new(),
            async_ms: settings.async_seconds.saturating_mul(1000),
            catalog,
        });
        if self.engine.set(engine.clone()).is_err() {
            return Err(std::io::Error::other("the job store is already open"));
        }
        Ok(tokio::spawn(run(engine, stop)))
    }

    fn engine(&self) -> Result<&Arc<Engine>> {
        self.engine
            .get()
            .ok_or_else(|| ServiceError::of(ErrorKind::ServiceUnavailable))
    }

    /// The S3 store, once the endpoint has started.
    pub(crate) fn s3(&self) -> Option<&S3Store> {
        self.engine.get().map(|e| &e.s3)
    }
}

impl Engine {
    fn book(&self) -> std::sync::MutexGuard<'_, Book> {
        self.book.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn persist(&self, job: &Job) {
        if let Some(disk) = &self.disk
            && let Err(e) = disk.save(job)
        {
            tracing::warn!("could not save async invocation {}: {e}", job.id);
        }
    }

    /// The in-progress job due first.
    fn next_due(&self) -> Option<(String, u64)> {
        self.book()
            .jobs
            .values()
            .filter(|j| j.status == Status::InProgress)
            .min_by_key(|j| (j.due_ms, j.seq))
            .map(|j| (j.id.clone(), j.due_ms))
    }

    /// Runs the simulated model of a due job: reads its inputs, writes its outputs, and
    /// records how it ended.
    async fn finish(&self, id: &str) {
        let Some(job) = self.book().jobs.get(id).cloned() else {
            return;
        };
        if job.status != Status::InProgress {
            return;
        }
        let task = self
            .catalog
            .get(&job.model_id)
            .ok_or_else(|| format!("The model {} is not available.", job.model_id))
            .and_then(|m| input::task(m, &job.model_input).map_err(|e| e.message));
        let outcome = match (&job.fail, &task) {
            (Some(msg), _) => Err(msg.clone()),
            (None, Err(msg)) => Err(msg.clone()),
            (None, Ok(task)) => self
                .read_inputs(task)
                .await
                .map(|inputs| output::completed(&job, task, &inputs)),
        };
        let (status, message) = match outcome {
            Ok(files) => match self.write(&job, files).await {
                Ok(()) => (Status::Completed, None),
                Err(e) => (
                    Status::Failed,
                    Some(format!(
                        "Amazon Bedrock could not write the output to {}: {e}",
                        job.output_uri()
                    )),
                ),
            },
            Err(msg) => {
                let files = output::failed(&job, task.as_ref().ok(), &msg);
                if let Err(e) = self.write(&job, files).await {
                    tracing::warn!("could not write the failure report of {}: {e}", job.id);
                }
                (Status::Failed, Some(msg))
            }
        };
        let now = now_ms();
        let updated = {
            let mut book = self.book();
            let Some(j) = book.jobs.get_mut(id) else {
                return;
            };
            j.status = status;
            j.failure_message = message;
            j.end_ms = Some(now);
            j.last_modified_ms = now;
            j.clone()
        };
        self.persist(&updated);
    }

    async fn read_inputs(&self, task: &input::Task) -> std::result::Result<output::Inputs, String> {
        let mut inputs = output::Inputs::new();
        for source in task.inputs() {
            let input::Source::S3 { bucket, key } = source else {
                continue;
            };
            let uri = format!("s3://{bucket}/{key}");
            match self.s3.get(bucket, key).await? {
                Some(bytes) => {
                    inputs.insert(uri, bytes);
                }
                None => {
                    return Err(format!(
                        "Unable to read the input object {uri}. Check that the object exists and try again."
                    ));
                }
            }
        }
        Ok(inputs)
    }

    async fn write(
        &self,
        job: &Job,
        files: Vec<output::Output>,
    ) -> std::result::Result<(), String> {
        if files.is_empty() {
            return Ok(());
        }
        let (bucket, prefix) = split_s3_uri(&job.s3_uri);
        self.s3.ensure_bucket(&bucket).await?;
        for f in files {
            let key = if prefix.is_empty() {
                format!("{}/{}", job.id, f.name)
            } else {
                format!("{prefix}/{}/{}", job.id, f.name)
            };
            self.s3.put(&bucket, &key, f.content_type, f.body).await?;
        }
        Ok(())
    }
}

/// Completes jobs as they fall due, until `stop` turns true.
async fn run(engine: Arc<Engine>, mut stop: watch::Receiver<bool>) {
    loop {
        if *stop.borrow() {
            break;
        }
        let now = now_ms();
        match engine.next_due() {
            Some((id, due)) if due <= now => engine.finish(&id).await,
            next => {
                let wait = next.map(|(_, due)| Duration::from_millis(due - now));
                if !wait_due(wait, &engine.wake, &mut stop).await {
                    break;
                }
            }
        }
    }
}

/// (bucket, key prefix without slashes at its ends) of a validated `s3://` URI.
fn split_s3_uri(uri: &str) -> (String, String) {
    let rest = uri.strip_prefix("s3://").unwrap_or(uri);
    let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    (bucket.to_owned(), prefix.trim_matches('/').to_owned())
}

/// The `S3Uri` pattern of the service model: `s3://[a-z0-9][\.\-a-z0-9]{1,61}[a-z0-9](/.*)?`,
/// at most 1024 characters. The app checks the locations it attaches with it too.
pub fn valid_s3_uri(uri: &str) -> bool {
    let Some(rest) = uri.strip_prefix("s3://") else {
        return false;
    };
    let bucket = rest.split('/').next().unwrap_or("");
    let b = bucket.as_bytes();
    let edge = |c: u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    (3..=63).contains(&b.len())
        && edge(b[0])
        && edge(b[b.len() - 1])
        && b.iter().all(|&c| edge(c) || c == b'.' || c == b'-')
        && uri.len() <= 1024
}

pub(crate) fn valid_kms_key(k: &str) -> bool {
    let parts: Vec<&str> = k.splitn(6, ':').collect();
    matches!(parts.as_slice(), ["arn", p, "kms", _, acct, res]
        if p.starts_with("aws") && acct.len() == 12 && acct.bytes().all(|c| c.is_ascii_digit())
            && (res.starts_with("key/") || res.starts_with("alias/")))
}

pub(crate) fn is_account(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|c| c.is_ascii_digit())
}

/// Faults asked for by the model input's `[[fault:KIND]]` directives, and whether the job
/// is to fail.
fn directives(input: &Value) -> Result<(Vec<Fault>, bool)> {
    let mut texts = Vec::new();
    input::strings(input, &mut texts);
    let mut faults = Vec::new();
    let mut fail = false;
    for text in &texts {
        for kind in faults::directive_values(text, "fault") {
            if kind == JOB_FAIL {
                fail = true;
                continue;
            }
            faults.push(Fault::parse(kind).ok_or_else(|| {
                ServiceError::validation(format!(
                    "Unknown fault directive [[fault:{kind}]]. Known kinds: {}, {JOB_FAIL}.",
                    faults::KINDS
                ))
            })?);
        }
    }
    Ok((faults, fail))
}

/// Applies faults to a call that answers at once: an error, a stall, or a dropped connection.
async fn apply(faults: &[Fault]) -> Result<Option<Reply>> {
    for f in faults {
        match f {
            Fault::Error(kind) => return Err(ServiceError::of(*kind)),
            Fault::Stall(d) => tokio::time::sleep(*d).await,
            Fault::StreamError(_) => return Err(ServiceError::of(ErrorKind::ModelError)),
            Fault::Drop(_) => return Ok(Some(Reply::Drop)),
        }
    }
    Ok(None)
}

/// JSON with object keys sorted, so equal requests hash equally.
pub(crate) fn canonical(v: &Value, out: &mut String) {
    match v {
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(k.clone()).to_string());
                out.push(':');
                canonical(&m[k], out);
            }
            out.push('}');
        }
        Value::Array(a) => {
            out.push('[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                canonical(x, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

fn new_id(taken: &BTreeMap<String, Job>) -> String {
    fresh_id(|id| taken.contains_key(id))
}

/// A new 12-character job id of lowercase letters and digits that `taken` does not hold.
pub(crate) fn fresh_id(taken: impl Fn(&str) -> bool) -> String {
    loop {
        let id: String = uuid::Uuid::new_v4()
            .as_bytes()
            .iter()
            .take(12)
            .map(|b| char::from(b"abcdefghijklmnopqrstuvwxyz0123456789"[usize::from(*b) % 36]))
            .collect();
        if !taken(&id) {
            return id;
        }
    }
}

fn check_token(token: &str) -> Result<()> {
    let n = token.chars().count();
    if n < 1 {
        return Err(ServiceError::constraint(
            "clientRequestToken",
            "Member must have length greater than or equal to 1",
        ));
    }
    if n > 256 {
        return Err(ServiceError::constraint(
            "clientRequestToken",
            "Member must have length less than or equal to 256",
        ));
    }
    if !token.chars().all(|c| ('!'..='~').contains(&c)) {
        return Err(ServiceError::constraint(
            "clientRequestToken",
            "Member must satisfy regular expression pattern: [!-~]*",
        ));
    }
    Ok(())
}

pub(crate) fn check_tags(o: &Obj) -> Result<Value> {
    let Some(items) = o.arr("tags")? else {
        return Ok(json!([]));
    };
    if items.len() > 200 {
        return Err(ServiceError::constraint(
            "tags",
            "Member must have length less than or equal to 200",
        ));
    }
    for t in json::objects(items, "tags")? {
        let key = t.req_str("key")?;
        let value = t.req_str("value")?;
        if key.is_empty() || key.chars().count() > 128 {
            return Err(ServiceError::constraint(
                &t.path("key"),
                "Member must have length between 1 and 128",
            ));
        }
        if value.chars().count() > 256 {
            return Err(ServiceError::constraint(
                &t.path("value"),
                "Member must have length less than or equal to 256",
            ));
        }
    }
    Ok(Value::Array(items.clone()))
}

/// Where a job writes its outputs (`outputDataConfig.s3OutputDataConfig`).
struct OutputConfig<'a> {
    s3_uri: &'a str,
    kms_key_id: Option<&'a str>,
    bucket_owner: Option<&'a str>,
}

fn output_config<'a>(o: &Obj<'a>) -> Result<OutputConfig<'a>> {
    let out = o
        .child("outputDataConfig")?
        .ok_or_else(|| o.missing("outputDataConfig"))?;
    let s3 = out
        .child("s3OutputDataConfig")?
        .ok_or_else(|| out.missing("s3OutputDataConfig"))?;
    let s3_uri = s3.req_str("s3Uri")?;
    if !valid_s3_uri(s3_uri) {
        return Err(ServiceError::constraint(
            &s3.path("s3Uri"),
            r"Member must satisfy regular expression pattern: s3://[a-z0-9][\.\-a-z0-9]{1,61}[a-z0-9](/.*)?",
        ));
    }
    let kms_key_id = s3.str("kmsKeyId")?;
    if let Some(k) = kms_key_id
        && !valid_kms_key(k)
    {
        return Err(ServiceError::constraint(
            &s3.path("kmsKeyId"),
            "Member must satisfy regular expression pattern: arn:aws(-[^:]+)?:kms:[a-zA-Z0-9-]*:[0-9]{12}:((key/[a-zA-Z0-9-]{36})|(alias/[a-zA-Z0-9-_/]+))",
        ));
    }
    let bucket_owner = s3.str("bucketOwner")?;
    if let Some(a) = bucket_owner
        && !is_account(a)
    {
        return Err(ServiceError::constraint(
            &s3.path("bucketOwner"),
            "Member must satisfy regular expression pattern: [0-9]{12}",
        ));
    }
    Ok(OutputConfig {
        s3_uri,
        kms_key_id,
        bucket_owner,
    })
}

/// StartAsyncInvoke.
pub(crate) async fn start(state: &State, call: &Call<'_>) -> Result<Reply> {
    let body = json::parse_body(call.body)?;
    let o = root(&body)?;
    let id = o.req_str("modelId")?;
    let model = resolve(state.catalog, id, call.region)?.model;
    if !model.capabilities.async_invoke {
        return Err(ServiceError::validation(format!(
            "The model {} doesn't support async inference. Use a model that supports async inference and try again.",
            model.id
        )));
    }
    let token = match o.str("clientRequestToken")? {
        Some(t) => {
            check_token(t)?;
            t.to_owned()
        }
        None => uuid::Uuid::new_v4().to_string(),
    };
    let model_input = o.get("modelInput").ok_or_else(|| o.missing("modelInput"))?;
    let out = output_config(&o)?;
    let tags = check_tags(&o)?;
    input::task(model, model_input)?;
    let (mut faults, fail) = directives(model_input)?;
    faults.extend(call.drawn);
    if let Some(r) = apply(&faults).await? {
        return Ok(r);
    }

    let mut canon = String::new();
    canonical(
        &json!({
            "modelId": model.id,
            "modelInput": model_input,
            "outputDataConfig": {"s3": out.s3_uri, "kms": out.kms_key_id, "owner": out.bucket_owner},
            "tags": tags,
        }),
        &mut canon,
    );
    let request_hash = crate::conversation::Fnv::hash(canon.as_bytes());
    let engine = state.jobs.engine()?;
    let job = {
        let mut book = engine.book();
        let key = (call.region.to_owned(), token.clone());
        if let Some(existing) = book.tokens.get(&key).and_then(|id| book.jobs.get(id)) {
            if existing.request_hash == request_hash {
                return Ok(Reply::json(json!({ "invocationArn": existing.arn() })));
            }
            return Err(ServiceError::new(
                ErrorKind::Conflict,
                format!(
                    "The client request token {token} was already used for a different request. Use a new token for a new request."
                ),
            ));
        }
        let now = now_ms();
        let job = Job {
            id: new_id(&book.jobs),
            seq: book.next_seq,
            region: call.region.to_owned(),
            model_id: model.id.clone(),
            client_request_token: token,
            request_hash,
            model_input: model_input.clone(),
            s3_uri: out.s3_uri.to_owned(),
            kms_key_id: out.kms_key_id.map(str::to_owned),
            bucket_owner: out.bucket_owner.map(str::to_owned),
            tags,
            status: Status::InProgress,
            failure_message: None,
            submit_ms: now,
            last_modified_ms: now,
            end_ms: None,
            due_ms: now.saturating_add(engine.async_ms),
            fail: fail.then(|| JOB_FAIL_MESSAGE.to_owned()),
        };
        book.next_seq += 1;
        book.tokens.insert(key, job.id.clone());
        book.jobs.insert(job.id.clone(), job.clone());
        job
    };
    engine.persist(&job);
    engine.wake.notify_one();
    Ok(Reply::json(json!({ "invocationArn": job.arn() })))
}

const ARN_PATTERN: &str =
    "arn:aws(-[^:]+)?:bedrock:[a-z0-9-]{1,20}:[0-9]{12}:async-invoke/[a-z0-9]{12}";

/// The invocation id of a well-formed invocation ARN.
fn arn_id(arn: &str) -> Option<&str> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let ["arn", partition, "bedrock", region, account, resource] = parts.as_slice() else {
        return None;
    };
    let id = resource.strip_prefix("async-invoke/")?;
    let ok = partition.starts_with("aws")
        && (1..=20).contains(&region.len())
        && region
            .bytes()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-')
        && is_account(account)
        && id.len() == 12
        && id
            .bytes()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    ok.then_some(id)
}

/// GetAsyncInvoke.
pub(crate) async fn get(state: &State, call: &Call<'_>, arn: &str) -> Result<Reply> {
    if let Some(r) = apply(call.drawn.as_slice()).await? {
        return Ok(r);
    }
    let Some(id) = arn_id(arn) else {
        return Err(ServiceError::constraint(
            "invocationArn",
            &format!("Member must satisfy regular expression pattern: {ARN_PATTERN}"),
        ));
    };
    let engine = state.jobs.engine()?;
    let book = engine.book();
    match book.jobs.get(id) {
        Some(job) if job.arn() == arn => Ok(Reply::json(job.to_wire())),
        _ => Err(ServiceError::validation(format!(
            "The invocation ARN {arn} is invalid or does not exist."
        ))),
    }
}

const SORT_ORDERS: &str = "[Ascending, Descending]";

/// A page boundary: the submission time and sequence number of the last job returned.
fn encode_token(job: &Job) -> String {
    query::encode_token(&format!("{}.{}", job.submit_ms, job.seq))
}

fn decode_token(token: &str) -> Option<(u64, u64)> {
    let text = query::decode_token(token)?;
    let (a, b) = text.split_once('.')?;
    Some((a.parse().ok()?, b.parse().ok()?))
}

fn timestamp_param(name: &str, value: &str) -> Result<u64> {
    clock::parse(value).ok_or_else(|| {
        ServiceError::validation(format!(
            "1 validation error detected: Value '{value}' at '{name}' failed to satisfy constraint: Member must be a timestamp in ISO 8601 format"
        ))
    })
}

/// ListAsyncInvokes.
pub(crate) async fn list(state: &State, call: &Call<'_>) -> Result<Reply> {
    if let Some(r) = apply(call.drawn.as_slice()).await? {
        return Ok(r);
    }
    let mut after = None;
    let mut before = None;
    let mut status = None;
    let mut max = 1000usize;
    let mut next = None;
    let mut descending = true;
    for (k, v) in query::pairs(call.query) {
        match k.as_str() {
            "submitTimeAfter" => after = Some(timestamp_param(&k, &v)?),
            "submitTimeBefore" => before = Some(timestamp_param(&k, &v)?),
            "statusEquals" => {
                status = Some(Status::parse(&v).ok_or_else(|| {
                    ServiceError::constraint(
                        "statusEquals",
                        "Member must satisfy enum value set: [InProgress, Completed, Failed]",
                    )
                })?)
            }
            "maxResults" => max = query::max_results(&v)?,
            "nextToken" => next = Some(decode_token(&v).ok_or_else(query::invalid_token)?),
            "sortBy" if v != "SubmissionTime" => {
                return Err(ServiceError::constraint(
                    "sortBy",
                    "Member must satisfy enum value set: [SubmissionTime]",
                ));
            }
            "sortOrder" => match v.as_str() {
                "Ascending" => descending = false,
                "Descending" => descending = true,
                _ => {
                    return Err(ServiceError::constraint(
                        "sortOrder",
                        &format!("Member must satisfy enum value set: {SORT_ORDERS}"),
                    ));
                }
            },
            _ => {}
        }
    }
    let engine = state.jobs.engine()?;
    let book = engine.book();
    let mut jobs: Vec<&Job> = book
        .jobs
        .values()
        .filter(|j| j.region == call.region)
        .filter(|j| after.is_none_or(|a| j.submit_ms > a))
        .filter(|j| before.is_none_or(|b| j.submit_ms < b))
        .filter(|j| status.is_none_or(|s| j.status == s))
        .collect();
    jobs.sort_by_key(|j| (j.submit_ms, j.seq));
    if descending {
        jobs.reverse();
    }
    if let Some(cursor) = next {
        jobs.retain(|j| {
            let at = (j.submit_ms, j.seq);
            if descending { at < cursor } else { at > cursor }
        });
    }
    let more = jobs.len() > max;
    jobs.truncate(max);
    let mut body = json!({
        "asyncInvokeSummaries": jobs.iter().map(|j| j.to_wire()).collect::<Vec<_>>(),
    });
    if more && let Some(last) = jobs.last() {
        body["nextToken"] = json!(encode_token(last));
    }
    Ok(Reply::json(body))
}

#[cfg(test)]
mod tests {
    use super::*;
    use store::ACCOUNT;

    #[test]
    fn s3_uris_follow_the_service_pattern() {
        for ok in ["s3://bucket", "s3://my.bucket-1/some/prefix/", "s3://abc/x"] {
            assert!(valid_s3_uri(ok), "{ok}");
        }
        for bad in [
            "bucket",
            "s3://",
            "s3://ab",
            "s3://Bucket/x",
            "s3://-bucket",
            "https://b/x",
        ] {
            assert!(!valid_s3_uri(bad), "{bad}");
        }
        assert_eq!(split_s3_uri("s3://b/p/q/"), ("b".into(), "p/q".into()));
        assert_eq!(split_s3_uri("s3://b"), ("b".into(), String::new()));
    }

    #[test]
    fn arns_and_tokens() {
        let arn = format!("arn:aws:bedrock:us-east-1:{ACCOUNT}:async-invoke/abcdefghij12");
        assert_eq!(arn_id(&arn), Some("abcdefghij12"));
        assert_eq!(
            arn_id("arn:aws:bedrock:us-east-1:1:async-invoke/abcdefghij12"),
            None
        );
        assert_eq!(arn_id("abcdefghij12"), None);
        assert_eq!(decode_token("bm90IGEgdG9rZW4"), None);
        assert!(check_token("tok-123_!~").is_ok());
        assert!(check_token("has space").is_err());
        assert!(valid_kms_key(
            "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
        ));
        assert!(!valid_kms_key("alias/mine"));
    }

    #[test]
    fn canonical_json_ignores_key_order() {
        let mut a = String::new();
        let mut b = String::new();
        canonical(&json!({"x": 1, "y": [1, {"b": 2, "a": 1}]}), &mut a);
        canonical(
            &serde_json::from_str::<Value>(r#"{"y":[1,{"a":1,"b":2}],"x":1}"#).unwrap(),
            &mut b,
        );
        assert_eq!(a, b);
    }

    #[test]
    fn directives_split_job_failure_from_call_faults() {
        let input = json!({"text": "a fox [[fault:job-fail]]", "more": ["[[fault:throttle]]"]});
        let (faults, fail) = directives(&input).unwrap();
        assert!(fail);
        assert_eq!(faults, vec![Fault::Error(ErrorKind::Throttling)]);
        assert!(directives(&json!({"t": "[[fault:melt]]"})).is_err());
    }
}
