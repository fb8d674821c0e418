//! The request as a JavaScript (ES module) program: the AWS SDK for JavaScript v3's
//! `ConverseStreamCommand`, writing the text of the answer as it streams.

use super::literal::Syntax;
use super::{Request, credentials_comment, is_identifier, json_string, members, wrap};

/// JavaScript's object literals; blobs as `Uint8Array`s (a `Buffer` is one), as the SDK
/// takes bytes.
const JAVASCRIPT: Syntax = Syntax {
    string: json_string,
    key,
    blob: |b64| format!("Buffer.from({}, \"base64\")", json_string(b64)),
    null: "null",
    bools: ["false", "true"],
    indent: "  ",
    padded_braces: true,
    trailing_comma: true,
};

pub(super) fn snippet(request: &Request) -> String {
    let mut out = String::new();
    out.push_str("// Amazon Bedrock ConverseStream with the AWS SDK for JavaScript v3\n");
    out.push_str(
        "// (npm install @aws-sdk/client-bedrock-runtime): prints the answer as it streams.\n",
    );
    out.push_str(&format!(
        "// {}\n",
        credentials_comment(request.auth, "the SDK")
    ));
    out.push_str(
        "import { BedrockRuntimeClient, ConverseStreamCommand } from \"@aws-sdk/client-bedrock-runtime\";\n\n",
    );
    let mut config = vec![format!("region: {}", json_string(request.region))];
    if let Some(url) = request.endpoint_url {
        config.push(format!("endpoint: {}", json_string(url)));
    }
    let open = "const client = new BedrockRuntimeClient({";
    out.push_str(&wrap(open, &config, "});\n", "  ", " "));
    let model_id = serde_json::Value::String(request.model_id.to_owned());
    let mut input = vec![("modelId", &model_id)];
    input.extend(members(request.body));
    out.push_str(&format!(
        "const response = await client.send(\n  new ConverseStreamCommand({}),\n);\n",
        JAVASCRIPT.object(&input, 1)
    ));
    out.push_str(concat!(
        "for await (const event of response.stream) {\n",
        "  const text = event.contentBlockDelta?.delta?.text;\n",
        "  if (text) process.stdout.write(text);\n",
        "}\n",
        "process.stdout.write(\"\\n\");\n",
    ));
    out
}

/// An object key: bare when it is an identifier, quoted otherwise.
fn key(k: &str) -> String {
    if is_identifier(k, &['$']) {
        k.to_owned()
    } else {
        json_string(k)
    }
}
