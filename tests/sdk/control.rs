//! The control plane: the real `aws_sdk_bedrock` client lists and gets foundation
//! models and inference profiles from the local endpoint, and `list_live` reads them.

use aws_sdk_bedrock::types::{
    InferenceProfileType, InferenceType, ModelCustomization, ModelModality,
};
use bedrock_tui::bedrock::{ConnectOptions, connect, control::list_live};
use bedrock_tui::catalog::Catalog;

use super::*;

fn control_for(ep: &LocalEndpoint, region: &str) -> aws_sdk_bedrock::Client {
    aws_sdk_bedrock::Client::new(&sdk_config(ep, region))
}

fn catalog_ids(keep: impl Fn(&bedrock_tui::catalog::Model) -> bool) -> Vec<String> {
    let mut ids: Vec<String> = Catalog::builtin()
        .models
        .iter()
        .filter(|m| keep(m))
        .map(|m| m.id.clone())
        .collect();
    ids.sort();
    ids
}

async fn listed(
    req: aws_sdk_bedrock::operation::list_foundation_models::builders::ListFoundationModelsFluentBuilder,
) -> Vec<String> {
    let out = req.send().await.unwrap();
    let mut ids: Vec<String> = out
        .model_summaries()
        .iter()
        .map(|m| m.model_id().to_owned())
        .collect();
    ids.sort();
    ids
}

#[tokio::test]
async fn lists_foundation_models_with_each_filter() {
    let ep = endpoint().await;
    let c = control_for(&ep, "us-west-2");
    assert_eq!(
        listed(c.list_foundation_models()).await,
        catalog_ids(|_| true)
    );
    assert_eq!(
        listed(c.list_foundation_models().by_provider("Anthropic")).await,
        catalog_ids(|m| m.provider == "Anthropic")
    );
    assert_eq!(
        listed(
            c.list_foundation_models()
                .by_output_modality(ModelModality::Embedding)
        )
        .await,
        catalog_ids(|m| m.output_modalities.iter().any(|o| o == "embedding"))
    );
    assert_eq!(
        listed(
            c.list_foundation_models()
                .by_inference_type(InferenceType::OnDemand)
        )
        .await,
        catalog_ids(|m| m.on_demand)
    );
    assert!(
        listed(
            c.list_foundation_models()
                .by_customization_type(ModelCustomization::FineTuning)
        )
        .await
        .is_empty()
    );

    let out = c
        .list_foundation_models()
        .by_provider("amazon")
        .send()
        .await
        .unwrap();
    let lite = out
        .model_summaries()
        .iter()
        .find(|m| m.model_id() == NOVA_LITE)
        .unwrap();
    assert_eq!(
        lite.model_arn(),
        "arn:aws:bedrock:us-west-2::foundation-model/amazon.nova-lite-v1:0"
    );
    assert_eq!(lite.provider_name(), Some("Amazon"));
    assert_eq!(
        lite.input_modalities(),
        [
            ModelModality::Text,
            ModelModality::Image,
            ModelModality::from("VIDEO")
        ]
    );
    assert_eq!(lite.response_streaming_supported(), Some(true));
    assert_eq!(
        lite.inference_types_supported(),
        [
            InferenceType::OnDemand,
            InferenceType::from("INFERENCE_PROFILE")
        ]
    );
    assert_eq!(
        lite.model_lifecycle().map(|l| l.status().as_str()),
        Some("ACTIVE")
    );

    let err = c
        .list_foundation_models()
        .by_output_modality(ModelModality::from("SMELL"))
        .send()
        .await
        .unwrap_err();
    let (code, message) = code_of(&err);
    assert_eq!(code, "ValidationException");
    assert!(message.contains("'byOutputModality'"), "{message}");
}

