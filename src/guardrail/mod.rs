//! Guardrails as the app sees them: which guardrail a turn uses, and what a guardrail
//! found (ApplyGuardrail results and the traces of guarded turns), independent of the
//! SDK types so they can be stored in history and shown by the UI.
//!
//! The assessment types serialize in the service's own shape (camelCase members, empty
//! parts left out), so `guardrail apply --json` prints what ApplyGuardrail returned.

pub mod content;
pub mod findings;

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// The version used when none is given.
pub const DRAFT: &str = "DRAFT";

/// What the trace of a guarded turn reports.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TraceMode {
    /// The policies that acted and what they matched.
    #[default]
    Enabled,
    /// Also every configured filter that did not act.
    EnabledFull,
}

/// How a streamed answer is screened.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StreamMode {
    /// Each chunk is screened before it is passed on.
    #[default]
    Sync,
    /// Chunks are passed on at once and screened in the background.
    Async,
}

/// The guardrail a turn or a check uses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GuardrailChoice {
    pub id: String,
    pub version: String,
    pub label: Option<String>,
    pub trace: TraceMode,
    pub stream: StreamMode,
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ChoiceError {
    #[error(
        "'{0}' is not a guardrail identifier: use the guardrail's id (lowercase letters and digits) or its ARN (arn:aws:bedrock:REGION:ACCOUNT:guardrail/ID)"
    )]
    Id(String),
    #[error("'{0}' is not a guardrail version: use DRAFT or a version number from 1 to 99999999")]
    Version(String),
}

impl GuardrailChoice {
    /// A choice of `id` at `version` with the default trace and stream modes; both are
    /// checked against the service model's patterns.
    pub fn new(id: &str, version: &str) -> Result<Self, ChoiceError> {
        if !valid_id(id) {
            return Err(ChoiceError::Id(id.to_owned()));
        }
        if !valid_version(version) {
            return Err(ChoiceError::Version(version.to_owned()));
        }
        Ok(GuardrailChoice {
            id: id.to_owned(),
            version: version.to_owned(),
            label: None,
            trace: TraceMode::default(),
            stream: StreamMode::default(),
        })
    }

    /// Parses `ID[:VERSION]` (the version defaults to DRAFT). An ARN contains colons
    /// itself, so only a last part that reads as a version is taken as one.
    pub fn parse(spec: &str) -> Result<Self, ChoiceError> {
        let spec = spec.trim();
        match spec.rsplit_once(':') {
            Some((id, v)) if valid_version(v) => Self::new(id, v),
            Some((id, v)) if !id.starts_with("arn:") => Err(if valid_id(id) {
                ChoiceError::Version(v.to_owned())
            } else {
                ChoiceError::Id(spec.to_owned())
            }),
            _ => Self::new(spec, DRAFT),
        }
    }

    /// The label when there is one, else `id:version`.
    pub fn name(&self) -> String {
        match &self.label {
            Some(l) => l.clone(),
            None => format!("{}:{}", self.id, self.version),
        }
    }
}

/// The service model's GuardrailIdentifier pattern without its empty alternative: the
/// local endpoint checks requests with the same patterns.
fn valid_id(id: &str) -> bool {
    !id.is_empty() && crate::local::guardrail::valid_identifier(id)
}

fn valid_version(v: &str) -> bool {
    !v.is_empty() && crate::local::guardrail::valid_version(v)
}

/// Where screened text comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Source {
    Input,
    Output,
}

