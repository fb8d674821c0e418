//! The catalog as the picker offers it once the control plane has answered: the
//! built-in models, the ones the region lists that the catalog does not know, and which
//! catalog models the region does not list.

use std::collections::BTreeSet;

use super::live::{LiveModel, LiveModels};
use super::{Capabilities, Catalog, Family, Geo, Model};

/// The built-in catalog merged with a region's live list.
#[derive(Debug, Clone, PartialEq)]
pub struct Merged {
    pub catalog: Catalog,
    pub region: String,
    /// Ids of catalog models the region's live list does not have.
    pub unlisted: BTreeSet<String>,
    /// The account's application inference profiles and prompt routers.
    pub routes: Vec<crate::live::LiveProfile>,
}

impl Merged {
    /// The application profile or prompt router invoked as `arn`.
    pub fn route(&self, arn: &str) -> Option<&crate::live::LiveProfile> {
        self.routes.iter().find(|r| r.id == arn)
    }
}

impl Merged {
    /// Whether `model` came from the live list only.
    pub fn live_only(model: &Model) -> bool {
        model.family == Family::Unknown
    }
}

/// A live-only chat model as a catalog entry: what the control plane says, and nothing
/// it does not (context window 0 means unknown).
fn entry(m: &LiveModel, live: &LiveModels) -> Model {
    let lower = |v: &[String]| v.iter().map(|s| s.to_ascii_lowercase()).collect::<Vec<_>>();
    let profiles = live
        .profiles_for(&m.id)
        .iter()
        .filter_map(|p| {
            let (prefix, rest) = p.id.split_once('.')?;
            (rest == m.id)
                .then(|| Geo::ALL.into_iter().find(|g| g.prefix() == prefix))
                .flatten()
        })
        .collect();
    let inputs = lower(&m.input_modalities);
    Model {
        id: m.id.clone(),
        name: m.name.clone(),
        provider: m.provider.clone(),
        family: Family::Unknown,
        input_modalities: inputs.clone(),
        output_modalities: lower(&m.output_modalities),
        context_window: 0,
        max_output_tokens: 0,
        capabilities: Capabilities {
            converse: true,
            streaming: m.streaming.unwrap_or(false),
            // Most chat models take a system prompt; the service says so if not.
            system_prompt: true,
            images: inputs.iter().any(|i| i == "image"),
            video: inputs.iter().any(|i| i == "video"),
            ..Capabilities::default()
        },
        on_demand: m.inference_types.iter().any(|t| t == "ON_DEMAND"),
        profiles,
    }
}

/// `builtin` plus the text models of `live` it lacks, and the set of its models that
/// `live` does not list.
pub fn merge(builtin: &Catalog, live: &LiveModels) -> Merged {
    let mut catalog = builtin.clone();
    for m in &live.models {
        let chat = m.output_modalities.iter().any(|o| o == "TEXT")
            && m.lifecycle.as_deref() != Some("LEGACY")
            && !m.inference_types.is_empty();
        if chat && builtin.get(&m.id).is_none() {
            catalog.models.push(entry(m, live));
        }
    }
    let unlisted = builtin
        .models
        .iter()
        .filter(|m| live.get(&m.id).is_none())
        .map(|m| m.id.clone())
        .collect();
    Merged {
        catalog,
        region: live.region.clone(),
        unlisted,
        routes: live.custom_routes().into_iter().cloned().collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::live::LiveProfile;

    fn model(id: &str, out: &str, types: &[&str]) -> LiveModel {
        LiveModel {
            id: id.into(),
            name: format!("Name of {id}"),
            provider: "Acme".into(),
            input_modalities: vec!["TEXT".into(), "IMAGE".into()],
            output_modalities: vec![out.into()],
            streaming: Some(true),
            inference_types: types.iter().map(|t| (*t).to_owned()).collect(),
            lifecycle: Some("ACTIVE".into()),
        }
    }

    #[test]
    fn adds_live_chat_models_and_marks_unlisted_ones() {
        let builtin = Catalog::builtin();
        let haiku = "anthropic.claude-3-haiku-20240307-v1:0";
        let live = LiveModels {
            region: "us-east-1".into(),
            fetched_ms: 1,
            models: vec![
                model(haiku, "TEXT", &["ON_DEMAND"]),
                model("acme.chat-v2:0", "TEXT", &["INFERENCE_PROFILE"]),
                model("acme.painter-v1:0", "IMAGE", &["ON_DEMAND"]),
            ],
            profiles: vec![LiveProfile {
                id: "us.acme.chat-v2:0".into(),
                name: "US Acme Chat".into(),
                kind: "SYSTEM_DEFINED".into(),
                status: "ACTIVE".into(),
                model_ids: vec!["acme.chat-v2:0".into()],
            }],
        };
        let m = merge(builtin, &live);
        assert_eq!(m.catalog.models.len(), builtin.models.len() + 1);
        let added = m.catalog.get("acme.chat-v2:0").unwrap();
        assert!(Merged::live_only(added));
        assert_eq!(added.profiles, vec![Geo::Us]);
        assert!(!added.on_demand);
        assert!(added.capabilities.images && added.capabilities.streaming);
        assert_eq!(added.context_window, 0);
        assert!(
            m.catalog.get("acme.painter-v1:0").is_none(),
            "not a chat model"
        );
        assert!(!m.unlisted.contains(haiku));
        assert!(m.unlisted.contains("amazon.nova-pro-v1:0"));
        // A bare id that needs a profile resolves to the live profile.
        assert_eq!(
            crate::invocation_id(&m.catalog, "acme.chat-v2:0", "us-east-1"),
            "us.acme.chat-v2:0"
        );
        assert!(crate::check_with(&m.catalog, "us.acme.chat-v2:0", &[]).is_ok());
    }
}
