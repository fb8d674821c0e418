//! The records of a batch inference job: finding its `.jsonl` inputs in the endpoint's
//! S3 store (one object, or every `.jsonl` under a folder), checking them against the
//! batch quotas, answering each record as InvokeModel (or Converse) would, and the files
//! the job writes: `<input name>.out` per input and `manifest.json.out`.

use std::time::Instant;

use bedrock_catalog::Model;
use bytes::Bytes;
use serde_json::{Value, json};

use crate::conversation::Fnv;
use crate::converse::{self, Usage};
use crate::error::{ErrorKind, ServiceError};
use crate::faults::{self, Fault};
use crate::native::{self, Invocation};
use crate::s3::S3Store;
use crate::simulator;
use crate::state::State;
use crate::validate::{check_conversation, input_usage, max_tokens};

/// The batch inference quotas on inputs (the service's defaults).
#[derive(Debug, Clone, Copy)]
pub(super) struct Limits {
    /// "Minimum number of records per batch inference job" (`Settings::batch_min_records`).
    pub min_records: usize,
    /// "Records per input file per batch inference job".
    pub max_file_records: usize,
    /// "Records per batch inference job".
    pub max_job_records: usize,
    /// "Batch inference input file size": 1 GB.
    pub max_file_bytes: u64,
    /// "Batch inference job size": 5 GB.
    pub max_job_bytes: u64,
}

impl Limits {
    pub(super) fn with_min(min_records: usize) -> Limits {
        Limits {
            min_records,
            max_file_records: 50_000,
            max_job_records: 50_000,
            max_file_bytes: 1 << 30,
            max_job_bytes: 5 << 30,
        }
    }
}

/// One input file of a job.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Input {
    pub uri: String,
    /// Its name under the input folder (or its file name), which names its `.out` file.
    pub name: String,
    pub bytes: Bytes,
}

/// (bucket, key) of an `s3://` URI.
pub(super) fn split(uri: &str) -> (&str, &str) {
    let rest = uri.strip_prefix("s3://").unwrap_or(uri);
    rest.split_once('/').unwrap_or((rest, ""))
}

/// Reads the inputs at `uri`, within `limits`' sizes; the error is the job's message.
pub(super) async fn read(s3: &S3Store, uri: &str, limits: &Limits) -> Result<Vec<Input>, String> {
    let (bucket, key) = split(uri);
    let listed = s3.list(bucket, key).await?.ok_or_else(|| {
        format!("The S3 bucket {bucket} of the input {uri} doesn't exist. Check the input S3 URI and try again.")
    })?;
    let single = key.ends_with(".jsonl") && listed.iter().any(|(k, _)| k == key);
    let folder = if key.is_empty() || key.ends_with('/') {
        key.to_owned()
    } else {
        format!("{key}/")
    };
    let files: Vec<(String, u64)> = listed
        .into_iter()
        .filter(|(k, _)| {
            if single {
                k == key
            } else {
                k.starts_with(&folder) && k.ends_with(".jsonl")
            }
        })
        .collect();
    if files.is_empty() {
        return Err(format!(
            "No JSONL input files were found at {uri}. Upload records in files that end in .jsonl and try again."
        ));
    }
    let mut total = 0u64;
    let mut inputs = Vec::new();
    for (k, size) in files {
        let file_uri = format!("s3://{bucket}/{k}");
        if size > limits.max_file_bytes {
            return Err(format!(
                "The input file {file_uri} is {size} bytes, more than the quota of {} bytes per batch inference input file.",
                limits.max_file_bytes
            ));
        }
        total += size;
        if total > limits.max_job_bytes {
            return Err(format!(
                "The input files at {uri} hold more than the quota of {} bytes per batch inference job.",
                limits.max_job_bytes
            ));
        }
        let bytes = s3
            .get(bucket, &k)
            .await?
            .ok_or_else(|| format!("Unable to read the input object {file_uri}."))?;
        let name = if single {
            k.rsplit('/').next().unwrap_or(&k).to_owned()
        } else {
            k[folder.len()..].to_owned()
        };
        inputs.push(Input {
            uri: file_uri,
            name,
            bytes,
        });
    }
    Ok(inputs)
}

/// The records of an input: its non-blank lines.
pub(super) fn lines(input: &Input) -> impl Iterator<Item = &str> {
    std::str::from_utf8(&input.bytes)
        .unwrap_or_default()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
}

/// Counts the records of `inputs` within `limits`; the error is the service's message.
pub(super) fn count(inputs: &[Input], limits: &Limits) -> Result<u64, String> {
    let mut total = 0usize;
    for input in inputs {
        if std::str::from_utf8(&input.bytes).is_err() {
            return Err(format!("The input file {} is not UTF-8 text.", input.uri));
        }
        let n = lines(input).count();
        if n > limits.max_file_records {
            return Err(format!(
                "The input file {} has {n} records, more than the quota of {} records per input file per batch inference job.",
                input.uri, limits.max_file_records
            ));
        }
        total += n;
    }
    if total > limits.max_job_records {
        return Err(format!(
            "The job has {total} records, more than the quota of {} records per batch inference job.",
            limits.max_job_records
        ));
    }
    if total < limits.min_records {
        return Err(format!(
            "The job has {total} records, fewer than the minimum of {} records per batch inference job. Add records and try again.",
            limits.min_records
        ));
    }
    Ok(total as u64)
}

