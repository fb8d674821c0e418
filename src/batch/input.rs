//! The lines of a batch input file read into records. A line is a Bedrock batch
//! record (`{"recordId", "modelInput"}`, the model's native body), a Converse request
//! (`{"recordId", "messages", "system", "inferenceConfig"}`) or a prompt
//! (`{"prompt", ...}`) filled into a [`Template`]. A line that is none of these is a
//! [`Problem`] with its line number; a record id seen before is one too.

use std::collections::HashMap;
use std::path::Path;

use serde::Deserialize;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::conversation::{Inference, Message, Role};
use crate::store::converse_json::from_converse;

/// One request of the input: its id, the line it is on (1-based) and what it sends.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// `recordId`, or `line-N` for a line without one.
    pub id: String,
    pub line: usize,
    pub body: Body,
}

/// What a record sends.
#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    /// A native InvokeModel body, sent as it is.
    Native(Value),
    /// A conversation for Converse: a Converse record, or a prompt filled into the
    /// template (one user message).
    Converse {
        messages: Vec<Message>,
        system: Option<String>,
        inference: Inference,
    },
}

/// Why a line is not a record.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LineError {
    #[error("not UTF-8 text")]
    NotText,
    #[error("not JSON: {0}")]
    NotJson(String),
    #[error("not a JSON object")]
    NotAnObject,
    #[error("`recordId` must be a non-empty string")]
    BadId,
    #[error("has none of `modelInput`, `messages` or `prompt`")]
    UnknownShape,
    #[error("`{0}` is not supported here (a record takes {1})")]
    UnknownKey(String, &'static str),
    #[error("`modelInput` must be a JSON object")]
    BadModelInput,
    #[error("`messages` must be a non-empty array of Converse messages: {0}")]
    BadMessages(String),
    #[error("`system` must be a string or an array of {{\"text\": ...}} blocks")]
    BadSystem,
    #[error("`inferenceConfig` is not valid: {0}")]
    BadInference(String),
    #[error("`prompt` must be a non-empty string")]
    BadPrompt,
    #[error("the template names {{{0}}}, which the line does not have")]
    MissingField(String),
    #[error("record id {id} repeats the record of line {first}")]
    Repeated { id: String, first: usize },
}

/// A line that is not a record, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {error}")]
pub struct Problem {
    pub line: usize,
    pub error: LineError,
}

/// The input could not be read at all.
#[derive(Debug, thiserror::Error)]
#[error("cannot read {path}: {source}")]
pub struct ReadError {
    pub path: String,
    pub source: std::io::Error,
}

/// A file read: its records in file order, the lines that are not records, and the
/// SHA-256 of its bytes (what an output file is tied to).
#[derive(Debug, Clone, PartialEq)]
pub struct Input {
    pub records: Vec<Record>,
    pub problems: Vec<Problem>,
    pub digest: String,
}

/// The text a prompt line becomes: `{name}` is replaced by the line's member `name`
/// (a string as it is, anything else as JSON), `{{` and `}}` are literal braces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template(pub String);

impl Default for Template {
    fn default() -> Self {
        Template("{prompt}".into())
    }
}

impl Template {
    /// The template filled from `fields`.
    pub fn fill(&self, fields: &Map<String, Value>) -> Result<String, LineError> {
        let mut out = String::with_capacity(self.0.len());
        let mut rest = self.0.as_str();
        while let Some(i) = rest.find(['{', '}']) {
            out.push_str(&rest[..i]);
            let tail = &rest[i..];
            if tail.starts_with("{{") || tail.starts_with("}}") {
                out.push_str(&tail[..1]);
                rest = &tail[2..];
                continue;
            }
            let close = match (tail.starts_with('{'), tail.find('}')) {
                (true, Some(close)) => close,
                // A lone brace is text.
                _ => {
                    out.push_str(&tail[..1]);
                    rest = &tail[1..];
                    continue;
                }
            };
            let name = &tail[1..close];
            match fields.get(name) {
                Some(Value::String(s)) => out.push_str(s),
                Some(v) => out.push_str(&v.to_string()),
                None => return Err(LineError::MissingField(name.to_owned())),
            }
            rest = &tail[close + 1..];
        }
        out.push_str(rest);
        Ok(out)
    }
}

