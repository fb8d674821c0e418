//! The snippets' text: every part of a request where each language takes it, blobs as
//! bytes, the endpoint and the kind of authentication, and hostile text that stays
//! inside its string literal or heredoc.

use serde_json::{Value, json};

use super::*;

const MODEL: &str = "anthropic.claude-3-haiku-20240307-v1:0";
const HOSTILE: &str =
    "it's \"quoted\" \\ $(rm -rf /) `id` ${x}\nEOF\nJSON\n</script>\u{2028}\u{202e}\u{7}é 🦀";
const PNG: &str = "iVBORw0KGgo=";
/// The languages whose snippets use an AWS SDK (the CLI's included).
const SDKS: [Language; 4] = [
    Language::Python,
    Language::Cli,
    Language::JavaScript,
    Language::Rust,
];

fn body(text: &str) -> Value {
    json!({
        "messages": [
            {"role": "user", "content": [{"text": "What is ownership?"}]},
            {"role": "assistant", "content": [{"text": "Ownership is..."}]},
            {"role": "user", "content": [
                {"image": {"format": "png", "source": {"bytes": PNG}}},
                {"text": text},
            ]},
        ],
        "system": [{"text": "Be brief."}],
        "inferenceConfig": {"maxTokens": 200, "temperature": 0.5, "stopSequences": ["END"]},
        "guardrailConfig": {
            "guardrailIdentifier": "gr-1",
            "guardrailVersion": "DRAFT",
            "streamProcessingMode": "async",
        },
    })
}

fn request<'a>(body: &'a Value, endpoint_url: Option<&'a str>, auth: Auth) -> Request<'a> {
    Request {
        model_id: MODEL,
        body,
        region: "us-east-1",
        endpoint_url,
        auth,
    }
}

fn all(body: &Value) -> Vec<(Language, String)> {
    let req = request(body, Some("http://127.0.0.1:4000"), Auth::SigV4);
    Language::ALL
        .iter()
        .map(|l| (*l, snippet(*l, &req)))
        .collect()
}

/// Reads back a string literal of the languages' own rules: `\` escapes of one letter
/// and `\x`, `\u` (four digits or braced) and `\U` code points. JSON's surrogate pairs
/// come back whole.
fn unescape(literal: &str) -> String {
    let inner = literal
        .strip_prefix('"')
        .and_then(|l| l.strip_suffix('"'))
        .expect("a double-quoted literal");
    let mut out = String::new();
    let mut units: Vec<u16> = Vec::new();
    let mut chars = inner.chars();
    let flush = |units: &mut Vec<u16>, out: &mut String| {
        out.push_str(&String::from_utf16(units).expect("whole surrogate pairs"));
        units.clear();
    };
    while let Some(c) = chars.next() {
        assert!(
            c != '"' && c != '\n' && !needs_escape(c),
            "raw {c:?} in {literal}"
        );
        if c != '\\' {
            flush(&mut units, &mut out);
            out.push(c);
            continue;
        }
        let hex = |chars: &mut std::str::Chars, n: usize| {
            let digits: String = chars.take(n).collect();
            u32::from_str_radix(&digits, 16).unwrap()
        };
        match chars.next().unwrap() {
            'u' if chars.as_str().starts_with('{') => {
                let rest = chars.as_str();
                let end = rest.find('}').unwrap();
                flush(&mut units, &mut out);
                out.push(char::from_u32(u32::from_str_radix(&rest[1..end], 16).unwrap()).unwrap());
                chars = rest[end + 1..].chars();
            }
            'u' => units.push(hex(&mut chars, 4) as u16),
            e => {
                flush(&mut units, &mut out);
                out.push(match e {
                    'n' => '\n',
                    'r' => '\r',
                    't' => '\t',
                    'x' => char::from_u32(hex(&mut chars, 2)).unwrap(),
                    'U' => char::from_u32(hex(&mut chars, 8)).unwrap(),
                    other => other,
                });
            }
        }
    }
    flush(&mut units, &mut out);
    out
}

#[test]
fn string_literals_read_back_as_the_text() {
    for text in [
        HOSTILE,
        "",
        "plain",
        "\u{0}\u{1f}\u{7f}\u{85}\u{feff}\u{10ffff}",
    ] {
        assert_eq!(unescape(&python::string(text)), text);
        assert_eq!(unescape(&json_string(text)), text);
        assert_eq!(unescape(&rust::string(text)), text);
        // JSON's reading of the JSON literal agrees.
        let parsed: String = serde_json::from_str(&json_string(text)).unwrap();
        assert_eq!(parsed, text);
    }
}

