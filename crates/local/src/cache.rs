//! Prompt caching as the service does it: checkpoints (`cachePoint` blocks) checked for
//! their number, TTL order and the model's support, and a per-process cache of prefixes
//! keyed by model and content, so a later turn reads what an earlier one wrote.

use bedrock_catalog::Model;

use super::conversation::{CacheTtl, Fnv, Request};
use super::converse::Usage;
use super::error::ServiceError;
use super::state::State;
use super::tokens;

/// The most cache checkpoints one request may carry.
const MAX_CHECKPOINTS: usize = 4;

/// The checks the service makes of a request's cache points, for a model that caches.
/// Anthropic's messages, passed on by the service as it passes on the model's errors.
pub(crate) fn check(req: &Request, model: &Model) -> Result<(), ServiceError> {
    let caps = &model.capabilities;
    if caps.cache_min_tokens == 0 {
        return Ok(());
    }
    let found = tokens::checkpoints(req).len();
    if found > MAX_CHECKPOINTS {
        return Err(ServiceError::validation(format!(
            "The model returned the following errors: A maximum of {MAX_CHECKPOINTS} blocks with cache_control may be provided. Found {found}."
        )));
    }
    if req.cache_ttls.windows(2).any(|w| w[1] > w[0]) {
        return Err(ServiceError::validation(
            "The model returned the following errors: a ttl='1h' cache_control block must not come after a ttl='5m' cache_control block. Note that blocks are processed in the following order: `tools`, `system`, `messages`.",
        ));
    }
    if !caps.cache_ttl_1h && req.cache_ttls.contains(&CacheTtl::OneHour) {
        return Err(ServiceError::validation(format!(
            "The model {} doesn't support a cache TTL of 1h. Try again with a ttl of 5m, or without a ttl.",
            model.id
        )));
    }
    Ok(())
}

/// The input usage of a request of `total` input tokens: the longest cached prefix is
/// read, the checkpoints after it are written (each with its TTL), the rest is input.
/// The k-th checkpoint counts only with at least k times the model's minimum before it;
/// a smaller one is ignored, as the service ignores it.
pub(crate) fn usage(state: &State, req: &Request, model: &Model, total: u32) -> Usage {
    let mut usage = Usage {
        input: total,
        ..Usage::default()
    };
    let min = model.capabilities.cache_min_tokens;
    if min == 0 {
        return usage;
    }
    let model_key = Fnv::hash(model.id.as_bytes());
    let mut kept: Vec<(u32, u64, CacheTtl)> = Vec::new();
    for (i, p) in tokens::checkpoints(req).iter().enumerate() {
        let need = min.saturating_mul(kept.len() as u32 + 1);
        let grows = kept.last().is_none_or(|(t, _, _)| p.tokens > *t);
        if p.tokens >= need && grows {
            let ttl = req.cache_ttls.get(i).copied().unwrap_or_default();
            kept.push((p.tokens, p.key ^ model_key, ttl));
        }
    }
    let hit = kept.iter().rposition(|(_, key, _)| state.cache_read(*key));
    let (mut done, first_new) = match hit {
        Some(i) => (kept[i].0, i + 1),
        None => (0, 0),
    };
    usage.cache_read = done;
    for &(tokens, key, ttl) in &kept[first_new..] {
        let written = tokens - done;
        usage.cache_write += written;
        if ttl == CacheTtl::OneHour {
            usage.cache_write_1h += written;
        }
        state.cache_store(key, ttl);
        done = tokens;
    }
    usage.input = total - done;
    usage
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::converse;
    use crate::error::ErrorKind;
    use crate::state::Settings;
    use bedrock_catalog::Catalog;
    use serde_json::{Value, json};

    const SONNET: &str = "anthropic.claude-sonnet-4-5-20250929-v1:0";
    const HAIKU3: &str = "anthropic.claude-3-haiku-20240307-v1:0";

    fn model(id: &str) -> &'static Model {
        Catalog::builtin().get(id).expect("in the catalog")
    }

    fn point(ttl: &str) -> Value {
        json!({"cachePoint": {"type": "default", "ttl": ttl}})
    }

    fn body(system: Vec<Value>, messages: Vec<Value>) -> Request {
        converse::parse(&json!({"system": system, "messages": messages})).expect("parses")
    }

    fn user(blocks: Vec<Value>) -> Value {
        json!({"role": "user", "content": blocks})
    }

    fn refusal(req: &Request, id: &str) -> String {
        let e = check(req, model(id)).expect_err("refused");
        assert_eq!(e.kind, ErrorKind::Validation);
        e.message
    }

    #[test]
    fn refuses_too_many_points_a_longer_ttl_after_a_shorter_and_1h_where_unsupported() {
        let text = json!({"text": "rules"});
        let five = body(
            vec![text.clone(), point("5m"), text.clone(), point("5m")],
            vec![user(vec![
                text.clone(),
                point("5m"),
                text.clone(),
                point("5m"),
                text.clone(),
                point("5m"),
            ])],
        );
        assert!(refusal(&five, SONNET).contains("A maximum of 4 blocks"));
        let order = body(
            vec![text.clone(), point("5m")],
            vec![user(vec![text.clone(), point("1h")])],
        );
        assert!(refusal(&order, SONNET).contains("must not come after"));
        let fine = body(
            vec![text.clone(), point("1h")],
            vec![user(vec![text.clone(), point("5m")])],
        );
        assert!(check(&fine, model(SONNET)).is_ok());
        assert!(refusal(&fine, HAIKU3).contains("doesn't support a cache TTL of 1h"));
        let bad = json!({"messages": [user(vec![text, point("2h")])]});
        assert!(converse::parse(&bad).is_err());
    }

    #[test]
    fn later_turns_read_what_the_first_wrote_with_details_per_ttl() {
        let state = State::new(Catalog::builtin(), Settings::default());
        let long = json!({"text": "The house rules, all of them. ".repeat(300)});
        let question = |q: &str| json!({"text": q});
        let turn = |n: usize| {
            let mut messages = vec![user(vec![question("first question")])];
            for i in 1..n {
                messages.push(json!({"role": "assistant", "content": [{"text": "an answer"}]}));
                messages.push(user(vec![question(&format!("question {i}"))]));
            }
            body(vec![long.clone(), point("1h")], messages)
        };
        let m = model(SONNET);
        let first = turn(1);
        let total = tokens::input(&first).total();
        let u1 = usage(&state, &first, m, total);
        assert!(u1.cache_write >= 1024, "{u1:?}");
        assert_eq!(u1.cache_write_1h, u1.cache_write);
        assert_eq!(u1.cache_read, 0);
        assert_eq!(u1.input + u1.cache_write, total);
        let details = u1.json()["cacheDetails"].clone();
        assert_eq!(
            details,
            json!([{"ttl": "1h", "inputTokens": u1.cache_write}])
        );
        for n in [2, 3] {
            let req = turn(n);
            let u = usage(&state, &req, m, tokens::input(&req).total());
            assert_eq!(u.cache_read, u1.cache_write, "turn {n}");
            assert_eq!(u.cache_write, 0);
            assert!(u.json().get("cacheDetails").is_none());
        }
        // Another model has its own cache.
        let opus = model("anthropic.claude-opus-4-5-20251101-v1:0");
        let u = usage(&state, &first, opus, total);
        assert_eq!(
            (u.cache_read, u.cache_write),
            (0, 0),
            "below Opus 4.5's 4,096"
        );
    }
}