/// How a prompt line is made a conversation: the template, and the system prompt and
/// inference settings of the command line.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Prompting {
    pub template: Template,
    pub system: Option<String>,
    pub inference: Inference,
}

impl Prompting {
    /// SHA-256 of the settings, to tell a run's output from one of other prompts.
    pub fn digest(&self) -> String {
        let settings = serde_json::json!({
            "template": self.template.0,
            "system": self.system,
            "inference": self.inference,
        });
        crate::conversation::hex(&Sha256::digest(settings.to_string().as_bytes()))
    }
}

/// Reads `path` into records. Lines that are not records are returned as problems
/// (blank lines are skipped); a repeated record id is a problem and its first record
/// is kept.
pub fn read(path: &Path, prompting: &Prompting) -> Result<Input, ReadError> {
    let bytes = std::fs::read(path).map_err(|source| ReadError {
        path: crate::sanitize::text(&path.display().to_string()),
        source,
    })?;
    Ok(parse(&bytes, prompting))
}

/// [`read`] of a file's bytes.
pub fn parse(bytes: &[u8], prompting: &Prompting) -> Input {
    let mut records = Vec::new();
    let mut problems = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (i, raw) in bytes.split(|b| *b == b'\n').enumerate() {
        let line = i + 1;
        let text = match std::str::from_utf8(raw) {
            Ok(t) => t.trim(),
            Err(_) => {
                problems.push(Problem {
                    line,
                    error: LineError::NotText,
                });
                continue;
            }
        };
        if text.is_empty() {
            continue;
        }
        let record = parse_line(line, text, prompting).and_then(|r| match seen.get(&r.id) {
            Some(&first) => Err(LineError::Repeated { id: r.id, first }),
            None => Ok(r),
        });
        match record {
            Ok(r) => {
                seen.insert(r.id.clone(), line);
                records.push(r);
            }
            Err(error) => problems.push(Problem { line, error }),
        }
    }
    Input {
        records,
        problems,
        digest: crate::conversation::hex(&Sha256::digest(bytes)),
    }
}

/// The members each shape of record takes, for saying so when a line has another.
const NATIVE_KEYS: &str = "recordId and modelInput";
const CONVERSE_KEYS: &str = "recordId, messages, system and inferenceConfig";

/// One line (its text trimmed) as a record.
pub fn parse_line(line: usize, text: &str, prompting: &Prompting) -> Result<Record, LineError> {
    let value: Value = serde_json::from_str(text).map_err(|e| LineError::NotJson(e.to_string()))?;
    let Value::Object(mut fields) = value else {
        return Err(LineError::NotAnObject);
    };
    let id = match fields.remove("recordId") {
        None => format!("line-{line}"),
        Some(Value::String(s)) if !s.trim().is_empty() => s,
        Some(_) => return Err(LineError::BadId),
    };
    let only = |fields: &Map<String, Value>, keys: &[&str], said: &'static str| match fields
        .keys()
        .find(|k| !keys.contains(&k.as_str()))
    {
        Some(k) => Err(LineError::UnknownKey(k.clone(), said)),
        None => Ok(()),
    };
    let body = if let Some(input) = fields.get("modelInput") {
        only(&fields, &["modelInput"], NATIVE_KEYS)?;
        if !input.is_object() {
            return Err(LineError::BadModelInput);
        }
        Body::Native(input.clone())
    } else if fields.contains_key("messages") {
        only(
            &fields,
            &["messages", "system", "inferenceConfig"],
            CONVERSE_KEYS,
        )?;
        converse(&fields)?
    } else if let Some(prompt) = fields.get("prompt") {
        if prompt.as_str().is_none_or(|p| p.trim().is_empty()) {
            return Err(LineError::BadPrompt);
        }
        Body::Converse {
            messages: vec![Message::user(prompting.template.fill(&fields)?)],
            system: prompting.system.clone(),
            inference: prompting.inference.clone(),
        }
    } else {
        return Err(LineError::UnknownShape);
    };
    Ok(Record { id, line, body })
}