#[test]
fn hostile_text_stays_inside_its_literal() {
    let body = body(HOSTILE);
    let plain = body_with_plain_text();
    for ((language, hostile), (_, benign)) in all(&body).into_iter().zip(all(&plain)) {
        let literal = match language {
            Language::Python => python::string(HOSTILE),
            Language::Rust => rust::string(HOSTILE),
            _ => json_string(HOSTILE),
        };
        assert!(hostile.contains(&literal), "{language:?}:\n{hostile}");
        // Everything but the literal is what a harmless text gives: the text added no
        // line and ended no string.
        let placeholder = match language {
            Language::Python => python::string(PLAIN),
            Language::Rust => rust::string(PLAIN),
            _ => json_string(PLAIN),
        };
        assert_eq!(
            hostile.replace(&literal, &placeholder),
            benign,
            "{language:?}"
        );
    }
}

/// A text as long as [`HOSTILE`] written, so the two bodies are laid out alike.
const PLAIN: &str = "a harmless question of about the same length as the hostile one, or a little longer than it is";

fn body_with_plain_text() -> Value {
    body(PLAIN)
}

#[test]
fn the_shell_snippets_carry_the_body_in_a_quoted_heredoc() {
    let body = body(HOSTILE);
    for language in [Language::Cli, Language::Curl] {
        let req = request(&body, None, Auth::SigV4);
        let text = snippet(language, &req);
        let (head, rest) = text.split_once("<<'JSON'\n").unwrap();
        let (json, tail) = rest.split_once("\nJSON\n").unwrap();
        assert!(
            !head.contains("rm -rf") && !tail.contains("rm -rf"),
            "{language:?}"
        );
        assert!(!json.lines().any(|l| l == "JSON"), "{language:?}");
        let sent: Value = serde_json::from_str(json).unwrap();
        let mut expected = converse_body(&body);
        if language == Language::Cli {
            expected["modelId"] = json!(MODEL);
        }
        assert_eq!(sent, expected, "{language:?}");
        assert!(
            sent["guardrailConfig"]
                .get("streamProcessingMode")
                .is_none()
        );
        // The base64 of the image as it is: the JSON wire format and the CLI's input.
        assert_eq!(
            sent["messages"][2]["content"][0]["image"]["source"]["bytes"],
            PNG
        );
    }
}

#[test]
fn blobs_are_bytes_in_each_language() {
    let body = body("What is in the picture?");
    let s: std::collections::HashMap<Language, String> = all(&body).into_iter().collect();
    let python = &s[&Language::Python];
    assert!(python.contains("import base64\n"), "{python}");
    assert!(
        python.contains(&format!("\"bytes\": base64.b64decode(\"{PNG}\")")),
        "{python}"
    );
    let js = &s[&Language::JavaScript];
    assert!(
        js.contains(&format!("bytes: Buffer.from(\"{PNG}\", \"base64\")")),
        "{js}"
    );
    let rust = &s[&Language::Rust];
    assert!(
        rust.contains(&format!(
            "Blob::new(aws_smithy_types::base64::decode(\"{PNG}\")?)"
        )),
        "{rust}"
    );
    assert!(rust.contains("aws-smithy-types = \"1\""), "{rust}");
    // Without a blob, no base64 at all.
    let plain = json!({"messages": [{"role": "user", "content": [{"text": "Hi"}]}]});
    let python = snippet(Language::Python, &request(&plain, None, Auth::SigV4));
    assert!(!python.contains("base64"), "{python}");
}

#[test]
fn a_tool_input_named_bytes_is_not_a_blob() {
    let body = json!({"messages": [{"role": "assistant", "content": [
        {"toolUse": {"toolUseId": "t1", "name": "f", "input": {"source": {"bytes": "x"}}}}
    ]}]});
    let python = snippet(Language::Python, &request(&body, None, Auth::SigV4));
    assert!(
        python.contains("{\"source\": {\"bytes\": \"x\"}}"),
        "{python}"
    );
    assert!(!python.contains("b64decode"), "{python}");
    let rust = snippet(Language::Rust, &request(&body, None, Auth::SigV4));
    assert!(rust.contains("Document::from(\"x\")"), "{rust}");
}

