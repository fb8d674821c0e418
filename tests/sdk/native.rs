//! Native InvokeModel formats through the SDK: for every family, the request body, the
//! response body and headers, and the stream chunks with invocation metrics in the last.

use aws_sdk_bedrockruntime::types::ResponseStream;
use aws_smithy_types::Blob;
use serde_json::{Value, json};

use super::*;

/// A family's model, a request body, and how to read text from the response and from a chunk.
struct Family {
    model: &'static str,
    body: Value,
    text: fn(&Value) -> String,
    chunk_text: fn(&Value) -> String,
    stop: fn(&Value) -> String,
}

fn s(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_owned()
}

fn families() -> Vec<Family> {
    let q = "How do I sort a vector in Rust?";
    vec![
        Family {
            model: HAIKU3,
            body: json!({"anthropic_version": "bedrock-2023-05-31", "max_tokens": 300, "messages": [{"role": "user", "content": q}]}),
            text: |v| s(&v["content"][0]["text"]),
            chunk_text: |c| {
                if c["type"] == "content_block_delta" {
                    s(&c["delta"]["text"])
                } else {
                    String::new()
                }
            },
            stop: |v| s(&v["stop_reason"]),
        },
        Family {
            model: NOVA_LITE,
            body: json!({"schemaVersion": "messages-v1", "messages": [{"role": "user", "content": [{"text": q}]}], "inferenceConfig": {"max_new_tokens": 300}}),
            text: |v| s(&v["output"]["message"]["content"][0]["text"]),
            chunk_text: |c| s(&c["contentBlockDelta"]["delta"]["text"]),
            stop: |v| s(&v["stopReason"]),
        },
        Family {
            model: "amazon.titan-text-express-v1",
            body: json!({"inputText": q, "textGenerationConfig": {"maxTokenCount": 300}}),
            text: |v| s(&v["results"][0]["outputText"]),
            chunk_text: |c| s(&c["outputText"]),
            stop: |v| s(&v["results"][0]["completionReason"]),
        },
        Family {
            model: "us.meta.llama3-1-8b-instruct-v1:0",
            body: json!({"prompt": format!("<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\n{q}<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n"), "max_gen_len": 300}),
            text: |v| s(&v["generation"]),
            chunk_text: |c| s(&c["generation"]),
            stop: |v| s(&v["stop_reason"]),
        },
        Family {
            model: "mistral.mistral-large-2402-v1:0",
            body: json!({"prompt": format!("<s>[INST] {q} [/INST]"), "max_tokens": 300}),
            text: |v| s(&v["outputs"][0]["text"]),
            chunk_text: |c| s(&c["outputs"][0]["text"]),
            stop: |v| s(&v["outputs"][0]["stop_reason"]),
        },
        Family {
            model: "mistral.mistral-large-2407-v1:0",
            body: json!({"messages": [{"role": "user", "content": q}], "max_tokens": 300}),
            text: |v| s(&v["choices"][0]["message"]["content"]),
            chunk_text: |c| s(&c["choices"][0]["message"]["content"]),
            stop: |v| s(&v["choices"][0]["stop_reason"]),
        },
        Family {
            model: "cohere.command-r-v1:0",
            body: json!({"message": q, "max_tokens": 300}),
            text: |v| s(&v["text"]),
            chunk_text: |c| {
                if c["event_type"] == "text-generation" {
                    s(&c["text"])
                } else {
                    String::new()
                }
            },
            stop: |v| s(&v["finish_reason"]),
        },
        Family {
            model: "ai21.jamba-1-5-mini-v1:0",
            body: json!({"messages": [{"role": "user", "content": q}], "max_tokens": 300}),
            text: |v| s(&v["choices"][0]["message"]["content"]),
            chunk_text: |c| s(&c["choices"][0]["delta"]["content"]),
            stop: |v| s(&v["choices"][0]["finish_reason"]),
        },
    ]
}

/// Keeps the headers of the last response it sees.
#[derive(Debug, Default, Clone)]
struct HeaderCapture(std::sync::Arc<std::sync::Mutex<Vec<(String, String)>>>);

impl aws_smithy_runtime_api::client::interceptors::Intercept for HeaderCapture {
    fn name(&self) -> &'static str {
        "HeaderCapture"
    }

    fn read_before_deserialization(
        &self,
        context: &aws_smithy_runtime_api::client::interceptors::context::BeforeDeserializationInterceptorContextRef<'_>,
        _: &aws_smithy_runtime_api::client::runtime_components::RuntimeComponents,
        _: &mut aws_smithy_types::config_bag::ConfigBag,
    ) -> Result<(), aws_smithy_runtime_api::box_error::BoxError> {
        let headers = context
            .response()
            .headers()
            .iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        *self.0.lock().unwrap() = headers;
        Ok(())
    }
}

impl HeaderCapture {
    fn get(&self, name: &str) -> u64 {
        let headers = self.0.lock().unwrap();
        headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or_else(|| panic!("header {name} in {headers:?}"))
    }
}

