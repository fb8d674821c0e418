//! A guardrail applied to an inference call: its configuration (Converse's
//! `guardrailConfig`, InvokeModel's guardrail headers and `amazon-bedrock-guardrailConfig`
//! body member), the prompt screened before the model runs, the answer screened after
//! (whole, or in windows for a stream), and the result in each API's shape.

use std::ops::Range;

use http::HeaderMap;
use serde_json::{Map, Value, json};

use super::config::{
    IDENTIFIER_PATTERN, Resolved, VERSION_PATTERN, valid_identifier, valid_version,
};
use super::engine::{Evaluation, Source, evaluate};
use super::report::{Scope, assessment};
use crate::conversation::{Block, Request};
use crate::error::ServiceError;
use crate::json::Obj;
use crate::simulator::{Generation, OutBlock, Stop};
use crate::state::State;
use crate::stream::{ItemKind, StreamItem};

type Result<T> = std::result::Result<T, ServiceError>;

/// Streamed answers are screened in windows of up to one text unit.
const WINDOW_CHARS: usize = 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Trace {
    Disabled,
    Enabled,
    Full,
}

/// A guardrail a request asked for, found and configured.
#[derive(Debug, Clone)]
pub(crate) struct Guard {
    resolved: Resolved,
    trace: Trace,
    /// A stream's answer is sent at once and screened alongside (`async` mode).
    asynchronous: bool,
    /// InvokeModel input tagging: only text inside the tags is screened.
    tag_suffix: Option<String>,
}

pub(super) fn unknown_guardrail(identifier: &str) -> ServiceError {
    ServiceError::validation(format!(
        "The guardrail identifier or version provided in the request does not exist: {identifier}"
    ))
}

fn pattern_error(member: &str, value: &str, pattern: &str) -> ServiceError {
    ServiceError::validation(format!(
        "1 validation error detected: Value '{value}' at '{member}' failed to satisfy constraint: Member must satisfy regular expression pattern: {pattern}"
    ))
}

pub(super) fn enum_error(member: &str, value: &str, allowed: &str) -> ServiceError {
    ServiceError::validation(format!(
        "1 validation error detected: Value '{value}' at '{member}' failed to satisfy constraint: Member must satisfy enum value set: [{allowed}]"
    ))
}

/// Checks an identifier and version against the service's patterns.
pub(super) fn check_names(
    id: &str,
    version: &str,
    id_member: &str,
    version_member: &str,
) -> Result<()> {
    if !valid_identifier(id) {
        return Err(pattern_error(id_member, id, IDENTIFIER_PATTERN));
    }
    if !valid_version(version) {
        return Err(pattern_error(version_member, version, VERSION_PATTERN));
    }
    Ok(())
}

fn lookup(state: &State, region: &str, id: &str, version: &str) -> Result<Resolved> {
    if id.is_empty() || version.is_empty() {
        return Err(unknown_guardrail(id));
    }
    state
        .guardrails
        .resolve(id, version, region)
        .ok_or_else(|| unknown_guardrail(id))
}

impl Guard {
    /// The guardrail of a Converse or ConverseStream request, if it names one.
    pub(crate) fn converse(
        state: &State,
        region: &str,
        body: &Value,
        streaming: bool,
    ) -> Result<Option<Guard>> {
        let Some(cfg) = body.get("guardrailConfig").filter(|v| !v.is_null()) else {
            return Ok(None);
        };
        let Value::Object(map) = cfg else {
            return Err(ServiceError::constraint(
                "guardrailConfig",
                "Member must be of type structure",
            ));
        };
        let o = Obj::at(map, "guardrailConfig");
        let id = o.str("guardrailIdentifier")?.unwrap_or("");
        let version = o.str("guardrailVersion")?.unwrap_or("");
        check_names(
            id,
            version,
            "guardrailConfig.guardrailIdentifier",
            "guardrailConfig.guardrailVersion",
        )?;
        let trace = match o.str("trace")? {
            None | Some("disabled") => Trace::Disabled,
            Some("enabled") => Trace::Enabled,
            Some("enabled_full") => Trace::Full,
            Some(other) => {
                return Err(enum_error(
                    "guardrailConfig.trace",
                    other,
                    "enabled, disabled, enabled_full",
                ));
            }
        };
        let asynchronous = match o.str("streamProcessingMode")? {
            _ if !streaming => false,
            None | Some("sync") => false,
            Some("async") => true,
            Some(other) => {
                return Err(enum_error(
                    "guardrailConfig.streamProcessingMode",
                    other,
                    "sync, async",
                ));
            }
        };
        Ok(Some(Guard {
            resolved: lookup(state, region, id, version)?,
            trace,
            asynchronous,
            tag_suffix: None,
        }))
    }

