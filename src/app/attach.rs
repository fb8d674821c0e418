//! Attachments of the next question: chips that are read in the background (the
//! executor reads and hashes the file), `@` completion over the working directory's
//! files, and the check before sending (files changed since attached, `@path` words,
//! the model's capabilities and the per-request limits). A refusal keeps the draft.

use std::sync::Arc;

use crate::attach::{Attached, rules};
use crate::conversation::{Kind, Media, Message};

use super::effect::Effect;
use super::state::{App, Notice};

/// An attachment of the draft: being read, or ready.
#[derive(Debug, Clone, PartialEq)]
pub struct Pending {
    pub id: u64,
    /// What the user gave: a path or an S3 location.
    pub arg: String,
    pub ready: Option<Attached>,
    /// The pasted text this came from: put in the composer if it names no file.
    pub pasted: Option<String>,
}

/// The `@` completion list under the composer.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Completion {
    /// What follows the `@`.
    pub query: String,
    pub items: Vec<String>,
    pub selected: usize,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Attachments {
    pub pending: Vec<Pending>,
    pub next_id: u64,
    /// The working directory's files, once listed for `@` completion.
    pub files: Option<Arc<Vec<String>>>,
    pub listing: bool,
    pub completion: Option<Completion>,
    /// A question waits for its attachments to be checked (`Effect::PrepareSend`).
    pub preparing: bool,
}

/// How many completions are shown.
pub const SHOWN: usize = 8;

/// Keys of the completion list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompleteKey {
    Up,
    Down,
    Accept,
    Close,
}

/// Attaches what `arg` names (a path or an S3 location), read by the executor.
pub fn attach(app: &mut App, arg: &str) -> Vec<Effect> {
    let arg = arg.trim();
    let arg = unquote(arg);
    let id = app.attach.next_id;
    app.attach.next_id += 1;
    app.attach.pending.push(Pending {
        id,
        arg: crate::sanitize::text(&arg),
        ready: None,
        pasted: None,
    });
    vec![Effect::Attach { id, arg }]
}

/// Whether pasted text may be a path: one line that starts like one (`/`, `~/`, `./`,
/// `file://`, or quoted).
pub fn looks_like_path(text: &str) -> bool {
    let t = text.trim();
    !t.is_empty()
        && !t.contains('\n')
        && t.len() < 4096
        && [
            "/", "~/", "./", "../", "file://", "'/", "\"/", "'~/", "\"~/",
        ]
        .iter()
        .any(|p| t.starts_with(p))
}

/// A paste that looks like a path: attached if it names a file, else typed as text.
pub fn pasted(app: &mut App, text: String) -> Vec<Effect> {
    let effects = attach(app, &text);
    if let Some(p) = app.attach.pending.last_mut() {
        p.pasted = Some(text);
    }
    effects
}

/// A path as a shell or a file manager quotes it: `'a b.pdf'`, `"a b.pdf"`, `a\ b.pdf`,
/// `file:///a/b.pdf`.
pub fn unquote(arg: &str) -> String {
    let arg = arg.trim();
    let inner = ['\'', '"']
        .iter()
        .find_map(|q| arg.strip_prefix(*q).and_then(|a| a.strip_suffix(*q)));
    let s = inner.map_or_else(|| arg.replace("\\ ", " "), str::to_owned);
    s.strip_prefix("file://").map_or(s.clone(), str::to_owned)
}

/// `/attach PATH...`: each path (or S3 location) attached; quoted paths may hold spaces.
pub fn command(app: &mut App, arg: &str, original: &str) -> Vec<Effect> {
    let words = split_args(arg);
    if words.is_empty() {
        app.tell(Notice::Error(
            "/attach PATH... attaches files (images, documents, video) or s3:// locations; @ in the composer finds files.".into(),
        ));
        return vec![Effect::SetComposer(original.to_owned())];
    }
    let mut effects = vec![Effect::SetComposer(String::new())];
    for w in words {
        effects.extend(attach(app, &w));
    }
    effects
}