/// Whether some record asks for the whole job to fail (`[[fault:job-fail]]`).
pub(super) fn asks_job_failure(inputs: &[Input]) -> bool {
    inputs
        .iter()
        .flat_map(lines)
        .any(|l| faults::directive_values(l, "fault").contains(&crate::jobs::JOB_FAIL))
}

/// One record's line of the `.out` file and what it used.
#[derive(Debug)]
pub(super) struct Answer {
    pub line: Value,
    pub ok: bool,
    pub usage: Usage,
}

/// Answers one input line as the job's model would.
pub(super) fn answer(
    state: &State,
    model: &Model,
    converse: bool,
    line: &str,
    salt: &str,
) -> Answer {
    let record: Value = match serde_json::from_str(line) {
        Ok(v @ Value::Object(_)) => v,
        _ => {
            return failed(
                json!({"recordId": record_id(line, salt)}),
                &ServiceError::validation("The record is not a JSON object."),
            );
        }
    };
    let id = match record.get("recordId") {
        Some(Value::String(s)) => s.clone(),
        _ => record_id(line, salt),
    };
    let Some(input) = record.get("modelInput").filter(|v| v.is_object()) else {
        return failed(
            json!({"recordId": id}),
            &ServiceError::validation("The record has no modelInput object."),
        );
    };
    let mut out = json!({"recordId": id, "modelInput": input});
    match invoke(state, model, converse, input) {
        Ok((body, usage)) => {
            out["modelOutput"] = body;
            Answer {
                line: out,
                ok: true,
                usage,
            }
        }
        Err(e) => failed(out, &e),
    }
}

fn failed(mut line: Value, e: &ServiceError) -> Answer {
    line["error"] = json!({"errorCode": e.kind.status().as_u16(), "errorMessage": e.message});
    Answer {
        line,
        ok: false,
        usage: Usage::default(),
    }
}

/// The id the service gives a record that has none: 11 letters and digits.
fn record_id(line: &str, salt: &str) -> String {
    let mut h = Fnv::default();
    h.write(salt.as_bytes());
    h.write(line.as_bytes());
    native::base62(h.finish(), "recordId", 11).to_ascii_uppercase()
}

/// The record's faults, as InvokeModel would apply them; a stall costs a batch nothing.
fn record_faults(state: &State, model: &Model, text: &str) -> Result<(), ServiceError> {
    let mut all = faults::directives(text)?;
    all.extend(faults::route_faults(
        &state.settings.fail_routes,
        text,
        &model.id,
    )?);
    for f in all {
        match f {
            Fault::Error(kind) => return Err(ServiceError::of(kind)),
            Fault::Stall(_) => {}
            Fault::StreamError(_) | Fault::Drop(_) => {
                return Err(ServiceError::of(ErrorKind::ModelError));
            }
        }
    }
    Ok(())
}

/// The response body InvokeModel (or Converse) gives `input`, and its usage.
fn invoke(
    state: &State,
    model: &Model,
    converse: bool,
    input: &Value,
) -> Result<(Value, Usage), ServiceError> {
    let started = Instant::now();
    if converse {
        let req = converse::parse(input)?;
        record_faults(state, model, &req.last_user_text())?;
        check_conversation(&req, model, false)?;
        let max = max_tokens(&req, model)?;
        let mut usage = input_usage(state, &req, model)?;
        let generation = simulator::generate(&req, max);
        usage.output = generation.output_tokens;
        let latency = started.elapsed().as_millis() as u64;
        return Ok((converse::response(&generation, usage, latency, None), usage));
    }
    let body = serde_json::to_vec(input).map_err(ServiceError::malformed)?;
    match native::parse(model, &body)? {
        Invocation::Embed {
            response,
            input_tokens,
        } => Ok((
            response,
            Usage {
                input: input_tokens,
                ..Usage::default()
            },
        )),
        Invocation::Generate(parsed) => {
            record_faults(state, model, &parsed.request.last_user_text())?;
            let max = max_tokens(&parsed.request, model)?;
            let mut usage = input_usage(state, &parsed.request, model)?;
            let generation = simulator::generate(&parsed.request, max);
            usage.output = generation.output_tokens;
            Ok((native::response(model, &parsed, &generation, usage), usage))
        }
    }
}

/// The `.out` body of an input: one JSON line per record, in input order.
pub(super) fn out_file(answers: &[Answer]) -> Vec<u8> {
    let mut body = Vec::new();
    for a in answers {
        body.extend(serde_json::to_vec(&a.line).unwrap_or_default());
        body.push(b'\n');
    }
    body
}

/// `manifest.json.out`: the job's record and token counts.
pub(super) fn manifest(answers: &[Answer]) -> Value {
    let success = answers.iter().filter(|a| a.ok).count();
    let input: u64 = answers
        .iter()
        .map(|a| u64::from(a.usage.input + a.usage.cache_read + a.usage.cache_write))
        .sum();
    let output: u64 = answers.iter().map(|a| u64::from(a.usage.output)).sum();
    json!({
        "totalRecordCount": answers.len(),
        "processedRecordCount": answers.len(),
        "successRecordCount": success,
        "errorRecordCount": answers.len() - success,
        "inputTokenCount": input,
        "outputTokenCount": output,
    })
}