    /// The guardrail of an InvokeModel request (its `X-Amzn-Bedrock-Guardrail*` headers),
    /// and the body without the `amazon-bedrock-guardrailConfig` member the service
    /// reads and does not pass to the model.
    pub(crate) fn invoke(
        state: &State,
        region: &str,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<Option<(Guard, Vec<u8>)>> {
        let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        let id = header("x-amzn-bedrock-guardrailidentifier");
        let version = header("x-amzn-bedrock-guardrailversion");
        let (id, version) = match (id, version) {
            (None, None) => return Ok(None),
            (Some(id), Some(version)) => (id, version),
            _ => {
                return Err(ServiceError::validation(
                    "Both X-Amzn-Bedrock-GuardrailIdentifier and X-Amzn-Bedrock-GuardrailVersion must be provided to use a guardrail.",
                ));
            }
        };
        check_names(id, version, "guardrailIdentifier", "guardrailVersion")?;
        let trace = match header("x-amzn-bedrock-trace") {
            None | Some("DISABLED") => Trace::Disabled,
            Some("ENABLED") => Trace::Enabled,
            Some("ENABLED_FULL") => Trace::Full,
            Some(other) => {
                return Err(enum_error(
                    "trace",
                    other,
                    "ENABLED, DISABLED, ENABLED_FULL",
                ));
            }
        };
        let resolved = lookup(state, region, id, version)?;
        let mut guard = Guard {
            resolved,
            trace,
            asynchronous: false,
            tag_suffix: None,
        };
        let mut cleaned = body.to_vec();
        if let Ok(Value::Object(mut map)) = serde_json::from_slice::<Value>(body)
            && let Some(cfg) = map.remove("amazon-bedrock-guardrailConfig")
        {
            let cfg = match cfg {
                Value::Object(m) => m,
                _ => {
                    return Err(ServiceError::malformed(
                        "amazon-bedrock-guardrailConfig must be an object",
                    ));
                }
            };
            let o = Obj::at(&cfg, "amazon-bedrock-guardrailConfig");
            guard.tag_suffix = o.str("tagSuffix")?.map(str::to_owned);
            guard.asynchronous = match o.str("streamProcessingMode")? {
                None | Some("SYNCHRONOUS") => false,
                Some("ASYNCHRONOUS") => true,
                Some(other) => {
                    return Err(enum_error(
                        "amazon-bedrock-guardrailConfig.streamProcessingMode",
                        other,
                        "SYNCHRONOUS, ASYNCHRONOUS",
                    ));
                }
            };
            cleaned = serde_json::to_vec(&Value::Object(map)).unwrap_or(cleaned);
        }
        Ok(Some((guard, cleaned)))
    }

    fn info(&self) -> Info {
        Info {
            resolved: self.resolved.clone(),
            trace: self.trace,
        }
    }

    /// Screens a Converse prompt: the `guardContent` blocks when the request has any
    /// (in messages or the system prompt), otherwise the text of every message. The
    /// request is masked in place where the guardrail anonymizes.
    pub(crate) fn screen_converse_input(&self, req: &mut Request, body: &Value) -> InputScreen {
        let guarded_system: Vec<usize> = body
            .get("system")
            .and_then(Value::as_array)
            .map(|items| {
                items
                    .iter()
                    .enumerate()
                    .filter(|(_, s)| s.get("guardContent").is_some())
                    .map(|(i, _)| i)
                    .collect()
            })
            .unwrap_or_default();
        let selective = !guarded_system.is_empty()
            || req
                .messages
                .iter()
                .flat_map(|m| &m.blocks)
                .any(|b| matches!(b, Block::GuardContent(_)));
        let mut pieces = Vec::new();
        for (mi, m) in req.messages.iter().enumerate() {
            for (bi, b) in m.blocks.iter().enumerate() {
                match b {
                    Block::GuardContent(t) => pieces.push(Piece::whole(Loc::Message(mi, bi), t)),
                    Block::Text(t) if !selective => {
                        pieces.push(Piece::whole(Loc::Message(mi, bi), t))
                    }
                    _ => {}
                }
            }
        }
        for i in guarded_system {
            if let Some(Some(t)) = req.system.get(i) {
                pieces.push(Piece::whole(Loc::System(i), t));
            }
        }
        self.screen_input(req, pieces)
    }

    /// Screens a native InvokeModel prompt: its system prompt and messages, or only
    /// the text inside input tags when the body names a `tagSuffix` and uses the tags.
    pub(crate) fn screen_native_input(&self, req: &mut Request) -> InputScreen {
        let mut whole = Vec::new();
        for (i, s) in req.system.iter().enumerate() {
            if let Some(t) = s {
                whole.push(Piece::whole(Loc::System(i), t));
            }
        }
        for (mi, m) in req.messages.iter().enumerate() {
            for (bi, b) in m.blocks.iter().enumerate() {
                if let Block::Text(t) | Block::GuardContent(t) = b {
                    whole.push(Piece::whole(Loc::Message(mi, bi), t));
                }
            }
        }
        let pieces = match &self.tag_suffix {
            Some(suffix) => {
                let open = format!("<amazon-bedrock-guardrails-guardContent_{suffix}>");
                let close = format!("</amazon-bedrock-guardrails-guardContent_{suffix}>");
                let tagged: Vec<Piece> = whole
                    .iter()
                    .flat_map(|p| {
                        tagged_ranges(text_at(req, p.loc).unwrap_or(""), &open, &close)
                            .into_iter()
                            .map(move |range| Piece { loc: p.loc, range })
                    })
                    .collect();
                if tagged.is_empty() { whole } else { tagged }
            }
            None => whole,
        };
        self.screen_input(req, pieces)
    }

    fn screen_input(&self, req: &mut Request, pieces: Vec<Piece>) -> InputScreen {
        let texts: Vec<String> = pieces
            .iter()
            .map(|p| text_at(req, p.loc).map_or(String::new(), |t| t[p.range.clone()].to_owned()))
            .collect();
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        let eval = evaluate(&self.resolved.guardrail, Source::Input, &refs, true);
        if eval.anonymized {
            // Later pieces of a block come first, so earlier ranges stay valid.
            let mut order: Vec<usize> = (0..pieces.len()).collect();
            order.sort_by_key(|&i| std::cmp::Reverse(pieces[i].range.start));
            for i in order {
                let p = &pieces[i];
                if let Some(t) = text_at(req, p.loc) {
                    let mut t = t.to_owned();
                    t.replace_range(p.range.clone(), &eval.masked[i]);
                    set_text(req, p.loc, t);
                }
            }
        }
        InputScreen { eval }
    }

    /// The answer to a prompt the guardrail blocked: its blocked-input message, from a
    /// model that was never invoked.
    pub(crate) fn blocked_input(&self, input: InputScreen) -> (Generation, Verdict) {
        let generation = Generation {
            blocks: vec![OutBlock::Text(
                self.resolved.guardrail.blocked_input.clone(),
            )],
            stop: Stop::EndTurn,
            output_tokens: 0,
        };
        let verdict = Verdict {
            info: Some(self.info()),
            input: Some(input.eval),
            outputs: Vec::new(),
            model_output: None,
        };
        (generation, verdict)
    }

    /// Screens the model's answer. A whole answer is evaluated at once and blocked or
    /// masked; a streamed one in windows: in sync mode each window is screened before
    /// it is sent and a blocking window is replaced by the blocked-output message; in
    /// async mode windows are sent as they are (no masking) and the stream stops after
    /// the window the guardrail blocks, with the blocked-output message.
    pub(crate) fn screen_output(
        &self,
        input: InputScreen,
        generation: Generation,
        streaming: bool,
    ) -> (Generation, Verdict) {
        let g = &self.resolved.guardrail;
        let original = generation.text();
        let mut outputs = Vec::new();
        let mut generation = generation;
        if !streaming {
            let texts: Vec<&str> = generation
                .blocks
                .iter()
                .filter_map(OutBlock::answer_text)
                .collect();
            let eval = evaluate(g, Source::Output, &texts, true);
            if eval.blocked {
                generation.blocks = vec![OutBlock::Text(g.blocked_output.clone())];
            } else if eval.anonymized {
                let mut masked = eval.masked.iter();
                for b in &mut generation.blocks {
                    if let (Some(t), Some(m)) = (b.answer_text_mut(), masked.next()) {
                        *t = m.clone();
                    }
                }
            }
            outputs.push(eval);
        } else {
            let mut blocks = Vec::new();
            let mut stopped = false;
            for block in std::mem::take(&mut generation.blocks) {
                if stopped {
                    break;
                }
                let mut block = block;
                // A cited block is screened like text and keeps its citations.
                let Some(text) = block.answer_text_mut().map(std::mem::take) else {
                    blocks.push(block);
                    continue;
                };
                let mut sent = String::new();
                for window in windows(&text, WINDOW_CHARS) {
                    let eval = evaluate(g, Source::Output, &[window], !self.asynchronous);
                    if self.asynchronous || !eval.blocked {
                        sent.push_str(if eval.anonymized {
                            &eval.masked[0]
                        } else {
                            window
                        });
                    }
                    let blocked = eval.blocked;
                    outputs.push(eval);
                    if blocked {
                        sent.push_str(&g.blocked_output);
                        stopped = true;
                        break;
                    }
                }
                if let Some(t) = block.answer_text_mut() {
                    *t = sent;
                }
                blocks.push(block);
            }
            generation.blocks = blocks;
        }
        let intervened = outputs.iter().any(Evaluation::intervened);
        let verdict = Verdict {
            info: Some(self.info()),
            input: Some(input.eval),
            outputs,
            model_output: intervened.then_some(original),
        };
        (generation, verdict)
    }
}

/// Splits text into windows of at most `max` characters, ending at whitespace where
/// there is some.
fn windows(text: &str, max: usize) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        let end = rest.char_indices().nth(max).map_or(rest.len(), |(i, _)| i);
        if end == rest.len() {
            out.push(rest);
            break;
        }
        let cut = rest[..end]
            .char_indices()
            .rev()
            .find(|(_, c)| c.is_whitespace())
            .map(|(i, c)| i + c.len_utf8())
            .filter(|&i| i > 0)
            .unwrap_or(end);
        out.push(&rest[..cut]);
        rest = &rest[cut..];
    }
    out
}

