//! The control-plane calls: the foundation models and inference profiles the
//! connection's account and region offer, as [`LiveModels`].

use aws_sdk_bedrock::types::{FoundationModelSummary, InferenceProfileSummary};

use super::{BedrockError, Connection, Endpoint, error};
use crate::catalog::live::{LiveModel, LiveModels, LiveProfile};
use crate::clock::now_ms;
use crate::store::live_cache;

/// The cache key of a connection: what it talks to, its region and profile.
pub fn cache_key(conn: &Connection) -> String {
    let kind = match &conn.endpoint {
        Endpoint::Aws => "aws".to_owned(),
        Endpoint::Local { .. } => "local".to_owned(),
        Endpoint::Custom(url) => format!("custom-{url}"),
    };
    live_cache::cache_key(&kind, &conn.region, conn.profile.as_deref())
}

/// The live list from the cache when it is fresh, else fetched now.
pub async fn cached_or_fetch(conn: &Connection) -> Result<LiveModels, BedrockError> {
    let cached = live_cache::cache_dir()
        .and_then(|dir| live_cache::load_cached(&dir, &cache_key(conn), live_cache::CACHE_MAX_AGE));
    match cached {
        Some(l) => Ok(l),
        None => fetch_and_cache(conn).await,
    }
}

/// The live list, fetched now; the cache is refreshed for the next reader.
pub async fn fetch_and_cache(conn: &Connection) -> Result<LiveModels, BedrockError> {
    let list = list_live(conn).await?;
    if let Some(dir) = live_cache::cache_dir()
        && let Err(e) = live_cache::store_cached(&dir, &cache_key(conn), &list)
    {
        tracing::warn!(
            "could not cache the live model list in {}: {e}",
            dir.display()
        );
    }
    Ok(list)
}

/// Lists the models (ListFoundationModels) and every page of the inference profiles
/// (ListInferenceProfiles) of the connection's region.
pub async fn list_live(conn: &Connection) -> Result<LiveModels, BedrockError> {
    let profile = conn.profile.as_deref();
    let listed = conn
        .control
        .list_foundation_models()
        .send()
        .await
        .map_err(|e| error::from_sdk_action(&e, "bedrock:ListFoundationModels", profile))?;
    let models = listed.model_summaries().iter().map(model).collect();
    let mut pages = conn
        .control
        .list_inference_profiles()
        .into_paginator()
        .items()
        .send();
    let mut profiles = Vec::new();
    while let Some(item) = pages.next().await {
        let summary =
            item.map_err(|e| error::from_sdk_action(&e, "bedrock:ListInferenceProfiles", profile))?;
        profiles.push(inference_profile(&summary));
    }
    // The account's own routes: a missing permission leaves them out, not the list.
    match custom_routes(conn).await {
        Ok(routes) => profiles.extend(routes),
        Err(e) => tracing::warn!("application profiles and prompt routers not listed: {e}"),
    }
    Ok(LiveModels {
        region: conn.region.clone(),
        fetched_ms: now_ms(),
        models,
        profiles,
    })
}

/// Every page of the application inference profiles (ListInferenceProfiles with
/// `typeEquals=APPLICATION`) and of the prompt routers (ListPromptRouters), with their
/// ARNs as ids.
async fn custom_routes(conn: &Connection) -> Result<Vec<LiveProfile>, BedrockError> {
    let profile = conn.profile.as_deref();
    let mut out = Vec::new();
    let mut pages = conn
        .control
        .list_inference_profiles()
        .type_equals(aws_sdk_bedrock::types::InferenceProfileType::Application)
        .into_paginator()
        .items()
        .send();
    while let Some(item) = pages.next().await {
        let p =
            item.map_err(|e| error::from_sdk_action(&e, "bedrock:ListInferenceProfiles", profile))?;
        out.push(LiveProfile {
            id: clean(p.inference_profile_arn()),
            ..inference_profile(&p)
        });
    }
    let mut pages = conn
        .control
        .list_prompt_routers()
        .into_paginator()
        .items()
        .send();
    while let Some(item) = pages.next().await {
        let r =
            item.map_err(|e| error::from_sdk_action(&e, "bedrock:ListPromptRouters", profile))?;
        out.push(router(&r));
    }
    Ok(out)
}

fn router(r: &aws_sdk_bedrock::types::PromptRouterSummary) -> LiveProfile {
    let mut model_ids: Vec<String> = Vec::new();
    for arn in r.models().iter().filter_map(|m| m.model_arn()) {
        let id = clean(route_model_id(arn));
        if !model_ids.contains(&id) {
            model_ids.push(id);
        }
    }
    LiveProfile {
        id: clean(r.prompt_router_arn()),
        name: clean(r.prompt_router_name()),
        kind: crate::catalog::live::PROMPT_ROUTER.to_owned(),
        status: r.status().as_str().to_owned(),
        model_ids,
    }
}

