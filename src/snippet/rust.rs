//! The request as a Rust program: the AWS SDK for Rust's `converse_stream` with the
//! request's parts written as builders, printing the text of the answer as it streams.
//! A part the builders here do not cover is named in a comment where it would go.

use std::collections::BTreeSet;

use serde_json::Value;

use super::{Request, credentials_comment, members, wrap};

pub(super) fn snippet(request: &Request) -> String {
    let mut code = Code::default();
    let mut calls = vec![
        ".converse_stream()".to_owned(),
        format!(".model_id({})", string(request.model_id)),
    ];
    for (key, value) in members(request.body) {
        calls.extend(code.member(key, value));
    }
    calls.extend([".send()".into(), ".await?".into(), ".stream".into()]);
    let send = chain("client", &calls);

    let mut out = String::new();
    out.push_str(
        "// Amazon Bedrock ConverseStream with the AWS SDK for Rust: prints the answer as it streams.\n",
    );
    out.push_str(&format!(
        "// {}\n",
        credentials_comment(request.auth, "the SDK")
    ));
    out.push_str("// Cargo.toml: aws-config = \"1\", aws-sdk-bedrockruntime = \"1\",\n");
    out.push_str("// tokio = { version = \"1\", features = [\"full\"] }");
    if code.smithy {
        out.push_str(", aws-smithy-types = \"1\"");
    }
    out.push('\n');
    if code.hash_map {
        out.push_str("use std::collections::HashMap;\n");
    }
    out.push_str("use std::io::Write;\n\n");
    out.push_str("use aws_config::{BehaviorVersion, Region};\n");
    if code.blob {
        out.push_str("use aws_sdk_bedrockruntime::primitives::Blob;\n");
    }
    code.types
        .extend(["ContentBlockDelta", "ConverseStreamOutput"]);
    out.push_str(&imports(&code.types));
    if code.document {
        out.push_str("use aws_smithy_types::Document;\n");
    }
    out.push_str("\n#[tokio::main]\nasync fn main() -> Result<(), Box<dyn std::error::Error>> {\n");
    let mut config = vec![
        "aws_config::defaults(BehaviorVersion::latest())".to_owned(),
        format!(".region(Region::new({}))", string(request.region)),
    ];
    if let Some(url) = request.endpoint_url {
        config.push(format!(".endpoint_url({})", string(url)));
    }
    config.extend([".load()".into(), ".await".into()]);
    let body = [
        format!("let config = {};", chain(&config[0], &config[1..])),
        "let client = aws_sdk_bedrockruntime::Client::new(&config);\n".to_owned(),
        format!("let mut stream = {send};"),
        concat!(
            "while let Some(event) = stream.recv().await? {\n",
            "    if let ConverseStreamOutput::ContentBlockDelta(delta) = event {\n",
            "        if let Some(ContentBlockDelta::Text(text)) = delta.delta() {\n",
            "            print!(\"{text}\");\n",
            "            std::io::stdout().flush()?;\n",
            "        }\n",
            "    }\n",
            "}\n",
            "println!();\n",
            "Ok(())",
        )
        .to_owned(),
    ];
    for part in body {
        for line in part.lines() {
            match line {
                "" => out.push('\n'),
                line => out.push_str(&format!("    {line}\n")),
            }
        }
    }
    out.push_str("}\n");
    out
}

/// `use aws_sdk_bedrockruntime::types::{...}` of `types`: on one line, or packed into
/// lines as rustfmt does.
fn imports(types: &BTreeSet<&str>) -> String {
    let names: Vec<&str> = types.iter().copied().collect();
    let line = format!(
        "use aws_sdk_bedrockruntime::types::{{{}}};\n",
        names.join(", ")
    );
    if line.len() <= 101 {
        return line;
    }
    let mut out = "use aws_sdk_bedrockruntime::types::{\n".to_owned();
    let mut current = String::new();
    for name in names {
        if !current.is_empty() && 4 + current.len() + name.len() + 1 > 100 {
            out.push_str(&format!("    {}\n", current.trim_end()));
            current.clear();
        }
        current.push_str(&format!("{name}, "));
    }
    out.push_str(&format!("    {}\n}};\n", current.trim_end()));
    out
}