/// Words of a command line, with `'...'`/`"..."` quoting and `\ ` escapes.
fn split_args(arg: &str) -> Vec<String> {
    let (mut out, mut cur, mut quote, mut escaped) = (Vec::new(), String::new(), None, false);
    for c in arg.chars() {
        match (c, quote) {
            _ if escaped => {
                cur.push(c);
                escaped = false;
            }
            ('\\', None) => escaped = true,
            ('\'' | '"', None) => quote = Some(c),
            (c, Some(q)) if c == q => quote = None,
            (c, None) if c.is_whitespace() => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
            (c, _) => cur.push(c),
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// The executor read attachment `id`.
pub fn attached(app: &mut App, id: u64, result: Result<Attached, String>) -> Vec<Effect> {
    let Some(i) = app.attach.pending.iter().position(|p| p.id == id) else {
        // Removed while it was read.
        return Vec::new();
    };
    match result {
        Ok(mut a) => {
            if a.media.kind == Kind::Document {
                let taken: Vec<String> = documents(app).map(|m| m.name.clone()).collect();
                let taken: Vec<&str> = taken.iter().map(String::as_str).collect();
                a.media.name = rules::unique_name(&a.media.name, &taken);
            }
            app.attach.pending[i].ready = Some(a);
            vec![super::meter::schedule(app)]
        }
        Err(e) => match app.attach.pending.remove(i).pasted {
            // A pasted path that names no file to attach is typed as text; why it was
            // not attached is said when it named a file.
            Some(text) => {
                if !e.starts_with("No such file") && !e.contains("is a directory") {
                    app.tell(Notice::Info(format!("{e} The path was pasted as text.")));
                }
                vec![Effect::InsertComposer(text)]
            }
            None => {
                app.tell(Notice::Error(e));
                Vec::new()
            }
        },
    }
}

/// Every document of the conversation and the draft.
fn documents(app: &App) -> impl Iterator<Item = &Media> {
    app.entries
        .iter()
        .flat_map(|e| e.message.media())
        .chain(
            app.attach
                .pending
                .iter()
                .filter_map(|p| p.ready.as_ref().map(|a| &a.media)),
        )
        .filter(|m| m.kind == Kind::Document)
}

/// Removes the last attachment of the draft.
pub fn detach(app: &mut App) -> Vec<Effect> {
    match app.attach.pending.pop() {
        Some(p) => {
            app.tell(Notice::Info(format!("Removed {}.", p.arg)));
            vec![super::meter::schedule(app)]
        }
        None => Vec::new(),
    }
}

/// The ready attachments of the draft, as the question's blocks carry them.
pub fn draft_media(app: &App) -> Vec<Media> {
    app.attach
        .pending
        .iter()
        .filter_map(|p| p.ready.as_ref().map(|a| a.media.clone()))
        .collect()
}

/// The `@` word being typed at the end of the draft, if any.
fn at_query(draft: &str) -> Option<&str> {
    if draft.ends_with(char::is_whitespace) {
        return None;
    }
    let word = draft.rsplit(char::is_whitespace).next()?;
    word.strip_prefix('@')
}

/// The draft changed: the completion follows the `@` word at its end. Each new `@`
/// word lists the files again (they change while the app runs); the last list is
/// used until the new one comes.
pub fn draft_changed(app: &mut App, draft: &str) -> Vec<Effect> {
    let Some(query) = at_query(draft) else {
        app.attach.completion = None;
        return Vec::new();
    };
    let query = query.to_owned();
    let mut effects = Vec::new();
    if app.attach.completion.is_none() && !app.attach.listing {
        app.attach.listing = true;
        effects.push(Effect::ListFiles);
    }
    if let Some(files) = app.attach.files.clone() {
        let items = crate::attach::files::rank(&files, &query, SHOWN);
        let selected = match &app.attach.completion {
            Some(c) if c.query == query => c.selected.min(items.len().saturating_sub(1)),
            _ => 0,
        };
        app.attach.completion = Some(Completion {
            query,
            items,
            selected,
        });
    }
    effects
}

/// The working directory's files arrived: the open completion is ranked again.
pub fn files_listed(app: &mut App, files: Vec<String>) -> Vec<Effect> {
    app.attach.files = Some(Arc::new(files));
    app.attach.listing = false;
    let Some(query) = at_query(&app.meter.draft).map(str::to_owned) else {
        return Vec::new();
    };
    let files = app.attach.files.clone().unwrap_or_default();
    let items = crate::attach::files::rank(&files, &query, SHOWN);
    let selected = app
        .attach
        .completion
        .as_ref()
        .filter(|c| c.query == query)
        .map_or(0, |c| c.selected.min(items.len().saturating_sub(1)));
    app.attach.completion = Some(Completion {
        query,
        items,
        selected,
    });
    Vec::new()
}

pub fn complete_key(app: &mut App, key: CompleteKey) -> Vec<Effect> {
    let Some(c) = &mut app.attach.completion else {
        return Vec::new();
    };
    let n = c.items.len();
    match key {
        CompleteKey::Up if n > 0 => c.selected = (c.selected + n - 1) % n,
        CompleteKey::Down if n > 0 => c.selected = (c.selected + 1) % n,
        CompleteKey::Up | CompleteKey::Down => {}
        CompleteKey::Close => app.attach.completion = None,
        CompleteKey::Accept => {
            let Some(path) = c.items.get(c.selected).cloned() else {
                app.attach.completion = None;
                return Vec::new();
            };
            // The word names the file in the question, as typed with `@`; the chip is
            // what is sent.
            let draft = &app.meter.draft;
            let cut = draft.len() - c.query.len();
            let text = format!("{}{path} ", &draft[..cut]);
            app.attach.completion = None;
            let mut effects = vec![Effect::SetComposer(text)];
            effects.extend(attach(app, &path));
            return effects;
        }
    }
    Vec::new()
}

/// The `@path` words of a question: words starting with `@` that look like paths
/// (they have a `.` or a `/`); `@name` alone is left to be text.
pub fn at_paths(text: &str) -> Vec<String> {
    text.split_whitespace()
        .filter_map(|w| w.strip_prefix('@'))
        .map(|w| w.trim_end_matches([',', ';', ':', '!', '?', ')', '.']))
        .filter(|w| w.contains(['.', '/']))
        .map(str::to_owned)
        .collect()
}

/// A question with attachments or `@path` words goes through the executor first.
/// `None` when there is nothing to check and it can be sent at once.
pub fn prepare(app: &mut App, text: &str) -> Option<Vec<Effect>> {
    let paths = at_paths(text);
    // While an answer streams the question is refused as it is without attachments,
    // and the chips stay.
    if (app.attach.pending.is_empty() && paths.is_empty()) || app.busy() {
        return None;
    }
    if app.attach.preparing || app.attach.pending.iter().any(|p| p.ready.is_none()) {
        app.tell(Notice::Info(
            "Attachments are still being read: send again in a moment.".into(),
        ));
        return Some(vec![Effect::SetComposer(text.to_owned())]);
    }
    app.attach.preparing = true;
    let attached = app
        .attach
        .pending
        .iter()
        .filter_map(|p| p.ready.clone())
        .collect();
    Some(vec![Effect::PrepareSend {
        text: text.to_owned(),
        attached,
        paths,
    }])
}

/// The executor checked the question's attachments: they are the question's, unless the
/// model cannot take them or the request would pass the service's limits.
pub fn prepared(
    app: &mut App,
    text: String,
    result: Result<Vec<Attached>, String>,
) -> Result<Vec<Media>, Vec<Effect>> {
    app.attach.preparing = false;
    let refuse = |app: &mut App, e: String| {
        app.tell(Notice::Error(format!("Not sent: {e}")));
        vec![Effect::SetComposer(text.clone())]
    };
    let list = match result {
        Ok(list) => list,
        Err(e) => return Err(refuse(app, e)),
    };
    let mut media: Vec<Media> = list.into_iter().map(|a| a.media).collect();
    let mut taken: Vec<String> = app
        .entries
        .iter()
        .flat_map(|e| e.message.media())
        .filter(|m| m.kind == Kind::Document)
        .map(|m| m.name.clone())
        .collect();
    for m in media.iter_mut().filter(|m| m.kind == Kind::Document) {
        let t: Vec<&str> = taken.iter().map(String::as_str).collect();
        m.name = rules::unique_name(&m.name, &t);
        taken.push(m.name.clone());
    }
    let mut messages = app.history();
    super::adapt::fit_media(&mut messages, &app.model);
    messages.push(Message::question(&text, media.clone()));
    if let Err(e) = rules::check(app.catalog(), &app.model, &messages) {
        return Err(refuse(app, e.to_string()));
    }
    app.attach.pending.clear();
    Ok(media)
}

#[cfg(test)]
#[path = "attach_tests.rs"]
mod tests;
