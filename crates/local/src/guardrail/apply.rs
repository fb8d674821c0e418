//! The ApplyGuardrail operation: evaluates content against a guardrail without a model.

use serde_json::{Value, json};

use super::config::Resolved;
use super::engine::{Evaluation, Source, evaluate};
use super::flow::{check_names, enum_error};
use super::report::{self, Scope};
use crate::converse::blob;
use crate::error::{ErrorKind, ServiceError};
use crate::faults::{self, Fault};
use crate::json::{self, Obj, objects, root};
use crate::ops::{Call, Reply};
use crate::state::State;

const QUALIFIERS: &str = "grounding_source, query, guard_content";

pub(crate) async fn apply(
    state: &State,
    call: &Call<'_>,
    id: &str,
    version: &str,
) -> Result<Reply, ServiceError> {
    check_names(id, version, "guardrailIdentifier", "guardrailVersion")?;
    let body = json::parse_body(call.body)?;
    let o = root(&body)?;
    let source = match o.req_str("source")? {
        "INPUT" => Source::Input,
        "OUTPUT" => Source::Output,
        other => return Err(enum_error("source", other, "INPUT, OUTPUT")),
    };
    let scope = match o.str("outputScope")? {
        None | Some("INTERVENTIONS") => Scope::Interventions,
        Some("FULL") => Scope::Full,
        Some(other) => return Err(enum_error("outputScope", other, "INTERVENTIONS, FULL")),
    };
    let Content { texts, images } = content(&o)?;
    let resolved = state
        .guardrails
        .resolve(id, version, call.region)
        .ok_or_else(|| {
            ServiceError::new(
                ErrorKind::ResourceNotFound,
                format!("The guardrail {id} with version {version} was not found."),
            )
        })?;
    if let Some(reply) = inject_faults(&texts, call).await? {
        return Ok(reply);
    }

    let guarded: Vec<&str> = texts.iter().filter(|(_, g)| *g).map(|(t, _)| *t).collect();
    let context: u32 = texts
        .iter()
        .filter(|(_, g)| !*g)
        .map(|(t, _)| t.chars().count() as u32)
        .sum();
    let mut eval = evaluate(&resolved.guardrail, source, &guarded, true);
    eval.assessment.total_chars += context;
    eval.assessment.images_total = images;
    Ok(Reply::Json {
        body: response(&eval, source, scope, &resolved),
        headers: Vec::new(),
    })
}

/// What a request's `content` holds.
struct Content<'a> {
    /// Each text and whether it is guarded: text qualified only as a grounding source
    /// or query is context for contextual grounding checks, which the other policies
    /// do not evaluate.
    texts: Vec<(&'a str, bool)>,
    images: u32,
}

fn content<'a>(o: &Obj<'a>) -> Result<Content<'a>, ServiceError> {
    let mut texts = Vec::new();
    let mut images = 0u32;
    for block in objects(o.req_arr("content")?, "content")? {
        if let Some(t) = block.child("text")? {
            let qualifiers = t.strings("qualifiers")?;
            for q in &qualifiers {
                if !matches!(q.as_str(), "grounding_source" | "query" | "guard_content") {
                    return Err(enum_error(&t.path("qualifiers.member"), q, QUALIFIERS));
                }
            }
            let guarded = qualifiers.is_empty() || qualifiers.iter().any(|q| q == "guard_content");
            texts.push((t.req_str("text")?, guarded));
        } else if let Some(img) = block.child("image")? {
            let format = img.req_str("format")?;
            if !matches!(format, "png" | "jpeg") {
                return Err(enum_error(&img.path("format"), format, "png, jpeg"));
            }
            let src = img.child("source")?.ok_or_else(|| img.missing("source"))?;
            if blob(&src, "bytes")?.is_empty() {
                return Err(ServiceError::constraint(
                    &src.path("bytes"),
                    "Member must have length greater than or equal to 1",
                ));
            }
            images += 1;
        } else {
            return Err(ServiceError::validation(format!(
                "1 validation error detected: Value at '{}' failed to satisfy constraint: Member must have exactly one of text or image set",
                block.path("").trim_end_matches('.')
            )));
        }
    }
    Ok(Content { texts, images })
}

/// Acts out the fault directives in the texts and the faults drawn for the call; a
/// reply when one ends the call before the evaluation.
async fn inject_faults(
    texts: &[(&str, bool)],
    call: &Call<'_>,
) -> Result<Option<Reply>, ServiceError> {
    let mut all_faults = Vec::new();
    for (text, _) in texts {
        all_faults.extend(faults::directives(text)?);
    }
    all_faults.extend(call.drawn);
    for f in all_faults {
        match f {
            Fault::Error(kind) => return Err(ServiceError::of(kind)),
            Fault::Stall(d) => tokio::time::sleep(d).await,
            Fault::Drop(_) => return Ok(Some(Reply::Drop)),
            // There is no stream to break: the evaluation itself fails.
            Fault::StreamError(_) => return Err(ServiceError::of(ErrorKind::InternalServer)),
        }
    }
    Ok(None)
}

/// The ApplyGuardrail response: the action, the outputs (the blocked message or the
/// masked texts), the assessment, usage and coverage.
fn response(eval: &Evaluation, source: Source, scope: Scope, resolved: &Resolved) -> Value {
    let g = &resolved.guardrail;
    let outputs: Vec<Value> = if eval.blocked {
        let message = match source {
            Source::Input => &g.blocked_input,
            Source::Output => &g.blocked_output,
        };
        vec![json!({ "text": message })]
    } else if eval.anonymized {
        eval.masked.iter().map(|t| json!({ "text": t })).collect()
    } else {
        Vec::new()
    };
    let (action, reason) = if eval.blocked {
        ("GUARDRAIL_INTERVENED", "Guardrail blocked.")
    } else if eval.anonymized {
        ("GUARDRAIL_INTERVENED", "Guardrail masked.")
    } else {
        ("NONE", "No action.")
    };
    let a = &eval.assessment;
    json!({
        "usage": report::usage(&a.units),
        "action": action,
        "actionReason": reason,
        "outputs": outputs,
        "assessments": [report::assessment(a, scope, resolved)],
        "guardrailCoverage": report::coverage(a),
    })
}
