//! The request as a curl command: Converse over HTTP, signed by curl's `--aws-sigv4`
//! or with a Bedrock API key as a bearer token, printing the JSON response.

use super::{Auth, Request, base_url, converse_body, json, members, path_segment, shell_word};

pub(super) fn snippet(request: &Request) -> String {
    let url = format!(
        "{}/model/{}/converse",
        base_url(request),
        path_segment(request.model_id)
    );
    let body = converse_body(request.body);
    let mut out = String::new();
    match request.auth {
        Auth::SigV4 => {
            out.push_str("# Amazon Bedrock Converse with curl, signed with the credentials in\n");
            out.push_str(
                "# AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN (when set):\n",
            );
        }
        Auth::ApiKey => {
            out.push_str("# Amazon Bedrock Converse with curl and the Bedrock API key in\n");
            out.push_str("# AWS_BEARER_TOKEN_BEDROCK:\n");
        }
    }
    out.push_str(
        "# prints the JSON response (| jq -r '.output.message.content[].text' for the text).\n",
    );
    if request.auth == Auth::SigV4 {
        // An empty token header would still be signed, and the signature then refused.
        out.push_str("set --\n");
        out.push_str("[ -z \"$AWS_SESSION_TOKEN\" ] || set -- -H \"x-amz-security-token: $AWS_SESSION_TOKEN\"\n");
    }
    out.push_str(&format!(
        "curl -sS --fail-with-body {} \\\n",
        shell_word(&url)
    ));
    match request.auth {
        Auth::SigV4 => {
            let scope = format!("aws:amz:{}:bedrock", request.region);
            out.push_str(&format!("  --aws-sigv4 {} \\\n", shell_word(&scope)));
            out.push_str("  --user \"$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY\" \"$@\" \\\n");
        }
        Auth::ApiKey => {
            out.push_str("  -H \"Authorization: Bearer $AWS_BEARER_TOKEN_BEDROCK\" \\\n");
        }
    }
    // The JSON comes in a heredoc: pasted whole, with nothing in it expanded.
    out.push_str("  -H 'Content-Type: application/json' \\\n");
    out.push_str("  --data-binary @- <<'JSON'\n");
    out.push_str(&json(&members(&body)));
    out.push_str("\nJSON\n");
    out
}