#[test]
fn the_endpoint_goes_into_each_client() {
    let body = body("Hi");
    let url = "http://127.0.0.1:4000";
    for (language, text) in all(&body) {
        let expected = match language {
            Language::Python => format!("endpoint_url=\"{url}\""),
            Language::Cli => format!("--endpoint-url {url} \\\n"),
            Language::JavaScript => format!("endpoint: \"{url}\""),
            Language::Rust => format!(".endpoint_url(\"{url}\")"),
            Language::Curl => {
                format!("{url}/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse")
            }
        };
        assert!(text.contains(&expected), "{language:?}:\n{text}");
    }
    // Amazon Bedrock itself: the regional endpoint, found by the SDKs on their own.
    let req = request(&body, None, Auth::SigV4);
    let curl = snippet(Language::Curl, &req);
    assert!(curl.contains(
        "curl -sS --fail-with-body https://bedrock-runtime.us-east-1.amazonaws.com/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse \\\n"
    ), "{curl}");
    for language in SDKS {
        let text = snippet(language, &req);
        assert!(!text.contains("endpoint"), "{language:?}:\n{text}");
    }
}

#[test]
fn a_url_an_arn_and_a_region_are_quoted_for_the_shell() {
    assert_eq!(
        path_segment("arn:aws:bedrock:us-east-1:1:inference-profile/us.x-v1:0"),
        "arn%3Aaws%3Abedrock%3Aus-east-1%3A1%3Ainference-profile%2Fus.x-v1%3A0"
    );
    assert_eq!(
        shell_word("http://127.0.0.1:4000/"),
        "http://127.0.0.1:4000/"
    );
    assert_eq!(
        shell_word("http://h/?a=1&b=$(x)'"),
        "'http://h/?a=1&b=$(x)'\\'''"
    );
    assert_eq!(shell_word(""), "''");
}

#[test]
fn credentials_never_appear_and_api_keys_are_named() {
    let body = body("Hi");
    let req = request(&body, None, Auth::ApiKey);
    let curl = snippet(Language::Curl, &req);
    assert!(
        curl.contains("-H \"Authorization: Bearer $AWS_BEARER_TOKEN_BEDROCK\""),
        "{curl}"
    );
    assert!(
        !curl.contains("sigv4") && !curl.contains("AWS_SECRET_ACCESS_KEY"),
        "{curl}"
    );
    for language in SDKS {
        let text = snippet(language, &req);
        assert!(
            text.contains("AWS_BEARER_TOKEN_BEDROCK"),
            "{language:?}:\n{text}"
        );
    }
    let signed = snippet(Language::Curl, &request(&body, None, Auth::SigV4));
    assert!(
        signed.contains("--aws-sigv4 aws:amz:us-east-1:bedrock \\\n"),
        "{signed}"
    );
    assert!(
        signed.contains("--user \"$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY\" \"$@\""),
        "{signed}"
    );
    // The session token header only when there is one: an empty one would be signed.
    assert!(signed.contains(
        "[ -z \"$AWS_SESSION_TOKEN\" ] || set -- -H \"x-amz-security-token: $AWS_SESSION_TOKEN\"\n"
    ), "{signed}");
}

#[test]
fn the_rust_program_writes_each_part_as_builders() {
    let mut body = body("Hi");
    body["promptVariables"] = json!({"x": {"text": "y"}});
    body["messages"][0]["content"]
        .as_array_mut()
        .unwrap()
        .push(json!({"audio": {"format": "mp3", "source": {"bytes": "AAAA"}}}));
    body["additionalModelRequestFields"] = json!({"top_k": 5});
    let rust = snippet(Language::Rust, &request(&body, None, Auth::SigV4));
    for part in [
        ".role(ConversationRole::User)",
        "ContentBlock::Text(\"What is ownership?\".into())",
        ".format(ImageFormat::Png)",
        ".system(SystemContentBlock::Text(\"Be brief.\".into()))",
        ".max_tokens(200)",
        ".temperature(0.5)",
        ".stop_sequences(\"END\")",
        ".stream_processing_mode(GuardrailStreamProcessingMode::Async)",
        "Document::Object(HashMap::from([(\"top_k\".to_owned(), Document::from(5_u64))]))",
        "// Not written as builders here: the request's messages[0].content[1] (\"audio\"); see its JSON.",
        "// Not written as builders here: the request's \"promptVariables\"; see its JSON.",
    ] {
        assert!(rust.contains(part), "{part}\n{rust}");
    }
}

#[test]
fn labels_and_extensions() {
    let labels: Vec<_> = Language::ALL
        .iter()
        .map(|l| (l.label(), l.extension()))
        .collect();
    assert_eq!(
        labels,
        [
            ("boto3", "py"),
            ("AWS CLI", "sh"),
            ("JavaScript v3", "mjs"),
            ("Rust", "rs"),
            ("curl", "sh"),
        ]
    );
}
