//! Tools the model can call: what the config declares (command tools and MCP servers),
//! the specs a turn sends in `toolConfig`, the names Converse accepts, and what a call
//! answers. Pure data; `runner/` runs the tools and the reducer drives the loop.

pub mod config;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// How long a command tool or an MCP call may take unless the config says otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// The most a result keeps of a tool's output, unless the config says otherwise.
pub const DEFAULT_MAX_RESULT_BYTES: usize = 100 * 1024;
/// How many rounds of calls a question may take before the app asks to go on.
pub const DEFAULT_MAX_ROUNDS: u32 = 10;
/// The longest tool name Converse accepts.
pub const MAX_NAME: usize = 64;

/// A tool as the model sees it: the `toolSpec` of `toolConfig`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolSpec {
    /// The name the model calls it by: `[a-zA-Z0-9_-]{1,64}`, namespaced for MCP tools.
    pub name: String,
    pub description: String,
    /// A JSON Schema of the input object.
    pub input_schema: Value,
}

/// Where a tool comes from, which is what runs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A `[[tools]]` command.
    Command,
    /// A tool of the `[[mcp_servers]]` entry `server`, called `remote` there.
    Mcp { server: String, remote: String },
}

impl Source {
    /// How the consent prompt and `/tools` name it.
    pub fn label(&self) -> String {
        match self {
            Source::Command => "command".into(),
            Source::Mcp { server, .. } => format!("MCP server {server}"),
        }
    }
}

/// A tool the app can offer: its spec and what runs it.
#[derive(Debug, Clone, PartialEq)]
pub struct Tool {
    pub spec: ToolSpec,
    pub source: Source,
    /// Run without asking (`auto_approve` in the config).
    pub auto_approve: bool,
}

/// Which tool the model must use: Converse's `toolChoice`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Choice {
    /// The model decides whether to call a tool.
    #[default]
    Auto,
    /// The model must call some tool.
    Any,
    /// The model must call this tool.
    Tool(String),
}

impl std::fmt::Display for Choice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Choice::Auto => f.write_str("auto"),
            Choice::Any => f.write_str("any"),
            Choice::Tool(t) => write!(f, "tool {t}"),
        }
    }
}

/// What a turn sends in `toolConfig`.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolConfig {
    pub tools: Vec<ToolSpec>,
    pub choice: Choice,
}

/// One part of a tool's result, as Converse carries it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Content {
    Text(String),
    Json(Value),
}

impl Content {
    /// The part as text: JSON pretty-printed.
    pub fn text(&self) -> String {
        match self {
            Content::Text(t) => t.clone(),
            Content::Json(v) => serde_json::to_string_pretty(v).unwrap_or_default(),
        }
    }
}

/// What a call answered: the result sent back to the model.
#[derive(Debug, Clone, PartialEq)]
pub struct Output {
    pub content: Vec<Content>,
    /// The call failed (its `status` is `error`): the model is told so.
    pub error: bool,
}

impl Output {
    pub fn text(text: impl Into<String>) -> Self {
        Output {
            content: vec![Content::Text(text.into())],
            error: false,
        }
    }

    pub fn error(text: impl Into<String>) -> Self {
        Output {
            content: vec![Content::Text(text.into())],
            error: true,
        }
    }

    /// A command's or server's output as a result: JSON becomes a `json` part, anything
    /// else text; bytes that are not UTF-8 are replaced, control characters and escape
    /// sequences removed, and the whole cut to `max_bytes` with the cut said.
    pub fn from_stdout(bytes: &[u8], max_bytes: usize) -> Self {
        let text = String::from_utf8_lossy(bytes);
        if let Ok(v @ (Value::Object(_) | Value::Array(_))) =
            serde_json::from_str::<Value>(text.trim())
        {
            let out = Output {
                content: vec![Content::Json(v)],
                error: false,
            };
            return out.capped(max_bytes);
        }
        Output::text(text.into_owned()).capped(max_bytes)
    }

