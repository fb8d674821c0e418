//! Maps an HTTP method and raw path to a Bedrock Runtime or control-plane operation,
//! percent-decoding path labels (model ids arrive with `%3A`, ARNs with `%2F`).

use http::Method;
use percent_encoding::percent_decode_str;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Route {
    Converse(String),
    ConverseStream(String),
    InvokeModel(String),
    InvokeModelWithResponseStream(String),
    InvokeModelWithBidirectionalStream(String),
    CountTokens(String),
    ApplyGuardrail {
        id: String,
        version: String,
    },
    InvokeGuardrailChecks,
    StartAsyncInvoke,
    ListAsyncInvokes,
    GetAsyncInvoke(String),
    CreateModelInvocationJob,
    GetModelInvocationJob(String),
    ListModelInvocationJobs,
    StopModelInvocationJob(String),
    ListFoundationModels,
    GetFoundationModel(String),
    ListInferenceProfiles,
    GetInferenceProfile(String),
    ListPromptRouters,
    GetPromptRouter(String),
    /// The endpoint's own request log (not a Bedrock API).
    LocalRequests,
    LocalHealth,
    Unknown,
}

impl Route {
    /// The operation name, as logged and as the service's documentation spells it.
    pub(crate) fn operation(&self) -> &'static str {
        match self {
            Route::Converse(_) => "Converse",
            Route::ConverseStream(_) => "ConverseStream",
            Route::InvokeModel(_) => "InvokeModel",
            Route::InvokeModelWithResponseStream(_) => "InvokeModelWithResponseStream",
            Route::InvokeModelWithBidirectionalStream(_) => "InvokeModelWithBidirectionalStream",
            Route::CountTokens(_) => "CountTokens",
            Route::ApplyGuardrail { .. } => "ApplyGuardrail",
            Route::InvokeGuardrailChecks => "InvokeGuardrailChecks",
            Route::StartAsyncInvoke => "StartAsyncInvoke",
            Route::ListAsyncInvokes => "ListAsyncInvokes",
            Route::GetAsyncInvoke(_) => "GetAsyncInvoke",
            Route::CreateModelInvocationJob => "CreateModelInvocationJob",
            Route::GetModelInvocationJob(_) => "GetModelInvocationJob",
            Route::ListModelInvocationJobs => "ListModelInvocationJobs",
            Route::StopModelInvocationJob(_) => "StopModelInvocationJob",
            Route::ListFoundationModels => "ListFoundationModels",
            Route::GetFoundationModel(_) => "GetFoundationModel",
            Route::ListInferenceProfiles => "ListInferenceProfiles",
            Route::GetInferenceProfile(_) => "GetInferenceProfile",
            Route::ListPromptRouters => "ListPromptRouters",
            Route::GetPromptRouter(_) => "GetPromptRouter",
            Route::LocalRequests => "LocalRequests",
            Route::LocalHealth => "LocalHealth",
            Route::Unknown => "Unknown",
        }
    }

    pub(crate) fn model_id(&self) -> Option<&str> {
        match self {
            Route::Converse(m)
            | Route::ConverseStream(m)
            | Route::InvokeModel(m)
            | Route::InvokeModelWithResponseStream(m)
            | Route::InvokeModelWithBidirectionalStream(m)
            | Route::CountTokens(m)
            | Route::GetFoundationModel(m)
            | Route::GetInferenceProfile(m) => Some(m),
            _ => None,
        }
    }
}

fn decode(segment: &str) -> String {
    percent_decode_str(segment).decode_utf8_lossy().into_owned()
}

/// The decoded label of the remaining path segments, if there is one.
fn label(segs: &[&str]) -> Option<String> {
    let joined = segs.iter().map(|s| decode(s)).collect::<Vec<_>>().join("/");
    (!joined.is_empty()).then_some(joined)
}

