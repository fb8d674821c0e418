//! Prompt caching: where a turn's `cachePoint` blocks go. With `cache = "5m"` or `"1h"`
//! a model that caches gets a checkpoint after the tools and the system prompt (the part
//! every turn repeats), one where the previous turn's request ended (which that turn
//! wrote, so this one reads it), and one after the new question (which the next turn
//! reads). A checkpoint needs the model's minimum of tokens since the one before it: one
//! with fewer would cache nothing and still count toward the service's limit of four,
//! so it is left out. Every checkpoint has the same TTL, which keeps them non-increasing
//! as the service requires.

pub use crate::conversation::Cache;
use crate::conversation::{Block, Message};

use super::effect::Effect;
use super::state::{App, Notice};

/// The service's limit of checkpoints in one request.
pub const MAX_POINTS: usize = 4;

/// Where a request's checkpoints go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CachePlan {
    pub ttl: Cache,
    /// After the tool definitions.
    pub tools: bool,
    /// After the system prompt.
    pub system: bool,
    /// After these messages (indexes into the request's messages).
    pub messages: Vec<usize>,
    /// Estimated tokens of the prefix an earlier turn wrote (read from the cache), of
    /// the part this turn writes, and of the whole request.
    pub read: u32,
    pub written: u32,
    pub total: u32,
}

/// What the catalog says of a model's caching: whether it caches, the fewest tokens a
/// checkpoint's prefix needs, and whether it keeps a prefix for an hour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caching {
    pub min_tokens: u32,
    pub one_hour: bool,
}

/// The caching of `model`, from the catalog, if it caches.
pub fn caching(model: &crate::catalog::Model) -> Option<Caching> {
    let c = &model.capabilities;
    (c.cache_min_tokens > 0).then_some(Caching {
        min_tokens: c.cache_min_tokens,
        one_hour: c.cache_ttl_1h,
    })
}

/// Tokens of a message as the estimate counts them.
fn tokens(m: &Message) -> u32 {
    m.blocks
        .iter()
        .map(|b| match b {
            Block::Text(t) | Block::Cited { text: t, .. } => crate::local::tokens::count(t),
            Block::Reasoning { text, .. } => crate::local::tokens::count(text),
            Block::ToolUse { input, .. } => crate::local::tokens::count(&input.to_string()),
            Block::ToolResult { content, .. } => content
                .iter()
                .map(|c| crate::local::tokens::count(&format!("{c:?}")))
                .sum(),
            Block::Media(m) => m.data().map_or(0, |d| {
                crate::local::tokens::attachment(m.kind.member(), &m.format, &m.name, d)
            }),
        })
        .sum()
}

/// The checkpoints of a request to `model` with these parts, under `cache`; `None` when
/// nothing is cached.
pub fn plan(
    cache: Cache,
    model: Option<&crate::catalog::Model>,
    system: Option<&str>,
    tools: Option<&crate::tools::ToolConfig>,
    messages: &[Message],
) -> Option<CachePlan> {
    let caching = model.and_then(caching)?;
    let ttl = match cache {
        Cache::Off => return None,
        Cache::OneHour if !caching.one_hour => Cache::FiveMinutes,
        other => other,
    };
    let mut prefix = tools.map_or(0, |t| {
        t.tools
            .iter()
            .map(|s| {
                crate::local::tokens::count(&s.name)
                    + crate::local::tokens::count(&s.description)
                    + crate::local::tokens::count(&s.input_schema.to_string())
            })
            .sum::<u32>()
    });
    // Each checkpoint needs the model's minimum of tokens since the one before it.
    let mut last = 0;
    let mut enough = |n: u32| {
        let ok = n.saturating_sub(last) >= caching.min_tokens;
        if ok {
            last = n;
        }
        ok
    };
    let has_tools = tools.is_some_and(|t| !t.tools.is_empty());
    let with_system = prefix + system.map_or(0, crate::local::tokens::count);
    // Tools and system are one prefix: a checkpoint after the system prompt covers both.
    let system_point = system.is_some_and(|s| !s.trim().is_empty()) && enough(with_system);
    let tools_point = !system_point && has_tools && enough(prefix);
    prefix = with_system;
    let mut ends = Vec::with_capacity(messages.len());
    for m in messages {
        prefix += tokens(m);
        ends.push(prefix);
    }
    let mut points = Vec::new();
    let n = messages.len();
    // Where the previous turn's request ended: its question, two messages back.
    if n >= 3 && enough(ends[n - 3]) {
        points.push(n - 3);
    }
    if n >= 1 && enough(ends[n - 1]) {
        points.push(n - 1);
    }
    let room = MAX_POINTS - usize::from(tools_point) - usize::from(system_point);
    points.truncate(room);
    let total = ends.last().copied().unwrap_or(with_system);
    // What earlier turns wrote: the longest prefix ending at a checkpoint before the
    // new question's.
    let read = points
        .iter()
        .filter(|i| **i + 1 < n)
        .map(|i| ends[*i])
        .chain(system_point.then_some(with_system))
        .chain(tools_point.then_some(with_system - system.map_or(0, crate::local::tokens::count)))
        .max()
        .unwrap_or(0);
    let written = if points.last() == Some(&(n.wrapping_sub(1))) {
        total - read
    } else {
        0
    };
    (tools_point || system_point || !points.is_empty()).then_some(CachePlan {
        ttl,
        tools: tools_point,
        system: system_point,
        messages: points,
        read,
        written,
        total,
    })
}

/// `/cache [off|5m|1h]`: sets the cache, or says how it stands.
pub fn command(app: &mut App, arg: &str) -> Vec<Effect> {
    if arg.is_empty() {
        let model = app.catalog().lookup(&app.model);
        let note = match model.and_then(caching) {
            None => " (the current model does not cache)".to_owned(),
            Some(c) => format!(
                " (a checkpoint needs at least {} tokens before it{})",
                c.min_tokens,
                if c.one_hour {
                    "; 1h is offered"
                } else {
                    "; 5m only"
                }
            ),
        };
        app.tell(Notice::Info(format!(
            "Prompt cache: {}{note}. /cache off|5m|1h changes it.",
            app.inference.cache.name()
        )));
        return Vec::new();
    }
    let Some(cache) = Cache::parse(arg) else {
        app.tell(Notice::Error(format!("/cache {arg}: use off, 5m or 1h.")));
        return Vec::new();
    };
    app.inference.cache = cache;
    let model = app.catalog().lookup(&app.model).cloned();
    let caching = model.as_ref().and_then(caching);
    app.tell(match (cache, caching) {
        (Cache::Off, _) => Notice::Info("Prompt cache off.".into()),
        (_, None) => Notice::Info(format!(
            "Prompt cache {} set; {} does not cache, so its turns are sent as they are.",
            cache.name(),
            model.map_or(app.model.clone(), |m| m.name)
        )),
        (Cache::OneHour, Some(c)) if !c.one_hour => Notice::Info(format!(
            "Prompt cache 1h set; {} keeps prefixes for 5 minutes only, so its checkpoints ask for 5m.",
            model.map_or(app.model.clone(), |m| m.name)
        )),
        _ => Notice::Info(format!("Prompt cache {} on.", cache.name())),
    });
    vec![super::meter::schedule(app)]
}

#[cfg(test)]
#[path = "cache_tests.rs"]
mod tests;
