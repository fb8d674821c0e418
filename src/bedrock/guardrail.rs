//! Guardrails through the SDK: ApplyGuardrail, the `guardrailConfig` of a streamed
//! turn, and the conversion of assessments and traces to the app's own types.

use aws_sdk_bedrockruntime::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_bedrockruntime::types as sdk;
use serde_json::json;

use super::{BedrockError, Connection, error};
use crate::guardrail::{
    AppliedGuardrail, ApplyResult, Assessment, AutomatedReasoningPolicy, ContentFilter,
    ContentPolicy, ContextualGroundingPolicy, Coverage, GroundingFilter, GuardrailChoice,
    GuardrailUsage, Metrics, OutputText, PiiEntity, RegexMatch, SensitiveInformationPolicy, Source,
    StreamMode, TextCoverage, Topic, TopicPolicy, Trace, TraceMode, Word, WordPolicy,
};

/// The IAM action ApplyGuardrail, and a guarded turn on its guardrail, need.
pub const APPLY_ACTION: &str = "bedrock:ApplyGuardrail";

/// Screens `texts` (one content block each) with the chosen guardrail, as the prompt
/// (`Source::Input`) or as a model's answer (`Source::Output`). With `full`, the
/// assessments list every configured filter, not only those that acted.
pub async fn apply(
    conn: &Connection,
    choice: &GuardrailChoice,
    source: Source,
    texts: &[String],
    full: bool,
) -> Result<ApplyResult, BedrockError> {
    let mut call = conn
        .client
        .apply_guardrail()
        .guardrail_identifier(&choice.id)
        .guardrail_version(&choice.version)
        .source(match source {
            Source::Input => sdk::GuardrailContentSource::Input,
            Source::Output => sdk::GuardrailContentSource::Output,
        });
    for t in texts {
        let block = sdk::GuardrailTextBlock::builder()
            .text(t)
            .build()
            .map_err(|e| BedrockError::Validation {
                message: e.to_string(),
            })?;
        call = call.content(sdk::GuardrailContentBlock::Text(block));
    }
    if full {
        call = call.output_scope(sdk::GuardrailOutputScope::Full);
    }
    let out = call
        .send()
        .await
        .map_err(|e| error(&e, choice, conn.profile.as_deref()))?;
    Ok(ApplyResult {
        action: out.action().as_str().to_owned(),
        action_reason: out.action_reason().map(str::to_owned),
        outputs: out
            .outputs()
            .iter()
            .map(|o| OutputText {
                text: o.text().unwrap_or_default().to_owned(),
            })
            .collect(),
        assessments: out.assessments().iter().map(assessment).collect(),
        usage: out.usage().map(usage),
        guardrail_coverage: out.guardrail_coverage().map(coverage),
    })
}

/// An SDK error of a call that used `choice`: a missing guardrail says which, and
/// access denied names the permission guardrails need.
pub(super) fn error<E, R>(
    err: &SdkError<E, R>,
    choice: &GuardrailChoice,
    profile: Option<&str>,
) -> BedrockError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: super::error::Raw + std::fmt::Debug + 'static,
{
    if names_missing_guardrail(err) {
        return BedrockError::GuardrailNotFound {
            id: choice.id.clone(),
            version: choice.version.clone(),
        };
    }
    error::from_sdk_action(err, APPLY_ACTION, profile)
}

/// Whether the error says the guardrail does not exist: ApplyGuardrail answers
/// ResourceNotFoundException, a guarded Converse a ValidationException naming it.
pub(super) fn names_missing_guardrail<E, R>(err: &SdkError<E, R>) -> bool
where
    E: ProvideErrorMetadata,
{
    let message = err.message().unwrap_or_default().to_ascii_lowercase();
    match err.code() {
        Some("ResourceNotFoundException") => message.contains("guardrail"),
        Some("ValidationException") => {
            message.contains("guardrail identifier or version")
                && message.contains("does not exist")
        }
        _ => false,
    }
}

/// The `guardrailConfig` of a streamed turn.
pub(super) fn stream_config(choice: &GuardrailChoice) -> sdk::GuardrailStreamConfiguration {
    sdk::GuardrailStreamConfiguration::builder()
        .guardrail_identifier(&choice.id)
        .guardrail_version(&choice.version)
        .trace(match choice.trace {
            TraceMode::Enabled => sdk::GuardrailTrace::Enabled,
            TraceMode::EnabledFull => sdk::GuardrailTrace::EnabledFull,
        })
        .stream_processing_mode(match choice.stream {
            StreamMode::Sync => sdk::GuardrailStreamProcessingMode::Sync,
            StreamMode::Async => sdk::GuardrailStreamProcessingMode::Async,
        })
        .build()
}

/// The guardrail trace of a turn's metadata.
pub fn trace(t: &sdk::GuardrailTraceAssessment) -> Trace {
    let mut input: Vec<(String, Assessment)> = t
        .input_assessment()
        .into_iter()
        .flatten()
        .map(|(k, v)| (k.clone(), assessment(v)))
        .collect();
    // The service sends a map; a stable order keeps the pane and history steady.
    input.sort_by(|a, b| a.0.cmp(&b.0));
    Trace {
        input,
        outputs: t
            .output_assessments()
            .into_iter()
            .flat_map(|m| m.values())
            .flatten()
            .map(assessment)
            .collect(),
        action_reason: t.action_reason().map(str::to_owned),
        model_output: t.model_output().to_vec(),
        guardrail: None,
    }
}