    /// The output made safe and cut to `max_bytes` of text in all: strings are
    /// sanitized (tabs and newlines kept), and JSON too long to keep whole becomes its
    /// text, cut.
    pub fn capped(self, max_bytes: usize) -> Self {
        let mut content = Vec::new();
        let mut left = max_bytes;
        let mut cut = 0usize;
        for part in self.content {
            let part = match part {
                Content::Json(mut v) => {
                    sanitize_json(&mut v);
                    let len = serde_json::to_string(&v).map_or(0, |s| s.len());
                    if len <= left {
                        left -= len;
                        content.push(Content::Json(v));
                        continue;
                    }
                    Content::Json(v).text()
                }
                Content::Text(t) => t,
            };
            let clean = crate::sanitize::keeping_tabs(&part);
            let keep = floor_char_boundary(&clean, left);
            cut += clean.len() - keep;
            left -= keep;
            content.push(Content::Text(clean[..keep].to_owned()));
        }
        if cut > 0 {
            content.push(Content::Text(format!(
                "\n[output cut: {cut} more bytes were left out; results keep at most {max_bytes} bytes]"
            )));
        }
        Output {
            content,
            error: self.error,
        }
    }

    /// The whole result as text, parts one after another.
    pub fn joined(&self) -> String {
        self.content.iter().map(Content::text).collect()
    }
}

fn floor_char_boundary(s: &str, at: usize) -> usize {
    if at >= s.len() {
        return s.len();
    }
    (0..=at).rev().find(|i| s.is_char_boundary(*i)).unwrap_or(0)
}

/// Sanitizes every string in a JSON value, keys included.
pub fn sanitize_json(v: &mut Value) {
    match v {
        Value::String(s) => *s = crate::sanitize::keeping_tabs(s),
        Value::Array(a) => a.iter_mut().for_each(sanitize_json),
        Value::Object(o) => {
            let entries = std::mem::take(o);
            for (k, mut v) in entries {
                sanitize_json(&mut v);
                o.insert(crate::sanitize::keeping_tabs(&k), v);
            }
        }
        _ => {}
    }
}

/// `name` made a Converse tool name: characters outside `[a-zA-Z0-9_-]` become `_`,
/// and it is cut to 64 characters.
pub fn converse_name(name: &str) -> String {
    let mut out: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .take(MAX_NAME)
        .collect();
    if out.is_empty() {
        out.push('_');
    }
    out
}

/// Whether `name` is a valid Converse tool name as it is.
pub fn valid_name(name: &str) -> bool {
    !name.is_empty() && name.len() <= MAX_NAME && converse_name(name) == name
}

/// The name the model calls tool `tool` of MCP server `server` by: `server__tool`.
pub fn namespaced(server: &str, tool: &str) -> String {
    converse_name(&format!("{server}__{tool}"))
}

/// A `[[tools]]` entry: a program that takes the input as JSON on stdin and answers on
/// stdout.
#[derive(Debug, Clone, PartialEq)]
pub struct CommandTool {
    pub spec: ToolSpec,
    /// The program and its arguments; no shell.
    pub argv: Vec<String>,
    pub timeout: Duration,
    pub cwd: Option<PathBuf>,
    /// The whole environment the command gets.
    pub env: BTreeMap<String, String>,
    pub auto_approve: bool,
}

/// How the app reaches an MCP server.
#[derive(Debug, Clone, PartialEq)]
pub enum Transport {
    /// A child process speaking MCP on stdin and stdout.
    Stdio {
        command: String,
        args: Vec<String>,
        /// The whole environment the server gets.
        env: BTreeMap<String, String>,
        cwd: Option<PathBuf>,
    },
    /// Streamable HTTP at `url`.
    Http {
        url: String,
        headers: BTreeMap<String, String>,
    },
}

/// A `[[mcp_servers]]` entry.
#[derive(Debug, Clone, PartialEq)]
pub struct McpServer {
    pub name: String,
    pub transport: Transport,
    /// How long a call may take.
    pub timeout: Duration,
    /// Tools (by their name on the server) that run without asking; `*` is every one.
    pub auto_approve: Vec<String>,
}

impl McpServer {
    pub fn approves(&self, remote: &str) -> bool {
        self.auto_approve.iter().any(|t| t == "*" || t == remote)
    }
}

