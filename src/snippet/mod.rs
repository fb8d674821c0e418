//! "Copy as code": a ConverseStream request, as the request inspector shows it, written
//! as a runnable program or command in one of several languages (boto3, the AWS CLI,
//! the AWS SDK for JavaScript v3, the AWS SDK for Rust, curl) that sends the same
//! request and prints the answer's text. Pure: text in, text out.

mod cli;
mod curl;
mod javascript;
mod literal;
mod python;
mod rust;

use serde_json::Value;

/// The languages a request can be copied as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Language {
    Python,
    Cli,
    JavaScript,
    Rust,
    Curl,
}

impl Language {
    pub const ALL: [Language; 5] = [
        Language::Python,
        Language::Cli,
        Language::JavaScript,
        Language::Rust,
        Language::Curl,
    ];

    /// The name shown on the language's tab.
    pub fn label(self) -> &'static str {
        match self {
            Language::Python => "boto3",
            Language::Cli => "AWS CLI",
            Language::JavaScript => "JavaScript v3",
            Language::Rust => "Rust",
            Language::Curl => "curl",
        }
    }

    /// The extension of a file the snippet is saved to.
    pub fn extension(self) -> &'static str {
        match self {
            Language::Python => "py",
            Language::Cli | Language::Curl => "sh",
            Language::JavaScript => "mjs",
            Language::Rust => "rs",
        }
    }
}

/// How the request authenticates. Neither kind puts a credential in a snippet: the
/// SDKs find their own, and curl reads the environment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Auth {
    /// Signed with the credentials of the standard chain.
    SigV4,
    /// A Bedrock API key, from `AWS_BEARER_TOKEN_BEDROCK`.
    ApiKey,
}

/// A ConverseStream request as sent.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// The model or inference profile id (or ARN) of the URL's path.
    pub model_id: &'a str,
    /// The request's JSON body in the service's shape: `messages`, `system`,
    /// `inferenceConfig`... with attachments' bytes in base64.
    pub body: &'a Value,
    pub region: &'a str,
    /// A custom or local endpoint; `None` for Amazon Bedrock itself.
    pub endpoint_url: Option<&'a str>,
    pub auth: Auth,
}

/// The request as a complete program or command in `language`.
pub fn snippet(language: Language, request: &Request) -> String {
    match language {
        Language::Python => python::snippet(request),
        Language::Cli => cli::snippet(request),
        Language::JavaScript => javascript::snippet(request),
        Language::Rust => rust::snippet(request),
        Language::Curl => curl::snippet(request),
    }
}

/// The body's members in the order a reader expects them: the conversation first, then
/// the settings, each group in the body's own order.
fn members(body: &Value) -> Vec<(&str, &Value)> {
    const FIRST: [&str; 2] = ["messages", "system"];
    let Some(map) = body.as_object() else {
        return Vec::new();
    };
    let mut out: Vec<(&str, &Value)> = FIRST
        .iter()
        .filter_map(|k| map.get_key_value(*k))
        .map(|(k, v)| (k.as_str(), v))
        .collect();
    out.extend(
        map.iter()
            .filter(|(k, _)| !FIRST.contains(&k.as_str()))
            .map(|(k, v)| (k.as_str(), v)),
    );
    out
}

/// JSON as the shell snippets send it, pretty-printed. Blobs stay base64, as the JSON
/// wire format and the AWS CLI's input both carry them. No line can be a bare word
/// such as a heredoc's delimiter: strings are quoted and their newlines escaped.
fn json(members: &[(&str, &Value)]) -> String {
    const JSON: literal::Syntax = literal::Syntax {
        string: json_string,
        key: json_string,
        blob: json_string,
        null: "null",
        bools: ["false", "true"],
        indent: "  ",
        padded_braces: false,
        trailing_comma: false,
    };
    JSON.object(members, 0)
}

/// The body of the same request sent with Converse, for the clients that cannot read an
/// event stream: ConverseStream's guardrail `streamProcessingMode` is all that differs.
fn converse_body(body: &Value) -> Value {
    let mut body = body.clone();
    if let Some(guardrail) = body
        .get_mut("guardrailConfig")
        .and_then(Value::as_object_mut)
    {
        guardrail.remove("streamProcessingMode");
    }
    body
}