/// The names native bodies give the most output tokens: Anthropic, Llama, Mistral,
/// Cohere and Jamba at the top level, Nova in `inferenceConfig`, Titan in
/// `textGenerationConfig`.
const MAX_OUTPUT_KEYS: [&str; 4] = [
    "max_tokens",
    "max_gen_len",
    "max_new_tokens",
    "maxTokenCount",
];

impl Body {
    /// The most output tokens the record asks for, when it says.
    pub fn max_output(&self) -> Option<u32> {
        let of = |v: &Value| {
            MAX_OUTPUT_KEYS
                .iter()
                .find_map(|k| v.get(k).and_then(Value::as_u64))
                .and_then(|n| u32::try_from(n).ok())
        };
        match self {
            Body::Converse { inference, .. } => inference.max_tokens,
            Body::Native(v) => of(v)
                .or_else(|| v.get("inferenceConfig").and_then(of))
                .or_else(|| v.get("textGenerationConfig").and_then(of)),
        }
    }
}

/// Converse's `inferenceConfig`, as the API spells it.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct InferenceConfig {
    max_tokens: Option<u32>,
    temperature: Option<f32>,
    top_p: Option<f32>,
    #[serde(default)]
    stop_sequences: Vec<String>,
}

fn converse(fields: &Map<String, Value>) -> Result<Body, LineError> {
    let messages = fields
        .get("messages")
        .and_then(Value::as_array)
        .filter(|m| !m.is_empty())
        .ok_or_else(|| LineError::BadMessages("not a non-empty array".into()))?
        .iter()
        .enumerate()
        .map(|(i, m)| from_converse(m).map_err(|e| LineError::BadMessages(format!("{i}: {e}"))))
        .collect::<Result<Vec<_>, _>>()?;
    if messages.first().is_some_and(|m| m.role != Role::User) {
        return Err(LineError::BadMessages(
            "the first message must be the user's".into(),
        ));
    }
    let system = match fields.get("system") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Array(blocks)) => Some(
            blocks
                .iter()
                .map(|b| b.get("text").and_then(Value::as_str))
                .collect::<Option<Vec<_>>>()
                .ok_or(LineError::BadSystem)?
                .join("\n"),
        ),
        Some(_) => return Err(LineError::BadSystem),
    };
    let config: InferenceConfig = match fields.get("inferenceConfig") {
        None | Some(Value::Null) => InferenceConfig::default(),
        Some(v) => {
            serde_json::from_value(v.clone()).map_err(|e| LineError::BadInference(e.to_string()))?
        }
    };
    Ok(Body::Converse {
        messages,
        system,
        inference: Inference {
            max_tokens: config.max_tokens,
            temperature: config.temperature,
            top_p: config.top_p,
            stop_sequences: config.stop_sequences,
            ..Inference::default()
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;
    use serde_json::json;

    fn one(text: &str) -> Result<Record, LineError> {
        parse_line(7, text, &Prompting::default())
    }

    #[test]
    fn the_three_shapes_become_records() {
        let native = one(r#"{"recordId":"a1","modelInput":{"messages":[]}}"#).unwrap();
        assert_eq!(native.id, "a1");
        assert_eq!(native.body, Body::Native(json!({"messages": []})));

        let conv = one(
            r#"{"recordId":"c","messages":[{"role":"user","content":[{"text":"hi"}]}],
                "system":[{"text":"Be brief."}],"inferenceConfig":{"maxTokens":20,"temperature":0.5}}"#,
        )
        .unwrap();
        let Body::Converse {
            messages,
            system,
            inference,
        } = conv.body
        else {
            panic!("not converse")
        };
        assert_eq!(messages, vec![Message::user("hi")]);
        assert_eq!(system.as_deref(), Some("Be brief."));
        assert_eq!(inference.max_tokens, Some(20));
        assert_eq!(inference.temperature, Some(0.5));

        let prompting = Prompting {
            template: Template("Translate to {lang}: {prompt} {{ok}}".into()),
            system: Some("sys".into()),
            ..Prompting::default()
        };
        let p = parse_line(3, r#"{"prompt":"hello","lang":"French"}"#, &prompting).unwrap();
        assert_eq!(
            p.id, "line-3",
            "a line without an id is named by its number"
        );
        assert_eq!(
            p.body,
            Body::Converse {
                messages: vec![Message::user("Translate to French: hello {ok}")],
                system: Some("sys".into()),
                inference: Inference::default(),
            }
        );
    }

    #[test]
    fn bad_lines_say_what_is_wrong() {
        let err = |t: &str| one(t).unwrap_err().to_string();
        assert!(err("{oops").starts_with("not JSON"));
        assert_eq!(err("[1]"), "not a JSON object");
        assert_eq!(
            err(r#"{"recordId":3,"prompt":"x"}"#),
            LineError::BadId.to_string()
        );
        assert_eq!(
            err(r#"{"recordId":"x"}"#),
            LineError::UnknownShape.to_string()
        );
        assert!(err(r#"{"modelInput":{},"toolConfig":{}}"#).contains("`toolConfig`"));
        assert!(err(r#"{"messages":[]}"#).contains("non-empty"));
        assert!(err(r#"{"messages":[{"role":"robot","content":[]}]}"#).contains("robot"));
        assert!(
            err(r#"{"messages":[{"role":"user","content":[{"text":"x"}]}],"inferenceConfig":{"maxTokenz":3}}"#)
                .contains("maxTokenz")
        );
        assert_eq!(
            parse_line(
                1,
                r#"{"prompt":"x"}"#,
                &Prompting {
                    template: Template("{prompt} in {lang}".into()),
                    ..Prompting::default()
                }
            )
            .unwrap_err(),
            LineError::MissingField("lang".into())
        );
    }

    #[test]
    fn a_file_keeps_its_records_and_numbers_its_problems() {
        let text: &[u8] = b"{\"recordId\":\"a\",\"prompt\":\"one\"}\n\n{bad\n{\"recordId\":\"a\",\"prompt\":\"two\"}\n\xff\n{\"prompt\":\"three\"}";
        let input = parse(text, &Prompting::default());
        let ids: Vec<(&str, usize)> = input
            .records
            .iter()
            .map(|r| (r.id.as_str(), r.line))
            .collect();
        assert_eq!(ids, vec![("a", 1), ("line-6", 6)]);
        let problems: Vec<String> = input.problems.iter().map(ToString::to_string).collect();
        assert_eq!(problems.len(), 3);
        assert!(problems[0].starts_with("line 3: not JSON"));
        assert_eq!(
            problems[1],
            "line 4: record id a repeats the record of line 1"
        );
        assert_eq!(problems[2], "line 5: not UTF-8 text");
        assert_eq!(input.digest.len(), 64);
    }

    #[test]
    fn the_most_output_a_record_asks_for() {
        let native = |v: Value| Body::Native(v).max_output();
        assert_eq!(native(json!({"max_tokens": 300})), Some(300));
        assert_eq!(
            native(json!({"inferenceConfig": {"max_new_tokens": 50}})),
            Some(50)
        );
        assert_eq!(
            native(json!({"textGenerationConfig": {"maxTokenCount": 9}})),
            Some(9)
        );
        assert_eq!(native(json!({"prompt": "x"})), None);
    }
}
