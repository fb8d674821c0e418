//! The request as an AWS CLI command: `aws bedrock-runtime converse` with the request
//! as JSON in a temporary file, printing the text of the answer.

use serde_json::Value;

use super::{Request, converse_body, credentials_comment, has_blob, json, members, shell_word};

pub(super) fn snippet(request: &Request) -> String {
    let body = converse_body(request.body);
    let model_id = Value::String(request.model_id.to_owned());
    let mut input = vec![("modelId", &model_id)];
    input.extend(members(&body));
    let mut out = String::new();
    out.push_str(
        "# Amazon Bedrock Converse with the AWS CLI: prints the answer's text. The CLI has no\n",
    );
    out.push_str(
        "# ConverseStream command; Converse sends the same request and returns the answer whole.\n",
    );
    out.push_str(&format!(
        "# {}\n",
        credentials_comment(request.auth, "the CLI")
    ));
    if has_blob(&body) {
        // Version 1 would send the base64 text itself as the attachment's bytes.
        out.push_str(
            "# AWS CLI v2: it reads the attachments' base64 in the JSON as their bytes.\n",
        );
    }
    // The JSON goes in a file (the CLI reads its input twice, so not from a pipe),
    // written from a quoted heredoc: pasted whole, with nothing in it expanded.
    out.push_str("request=$(mktemp)\n");
    out.push_str("cat > \"$request\" <<'JSON'\n");
    out.push_str(&json(&input));
    out.push_str("\nJSON\n");
    out.push_str("aws bedrock-runtime converse \\\n");
    out.push_str(&format!("  --region {} \\\n", shell_word(request.region)));
    if let Some(url) = request.endpoint_url {
        out.push_str(&format!("  --endpoint-url {} \\\n", shell_word(url)));
    }
    out.push_str("  --cli-input-json \"file://$request\" \\\n");
    out.push_str("  --query \"join('', output.message.content[].text)\" \\\n");
    out.push_str("  --output text\n");
    out.push_str("rm -f \"$request\"\n");
    out
}
