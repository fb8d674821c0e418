//! CreateModelInvocationJob's request checked as the service checks it: the members'
//! patterns and ranges from the API model (`bedrock-2023-04-20`), in its coral-style
//! messages, and the model's support for batch inference.

use std::sync::LazyLock;

use bedrock_catalog::{Catalog, Family, Model, resolve};
use regex::Regex;
use serde_json::{Value, json};

use crate::error::ServiceError;
use crate::jobs::{check_tags, is_account, valid_kms_key};
use crate::json::{Obj, root};

type Result<T> = std::result::Result<T, ServiceError>;

/// A pattern of the API model, anchored as the service applies it (to the whole value).
fn anchored(pattern: &str) -> Regex {
    Regex::new(&format!("^(?:{pattern})$")).unwrap_or_else(|e| panic!("{pattern}: {e}"))
}

const JOB_NAME: &str = r"[a-zA-Z0-9]{1,63}(-*[a-zA-Z0-9\+\-\.]){0,63}";
const ROLE_ARN: &str = r"arn:aws(-[^:]+)?:iam::([0-9]{12})?:role/.+";
const TOKEN: &str = r"[a-zA-Z0-9]{1,256}(-*[a-zA-Z0-9]){0,256}";
const S3_URI: &str =
    r"s3://[a-z0-9][-.a-z0-9]{1,61}[a-z0-9](?:/[-!_*'().a-z0-9A-Z]+(?:/[-!_*'().a-z0-9A-Z]+)*)?/?";

static JOB_NAME_RE: LazyLock<Regex> = LazyLock::new(|| anchored(JOB_NAME));
static ROLE_ARN_RE: LazyLock<Regex> = LazyLock::new(|| anchored(ROLE_ARN));
static TOKEN_RE: LazyLock<Regex> = LazyLock::new(|| anchored(TOKEN));
static S3_URI_RE: LazyLock<Regex> = LazyLock::new(|| anchored(S3_URI));

pub(super) const MIN_TIMEOUT_HOURS: u32 = 24;
pub(super) const MAX_TIMEOUT_HOURS: u32 = 168;
pub(super) const INVOCATION_TYPES: [&str; 2] = ["InvokeModel", "Converse"];

/// A CreateModelInvocationJob request that passed the checks.
#[derive(Debug)]
pub(super) struct Request {
    pub name: String,
    pub role_arn: String,
    pub token: Option<String>,
    pub model_id: String,
    pub model: &'static Model,
    pub input_data_config: Value,
    pub output_data_config: Value,
    pub vpc_config: Option<Value>,
    pub timeout_hours: u32,
    pub invocation_type: &'static str,
    pub tags: Value,
}

fn pattern(o: &Obj, key: &str, value: &str, re: &Regex, text: &str) -> Result<()> {
    if re.is_match(value) {
        Ok(())
    } else {
        Err(ServiceError::constraint(
            &o.path(key),
            &format!("Member must satisfy regular expression pattern: {text}"),
        ))
    }
}

fn length(o: &Obj, key: &str, value: &str, min: usize, max: usize) -> Result<()> {
    let n = value.chars().count();
    if n < min {
        return Err(ServiceError::constraint(
            &o.path(key),
            &format!("Member must have length greater than or equal to {min}"),
        ));
    }
    if n > max {
        return Err(ServiceError::constraint(
            &o.path(key),
            &format!("Member must have length less than or equal to {max}"),
        ));
    }
    Ok(())
}

/// A union member (`inputDataConfig`, `outputDataConfig`): exactly `member` set.
fn union<'a>(o: &Obj<'a>, key: &str, member: &str) -> Result<Obj<'a>> {
    let u = o.child(key)?.ok_or_else(|| o.missing(key))?;
    u.child(member)?.ok_or_else(|| {
        ServiceError::validation(format!(
            "1 validation error detected: Value at '{}' failed to satisfy constraint: Member must have exactly one of {member} set",
            o.path(key)
        ))
    })
}

fn s3_uri<'a>(o: &Obj<'a>) -> Result<&'a str> {
    let uri = o.req_str("s3Uri")?;
    length(o, "s3Uri", uri, 1, 1024)?;
    pattern(o, "s3Uri", uri, &S3_URI_RE, S3_URI)?;
    Ok(uri)
}

fn account(o: &Obj, key: &str) -> Result<Option<String>> {
    match o.str(key)? {
        Some(a) if !is_account(a) => Err(ServiceError::constraint(
            &o.path(key),
            "Member must satisfy regular expression pattern: [0-9]{12}",
        )),
        a => Ok(a.map(str::to_owned)),
    }
}

fn input_config(o: &Obj) -> Result<Value> {
    let s3 = union(o, "inputDataConfig", "s3InputDataConfig")?;
    let uri = s3_uri(&s3)?;
    let format = s3.str("s3InputFormat")?.unwrap_or("JSONL");
    if format != "JSONL" {
        return Err(ServiceError::validation(format!(
            "1 validation error detected: Value '{format}' at '{}' failed to satisfy constraint: Member must satisfy enum value set: [JSONL]",
            s3.path("s3InputFormat")
        )));
    }
    let mut v = json!({"s3Uri": uri, "s3InputFormat": format});
    if let Some(a) = account(&s3, "s3BucketOwner")? {
        v["s3BucketOwner"] = json!(a);
    }
    Ok(json!({ "s3InputDataConfig": v }))
}

