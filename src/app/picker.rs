//! The model picker's state and logic: a fuzzy filter over the catalog's chat models,
//! grouped by provider, and the choice of invocation (bare id or a geo profile).

use crate::catalog::live::LiveProfile;
use crate::catalog::merge::Merged;
use crate::catalog::{Catalog, Geo, Model};

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Picker {
    pub query: String,
    /// Index into the filtered list.
    pub selected: usize,
    /// The invocation chosen with Tab for the selected model, if not the default.
    pub route: Option<Route>,
}

/// How a model is invoked: by its bare id, or through a cross-region profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    Bare,
    Profile(Geo),
}

/// Chat models only: the picker switches the conversation's model.
pub fn chat_models(catalog: &Catalog) -> impl Iterator<Item = &Model> {
    catalog.models.iter().filter(|m| m.capabilities.converse)
}

/// How well `query` matches `text` as a subsequence (case-insensitive); `None` if it
/// does not. Consecutive and word-start matches score higher.
pub fn score(query: &str, text: &str) -> Option<i64> {
    if query.is_empty() {
        return Some(0);
    }
    let hay: Vec<char> = text.to_lowercase().chars().collect();
    let mut score = 0i64;
    let mut pos = 0usize;
    let mut last: Option<usize> = None;
    for q in query.to_lowercase().chars().filter(|c| !c.is_whitespace()) {
        let found = hay[pos..].iter().position(|c| *c == q)? + pos;
        score += 1;
        if last.is_some_and(|l| l + 1 == found) {
            score += 5;
        }
        if found == 0 || !hay[found - 1].is_alphanumeric() {
            score += 3;
        }
        last = Some(found);
        pos = found + 1;
    }
    // Words of the query found as they are count most.
    let text = text.to_lowercase();
    let exact: i64 = query
        .to_lowercase()
        .split_whitespace()
        .filter(|w| text.contains(w))
        .map(|w| 4 * w.chars().count() as i64)
        .sum();
    Some(score + exact - (hay.len() as i64) / 20)
}

/// The models matching the picker's query: grouped by provider (providers and models
/// in catalog order) when the query is empty, best match first otherwise.
pub fn filtered<'a>(catalog: &'a Catalog, query: &str) -> Vec<&'a Model> {
    let mut hits: Vec<(i64, usize, &Model)> = chat_models(catalog)
        .enumerate()
        .filter_map(|(i, m)| {
            let hay = format!("{} {} {}", m.provider, m.name, m.id);
            score(query, &hay).map(|s| (s, i, m))
        })
        .collect();
    if query.trim().is_empty() {
        let providers: Vec<&str> = {
            let mut p: Vec<&str> = Vec::new();
            for m in chat_models(catalog) {
                if !p.contains(&m.provider.as_str()) {
                    p.push(&m.provider);
                }
            }
            p
        };
        hits.sort_by_key(|(_, i, m)| (providers.iter().position(|p| *p == m.provider), *i));
    } else {
        hits.sort_by_key(|(s, i, _)| (-s, *i));
        // Scattered subsequence matches are noise next to a close match.
        let best = hits.first().map(|(s, _, _)| *s).unwrap_or(0);
        hits.retain(|(s, _, _)| *s * 2 >= best);
    }
    hits.into_iter().map(|(_, _, m)| m).collect()
}

/// Opens the picker on the model or route the conversation uses.
pub fn open(app: &mut super::state::App) {
    let picker = Picker::on_live(
        app.live.as_deref(),
        app.catalog(),
        &app.model,
        app.link.region(),
    );
    app.overlay = super::state::Overlay::Picker(picker);
}

/// The account's application profiles and prompt routers matching the query, after
/// the models in the picker's list.
pub fn custom<'a>(live: Option<&'a Merged>, query: &str) -> Vec<&'a LiveProfile> {
    let Some(live) = live else {
        return Vec::new();
    };
    let mut hits: Vec<(i64, usize, &LiveProfile)> = live
        .routes
        .iter()
        .enumerate()
        .filter_map(|(i, r)| {
            let kind = if r.is_router() {
                "prompt router"
            } else {
                "application profile"
            };
            let hay = format!("{kind} {} {} {}", r.name, r.id, r.model_ids.join(" "));
            score(query, &hay).map(|s| (s, i, r))
        })
        .collect();
    if !query.trim().is_empty() {
        hits.sort_by_key(|(s, i, _)| (-s, *i));
        let best = hits.first().map(|(s, _, _)| *s).unwrap_or(0);
        hits.retain(|(s, _, _)| *s * 2 >= best);
    }
    hits.into_iter().map(|(_, _, r)| r).collect()
}

/// The ways `model` can be invoked from `region`, default first.
pub fn routes(model: &Model, region: &str) -> Vec<Route> {
    let mut out = Vec::new();
    let geo = Geo::for_region(region).filter(|g| model.has_profile(*g));
    if model.on_demand {
        out.push(Route::Bare);
    }
    if let Some(g) = geo {
        out.push(Route::Profile(g));
    }
    if model.has_profile(Geo::Global) && !region.starts_with("us-gov-") {
        out.push(Route::Profile(Geo::Global));
    }
    if out.is_empty() {
        out.push(Route::Bare);
    }
    out
}

pub fn route_id(model: &Model, route: Route) -> String {
    match route {
        Route::Bare => model.id.clone(),
        Route::Profile(g) => model.profile_id(g),
    }
}

