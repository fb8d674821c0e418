//! Turns a model identifier as a caller sends it (bare id, foundation-model ARN,
//! inference-profile id or ARN) into a catalog model, the way Bedrock does for a region.

use serde::Deserialize;
use thiserror::Error;

use super::{Catalog, Model};

/// Geography of a system-defined cross-region inference profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Geo {
    Us,
    Eu,
    Apac,
    Jp,
    Au,
    Global,
    UsGov,
}

impl Geo {
    pub const ALL: [Geo; 7] = [
        Geo::UsGov,
        Geo::Us,
        Geo::Eu,
        Geo::Apac,
        Geo::Jp,
        Geo::Au,
        Geo::Global,
    ];

    pub fn prefix(self) -> &'static str {
        match self {
            Geo::Us => "us",
            Geo::Eu => "eu",
            Geo::Apac => "apac",
            Geo::Jp => "jp",
            Geo::Au => "au",
            Geo::Global => "global",
            Geo::UsGov => "us-gov",
        }
    }

    /// Whether a request made in `region` may use a profile of this geography.
    pub fn serves_region(self, region: &str) -> bool {
        let gov = region.starts_with("us-gov-");
        match self {
            Geo::UsGov => gov,
            Geo::Global => !gov,
            Geo::Us => !gov && (region.starts_with("us-") || region.starts_with("ca-")),
            Geo::Eu => region.starts_with("eu-"),
            Geo::Apac => region.starts_with("ap-"),
            Geo::Jp => matches!(region, "ap-northeast-1" | "ap-northeast-3"),
            Geo::Au => matches!(region, "ap-southeast-2" | "ap-southeast-4"),
        }
    }

    /// The regions a profile of this geography routes requests to. The service model
    /// allows at most five models in a profile, so the global profile names a spread of
    /// regions rather than all of them.
    pub fn regions(self) -> &'static [&'static str] {
        match self {
            Geo::Us => &["us-east-1", "us-east-2", "us-west-2"],
            Geo::Eu => &["eu-central-1", "eu-west-1", "eu-west-3", "eu-north-1"],
            Geo::Apac => &[
                "ap-northeast-1",
                "ap-northeast-2",
                "ap-south-1",
                "ap-southeast-1",
                "ap-southeast-2",
            ],
            Geo::Jp => &["ap-northeast-1", "ap-northeast-3"],
            Geo::Au => &["ap-southeast-2", "ap-southeast-4"],
            Geo::Global => &[
                "us-east-1",
                "us-west-2",
                "eu-west-1",
                "ap-northeast-1",
                "ap-southeast-2",
            ],
            Geo::UsGov => &["us-gov-west-1", "us-gov-east-1"],
        }
    }

    /// The geographic (not global) profile a client in `region` would normally pick.
    pub fn for_region(region: &str) -> Option<Geo> {
        [Geo::UsGov, Geo::Us, Geo::Eu, Geo::Jp, Geo::Au, Geo::Apac]
            .into_iter()
            .find(|g| g.serves_region(region))
    }
}

/// A model identifier resolved against the catalog.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resolution<'a> {
    pub model: &'a Model,
    /// The inference profile the call went through, if any.
    pub profile: Option<Geo>,
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ResolveError {
    #[error("The provided model identifier is invalid.")]
    Invalid,
    #[error(
        "Invocation of model ID {0} with on-demand throughput isn\u{2019}t supported. Retry your request with the ID or ARN of an inference profile that contains this model."
    )]
    NeedsProfile(String),
}

/// Resolves `identifier` for a call made in `region`.
pub fn resolve<'a>(
    catalog: &'a Catalog,
    identifier: &str,
    region: &str,
) -> Result<Resolution<'a>, ResolveError> {
    let id = strip_arn(identifier)?;
    if let Some(model) = catalog.get(id) {
        return if model.on_demand {
            Ok(Resolution {
                model,
                profile: None,
            })
        } else {
            Err(ResolveError::NeedsProfile(model.id.clone()))
        };
    }
    for geo in Geo::ALL {
        let Some(rest) = id
            .strip_prefix(geo.prefix())
            .and_then(|r| r.strip_prefix('.'))
        else {
            continue;
        };
        if let Some(model) = catalog.get(rest)
            && model.has_profile(geo)
            && geo.serves_region(region)
        {
            return Ok(Resolution {
                model,
                profile: Some(geo),
            });
        }
    }
    Err(ResolveError::Invalid)
}