pub(crate) fn route(method: &Method, path: &str) -> Route {
    let path = path.split('?').next().unwrap_or("");
    let segs: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let post = method == Method::POST;
    let get = method == Method::GET;
    match segs.as_slice() {
        ["model", id, op] if post && !id.is_empty() => {
            let id = decode(id);
            match *op {
                "converse" => Route::Converse(id),
                "converse-stream" => Route::ConverseStream(id),
                "invoke" => Route::InvokeModel(id),
                "invoke-with-response-stream" => Route::InvokeModelWithResponseStream(id),
                "invoke-with-bidirectional-stream" => Route::InvokeModelWithBidirectionalStream(id),
                "count-tokens" => Route::CountTokens(id),
                _ => Route::Unknown,
            }
        }
        ["guardrail", id, "version", version, "apply"] if post => Route::ApplyGuardrail {
            id: decode(id),
            version: decode(version),
        },
        ["guardrail-checks", "invoke"] if post => Route::InvokeGuardrailChecks,
        ["async-invoke"] if post => Route::StartAsyncInvoke,
        ["async-invoke"] if get => Route::ListAsyncInvokes,
        ["async-invoke", arn] if get && !arn.is_empty() => Route::GetAsyncInvoke(decode(arn)),
        ["model-invocation-job"] if post => Route::CreateModelInvocationJob,
        ["model-invocation-jobs"] if get => Route::ListModelInvocationJobs,
        // A job ARN label may arrive with its `/` unencoded.
        ["model-invocation-job", rest @ .., "stop"] if post => {
            label(rest).map_or(Route::Unknown, Route::StopModelInvocationJob)
        }
        ["model-invocation-job", rest @ ..] if get => {
            label(rest).map_or(Route::Unknown, Route::GetModelInvocationJob)
        }
        ["foundation-models"] if get => Route::ListFoundationModels,
        ["inference-profiles"] if get => Route::ListInferenceProfiles,
        ["prompt-routers"] if get => Route::ListPromptRouters,
        // An ARN label may arrive with its `/` unencoded.
        ["foundation-models", rest @ ..] if get => {
            label(rest).map_or(Route::Unknown, Route::GetFoundationModel)
        }
        ["inference-profiles", rest @ ..] if get => {
            label(rest).map_or(Route::Unknown, Route::GetInferenceProfile)
        }
        ["prompt-routers", rest @ ..] if get => {
            label(rest).map_or(Route::Unknown, Route::GetPromptRouter)
        }
        ["_local", "requests"] if get => Route::LocalRequests,
        ["_local", "health"] if get => Route::LocalHealth,
        _ => Route::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_labels() {
        assert_eq!(
            route(
                &Method::POST,
                "/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse"
            ),
            Route::Converse("anthropic.claude-3-haiku-20240307-v1:0".into())
        );
        assert_eq!(
            route(
                &Method::POST,
                "/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A1%3Ainference-profile%2Fus.x/invoke"
            ),
            Route::InvokeModel("arn:aws:bedrock:us-east-1:1:inference-profile/us.x".into())
        );
        assert_eq!(
            route(&Method::GET, "/async-invoke?maxResults=2"),
            Route::ListAsyncInvokes
        );
        assert_eq!(route(&Method::GET, "/model/x/converse"), Route::Unknown);
        assert_eq!(
            route(&Method::GET, "/foundation-models?byProvider=Amazon"),
            Route::ListFoundationModels
        );
        let arn = "arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-lite-v1:0";
        for path in [
            "/foundation-models/arn%3Aaws%3Abedrock%3Aus-east-1%3A%3Afoundation-model%2Famazon.nova-lite-v1%3A0",
            "/foundation-models/arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-lite-v1:0",
        ] {
            assert_eq!(
                route(&Method::GET, path),
                Route::GetFoundationModel(arn.into())
            );
        }
        assert_eq!(
            route(
                &Method::GET,
                "/inference-profiles/us.amazon.nova-lite-v1%3A0"
            ),
            Route::GetInferenceProfile("us.amazon.nova-lite-v1:0".into())
        );
        assert_eq!(route(&Method::GET, "/inference-profiles/"), Route::Unknown);
        assert_eq!(
            route(
                &Method::GET,
                "/prompt-routers/arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Adefault-prompt-router%2Fmeta.llama%3A1"
            ),
            Route::GetPromptRouter(
                "arn:aws:bedrock:us-east-1:123456789012:default-prompt-router/meta.llama:1".into()
            )
        );
        assert_eq!(
            route(&Method::GET, "/prompt-routers?maxResults=1"),
            Route::ListPromptRouters
        );
        assert_eq!(route(&Method::POST, "/inference-profiles"), Route::Unknown);
        let job = "arn:aws:bedrock:us-east-1:123456789012:model-invocation-job/abcdefghij12";
        for path in [
            "/model-invocation-job/arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Amodel-invocation-job%2Fabcdefghij12",
            "/model-invocation-job/arn:aws:bedrock:us-east-1:123456789012:model-invocation-job/abcdefghij12",
        ] {
            assert_eq!(
                route(&Method::GET, path),
                Route::GetModelInvocationJob(job.into())
            );
            assert_eq!(
                route(&Method::POST, &format!("{path}/stop")),
                Route::StopModelInvocationJob(job.into())
            );
        }
        assert_eq!(
            route(&Method::POST, "/model-invocation-job"),
            Route::CreateModelInvocationJob
        );
        assert_eq!(
            route(
                &Method::GET,
                "/model-invocation-jobs?statusEquals=Completed"
            ),
            Route::ListModelInvocationJobs
        );
        assert_eq!(
            route(&Method::GET, "/model-invocation-job/"),
            Route::Unknown
        );
        assert_eq!(
            route(&Method::POST, "/model-invocation-job/stop"),
            Route::Unknown
        );
        assert_eq!(route(&Method::POST, "/"), Route::Unknown);
    }
}
