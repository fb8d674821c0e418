//! The Bedrock control plane of the local endpoint (ListFoundationModels,
//! GetFoundationModel, ListInferenceProfiles, GetInferenceProfile), answered from the
//! catalog in the shapes of the Bedrock API model `bedrock-2023-04-20`.

use bedrock_catalog::{Catalog, Geo, Model};
use serde_json::{Value, json};

use super::error::{ErrorKind, ServiceError};
use super::jobs::ACCOUNT;
use super::profiles;
use super::query;

type Result<T> = std::result::Result<T, ServiceError>;

const CUSTOMIZATIONS: &[&str] = &["FINE_TUNING", "CONTINUED_PRE_TRAINING", "DISTILLATION"];
/// The model's `ModelModality` enum plus the values the service sends for video and
/// audio models, which the model does not list yet (SDKs keep them as unknown values).
const MODALITIES: &[&str] = &["TEXT", "IMAGE", "EMBEDDING", "VIDEO", "AUDIO"];
const INFERENCE_TYPES: &[&str] = &["ON_DEMAND", "PROVISIONED"];
const PROFILE_TYPES: &[&str] = &["SYSTEM_DEFINED", "APPLICATION"];

pub(crate) fn foundation_model_arn(region: &str, id: &str) -> String {
    format!("arn:aws:bedrock:{region}::foundation-model/{id}")
}

pub(crate) fn profile_arn(region: &str, id: &str) -> String {
    format!("arn:aws:bedrock:{region}:{ACCOUNT}:inference-profile/{id}")
}

fn modalities(list: &[String]) -> Vec<String> {
    list.iter().map(|m| m.to_ascii_uppercase()).collect()
}

/// ON_DEMAND when the bare id may be invoked, INFERENCE_PROFILE when profiles carry it.
fn inference_types(model: &Model) -> Vec<&'static str> {
    let mut types = Vec::new();
    if model.on_demand {
        types.push("ON_DEMAND");
    }
    if !model.profiles.is_empty() {
        types.push("INFERENCE_PROFILE");
    }
    types
}

/// A `FoundationModelSummary`, which has the same members as `FoundationModelDetails`.
fn model_wire(model: &Model, region: &str) -> Value {
    json!({
        "modelArn": foundation_model_arn(region, &model.id),
        "modelId": model.id,
        "modelName": model.name,
        "providerName": model.provider,
        "inputModalities": modalities(&model.input_modalities),
        "outputModalities": modalities(&model.output_modalities),
        "responseStreamingSupported": model.capabilities.streaming,
        "customizationsSupported": [],
        "inferenceTypesSupported": inference_types(model),
        "modelLifecycle": { "status": "ACTIVE" },
    })
}

/// A provider filter names the provider ("Mistral AI") or its id prefix ("mistral").
fn provider_matches(model: &Model, wanted: &str) -> bool {
    let prefix = model.id.split('.').next().unwrap_or("");
    model.provider.eq_ignore_ascii_case(wanted) || prefix.eq_ignore_ascii_case(wanted)
}

fn provider_filter(value: &str) -> Result<String> {
    let valid = (1..=63).contains(&value.len())
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == ' ');
    if valid {
        Ok(value.to_owned())
    } else {
        Err(ServiceError::validation(format!(
            "1 validation error detected: Value '{value}' at 'byProvider' failed to satisfy constraint: Member must satisfy regular expression pattern: [A-Za-z0-9- ]{{1,63}}"
        )))
    }
}

/// ListFoundationModels.
pub(crate) fn list_foundation_models(
    catalog: &Catalog,
    region: &str,
    query: &str,
) -> Result<Value> {
    let mut provider = None;
    let mut customization = None;
    let mut output = None;
    let mut inference = None;
    for (k, v) in query::pairs(query) {
        match k.as_str() {
            "byProvider" => provider = Some(provider_filter(&v)?),
            "byCustomizationType" => customization = Some(query::one_of(&k, &v, CUSTOMIZATIONS)?),
            "byOutputModality" => output = Some(query::one_of(&k, &v, MODALITIES)?),
            "byInferenceType" => inference = Some(query::one_of(&k, &v, INFERENCE_TYPES)?),
            _ => {}
        }
    }
    let summaries: Vec<Value> = catalog
        .models
        .iter()
        .filter(|m| provider.as_deref().is_none_or(|p| provider_matches(m, p)))
        // The catalog offers no customizations, so any customization filter is empty.
        .filter(|_| customization.is_none())
        .filter(|m| output.is_none_or(|o| modalities(&m.output_modalities).iter().any(|x| x == o)))
        .filter(|m| inference.is_none_or(|t| inference_types(m).contains(&t)))
        .map(|m| model_wire(m, region))
        .collect();
    Ok(json!({ "modelSummaries": summaries }))
}