pub fn assessment(a: &sdk::GuardrailAssessment) -> Assessment {
    Assessment {
        topic_policy: a.topic_policy().map(|p| TopicPolicy {
            topics: p
                .topics()
                .iter()
                .map(|t| Topic {
                    name: t.name().to_owned(),
                    kind: t.r#type().as_str().to_owned(),
                    action: t.action().as_str().to_owned(),
                    detected: t.detected(),
                })
                .collect(),
        }),
        content_policy: a.content_policy().map(|p| ContentPolicy {
            filters: p
                .filters()
                .iter()
                .map(|f| ContentFilter {
                    kind: f.r#type().as_str().to_owned(),
                    confidence: f.confidence().as_str().to_owned(),
                    filter_strength: f.filter_strength().map(|s| s.as_str().to_owned()),
                    action: f.action().as_str().to_owned(),
                    detected: f.detected(),
                })
                .collect(),
        }),
        word_policy: a.word_policy().map(|p| WordPolicy {
            custom_words: p
                .custom_words()
                .iter()
                .map(|w| Word {
                    matched: w.r#match().to_owned(),
                    kind: None,
                    action: w.action().as_str().to_owned(),
                    detected: w.detected(),
                })
                .collect(),
            managed_word_lists: p
                .managed_word_lists()
                .iter()
                .map(|w| Word {
                    matched: w.r#match().to_owned(),
                    kind: Some(w.r#type().as_str().to_owned()),
                    action: w.action().as_str().to_owned(),
                    detected: w.detected(),
                })
                .collect(),
        }),
        sensitive_information_policy: a.sensitive_information_policy().map(|p| {
            SensitiveInformationPolicy {
                pii_entities: p
                    .pii_entities()
                    .iter()
                    .map(|e| PiiEntity {
                        matched: e.r#match().to_owned(),
                        kind: e.r#type().as_str().to_owned(),
                        action: e.action().as_str().to_owned(),
                        detected: e.detected(),
                    })
                    .collect(),
                regexes: p
                    .regexes()
                    .iter()
                    .map(|r| RegexMatch {
                        name: r.name().map(str::to_owned),
                        matched: r.r#match().map(str::to_owned),
                        regex: r.regex().map(str::to_owned),
                        action: r.action().as_str().to_owned(),
                        detected: r.detected(),
                    })
                    .collect(),
            }
        }),
        contextual_grounding_policy: a.contextual_grounding_policy().map(|p| {
            ContextualGroundingPolicy {
                filters: p
                    .filters()
                    .iter()
                    .map(|g| GroundingFilter {
                        kind: g.r#type().as_str().to_owned(),
                        threshold: g.threshold(),
                        score: g.score(),
                        action: g.action().as_str().to_owned(),
                        detected: g.detected(),
                    })
                    .collect(),
            }
        }),
        automated_reasoning_policy: a.automated_reasoning_policy().map(|p| {
            AutomatedReasoningPolicy {
                findings: p.findings().iter().map(finding).collect(),
            }
        }),
        invocation_metrics: a.invocation_metrics().map(|m| Metrics {
            guardrail_processing_latency: m.guardrail_processing_latency(),
            usage: m.usage().map(usage),
            guardrail_coverage: m.guardrail_coverage().map(coverage),
        }),
        applied_guardrail_details: a.applied_guardrail_details().map(|d| AppliedGuardrail {
            guardrail_id: d.guardrail_id().map(str::to_owned),
            guardrail_version: d.guardrail_version().map(str::to_owned),
            guardrail_arn: d.guardrail_arn().map(str::to_owned),
            guardrail_origin: d
                .guardrail_origin()
                .iter()
                .map(|o| o.as_str().to_owned())
                .collect(),
            guardrail_ownership: d.guardrail_ownership().map(|o| o.as_str().to_owned()),
        }),
    }
}

/// An automated reasoning finding as JSON: its kind, as the service's union member is
/// named, and its details. The SDK's types do not serialize, so the details are their
/// debug rendering, which names every field.
fn finding(f: &sdk::GuardrailAutomatedReasoningFinding) -> serde_json::Value {
    use sdk::GuardrailAutomatedReasoningFinding as F;
    let kind = match f {
        F::Impossible(_) => "impossible",
        F::Invalid(_) => "invalid",
        F::NoTranslations(_) => "noTranslations",
        F::Satisfiable(_) => "satisfiable",
        F::TooComplex(_) => "tooComplex",
        F::TranslationAmbiguous(_) => "translationAmbiguous",
        F::Valid(_) => "valid",
        _ => "unknown",
    };
    json!({ kind: { "details": format!("{f:?}") } })
}

fn usage(u: &sdk::GuardrailUsage) -> GuardrailUsage {
    GuardrailUsage {
        topic_policy_units: u.topic_policy_units(),
        content_policy_units: u.content_policy_units(),
        word_policy_units: u.word_policy_units(),
        sensitive_information_policy_units: u.sensitive_information_policy_units(),
        sensitive_information_policy_free_units: u.sensitive_information_policy_free_units(),
        contextual_grounding_policy_units: u.contextual_grounding_policy_units(),
        content_policy_image_units: u.content_policy_image_units(),
        automated_reasoning_policy_units: u.automated_reasoning_policy_units(),
        automated_reasoning_policies: u.automated_reasoning_policies(),
    }
}

fn coverage(c: &sdk::GuardrailCoverage) -> Coverage {
    Coverage {
        text_characters: c.text_characters().map(|t| TextCoverage {
            guarded: t.guarded(),
            total: t.total(),
        }),
    }
}
