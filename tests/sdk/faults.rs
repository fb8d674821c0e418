//! Every fault directive, as the SDK sees it: modeled errors with their codes and
//! statuses, stalls, exceptions mid-stream, dropped connections, and the server-wide rate.

use std::time::{Duration, Instant};

use aws_sdk_bedrockruntime::error::SdkError;
use aws_sdk_bedrockruntime::operation::converse::ConverseError;
use aws_sdk_bedrockruntime::types::ConverseStreamOutput;
use aws_sdk_bedrockruntime::types::error::ConverseStreamOutputError;
use bedrock_tui::local::error::ErrorKind;
use bedrock_tui::local::{Fault, FaultRate, Settings};

use super::*;

#[tokio::test]
async fn each_error_directive_gives_its_modeled_error() {
    let ep = endpoint().await;
    let c = client(&ep);
    let cases = [
        ("throttle", "ThrottlingException", 429),
        ("quota", "ServiceQuotaExceededException", 400),
        ("unavailable", "ServiceUnavailableException", 503),
        ("internal", "InternalServerException", 500),
        ("timeout", "ModelTimeoutException", 408),
        ("model-error", "ModelErrorException", 424),
        ("validation", "ValidationException", 400),
        ("access-denied", "AccessDeniedException", 403),
    ];
    for (kind, code, status) in cases {
        let err = c
            .converse()
            .model_id(HAIKU3)
            .messages(user(&format!("hello [[fault:{kind}]]")))
            .send()
            .await
            .unwrap_err();
        assert_eq!(code_of(&err).0, code, "{kind}");
        let raw = err.raw_response().expect("a response");
        assert_eq!(raw.status().as_u16(), status, "{kind}");
        assert!(raw.headers().get("x-amzn-RequestId").is_some());
        let svc = err.into_service_error();
        let modeled = match kind {
            "throttle" => svc.is_throttling_exception(),
            "unavailable" => svc.is_service_unavailable_exception(),
            "internal" => svc.is_internal_server_exception(),
            "timeout" => svc.is_model_timeout_exception(),
            "model-error" => {
                matches!(&svc, ConverseError::ModelErrorException(e) if e.original_status_code() == Some(500))
            }
            "validation" => svc.is_validation_exception(),
            "access-denied" => svc.is_access_denied_exception(),
            // Converse does not model ServiceQuotaExceededException; the code still arrives.
            "quota" => svc.meta().code() == Some("ServiceQuotaExceededException"),
            _ => false,
        };
        assert!(modeled, "{kind}: {svc:?}");
    }
    let err = c
        .converse()
        .model_id(HAIKU3)
        .messages(user("[[fault:melt-down]]"))
        .send()
        .await
        .unwrap_err();
    assert!(code_of(&err).1.contains("Unknown fault directive"));
}

#[tokio::test]
async fn invoke_model_quota_is_modeled() {
    let ep = endpoint().await;
    let body = serde_json::json!({"inputText": "hi [[fault:quota]]"});
    let err = client(&ep)
        .invoke_model()
        .model_id("amazon.titan-text-express-v1")
        .body(aws_smithy_types::Blob::new(body.to_string()))
        .send()
        .await
        .unwrap_err();
    assert!(
        err.into_service_error()
            .is_service_quota_exceeded_exception()
    );
}

#[tokio::test]
async fn stall_delays_the_first_byte() {
    let ep = endpoint().await;
    let t = Instant::now();
    let out = client(&ep)
        .converse()
        .model_id(HAIKU3)
        .messages(user("slow please [[fault:stall-400]]"))
        .send()
        .await
        .unwrap();
    assert!(t.elapsed() >= Duration::from_millis(400));
    assert!(out.metrics().unwrap().latency_ms() >= 400);
}

#[tokio::test]
async fn stream_error_after_n_tokens() {
    let ep = endpoint().await;
    let mut out = client(&ep)
        .converse_stream()
        .model_id(HAIKU3)
        .messages(user("Tell me about streams [[fault:stream-error-5]]"))
        .send()
        .await
        .unwrap();
    let mut text = String::new();
    let err = loop {
        match out.stream.recv().await {
            Ok(Some(ConverseStreamOutput::ContentBlockDelta(d))) => {
                text.push_str(d.delta().unwrap().as_text().unwrap())
            }
            Ok(Some(_)) => {}
            Ok(None) => panic!("stream ended without the exception"),
            Err(e) => break e,
        }
    };
    assert_eq!(bedrock_tui::local::tokens::count(&text), 5, "{text:?}");
    match err {
        SdkError::ServiceError(e) => match e.into_err() {
            ConverseStreamOutputError::ModelStreamErrorException(m) => {
                assert_eq!(m.original_status_code(), Some(500));
            }
            other => panic!("{other:?}"),
        },
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn drop_closes_the_connection_mid_stream() {
    let ep = endpoint().await;
    let mut out = client(&ep)
        .converse_stream()
        .model_id(HAIKU3)
        .messages(user("Tell me about streams [[fault:drop-3]]"))
        .send()
        .await
        .unwrap();
    let mut deltas = 0;
    let err = loop {
        match out.stream.recv().await {
            Ok(Some(ConverseStreamOutput::ContentBlockDelta(_))) => deltas += 1,
            Ok(Some(_)) => {}
            Ok(None) => panic!("stream ended cleanly after {deltas} deltas"),
            Err(e) => break e,
        }
    };
    assert_eq!(deltas, 3);
    assert!(
        !matches!(err, SdkError::ServiceError(_)),
        "a transport error, not a modeled one: {err:?}"
    );

    let err = client(&ep)
        .converse()
        .model_id(HAIKU3)
        .messages(user("hi [[fault:drop-0]]"))
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            SdkError::DispatchFailure(_) | SdkError::ResponseError(_)
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn server_fault_rate_is_repeatable_and_retried_by_the_sdk() {
    let settings = || Settings {
        fault_rate: Some(FaultRate::new(
            0.3,
            vec![Fault::Error(ErrorKind::Throttling)],
            42,
        )),
        ..Settings::default()
    };
    let mut runs = Vec::new();
    for _ in 0..2 {
        let ep = endpoint_with(settings()).await;
        let c = client(&ep);
        let mut outcomes = Vec::new();
        for i in 0..40 {
            let r = c
                .converse()
                .model_id(HAIKU3)
                .messages(user(&format!("n{i}")))
                .send()
                .await;
            outcomes.push(r.is_ok());
        }
        runs.push(outcomes);
    }
    assert_eq!(runs[0], runs[1], "same seed, same faults");
    let failed = runs[0].iter().filter(|ok| !**ok).count();
    assert!(
        (4..=20).contains(&failed),
        "{failed} of 40 throttled at rate 0.3"
    );

    // With the SDK's standard retries, throttles at this rate are absorbed.
    let ep = endpoint_with(settings()).await;
    let config = client(&ep)
        .config()
        .to_builder()
        .retry_config(
            aws_smithy_types::retry::RetryConfig::standard()
                .with_max_attempts(5)
                .with_initial_backoff(Duration::from_millis(1)),
        )
        .build();
    let c = aws_sdk_bedrockruntime::Client::from_conf(config);
    for i in 0..20 {
        c.converse()
            .model_id(HAIKU3)
            .messages(user(&format!("n{i}")))
            .send()
            .await
            .unwrap();
    }
}
