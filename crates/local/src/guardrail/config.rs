//! Guardrail definitions and the registry requests look them up in. A definition is
//! CreateGuardrail's request shape plus the identifier and versions it answers to;
//! `assets/guardrails.json` holds the built-in ones and `--guardrails FILE` adds more.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;
use std::sync::{Arc, LazyLock};

use regex::{Regex, RegexBuilder};
use serde::Deserialize;

use super::lexicon::TopicMatcher;

/// What a filter does on one side (prompt or response) when it detects something.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Act {
    Block,
    Anonymize,
    /// Detect mode: the finding is reported, nothing is changed.
    Detect,
}

/// A content filter's strength, and the confidence of a finding (same four levels).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub(crate) enum Level {
    None,
    Low,
    Medium,
    High,
}

impl Level {
    pub(crate) fn wire(self) -> &'static str {
        match self {
            Level::None => "NONE",
            Level::Low => "LOW",
            Level::Medium => "MEDIUM",
            Level::High => "HIGH",
        }
    }

    /// Whether a filter of this strength acts on a finding of `confidence`: a HIGH
    /// filter acts on anything it finds, a LOW one only on high-confidence findings.
    pub(crate) fn acts_on(self, confidence: Level) -> bool {
        match self {
            Level::None => false,
            Level::Low => confidence >= Level::High,
            Level::Medium => confidence >= Level::Medium,
            Level::High => confidence >= Level::Low,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub(crate) enum FilterType {
    Sexual,
    Violence,
    Hate,
    Insults,
    Misconduct,
    PromptAttack,
}

impl FilterType {
    pub(crate) fn wire(self) -> &'static str {
        match self {
            FilterType::Sexual => "SEXUAL",
            FilterType::Violence => "VIOLENCE",
            FilterType::Hate => "HATE",
            FilterType::Insults => "INSULTS",
            FilterType::Misconduct => "MISCONDUCT",
            FilterType::PromptAttack => "PROMPT_ATTACK",
        }
    }
}

macro_rules! pii_types {
    ($($variant:ident => $wire:literal,)*) => {
        /// The PII entity types of the service's sensitive information filters.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
        pub(crate) enum PiiType {
            $(#[serde(rename = $wire)] $variant,)*
        }

        impl PiiType {
            pub(crate) fn wire(self) -> &'static str {
                match self {
                    $(PiiType::$variant => $wire,)*
                }
            }
        }
    };
}

pii_types! {
    Address => "ADDRESS",
    Age => "AGE",
    AwsAccessKey => "AWS_ACCESS_KEY",
    AwsSecretKey => "AWS_SECRET_KEY",
    CaHealthNumber => "CA_HEALTH_NUMBER",
    CaSocialInsuranceNumber => "CA_SOCIAL_INSURANCE_NUMBER",
    CreditDebitCardCvv => "CREDIT_DEBIT_CARD_CVV",
    CreditDebitCardExpiry => "CREDIT_DEBIT_CARD_EXPIRY",
    CreditDebitCardNumber => "CREDIT_DEBIT_CARD_NUMBER",
    DriverId => "DRIVER_ID",
    Email => "EMAIL",
    InternationalBankAccountNumber => "INTERNATIONAL_BANK_ACCOUNT_NUMBER",
    IpAddress => "IP_ADDRESS",
    LicensePlate => "LICENSE_PLATE",
    MacAddress => "MAC_ADDRESS",
    Name => "NAME",
    Password => "PASSWORD",
    Phone => "PHONE",
    Pin => "PIN",
    SwiftCode => "SWIFT_CODE",
    UkNationalHealthServiceNumber => "UK_NATIONAL_HEALTH_SERVICE_NUMBER",
    UkNationalInsuranceNumber => "UK_NATIONAL_INSURANCE_NUMBER",
    UkUniqueTaxpayerReferenceNumber => "UK_UNIQUE_TAXPAYER_REFERENCE_NUMBER",
    Url => "URL",
    Username => "USERNAME",
    UsBankAccountNumber => "US_BANK_ACCOUNT_NUMBER",
    UsBankRoutingNumber => "US_BANK_ROUTING_NUMBER",
    UsIndividualTaxIdentificationNumber => "US_INDIVIDUAL_TAX_IDENTIFICATION_NUMBER",
    UsPassportNumber => "US_PASSPORT_NUMBER",
    UsSocialSecurityNumber => "US_SOCIAL_SECURITY_NUMBER",
    VehicleIdentificationNumber => "VEHICLE_IDENTIFICATION_NUMBER",
}

/// What a policy entry does on each side; `None` is a side it is disabled on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Sides<T> {
    pub input: Option<T>,
    pub output: Option<T>,
}

