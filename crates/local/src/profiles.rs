//! Application inference profiles and default prompt routers: the seeded resources the
//! control plane lists (ListInferenceProfiles `type=APPLICATION`, GetInferenceProfile,
//! ListPromptRouters, GetPromptRouter), and the model a Converse call naming one of
//! their ARNs reaches.

use bedrock_catalog::{Catalog, Geo};
use serde_json::{Value, json};

use super::control::{foundation_model_arn, profile_arn};
use super::error::{ErrorKind, ServiceError};
use super::faults::strip_directives;
use super::jobs::ACCOUNT;
use super::query;

type Result<T> = std::result::Result<T, ServiceError>;

/// The region the seeded application profiles were created in.
const HOME: &str = "us-east-1";
/// When the seeded resources were created, as the control plane reports it.
const CREATED: &str = "2025-11-03T09:00:00Z";

/// A seeded application inference profile: a name for a system profile or a model.
struct AppProfile {
    id: &'static str,
    name: &'static str,
    description: &'static str,
    /// The system profile id or foundation model id it copies.
    source: &'static str,
}

const APP_PROFILES: &[AppProfile] = &[
    AppProfile {
        id: "c4v9h1s7e3jq",
        name: "support-bot",
        description: "Customer support on Claude Sonnet 4.5 through the global profile",
        source: "global.anthropic.claude-sonnet-4-5-20250929-v1:0",
    },
    AppProfile {
        id: "k2x7a9m4q1zt",
        name: "team-chat",
        description: "Team chat on Claude Haiku 4.5 through the US profile",
        source: "us.anthropic.claude-haiku-4-5-20251001-v1:0",
    },
    AppProfile {
        id: "p8d3n6w2r5yb",
        name: "nightly-summaries",
        description: "Nightly summaries on Amazon Nova Lite in us-east-1",
        source: "amazon.nova-lite-v1:0",
    },
];

/// A default prompt router of a model family: a smaller and a larger model, the larger
/// one also its fallback.
struct Router {
    id: &'static str,
    name: &'static str,
    description: &'static str,
    small: &'static str,
    large: &'static str,
}

const ROUTERS: &[Router] = &[
    Router {
        id: "amazon.nova:1",
        name: "Nova Prompt Router",
        description: "Routes requests among models in the Nova family",
        small: "amazon.nova-lite-v1:0",
        large: "amazon.nova-pro-v1:0",
    },
    Router {
        id: "meta.llama:1",
        name: "Meta Prompt Router",
        description: "Routes requests among models in the Meta Llama family",
        small: "meta.llama3-1-8b-instruct-v1:0",
        large: "meta.llama3-1-70b-instruct-v1:0",
    },
];

/// A question this long, in words, goes to the larger model.
pub(crate) const LONG_QUESTION_WORDS: usize = 40;

fn app_arn(region: &str, id: &str) -> String {
    format!("arn:aws:bedrock:{region}:{ACCOUNT}:application-inference-profile/{id}")
}

fn router_arn(region: &str, id: &str) -> String {
    format!("arn:aws:bedrock:{region}:{ACCOUNT}:default-prompt-router/{id}")
}

/// The resource id of an ARN of this account and `region` of the given type.
fn arn_id<'a>(arn: &'a str, region: &str, kind: &str) -> Option<&'a str> {
    let prefix = format!("arn:aws:bedrock:{region}:{ACCOUNT}:{kind}/");
    arn.strip_prefix(&prefix).filter(|id| !id.is_empty())
}

fn app_profiles(region: &str) -> &'static [AppProfile] {
    if region == HOME { APP_PROFILES } else { &[] }
}

/// The geography whose profiles carry a router's models from `region`.
fn router_geo(catalog: &Catalog, router: &Router, region: &str) -> Option<Geo> {
    let geo = Geo::for_region(region)?;
    let both = [router.small, router.large]
        .iter()
        .all(|id| catalog.get(id).is_some_and(|m| m.has_profile(geo)));
    both.then_some(geo)
}

fn routers<'a>(catalog: &Catalog, region: &str) -> Vec<(&'a Router, Geo)> {
    ROUTERS
        .iter()
        .filter_map(|r| router_geo(catalog, r, region).map(|g| (r, g)))
        .collect()
}

/// The foundation-model ARNs a profile id (or a bare model id, in `region`) reaches.
fn model_arns(source: &str, region: &str) -> Vec<Value> {
    let geo = Geo::ALL.iter().find_map(|g| {
        source
            .strip_prefix(g.prefix())
            .and_then(|rest| rest.strip_prefix('.'))
            .map(|id| (*g, id))
    });
    match geo {
        // The service lists at most five models for a profile.
        Some((g, id)) => g
            .regions()
            .iter()
            .take(5)
            .map(|r| json!({"modelArn": foundation_model_arn(r, id)}))
            .collect(),
        None => vec![json!({"modelArn": foundation_model_arn(region, source)})],
    }
}

fn app_wire(p: &AppProfile, region: &str) -> Value {
    json!({
        "inferenceProfileName": p.name,
        "description": p.description,
        "createdAt": CREATED,
        "updatedAt": CREATED,
        "inferenceProfileArn": app_arn(region, p.id),
        "models": model_arns(p.source, region),
        "inferenceProfileId": p.id,
        "status": "ACTIVE",
        "type": "APPLICATION",
    })
}