/// The bare id of a GetFoundationModel identifier: an id, or a foundation-model ARN.
fn foundation_model_id(identifier: &str) -> Result<&str> {
    if !identifier.starts_with("arn:") {
        return Ok(identifier);
    }
    let parts: Vec<&str> = identifier.splitn(6, ':').collect();
    match parts.as_slice() {
        ["arn", partition, "bedrock", _, "", resource] if partition.starts_with("aws") => {
            match resource.split_once('/') {
                Some(("foundation-model", id)) if !id.is_empty() => Ok(id),
                _ => Err(bad_model_identifier()),
            }
        }
        _ => Err(bad_model_identifier()),
    }
}

fn bad_model_identifier() -> ServiceError {
    ServiceError::constraint(
        "modelIdentifier",
        "Member must satisfy regular expression pattern: (arn:aws(-[^:]+)?:bedrock:[a-z0-9-]{1,20}::foundation-model/[a-z0-9-]{1,63}[.]{1}([a-z0-9-]{1,63}[.]){0,2}[a-z0-9-]{1,63}([:][a-z0-9-]{1,63}){0,2})|([a-z0-9-]{1,63}[.]{1}[a-z0-9-]{1,63}([.]?[a-z0-9-]{1,63})([:][a-z0-9-]{1,63}){0,2})",
    )
}

/// GetFoundationModel.
pub(crate) fn get_foundation_model(
    catalog: &Catalog,
    region: &str,
    identifier: &str,
) -> Result<Value> {
    let id = foundation_model_id(identifier)?;
    // Every model id is `provider.name`; anything else fails the identifier pattern.
    if !id.contains('.') {
        return Err(bad_model_identifier());
    }
    let model = catalog.get(id).ok_or_else(|| {
        ServiceError::new(
            ErrorKind::ResourceNotFound,
            "Could not resolve the foundation model from the provided model identifier.",
        )
    })?;
    Ok(json!({ "modelDetails": model_wire(model, region) }))
}

/// A system-defined inference profile: a model offered through a geography.
struct Profile<'a> {
    geo: Geo,
    model: &'a Model,
}

impl Profile<'_> {
    fn id(&self) -> String {
        self.model.profile_id(self.geo)
    }

    fn wire(&self, region: &str) -> Value {
        let id = self.id();
        let models: Vec<Value> = self
            .geo
            .regions()
            .iter()
            .map(|r| json!({ "modelArn": foundation_model_arn(r, &self.model.id) }))
            .collect();
        json!({
            "inferenceProfileName": format!(
                "{} {} {}",
                self.geo.prefix().to_ascii_uppercase(),
                self.model.provider,
                self.model.name
            ),
            "inferenceProfileArn": profile_arn(region, &id),
            "models": models,
            "inferenceProfileId": id,
            "status": "ACTIVE",
            "type": "SYSTEM_DEFINED",
        })
    }
}

/// The profiles a caller in `region` can use, in id order (the page order).
fn profiles<'a>(catalog: &'a Catalog, region: &str) -> Vec<Profile<'a>> {
    let mut all: Vec<Profile> = catalog
        .models
        .iter()
        .flat_map(|model| {
            model
                .profiles
                .iter()
                .filter(|g| g.serves_region(region))
                .map(move |&geo| Profile { geo, model })
        })
        .collect();
    all.sort_by_key(Profile::id);
    all
}

/// ListInferenceProfiles: pages of `maxResults` (default 1000), after the id in `nextToken`.
pub(crate) fn list_inference_profiles(
    catalog: &Catalog,
    region: &str,
    query: &str,
) -> Result<Value> {
    let mut max = 1000;
    let mut after = None;
    let mut kind = "SYSTEM_DEFINED";
    for (k, v) in query::pairs(query) {
        match k.as_str() {
            "maxResults" => max = query::max_results(&v)?,
            "nextToken" => after = Some(query::decode_token(&v).ok_or_else(query::invalid_token)?),
            "type" => kind = query::one_of(&k, &v, PROFILE_TYPES)?,
            _ => {}
        }
    }
    if kind == "APPLICATION" {
        return Ok(profiles::list_app_profiles(region, max, after.as_deref()));
    }
    let all = profiles(catalog, region);
    let (shown, next) = profiles::page(&all, Profile::id, max, after.as_deref());
    let mut body = json!({
        "inferenceProfileSummaries": shown.iter().map(|p| p.wire(region)).collect::<Vec<_>>(),
    });
    if let Some(t) = next {
        body["nextToken"] = json!(t);
    }
    Ok(body)
}

