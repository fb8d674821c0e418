//! Evaluates text against a guardrail's policies: what each policy found, what it did
//! (block, anonymize, or only report), the masked text, and the usage in text units.

use std::ops::Range;
use std::time::Instant;

use super::config::{Act, FilterType, Guardrail, Level, PiiType};
use super::{lexicon, pii};

/// Whether text is a prompt or a model response; policies are configured per side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Source {
    Input,
    Output,
}

/// What a policy did, as assessments report it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Taken {
    Blocked,
    Anonymized,
    None,
}

impl Taken {
    pub(super) fn wire(self) -> &'static str {
        match self {
            Taken::Blocked => "BLOCKED",
            Taken::Anonymized => "ANONYMIZED",
            Taken::None => "NONE",
        }
    }
}

#[derive(Debug, Clone)]
pub(super) struct TopicResult {
    pub name: String,
    pub detected: bool,
    pub action: Taken,
}

#[derive(Debug, Clone)]
pub(super) struct FilterResult {
    pub kind: FilterType,
    pub confidence: Level,
    pub strength: Level,
    pub detected: bool,
    pub action: Taken,
}

#[derive(Debug, Clone)]
pub(super) struct WordResult {
    pub matched: String,
    /// From the managed PROFANITY list rather than the custom words.
    pub managed: bool,
    pub action: Taken,
}

#[derive(Debug, Clone)]
pub(super) struct PiiResult {
    pub kind: PiiType,
    pub matched: String,
    pub detected: bool,
    pub action: Taken,
}

#[derive(Debug, Clone)]
pub(super) struct RegexResult {
    pub name: String,
    pub regex: String,
    pub matched: String,
    pub action: Taken,
}

/// Text units processed per policy. A text unit is up to 1,000 characters; a policy
/// counts units only when it is configured for the side evaluated.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Units {
    pub topic: u32,
    pub content: u32,
    pub word: u32,
    pub sensitive: u32,
    pub sensitive_free: u32,
}

/// One evaluation, in the terms of the service's GuardrailAssessment.
#[derive(Debug, Clone, Default)]
pub(super) struct Assessment {
    /// Every topic configured for the side, detected or not.
    pub topics: Vec<TopicResult>,
    /// Every content filter active on the side, with the confidence found.
    pub filters: Vec<FilterResult>,
    /// Words found (custom and managed).
    pub words: Vec<WordResult>,
    /// Entities found, then every configured type that was not found.
    pub pii: Vec<PiiResult>,
    /// Regex matches.
    pub regexes: Vec<RegexResult>,
    pub units: Units,
    pub latency_ms: u64,
    pub guarded_chars: u32,
    pub total_chars: u32,
    pub images_total: u32,
}

#[derive(Debug, Clone)]
pub(super) struct Evaluation {
    pub assessment: Assessment,
    /// Each evaluated text with anonymized matches replaced by `{TYPE}` or `{regex name}`.
    pub masked: Vec<String>,
    pub blocked: bool,
    pub anonymized: bool,
}

impl Evaluation {
    pub(super) fn intervened(&self) -> bool {
        self.blocked || self.anonymized
    }
}

/// Builds the detectors and lexicons now, so that the first request does not wait.
pub(super) fn warm_up() {
    pii::detect("warm up", &[PiiType::Email]);
    lexicon::confidence(FilterType::Hate, "warm up");
    lexicon::PROFANITY.is_match("warm up");
}

pub(super) fn text_units(chars: u32) -> u32 {
    chars.div_ceil(1000)
}

/// Replaces `[[name:value]]` directives (instructions to the simulated endpoint, not
/// content) with spaces, keeping every other byte where it was.
pub(super) fn blank_directives(text: &str) -> String {
    let mut bytes = text.as_bytes().to_vec();
    let mut from = 0;
    while let Some(start) = text[from..].find("[[").map(|i| i + from) {
        match text[start..].find("]]") {
            Some(len) if text[start..start + len].contains(':') => {
                bytes[start..start + len + 2].fill(b' ');
                from = start + len + 2;
            }
            _ => from = start + 2,
        }
    }
    String::from_utf8(bytes).unwrap_or_else(|_| text.to_owned())
}

fn taken(act: Act, mask: bool) -> Taken {
    match act {
        Act::Block => Taken::Blocked,
        Act::Anonymize if mask => Taken::Anonymized,
        Act::Anonymize | Act::Detect => Taken::None,
    }
}

/// Replaces the given ranges (sorted, non-overlapping ones kept) by their replacements.
fn apply_masks(text: &str, mut spans: Vec<(Range<usize>, String)>) -> String {
    spans.sort_by_key(|(r, _)| (r.start, std::cmp::Reverse(r.end)));
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for (r, replacement) in spans {
        if r.start < at {
            continue;
        }
        out.push_str(&text[at..r.start]);
        out.push_str(&replacement);
        at = r.end;
    }
    out.push_str(&text[at..]);
    out
}