/// The model id in a foundation-model or inference-profile ARN.
fn route_model_id(arn: &str) -> &str {
    let id = bare_model_id(arn);
    id.split_once(":inference-profile/")
        .map_or(id, |(_, id)| id)
}

/// The service's strings are sanitized as they enter: the picker and `models` show them.
fn clean(text: &str) -> String {
    crate::sanitize::text(text)
}

fn model(m: &FoundationModelSummary) -> LiveModel {
    let strings = |list: &[aws_sdk_bedrock::types::ModelModality]| {
        list.iter().map(|x| clean(x.as_str())).collect()
    };
    LiveModel {
        id: clean(m.model_id()),
        name: clean(m.model_name().unwrap_or_default()),
        provider: clean(m.provider_name().unwrap_or_default()),
        input_modalities: strings(m.input_modalities()),
        output_modalities: strings(m.output_modalities()),
        streaming: m.response_streaming_supported(),
        inference_types: m
            .inference_types_supported()
            .iter()
            .map(|t| t.as_str().to_owned())
            .collect(),
        lifecycle: m.model_lifecycle().map(|l| l.status().as_str().to_owned()),
    }
}

/// The id in a foundation-model ARN (`arn:aws:bedrock:REGION::foundation-model/ID`).
fn bare_model_id(arn: &str) -> &str {
    arn.split_once(":foundation-model/")
        .map_or(arn, |(_, id)| id)
}

fn inference_profile(p: &InferenceProfileSummary) -> LiveProfile {
    let mut model_ids: Vec<String> = Vec::new();
    for arn in p.models().iter().filter_map(|m| m.model_arn()) {
        let id = bare_model_id(arn);
        let id = clean(id);
        if !model_ids.contains(&id) {
            model_ids.push(id);
        }
    }
    LiveProfile {
        id: clean(p.inference_profile_id()),
        name: clean(p.inference_profile_name()),
        kind: p.r#type().as_str().to_owned(),
        status: p.status().as_str().to_owned(),
        model_ids,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_bedrock::error::{ErrorMetadata, SdkError};
    use aws_sdk_bedrock::operation::list_foundation_models::ListFoundationModelsError;
    use aws_sdk_bedrock::types::error::AccessDeniedException;
    use aws_smithy_runtime_api::http::{Response, StatusCode};
    use aws_smithy_types::body::SdkBody;

    #[test]
    fn access_denied_names_the_missing_permission() {
        let message = "User: arn:aws:iam::1:user/x is not authorized to perform: bedrock:ListFoundationModels";
        let meta = ErrorMetadata::builder()
            .code("AccessDeniedException")
            .message(message)
            .build();
        let err = ListFoundationModelsError::AccessDeniedException(
            AccessDeniedException::builder()
                .message(message)
                .meta(meta)
                .build(),
        );
        let raw = Response::new(StatusCode::try_from(403).unwrap(), SdkBody::empty());
        let e = error::from_sdk_action(
            &SdkError::service_error(err, raw),
            "bedrock:ListFoundationModels",
            None,
        );
        assert_eq!(
            e,
            BedrockError::MissingPermission {
                action: "bedrock:ListFoundationModels".into(),
                message: message.into(),
            }
        );
        assert!(
            e.to_string()
                .contains("must allow bedrock:ListFoundationModels")
        );
    }

    #[test]
    fn profiles_keep_each_model_once() {
        use aws_sdk_bedrock::types::{
            InferenceProfileModel, InferenceProfileStatus, InferenceProfileType,
        };
        let arn = |r: &str| format!("arn:aws:bedrock:{r}::foundation-model/amazon.nova-lite-v1:0");
        let mut b = InferenceProfileSummary::builder()
            .inference_profile_name("US Nova Lite")
            .inference_profile_arn(
                "arn:aws:bedrock:us-east-1:1:inference-profile/us.amazon.nova-lite-v1:0",
            )
            .inference_profile_id("us.amazon.nova-lite-v1:0")
            .status(InferenceProfileStatus::Active)
            .r#type(InferenceProfileType::SystemDefined);
        for r in ["us-east-1", "us-east-2", "us-west-2"] {
            b = b.models(InferenceProfileModel::builder().model_arn(arn(r)).build());
        }
        let p = inference_profile(&b.build().unwrap());
        assert_eq!(p.model_ids, vec!["amazon.nova-lite-v1:0".to_owned()]);
        assert_eq!(p.kind, "SYSTEM_DEFINED");
        assert_eq!(p.status, "ACTIVE");
    }
}
