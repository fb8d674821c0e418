//! CountTokens through the SDK: Converse and InvokeModel inputs agree with the usage of
//! the same request; models without token counting get the service's error.

use aws_sdk_bedrockruntime::types::{
    ConverseTokensRequest, CountTokensInput, InvokeModelTokensRequest, SystemContentBlock,
};
use aws_smithy_types::Blob;

use super::*;

const HAIKU45: &str = "anthropic.claude-haiku-4-5-20251001-v1:0";

#[tokio::test]
async fn converse_input_count_equals_usage() {
    let ep = endpoint().await;
    let c = client(&ep);
    let msgs = vec![
        user("What is ownership?"),
        assistant("Ownership is..."),
        user("And borrowing?"),
    ];
    let counted = c
        .count_tokens()
        .model_id(HAIKU45)
        .input(CountTokensInput::Converse(
            ConverseTokensRequest::builder()
                .set_messages(Some(msgs.clone()))
                .system(SystemContentBlock::Text("Be helpful.".into()))
                .build(),
        ))
        .send()
        .await
        .unwrap()
        .input_tokens();
    let used = c
        .converse()
        .model_id(format!("us.{HAIKU45}"))
        .set_messages(Some(msgs))
        .system(SystemContentBlock::Text("Be helpful.".into()))
        .send()
        .await
        .unwrap()
        .usage()
        .unwrap()
        .input_tokens();
    assert_eq!(counted, used);
    assert!(counted > 10);
}

#[tokio::test]
async fn invoke_model_input_count_equals_the_token_header() {
    let ep = endpoint().await;
    let c = client(&ep);
    let body = serde_json::json!({
        "anthropic_version": "bedrock-2023-05-31",
        "max_tokens": 200,
        "system": "Be helpful.",
        "messages": [{"role": "user", "content": "What is ownership?"}]
    })
    .to_string();
    let counted = c
        .count_tokens()
        .model_id(HAIKU45)
        .input(CountTokensInput::InvokeModel(
            InvokeModelTokensRequest::builder()
                .body(Blob::new(body.clone()))
                .build()
                .unwrap(),
        ))
        .send()
        .await
        .unwrap()
        .input_tokens();
    let out = c
        .invoke_model()
        .model_id(format!("us.{HAIKU45}"))
        .body(Blob::new(body))
        .send()
        .await
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(out.body().as_ref()).unwrap();
    assert_eq!(
        v["usage"]["input_tokens"].as_i64(),
        Some(i64::from(counted))
    );
    let raw = serde_json::json!({"messages":[{"role":"user","content":[{"text":"What is ownership?"}]}], "system":[{"text":"Be helpful."}]});
    let via_converse = c
        .count_tokens()
        .model_id(HAIKU45)
        .input(CountTokensInput::Converse(
            ConverseTokensRequest::builder()
                .messages(user("What is ownership?"))
                .system(SystemContentBlock::Text("Be helpful.".into()))
                .build(),
        ))
        .send()
        .await
        .unwrap()
        .input_tokens();
    assert_eq!(
        via_converse, counted,
        "the same conversation counts the same in both forms: {raw}"
    );
}

#[tokio::test]
async fn models_without_counting_are_refused() {
    let ep = endpoint().await;
    for model in [
        NOVA_LITE,
        "meta.llama3-3-70b-instruct-v1:0",
        "amazon.titan-text-express-v1",
    ] {
        let err = client(&ep)
            .count_tokens()
            .model_id(model)
            .input(CountTokensInput::Converse(
                ConverseTokensRequest::builder()
                    .messages(user("hi"))
                    .build(),
            ))
            .send()
            .await
            .unwrap_err();
        let (code, msg) = code_of(&err);
        assert_eq!(code, "ValidationException", "{model}");
        assert!(
            msg.contains("doesn't support counting tokens"),
            "{model}: {msg}"
        );
    }
}