impl Picker {
    /// The picker opened on `current`, the model or profile the conversation uses: its
    /// row selected with the route it is invoked by.
    pub fn on(catalog: &Catalog, current: &str, region: &str) -> Picker {
        let Some(model) = catalog.lookup(current) else {
            return Picker::default();
        };
        Picker::on_model(catalog, model, current, region)
    }

    /// [`Picker::on`], also finding an application profile or prompt router of `live`.
    pub fn on_live(
        live: Option<&Merged>,
        catalog: &Catalog,
        current: &str,
        region: &str,
    ) -> Picker {
        if let Some(i) = custom(live, "").iter().position(|r| r.id == current) {
            return Picker {
                selected: filtered(catalog, "").len() + i,
                ..Picker::default()
            };
        }
        Picker::on(catalog, current, region)
    }

    fn on_model(catalog: &Catalog, model: &Model, current: &str, region: &str) -> Picker {
        let selected = filtered(catalog, "")
            .iter()
            .position(|m| m.id == model.id)
            .unwrap_or(0);
        // An ARN names the id after its last slash.
        let id = current.rsplit_once('/').map_or(current, |(_, id)| id);
        let route = routes(model, region)
            .into_iter()
            .find(|r| route_id(model, *r) == id);
        Picker {
            selected,
            route,
            ..Picker::default()
        }
    }

    pub fn selected_model<'a>(&self, catalog: &'a Catalog) -> Option<&'a Model> {
        filtered(catalog, &self.query).get(self.selected).copied()
    }

    /// The route in effect for the selected model.
    pub fn route(&self, model: &Model, region: &str) -> Route {
        let all = routes(model, region);
        self.route.filter(|r| all.contains(r)).unwrap_or(all[0])
    }

    pub fn cycle_route(&mut self, model: &Model, region: &str) {
        let all = routes(model, region);
        let now = self.route(model, region);
        let i = all.iter().position(|r| *r == now).unwrap_or(0);
        self.route = Some(all[(i + 1) % all.len()]);
    }

    pub fn move_by(&mut self, delta: i32, len: usize) {
        if len == 0 {
            self.selected = 0;
            return;
        }
        let i = (self.selected as i64 + i64::from(delta)).rem_euclid(len as i64);
        self.selected = i as usize;
        self.route = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fuzzy_filter_and_grouping() {
        let c = Catalog::builtin();
        let all = filtered(c, "");
        assert!(all.iter().all(|m| m.capabilities.converse));
        let providers: Vec<&str> = all.iter().map(|m| m.provider.as_str()).collect();
        let mut seen: Vec<&str> = Vec::new();
        for p in &providers {
            if seen.last() != Some(p) {
                assert!(!seen.contains(p), "provider {p} appears in two groups");
                seen.push(p);
            }
        }
        let hits = filtered(c, "son45");
        assert_eq!(hits[0].id, "anthropic.claude-sonnet-4-5-20250929-v1:0");
        let hits = filtered(c, "nova lite");
        assert!(
            hits[0].id.starts_with("amazon.nova") && hits[0].id.contains("lite"),
            "{}",
            hits[0].id
        );
        assert!(filtered(c, "zzzzqqq").is_empty());
        let llamas: Vec<&str> = filtered(c, "llama").iter().map(|m| m.id.as_str()).collect();
        assert!(
            llamas.iter().all(|id| id.starts_with("meta.")),
            "{llamas:?}"
        );
    }

    #[test]
    fn routes_follow_the_region() {
        let c = Catalog::builtin();
        let sonnet = c.get("anthropic.claude-sonnet-4-5-20250929-v1:0").unwrap();
        assert_eq!(
            routes(sonnet, "eu-west-1"),
            vec![Route::Profile(Geo::Eu), Route::Profile(Geo::Global)]
        );
        let haiku3 = c.get("anthropic.claude-3-haiku-20240307-v1:0").unwrap();
        assert_eq!(
            routes(haiku3, "us-east-1"),
            vec![Route::Bare, Route::Profile(Geo::Us)]
        );
        let mut p = Picker::default();
        assert_eq!(p.route(sonnet, "eu-west-1"), Route::Profile(Geo::Eu));
        p.cycle_route(sonnet, "eu-west-1");
        assert_eq!(
            route_id(sonnet, p.route(sonnet, "eu-west-1")),
            "global.anthropic.claude-sonnet-4-5-20250929-v1:0"
        );
        p.cycle_route(sonnet, "eu-west-1");
        assert_eq!(p.route(sonnet, "eu-west-1"), Route::Profile(Geo::Eu));
    }

    #[test]
    fn the_picker_opens_on_the_current_model_and_route() {
        let c = Catalog::builtin();
        let all = filtered(c, "");
        for (current, id, route) in [
            (
                "global.anthropic.claude-sonnet-4-5-20250929-v1:0",
                "anthropic.claude-sonnet-4-5-20250929-v1:0",
                Route::Profile(Geo::Global),
            ),
            (
                "us.amazon.nova-pro-v1:0",
                "amazon.nova-pro-v1:0",
                Route::Profile(Geo::Us),
            ),
            ("amazon.nova-pro-v1:0", "amazon.nova-pro-v1:0", Route::Bare),
        ] {
            let p = Picker::on(c, current, "us-east-1");
            assert_eq!(all[p.selected].id, id, "{current}");
            assert_ne!(p.selected, 0, "{current} is not the first row");
            assert_eq!(p.route(all[p.selected], "us-east-1"), route, "{current}");
        }
        assert_eq!(
            Picker::on(c, "acme.unknown-v1", "us-east-1"),
            Picker::default()
        );
    }
}