fn tagged_ranges(text: &str, open: &str, close: &str) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(start) = text[from..].find(open).map(|i| i + from + open.len()) {
        let Some(end) = text[start..].find(close).map(|i| i + start) else {
            break;
        };
        out.push(start..end);
        from = end + close.len();
    }
    out
}

#[derive(Debug, Clone, Copy)]
enum Loc {
    Message(usize, usize),
    System(usize),
}

/// A range of one text of the request that the guardrail evaluates.
struct Piece {
    loc: Loc,
    range: Range<usize>,
}

impl Piece {
    fn whole(loc: Loc, text: &str) -> Piece {
        Piece {
            loc,
            range: 0..text.len(),
        }
    }
}

fn text_at(req: &Request, loc: Loc) -> Option<&str> {
    match loc {
        Loc::Message(mi, bi) => match req.messages.get(mi)?.blocks.get(bi)? {
            Block::Text(t) | Block::GuardContent(t) => Some(t),
            _ => None,
        },
        Loc::System(i) => req.system.get(i)?.as_deref(),
    }
}

fn set_text(req: &mut Request, loc: Loc, text: String) {
    match loc {
        Loc::Message(mi, bi) => {
            if let Some(Block::Text(t) | Block::GuardContent(t)) =
                req.messages.get_mut(mi).and_then(|m| m.blocks.get_mut(bi))
            {
                *t = text;
            }
        }
        Loc::System(i) => {
            if let Some(s) = req.system.get_mut(i) {
                *s = Some(text);
            }
        }
    }
}