#[tokio::test]
async fn gets_a_model_by_id_and_by_arn() {
    let ep = endpoint().await;
    let c = control_for(&ep, "us-east-1");
    let by_id = c
        .get_foundation_model()
        .model_identifier(SONNET45)
        .send()
        .await
        .unwrap();
    let d = by_id.model_details().unwrap();
    assert_eq!(d.model_id(), SONNET45);
    assert_eq!(d.model_name(), Some("Claude Sonnet 4.5"));
    assert_eq!(
        d.inference_types_supported(),
        [InferenceType::from("INFERENCE_PROFILE")],
        "a profile-only model is not offered on demand"
    );
    let by_arn = c
        .get_foundation_model()
        .model_identifier(d.model_arn())
        .send()
        .await
        .unwrap();
    assert_eq!(by_arn.model_details(), Some(d));

    let err = c
        .get_foundation_model()
        .model_identifier("acme.no-such-model-v1:0")
        .send()
        .await
        .unwrap_err();
    assert!(
        err.as_service_error()
            .is_some_and(|e| e.is_resource_not_found_exception()),
        "{err:?}"
    );
    assert_eq!(err.raw_response().map(|r| r.status().as_u16()), Some(404));
}

async fn profile_ids(c: &aws_sdk_bedrock::Client) -> Vec<String> {
    let out = c.list_inference_profiles().send().await.unwrap();
    assert!(out.next_token().is_none());
    out.inference_profile_summaries()
        .iter()
        .map(|p| p.inference_profile_id().to_owned())
        .collect()
}

#[tokio::test]
async fn profiles_are_those_of_the_region_geography() {
    let ep = endpoint().await;
    let us = profile_ids(&control_for(&ep, "us-east-1")).await;
    let eu = profile_ids(&control_for(&ep, "eu-west-1")).await;
    let haiku = |geo: &str| format!("{geo}.{HAIKU3}");
    assert!(
        us.contains(&haiku("us")) && !us.contains(&haiku("eu")),
        "{us:?}"
    );
    assert!(
        eu.contains(&haiku("eu")) && !eu.contains(&haiku("us")),
        "{eu:?}"
    );
    let global = format!("global.{SONNET45}");
    assert!(us.contains(&global) && eu.contains(&global));
    let expected_us = Catalog::builtin()
        .models
        .iter()
        .map(|m| {
            m.profiles
                .iter()
                .filter(|g| g.serves_region("us-east-1"))
                .count()
        })
        .sum::<usize>();
    assert_eq!(us.len(), expected_us);

    let c = control_for(&ep, "eu-west-1");
    let out = c.list_inference_profiles().send().await.unwrap();
    let p = out
        .inference_profile_summaries()
        .iter()
        .find(|p| p.inference_profile_id() == haiku("eu"))
        .unwrap();
    assert_eq!(p.r#type(), &InferenceProfileType::SystemDefined);
    assert_eq!(p.status().as_str(), "ACTIVE");
    let arns: Vec<&str> = p.models().iter().filter_map(|m| m.model_arn()).collect();
    assert_eq!(
        arns,
        ["eu-central-1", "eu-west-1", "eu-west-3", "eu-north-1"]
            .map(|r| format!("arn:aws:bedrock:{r}::foundation-model/{HAIKU3}"))
    );

    let gov = profile_ids(&control_for(&ep, "us-gov-west-1")).await;
    assert!(gov.iter().all(|id| id.starts_with("us-gov.")), "{gov:?}");
    assert!(!gov.is_empty());
}

#[tokio::test]
async fn the_paginator_returns_every_profile_once() {
    let ep = endpoint().await;
    let c = control_for(&ep, "us-east-1");
    let all = profile_ids(&c).await;
    let pages: Vec<_> = c
        .list_inference_profiles()
        .max_results(2)
        .into_paginator()
        .send()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(pages.len(), all.len().div_ceil(2));
    assert!(
        pages
            .iter()
            .all(|p| p.inference_profile_summaries().len() <= 2)
    );
    let paged: Vec<String> = pages
        .iter()
        .flat_map(|p| p.inference_profile_summaries())
        .map(|p| p.inference_profile_id().to_owned())
        .collect();
    assert_eq!(paged, all);

    let err = c
        .list_inference_profiles()
        .max_results(0)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code_of(&err).0, "ValidationException");
    let err = c
        .list_inference_profiles()
        .next_token("not-a-token!")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code_of(&err).0, "ValidationException");
    let apps = c
        .list_inference_profiles()
        .type_equals(InferenceProfileType::Application)
        .send()
        .await
        .unwrap();
    // The endpoint's seeded application profiles, and only those.
    let mut names: Vec<&str> = apps
        .inference_profile_summaries()
        .iter()
        .map(|p| p.inference_profile_name())
        .collect();
    names.sort();
    assert_eq!(names, ["nightly-summaries", "support-bot", "team-chat"]);
    assert!(
        apps.inference_profile_summaries()
            .iter()
            .all(|p| *p.r#type() == InferenceProfileType::Application)
    );
}

