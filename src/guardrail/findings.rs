//! What a guardrail assessment found, flattened to one row per finding (policy, what
//! matched, the action, whether it acted): the trace pane, the conversation's
//! intervention notes and `bedrock-tui guardrail apply` all show these rows. PII and
//! regex matches are masked unless revealed.

use super::{Assessment, Trace, acted, shown};

pub struct Finding {
    /// The policy as users know it: "denied topic", "content filter", ...
    pub policy: &'static str,
    /// What matched, short and free of PII: a topic's name, an entity type, a word.
    pub name: String,
    /// What matched in full, PII masked unless revealed.
    pub what: String,
    pub action: String,
    pub acted: bool,
    /// `Some(false)` for a configured policy that found nothing (a full trace).
    pub detected: Option<bool>,
}

fn row(
    policy: &'static str,
    name: &str,
    what: String,
    action: &str,
    detected: Option<bool>,
) -> Finding {
    Finding {
        policy,
        name: name.to_owned(),
        what,
        action: action.to_owned(),
        acted: acted(action, detected),
        detected,
    }
}

/// Every finding of `a`, in the service's policy order.
pub fn findings(a: &Assessment, reveal: bool) -> Vec<Finding> {
    let mut out = Vec::new();
    if let Some(p) = &a.topic_policy {
        for t in &p.topics {
            let what = format!("{} ({})", t.name, t.kind.to_lowercase());
            out.push(row("denied topic", &t.name, what, &t.action, t.detected));
        }
    }
    if let Some(p) = &a.content_policy {
        for f in &p.filters {
            let strength = f
                .filter_strength
                .as_deref()
                .map(|s| format!(" · strength {s}"))
                .unwrap_or_default();
            let what = format!("{} · confidence {}{strength}", f.kind, f.confidence);
            out.push(row("content filter", &f.kind, what, &f.action, f.detected));
        }
    }
    if let Some(p) = &a.word_policy {
        for w in &p.custom_words {
            let what = format!("\u{201c}{}\u{201d}", w.matched);
            out.push(row("custom word", &w.matched, what, &w.action, w.detected));
        }
        for w in &p.managed_word_lists {
            let list = w.kind.as_deref().unwrap_or("managed").to_lowercase();
            let what = format!("\u{201c}{}\u{201d} ({list} list)", w.matched);
            out.push(row("managed word", &list, what, &w.action, w.detected));
        }
    }
    if let Some(p) = &a.sensitive_information_policy {
        for e in &p.pii_entities {
            let what = format!("{} {}", e.kind, shown(&e.matched, reveal));
            out.push(row("PII", &e.kind, what, &e.action, e.detected));
        }
        for r in &p.regexes {
            let name = r.name.as_deref().unwrap_or("regex");
            let matched = r
                .matched
                .as_deref()
                .map(|m| format!(" {}", shown(m, reveal)))
                .unwrap_or_default();
            let what = format!("{name}{matched}");
            out.push(row("regex", name, what, &r.action, r.detected));
        }
    }
    if let Some(p) = &a.contextual_grounding_policy {
        for g in &p.filters {
            let cmp = if g.score < g.threshold { "<" } else { "≥" };
            let what = format!(
                "{} score {:.2} {cmp} threshold {:.2}",
                g.kind, g.score, g.threshold
            );
            out.push(row("grounding", &g.kind, what, &g.action, g.detected));
        }
    }
    if let Some(p) = &a.automated_reasoning_policy {
        for f in &p.findings {
            // A finding is an object with one member naming its kind (valid, invalid,
            // satisfiable, impossible, translationAmbiguous, tooComplex, noTranslations).
            let kind = f
                .as_object()
                .and_then(|o| o.keys().next().cloned())
                .unwrap_or_else(|| "finding".into());
            let valid = kind == "valid";
            out.push(Finding {
                policy: "automated reasoning",
                name: kind.clone(),
                what: kind,
                action: if valid { "VALID" } else { "FLAGGED" }.into(),
                acted: !valid,
                detected: None,
            });
        }
    }
    out
}

/// Whether the guardrail replaced or masked text (rather than only reporting).
fn blocking(f: &Finding) -> bool {
    f.action == "BLOCKED"
}

/// One line on what the guardrail did to a turn, for the conversation: `None` when
/// nothing acted. Names the side, the action and the policies that fired.
pub fn verdict(trace: &Trace) -> Option<(String, bool)> {
    let acted_on = |assessments: Vec<&Assessment>| -> Vec<Finding> {
        assessments
            .into_iter()
            .flat_map(|a| findings(a, false))
            .filter(|f| f.acted)
            .collect()
    };
    let input = acted_on(trace.input.iter().map(|(_, a)| a).collect());
    let output = acted_on(trace.outputs.iter().collect());
    let name = trace.guardrail.as_deref().unwrap_or("the guardrail");
    let (side, found) = if !input.is_empty() {
        ("prompt", input)
    } else if !output.is_empty() {
        ("answer", output)
    } else {
        return None;
    };
    let blocked = found.iter().any(blocking);
    let masked = found.iter().any(|f| f.action == "ANONYMIZED");
    let mut what: Vec<String> = Vec::new();
    for f in &found {
        let item = match f.policy {
            "denied topic" | "PII" | "regex" => format!("{} {}", f.policy, f.name),
            "custom word" => format!("{} \u{201c}{}\u{201d}", f.policy, f.name),
            p => p.to_owned(),
        };
        if !what.contains(&item) {
            what.push(item);
        }
    }
    let verb = match (blocked, masked) {
        (true, _) => "blocked",
        (false, true) => "masked",
        (false, false) => "flagged",
    };
    Some((
        format!("guardrail {name} {verb} the {side}: {}", what.join(", ")),
        blocked,
    ))
}