/// Evaluates `texts` (the pieces a request asks to guard) as one `source`.
/// With `mask` false, ANONYMIZE findings are reported but nothing is masked, as in a
/// stream whose text has already been sent.
pub(super) fn evaluate(g: &Guardrail, source: Source, texts: &[&str], mask: bool) -> Evaluation {
    let started = Instant::now();
    let pass = Pass::new(g, source, mask);
    let scan: Vec<String> = texts.iter().map(|t| blank_directives(t)).collect();
    let joined = scan.join("\n");
    let chars: u32 = texts.iter().map(|t| t.chars().count() as u32).sum();
    let mut a = Assessment {
        topics: pass.topics(&joined),
        filters: pass.filters(&joined),
        units: pass.units(text_units(chars)),
        guarded_chars: chars,
        total_chars: chars,
        ..Assessment::default()
    };
    let masked = texts
        .iter()
        .zip(&scan)
        .map(|(text, scanned)| pass.scan(text, scanned, &mut a))
        .collect();
    // Every PII type looked for and not found is reported too.
    for (kind, _) in &pass.pii {
        if !a.pii.iter().any(|p| p.kind == *kind) {
            a.pii.push(PiiResult {
                kind: *kind,
                matched: String::new(),
                detected: false,
                action: Taken::None,
            });
        }
    }
    let (blocked, anonymized) = outcome(&a);
    a.latency_ms = started.elapsed().as_millis() as u64;
    Evaluation {
        assessment: a,
        masked,
        blocked,
        anonymized: anonymized && !blocked,
    }
}

/// Whether any policy blocked, and whether any anonymized.
fn outcome(a: &Assessment) -> (bool, bool) {
    let actions = a
        .topics
        .iter()
        .map(|t| t.action)
        .chain(a.filters.iter().map(|f| f.action))
        .chain(a.words.iter().map(|w| w.action))
        .chain(a.pii.iter().map(|p| p.action))
        .chain(a.regexes.iter().map(|r| r.action));
    let (mut blocked, mut anonymized) = (false, false);
    for action in actions {
        blocked |= action == Taken::Blocked;
        anonymized |= action == Taken::Anonymized;
    }
    (blocked, anonymized)
}

/// One evaluation of a guardrail on one side: the policies configured for it.
struct Pass<'g> {
    g: &'g Guardrail,
    source: Source,
    mask: bool,
    /// The PII types looked for on this side, with their actions.
    pii: Vec<(PiiType, Act)>,
    /// The managed profanity list's action on this side, when it is on.
    profanity: Option<Act>,
}

impl<'g> Pass<'g> {
    fn new(g: &'g Guardrail, source: Source, mask: bool) -> Self {
        Pass {
            g,
            source,
            mask,
            pii: g
                .pii
                .iter()
                .filter_map(|p| p.sides.get(source).map(|act| (p.kind, act)))
                .collect(),
            profanity: g.profanity.and_then(|s| s.get(source)),
        }
    }

    fn taken(&self, act: Act) -> Taken {
        taken(act, self.mask)
    }

    /// What a policy that acts with `act` did: nothing unless it detected something.
    fn taken_if(&self, detected: bool, act: Act) -> Taken {
        if detected {
            self.taken(act)
        } else {
            Taken::None
        }
    }

    /// `units` for each policy configured on this side, 0 for the others.
    fn units(&self, units: u32) -> Units {
        let (g, source) = (self.g, self.source);
        let on = |configured: bool| if configured { units } else { 0 };
        Units {
            topic: on(g.topics.iter().any(|t| t.sides.get(source).is_some())),
            content: on(g.filters.iter().any(|f| f.sides.get(source).is_some())),
            word: on(
                self.profanity.is_some() || g.words.iter().any(|w| w.sides.get(source).is_some())
            ),
            sensitive: on(!self.pii.is_empty()),
            sensitive_free: on(g.regexes.iter().any(|r| r.sides.get(source).is_some())),
        }
    }

    /// Every topic on this side, detected or not, over the whole of the guarded text.
    fn topics(&self, joined: &str) -> Vec<TopicResult> {
        self.g
            .topics
            .iter()
            .filter_map(|t| {
                let act = t.sides.get(self.source)?;
                let detected = t.matcher.matches(joined);
                Some(TopicResult {
                    name: t.name.clone(),
                    detected,
                    action: self.taken_if(detected, act),
                })
            })
            .collect()
    }

    /// Every content filter on this side, with the confidence found.
    fn filters(&self, joined: &str) -> Vec<FilterResult> {
        self.g
            .filters
            .iter()
            .filter_map(|f| {
                let (strength, act) = f.sides.get(self.source)?;
                let confidence = lexicon::confidence(f.kind, joined);
                let detected = strength.acts_on(confidence);
                Some(FilterResult {
                    kind: f.kind,
                    confidence,
                    strength,
                    detected,
                    action: self.taken_if(detected, act),
                })
            })
            .collect()
    }

    /// Adds the words, PII and regex matches of one text (`scanned` is it with the
    /// directives blanked) to `a`, and returns the text with anonymized matches masked.
    fn scan(&self, text: &str, scanned: &str, a: &mut Assessment) -> String {
        self.words(text, scanned, &mut a.words);
        let mut spans = self.pii(text, scanned, &mut a.pii);
        spans.extend(self.regexes(text, scanned, &mut a.regexes));
        apply_masks(text, spans)
    }

