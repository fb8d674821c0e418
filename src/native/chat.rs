//! OpenAI-style chat bodies (a `system` message, then `user` and `assistant` messages of
//! plain text), shared by AI21 Jamba and Mistral Large's chat completion: `choices`
//! back, streamed with a `delta` (Jamba) or a `message` (Mistral) per chunk.

use serde_json::{Value, json};

use crate::conversation::Inference;

use super::turns::Turn;
use super::{Error, Names, Reply, add_usage, merge, role_name, set_stop, settings, str_at, u32_at};

/// The settings' names, which Mistral's prompt completion shares.
pub(super) const NAMES: Names = Names {
    max_tokens: "max_tokens",
    temperature: "temperature",
    top_p: "top_p",
    stop: Some("stop"),
};

pub(super) fn body(system: Option<&str>, turns: &[Turn], inference: &Inference) -> Value {
    let mut messages: Vec<Value> = system
        .map(|s| json!({"role": "system", "content": s}))
        .into_iter()
        .collect();
    messages.extend(
        turns
            .iter()
            .map(|t| json!({"role": role_name(t), "content": t.text()})),
    );
    let mut b = json!({"messages": messages});
    merge(&mut b, settings(inference, &NAMES));
    b
}

/// Records a response's or chunk's stop reason (`finish_reason`, or Mistral's
/// `stop_reason`) and usage.
fn read_meta(v: &Value, reply: &mut Reply) {
    set_stop(reply, str_at(v, "/choices/0/finish_reason"));
    set_stop(reply, str_at(v, "/choices/0/stop_reason"));
    add_usage(
        reply,
        u32_at(v, "/usage/prompt_tokens"),
        u32_at(v, "/usage/completion_tokens"),
    );
}

pub(super) fn response(v: &Value) -> Result<Reply, Error> {
    let message = v
        .pointer("/choices/0/message")
        .ok_or_else(|| Error::Shape("no `choices[0].message`".into()))?;
    let mut reply = Reply::default();
    read_meta(v, &mut reply);
    // A message of tool calls only has a null content.
    reply.text = str_at(message, "/content").unwrap_or_default().to_owned();
    Ok(reply)
}

pub(super) fn chunk(v: &Value, reply: &mut Reply) -> String {
    read_meta(v, reply);
    str_at(v, "/choices/0/delta/content")
        .or_else(|| str_at(v, "/choices/0/message/content"))
        .unwrap_or_default()
        .to_owned()
}
