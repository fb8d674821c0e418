//! The request as a Python program: boto3's `converse_stream`, printing the text of the
//! answer as it streams.

use super::literal::Syntax;
use super::{Request, credentials_comment, has_blob, is_identifier, members, wrap};

/// Python's dict literals; blobs decoded from base64, as boto3 takes bytes.
const PYTHON: Syntax = Syntax {
    string,
    key: string,
    blob: |b64| format!("base64.b64decode({})", string(b64)),
    null: "None",
    bools: ["False", "True"],
    indent: "    ",
    padded_braces: false,
    trailing_comma: true,
};

pub(super) fn snippet(request: &Request) -> String {
    let mut out = String::new();
    out.push_str(
        "# Amazon Bedrock ConverseStream with boto3 (pip install boto3): prints the answer\n",
    );
    out.push_str("# as it streams.\n");
    out.push_str(&format!(
        "# {}\n",
        credentials_comment(request.auth, "boto3")
    ));
    if has_blob(request.body) {
        out.push_str("import base64\n\n");
    }
    out.push_str("import boto3\n\n");
    let mut client = vec![
        string("bedrock-runtime"),
        format!("region_name={}", string(request.region)),
    ];
    if let Some(url) = request.endpoint_url {
        client.push(format!("endpoint_url={}", string(url)));
    }
    out.push_str(&wrap(
        "client = boto3.client(",
        &client,
        ")\n\n",
        "    ",
        "",
    ));
    let mut args = vec![format!("modelId={}", string(request.model_id))];
    for (key, value) in members(request.body) {
        let path = &mut vec![key.to_owned()];
        if is_identifier(key, &[]) {
            let value = PYTHON.render(value, path, 0, 4 + key.len() + 1);
            args.push(format!("{key}={value}"));
        } else {
            let value = PYTHON.render(value, path, 0, 4 + key.len() + 6);
            args.push(format!("**{{{}: {value}}}", string(key)));
        }
    }
    out.push_str(&wrap(
        "response = client.converse_stream(",
        &args,
        ")\n",
        "    ",
        "",
    ));
    out.push_str(concat!(
        "for event in response[\"stream\"]:\n",
        "    text = event.get(\"contentBlockDelta\", {}).get(\"delta\", {}).get(\"text\")\n",
        "    if text:\n",
        "        print(text, end=\"\", flush=True)\n",
        "print()\n",
    ));
    out
}

/// A Python string literal: `\x`, `\u` or `\U` escapes by the code point's size.
pub(super) fn string(s: &str) -> String {
    super::quoted(s, |c| match u32::from(c) {
        code @ ..0x100 => format!("\\x{code:02x}"),
        code @ ..0x10000 => format!("\\u{code:04x}"),
        code => format!("\\U{code:08x}"),
    })
}