/// The action ApplyGuardrail and traces report when a guardrail acted.
pub const INTERVENED: &str = "GUARDRAIL_INTERVENED";

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Topic {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub action: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detected: Option<bool>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContentFilter {
    #[serde(rename = "type")]
    pub kind: String,
    pub confidence: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter_strength: Option<String>,
    pub action: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detected: Option<bool>,
}

/// A custom word, or a managed-list word when `kind` (PROFANITY) is set.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Word {
    #[serde(rename = "match")]
    pub matched: String,
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    pub action: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detected: Option<bool>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PiiEntity {
    #[serde(rename = "match")]
    pub matched: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub action: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detected: Option<bool>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RegexMatch {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(rename = "match", default, skip_serializing_if = "Option::is_none")]
    pub matched: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub regex: Option<String>,
    pub action: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detected: Option<bool>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GroundingFilter {
    #[serde(rename = "type")]
    pub kind: String,
    pub threshold: f64,
    pub score: f64,
    pub action: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detected: Option<bool>,
}

/// Units billed per policy, as GuardrailUsage names them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GuardrailUsage {
    pub topic_policy_units: i32,
    pub content_policy_units: i32,
    pub word_policy_units: i32,
    pub sensitive_information_policy_units: i32,
    pub sensitive_information_policy_free_units: i32,
    pub contextual_grounding_policy_units: i32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_policy_image_units: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub automated_reasoning_policy_units: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub automated_reasoning_policies: Option<i32>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TextCoverage {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guarded: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total: Option<i32>,
}

/// How much of the text a guardrail screened.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Coverage {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text_characters: Option<TextCoverage>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Metrics {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guardrail_processing_latency: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<GuardrailUsage>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guardrail_coverage: Option<Coverage>,
}

macro_rules! policy {
    ($(#[$doc:meta])* $name:ident { $($field:ident: $ty:ty),* }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
        #[serde(rename_all = "camelCase")]
        pub struct $name {
            $(#[serde(default)] pub $field: Vec<$ty>,)*
        }
    };
}

policy!(TopicPolicy { topics: Topic });
policy!(ContentPolicy {
    filters: ContentFilter
});
policy!(WordPolicy {
    custom_words: Word,
    managed_word_lists: Word
});
policy!(SensitiveInformationPolicy {
    pii_entities: PiiEntity,
    regexes: RegexMatch
});
policy!(ContextualGroundingPolicy {
    filters: GroundingFilter
});
policy!(
    /// Automated reasoning findings, kept as JSON: the UI shows them as they are.
    AutomatedReasoningPolicy { findings: serde_json::Value }
);

/// Which guardrail produced an assessment, and where its use came from.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AppliedGuardrail {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guardrail_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guardrail_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guardrail_arn: Option<String>,
    /// REQUEST, ACCOUNT_ENFORCED or ORGANIZATION_ENFORCED.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub guardrail_origin: Vec<String>,
    /// SELF or CROSS_ACCOUNT.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guardrail_ownership: Option<String>,
}

/// What one guardrail found in one screened text, policy by policy, in the shape of
/// the service's GuardrailAssessment.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Assessment {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topic_policy: Option<TopicPolicy>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_policy: Option<ContentPolicy>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub word_policy: Option<WordPolicy>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sensitive_information_policy: Option<SensitiveInformationPolicy>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contextual_grounding_policy: Option<ContextualGroundingPolicy>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub automated_reasoning_policy: Option<AutomatedReasoningPolicy>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invocation_metrics: Option<Metrics>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub applied_guardrail_details: Option<AppliedGuardrail>,
}

/// A finding's action and `detected` flag.
type Action<'a> = (&'a str, Option<bool>);

/// A finding acted when the service marks it detected, or, for services that leave
/// `detected` out, when its action is not NONE.
pub fn acted(action: &str, detected: Option<bool>) -> bool {
    detected.unwrap_or(action != "NONE")
}

impl Assessment {
    /// The action and `detected` flag of every finding, by policy in the service's
    /// order (automated reasoning's findings have neither, and are left out).
    fn actions(&self) -> [(&'static str, Vec<Action<'_>>); 5] {
        let topics = self.topic_policy.iter().flat_map(|p| &p.topics);
        let filters = self.content_policy.iter().flat_map(|p| &p.filters);
        let words = self
            .word_policy
            .iter()
            .flat_map(|p| p.custom_words.iter().chain(&p.managed_word_lists));
        let pii = self
            .sensitive_information_policy
            .iter()
            .flat_map(|p| &p.pii_entities);
        let regexes = self
            .sensitive_information_policy
            .iter()
            .flat_map(|p| &p.regexes);
        let grounding = self
            .contextual_grounding_policy
            .iter()
            .flat_map(|p| &p.filters);
        [
            (
                "topicPolicy",
                Iterator::collect(topics.map(|t| (t.action.as_str(), t.detected))),
            ),
            (
                "contentPolicy",
                Iterator::collect(filters.map(|f| (f.action.as_str(), f.detected))),
            ),
            (
                "wordPolicy",
                Iterator::collect(words.map(|w| (w.action.as_str(), w.detected))),
            ),
            (
                "sensitiveInformationPolicy",
                Iterator::collect(
                    pii.map(|e| (e.action.as_str(), e.detected))
                        .chain(regexes.map(|r| (r.action.as_str(), r.detected))),
                ),
            ),
            (
                "contextualGroundingPolicy",
                Iterator::collect(grounding.map(|g| (g.action.as_str(), g.detected))),
            ),
        ]
    }

    /// Whether a finding that acted blocked the text (rather than masking it).
    pub fn blocked(&self) -> bool {
        self.actions()
            .iter()
            .flat_map(|(_, found)| found)
            .any(|&(a, d)| a == "BLOCKED" && acted(a, d))
    }