impl<T: Copy> Sides<T> {
    pub(crate) fn get(&self, source: super::engine::Source) -> Option<T> {
        match source {
            super::engine::Source::Input => self.input,
            super::engine::Source::Output => self.output,
        }
    }
}

#[derive(Debug)]
pub(crate) struct Topic {
    pub name: String,
    pub matcher: TopicMatcher,
    pub sides: Sides<Act>,
}

#[derive(Debug)]
pub(crate) struct Filter {
    pub kind: FilterType,
    pub sides: Sides<(Level, Act)>,
}

#[derive(Debug)]
pub(crate) struct Word {
    pub regex: Regex,
    pub sides: Sides<Act>,
}

#[derive(Debug)]
pub(crate) struct PiiRule {
    pub kind: PiiType,
    pub sides: Sides<Act>,
}

#[derive(Debug)]
pub(crate) struct RegexRule {
    pub name: String,
    pub pattern: String,
    pub regex: Regex,
    pub sides: Sides<Act>,
}

/// A guardrail, validated and ready to evaluate.
#[derive(Debug, Deserialize)]
#[serde(try_from = "RawGuardrail")]
pub(crate) struct Guardrail {
    pub id: String,
    pub versions: Vec<String>,
    pub topics: Vec<Topic>,
    pub filters: Vec<Filter>,
    pub words: Vec<Word>,
    /// The managed PROFANITY list, when configured.
    pub profanity: Option<Sides<Act>>,
    pub pii: Vec<PiiRule>,
    pub regexes: Vec<RegexRule>,
    pub blocked_input: String,
    pub blocked_output: String,
}

// ---- the file's shapes (CreateGuardrail's request members) ----

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RawGuardrail {
    guardrail_id: String,
    versions: Vec<String>,
    name: String,
    #[serde(default)]
    #[allow(dead_code)]
    description: Option<String>,
    #[serde(default)]
    topic_policy_config: Option<RawTopicPolicy>,
    #[serde(default)]
    content_policy_config: Option<RawContentPolicy>,
    #[serde(default)]
    word_policy_config: Option<RawWordPolicy>,
    #[serde(default)]
    sensitive_information_policy_config: Option<RawSensitivePolicy>,
    blocked_input_messaging: String,
    blocked_outputs_messaging: String,
}

/// The tier members are accepted so that CreateGuardrail requests load as they are;
/// the local evaluation is the same for both tiers.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RawTier {
    #[allow(dead_code)]
    tier_name: TierName,
}