/// The guardrail's verdict on a prompt.
pub(crate) struct InputScreen {
    eval: Evaluation,
}

impl InputScreen {
    pub(crate) fn blocked(&self) -> bool {
        self.eval.blocked
    }
}

#[derive(Debug, Clone)]
struct Info {
    resolved: Resolved,
    trace: Trace,
}

/// The two shapes of a guardrail trace: Converse's `trace.guardrail` and the native
/// responses' `amazon-bedrock-trace.guardrail`.
#[derive(Debug, Clone, Copy)]
enum TraceForm {
    Converse,
    Native,
}

/// What the guardrail did to a call, written into its response. The default is a call
/// without a guardrail, which gets nothing.
#[derive(Debug, Clone, Default)]
pub(crate) struct Verdict {
    info: Option<Info>,
    input: Option<Evaluation>,
    outputs: Vec<Evaluation>,
    model_output: Option<String>,
}

impl Verdict {
    fn evaluations(&self) -> impl Iterator<Item = &Evaluation> {
        self.input.iter().chain(&self.outputs)
    }

    pub(crate) fn intervened(&self) -> bool {
        self.evaluations().any(Evaluation::intervened)
    }

    fn action_reason(&self) -> &'static str {
        if self.evaluations().any(|e| e.blocked) {
            "Guardrail blocked."
        } else if self.evaluations().any(|e| e.anonymized) {
            "Guardrail masked."
        } else {
            "No action."
        }
    }

    fn traced(&self) -> Option<(&Info, Scope)> {
        let info = self.info.as_ref()?;
        match info.trace {
            Trace::Disabled => None,
            Trace::Enabled => Some((info, Scope::Interventions)),
            Trace::Full => Some((info, Scope::Full)),
        }
    }

    /// Converse's `trace` member (ConverseTrace / ConverseStreamTrace), when traced.
    pub(crate) fn converse_trace(&self) -> Option<Value> {
        self.trace(TraceForm::Converse)
    }

    /// The guardrail trace in `form`, when traced: the model output it masked, the
    /// input's assessment and the outputs', and why it acted.
    fn trace(&self, form: TraceForm) -> Option<Value> {
        let (info, scope) = self.traced()?;
        let r = &info.resolved;
        let assess = |e: &Evaluation| assessment(&e.assessment, scope, r);
        let mut g = Map::new();
        if let Some(model_output) = &self.model_output {
            g.insert("modelOutput".into(), json!([model_output]));
        }
        if let Some(input) = &self.input {
            let key = match form {
                TraceForm::Converse => "inputAssessment",
                TraceForm::Native => "input",
            };
            g.insert(key.into(), json!({ r.id.clone(): assess(input) }));
        }
        if !self.outputs.is_empty() {
            let list = self.outputs.iter().map(assess);
            // Converse lists the assessments under the guardrail's id; the native
            // trace lists one id-keyed object per assessment.
            let (key, outputs) = match form {
                TraceForm::Converse => (
                    "outputAssessments",
                    json!({ r.id.clone(): list.collect::<Vec<_>>() }),
                ),
                TraceForm::Native => (
                    "outputs",
                    list.map(|a| json!({ r.id.clone(): a })).collect(),
                ),
            };
            g.insert(key.into(), outputs);
        }
        g.insert("actionReason".into(), json!(self.action_reason()));
        Some(json!({ "guardrail": g }))
    }

    /// Sets Converse's stopReason when the guardrail intervened.
    pub(crate) fn mark_response(&self, body: &mut Value) {
        if self.intervened() {
            body["stopReason"] = json!("guardrail_intervened");
        }
    }

    /// Sets the stopReason of a ConverseStream's `messageStop` event.
    pub(crate) fn mark_events(&self, items: &mut [StreamItem]) {
        if !self.intervened() {
            return;
        }
        for item in items {
            if item.kind == ItemKind::Event("messageStop") {
                item.payload["stopReason"] = json!("guardrail_intervened");
            }
        }
    }

    fn native_action(&self) -> &'static str {
        if self.intervened() {
            "INTERVENED"
        } else {
            "NONE"
        }
    }

    /// The `amazon-bedrock-trace` member of a native response, when traced.
    pub(crate) fn native_trace(&self) -> Option<Value> {
        self.trace(TraceForm::Native)
    }

    /// Adds the members the service adds to a native InvokeModel response body.
    pub(crate) fn mark_native(&self, body: &mut Value) {
        if self.info.is_none() {
            return;
        }
        if let Value::Object(map) = body {
            map.insert(
                "amazon-bedrock-guardrailAction".into(),
                json!(self.native_action()),
            );
            if let Some(trace) = self.native_trace() {
                map.insert("amazon-bedrock-trace".into(), trace);
            }
        }
    }

    /// Adds `amazon-bedrock-guardrailAction` to every chunk of a native stream; the
    /// trace goes into the last chunk, see [`Verdict::native_trace`].
    pub(crate) fn mark_chunks(&self, items: &mut [StreamItem]) {
        if self.info.is_none() {
            return;
        }
        for item in items {
            if let Value::Object(map) = &mut item.payload {
                map.insert(
                    "amazon-bedrock-guardrailAction".into(),
                    json!(self.native_action()),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_end_at_whitespace_and_cover_everything() {
        let text = "word ".repeat(500);
        let w = windows(&text, 1000);
        assert_eq!(w.concat(), text);
        assert!(w.iter().all(|x| x.chars().count() <= 1000));
        assert!(w[0].ends_with(' '));
        assert_eq!(windows("short", 1000), vec!["short"]);
        assert!(windows("", 1000).is_empty());
    }

    #[test]
    fn tags_select_ranges() {
        let t = "a <x>one</x> b <x>two</x>";
        let r = tagged_ranges(t, "<x>", "</x>");
        assert_eq!(
            r.iter().map(|r| &t[r.clone()]).collect::<Vec<_>>(),
            ["one", "two"]
        );
    }
}
