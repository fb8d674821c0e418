//! Cross-region failover: each model has a list of routes (the id chosen, then its
//! geography's inference profile, then the global one, or the config's `[failover]`
//! list). A turn that fails on a route with throttling, an unavailable service, or a
//! model that is not ready or timed out, after the SDK's own retries and before any of
//! its answer came, is sent again on the next route; the answer is labelled with the
//! route that produced it. Each route's calls, failures and latency are counted for the
//! session (`/routes`).

use std::collections::BTreeMap;

use super::effect::Effect;
use super::error::BedrockError;
use super::state::{App, Notice, Overlay};
use super::turn::TurnId;
use crate::catalog::Geo;

/// One route's record for the session.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RouteStats {
    pub route: String,
    /// Turns sent on the route, failed ones included.
    pub calls: u32,
    pub failures: u32,
    /// Total time of the turns that succeeded, for the average.
    pub total_ms: u64,
    pub succeeded: u32,
    /// What the last failure was.
    pub last_error: Option<String>,
}

impl RouteStats {
    pub fn average_ms(&self) -> Option<u64> {
        (self.succeeded > 0).then(|| self.total_ms / u64::from(self.succeeded))
    }
}

/// The routes of the turn in flight: which it is on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TurnRoutes {
    pub turn: TurnId,
    pub routes: Vec<String>,
    pub at: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Routing {
    /// The config's `[failover]` lists, by model id.
    pub config: BTreeMap<String, Vec<String>>,
    /// Every route used this session, in order of first use.
    pub stats: Vec<RouteStats>,
    pub current: Option<TurnRoutes>,
}

impl Routing {
    fn stats_mut(&mut self, route: &str) -> &mut RouteStats {
        match self.stats.iter().position(|s| s.route == route) {
            Some(i) => &mut self.stats[i],
            None => {
                self.stats.push(RouteStats {
                    route: route.to_owned(),
                    ..RouteStats::default()
                });
                let last = self.stats.len() - 1;
                &mut self.stats[last]
            }
        }
    }
}

/// The routes a turn to `model` tries, in order: the config's list for the model, or
/// `model` itself, then its geography's profile, then the global profile, where the
/// model has them.
pub fn routes_for(app: &App, model: &str) -> Vec<String> {
    let catalog = app.catalog();
    let found = catalog.lookup(model);
    if let Some(list) = found
        .and_then(|m| app.routing.config.get(&m.id))
        .or_else(|| app.routing.config.get(model))
        .filter(|l| !l.is_empty())
    {
        return list.clone();
    }
    // A bare id offered only through profiles goes out as its region's profile.
    let first = crate::catalog::invocation_id(catalog, model, app.link.region());
    let mut routes = vec![first];
    if let Some(m) = found {
        let geo = Geo::for_region(app.link.region());
        for g in geo.into_iter().chain([Geo::Global]) {
            let id = m.profile_id(g);
            if m.has_profile(g) && !routes.contains(&id) {
                routes.push(id);
            }
        }
    }
    routes
}

/// A turn to `model` begins: the route it goes out on (the first of the model's).
pub fn begin(app: &mut App, turn: TurnId, model: &str) -> String {
    let routes = routes_for(app, model);
    let route = routes[0].clone();
    app.routing.stats_mut(&route).calls += 1;
    app.routing.current = Some(TurnRoutes {
        turn,
        routes,
        at: 0,
    });
    route
}

/// Whether a failure is one another route may not have: capacity, availability and
/// the model's own state, never the request, the credentials or the guardrail.
pub fn fails_over(error: &BedrockError) -> bool {
    matches!(
        error,
        BedrockError::Throttled { .. }
            | BedrockError::Unavailable { .. }
            | BedrockError::Model { .. }
    )
}

/// Turn `id` failed with `error`: counted against its route; when the error is one to
/// fail over on, nothing of the answer came, and a route is left, the same turn is sent
/// there (the effects), else `None` and the failure ends the turn as usual.
pub fn failed(app: &mut App, id: TurnId, error: &BedrockError) -> Option<Vec<Effect>> {
    let current = app.routing.current.take_if(|c| c.turn == id)?;
    let route = current.routes.get(current.at).cloned().unwrap_or_default();
    let s = app.routing.stats_mut(&route);
    s.failures += 1;
    s.last_error = Some(short(error));
    let idx = super::turn::live(app, id)?;
    let next = current.routes.get(current.at + 1).cloned();
    let next = next.filter(|_| fails_over(error) && !app.entries[idx].has_content())?;
    app.tell(Notice::Info(format!(
        "{} on {}; sent again on {} (route {} of {}).",
        short(error),
        route_name(app, &route),
        route_name(app, &next),
        current.at + 2,
        current.routes.len()
    )));
    let entry = &mut app.entries[idx];
    entry.message.model = Some(next.clone());
    entry.exchange = None;
    entry.revision += 1;
    let new_id = TurnId(app.next_turn);
    app.next_turn += 1;
    app.turn = Some((new_id, idx));
    let mut request = super::meter::request(app, None);
    request.model_id = next.clone();
    app.routing.stats_mut(&next).calls += 1;
    app.routing.current = Some(TurnRoutes {
        turn: new_id,
        at: current.at + 1,
        routes: current.routes,
    });
    Some(vec![Effect::StartTurn {
        id: new_id,
        request,
    }])
}

/// Turn `id` succeeded in `total_ms`.
pub fn succeeded(app: &mut App, id: TurnId, total_ms: Option<u64>) {
    let Some(current) = app.routing.current.take_if(|c| c.turn == id) else {
        return;
    };
    if let Some(route) = current.routes.get(current.at).cloned() {
        let s = app.routing.stats_mut(&route);
        s.succeeded += 1;
        s.total_ms += total_ms.unwrap_or(0);
    }
}

/// A route as a message names it: "the us profile" for a system profile of the model
/// in use, else its id.
fn route_name(app: &App, route: &str) -> String {
    let model = app.catalog().lookup(&app.model).map(|m| m.id.as_str());
    match route.split_once('.') {
        Some((geo, rest)) if Some(rest) == model && Geo::ALL.iter().any(|g| g.prefix() == geo) => {
            format!("the {geo} profile")
        }
        _ if Some(route) == model => "the model's own id".to_owned(),
        _ => route.to_owned(),
    }
}

/// The error's kind, in a few words.
fn short(error: &BedrockError) -> String {
    match error {
        BedrockError::Throttled { .. } => "Throttled".into(),
        BedrockError::Unavailable { .. } => "Unavailable".into(),
        BedrockError::Model { .. } => "Model error or timeout".into(),
        BedrockError::Validation { .. } => "Refused as invalid".into(),
        BedrockError::AccessDenied { .. } | BedrockError::MissingPermission { .. } => {
            "Access denied".into()
        }
        other => {
            let s = other.to_string();
            s.split(':').next().unwrap_or(&s).to_owned()
        }
    }
}

/// `/routes`: the session's routes and their figures.
pub fn open(app: &mut App) -> Vec<Effect> {
    app.overlay = Overlay::Routes;
    Vec::new()
}

#[cfg(test)]
#[path = "routes_tests.rs"]
mod tests;
