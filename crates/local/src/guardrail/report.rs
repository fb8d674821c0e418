//! Assessments in the service's wire shape (GuardrailAssessment and its policy
//! assessments, GuardrailUsage, GuardrailCoverage).

use serde_json::{Map, Value, json};

use super::config::Resolved;
use super::engine::{Assessment, Units};

/// Which entries an assessment lists: only what was detected (trace `enabled`,
/// outputScope INTERVENTIONS) or every configured entry (`enabled_full`, FULL). As on
/// the service, the full scope does not add undetected words or regexes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Scope {
    Interventions,
    Full,
}

pub(super) fn usage(u: &Units) -> Value {
    json!({
        "topicPolicyUnits": u.topic,
        "contentPolicyUnits": u.content,
        "wordPolicyUnits": u.word,
        "sensitiveInformationPolicyUnits": u.sensitive,
        "sensitiveInformationPolicyFreeUnits": u.sensitive_free,
        "contextualGroundingPolicyUnits": 0,
        "contentPolicyImageUnits": 0,
    })
}

pub(super) fn coverage(a: &Assessment) -> Value {
    let mut c = json!({
        "textCharacters": {"guarded": a.guarded_chars, "total": a.total_chars},
    });
    if a.images_total > 0 {
        c["images"] = json!({"guarded": 0, "total": a.images_total});
    }
    c
}

pub(super) fn applied(r: &Resolved) -> Value {
    json!({
        "guardrailId": r.id,
        "guardrailVersion": r.version,
        "guardrailArn": r.arn,
        "guardrailOrigin": ["REQUEST"],
        "guardrailOwnership": "SELF",
    })
}

/// A GuardrailAssessment.
pub(super) fn assessment(a: &Assessment, scope: Scope, resolved: &Resolved) -> Value {
    let full = scope == Scope::Full;
    let mut out = Map::new();

    let topics: Vec<Value> = a
        .topics
        .iter()
        .filter(|t| full || t.detected)
        .map(|t| {
            json!({"name": t.name, "type": "DENY", "action": t.action.wire(), "detected": t.detected})
        })
        .collect();
    if !topics.is_empty() {
        out.insert("topicPolicy".into(), json!({ "topics": topics }));
    }

    let filters: Vec<Value> = a
        .filters
        .iter()
        .filter(|f| full || f.detected)
        .map(|f| {
            json!({
                "type": f.kind.wire(),
                "confidence": f.confidence.wire(),
                "filterStrength": f.strength.wire(),
                "action": f.action.wire(),
                "detected": f.detected,
            })
        })
        .collect();
    if !filters.is_empty() {
        out.insert("contentPolicy".into(), json!({ "filters": filters }));
    }

    let word = |managed: bool| -> Vec<Value> {
        a.words
            .iter()
            .filter(|w| w.managed == managed)
            .map(|w| {
                let mut v =
                    json!({"match": w.matched, "action": w.action.wire(), "detected": true});
                if managed {
                    v["type"] = json!("PROFANITY");
                }
                v
            })
            .collect()
    };
    let (custom, managed) = (word(false), word(true));
    if !custom.is_empty() || !managed.is_empty() {
        out.insert(
            "wordPolicy".into(),
            json!({"customWords": custom, "managedWordLists": managed}),
        );
    }

    let pii: Vec<Value> = a
        .pii
        .iter()
        .filter(|p| full || p.detected)
        .map(|p| {
            json!({
                "match": p.matched,
                "type": p.kind.wire(),
                "action": p.action.wire(),
                "detected": p.detected,
            })
        })
        .collect();
    let regexes: Vec<Value> = a
        .regexes
        .iter()
        .map(|r| {
            json!({
                "name": r.name,
                "match": r.matched,
                "regex": r.regex,
                "action": r.action.wire(),
                "detected": true,
            })
        })
        .collect();
    if !pii.is_empty() || !regexes.is_empty() {
        out.insert(
            "sensitiveInformationPolicy".into(),
            json!({"piiEntities": pii, "regexes": regexes}),
        );
    }

    out.insert(
        "invocationMetrics".into(),
        json!({
            "guardrailProcessingLatency": a.latency_ms,
            "usage": usage(&a.units),
            "guardrailCoverage": coverage(a),
        }),
    );
    out.insert("appliedGuardrailDetails".into(), applied(resolved));
    Value::Object(out)
}