    /// The policies with at least one finding that acted, in the service's order. An
    /// automated reasoning finding other than `valid` counts as acting.
    pub fn policies_that_fired(&self) -> Vec<&'static str> {
        let reasoning = self
            .automated_reasoning_policy
            .as_ref()
            .is_some_and(|p| p.findings.iter().any(|f| f.get("valid").is_none()));
        self.actions()
            .into_iter()
            .filter(|(_, found)| found.iter().any(|&(a, d)| acted(a, d)))
            .map(|(name, _)| name)
            .chain(reasoning.then_some("automatedReasoningPolicy"))
            .collect()
    }
}

/// The trace of one guarded turn, from the stream's metadata.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Trace {
    /// The name of the guardrail the turn was sent with (see [`GuardrailChoice::name`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guardrail: Option<String>,
    /// The prompt's assessments, keyed by guardrail id as the service sends them.
    pub input: Vec<(String, Assessment)>,
    /// The answer's assessments, one per screened chunk or block.
    pub outputs: Vec<Assessment>,
    pub action_reason: Option<String>,
    /// The model's answer before the guardrail replaced it, when it did.
    pub model_output: Vec<String>,
}

impl Trace {
    /// Whether any assessment of the turn acted.
    pub fn intervened(&self) -> bool {
        self.input
            .iter()
            .map(|(_, a)| a)
            .chain(&self.outputs)
            .any(|a| !a.policies_that_fired().is_empty())
    }

    /// Whether the guardrail blocked the prompt or the answer, so the exchange holds
    /// the guardrail's message instead of a real answer.
    pub fn blocked(&self) -> bool {
        self.input
            .iter()
            .map(|(_, a)| a)
            .chain(&self.outputs)
            .any(Assessment::blocked)
    }

    /// The trace as history keeps it: PII and regex matches masked, and without the
    /// model's replaced output, which is exactly what the guardrail kept off screen.
    pub fn redacted(&self) -> Trace {
        let mut t = self.clone();
        for a in t.input.iter_mut().map(|(_, a)| a).chain(&mut t.outputs) {
            if let Some(p) = &mut a.sensitive_information_policy {
                for e in &mut p.pii_entities {
                    e.matched = mask(&e.matched);
                }
                for r in &mut p.regexes {
                    r.matched = r.matched.as_deref().map(mask);
                }
            }
        }
        t.model_output.clear();
        t
    }
}

/// One output text of ApplyGuardrail.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutputText {
    pub text: String,
}

/// What ApplyGuardrail returned.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApplyResult {
    /// `GUARDRAIL_INTERVENED` or `NONE`.
    pub action: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action_reason: Option<String>,
    pub outputs: Vec<OutputText>,
    pub assessments: Vec<Assessment>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<GuardrailUsage>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guardrail_coverage: Option<Coverage>,
}

impl ApplyResult {
    pub fn intervened(&self) -> bool {
        self.action == INTERVENED
    }
}

/// PII as it may be shown on screen: the first and last character and the length,
/// so a user can tell what matched without the value being displayed or logged.
pub fn mask(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    match chars.len() {
        0 => String::new(),
        n if n <= 4 => "•".repeat(n),
        n => format!("{}{}{}", chars[0], "•".repeat(n - 2), chars[n - 1]),
    }
}

/// `text` masked unless `reveal` is set.
pub fn shown(text: &str, reveal: bool) -> String {
    if reveal { text.to_owned() } else { mask(text) }
}

