//! Maps an HTTP method and raw path to a Bedrock Runtime operation, percent-decoding
//! path labels (model ids arrive with `%3A`, ARNs with `%2F`).

use http::Method;
use percent_encoding::percent_decode_str;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
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
    /// The endpoint's own request log (not a Bedrock API).
    LocalRequests,
    LocalHealth,
    Unknown,
}

impl Route {
    /// The operation name, as logged and as the service's documentation spells it.
    pub fn operation(&self) -> &'static str {
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
            Route::LocalRequests => "LocalRequests",
            Route::LocalHealth => "LocalHealth",
            Route::Unknown => "Unknown",
        }
    }

    pub fn model_id(&self) -> Option<&str> {
        match self {
            Route::Converse(m)
            | Route::ConverseStream(m)
            | Route::InvokeModel(m)
            | Route::InvokeModelWithResponseStream(m)
            | Route::InvokeModelWithBidirectionalStream(m)
            | Route::CountTokens(m) => Some(m),
            _ => None,
        }
    }
}

fn decode(segment: &str) -> String {
    percent_decode_str(segment).decode_utf8_lossy().into_owned()
}

pub fn route(method: &Method, path: &str) -> Route {
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
        assert_eq!(route(&Method::POST, "/"), Route::Unknown);
    }
}
