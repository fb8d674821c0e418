//! The native console: the composer holds the current model's own InvokeModel body,
//! prefilled from the conversation and the inference settings, editable inline or in
//! `$EDITOR`, checked as JSON before it is sent. The exchange joins the conversation as
//! a turn labelled "native", its raw chunks kept with the answer.

use crate::conversation::{Message, Role};
use crate::inspect::Exchange;

use super::effect::{EditorTarget, Effect, Save};
use super::state::{App, Entry, EntryState, Notice};

/// The console while it is open: for which model, and the draft it replaced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Console {
    pub model: String,
    /// The model's family, named as its documentation names the format.
    pub format: &'static str,
    /// The composer's text before the console opened, given back when it closes.
    pub draft: String,
}

/// A native request for the executor.
#[derive(Debug, Clone, PartialEq)]
pub struct NativeRequest {
    pub model_id: String,
    pub family: crate::catalog::Family,
    pub body: Vec<u8>,
    /// InvokeModelWithResponseStream, else InvokeModel.
    pub stream: bool,
}

/// The operation a native request goes out with.
pub fn operation(stream: bool) -> &'static str {
    if stream {
        "InvokeModelWithResponseStream"
    } else {
        "InvokeModel"
    }
}

/// Whether an exchange was a native one.
pub fn is_native(x: &Exchange) -> bool {
    x.operation.starts_with("InvokeModel")
}

/// Opens the console with `draft` as the next question, or closes it, giving the
/// draft back.
pub fn toggle(app: &mut App, draft: String) -> Vec<Effect> {
    if let Some(console) = app.native.take() {
        app.tell(Notice::Info(
            "Back to chat: Enter sends with Converse.".into(),
        ));
        return vec![Effect::SetComposer(console.draft)];
    }
    let Some(model) = app.catalog().lookup(&app.model).cloned() else {
        app.tell(Notice::Error(format!(
            "{} is not in the catalog, so its native format is not known.",
            app.model
        )));
        return Vec::new();
    };
    if !crate::native::supported(model.family) {
        app.tell(Notice::Error(format!(
            "{} has no native text format here: the native console speaks Anthropic, Nova, Titan Text, Llama, Mistral, Cohere Command R and Jamba.",
            model.name
        )));
        return Vec::new();
    }
    let mut messages = app.history();
    if !draft.trim().is_empty() || messages.last().is_none_or(|m| m.role == Role::Assistant) {
        messages.push(Message::user(draft.trim_end()));
    }
    let body = match crate::native::body(&model, app.system.as_deref(), &messages, &app.inference) {
        Ok(b) => b,
        Err(e) => {
            app.tell(Notice::Error(format!("No native body: {e}")));
            return Vec::new();
        }
    };
    let stream = crate::native::streams(&model);
    let format = crate::native::format_name(model.family);
    app.tell(Notice::Info(format!(
        "Native console: {}'s {format} body, sent with {} (/native again goes back to chat).",
        model.name,
        operation(stream)
    )));
    app.native = Some(Console {
        model: app.model.clone(),
        format,
        draft,
    });
    vec![Effect::SetComposer(
        serde_json::to_string_pretty(&body).unwrap_or_default(),
    )]
}

/// Sends the body in the composer: checked as JSON first, and kept in the composer
/// with the reason when it is not.
pub fn submit(app: &mut App, text: String) -> Vec<Effect> {
    let refuse = |app: &mut App, why: String| {
        app.tell(Notice::Error(why));
        vec![Effect::SetComposer(text.clone())]
    };
    if app.busy() {
        return refuse(
            app,
            "An answer is still streaming: press Esc to stop it first.".into(),
        );
    }
    let body: serde_json::Value = match serde_json::from_str(&text) {
        Ok(v @ serde_json::Value::Object(_)) => v,
        Ok(_) => {
            return refuse(
                app,
                "Not sent: a native body is a JSON object ({ ... }).".into(),
            );
        }
        Err(e) => return refuse(app, format!("Not sent: the body is not valid JSON: {e}.")),
    };
    let Some(model) = app.catalog().lookup(&app.model).cloned() else {
        return refuse(app, format!("{} is not in the catalog.", app.model));
    };
    let Some(console) = app.native.take() else {
        return Vec::new();
    };
    let stream = crate::native::streams(&model);
    let question = crate::native::question(model.family, &body)
        .filter(|q| !q.trim().is_empty())
        .unwrap_or_else(|| console.draft.clone());
    app.tools.rounds = 0;
    let mut asked = Entry::new(Message::user(question), EntryState::Done);
    asked.native = true;
    app.entries.push(asked);
    let mut effects = vec![Effect::Save(Save::Entry(app.entries.len() - 1))];
    let model_id = app.model.clone();
    let id = super::turn::begin_answer(app, |answer| {
        answer.native = true;
        // The request as sent, until the executor's record of the exchange replaces it.
        answer.exchange = Some(Box::new(Exchange {
            operation: operation(stream).into(),
            model_id,
            request: crate::inspect::abbreviate(&body),
            ..Exchange::default()
        }));
    });
    effects.push(Effect::StartNative {
        id,
        request: NativeRequest {
            model_id: app.model.clone(),
            family: model.family,
            body: text.into_bytes(),
            stream,
        },
    });
    effects
}

/// Opens the body in `$EDITOR`.
pub fn edit(draft: String) -> Vec<Effect> {
    vec![Effect::Editor {
        text: draft,
        target: EditorTarget::NativeBody,
    }]
}

#[cfg(test)]
#[path = "native_tests.rs"]
mod tests;
