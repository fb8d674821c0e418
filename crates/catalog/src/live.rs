//! What an account's region actually offers, as the control plane lists it: the
//! foundation models and inference profiles, kept beside the built-in catalog.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LiveModels {
    pub region: String,
    /// When the list was fetched, in milliseconds since the Unix epoch.
    pub fetched_ms: i64,
    pub models: Vec<LiveModel>,
    pub profiles: Vec<LiveProfile>,
}

/// A foundation model as ListFoundationModels reports it; enum values as the service
/// spells them (`TEXT`, `ON_DEMAND`, `ACTIVE`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LiveModel {
    pub id: String,
    pub name: String,
    pub provider: String,
    pub input_modalities: Vec<String>,
    pub output_modalities: Vec<String>,
    pub streaming: Option<bool>,
    pub inference_types: Vec<String>,
    pub lifecycle: Option<String>,
}

/// An inference profile as ListInferenceProfiles reports it, or a prompt router as
/// ListPromptRouters does. Application profiles and routers are invoked by ARN, which is
/// their `id` here.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LiveProfile {
    pub id: String,
    pub name: String,
    /// `SYSTEM_DEFINED`, `APPLICATION` or [`PROMPT_ROUTER`].
    pub kind: String,
    pub status: String,
    /// Bare foundation-model ids, each once, whatever the regions it routes to.
    pub model_ids: Vec<String>,
}

/// The `kind` of a prompt router in the live list.
pub const PROMPT_ROUTER: &str = "PROMPT_ROUTER";
/// The `kind` of an application inference profile.
pub const APPLICATION: &str = "APPLICATION";

impl LiveProfile {
    pub fn is_router(&self) -> bool {
        self.kind == PROMPT_ROUTER
    }
}

impl LiveModels {
    pub fn get(&self, id: &str) -> Option<&LiveModel> {
        self.models.iter().find(|m| m.id == id)
    }

    /// The system-defined profiles that carry `model_id`.
    pub fn profiles_for(&self, model_id: &str) -> Vec<&LiveProfile> {
        self.profiles
            .iter()
            .filter(|p| p.kind == "SYSTEM_DEFINED" && p.model_ids.iter().any(|m| m == model_id))
            .collect()
    }

    /// The account's own routes: application inference profiles and prompt routers.
    pub fn custom_routes(&self) -> Vec<&LiveProfile> {
        self.profiles
            .iter()
            .filter(|p| p.kind == APPLICATION || p.kind == PROMPT_ROUTER)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> LiveModels {
        LiveModels {
            region: "us-east-1".into(),
            fetched_ms: 0,
            models: vec![LiveModel {
                id: "amazon.nova-lite-v1:0".into(),
                name: "Nova Lite".into(),
                provider: "Amazon".into(),
                input_modalities: vec!["TEXT".into(), "IMAGE".into()],
                output_modalities: vec!["TEXT".into()],
                streaming: Some(true),
                inference_types: vec!["ON_DEMAND".into(), "INFERENCE_PROFILE".into()],
                lifecycle: Some("ACTIVE".into()),
            }],
            profiles: vec![
                LiveProfile {
                    id: "us.amazon.nova-lite-v1:0".into(),
                    name: "US Nova Lite".into(),
                    kind: "SYSTEM_DEFINED".into(),
                    status: "ACTIVE".into(),
                    model_ids: vec!["amazon.nova-lite-v1:0".into()],
                },
                LiveProfile {
                    id: "us.amazon.nova-pro-v1:0".into(),
                    name: "US Nova Pro".into(),
                    kind: "SYSTEM_DEFINED".into(),
                    status: "ACTIVE".into(),
                    model_ids: vec!["amazon.nova-pro-v1:0".into()],
                },
            ],
        }
    }

    #[test]
    fn finds_models_and_their_profiles() {
        let live = sample();
        assert_eq!(
            live.get("amazon.nova-lite-v1:0").map(|m| m.streaming),
            Some(Some(true))
        );
        assert!(live.get("amazon.nova-pro-v1:0").is_none());
        let ids: Vec<&str> = live
            .profiles_for("amazon.nova-pro-v1:0")
            .iter()
            .map(|p| p.id.as_str())
            .collect();
        assert_eq!(ids, ["us.amazon.nova-pro-v1:0"]);
        assert!(live.profiles_for("x").is_empty());
    }
}