/// What the program's builders use, collected while they are written.
#[derive(Default)]
struct Code {
    /// Names imported from `aws_sdk_bedrockruntime::types`.
    types: BTreeSet<&'static str>,
    blob: bool,
    /// `aws_smithy_types` is a dependency: for `Document` or base64.
    smithy: bool,
    document: bool,
    hash_map: bool,
}

/// `head` followed by `calls`: on one line when short, else one call a line. A comment
/// among the calls takes a line of its own.
fn chain(head: &str, calls: &[String]) -> String {
    let line = format!("{head}{}", calls.concat());
    let comment = calls.iter().any(|c| c.starts_with("//"));
    if line.len() <= 88 && !line.contains('\n') && !comment {
        return line;
    }
    let mut out = head.to_owned();
    for call in calls {
        out.push_str("\n    ");
        out.push_str(&call.replace('\n', "\n    "));
    }
    out
}

/// `.name(arg)`, the argument on lines of its own when it is long.
fn call(name: &str, arg: &str) -> String {
    wrap(&format!(".{name}("), &[arg.to_owned()], ")", "    ", "")
}

/// A comment saying that a part of the request is left out.
fn omitted(what: &str) -> String {
    format!("// Not written as builders here: the request's {what}; see its JSON.")
}

/// A Rust string literal: `\u{...}` escapes.
pub(super) fn string(s: &str) -> String {
    super::quoted(s, |c| format!("\\u{{{:x}}}", u32::from(c)))
}

/// The values of the enums the builders here set, as the SDK names their variants.
const ENUMS: [(&str, &[&str]); 8] = [
    ("ImageFormat", &["gif", "jpeg", "png", "webp"]),
    (
        "DocumentFormat",
        &[
            "csv", "doc", "docx", "html", "md", "pdf", "txt", "xls", "xlsx",
        ],
    ),
    (
        "VideoFormat",
        &[
            "flv", "mkv", "mov", "mp4", "mpeg", "mpg", "three_gp", "webm", "wmv",
        ],
    ),
    ("GuardrailTrace", &["disabled", "enabled", "enabled_full"]),
    ("GuardrailStreamProcessingMode", &["async", "sync"]),
    ("ToolResultStatus", &["error", "success"]),
    ("PerformanceConfigLatency", &["optimized", "standard"]),
    ("ConversationRole", &["assistant", "user"]),
];

