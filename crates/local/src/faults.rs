//! Fault injection for testing clients: `[[fault:KIND]]` directives in the last user
//! message, and a server-wide rate of faults for soak tests.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use super::conversation::Fnv;
use super::error::{ErrorKind, ServiceError};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Fail before anything is sent, with a modeled error.
    Error(ErrorKind),
    /// Wait this long before the first byte of the response.
    Stall(Duration),
    /// Send a modeled exception in the stream after this many output tokens.
    StreamError(u32),
    /// Close the connection after this many output tokens, without ending the stream.
    Drop(u32),
}

pub const KINDS: &str = "throttle, quota, unavailable, internal, timeout, model-error, model-not-ready, validation, access-denied, stall-MS, stream-error-N, drop-N";

impl Fault {
    pub fn parse(kind: &str) -> Option<Fault> {
        let error = match kind {
            "throttle" => Some(ErrorKind::Throttling),
            "quota" => Some(ErrorKind::ServiceQuotaExceeded),
            "unavailable" => Some(ErrorKind::ServiceUnavailable),
            "internal" => Some(ErrorKind::InternalServer),
            "timeout" => Some(ErrorKind::ModelTimeout),
            "model-error" => Some(ErrorKind::ModelError),
            "model-not-ready" => Some(ErrorKind::ModelNotReady),
            "validation" => Some(ErrorKind::Validation),
            "access-denied" => Some(ErrorKind::AccessDenied),
            _ => None,
        };
        if let Some(e) = error {
            return Some(Fault::Error(e));
        }
        let num = |prefix: &str| kind.strip_prefix(prefix)?.parse::<u32>().ok();
        if let Some(ms) = num("stall-") {
            return Some(Fault::Stall(Duration::from_millis(u64::from(ms))));
        }
        if let Some(n) = num("stream-error-") {
            return Some(Fault::StreamError(n));
        }
        num("drop-").map(Fault::Drop)
    }
}

/// The faults a request asks for with `[[fault:KIND]]` directives.
pub(crate) fn directives(text: &str) -> Result<Vec<Fault>, ServiceError> {
    let mut out = Vec::new();
    for kind in directive_values(text, "fault") {
        match Fault::parse(kind) {
            Some(f) => out.push(f),
            None => {
                return Err(ServiceError::validation(format!(
                    "Unknown fault directive [[fault:{kind}]]. Known kinds: {KINDS}."
                )));
            }
        }
    }
    Ok(out)
}

/// A route that fails: every request whose model id starts with `prefix` gets `fault`
/// (`--fail-route PREFIX:KIND`, or a `[[fault-route:PREFIX:KIND]]` directive).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailRoute {
    pub prefix: String,
    pub fault: Fault,
}

/// A `PREFIX:KIND` that does not name a fault kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not PREFIX:KIND with KIND one of: {KINDS}")]
pub struct BadFailRoute(pub String);

impl FailRoute {
    /// Parses `PREFIX:KIND`; the kind follows the last colon, so a prefix may hold
    /// colons of its own (an ARN's).
    pub fn parse(spec: &str) -> Result<FailRoute, BadFailRoute> {
        let bad = || BadFailRoute(spec.to_owned());
        let (prefix, kind) = spec.rsplit_once(':').ok_or_else(bad)?;
        let fault = Fault::parse(kind.trim()).ok_or_else(bad)?;
        if prefix.is_empty() {
            return Err(bad());
        }
        Ok(FailRoute {
            prefix: prefix.to_owned(),
            fault,
        })
    }

    /// Whether a request to `model_id` takes this route: the id starts with the prefix,
    /// or an ARN's resource id does (`.../inference-profile/us.x` takes `us.`).
    pub(crate) fn matches(&self, model_id: &str) -> bool {
        let resource = model_id.rsplit_once('/').map_or(model_id, |(_, id)| id);
        model_id.starts_with(&self.prefix) || resource.starts_with(&self.prefix)
    }
}

/// The faults of the routes that fail for `model_id`: the server's and those the
/// request's `[[fault-route:PREFIX:KIND]]` directives name.
pub(crate) fn route_faults(
    routes: &[FailRoute],
    text: &str,
    model_id: &str,
) -> Result<Vec<Fault>, ServiceError> {
    let mut all = routes.to_vec();
    for spec in directive_values(text, "fault-route") {
        all.push(FailRoute::parse(spec).map_err(|e| {
            ServiceError::validation(format!(
                "Unknown fault directive [[fault-route:{spec}]]: {e}."
            ))
        })?);
    }
    Ok(all
        .into_iter()
        .filter(|r| r.matches(model_id))
        .map(|r| r.fault)
        .collect())
}