/// The tools part of the config.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub commands: Vec<CommandTool>,
    pub servers: Vec<McpServer>,
    pub max_rounds: u32,
    pub max_result_bytes: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            commands: Vec::new(),
            servers: Vec::new(),
            max_rounds: DEFAULT_MAX_ROUNDS,
            max_result_bytes: DEFAULT_MAX_RESULT_BYTES,
        }
    }
}

impl Settings {
    /// The command tools as the app offers them.
    pub fn command_tools(&self) -> Vec<Tool> {
        self.commands
            .iter()
            .map(|c| Tool {
                spec: c.spec.clone(),
                source: Source::Command,
                auto_approve: c.auto_approve,
            })
            .collect()
    }
}

/// Where an MCP server is.
#[derive(Debug, Clone, PartialEq)]
pub enum ServerState {
    Starting,
    Ready,
    /// It could not start or it stopped; the message ends with its stderr's tail.
    Failed(String),
}

/// The input checked against the tool's schema; the error says what breaks it, in
/// words the model can act on.
pub fn check_input(schema: &Value, input: &Value) -> Result<(), String> {
    let validator = jsonschema::validator_for(schema)
        .map_err(|e| format!("the tool's input schema is invalid: {e}"))?;
    let errors: Vec<String> = validator
        .iter_errors(input)
        .take(5)
        .map(|e| {
            let at = e.instance_path().to_string();
            if at.is_empty() {
                e.to_string()
            } else {
                format!("{at}: {e}")
            }
        })
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "The input does not match the tool's input schema: {}. Call the tool again with input that does.",
            errors.join("; ")
        ))
    }
}

/// Whether `schema` is a JSON Schema a tool can declare: an object schema that compiles.
pub fn check_schema(schema: &Value) -> Result<(), String> {
    if schema.get("type").and_then(Value::as_str) != Some("object") {
        return Err("input_schema must be a JSON Schema of type \"object\"".into());
    }
    jsonschema::validator_for(schema)
        .map(|_| ())
        .map_err(|e| format!("input_schema is not a valid JSON Schema: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn names_become_converse_names() {
        assert_eq!(converse_name("get weather!"), "get_weather_");
        assert_eq!(
            namespaced("time", "get_current_time"),
            "time__get_current_time"
        );
        assert_eq!(converse_name(&"x".repeat(80)).len(), 64);
        assert_eq!(converse_name(""), "_");
        assert!(valid_name("a-b_c9"));
        assert!(!valid_name("a b"));
        assert!(!valid_name(&"x".repeat(65)));
    }

    #[test]
    fn stdout_becomes_json_or_text_made_safe_and_capped() {
        let j = Output::from_stdout(br#"{"t": "sunny \u001b[2J"}"#, 1000);
        assert_eq!(j.content, vec![Content::Json(json!({"t": "sunny "}))]);
        let t = Output::from_stdout(b"plain \x1b]0;title\x07text\xff", 1000);
        assert_eq!(t.joined(), "plain text\u{fffd}");
        let big = Output::from_stdout(&vec![b'a'; 5000], 100);
        let text = big.joined();
        assert!(text.starts_with(&"a".repeat(100)));
        assert!(text.contains("4900 more bytes"), "{text}");
        // JSON too long to keep whole is cut as text.
        let long = format!("[{}]", vec!["1"; 1000].join(","));
        let cut = Output::from_stdout(long.as_bytes(), 50);
        assert!(matches!(cut.content[0], Content::Text(_)));
        assert!(cut.joined().contains("more bytes"));
    }

    #[test]
    fn inputs_are_checked_against_the_schema() {
        let schema = json!({"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]});
        assert!(check_schema(&schema).is_ok());
        assert!(check_input(&schema, &json!({"city": "Paris"})).is_ok());
        let e = check_input(&schema, &json!({"town": 1})).unwrap_err();
        assert!(e.contains("city"), "{e}");
        assert!(check_schema(&json!({"type": "string"})).is_err());
        assert!(
            check_schema(&json!({"type": "object", "properties": {"a": {"type": 5}}})).is_err()
        );
    }
}

#[cfg(test)]
#[path = "config_tests.rs"]
mod config_tests;