#[derive(Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
enum TierName {
    Classic,
    Standard,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RawTopicPolicy {
    topics_config: Vec<RawTopic>,
    #[serde(default)]
    #[allow(dead_code)]
    tier_config: Option<RawTier>,
}

#[derive(Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
enum TopicType {
    Deny,
}

#[derive(Clone, Copy, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
enum BlockOrNone {
    Block,
    None,
}

impl From<BlockOrNone> for Act {
    fn from(a: BlockOrNone) -> Act {
        match a {
            BlockOrNone::Block => Act::Block,
            BlockOrNone::None => Act::Detect,
        }
    }
}

#[derive(Clone, Copy, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
enum SensitiveAction {
    Block,
    Anonymize,
    None,
}

impl From<SensitiveAction> for Act {
    fn from(a: SensitiveAction) -> Act {
        match a {
            SensitiveAction::Block => Act::Block,
            SensitiveAction::Anonymize => Act::Anonymize,
            SensitiveAction::None => Act::Detect,
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RawTopic {
    name: String,
    definition: String,
    #[serde(default)]
    examples: Vec<String>,
    #[allow(dead_code)]
    r#type: TopicType,
    #[serde(default)]
    input_action: Option<BlockOrNone>,
    #[serde(default)]
    output_action: Option<BlockOrNone>,
    #[serde(default)]
    input_enabled: Option<bool>,
    #[serde(default)]
    output_enabled: Option<bool>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RawContentPolicy {
    filters_config: Vec<RawFilter>,
    #[serde(default)]
    #[allow(dead_code)]
    tier_config: Option<RawTier>,
}

#[derive(Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
enum Modality {
    Text,
    Image,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RawFilter {
    r#type: FilterType,
    input_strength: Level,
    output_strength: Level,
    #[serde(default)]
    #[allow(dead_code)]
    input_modalities: Option<Vec<Modality>>,
    #[serde(default)]
    #[allow(dead_code)]
    output_modalities: Option<Vec<Modality>>,
    #[serde(default)]
    input_action: Option<BlockOrNone>,
    #[serde(default)]
    output_action: Option<BlockOrNone>,
    #[serde(default)]
    input_enabled: Option<bool>,
    #[serde(default)]
    output_enabled: Option<bool>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RawWordPolicy {
    #[serde(default)]
    words_config: Vec<RawWord>,
    #[serde(default)]
    managed_word_lists_config: Vec<RawManaged>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RawWord {
    text: String,
    #[serde(default)]
    input_action: Option<BlockOrNone>,
    #[serde(default)]
    output_action: Option<BlockOrNone>,
    #[serde(default)]
    input_enabled: Option<bool>,
    #[serde(default)]
    output_enabled: Option<bool>,
}

#[derive(Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
enum ManagedType {
    Profanity,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RawManaged {
    #[allow(dead_code)]
    r#type: ManagedType,
    #[serde(default)]
    input_action: Option<BlockOrNone>,
    #[serde(default)]
    output_action: Option<BlockOrNone>,
    #[serde(default)]
    input_enabled: Option<bool>,
    #[serde(default)]
    output_enabled: Option<bool>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RawSensitivePolicy {
    #[serde(default)]
    pii_entities_config: Vec<RawPii>,
    #[serde(default)]
    regexes_config: Vec<RawRegex>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RawPii {
    r#type: PiiType,
    action: SensitiveAction,
    #[serde(default)]
    input_action: Option<SensitiveAction>,
    #[serde(default)]
    output_action: Option<SensitiveAction>,
    #[serde(default)]
    input_enabled: Option<bool>,
    #[serde(default)]
    output_enabled: Option<bool>,
}

/// A regex pattern, compiled as it is read so that an error points at it.
struct Pattern {
    source: String,
    regex: Regex,
}

impl<'de> Deserialize<'de> for Pattern {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let source = String::deserialize(d)?;
        length("a regex's pattern", &source, 1, 500).map_err(serde::de::Error::custom)?;
        let regex = RegexBuilder::new(&source)
            .size_limit(1 << 20)
            .build()
            .map_err(|e| {
                let detail = e.to_string();
                let last = detail.lines().last().unwrap_or("").trim();
                let last = last.strip_prefix("error: ").unwrap_or(last);
                serde::de::Error::custom(format!(
                    "regex pattern {source:?} does not compile ({last})"
                ))
            })?;
        Ok(Pattern { source, regex })
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RawRegex {
    name: String,
    #[serde(default)]
    #[allow(dead_code)]
    description: Option<String>,
    pattern: Pattern,
    action: SensitiveAction,
    #[serde(default)]
    input_action: Option<SensitiveAction>,
    #[serde(default)]
    output_action: Option<SensitiveAction>,
    #[serde(default)]
    input_enabled: Option<bool>,
    #[serde(default)]
    output_enabled: Option<bool>,
}

/// Every policy entry may set its action and turn itself off for each side; `default`
/// is the action where it does not say.
macro_rules! entry_sides {
    ($($raw:ty),* $(,)?) => {$(
        impl $raw {
            fn sides(&self, default: Act) -> Sides<Act> {
                Sides {
                    input: self
                        .input_enabled
                        .unwrap_or(true)
                        .then(|| self.input_action.map_or(default, Act::from)),
                    output: self
                        .output_enabled
                        .unwrap_or(true)
                        .then(|| self.output_action.map_or(default, Act::from)),
                }
            }
        }
    )*};
}

entry_sides!(RawTopic, RawFilter, RawWord, RawManaged, RawPii, RawRegex);

fn length(what: &str, s: &str, min: usize, max: usize) -> Result<(), String> {
    let n = s.chars().count();
    if n < min || n > max {
        return Err(format!(
            "{what} must be {min} to {max} characters long, got {n}: {s:?}"
        ));
    }
    Ok(())
}

static ID: LazyLock<Regex> = LazyLock::new(|| Regex::new("^[a-z0-9]+$").expect("valid"));
static VERSION: LazyLock<Regex> =
    LazyLock::new(|| Regex::new("^([1-9][0-9]{0,7}|DRAFT)$").expect("valid"));
static NAME: LazyLock<Regex> = LazyLock::new(|| Regex::new("^[0-9a-zA-Z_-]+$").expect("valid"));
static TOPIC_NAME: LazyLock<Regex> =
    LazyLock::new(|| Regex::new("^[0-9a-zA-Z_ !?.-]+$").expect("valid"));

/// A word or phrase as a case-insensitive match of whole words.
fn word_regex(text: &str) -> Result<Regex, String> {
    let parts: Vec<String> = text.split_whitespace().map(regex::escape).collect();
    if parts.is_empty() {
        return Err("a word filter's text must not be blank".into());
    }
    let starts_word = text
        .trim()
        .chars()
        .next()
        .is_some_and(char::is_alphanumeric);
    let ends_word = text
        .trim()
        .chars()
        .last()
        .is_some_and(char::is_alphanumeric);
    let pattern = format!(
        "(?i){}{}{}",
        if starts_word { r"\b" } else { "" },
        parts.join(r"\s+"),
        if ends_word { r"\b" } else { "" }
    );
    Regex::new(&pattern).map_err(|e| e.to_string())
}

impl TryFrom<RawGuardrail> for Guardrail {
    type Error = String;

    fn try_from(raw: RawGuardrail) -> Result<Self, String> {
        check_names(&raw)?;
        let topics = match raw.topic_policy_config {
            Some(policy) => topics(policy)?,
            None => Vec::new(),
        };
        let filters = match raw.content_policy_config {
            Some(policy) => filters(policy)?,
            None => Vec::new(),
        };
        let (words, profanity) = match raw.word_policy_config {
            Some(policy) => words(policy)?,
            None => (Vec::new(), None),
        };
        let (pii, regexes) = match raw.sensitive_information_policy_config {
            Some(policy) => sensitive(policy)?,
            None => (Vec::new(), Vec::new()),
        };
        if topics.is_empty()
            && filters.is_empty()
            && words.is_empty()
            && profanity.is_none()
            && pii.is_empty()
            && regexes.is_empty()
        {
            return Err(format!(
                "guardrail {} configures no policy; add a topic, content, word or sensitive information policy",
                raw.guardrail_id
            ));
        }
        Ok(Guardrail {
            id: raw.guardrail_id,
            versions: raw.versions,
            topics,
            filters,
            words,
            profanity,
            pii,
            regexes,
            blocked_input: raw.blocked_input_messaging,
            blocked_output: raw.blocked_outputs_messaging,
        })
    }
}

/// The id, versions, name and blocked messages, as CreateGuardrail constrains them.
fn check_names(raw: &RawGuardrail) -> Result<(), String> {
    if !ID.is_match(&raw.guardrail_id) {
        return Err(format!(
            "guardrailId {:?} must match [a-z0-9]+ (lowercase letters and digits), as the service's guardrail ids do",
            raw.guardrail_id
        ));
    }
    if raw.versions.is_empty() {
        return Err(format!(
            "guardrail {} lists no versions; give at least one of \"DRAFT\", \"1\", \"2\", ...",
            raw.guardrail_id
        ));
    }
    for v in &raw.versions {
        if !VERSION.is_match(v) {
            return Err(format!(
                "version {v:?} of guardrail {} must be \"DRAFT\" or a number from 1 to 99999999",
                raw.guardrail_id
            ));
        }
    }
    length("name", &raw.name, 1, 50)?;
    if !NAME.is_match(&raw.name) {
        return Err(format!(
            "name {:?} may only contain letters, digits, '-' and '_'",
            raw.name
        ));
    }
    length(
        "blockedInputMessaging",
        &raw.blocked_input_messaging,
        1,
        500,
    )?;
    length(
        "blockedOutputsMessaging",
        &raw.blocked_outputs_messaging,
        1,
        500,
    )
}

fn topics(policy: RawTopicPolicy) -> Result<Vec<Topic>, String> {
    if policy.topics_config.is_empty() || policy.topics_config.len() > 30 {
        return Err("topicPolicyConfig.topicsConfig must have 1 to 30 topics".into());
    }
    let mut topics = Vec::new();
    for t in policy.topics_config {
        length("a topic's name", &t.name, 1, 100)?;
        if !TOPIC_NAME.is_match(&t.name) {
            return Err(format!(
                "topic name {:?} may only contain letters, digits, spaces and - _ ! ? .",
                t.name
            ));
        }
        length("a topic's definition", &t.definition, 1, 200)?;
        if t.examples.len() > 5 {
            return Err(format!("topic {:?} has more than 5 examples", t.name));
        }
        for e in &t.examples {
            length("a topic example", e, 1, 100)?;
        }
        topics.push(Topic {
            matcher: TopicMatcher::new(&t.name, &t.definition, &t.examples),
            sides: t.sides(Act::Block),
            name: t.name,
        });
    }
    Ok(topics)
}

fn filters(policy: RawContentPolicy) -> Result<Vec<Filter>, String> {
    if policy.filters_config.is_empty() || policy.filters_config.len() > 6 {
        return Err("contentPolicyConfig.filtersConfig must have 1 to 6 filters".into());
    }
    let mut filters: Vec<Filter> = Vec::new();
    for f in policy.filters_config {
        if filters.iter().any(|x| x.kind == f.r#type) {
            return Err(format!(
                "content filter {} is configured twice",
                f.r#type.wire()
            ));
        }
        if f.r#type == FilterType::PromptAttack && f.output_strength != Level::None {
            return Err(
                "the PROMPT_ATTACK filter applies to prompts only: its outputStrength must be NONE"
                    .into(),
            );
        }
        let s = f.sides(Act::Block);
        // A strength of NONE filters nothing on that side.
        filters.push(Filter {
            kind: f.r#type,
            sides: Sides {
                input: s
                    .input
                    .filter(|_| f.input_strength != Level::None)
                    .map(|a| (f.input_strength, a)),
                output: s
                    .output
                    .filter(|_| f.output_strength != Level::None)
                    .map(|a| (f.output_strength, a)),
            },
        });
    }
    Ok(filters)
}

/// The custom words and, when a managed list is configured, the profanity filter's sides.
fn words(policy: RawWordPolicy) -> Result<(Vec<Word>, Option<Sides<Act>>), String> {
    if policy.words_config.is_empty() && policy.managed_word_lists_config.is_empty() {
        return Err("wordPolicyConfig needs wordsConfig or managedWordListsConfig entries".into());
    }
    if policy.words_config.len() > 10_000 {
        return Err("wordPolicyConfig.wordsConfig has more than 10000 words".into());
    }
    let mut words = Vec::new();
    for w in policy.words_config {
        length("a word filter's text", &w.text, 1, 100)?;
        words.push(Word {
            regex: word_regex(&w.text)?,
            sides: w.sides(Act::Block),
        });
    }
    // PROFANITY is the only managed list: its last entry wins.
    let profanity = policy
        .managed_word_lists_config
        .last()
        .map(|m| m.sides(Act::Block));
    Ok((words, profanity))
}

/// The PII entity rules and the custom regex rules.
fn sensitive(policy: RawSensitivePolicy) -> Result<(Vec<PiiRule>, Vec<RegexRule>), String> {
    if policy.pii_entities_config.is_empty() && policy.regexes_config.is_empty() {
        return Err(
            "sensitiveInformationPolicyConfig needs piiEntitiesConfig or regexesConfig entries"
                .into(),
        );
    }
    let mut pii: Vec<PiiRule> = Vec::new();
    for p in policy.pii_entities_config {
        if pii.iter().any(|x| x.kind == p.r#type) {
            return Err(format!(
                "PII entity type {} is configured twice",
                p.r#type.wire()
            ));
        }
        pii.push(PiiRule {
            kind: p.r#type,
            sides: p.sides(p.action.into()),
        });
    }
    if policy.regexes_config.len() > 30 {
        return Err(
            "sensitiveInformationPolicyConfig.regexesConfig has more than 30 patterns".into(),
        );
    }
    let mut regexes = Vec::new();
    for r in policy.regexes_config {
        length("a regex's name", &r.name, 1, 100)?;
        regexes.push(RegexRule {
            sides: r.sides(r.action.into()),
            name: r.name,
            pattern: r.pattern.source,
            regex: r.pattern.regex,
        });
    }
    Ok((pii, regexes))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    #[allow(dead_code)]
    sources: Vec<String>,
    guardrails: Vec<Guardrail>,
}

/// The account the endpoint reports in guardrail ARNs it makes up; ARNs a request
/// names keep their own.
const LOCAL_ACCOUNT: &str = "123456789012";

/// A guardrail as a request named it.
#[derive(Debug, Clone)]
pub(crate) struct Resolved {
    pub guardrail: Arc<Guardrail>,
    pub id: String,
    pub version: String,
    pub arn: String,
}

/// The guardrails an endpoint knows, by (id, version).
#[derive(Debug, Clone, Default)]
pub struct Registry {
    entries: BTreeMap<(String, String), Arc<Guardrail>>,
}

static BUILTIN: LazyLock<Registry> = LazyLock::new(|| {
    Registry::parse(include_str!("../../../../assets/guardrails.json"))
        .unwrap_or_else(|e| panic!("assets/guardrails.json is invalid: {e}"))
});

impl Registry {
    /// The built-in guardrails of `assets/guardrails.json`.
    pub(crate) fn builtin() -> Registry {
        BUILTIN.clone()
    }

    /// The built-in guardrails with those of `file` merged over them: a definition in
    /// the file replaces the built-in one with the same id and version.
    pub fn load(file: Option<&Path>) -> Result<Registry, String> {
        super::engine::warm_up();
        let mut registry = Registry::builtin();
        if let Some(path) = file {
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read guardrails file {}: {e}", path.display()))?;
            let extra = Registry::parse(&text)
                .map_err(|e| format!("invalid guardrails file {}: {e}", path.display()))?;
            registry.entries.extend(extra.entries);
        }
        Ok(registry)
    }

    /// Parses a guardrails document; errors name the line and column.
    pub(crate) fn parse(text: &str) -> Result<Registry, String> {
        let file: File = serde_json::from_str(text).map_err(|e| e.to_string())?;
        let mut entries = BTreeMap::new();
        let mut seen = HashSet::new();
        for g in file.guardrails {
            let g = Arc::new(g);
            for v in &g.versions {
                if !seen.insert((g.id.clone(), v.clone())) {
                    return Err(format!(
                        "guardrail {} version {v} is defined more than once",
                        g.id
                    ));
                }
                entries.insert((g.id.clone(), v.clone()), g.clone());
            }
        }
        Ok(Registry { entries })
    }

    /// Finds the guardrail an identifier (an id or a guardrail ARN) and version name.
    pub(crate) fn resolve(
        &self,
        identifier: &str,
        version: &str,
        region: &str,
    ) -> Option<Resolved> {
        let id = identifier.rsplit('/').next().unwrap_or(identifier);
        let guardrail = self.entries.get(&(id.to_owned(), version.to_owned()))?;
        let arn = if identifier.starts_with("arn:") {
            identifier.to_owned()
        } else {
            format!("arn:aws:bedrock:{region}:{LOCAL_ACCOUNT}:guardrail/{id}")
        };
        Some(Resolved {
            guardrail: guardrail.clone(),
            id: id.to_owned(),
            version: version.to_owned(),
            arn,
        })
    }
}

/// The service's patterns for guardrail identifiers and versions in requests.
pub(super) const IDENTIFIER_PATTERN: &str =
    "(|([a-z0-9]+)|(arn:aws(-[^:]+)?:bedrock:[a-z0-9-]{1,20}:[0-9]{12}:guardrail/[a-z0-9]+))";
pub(super) const VERSION_PATTERN: &str = "(|([1-9][0-9]{0,7})|(DRAFT))";

static IDENTIFIER_RE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(&format!("^{IDENTIFIER_PATTERN}$")).expect("valid"));
static VERSION_RE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(&format!("^{VERSION_PATTERN}$")).expect("valid"));

pub fn valid_identifier(s: &str) -> bool {
    s.len() <= 2048 && IDENTIFIER_RE.is_match(s)
}

pub fn valid_version(s: &str) -> bool {
    VERSION_RE.is_match(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_has_the_demo_guardrail_in_both_versions() {
        let r = Registry::builtin();
        for v in ["DRAFT", "1"] {
            let g = r.resolve("demo", v, "us-east-1").expect("demo");
            assert_eq!(
                g.arn,
                "arn:aws:bedrock:us-east-1:123456789012:guardrail/demo"
            );
            assert_eq!(g.guardrail.topics.len(), 1);
            assert_eq!(g.guardrail.filters.len(), 6);
            assert!(g.guardrail.profanity.is_some());
            assert_eq!(g.guardrail.pii.len(), 5);
        }
        assert!(r.resolve("demo", "2", "us-east-1").is_none());
        let arn = "arn:aws:bedrock:eu-west-1:111122223333:guardrail/demo";
        assert_eq!(r.resolve(arn, "1", "us-east-1").unwrap().arn, arn);
    }

    #[test]
    fn errors_name_the_line_and_column() {
        let text = "{\n  \"guardrails\": [\n    {\"guardrailId\": \"Bad-Id\"}\n  ]\n}";
        let e = Registry::parse(text).unwrap_err();
        assert!(e.contains("line 3"), "{e}");
        let text = r#"{"guardrails": [{"guardrailId": "x", "versions": ["1"], "name": "x",
            "blockedInputMessaging": "no", "blockedOutputsMessaging": "no",
            "sensitiveInformationPolicyConfig": {"regexesConfig": [
                {"name": "r", "pattern": "(unclosed", "action": "BLOCK"}]}}]}"#;
        let e = Registry::parse(text).unwrap_err();
        assert!(
            e.contains("does not compile") && e.contains("line 4"),
            "{e}"
        );
        let text = r#"{"guardrails": [{"guardrailId": "x", "versions": ["1"], "name": "x",
            "blockedInputMessaging": "no", "blockedOutputsMessaging": "no",
            "contextualGroundingPolicyConfig": {}}]}"#;
        let e = Registry::parse(text).unwrap_err();
        assert!(
            e.contains("unknown field `contextualGroundingPolicyConfig`"),
            "{e}"
        );
    }

    #[test]
    fn identifiers_follow_the_service_patterns() {
        assert!(valid_identifier("demo"));
        assert!(valid_identifier(
            "arn:aws:bedrock:us-east-1:123456789012:guardrail/abc123"
        ));
        assert!(!valid_identifier("gr-missing"));
        assert!(valid_version("DRAFT") && valid_version("12"));
        assert!(!valid_version("0") && !valid_version("draft"));
    }
}
