//! The app's guardrail layer against the endpoint's `demo` guardrail: ApplyGuardrail
//! through `bedrock::guardrail::apply`, a guarded streamed turn and its trace, and
//! `bedrock-tui guardrail apply` with its exit codes and JSON.

use bedrock_tui::app::error::BedrockError;
use bedrock_tui::app::turn::{TurnEvent, TurnRequest};
use bedrock_tui::bedrock;
use bedrock_tui::conversation::{Inference, Message, StopReason};
use bedrock_tui::guardrail::{GuardrailChoice, Source, StreamMode, TraceMode};

use super::ask::run_command;
use super::count::connection;
use super::*;

const SSN: &str = "My SSN is 123-45-6789";
const CLEAN: &str = "What is the capital of France?";
const STOCKS: &str = "Should I buy Apple stock?";

fn demo() -> GuardrailChoice {
    GuardrailChoice::parse("demo").unwrap()
}

#[tokio::test]
async fn apply_reports_pii_and_passes_clean_text() {
    let ep = endpoint().await;
    let conn = connection(&ep).await;
    let r = bedrock::guardrail::apply(&conn, &demo(), Source::Input, &[SSN.into()], false)
        .await
        .unwrap();
    assert!(r.intervened(), "{r:?}");
    assert_eq!(r.assessments.len(), 1);
    assert_eq!(
        r.assessments[0].policies_that_fired(),
        vec!["sensitiveInformationPolicy"]
    );
    let pii = &r.assessments[0]
        .sensitive_information_policy
        .as_ref()
        .unwrap()
        .pii_entities;
    assert_eq!(pii[0].kind, "US_SOCIAL_SECURITY_NUMBER");
    assert_eq!(pii[0].matched, "123-45-6789");
    assert!(r.usage.is_some() && r.guardrail_coverage.is_some());

    let r = bedrock::guardrail::apply(&conn, &demo(), Source::Output, &[CLEAN.into()], false)
        .await
        .unwrap();
    assert_eq!(r.action, "NONE");
    assert!(!r.intervened());
    assert!(
        r.assessments
            .iter()
            .all(|a| a.policies_that_fired().is_empty())
    );
}

#[tokio::test]
async fn an_unknown_guardrail_is_named() {
    let ep = endpoint().await;
    let conn = connection(&ep).await;
    let choice = GuardrailChoice::parse("nosuchguardrail:4").unwrap();
    let err = bedrock::guardrail::apply(&conn, &choice, Source::Input, &[CLEAN.into()], false)
        .await
        .unwrap_err();
    assert_eq!(
        err,
        BedrockError::GuardrailNotFound {
            id: "nosuchguardrail".into(),
            version: "4".into()
        }
    );
    assert!(
        err.to_string()
            .starts_with("Guardrail nosuchguardrail version 4 not found."),
        "{err}"
    );
}

#[tokio::test]
async fn a_guarded_turn_reports_its_trace() {
    let ep = endpoint().await;
    let conn = connection(&ep).await;
    for stream in [StreamMode::Sync, StreamMode::Async] {
        let choice = GuardrailChoice {
            trace: TraceMode::EnabledFull,
            stream,
            ..demo()
        };
        let req = TurnRequest {
            model_id: HAIKU3.into(),
            system: None,
            messages: vec![Message::user(STOCKS)],
            inference: Inference::default(),
            guardrail: Some(choice),
            tools: None,
        };
        let mut events = Vec::new();
        bedrock::stream_turn(&conn, &req, |e| events.push(e))
            .await
            .unwrap();
        assert!(
            events.contains(&TurnEvent::Stop(StopReason::GuardrailIntervened)),
            "{events:?}"
        );
        let traces: Vec<_> = events
            .iter()
            .filter_map(|e| match e {
                TurnEvent::Guardrail(t) => Some(t),
                _ => None,
            })
            .collect();
        assert_eq!(traces.len(), 1, "{events:?}");
        let t = traces[0];
        assert!(t.intervened());
        assert_eq!(t.input.len(), 1);
        assert_eq!(t.input[0].0, "demo");
        assert!(
            t.input[0].1.policies_that_fired().contains(&"topicPolicy"),
            "{t:?}"
        );
    }

    // Without a guardrail no trace is reported.
    let req = TurnRequest {
        model_id: HAIKU3.into(),
        system: None,
        messages: vec![Message::user(STOCKS)],
        inference: Inference::default(),
        guardrail: None,
        tools: None,
    };
    let mut events = Vec::new();
    bedrock::stream_turn(&conn, &req, |e| events.push(e))
        .await
        .unwrap();
    assert!(!events.iter().any(|e| matches!(e, TurnEvent::Guardrail(_))));
}