/// Extracts the id from `arn:aws:bedrock:REGION:ACCOUNT:foundation-model/ID` or
/// `...:inference-profile/ID`; other strings are returned as they are.
fn strip_arn(identifier: &str) -> Result<&str, ResolveError> {
    if !identifier.starts_with("arn:") {
        return Ok(identifier);
    }
    let mut parts = identifier.splitn(6, ':');
    let (Some("arn"), Some(_partition), Some("bedrock"), Some(_region), Some(_account)) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return Err(ResolveError::Invalid);
    };
    let resource = parts.next().ok_or(ResolveError::Invalid)?;
    match resource.split_once('/') {
        Some(("foundation-model" | "inference-profile", id)) if !id.is_empty() => Ok(id),
        _ => Err(ResolveError::Invalid),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model(id: &str, on_demand: bool, profiles: Vec<Geo>) -> Model {
        Model {
            id: id.into(),
            name: id.into(),
            provider: "Test".into(),
            family: super::super::Family::Anthropic,
            input_modalities: vec!["text".into()],
            output_modalities: vec!["text".into()],
            context_window: 1000,
            max_output_tokens: 100,
            capabilities: Default::default(),
            on_demand,
            profiles,
        }
    }

    fn catalog() -> Catalog {
        Catalog {
            sources: vec![],
            updated: String::new(),
            models: vec![
                model("a.old-v1:0", true, vec![Geo::Us]),
                model("a.new-v1:0", false, vec![Geo::Us, Geo::Eu, Geo::Global]),
            ],
        }
    }

    #[test]
    fn resolves_every_identifier_form() {
        let c = catalog();
        let ok = |id: &str| resolve(&c, id, "us-east-1").map(|r| (r.model.id.clone(), r.profile));
        assert_eq!(ok("a.old-v1:0"), Ok(("a.old-v1:0".into(), None)));
        assert_eq!(
            ok("arn:aws:bedrock:us-east-1::foundation-model/a.old-v1:0"),
            Ok(("a.old-v1:0".into(), None))
        );
        assert_eq!(
            ok("us.a.new-v1:0"),
            Ok(("a.new-v1:0".into(), Some(Geo::Us)))
        );
        assert_eq!(
            ok("arn:aws:bedrock:us-east-1:123456789012:inference-profile/global.a.new-v1:0"),
            Ok(("a.new-v1:0".into(), Some(Geo::Global)))
        );
    }

    #[test]
    fn rejects_what_the_service_rejects() {
        let c = catalog();
        assert_eq!(
            resolve(&c, "a.new-v1:0", "us-east-1"),
            Err(ResolveError::NeedsProfile("a.new-v1:0".into()))
        );
        assert_eq!(
            resolve(&c, "eu.a.new-v1:0", "us-east-1"),
            Err(ResolveError::Invalid)
        );
        assert_eq!(
            resolve(&c, "apac.a.new-v1:0", "ap-south-1"),
            Err(ResolveError::Invalid)
        );
        assert_eq!(resolve(&c, "nope", "us-east-1"), Err(ResolveError::Invalid));
        assert_eq!(
            resolve(&c, "arn:aws:s3:::bucket", "us-east-1"),
            Err(ResolveError::Invalid)
        );
        assert!(resolve(&c, "eu.a.new-v1:0", "eu-west-1").is_ok());
    }

    #[test]
    fn picks_the_geo_of_a_region() {
        assert_eq!(Geo::for_region("us-west-2"), Some(Geo::Us));
        assert_eq!(Geo::for_region("eu-central-1"), Some(Geo::Eu));
        assert_eq!(Geo::for_region("ap-northeast-1"), Some(Geo::Jp));
        assert_eq!(Geo::for_region("ap-southeast-2"), Some(Geo::Au));
        assert_eq!(Geo::for_region("ap-south-1"), Some(Geo::Apac));
        assert_eq!(Geo::for_region("us-gov-west-1"), Some(Geo::UsGov));
    }

    #[test]
    fn a_geography_routes_only_to_regions_it_serves() {
        for geo in Geo::ALL {
            let regions = geo.regions();
            assert!((1..=5).contains(&regions.len()), "{geo:?}");
            for r in regions {
                assert!(geo.serves_region(r), "{geo:?} routes to {r}");
            }
        }
        assert!(!Geo::Us.regions().contains(&"eu-west-1"));
    }
}