/// Values of every `[[NAME:VALUE]]` directive in `text`.
pub(crate) fn directive_values<'a>(text: &'a str, name: &str) -> Vec<&'a str> {
    let open = format!("[[{name}:");
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find(&open) {
        let after = &rest[start + open.len()..];
        let Some(end) = after.find("]]") else { break };
        out.push(after[..end].trim());
        rest = &after[end + 2..];
    }
    out
}

/// Removes every `[[...:...]]` directive, so the model's answer does not echo them.
pub(crate) fn strip_directives(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("[[") {
        match rest[start..].find("]]") {
            Some(len) if rest[start..start + len].contains(':') => {
                out.push_str(&rest[..start]);
                rest = &rest[start + len + 2..];
            }
            _ => {
                out.push_str(&rest[..start + 2]);
                rest = &rest[start + 2..];
            }
        }
    }
    out.push_str(rest);
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A server-wide fault rate: every request has probability `rate` of one of `kinds`,
/// decided by a seeded hash of the request's sequence number, so a run is repeatable.
#[derive(Debug)]
pub struct FaultRate {
    pub rate: f64,
    pub kinds: Vec<Fault>,
    pub seed: u64,
    counter: AtomicU64,
}

impl FaultRate {
    pub fn new(rate: f64, kinds: Vec<Fault>, seed: u64) -> Self {
        FaultRate {
            rate,
            kinds,
            seed,
            counter: AtomicU64::new(0),
        }
    }

    /// The fault for the next request, if the draw picks one.
    pub(crate) fn draw(&self) -> Option<Fault> {
        if self.rate <= 0.0 || self.kinds.is_empty() {
            return None;
        }
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let mut h = Fnv::default();
        h.write(&self.seed.to_le_bytes());
        h.write(&n.to_le_bytes());
        let x = h.finish();
        let unit = (x >> 11) as f64 / (1u64 << 53) as f64;
        (unit < self.rate).then(|| self.kinds[(x % self.kinds.len() as u64) as usize])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_kind() {
        let text =
            "hi [[fault:throttle]] [[fault:stall-250]] [[fault:stream-error-7]] [[fault:drop-3]]";
        assert_eq!(
            directives(text).unwrap(),
            vec![
                Fault::Error(ErrorKind::Throttling),
                Fault::Stall(Duration::from_millis(250)),
                Fault::StreamError(7),
                Fault::Drop(3)
            ]
        );
        assert!(directives("[[fault:melt]]").is_err());
        assert_eq!(strip_directives("a [[fault:drop-3]] b [[x]]"), "a b [[x]]");
    }

    #[test]
    fn fail_routes_match_by_prefix() {
        let us = FailRoute::parse("us.:throttle").unwrap();
        assert_eq!(us.fault, Fault::Error(ErrorKind::Throttling));
        assert!(us.matches("us.anthropic.claude-haiku-4-5-20251001-v1:0"));
        assert!(us.matches("arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.x"));
        assert!(!us.matches("global.anthropic.claude-haiku-4-5-20251001-v1:0"));
        assert!(FailRoute::parse("us.").is_err());
        assert!(FailRoute::parse("us.:melt").is_err());
        assert!(FailRoute::parse(":throttle").is_err());
        let text = "hi [[fault-route:global.:model-not-ready]]";
        let got = route_faults(&[us], text, "global.x").unwrap();
        assert_eq!(got, vec![Fault::Error(ErrorKind::ModelNotReady)]);
        assert!(route_faults(&[], "[[fault-route:us.:melt]]", "us.x").is_err());
    }

    #[test]
    fn rate_is_repeatable_and_close_to_the_rate() {
        let a = FaultRate::new(0.1, vec![Fault::Error(ErrorKind::Throttling)], 7);
        let b = FaultRate::new(0.1, vec![Fault::Error(ErrorKind::Throttling)], 7);
        let da: Vec<_> = (0..2000).map(|_| a.draw()).collect();
        let db: Vec<_> = (0..2000).map(|_| b.draw()).collect();
        assert_eq!(da, db);
        let hits = da.iter().filter(|d| d.is_some()).count();
        assert!(
            (150..250).contains(&hits),
            "{hits} faults in 2000 at rate 0.1"
        );
    }
}