/// The prompt's assessment of a guarded turn whose question is `question`.
async fn prompt_fired(conn: &bedrock::Connection, question: &str) -> Vec<&'static str> {
    let req = TurnRequest {
        model_id: HAIKU3.into(),
        system: None,
        messages: vec![Message::user(question)],
        inference: Inference::default(),
        guardrail: Some(demo()),
        tools: None,
    };
    let mut trace = None;
    bedrock::stream_turn(conn, &req, |e| {
        if let TurnEvent::Guardrail(t) = e {
            trace = Some(t);
        }
    })
    .await
    .unwrap();
    let t = trace.expect("a trace");
    t.input[0].1.policies_that_fired()
}

#[tokio::test]
async fn only_the_guarded_part_of_a_question_is_screened() {
    let ep = endpoint().await;
    let conn = connection(&ep).await;
    // The denied topic outside the marked part is not evaluated...
    let outside = format!("{STOCKS}\n:::guard\nThe weather in Paris is mild.\n:::");
    assert_eq!(prompt_fired(&conn, &outside).await, Vec::<&str>::new());
    // ...inside it, it is.
    let inside = format!("Please reply to this:\n:::guard\n{STOCKS}\n:::");
    assert_eq!(prompt_fired(&conn, &inside).await, vec!["topicPolicy"]);
    // Without a guardrail, the marker lines are not sent.
    let req = TurnRequest {
        model_id: HAIKU3.into(),
        system: None,
        messages: vec![Message::user(&outside)],
        inference: Inference::default(),
        guardrail: None,
        tools: None,
    };
    let mut answer = String::new();
    bedrock::stream_turn(&conn, &req, |e| {
        if let TurnEvent::Text(t) = e {
            answer.push_str(&t);
        }
    })
    .await
    .unwrap();
    assert!(!answer.contains(":::"), "{answer}");
    // The count of a guarded turn covers the same text.
    let plain = TurnRequest {
        model_id: SONNET45.into(),
        ..req
    };
    let guarded = TurnRequest {
        guardrail: Some(demo()),
        ..plain.clone()
    };
    let a = bedrock::count::count_input(&conn, &plain).await.unwrap();
    let b = bedrock::count::count_input(&conn, &guarded).await.unwrap();
    assert!(a.exact && b.exact, "{a:?} {b:?}");
    assert!(a.tokens.abs_diff(b.tokens) <= 2, "{a:?} {b:?}");
}

#[tokio::test]
async fn a_guarded_turn_with_an_unknown_guardrail_names_it() {
    let ep = endpoint().await;
    let conn = connection(&ep).await;
    let req = TurnRequest {
        model_id: HAIKU3.into(),
        system: None,
        messages: vec![Message::user(CLEAN)],
        inference: Inference::default(),
        guardrail: Some(GuardrailChoice::parse("nosuchguardrail").unwrap()),
        tools: None,
    };
    let err = bedrock::stream_turn(&conn, &req, |_| {}).await.unwrap_err();
    assert!(
        matches!(err, BedrockError::GuardrailNotFound { .. }),
        "{err:?}"
    );
}

