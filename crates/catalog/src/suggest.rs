//! Checks a model id a user typed and, when the catalog does not know it, offers the
//! closest ids it does know.

use super::{Catalog, Geo};

/// Every id a user may type for the catalog's models: bare ids and profile ids.
fn known_ids(catalog: &Catalog) -> impl Iterator<Item = String> + '_ {
    catalog.models.iter().flat_map(|m| {
        std::iter::once(m.id.clone()).chain(m.profiles.iter().map(|g| m.profile_id(*g)))
    })
}

/// How close `typed` is to the start of `candidate`, allowing one missed character:
/// people type the front of an id ("claude-sonet-4-5") and leave off the date.
fn prefix_score(typed: &str, candidate: &str) -> f64 {
    let n = typed.chars().count();
    let head: String = candidate.chars().take(n + 1).collect();
    let longest = n.max(head.chars().count()).max(1);
    1.0 - strsim::levenshtein(typed, &head) as f64 / longest as f64
}

/// Up to `n` known ids closest to `name`, best first. Ids are compared without a
/// geography prefix, so `us.claude-sonet` is close to `anthropic.claude-sonnet-...`.
fn closest(catalog: &Catalog, name: &str, extra: &[String], n: usize) -> Vec<String> {
    let bare = |s: &str| -> String {
        let s = s.rsplit_once('/').map_or(s, |(_, id)| id);
        Geo::ALL
            .iter()
            .find_map(|g| s.strip_prefix(g.prefix()).and_then(|r| r.strip_prefix('.')))
            .unwrap_or(s)
            .to_ascii_lowercase()
    };
    let wanted = bare(name);
    let mut scored: Vec<(f64, String)> = catalog
        .models
        .iter()
        .map(|m| m.id.clone())
        .chain(extra.iter().cloned())
        .map(|id| {
            let b = bare(&id);
            // People leave out the provider ("claude-sonnet-4-5"); compare both ways.
            let unprefixed = b.split_once('.').map_or(b.as_str(), |(_, r)| r);
            let mut score = [b.as_str(), unprefixed]
                .into_iter()
                .map(|c| strsim::jaro_winkler(&wanted, c).max(prefix_score(&wanted, c)))
                .fold(0.0, f64::max);
            // A typed fragment of the id ("sonnet-4-5") is as good as a near miss.
            if b.contains(&wanted) {
                score = score.max(0.9);
            }
            (score, id)
        })
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    scored.dedup_by(|a, b| a.1 == b.1);
    scored
        .into_iter()
        .filter(|(s, _)| *s >= 0.7)
        .take(n)
        .map(|(_, id)| id)
        .collect()
}

/// Accepts an id the catalog or `extra` (ids the account lists) knows, and any ARN
/// (custom, imported and provisioned models have only ARNs); refuses anything else
/// with the closest known ids.
pub fn check_with(catalog: &Catalog, name: &str, extra: &[String]) -> Result<(), String> {
    let name = name.trim();
    if name.starts_with("arn:")
        || catalog.lookup(name).is_some()
        || known_ids(catalog).any(|id| id == name)
        || extra.iter().any(|id| id == name)
    {
        return Ok(());
    }
    let close = closest(catalog, name, extra, 3);
    let hint = if close.is_empty() {
        "`bedrock-tui models` lists the known ones".to_owned()
    } else {
        format!("did you mean {}?", close.join(", "))
    };
    Err(format!(
        "unknown model '{name}'; {hint} (an ARN is accepted as it is)"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_ids_and_arns_pass() {
        let c = Catalog::builtin();
        assert!(check_with(c, "anthropic.claude-3-haiku-20240307-v1:0", &[]).is_ok());
        assert!(check_with(c, "us.anthropic.claude-sonnet-4-5-20250929-v1:0", &[]).is_ok());
        assert!(check_with(c, "arn:aws:bedrock:us-east-1:1:custom-model/x", &[]).is_ok());
        assert!(
            check_with(
                c,
                "vendor.new-model-v1:0",
                &["vendor.new-model-v1:0".into()]
            )
            .is_ok()
        );
    }

    #[test]
    fn near_misses_get_close_matches() {
        let c = Catalog::builtin();
        let e = check_with(c, "anthropic.claude-sonet-4-5-20250929-v1:0", &[]).unwrap_err();
        assert!(
            e.starts_with("unknown model 'anthropic.claude-sonet-4-5-20250929-v1:0'; did you mean anthropic.claude-sonnet-4-5-20250929-v1:0"),
            "{e}"
        );
        let e = check_with(c, "us.nova-pro", &[]).unwrap_err();
        assert!(e.contains("amazon.nova-pro-v1:0"), "{e}");
        let e = check_with(c, "claude-sonet-4-5", &[]).unwrap_err();
        assert!(
            e.contains("did you mean anthropic.claude-sonnet-4-5-20250929-v1:0"),
            "{e}"
        );
        let e = check_with(c, "zzzzzzzzzzzz", &[]).unwrap_err();
        assert!(
            e.contains("`bedrock-tui models` lists the known ones"),
            "{e}"
        );
    }
}