    fn words(&self, text: &str, scanned: &str, found: &mut Vec<WordResult>) {
        for w in &self.g.words {
            let Some(act) = w.sides.get(self.source) else {
                continue;
            };
            for m in w.regex.find_iter(scanned) {
                push_word(found, &text[m.range()], false, self.taken(act));
            }
        }
        if let Some(act) = self.profanity {
            for m in lexicon::PROFANITY.find_iter(scanned) {
                push_word(found, &text[m.range()], true, self.taken(act));
            }
        }
    }

    /// Adds the entities found (each value once) and returns the spans to mask.
    fn pii(
        &self,
        text: &str,
        scanned: &str,
        found: &mut Vec<PiiResult>,
    ) -> Vec<(Range<usize>, String)> {
        let kinds: Vec<PiiType> = self.pii.iter().map(|(k, _)| *k).collect();
        let mut spans = Vec::new();
        for f in pii::detect(scanned, &kinds) {
            let act = self
                .pii
                .iter()
                .find(|(k, _)| *k == f.kind)
                .map_or(Act::Detect, |(_, a)| *a);
            let action = self.taken(act);
            let matched = text[f.range.clone()].to_owned();
            if action == Taken::Anonymized {
                spans.push((f.range.clone(), format!("{{{}}}", f.kind.wire())));
            }
            if !found
                .iter()
                .any(|p| p.kind == f.kind && p.matched == matched)
            {
                found.push(PiiResult {
                    kind: f.kind,
                    matched,
                    detected: true,
                    action,
                });
            }
        }
        spans
    }

    /// Adds the regex matches (each value once per regex) and returns the spans to mask.
    fn regexes(
        &self,
        text: &str,
        scanned: &str,
        found: &mut Vec<RegexResult>,
    ) -> Vec<(Range<usize>, String)> {
        let mut spans = Vec::new();
        for r in &self.g.regexes {
            let Some(act) = r.sides.get(self.source) else {
                continue;
            };
            let action = self.taken(act);
            for m in r.regex.find_iter(scanned) {
                if m.range().is_empty() {
                    continue;
                }
                let matched = text[m.range()].to_owned();
                if action == Taken::Anonymized {
                    spans.push((m.range(), format!("{{{}}}", r.name)));
                }
                if !found
                    .iter()
                    .any(|x| x.name == r.name && x.matched == matched)
                {
                    found.push(RegexResult {
                        name: r.name.clone(),
                        regex: r.pattern.clone(),
                        matched,
                        action,
                    });
                }
            }
        }
        spans
    }
}

fn push_word(words: &mut Vec<WordResult>, matched: &str, managed: bool, action: Taken) {
    if !words
        .iter()
        .any(|w| w.managed == managed && w.matched.eq_ignore_ascii_case(matched))
    {
        words.push(WordResult {
            matched: matched.to_owned(),
            managed,
            action,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::guardrail::config::Registry;

    fn demo() -> std::sync::Arc<Guardrail> {
        Registry::builtin()
            .resolve("demo", "DRAFT", "us-east-1")
            .unwrap()
            .guardrail
    }

    #[test]
    fn directives_are_blanked_in_place() {
        let t = "hi [[say:a@b.co]] there [[x]]";
        let b = blank_directives(t);
        assert_eq!(b.len(), t.len());
        assert_eq!(b, format!("hi {} there [[x]]", " ".repeat(14)));
    }

    #[test]
    fn masks_emails_and_phones_and_blocks_ssns() {
        let g = demo();
        let e = evaluate(
            &g,
            Source::Input,
            &["Mail jane@example.com or call 555-123-4567."],
            true,
        );
        assert!(e.anonymized && !e.blocked);
        assert_eq!(e.masked, vec!["Mail {EMAIL} or call {PHONE}."]);
        assert_eq!(e.assessment.units.sensitive, 1);
        assert_eq!(e.assessment.units.topic, 1);
        let e = evaluate(&g, Source::Input, &["my ssn is 123-45-6789"], true);
        assert!(e.blocked);
        let e = evaluate(&g, Source::Output, &["Mail jane@example.com"], false);
        assert!(!e.anonymized && !e.blocked);
        assert_eq!(e.masked, vec!["Mail jane@example.com"]);
        assert!(
            e.assessment
                .pii
                .iter()
                .any(|p| p.detected && p.action == Taken::None)
        );
    }

    #[test]
    fn units_count_thousands_of_characters() {
        let g = demo();
        let long = "a ".repeat(1200);
        let e = evaluate(&g, Source::Input, &[&long], true);
        assert_eq!(e.assessment.units.content, 3);
        assert_eq!(e.assessment.guarded_chars, 2400);
        // The prompt attack filter has no output side, the others do.
        let e = evaluate(&g, Source::Output, &["hello"], true);
        assert_eq!(e.assessment.filters.len(), 5);
    }
}
