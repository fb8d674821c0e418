//! The request inspector: for the focused answer, what went over the wire (the request
//! as sent, the HTTP exchange, the stream's events, the response's metadata), and the
//! request as runnable code in five languages, copied with OSC 52 or written to a file.

use crate::inspect::Exchange;
use crate::snippet::{self, Language};

use super::effect::Effect;
use super::guardrail::focused_answer;
use super::state::{App, Notice, Overlay};

/// What the inspector shows: the exchange, or the request as code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    Wire,
    Code(Language),
}

impl Tab {
    /// Every tab, in order: the exchange first.
    pub fn all() -> Vec<Tab> {
        std::iter::once(Tab::Wire)
            .chain(Language::ALL.into_iter().map(Tab::Code))
            .collect()
    }

    pub fn label(self) -> &'static str {
        match self {
            Tab::Wire => "Request",
            Tab::Code(l) => l.label(),
        }
    }
}

/// The inspector's state: whose exchange, which tab, and the text the tab shows (built
/// once when the tab opens, since a request can hold megabytes of attachments).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inspector {
    pub entry: usize,
    pub tab: Tab,
    pub scroll: u16,
    /// The request as pretty JSON (attachments as references), or the snippet.
    pub text: String,
    /// Why the tab has no text (a native request has no Converse snippet).
    pub unavailable: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InspectKey {
    Next,
    Prev,
    /// The tab at this position, from 0.
    Tab(usize),
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    End,
    Copy,
    Write,
}

/// Opens the inspector on the focused answer.
pub fn open(app: &mut App) -> Vec<Effect> {
    let Some(idx) = focused_answer(app) else {
        app.tell(Notice::Error("There is no answer to inspect yet.".into()));
        return Vec::new();
    };
    if app.entries[idx].exchange.is_none() {
        app.tell(Notice::Error(
            "This answer has no record of its request: it was not sent, or it was stored by an older version."
                .into(),
        ));
        return Vec::new();
    }
    app.overlay = Overlay::Inspector(Box::new(show(app, idx, Tab::Wire)));
    Vec::new()
}

/// The inspector on entry `idx`'s exchange, at `tab`.
fn show(app: &App, entry: usize, tab: Tab) -> Inspector {
    let mut i = Inspector {
        entry,
        tab,
        scroll: 0,
        text: String::new(),
        unavailable: None,
    };
    // The entries may have been replaced since (another conversation opened).
    let Some(x) = app.entries.get(entry).and_then(|e| e.exchange.as_deref()) else {
        i.unavailable = Some("The answer and its record are no longer on screen.".into());
        return i;
    };
    match tab {
        Tab::Wire => {
            i.text = serde_json::to_string_pretty(&x.request).unwrap_or_default();
            // A native response as it came, after the request.
            if !x.chunks.is_empty() {
                i.text.push_str(if x.operation == "InvokeModel" {
                    "\n\nResponse body\n"
                } else {
                    "\n\nResponse chunks\n"
                });
                for c in &x.chunks {
                    i.text.push_str(c.trim_end());
                    i.text.push('\n');
                }
            }
        }
        Tab::Code(language) => match code(app, x, language) {
            Ok(text) => i.text = text,
            Err(why) => i.unavailable = Some(why),
        },
    }
    i
}

/// The request of `x` as a `language` snippet, its attachments filled back in from the
/// conversation's own.
fn code(app: &App, x: &Exchange, language: Language) -> Result<String, String> {
    if x.operation != "ConverseStream" && x.operation != "Converse" {
        return Err(format!(
            "{} requests are shown as sent; code is written for Converse requests.",
            x.operation
        ));
    }
    let (body, missing) = inflated(app, x);
    if !missing.is_empty() {
        return Err(format!(
            "{} attachment(s) of this request are no longer in the conversation.",
            missing.len()
        ));
    }
    let endpoint = custom_endpoint(&x.url, &x.region);
    Ok(snippet::snippet(
        language,
        &snippet::Request {
            model_id: &x.model_id,
            body: &body,
            region: &x.region,
            endpoint_url: endpoint.as_deref(),
            auth: if x.auth.starts_with("bearer") {
                snippet::Auth::ApiKey
            } else {
                snippet::Auth::SigV4
            },
        },
    ))
}

/// The request of `x` with its attachments' bytes filled back in from the
/// conversation's, and the SHA-256s of those no longer there.
fn inflated(app: &App, x: &Exchange) -> (serde_json::Value, Vec<String>) {
    let lookup = |sha: &str| {
        app.entries
            .iter()
            .flat_map(|e| &e.message.blocks)
            .find_map(|b| match b {
                crate::conversation::Block::Media(m) => match &m.source {
                    crate::conversation::Source::Bytes(blob) if blob.sha256 == sha => {
                        m.data().map(<[u8]>::to_vec)
                    }
                    _ => None,
                },
                _ => None,
            })
    };
    crate::inspect::inflate(&x.request, &lookup)
}