fn router_wire(r: &Router, geo: Geo, region: &str) -> Value {
    let target =
        |id: &str| json!({"modelArn": profile_arn(region, &format!("{}.{id}", geo.prefix()))});
    json!({
        "promptRouterName": r.name,
        "routingCriteria": {"responseQualityDifference": 0.0},
        "description": r.description,
        "createdAt": CREATED,
        "updatedAt": CREATED,
        "promptRouterArn": router_arn(region, r.id),
        "models": [target(r.small), target(r.large)],
        "fallbackModel": target(r.large),
        "status": "AVAILABLE",
        "type": "default",
    })
}

/// One page of `items` (sorted by key) after the key in `nextToken`, with the next token.
pub(crate) fn page<'a, T>(
    items: &'a [T],
    key: impl Fn(&T) -> String,
    max: usize,
    after: Option<&str>,
) -> (Vec<&'a T>, Option<String>) {
    let start = after.map_or(0, |a| items.partition_point(|i| key(i).as_str() <= a));
    let rest = &items[start..];
    let shown: Vec<&T> = rest.iter().take(max).collect();
    let next = (rest.len() > shown.len())
        .then(|| shown.last().map(|i| query::encode_token(&key(i))))
        .flatten();
    (shown, next)
}

/// The application profiles of `region`, paged, as ListInferenceProfiles lists them.
pub(crate) fn list_app_profiles(region: &str, max: usize, after: Option<&str>) -> Value {
    let all = app_profiles(region);
    let (shown, next) = page(all, |p| p.id.to_owned(), max, after);
    let mut body = json!({
        "inferenceProfileSummaries": shown.iter().map(|p| app_wire(p, region)).collect::<Vec<_>>(),
    });
    if let Some(t) = next {
        body["nextToken"] = json!(t);
    }
    body
}

/// GetInferenceProfile of an application profile, by id or ARN; `None` if it is not one.
pub(crate) fn get_app_profile(region: &str, identifier: &str) -> Option<Value> {
    let id = arn_id(identifier, region, "application-inference-profile").unwrap_or(identifier);
    app_profiles(region)
        .iter()
        .find(|p| p.id == id)
        .map(|p| app_wire(p, region))
}

/// ListPromptRouters: the default routers (`type=default`, or no type), paged by ARN.
pub(crate) fn list_routers(catalog: &Catalog, region: &str, q: &str) -> Result<Value> {
    let mut max = 1000;
    let mut after = None;
    let mut kind = "default";
    for (k, v) in query::pairs(q) {
        match k.as_str() {
            "maxResults" => max = query::max_results(&v)?,
            "nextToken" => after = Some(query::decode_token(&v).ok_or_else(query::invalid_token)?),
            "type" => kind = query::one_of(&k, &v, &["custom", "default"])?,
            _ => {}
        }
    }
    let all = if kind == "default" {
        routers(catalog, region)
    } else {
        Vec::new()
    };
    let (shown, next) = page(
        &all,
        |(r, _)| router_arn(region, r.id),
        max,
        after.as_deref(),
    );
    let mut body = json!({
        "promptRouterSummaries": shown.iter().map(|(r, g)| router_wire(r, *g, region)).collect::<Vec<_>>(),
    });
    if let Some(t) = next {
        body["nextToken"] = json!(t);
    }
    Ok(body)
}

/// GetPromptRouter, by ARN.
pub(crate) fn get_router(catalog: &Catalog, region: &str, arn: &str) -> Result<Value> {
    routers(catalog, region)
        .into_iter()
        .find(|(r, _)| router_arn(region, r.id) == arn)
        .map(|(r, g)| router_wire(r, g, region))
        .ok_or_else(|| {
            ServiceError::new(
                ErrorKind::ResourceNotFound,
                format!("The prompt router {arn} could not be found."),
            )
        })
}

/// What a model id naming an application profile or a prompt router reaches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Target {
    /// The id to resolve in the catalog: a system profile or a model id.
    pub id: String,
    /// For a router: the ARN of the model it chose, reported in `trace.promptRouter`.
    pub invoked: Option<String>,
}

/// The target of an application-profile or prompt-router ARN, `question` deciding a
/// router's choice; `None` for any other model id; an error for an ARN of either kind
/// this region does not have.
pub(crate) fn target(
    catalog: &Catalog,
    region: &str,
    model_id: &str,
    question: &str,
) -> Option<Result<Target>> {
    let invalid = || {
        Err(ServiceError::validation(
            "The provided model identifier is invalid.",
        ))
    };
    if model_id.contains(":application-inference-profile/") {
        let found = arn_id(model_id, region, "application-inference-profile")
            .and_then(|id| app_profiles(region).iter().find(|p| p.id == id));
        return Some(found.map_or_else(invalid, |p| {
            Ok(Target {
                id: p.source.to_owned(),
                invoked: None,
            })
        }));
    }
    if model_id.contains(":default-prompt-router/") {
        let found = routers(catalog, region)
            .into_iter()
            .find(|(r, _)| router_arn(region, r.id) == model_id);
        return Some(found.map_or_else(invalid, |(r, geo)| {
            let chosen = if wants_larger(question) {
                r.large
            } else {
                r.small
            };
            let id = format!("{}.{chosen}", geo.prefix());
            Ok(Target {
                invoked: Some(profile_arn(region, &id)),
                id,
            })
        }));
    }
    None
}

/// The router's rule: a question of [`LONG_QUESTION_WORDS`] words or more, or one with
/// code in it (a backtick), goes to the larger model; any other to the smaller.
fn wants_larger(question: &str) -> bool {
    let question = strip_directives(question);
    question.contains('`') || question.split_whitespace().count() >= LONG_QUESTION_WORDS
}

#[cfg(test)]
#[path = "profiles_tests.rs"]
mod tests;