#[tokio::test]
async fn every_family_answers_and_streams_in_its_own_format() {
    let ep = endpoint().await;
    let c = client(&ep);
    for f in families() {
        let out = c
            .invoke_model()
            .model_id(f.model)
            .content_type("application/json")
            .body(Blob::new(f.body.to_string()))
            .send()
            .await
            .unwrap_or_else(|e| panic!("{}: {e:?}", f.model));
        assert_eq!(out.content_type(), "application/json");
        let v: Value = serde_json::from_slice(out.body().as_ref()).unwrap();
        let text = (f.text)(&v);
        assert!(text.contains("sort a vector in Rust"), "{}: {v}", f.model);
        assert!(text.contains("```rust"), "{}", f.model);
        let stop = (f.stop)(&v);
        assert!(
            ["end_turn", "FINISH", "stop", "COMPLETE"].contains(&stop.as_str()),
            "{}: {stop}",
            f.model
        );

        let mut stream = c
            .invoke_model_with_response_stream()
            .model_id(f.model)
            .body(Blob::new(f.body.to_string()))
            .send()
            .await
            .unwrap_or_else(|e| panic!("{}: {e:?}", f.model));
        let mut chunks = Vec::new();
        while let Some(ev) = stream.body.recv().await.unwrap() {
            if let ResponseStream::Chunk(part) = ev {
                chunks
                    .push(serde_json::from_slice::<Value>(part.bytes().unwrap().as_ref()).unwrap());
            }
        }
        let streamed: String = chunks.iter().map(f.chunk_text).collect();
        assert_eq!(streamed, text, "{}", f.model);
        let (last, rest) = chunks.split_last().unwrap();
        assert!(
            rest.iter()
                .all(|c| c.get("amazon-bedrock-invocationMetrics").is_none()),
            "{}",
            f.model
        );
        let m = &last["amazon-bedrock-invocationMetrics"];
        assert_eq!(
            m["outputTokenCount"].as_u64(),
            Some(u64::from(bedrock_tui::local::tokens::count(&text))),
            "{}: {last}",
            f.model
        );
        assert!(m["inputTokenCount"].as_u64().unwrap() > 5, "{}", f.model);
        assert!(m["invocationLatency"].is_u64() && m["firstByteLatency"].is_u64());
    }
}

#[tokio::test]
async fn token_headers_and_limits() {
    let ep = endpoint().await;
    let c = client(&ep);
    let body = json!({"anthropic_version": "bedrock-2023-05-31", "max_tokens": 9, "messages": [{"role": "user", "content": "Explain lifetimes"}]});
    let headers = HeaderCapture::default();
    let out = c
        .invoke_model()
        .model_id(HAIKU3)
        .body(Blob::new(body.to_string()))
        .customize()
        .interceptor(headers.clone())
        .send()
        .await
        .unwrap();
    let v: Value = serde_json::from_slice(out.body().as_ref()).unwrap();
    assert_eq!(v["stop_reason"], "max_tokens");
    assert_eq!(v["usage"]["output_tokens"], 9);
    assert_eq!(headers.get("x-amzn-bedrock-output-token-count"), 9);
    assert_eq!(
        headers.get("x-amzn-bedrock-input-token-count"),
        v["usage"]["input_tokens"].as_u64().unwrap()
    );
    headers.get("x-amzn-bedrock-invocation-latency");

    let missing = json!({"anthropic_version": "bedrock-2023-05-31", "messages": [{"role": "user", "content": "hi"}]});
    let err = c
        .invoke_model()
        .model_id(HAIKU3)
        .body(Blob::new(missing.to_string()))
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        code_of(&err),
        ("ValidationException".into(), "Malformed input request: #: required key [max_tokens] not found, please reformat your input and try again.".into())
    );
    let extra = json!({"inputText": "hi", "bogus": 1});
    let err = c
        .invoke_model()
        .model_id("amazon.titan-text-express-v1")
        .body(Blob::new(extra.to_string()))
        .send()
        .await
        .unwrap_err();
    assert!(
        code_of(&err)
            .1
            .contains("extraneous key [bogus] is not permitted"),
        "{:?}",
        code_of(&err)
    );
}

#[tokio::test]
async fn embeddings_are_deterministic_and_sized() {
    let ep = endpoint().await;
    let c = client(&ep);
    let body = json!({"inputText": "The quick brown fox", "dimensions": 256, "normalize": true});
    let get = || async {
        let out = c
            .invoke_model()
            .model_id("amazon.titan-embed-text-v2:0")
            .body(Blob::new(body.to_string()))
            .send()
            .await
            .unwrap();
        serde_json::from_slice::<Value>(out.body().as_ref()).unwrap()
    };
    let (a, b) = (get().await, get().await);
    assert_eq!(a, b);
    let v: Vec<f64> = a["embedding"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect();
    assert_eq!(v.len(), 256);
    let norm: f64 = v.iter().map(|x| x * x).sum::<f64>().sqrt();
    assert!((norm - 1.0).abs() < 1e-6, "{norm}");
    assert!(a["inputTextTokenCount"].as_u64().unwrap() >= 4);
    let err = c
        .invoke_model_with_response_stream()
        .model_id("amazon.titan-embed-text-v2:0")
        .body(Blob::new(body.to_string()))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code_of(&err).0, "ValidationException");
}

#[tokio::test]
async fn stream_faults_apply_to_native_streams() {
    let ep = endpoint().await;
    let body = json!({"anthropic_version": "bedrock-2023-05-31", "max_tokens": 300, "messages": [{"role": "user", "content": "Tell me more [[fault:stream-error-4]]"}]});
    let mut stream = client(&ep)
        .invoke_model_with_response_stream()
        .model_id(HAIKU3)
        .body(Blob::new(body.to_string()))
        .send()
        .await
        .unwrap();
    let err = loop {
        match stream.body.recv().await {
            Ok(Some(_)) => {}
            Ok(None) => panic!("no exception"),
            Err(e) => break e,
        }
    };
    let e = err.into_service_error();
    assert!(e.is_model_stream_error_exception(), "{e:?}");
}