fn output_config(o: &Obj) -> Result<Value> {
    let s3 = union(o, "outputDataConfig", "s3OutputDataConfig")?;
    let uri = s3_uri(&s3)?;
    let mut v = json!({ "s3Uri": uri });
    if let Some(k) = s3.str("s3EncryptionKeyId")? {
        let bare = k.len() == 36 || k.starts_with("alias/");
        if !(bare || valid_kms_key(k)) {
            return Err(ServiceError::constraint(
                &s3.path("s3EncryptionKeyId"),
                "Member must satisfy regular expression pattern: (arn:aws(-[^:]+)?:kms:[a-zA-Z0-9-]*:[0-9]{12}:((key/[a-zA-Z0-9-]{36})|(alias/[a-zA-Z0-9-_/]+)))|([a-zA-Z0-9-]{36})|(alias/[a-zA-Z0-9-_/]+)",
            ));
        }
        v["s3EncryptionKeyId"] = json!(k);
    }
    if let Some(a) = account(&s3, "s3BucketOwner")? {
        v["s3BucketOwner"] = json!(a);
    }
    Ok(json!({ "s3OutputDataConfig": v }))
}

fn vpc_config(o: &Obj) -> Result<Option<Value>> {
    let Some(vpc) = o.child("vpcConfig")? else {
        return Ok(None);
    };
    for (key, max) in [("subnetIds", 16), ("securityGroupIds", 5)] {
        let ids = vpc.strings(key)?;
        if ids.is_empty() || ids.len() > max {
            return Err(ServiceError::constraint(
                &vpc.path(key),
                &format!("Member must have length between 1 and {max}"),
            ));
        }
    }
    Ok(o.get("vpcConfig").cloned())
}

fn timeout_hours(o: &Obj) -> Result<u32> {
    let Some(v) = o.get("timeoutDurationInHours") else {
        return Ok(MIN_TIMEOUT_HOURS);
    };
    let path = o.path("timeoutDurationInHours");
    let n = v
        .as_i64()
        .ok_or_else(|| ServiceError::constraint(&path, "Member must be of type integer"))?;
    if n < i64::from(MIN_TIMEOUT_HOURS) {
        return Err(ServiceError::constraint(
            &path,
            &format!("Member must have value greater than or equal to {MIN_TIMEOUT_HOURS}"),
        ));
    }
    if n > i64::from(MAX_TIMEOUT_HOURS) {
        return Err(ServiceError::constraint(
            &path,
            &format!("Member must have value less than or equal to {MAX_TIMEOUT_HOURS}"),
        ));
    }
    Ok(n as u32)
}

/// Whether batch inference runs `model`: the text models the endpoint answers, and
/// Titan's text embeddings. Video, Marengo and multimodal embeddings only run async.
pub(super) fn supports_batch(model: &Model) -> bool {
    matches!(
        model.family,
        Family::Anthropic
            | Family::Nova
            | Family::TitanText
            | Family::Llama
            | Family::Mistral
            | Family::CohereCommandR
            | Family::Jamba
            | Family::TitanEmbed
    )
}