/// GetInferenceProfile, by id or ARN, for the profiles the caller's region can use.
pub(crate) fn get_inference_profile(
    catalog: &Catalog,
    region: &str,
    identifier: &str,
) -> Result<Value> {
    if let Some(p) = profiles::get_app_profile(region, identifier) {
        return Ok(p);
    }
    let id = match identifier.strip_prefix("arn:") {
        Some(_) => match identifier.split_once(":inference-profile/") {
            Some((_, id)) if !id.is_empty() => id,
            _ => {
                return Err(ServiceError::constraint(
                    "inferenceProfileIdentifier",
                    "Member must satisfy regular expression pattern: (arn:aws(|-us-gov|-cn|-iso|-iso-b):bedrock:(|[0-9a-z-]{0,20}):(|[0-9]{12}):(inference-profile|application-inference-profile)/)?[a-zA-Z0-9-:.]+",
                ));
            }
        },
        None => identifier,
    };
    profiles(catalog, region)
        .into_iter()
        .find(|p| p.id() == id)
        .map(|p| p.wire(region))
        .ok_or_else(|| {
            ServiceError::new(
                ErrorKind::ResourceNotFound,
                format!("Inference profile {id} not found in {region}."),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire_shape;

    /// The control plane's service model, when the reference data sits beside the
    /// repository (as in development); a file that is there must parse.
    fn service_model() -> Option<Value> {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/reference/bedrock-2023-04-20.subset.service-2.json"
        );
        let text = std::fs::read_to_string(path).ok()?;
        Some(serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}")))
    }

    /// Shape errors, less the enum values the service sends beyond its published model.
    fn mismatches(model: &Value, shape: &str, body: &Value) -> Vec<String> {
        let newer = [
            "INFERENCE_PROFILE not in InferenceType",
            "VIDEO not in ModelModality",
            "AUDIO not in ModelModality",
        ];
        wire_shape::check(model, shape, body, shape)
            .into_iter()
            .filter(|e| !newer.iter().any(|n| e.ends_with(n)))
            .collect()
    }

    #[test]
    fn every_response_has_the_service_shape() {
        let Some(model) = service_model() else {
            eprintln!("the service model is not at ../shared/reference; shapes not checked");
            return;
        };
        let c = Catalog::builtin();
        let cases = [
            (
                "ListFoundationModelsResponse",
                list_foundation_models(c, "us-east-1", "").unwrap(),
            ),
            (
                "GetFoundationModelResponse",
                get_foundation_model(c, "us-east-1", "amazon.nova-reel-v1:0").unwrap(),
            ),
            (
                "ListInferenceProfilesResponse",
                list_inference_profiles(c, "eu-west-1", "maxResults=3").unwrap(),
            ),
            (
                "GetInferenceProfileResponse",
                get_inference_profile(c, "us-east-1", "us.amazon.nova-pro-v1:0").unwrap(),
            ),
        ];
        for (shape, body) in cases {
            assert_eq!(
                mismatches(&model, shape, &body),
                Vec::<String>::new(),
                "{body:#}"
            );
        }
        let all = list_foundation_models(c, "us-east-1", "").unwrap();
        assert_eq!(
            all["modelSummaries"].as_array().unwrap().len(),
            c.models.len()
        );
        let err = ServiceError::new(ErrorKind::ResourceNotFound, "x").body();
        assert!(wire_shape::check(&model, "ResourceNotFoundException", &err, "e").is_empty());
    }

    #[test]
    fn models_carry_the_catalog_facts() {
        let c = Catalog::builtin();
        let body = get_foundation_model(
            c,
            "eu-west-1",
            "arn:aws:bedrock:eu-west-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0",
        )
        .unwrap();
        let d = &body["modelDetails"];
        assert_eq!(
            d["modelArn"],
            "arn:aws:bedrock:eu-west-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0"
        );
        assert_eq!(
            d["inferenceTypesSupported"],
            json!(["ON_DEMAND", "INFERENCE_PROFILE"])
        );
        assert_eq!(d["inputModalities"], json!(["TEXT", "IMAGE"]));
        let titan = get_foundation_model(c, "us-east-1", "amazon.titan-text-lite-v1").unwrap();
        assert_eq!(
            titan["modelDetails"]["inferenceTypesSupported"],
            json!(["ON_DEMAND"])
        );
        let e = get_foundation_model(c, "us-east-1", "nope.model-v1:0").unwrap_err();
        assert_eq!(e.kind, ErrorKind::ResourceNotFound);
        for bad in [
            "arn:aws:s3:::bucket",
            "no-dot",
            "arn:aws:bedrock:us-east-1::foundation-model/",
        ] {
            let e = get_foundation_model(c, "us-east-1", bad).unwrap_err();
            assert_eq!(e.kind, ErrorKind::Validation, "{bad}");
        }
    }

    #[test]
    fn profiles_follow_the_region_and_page_by_id() {
        let c = Catalog::builtin();
        let ids =
            |region: &str| -> Vec<String> { profiles(c, region).iter().map(Profile::id).collect() };
        let us = ids("us-east-1");
        assert!(us.contains(&"us.anthropic.claude-opus-4-1-20250805-v1:0".to_owned()));
        assert!(
            us.iter()
                .all(|id| id.starts_with("us.") || id.starts_with("global."))
        );
        let eu = ids("eu-west-1");
        assert!(
            eu.iter()
                .all(|id| id.starts_with("eu.") || id.starts_with("global."))
        );
        let p = get_inference_profile(
            c,
            "eu-west-1",
            "arn:aws:bedrock:eu-west-1:123456789012:inference-profile/eu.amazon.nova-lite-v1:0",
        )
        .unwrap();
        assert_eq!(
            p["models"][0]["modelArn"],
            foundation_model_arn("eu-central-1", "amazon.nova-lite-v1:0")
        );
        assert_eq!(
            p["models"].as_array().unwrap().len(),
            Geo::Eu.regions().len()
        );
        let e = get_inference_profile(c, "us-east-1", "eu.amazon.nova-lite-v1:0").unwrap_err();
        assert_eq!(e.kind, ErrorKind::ResourceNotFound);

        let mut seen = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let q = match &token {
                Some(t) => format!("maxResults=4&nextToken={t}"),
                None => "maxResults=4".to_owned(),
            };
            let page = list_inference_profiles(c, "us-east-1", &q).unwrap();
            let items = page["inferenceProfileSummaries"].as_array().unwrap();
            assert!(items.len() <= 4);
            seen.extend(
                items
                    .iter()
                    .map(|p| p["inferenceProfileId"].as_str().unwrap().to_owned()),
            );
            match page["nextToken"].as_str() {
                Some(t) => token = Some(t.to_owned()),
                None => break,
            }
        }
        assert_eq!(seen, us);
        let apps = list_inference_profiles(c, "eu-west-1", "type=APPLICATION").unwrap();
        assert_eq!(apps["inferenceProfileSummaries"], json!([]));
        for bad in ["maxResults=0", "type=CUSTOM", "nextToken=%25%25"] {
            let e = list_inference_profiles(c, "us-east-1", bad).unwrap_err();
            assert_eq!(e.kind, ErrorKind::Validation, "{bad}");
        }
    }

    #[test]
    fn filters_select_models() {
        let c = Catalog::builtin();
        let ids = |q: &str| -> Vec<String> {
            list_foundation_models(c, "us-east-1", q).unwrap()["modelSummaries"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m["modelId"].as_str().unwrap().to_owned())
                .collect()
        };
        let anthropic = ids("byProvider=anthropic");
        assert_eq!(anthropic.len(), 7);
        assert!(anthropic.iter().all(|id| id.starts_with("anthropic.")));
        assert_eq!(ids("byProvider=Mistral+AI").len(), 2);
        let embed = ids("byOutputModality=EMBEDDING");
        assert_eq!(embed.len(), 3);
        assert!(ids("byInferenceType=ON_DEMAND").contains(&"amazon.nova-pro-v1:0".to_owned()));
        assert!(!ids("byInferenceType=ON_DEMAND").contains(&"amazon.nova-premier-v1:0".to_owned()));
        assert!(ids("byCustomizationType=FINE_TUNING").is_empty());
        for bad in [
            "byOutputModality=text",
            "byInferenceType=BATCH",
            "byProvider=a%2Fb",
        ] {
            let e = list_foundation_models(c, "us-east-1", bad).unwrap_err();
            assert_eq!(e.kind, ErrorKind::Validation, "{bad}");
        }
    }
}