impl Code {
    fn ty(&mut self, name: &'static str) -> &'static str {
        self.types.insert(name);
        name
    }

    /// `Type::Variant` for a known value, `Type::from("value")` for one newer than this
    /// list: both are the SDK's.
    fn enum_value(&mut self, ty: &'static str, value: &Value) -> String {
        let value = value.as_str().unwrap_or_default();
        self.ty(ty);
        let known = ENUMS
            .iter()
            .any(|(name, values)| *name == ty && values.contains(&value));
        if known {
            let variant: String = value
                .split('_')
                .map(|w| {
                    let mut chars = w.chars();
                    chars.next().map_or(String::new(), |c| {
                        c.to_ascii_uppercase().to_string() + chars.as_str()
                    })
                })
                .collect();
            format!("{ty}::{variant}")
        } else {
            format!("{ty}::from({})", string(value))
        }
    }

    /// The builder calls of one member of the body.
    fn member(&mut self, key: &str, value: &Value) -> Vec<String> {
        let items = || value.as_array().map(Vec::as_slice).unwrap_or_default();
        match key {
            "messages" => items()
                .iter()
                .enumerate()
                .map(|(i, m)| call("messages", &self.message(i, m)))
                .collect(),
            "system" => items()
                .iter()
                .enumerate()
                .map(|(i, b)| match self.system_block(b) {
                    Some(block) => call("system", &block),
                    None => omitted(&format!("system[{i}]")),
                })
                .collect(),
            "inferenceConfig" => vec![call("inference_config", &self.inference(value))],
            "toolConfig" => vec![call("tool_config", &self.tool_config(value))],
            "guardrailConfig" => vec![call("guardrail_config", &self.guardrail(value))],
            "additionalModelRequestFields" => {
                vec![call(
                    "additional_model_request_fields",
                    &self.document(value),
                )]
            }
            "additionalModelResponseFieldPaths" => items()
                .iter()
                .map(|p| call("additional_model_response_field_paths", &string(str_of(p))))
                .collect(),
            "requestMetadata" => value
                .as_object()
                .into_iter()
                .flatten()
                .map(|(k, v)| format!(".request_metadata({}, {})", string(k), string(str_of(v))))
                .collect(),
            "performanceConfig" => {
                let ty = self.ty("PerformanceConfiguration");
                let latency = self.enum_value("PerformanceConfigLatency", &value["latency"]);
                vec![call(
                    "performance_config",
                    &chain(
                        &format!("{ty}::builder()"),
                        &[call("latency", &latency), ".build()".into()],
                    ),
                )]
            }
            other => vec![omitted(&format!("\"{other}\""))],
        }
    }

    fn message(&mut self, i: usize, m: &Value) -> String {
        let ty = self.ty("Message");
        let role = self.enum_value("ConversationRole", &m["role"]);
        let mut calls = vec![call("role", &role)];
        let blocks = m["content"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default();
        for (j, b) in blocks.iter().enumerate() {
            calls.push(match self.content_block(b) {
                Some(block) => call("content", &block),
                None => omitted(&format!("messages[{i}].content[{j}] ({})", kind_of(b))),
            });
        }
        calls.push(".build()?".into());
        chain(&format!("{ty}::builder()"), &calls)
    }

    /// A message's content block, when it is of a kind written here.
    fn content_block(&mut self, b: &Value) -> Option<String> {
        let (kind, v) = b.as_object()?.iter().next()?;
        let ty = self.ty("ContentBlock");
        let inner = match kind.as_str() {
            "text" => format!("{}.into()", string(v.as_str()?)),
            "image" => self.media("ImageBlock", "ImageFormat", "ImageSource", v)?,
            "document" => self.media("DocumentBlock", "DocumentFormat", "DocumentSource", v)?,
            "video" => self.media("VideoBlock", "VideoFormat", "VideoSource", v)?,
            "toolUse" => self.tool_use(v),
            "toolResult" => self.tool_result(v)?,
            "cachePoint" => self.cache_point(),
            "reasoningContent" => self.reasoning(v)?,
            _ => return None,
        };
        let variant = match kind.as_str() {
            "text" => "Text",
            "image" => "Image",
            "document" => "Document",
            "video" => "Video",
            "toolUse" => "ToolUse",
            "toolResult" => "ToolResult",
            "cachePoint" => "CachePoint",
            _ => "ReasoningContent",
        };
        Some(wrap(
            &format!("{ty}::{variant}("),
            &[inner],
            ")",
            "    ",
            "",
        ))
    }

    fn system_block(&mut self, b: &Value) -> Option<String> {
        let ty = self.ty("SystemContentBlock");
        if let Some(text) = b["text"].as_str() {
            Some(format!("{ty}::Text({}.into())", string(text)))
        } else if b.get("cachePoint").is_some() {
            let point = self.cache_point();
            Some(wrap(
                &format!("{ty}::CachePoint("),
                &[point],
                ")",
                "    ",
                "",
            ))
        } else {
            None
        }
    }

    fn cache_point(&mut self) -> String {
        let ty = self.ty("CachePointBlock");
        let default = format!("{}::Default", self.ty("CachePointType"));
        format!("{ty}::builder().r#type({default}).build()?")
    }

    /// An image, document or video block, with its bytes, S3 location or text.
    fn media(
        &mut self,
        block: &'static str,
        format: &'static str,
        source: &'static str,
        v: &Value,
    ) -> Option<String> {
        let block = self.ty(block);
        let format = self.enum_value(format, &v["format"]);
        let mut calls = vec![call("format", &format)];
        if let Some(name) = v["name"].as_str() {
            calls.push(call("name", &string(name)));
        }
        calls.push(call("source", &self.source(source, &v["source"])?));
        if let Some(context) = v["context"].as_str() {
            calls.push(call("context", &string(context)));
        }
        if let Some(enabled) = v["citations"]["enabled"].as_bool() {
            let ty = self.ty("CitationsConfig");
            calls.push(call(
                "citations",
                &format!("{ty}::builder().enabled({enabled}).build()?"),
            ));
        }
        calls.push(".build()?".into());
        Some(chain(&format!("{block}::builder()"), &calls))
    }

    fn source(&mut self, ty: &'static str, v: &Value) -> Option<String> {
        let ty = self.ty(ty);
        if let Some(b64) = v["bytes"].as_str() {
            Some(format!("{ty}::Bytes({})", self.blob(b64)))
        } else if let Some(s3) = v.get("s3Location") {
            let location = self.ty("S3Location");
            let mut calls = vec![call("uri", &string(str_of(&s3["uri"])))];
            if let Some(owner) = s3["bucketOwner"].as_str() {
                calls.push(call("bucket_owner", &string(owner)));
            }
            calls.push(".build()?".into());
            let location = chain(&format!("{location}::builder()"), &calls);
            Some(wrap(
                &format!("{ty}::S3Location("),
                &[location],
                ")",
                "    ",
                "",
            ))
        } else if let (Some(text), "DocumentSource") = (v["text"].as_str(), ty) {
            Some(format!("{ty}::Text({}.into())", string(text)))
        } else {
            None
        }
    }

    /// Bytes from their base64 text, decoded when the program runs.
    fn blob(&mut self, b64: &str) -> String {
        self.blob = true;
        self.smithy = true;
        format!(
            "Blob::new(aws_smithy_types::base64::decode({})?)",
            string(b64)
        )
    }

    fn tool_use(&mut self, v: &Value) -> String {
        let ty = self.ty("ToolUseBlock");
        let calls = [
            call("tool_use_id", &string(str_of(&v["toolUseId"]))),
            call("name", &string(str_of(&v["name"]))),
            call("input", &self.document(&v["input"])),
            ".build()?".into(),
        ];
        chain(&format!("{ty}::builder()"), &calls)
    }

    fn tool_result(&mut self, v: &Value) -> Option<String> {
        let ty = self.ty("ToolResultBlock");
        let mut calls = vec![call("tool_use_id", &string(str_of(&v["toolUseId"])))];
        for part in v["content"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default()
        {
            let content = self.ty("ToolResultContentBlock");
            let inner = if let Some(text) = part["text"].as_str() {
                format!("{content}::Text({}.into())", string(text))
            } else if let Some(json) = part.get("json") {
                let doc = self.document(json);
                wrap(&format!("{content}::Json("), &[doc], ")", "    ", "")
            } else if let Some(image) = part.get("image") {
                let image = self.media("ImageBlock", "ImageFormat", "ImageSource", image)?;
                wrap(&format!("{content}::Image("), &[image], ")", "    ", "")
            } else {
                return None;
            };
            calls.push(call("content", &inner));
        }
        if let Some(status) = v.get("status") {
            calls.push(call("status", &self.enum_value("ToolResultStatus", status)));
        }
        calls.push(".build()?".into());
        Some(chain(&format!("{ty}::builder()"), &calls))
    }

    fn reasoning(&mut self, v: &Value) -> Option<String> {
        let ty = self.ty("ReasoningContentBlock");
        if let Some(text) = v.get("reasoningText") {
            let block = self.ty("ReasoningTextBlock");
            let mut calls = vec![call("text", &string(text["text"].as_str()?))];
            if let Some(signature) = text["signature"].as_str() {
                calls.push(call("signature", &string(signature)));
            }
            calls.push(".build()?".into());
            let block = chain(&format!("{block}::builder()"), &calls);
            Some(wrap(
                &format!("{ty}::ReasoningText("),
                &[block],
                ")",
                "    ",
                "",
            ))
        } else {
            let blob = self.blob(v["redactedContent"].as_str()?);
            Some(format!("{ty}::RedactedContent({blob})"))
        }
    }

    fn inference(&mut self, v: &Value) -> String {
        let ty = self.ty("InferenceConfiguration");
        let mut calls = Vec::new();
        if let Some(n) = v["maxTokens"].as_i64() {
            calls.push(format!(".max_tokens({n})"));
        }
        for (key, method) in [("temperature", "temperature"), ("topP", "top_p")] {
            if let Some(x) = v[key].as_f64() {
                calls.push(format!(".{method}({x:?})"));
            }
        }
        for stop in v["stopSequences"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default()
        {
            calls.push(call("stop_sequences", &string(str_of(stop))));
        }
        calls.push(".build()".into());
        chain(&format!("{ty}::builder()"), &calls)
    }

    fn tool_config(&mut self, v: &Value) -> String {
        let ty = self.ty("ToolConfiguration");
        let mut calls = Vec::new();
        let tools = v["tools"].as_array().map(Vec::as_slice).unwrap_or_default();
        for (i, tool) in tools.iter().enumerate() {
            let Some(spec) = tool.get("toolSpec") else {
                calls.push(omitted(&format!("toolConfig.tools[{i}]")));
                continue;
            };
            let tool = self.ty("Tool");
            let spec_ty = self.ty("ToolSpecification");
            let schema = self.ty("ToolInputSchema");
            let mut spec_calls = vec![call("name", &string(str_of(&spec["name"])))];
            if let Some(description) = spec["description"].as_str() {
                spec_calls.push(call("description", &string(description)));
            }
            let doc = self.document(&spec["inputSchema"]["json"]);
            let schema = wrap(&format!("{schema}::Json("), &[doc], ")", "    ", "");
            spec_calls.push(call("input_schema", &schema));
            spec_calls.push(".build()?".into());
            let spec = chain(&format!("{spec_ty}::builder()"), &spec_calls);
            calls.push(call(
                "tools",
                &wrap(&format!("{tool}::ToolSpec("), &[spec], ")", "    ", ""),
            ));
        }
        if let Some((kind, choice)) = v["toolChoice"].as_object().and_then(|c| c.iter().next()) {
            let ty = self.ty("ToolChoice");
            let choice = match kind.as_str() {
                "auto" => format!(
                    "{ty}::Auto({}::builder().build())",
                    self.ty("AutoToolChoice")
                ),
                "any" => format!("{ty}::Any({}::builder().build())", self.ty("AnyToolChoice")),
                _ => {
                    let specific = self.ty("SpecificToolChoice");
                    let name = string(str_of(&choice["name"]));
                    format!("{ty}::Tool({specific}::builder().name({name}).build()?)")
                }
            };
            calls.push(call("tool_choice", &choice));
        }
        calls.push(".build()?".into());
        chain(&format!("{ty}::builder()"), &calls)
    }

    fn guardrail(&mut self, v: &Value) -> String {
        let ty = self.ty("GuardrailStreamConfiguration");
        let mut calls = vec![
            call(
                "guardrail_identifier",
                &string(str_of(&v["guardrailIdentifier"])),
            ),
            call("guardrail_version", &string(str_of(&v["guardrailVersion"]))),
        ];
        if let Some(trace) = v.get("trace") {
            calls.push(call("trace", &self.enum_value("GuardrailTrace", trace)));
        }
        if let Some(mode) = v.get("streamProcessingMode") {
            let mode = self.enum_value("GuardrailStreamProcessingMode", mode);
            calls.push(call("stream_processing_mode", &mode));
        }
        calls.push(".build()".into());
        chain(&format!("{ty}::builder()"), &calls)
    }

    /// A JSON value as a Smithy `Document`: tool inputs and schemas, and the model's
    /// own request fields.
    fn document(&mut self, v: &Value) -> String {
        self.document = true;
        self.smithy = true;
        match v {
            Value::Null => "Document::Null".into(),
            Value::Bool(b) => format!("Document::Bool({b})"),
            Value::Number(n) => match (n.as_u64(), n.as_i64(), n.as_f64()) {
                (Some(u), _, _) => format!("Document::from({u}_u64)"),
                (_, Some(i), _) => format!("Document::from({i}_i64)"),
                (_, _, f) => format!("Document::from({:?}_f64)", f.unwrap_or_default()),
            },
            Value::String(s) => format!("Document::from({})", string(s)),
            Value::Array(items) => {
                let items: Vec<String> = items.iter().map(|i| self.document(i)).collect();
                wrap("Document::Array(vec![", &items, "])", "    ", "")
            }
            Value::Object(map) if map.is_empty() => {
                self.hash_map = true;
                "Document::Object(HashMap::new())".into()
            }
            Value::Object(map) => {
                self.hash_map = true;
                let members: Vec<String> = map
                    .iter()
                    .map(|(k, v)| {
                        let v = self.document(v);
                        wrap(
                            "(",
                            &[format!("{}.to_owned()", string(k)), v],
                            ")",
                            "    ",
                            "",
                        )
                    })
                    .collect();
                wrap(
                    "Document::Object(HashMap::from([",
                    &members,
                    "]))",
                    "    ",
                    "",
                )
            }
        }
    }
}

fn str_of(v: &Value) -> &str {
    v.as_str().unwrap_or_default()
}

/// What a content block is, for a comment: its one member's name.
fn kind_of(b: &Value) -> String {
    b.as_object()
        .and_then(|o| o.keys().next())
        .map_or_else(|| "?".to_owned(), |k| format!("\"{k}\""))
}