/// Checks a CreateModelInvocationJob body.
pub(super) fn request(catalog: &'static Catalog, region: &str, body: &Value) -> Result<Request> {
    let o = root(body)?;
    let name = o.req_str("jobName")?;
    length(&o, "jobName", name, 1, 63)?;
    pattern(&o, "jobName", name, &JOB_NAME_RE, JOB_NAME)?;
    let role_arn = o.req_str("roleArn")?;
    length(&o, "roleArn", role_arn, 0, 2048)?;
    pattern(&o, "roleArn", role_arn, &ROLE_ARN_RE, ROLE_ARN)?;
    let token = o.str("clientRequestToken")?;
    if let Some(t) = token {
        length(&o, "clientRequestToken", t, 1, 256)?;
        pattern(&o, "clientRequestToken", t, &TOKEN_RE, TOKEN)?;
    }
    let model_id = o.req_str("modelId")?;
    length(&o, "modelId", model_id, 1, 2048)?;
    let input_data_config = input_config(&o)?;
    let output_data_config = output_config(&o)?;
    let vpc_config = vpc_config(&o)?;
    let timeout_hours = timeout_hours(&o)?;
    let invocation_type = match o.str("modelInvocationType")? {
        None => "InvokeModel",
        Some(t) => INVOCATION_TYPES
            .into_iter()
            .find(|x| *x == t)
            .ok_or_else(|| {
                ServiceError::validation(format!(
                    "1 validation error detected: Value '{t}' at 'modelInvocationType' failed to satisfy constraint: Member must satisfy enum value set: [InvokeModel, Converse]"
                ))
            })?,
    };
    let tags = check_tags(&o)?;
    let model = resolve(catalog, model_id, region)?.model;
    let converse_ok = invocation_type != "Converse" || model.capabilities.converse;
    if !supports_batch(model) || !converse_ok {
        return Err(ServiceError::validation(format!(
            "The model {} doesn't support batch inference{}. Use a model that supports batch inference and try again.",
            model.id,
            if converse_ok {
                ""
            } else {
                " with the Converse invocation type"
            }
        )));
    }
    Ok(Request {
        name: name.to_owned(),
        role_arn: role_arn.to_owned(),
        token: token.map(str::to_owned),
        model_id: model_id.to_owned(),
        model,
        input_data_config,
        output_data_config,
        vpc_config,
        timeout_hours,
        invocation_type,
        tags,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    fn body() -> Value {
        json!({
            "jobName": "nightly-summaries.v2",
            "roleArn": "arn:aws:iam::123456789012:role/BedrockBatch",
            "clientRequestToken": "abc-123",
            "modelId": "anthropic.claude-3-haiku-20240307-v1:0",
            "inputDataConfig": {"s3InputDataConfig": {"s3Uri": "s3://in-bucket/data/records.jsonl"}},
            "outputDataConfig": {"s3OutputDataConfig": {"s3Uri": "s3://out-bucket/results/"}},
        })
    }

    fn error(change: impl FnOnce(&mut Value)) -> String {
        let mut b = body();
        change(&mut b);
        let e = request(Catalog::builtin(), "us-east-1", &b).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Validation, "{}", e.message);
        e.message
    }

    #[test]
    fn a_valid_request_passes_with_defaults() {
        let r = request(Catalog::builtin(), "us-east-1", &body()).unwrap();
        assert_eq!(r.timeout_hours, 24);
        assert_eq!(r.invocation_type, "InvokeModel");
        assert_eq!(
            r.input_data_config["s3InputDataConfig"]["s3InputFormat"],
            "JSONL"
        );
        assert_eq!(r.model.id, "anthropic.claude-3-haiku-20240307-v1:0");
    }

    #[test]
    fn members_follow_the_api_model() {
        let m = error(|b| b["roleArn"] = json!("arn:aws:iam::123:role/x"));
        assert!(
            m.contains("'roleArn'") && m.contains("regular expression"),
            "{m}"
        );
        let m = error(|b| b["roleArn"] = json!("arn:aws:s3:::bucket"));
        assert!(m.contains("'roleArn'"), "{m}");
        let m = error(|b| b["jobName"] = json!("bad name"));
        assert!(m.contains("'jobName'"), "{m}");
        let m = error(|b| b["jobName"] = json!("a".repeat(64)));
        assert!(m.contains("less than or equal to 63"), "{m}");
        let m = error(|b| b["clientRequestToken"] = json!("no_underscores"));
        assert!(m.contains("'clientRequestToken'"), "{m}");
        let m = error(|b| b["timeoutDurationInHours"] = json!(23));
        assert!(m.contains("greater than or equal to 24"), "{m}");
        let m = error(|b| b["timeoutDurationInHours"] = json!(169));
        assert!(m.contains("less than or equal to 168"), "{m}");
        let m = error(|b| b["inputDataConfig"] = json!({}));
        assert!(m.contains("exactly one of s3InputDataConfig"), "{m}");
        let m =
            error(|b| b["inputDataConfig"]["s3InputDataConfig"]["s3InputFormat"] = json!("CSV"));
        assert!(m.contains("[JSONL]"), "{m}");
        let m = error(|b| b["outputDataConfig"]["s3OutputDataConfig"]["s3Uri"] = json!("s3://B/x"));
        assert!(
            m.contains("outputDataConfig.s3OutputDataConfig.s3Uri"),
            "{m}"
        );
        let m = error(|b| {
            b.as_object_mut().unwrap().remove("roleArn");
        });
        assert!(
            m.contains("'roleArn'") && m.contains("must not be null"),
            "{m}"
        );
        let m = error(|b| b["modelInvocationType"] = json!("Stream"));
        assert!(m.contains("[InvokeModel, Converse]"), "{m}");
        let m = error(|b| b["vpcConfig"] = json!({"subnetIds": [], "securityGroupIds": ["sg-1"]}));
        assert!(m.contains("vpcConfig.subnetIds"), "{m}");
    }

    #[test]
    fn only_models_that_run_batches_are_accepted() {
        let m = error(|b| b["modelId"] = json!("amazon.nova-reel-v1:0"));
        assert!(m.contains("doesn't support batch inference"), "{m}");
        let m = error(|b| {
            b["modelId"] = json!("amazon.titan-embed-text-v2:0");
            b["modelInvocationType"] = json!("Converse");
        });
        assert!(m.contains("Converse invocation type"), "{m}");
        error(|b| b["modelId"] = json!("nope.model-v1:0"));
        let mut b = body();
        b["modelId"] = json!("us.amazon.nova-lite-v1:0");
        b["modelInvocationType"] = json!("Converse");
        assert!(request(Catalog::builtin(), "us-east-1", &b).is_ok());
    }
}