/// Whether the value at `path` (the object keys from the body's root; array positions
/// left out) is a blob: attachment bytes or redacted reasoning, base64 in the JSON.
/// Tool inputs and JSON tool results are documents, whatever their keys.
fn is_blob(path: &[&str]) -> bool {
    let in_document = path.windows(2).any(|w| w == ["toolUse", "input"])
        || path
            .windows(3)
            .any(|w| w == ["toolResult", "content", "json"]);
    if in_document || !matches!(path.first(), Some(&"messages" | &"system")) {
        return false;
    }
    match path {
        [.., kind, "source", "bytes"] => {
            matches!(*kind, "image" | "document" | "video" | "audio")
        }
        [.., "reasoningContent", "redactedContent"] => true,
        _ => false,
    }
}

/// Whether the body carries any blob.
fn has_blob(body: &Value) -> bool {
    fn walk<'a>(v: &'a Value, path: &mut Vec<&'a str>) -> bool {
        match v {
            Value::String(_) => is_blob(path),
            Value::Array(items) => items.iter().any(|i| walk(i, path)),
            Value::Object(map) => map.iter().any(|(k, v)| {
                path.push(k);
                let found = walk(v, path);
                path.pop();
                found
            }),
            _ => false,
        }
    }
    walk(body, &mut Vec::new())
}

/// Characters written as escapes in every language's string literals: controls, and the
/// invisible characters that could make pasted code read differently than it runs
/// (line and paragraph separators, zero-width and bidirectional marks).
fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200B}'..='\u{200F}' | '\u{2028}'..='\u{202E}' | '\u{2060}'..='\u{206F}' | '\u{FEFF}')
}

/// `s` as a double-quoted literal: quotes, backslashes and the common control
/// characters escaped with a backslash, and the others [`needs_escape`] names as
/// `escape` writes them in the language; everything else as it is.
fn quoted(s: &str, escape: fn(char) -> String) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if needs_escape(c) => out.push_str(&escape(c)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A string as a JSON (and JavaScript) literal: `\uXXXX` escapes, in UTF-16.
fn json_string(s: &str) -> String {
    quoted(s, |c| {
        let mut units = [0u16; 2];
        c.encode_utf16(&mut units)
            .iter()
            .map(|unit| format!("\\u{unit:04x}"))
            .collect()
    })
}

/// A word for a POSIX shell, quoted only when it has to be: single quotes, inside
/// which nothing is special.
fn shell_word(s: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "-_./:%@=+,".contains(c);
    if !s.is_empty() && s.chars().all(plain) {
        s.to_owned()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// The Bedrock Runtime endpoint of `region`, or the custom one, without a trailing `/`.
fn base_url(request: &Request) -> String {
    match request.endpoint_url {
        Some(url) => url.trim_end_matches('/').to_owned(),
        None => format!("https://bedrock-runtime.{}.amazonaws.com", request.region),
    }
}

/// A model id as one segment of a URL's path: everything but the unreserved characters
/// percent-encoded (`:` of a versioned id, `/` of an ARN), as the SDKs send it.
fn path_segment(id: &str) -> String {
    id.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// `args` between `open` and `close`: on one line when it fits (with `pad` inside the
/// brackets), else one a line, indented, with trailing commas.
fn wrap(open: &str, args: &[String], close: &str, indent: &str, pad: &str) -> String {
    let line = format!("{open}{pad}{}{pad}{close}", args.join(", "));
    if line.trim_end().len() <= 88 && !args.iter().any(|a| a.contains('\n')) {
        return line;
    }
    let mut out = format!("{open}\n");
    for arg in args {
        let arg = arg.replace('\n', &format!("\n{indent}"));
        out.push_str(&format!("{indent}{arg},\n"));
    }
    out.push_str(close);
    out
}

/// Whether `s` is an identifier: ASCII letters, digits, `_` and the characters `also`,
/// not starting with a digit.
fn is_identifier(s: &str, also: &[char]) -> bool {
    let word = |c: char| c.is_ascii_alphabetic() || c == '_' || also.contains(&c);
    let mut chars = s.chars();
    chars.next().is_some_and(word) && chars.all(|c| word(c) || c.is_ascii_digit())
}

/// The line that says where the SDKs' credentials come from.
fn credentials_comment(auth: Auth, sdk: &str) -> String {
    match auth {
        Auth::SigV4 => format!(
            "Credentials come from {sdk}'s default chain (environment, ~/.aws, SSO, instance role)."
        ),
        Auth::ApiKey => format!(
            "Authenticates with the Bedrock API key in AWS_BEARER_TOKEN_BEDROCK, which recent versions of {sdk} send by themselves."
        ),
    }
}

#[cfg(test)]
mod tests;