#[tokio::test]
async fn gets_a_profile_by_arn_and_logs_the_calls() {
    let ep = endpoint().await;
    let c = control_for(&ep, "us-east-1");
    let arn = format!("arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.{NOVA_LITE}");
    let p = c
        .get_inference_profile()
        .inference_profile_identifier(&arn)
        .send()
        .await
        .unwrap();
    assert_eq!(p.inference_profile_arn(), arn);
    assert_eq!(p.inference_profile_id(), format!("us.{NOVA_LITE}"));
    assert_eq!(p.models().len(), 3);
    let err = c
        .get_inference_profile()
        .inference_profile_identifier(format!("eu.{NOVA_LITE}"))
        .send()
        .await
        .unwrap_err();
    let (code, message) = code_of(&err);
    assert_eq!(
        code, "ResourceNotFoundException",
        "another geography's profile: {message}"
    );
    let log = super::jobs::request_log(&ep).await;
    let ops: Vec<(&str, u64)> = log["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["operation"].as_str().unwrap(),
                e["status"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        ops,
        [("GetInferenceProfile", 200), ("GetInferenceProfile", 404)]
    );
    assert_eq!(log["requests"][1]["error"], "ResourceNotFoundException");
}

#[tokio::test]
async fn list_live_reads_models_and_every_profile() {
    let conn = connect(&ConnectOptions {
        region: Some("eu-west-1".into()),
        local: true,
        ..ConnectOptions::default()
    })
    .await
    .unwrap();
    let live = list_live(&conn).await.unwrap();
    assert_eq!(live.region, "eu-west-1");
    assert_eq!(live.models.len(), Catalog::builtin().models.len());
    let haiku = live.get(HAIKU3).unwrap();
    assert_eq!(haiku.provider, "Anthropic");
    assert_eq!(haiku.inference_types, ["ON_DEMAND", "INFERENCE_PROFILE"]);
    assert_eq!(haiku.lifecycle.as_deref(), Some("ACTIVE"));
    assert_eq!(haiku.streaming, Some(true));
    let ids: Vec<&str> = live
        .profiles_for(HAIKU3)
        .iter()
        .map(|p| p.id.as_str())
        .collect();
    assert_eq!(ids, [format!("eu.{HAIKU3}")]);
    let sonnet: Vec<&str> = live
        .profiles_for(SONNET45)
        .iter()
        .map(|p| p.id.as_str())
        .collect();
    assert_eq!(
        sonnet,
        [format!("eu.{SONNET45}"), format!("global.{SONNET45}")]
    );
    let global = live
        .profiles
        .iter()
        .find(|p| p.id == format!("global.{SONNET45}"))
        .unwrap();
    assert_eq!(
        global.model_ids,
        [SONNET45],
        "one id for the five regions it routes to"
    );
    assert_eq!(global.kind, "SYSTEM_DEFINED");
    assert!(live.fetched_ms > 0);
}
