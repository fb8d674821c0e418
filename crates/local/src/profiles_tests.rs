//! Tests of the application profiles and prompt routers: their control-plane shapes
//! (checked against the botocore shapes kept in `testdata/`), paging and routing.

use super::*;
use crate::control;
use crate::wire_shape;

fn shapes() -> Value {
    let text = include_str!("../testdata/bedrock-routing.shapes.json");
    serde_json::from_str(text).expect("the shapes file parses")
}

fn c() -> &'static Catalog {
    Catalog::builtin()
}

#[test]
fn every_response_has_the_service_shape() {
    let model = shapes();
    let router = router_arn(HOME, "meta.llama:1");
    let cases = [
        (
            "ListPromptRoutersResponse",
            list_routers(c(), HOME, "").unwrap(),
        ),
        (
            "GetPromptRouterResponse",
            get_router(c(), HOME, &router).unwrap(),
        ),
        (
            "ListInferenceProfilesResponse",
            control::list_inference_profiles(c(), HOME, "type=APPLICATION&maxResults=2").unwrap(),
        ),
        (
            "GetInferenceProfileResponse",
            control::get_inference_profile(c(), HOME, &app_arn(HOME, "k2x7a9m4q1zt")).unwrap(),
        ),
    ];
    for (shape, body) in cases {
        assert_eq!(
            wire_shape::check(&model, shape, &body, shape),
            Vec::<String>::new(),
            "{body:#}"
        );
    }
}

#[test]
fn application_profiles_page_and_resolve() {
    let first =
        control::list_inference_profiles(c(), HOME, "type=APPLICATION&maxResults=2").unwrap();
    let names: Vec<&str> = first["inferenceProfileSummaries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["inferenceProfileName"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["support-bot", "team-chat"]);
    let token = first["nextToken"].as_str().unwrap();
    let rest = control::list_inference_profiles(
        c(),
        HOME,
        &format!("type=APPLICATION&maxResults=2&nextToken={token}"),
    )
    .unwrap();
    assert_eq!(
        rest["inferenceProfileSummaries"][0]["inferenceProfileName"],
        "nightly-summaries"
    );
    assert!(rest.get("nextToken").is_none());
    let by_id = control::get_inference_profile(c(), HOME, "k2x7a9m4q1zt").unwrap();
    assert_eq!(by_id["type"], "APPLICATION");
    let arn = app_arn(HOME, "k2x7a9m4q1zt");
    let t = target(c(), HOME, &arn, "hi").unwrap().unwrap();
    assert_eq!(t.id, "us.anthropic.claude-haiku-4-5-20251001-v1:0");
    assert_eq!(t.invoked, None);
    let elsewhere = app_arn("us-west-2", "k2x7a9m4q1zt");
    assert!(target(c(), "us-west-2", &elsewhere, "hi").unwrap().is_err());
    assert!(target(c(), HOME, "us.amazon.nova-lite-v1:0", "hi").is_none());
}

#[test]
fn routers_page_and_choose_by_the_question() {
    let first = list_routers(c(), HOME, "maxResults=1").unwrap();
    assert_eq!(
        first["promptRouterSummaries"][0]["promptRouterName"],
        "Nova Prompt Router"
    );
    let token = first["nextToken"].as_str().unwrap().to_owned();
    let second = list_routers(c(), HOME, &format!("maxResults=1&nextToken={token}")).unwrap();
    assert_eq!(
        second["promptRouterSummaries"][0]["promptRouterName"],
        "Meta Prompt Router"
    );
    assert!(second.get("nextToken").is_none());
    assert_eq!(
        list_routers(c(), HOME, "type=custom").unwrap()["promptRouterSummaries"],
        json!([])
    );
    // Llama 3.1 has no European profile: only the Nova router serves eu-west-1.
    let eu = list_routers(c(), "eu-west-1", "").unwrap();
    assert_eq!(eu["promptRouterSummaries"].as_array().unwrap().len(), 1);

    let arn = router_arn(HOME, "meta.llama:1");
    let short = target(c(), HOME, &arn, "What is Rust?").unwrap().unwrap();
    assert_eq!(short.id, "us.meta.llama3-1-8b-instruct-v1:0");
    assert_eq!(
        short.invoked.as_deref(),
        Some(profile_arn(HOME, "us.meta.llama3-1-8b-instruct-v1:0").as_str())
    );
    let code = target(c(), HOME, &arn, "Why does `x.len()` panic?")
        .unwrap()
        .unwrap();
    assert_eq!(code.id, "us.meta.llama3-1-70b-instruct-v1:0");
    let long = "word ".repeat(LONG_QUESTION_WORDS);
    let long = target(c(), HOME, &arn, &long).unwrap().unwrap();
    assert_eq!(long.id, "us.meta.llama3-1-70b-instruct-v1:0");
    let e = get_router(c(), HOME, &router_arn(HOME, "anthropic.claude:9")).unwrap_err();
    assert_eq!(e.kind, ErrorKind::ResourceNotFound);
}