async fn apply_cli(
    ep: &LocalEndpoint,
    args: &[&str],
    stdin: Option<&str>,
) -> (i32, String, String) {
    let out = run_command(ep, "guardrail apply", args, stdin).await;
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[tokio::test]
async fn the_cli_exit_code_says_whether_the_guardrail_intervened() {
    let ep = endpoint().await;
    let (code, out, err) = apply_cli(&ep, &["--id", "demo", CLEAN], None).await;
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("action: NONE\n"), "{out}");

    let (code, out, err) = apply_cli(&ep, &["--id", "demo", SSN], None).await;
    assert_eq!(code, 2, "{err}");
    assert!(out.starts_with("action: GUARDRAIL_INTERVENED\n"), "{out}");
    assert!(out.contains("PII US_SOCIAL_SECURITY_NUMBER"), "{out}");
    assert!(!out.contains("123-45-6789"), "the match is masked: {out}");
    let (_, out, _) = apply_cli(&ep, &["--id", "demo", "--reveal", SSN], None).await;
    assert!(
        out.contains("US_SOCIAL_SECURITY_NUMBER 123-45-6789"),
        "{out}"
    );

    // The text from standard input, screened as a model's answer.
    let (code, _, err) = apply_cli(
        &ep,
        &["--id", "demo:1", "--source", "output", "-"],
        Some(STOCKS),
    )
    .await;
    assert_eq!(code, 2, "{err}");

    let (code, out, err) = apply_cli(
        &ep,
        &["--id", "nosuchguardrail", "--version", "3", CLEAN],
        None,
    )
    .await;
    assert_eq!(code, 1);
    assert!(out.is_empty(), "{out}");
    assert!(
        err.contains("Guardrail nosuchguardrail version 3 not found."),
        "{err}"
    );

    let (code, _, err) =
        apply_cli(&ep, &["--id", "demo", "hi [[fault:access-denied]]"], None).await;
    assert_eq!(code, 1);
    assert!(err.contains("must allow bedrock:ApplyGuardrail"), "{err}");

    let (code, _, err) = apply_cli(&ep, &["--id", "Demo", CLEAN], None).await;
    assert_eq!(code, 1);
    assert!(err.contains("is not a guardrail identifier"), "{err}");
    let (code, _, err) = apply_cli(&ep, &["--id", "demo", "--version", "draft", CLEAN], None).await;
    assert_eq!(code, 1);
    assert!(err.contains("is not a guardrail version"), "{err}");
    let (code, _, err) = apply_cli(&ep, &[CLEAN], None).await;
    assert_eq!(code, 1);
    assert!(err.contains("no guardrail given"), "{err}");
    let (code, _, err) = apply_cli(&ep, &["--id", "demo", "  "], None).await;
    assert_eq!(code, 1, "{err}");
}

#[tokio::test]
async fn the_cli_takes_the_config_default_guardrail() {
    let ep = endpoint().await;
    let dir = std::env::temp_dir().join(format!("bedrock-tui-guardrail-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cfg = dir.join("config.toml");
    std::fs::write(
        &cfg,
        "guardrail = \"demo-v1\"\n[[guardrails]]\nid = \"demo\"\nversion = \"1\"\nlabel = \"demo-v1\"\n",
    )
    .unwrap();
    let cfg = cfg.to_string_lossy().into_owned();
    let (code, out, err) = apply_cli(&ep, &["--config", &cfg, SSN], None).await;
    assert_eq!(code, 2, "{err}");
    assert!(out.contains("PII US_SOCIAL_SECURITY_NUMBER"), "{out}");
    // A version the demo guardrail does not have proves the config's id is used.
    let (code, _, err) = apply_cli(&ep, &["--config", &cfg, "--version", "9", SSN], None).await;
    assert_eq!(code, 1);
    assert!(err.contains("Guardrail demo version 9 not found."), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn the_cli_json_is_the_service_response() {
    let ep = endpoint().await;
    let expected = client(&ep)
        .apply_guardrail()
        .guardrail_identifier("demo")
        .guardrail_version("DRAFT")
        .source(aws_sdk_bedrockruntime::types::GuardrailContentSource::Input)
        .content(aws_sdk_bedrockruntime::types::GuardrailContentBlock::Text(
            aws_sdk_bedrockruntime::types::GuardrailTextBlock::builder()
                .text(STOCKS)
                .build()
                .unwrap(),
        ))
        .send()
        .await
        .unwrap();
    let (code, out, err) = apply_cli(&ep, &["--id", "demo", "--json", STOCKS], None).await;
    assert_eq!(code, 2, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["action"], "GUARDRAIL_INTERVENED");
    assert_eq!(v["actionReason"], expected.action_reason().unwrap());
    assert_eq!(
        v["outputs"][0]["text"],
        expected.outputs()[0].text().unwrap()
    );
    let topic = &v["assessments"][0]["topicPolicy"]["topics"][0];
    assert_eq!(topic["type"], "DENY");
    assert_eq!(topic["action"], "BLOCKED");
    assert_eq!(topic["detected"], true);
    let units = &v["usage"]["topicPolicyUnits"];
    assert_eq!(units, &expected.usage().unwrap().topic_policy_units());
    assert_eq!(
        v["guardrailCoverage"]["textCharacters"]["total"],
        STOCKS.len()
    );
    let back: bedrock_tui::guardrail::ApplyResult = serde_json::from_value(v).unwrap();
    assert!(back.intervened());

    // With --full every configured filter is listed, the ones that did not act too.
    let (_, out, _) = apply_cli(&ep, &["--id", "demo", "--json", "--full", CLEAN], None).await;
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["action"], "NONE");
    assert!(
        v["assessments"][0]["contentPolicy"]["filters"]
            .as_array()
            .is_some_and(|f| !f.is_empty()),
        "{v}"
    );
}