/// A trace whose prompt hit a denied topic and was blocked (guardrail "demo"): the
/// fixture of the tests of what shows a blocked turn.
#[cfg(test)]
pub(crate) fn denied_topic_trace() -> Trace {
    Trace {
        input: vec![(
            "demo".into(),
            Assessment {
                topic_policy: Some(TopicPolicy {
                    topics: vec![Topic {
                        name: "Investment advice".into(),
                        kind: "DENY".into(),
                        action: "BLOCKED".into(),
                        detected: Some(true),
                    }],
                }),
                ..Assessment::default()
            },
        )],
        action_reason: Some("Guardrail blocked.".into()),
        ..Trace::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_alone_means_the_draft() {
        let c = GuardrailChoice::parse("demo").unwrap();
        assert_eq!((c.id.as_str(), c.version.as_str()), ("demo", "DRAFT"));
        assert_eq!(c.trace, TraceMode::Enabled);
        assert_eq!(c.stream, StreamMode::Sync);
        let c = GuardrailChoice::parse("abc123:7").unwrap();
        assert_eq!((c.id.as_str(), c.version.as_str()), ("abc123", "7"));
        assert_eq!(GuardrailChoice::parse("x:DRAFT").unwrap().version, "DRAFT");
    }

    #[test]
    fn an_arn_keeps_its_colons() {
        let arn = "arn:aws:bedrock:us-east-1:123456789012:guardrail/abc1";
        let c = GuardrailChoice::parse(arn).unwrap();
        assert_eq!((c.id.as_str(), c.version.as_str()), (arn, "DRAFT"));
        let c = GuardrailChoice::parse(&format!("{arn}:3")).unwrap();
        assert_eq!((c.id.as_str(), c.version.as_str()), (arn, "3"));
        assert!(
            GuardrailChoice::parse("arn:aws-cn:bedrock:cn-north-1:123456789012:guardrail/g")
                .is_ok()
        );
    }

    #[test]
    fn bad_ids_and_versions_say_what_is_wrong() {
        assert_eq!(
            GuardrailChoice::parse("demo:0"),
            Err(ChoiceError::Version("0".into()))
        );
        assert_eq!(
            GuardrailChoice::parse("demo:draft"),
            Err(ChoiceError::Version("draft".into()))
        );
        assert_eq!(
            GuardrailChoice::parse("demo:123456789"),
            Err(ChoiceError::Version("123456789".into()))
        );
        assert!(matches!(
            GuardrailChoice::parse("Demo"),
            Err(ChoiceError::Id(_))
        ));
        assert!(matches!(
            GuardrailChoice::parse(""),
            Err(ChoiceError::Id(_))
        ));
        assert!(matches!(
            GuardrailChoice::parse("arn:aws:bedrock:us-east-1:1234:guardrail/x"),
            Err(ChoiceError::Id(_))
        ));
        let msg = GuardrailChoice::parse("demo:v2").unwrap_err().to_string();
        assert!(msg.contains("DRAFT or a version number"), "{msg}");
    }

    #[test]
    fn masking_hides_all_but_the_ends() {
        assert_eq!(mask("123-45-6789"), "1•••••••••9");
        assert_eq!(mask("abcd"), "••••");
        assert_eq!(mask(""), "");
        assert_eq!(mask("é€ab5"), "é•••5");
        assert_eq!(shown("123-45-6789", true), "123-45-6789");
        assert_eq!(shown("123-45-6789", false), "1•••••••••9");
    }

    #[test]
    fn only_findings_that_acted_fire_their_policy() {
        let mut a = Assessment {
            topic_policy: Some(TopicPolicy {
                topics: vec![Topic {
                    name: "Investing".into(),
                    kind: "DENY".into(),
                    action: "BLOCKED".into(),
                    detected: Some(true),
                }],
            }),
            content_policy: Some(ContentPolicy {
                filters: vec![ContentFilter {
                    kind: "HATE".into(),
                    confidence: "NONE".into(),
                    action: "NONE".into(),
                    detected: Some(false),
                    ..ContentFilter::default()
                }],
            }),
            ..Assessment::default()
        };
        assert_eq!(a.policies_that_fired(), vec!["topicPolicy"]);
        a.sensitive_information_policy = Some(SensitiveInformationPolicy {
            pii_entities: vec![PiiEntity {
                matched: "123-45-6789".into(),
                kind: "US_SOCIAL_SECURITY_NUMBER".into(),
                action: "ANONYMIZED".into(),
                detected: None,
            }],
            regexes: vec![],
        });
        assert_eq!(
            a.policies_that_fired(),
            vec!["topicPolicy", "sensitiveInformationPolicy"]
        );
        assert!(Assessment::default().policies_that_fired().is_empty());
        let trace = Trace {
            outputs: vec![a],
            ..Trace::default()
        };
        assert!(trace.intervened());
        assert!(!Trace::default().intervened());
        let stored = Trace {
            model_output: vec!["call me at 555-0100".into()],
            ..trace.clone()
        }
        .redacted();
        let pii = &stored.outputs[0]
            .sensitive_information_policy
            .as_ref()
            .unwrap();
        assert_eq!(pii.pii_entities[0].matched, "1•••••••••9");
        assert!(stored.model_output.is_empty());
        assert_eq!(
            stored.outputs[0].topic_policy,
            trace.outputs[0].topic_policy
        );
    }

    #[test]
    fn modes_read_as_the_config_writes_them() {
        let t: TraceMode = serde_json::from_str("\"enabled_full\"").unwrap();
        assert_eq!(t, TraceMode::EnabledFull);
        let s: StreamMode = serde_json::from_str("\"async\"").unwrap();
        assert_eq!(s, StreamMode::Async);
    }
}