/// The base URL of the endpoint `url` went to, unless it is Amazon Bedrock's own for
/// `region` (which the SDKs find by themselves).
fn custom_endpoint(url: &str, region: &str) -> Option<String> {
    let rest = url.split_once("://").map(|(_, r)| r).unwrap_or(url);
    let host = rest.split('/').next().unwrap_or(rest);
    let scheme = url.split_once("://").map_or("https", |(s, _)| s);
    let own = format!("bedrock-runtime.{region}.amazonaws.com");
    (host != own && !host.is_empty()).then(|| format!("{scheme}://{host}"))
}

/// A key of the inspector; `page` rows make a page, and `max` is the furthest it
/// scrolls (as the last frame laid it out).
pub fn key(app: &mut App, key: InspectKey, page: u16, max: u16) -> Vec<Effect> {
    let Overlay::Inspector(i) = &app.overlay else {
        return Vec::new();
    };
    let tabs = Tab::all();
    let at = tabs.iter().position(|t| *t == i.tab).unwrap_or(0);
    let (entry, scroll) = (i.entry, i.scroll);
    let go = |app: &mut App, n: usize| {
        let next = show(app, entry, tabs[n % tabs.len()]);
        app.overlay = Overlay::Inspector(Box::new(next));
        Vec::new()
    };
    let scroll_to = |app: &mut App, to: u16| {
        if let Overlay::Inspector(i) = &mut app.overlay {
            i.scroll = to.min(max);
        }
        Vec::new()
    };
    match key {
        InspectKey::Next => go(app, at + 1),
        InspectKey::Prev => go(app, at + tabs.len() - 1),
        InspectKey::Tab(n) if n < tabs.len() => go(app, n),
        InspectKey::Tab(_) => Vec::new(),
        InspectKey::Up => scroll_to(app, scroll.saturating_sub(1)),
        InspectKey::Down => scroll_to(app, scroll.saturating_add(1)),
        InspectKey::PageUp => scroll_to(app, scroll.saturating_sub(page)),
        InspectKey::PageDown => scroll_to(app, scroll.saturating_add(page)),
        InspectKey::Top => scroll_to(app, 0),
        InspectKey::End => scroll_to(app, max),
        InspectKey::Copy => copy(app),
        InspectKey::Write => write(app),
    }
}

/// The text the current tab copies or writes: a snippet as shown, or the request with
/// its attachments in full, as it was sent.
fn payload(app: &App) -> Result<(Tab, String), String> {
    let Overlay::Inspector(i) = &app.overlay else {
        return Err("The inspector is closed.".into());
    };
    if let Some(why) = &i.unavailable {
        return Err(why.clone());
    }
    match i.tab {
        Tab::Code(_) => Ok((i.tab, i.text.clone())),
        Tab::Wire => {
            let x = app
                .entries
                .get(i.entry)
                .and_then(|e| e.exchange.as_deref())
                .ok_or("The answer has no record of its request.")?;
            let (body, _) = inflated(app, x);
            Ok((
                i.tab,
                serde_json::to_string_pretty(&body).unwrap_or_default() + "\n",
            ))
        }
    }
}

fn what(tab: Tab) -> String {
    match tab {
        Tab::Wire => "request".into(),
        Tab::Code(l) => format!("{} snippet", l.label()),
    }
}

fn copy(app: &mut App) -> Vec<Effect> {
    match payload(app) {
        Ok((tab, text)) => {
            app.tell(Notice::Info(format!(
                "Copied the {} ({} lines) to the clipboard.",
                what(tab),
                text.lines().count()
            )));
            vec![Effect::Clipboard(text)]
        }
        Err(why) => {
            app.tell(Notice::Error(why));
            Vec::new()
        }
    }
}

fn write(app: &mut App) -> Vec<Effect> {
    match payload(app) {
        Ok((tab, text)) => {
            let Overlay::Inspector(i) = &app.overlay else {
                return Vec::new();
            };
            let x = app.entries.get(i.entry).and_then(|e| e.exchange.as_deref());
            let id = x
                .and_then(|x| x.request_id.as_deref())
                .map(|id| {
                    id.chars()
                        .filter(char::is_ascii_alphanumeric)
                        .take(12)
                        .collect::<String>()
                })
                .filter(|id| !id.is_empty())
                .unwrap_or_else(|| format!("answer-{}", i.entry));
            let extension = match tab {
                Tab::Wire => "json",
                Tab::Code(l) => l.extension(),
            };
            vec![Effect::WriteFile {
                stem: format!("request-{id}"),
                extension: extension.to_owned(),
                text,
                what: what(tab),
            }]
        }
        Err(why) => {
            app.tell(Notice::Error(why));
            Vec::new()
        }
    }
}

#[cfg(test)]
#[path = "inspect_tests.rs"]
mod tests;
