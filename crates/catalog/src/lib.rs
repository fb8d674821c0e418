//! The model catalog: Bedrock models, their capabilities and inference profiles, loaded
//! from `assets/models.json` and shared by the app and the local endpoint. Pure data
//! and lookups: it reads no file, environment or network (the app keeps the cache of
//! the control plane's live list).

// An item is `pub` only where the app or the local endpoint needs it; the rest is
// `pub(crate)`, and this lint keeps it so.
#![warn(unreachable_pub)]

pub mod live;
pub mod merge;
mod resolve;
mod suggest;

use std::sync::OnceLock;

use serde::Deserialize;

pub use resolve::{Geo, Resolution, ResolveError, resolve};
pub use suggest::check_with;

/// Checks a model id a user typed against the built-in catalog (see [`check_with`]).
pub fn check_model_id(name: &str) -> Result<(), String> {
    check_with(Catalog::builtin(), name, &[])
}

/// Native InvokeModel body format of a model family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Family {
    Anthropic,
    Nova,
    TitanText,
    Llama,
    Mistral,
    CohereCommandR,
    Jamba,
    NovaReel,
    NovaEmbed,
    TitanEmbed,
    MarengoEmbed,
    /// A model the catalog does not describe, known only from the control plane's
    /// live list; it has no native format the endpoint speaks.
    #[serde(skip)]
    Unknown,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Capabilities {
    pub converse: bool,
    pub streaming: bool,
    pub system_prompt: bool,
    pub tools: bool,
    pub streaming_tools: bool,
    pub images: bool,
    pub documents: bool,
    /// Video content blocks through Converse.
    pub video: bool,
    /// Document citations (`citations: {enabled: true}` on a document block).
    pub citations: bool,
    /// Images, documents and video given by S3 location instead of bytes.
    pub s3_media: bool,
    pub reasoning: bool,
    pub count_tokens: bool,
    #[serde(rename = "async")]
    pub async_invoke: bool,
    /// The fewest tokens a prompt-cache checkpoint can hold (the k-th checkpoint of a
    /// request needs k times as many before it); 0 when the model has no prompt cache.
    #[serde(default)]
    pub cache_min_tokens: u32,
    /// Cache checkpoints may live an hour (`ttl: "1h"`), not only five minutes.
    #[serde(default)]
    pub cache_ttl_1h: bool,
    /// `performanceConfig: {latency: "optimized"}` is offered.
    #[serde(default)]
    pub latency_optimized: bool,
    /// The `priority` service tier is offered.
    #[serde(default)]
    pub priority_tier: bool,
    /// The `flex` service tier is offered.
    #[serde(default)]
    pub flex_tier: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Model {
    pub id: String,
    pub name: String,
    pub provider: String,
    pub family: Family,
    pub input_modalities: Vec<String>,
    pub output_modalities: Vec<String>,
    pub context_window: u32,
    pub max_output_tokens: u32,
    pub capabilities: Capabilities,
    /// Whether the bare id may be invoked with on-demand throughput; models that are
    /// only offered through inference profiles answer the bare id with a ValidationException.
    pub on_demand: bool,
    pub profiles: Vec<Geo>,
}

impl Model {
    pub fn has_profile(&self, geo: Geo) -> bool {
        self.profiles.contains(&geo)
    }

    /// Id of the system-defined inference profile of this model for a geography.
    pub fn profile_id(&self, geo: Geo) -> String {
        format!("{}.{}", geo.prefix(), self.id)
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Catalog {
    pub sources: Vec<String>,
    pub updated: String,
    pub models: Vec<Model>,
}

impl Catalog {
    /// Parses a catalog file's text.
    pub fn from_json(text: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(text)
    }

    /// The catalog built into the binary.
    pub fn builtin() -> &'static Catalog {
        static CATALOG: OnceLock<Catalog> = OnceLock::new();
        CATALOG.get_or_init(|| {
            // The asset is compiled in and checked by the catalog's tests, so a parse
            // failure here is a build defect, not a runtime condition.
            Catalog::from_json(include_str!("../../../assets/models.json"))
                .expect("assets/models.json is a valid catalog")
        })
    }

    pub fn get(&self, id: &str) -> Option<&Model> {
        self.models.iter().find(|m| m.id == id)
    }

    /// The model behind a bare id, a profile id or either kind of ARN, in any region.
    pub fn lookup(&self, name: &str) -> Option<&Model> {
        let id = name.rsplit_once('/').map_or(name, |(_, id)| id);
        self.get(id).or_else(|| {
            Geo::ALL.iter().find_map(|g| {
                id.strip_prefix(g.prefix())
                    .and_then(|r| r.strip_prefix('.'))
                    .and_then(|r| self.get(r))
            })
        })
    }
}

/// The id to send for a model a user named, in `region`: a bare id of a model that
/// needs an inference profile becomes the profile of the region's geography (or the
/// global one); anything else is sent as it is.
pub fn invocation_id(catalog: &Catalog, name: &str, region: &str) -> String {
    let Some(model) = catalog.get(name) else {
        return name.to_owned();
    };
    if model.on_demand {
        return name.to_owned();
    }
    Geo::for_region(region)
        .filter(|g| model.has_profile(*g))
        .or_else(|| model.has_profile(Geo::Global).then_some(Geo::Global))
        .map(|g| model.profile_id(g))
        .unwrap_or_else(|| name.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_catalog_parses_and_picks_profiles() {
        let c = Catalog::builtin();
        assert!(c.models.len() >= 30);
        let sonnet = "anthropic.claude-sonnet-4-5-20250929-v1:0";
        assert_eq!(
            invocation_id(c, sonnet, "us-west-2"),
            format!("us.{sonnet}")
        );
        assert_eq!(
            invocation_id(c, sonnet, "eu-central-1"),
            format!("eu.{sonnet}")
        );
        assert_eq!(
            invocation_id(c, sonnet, "ap-south-1"),
            format!("global.{sonnet}")
        );
        let haiku3 = "anthropic.claude-3-haiku-20240307-v1:0";
        assert_eq!(invocation_id(c, haiku3, "us-east-1"), haiku3);
        assert_eq!(invocation_id(c, "us.custom", "us-east-1"), "us.custom");
        for m in &c.models {
            if !m.on_demand {
                let id = invocation_id(c, &m.id, "us-east-1");
                assert!(resolve(c, &id, "us-east-1").is_ok(), "{} -> {id}", m.id);
            }
        }
    }
}
