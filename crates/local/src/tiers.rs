//! Service tiers (`serviceTier`) and latency-optimized inference (`performanceConfig`):
//! read from a Converse body or InvokeModel's headers, checked against the model's
//! catalog capabilities, echoed as the service echoes them, and turned into pacing.

use std::time::Duration;

use bedrock_catalog::Model;
use serde_json::{Map, Value, json};

use super::error::ServiceError;
use super::json::Obj;
use super::stream::Pacing;

type Result<T> = std::result::Result<T, ServiceError>;

const TIER_HEADER: &str = "x-amzn-bedrock-service-tier";
const LATENCY_HEADER: &str = "x-amzn-bedrock-performanceconfig-latency";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tier {
    Default,
    Priority,
    Flex,
}

impl Tier {
    fn wire(self) -> &'static str {
        match self {
            Tier::Default => "default",
            Tier::Priority => "priority",
            Tier::Flex => "flex",
        }
    }

    /// How much longer than the standard tier a request takes: flex waits behind the
    /// others, priority goes ahead of them.
    fn time_factor(self) -> f64 {
        match self {
            Tier::Default => 1.0,
            Tier::Priority => 0.8,
            Tier::Flex => 2.0,
        }
    }
}

/// What a request asked for; `None` where it did not ask, so nothing is echoed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Options {
    pub tier: Option<Tier>,
    /// `Some(true)` for `optimized`, `Some(false)` for `standard`.
    pub optimized: Option<bool>,
}

fn tier(value: &str) -> Result<Tier> {
    match value {
        "default" => Ok(Tier::Default),
        "priority" => Ok(Tier::Priority),
        "flex" => Ok(Tier::Flex),
        // No reservation is ever made on this endpoint.
        "reserved" => Err(ServiceError::validation("Reservation not found.")),
        _ => Err(ServiceError::validation(
            "The service tier provided is invalid.",
        )),
    }
}

fn latency(member: &str, value: &str) -> Result<bool> {
    match value {
        "optimized" => Ok(true),
        "standard" => Ok(false),
        other => Err(ServiceError::validation(format!(
            "1 validation error detected: Value '{other}' at '{member}' failed to satisfy constraint: Member must satisfy enum value set: [optimized, standard]"
        ))),
    }
}

impl Options {
    /// From a Converse or ConverseStream body's `serviceTier` and `performanceConfig`.
    pub(crate) fn converse(o: &Obj) -> Result<Options> {
        let mut options = Options::default();
        if let Some(t) = o.child("serviceTier")? {
            options.tier = Some(tier(t.req_str("type")?)?);
        }
        if let Some(p) = o.child("performanceConfig")?
            && let Some(l) = p.str("latency")?
        {
            options.optimized = Some(latency(&p.path("latency"), l)?);
        }
        Ok(options)
    }

    /// From InvokeModel's `X-Amzn-Bedrock-Service-Tier` and
    /// `X-Amzn-Bedrock-PerformanceConfig-Latency` headers.
    pub(crate) fn headers(headers: &http::HeaderMap) -> Result<Options> {
        let get = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        Ok(Options {
            tier: get(TIER_HEADER).map(tier).transpose()?,
            optimized: get(LATENCY_HEADER)
                .map(|v| latency("performanceConfigLatency", v))
                .transpose()?,
        })
    }

    /// Refuses what the model does not offer (the catalog's `latency_optimized`,
    /// `priority_tier` and `flex_tier` capabilities).
    pub(crate) fn check(&self, model: &Model) -> Result<()> {
        let caps = &model.capabilities;
        if self.optimized == Some(true) && !caps.latency_optimized {
            return Err(ServiceError::validation(format!(
                "The model {} doesn't support latency-optimized inference. Try again with latency set to standard.",
                model.id
            )));
        }
        let offered = match self.tier {
            Some(Tier::Priority) => caps.priority_tier,
            Some(Tier::Flex) => caps.flex_tier,
            _ => true,
        };
        if !offered {
            return Err(ServiceError::validation(format!(
                "The service tier {} is not supported for the model {}.",
                self.tier.map_or("default", Tier::wire),
                model.id
            )));
        }
        Ok(())
    }

    /// How much longer than a standard request this one takes: the tier's factor, and
    /// half for latency-optimized inference.
    fn time_factor(&self) -> f64 {
        let tier = self.tier.map_or(1.0, Tier::time_factor);
        let latency = if self.optimized == Some(true) {
            0.5
        } else {
            1.0
        };
        tier * latency
    }

    /// The endpoint's pacing, scaled for this request: time to first token times the
    /// factor, the token rate divided by it.
    pub(crate) fn pacing(&self, base: Pacing) -> Pacing {
        let f = self.time_factor();
        Pacing {
            ttft: base.ttft.mul_f64(f),
            tokens_per_second: base.tokens_per_second.map(|tps| tps / f),
        }
    }

    /// The members the service adds to a Converse response or the stream's metadata
    /// event: what the request asked for.
    pub(crate) fn echo(&self, body: &mut Map<String, Value>) {
        if let Some(t) = self.tier {
            body.insert("serviceTier".into(), json!({"type": t.wire()}));
        }
        if let Some(o) = self.optimized {
            body.insert(
                "performanceConfig".into(),
                json!({"latency": if o { "optimized" } else { "standard" }}),
            );
        }
    }

    /// InvokeModel's response headers: the latency always, the tier when asked for.
    pub(crate) fn response_headers(&self) -> Vec<(&'static str, String)> {
        let latency = if self.optimized == Some(true) {
            "optimized"
        } else {
            "standard"
        };
        let mut out = vec![(LATENCY_HEADER, latency.to_owned())];
        if let Some(t) = self.tier {
            out.push((TIER_HEADER, t.wire().to_owned()));
        }
        out
    }
}

/// The latency a paced request reports: its time to first token and the time its
/// output takes at its rate. A number of the simulation, not of the clock, so equal
/// requests report equal latencies; `None` without pacing, when the clock's is reported.
pub(crate) fn nominal_ms(pacing: Pacing, output_tokens: u32) -> Option<u64> {
    let tps = pacing.tokens_per_second?;
    let generating = Duration::from_secs_f64(f64::from(output_tokens) / tps);
    Some((pacing.ttft + generating).as_millis() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::root;
    use bedrock_catalog::Catalog;

    fn options(body: Value) -> Result<Options> {
        Options::converse(&root(&body).expect("an object"))
    }

    fn model(id: &str) -> &'static Model {
        Catalog::builtin().get(id).expect("in the catalog")
    }

    #[test]
    fn reads_checks_and_echoes() {
        let o = options(
            json!({"serviceTier": {"type": "flex"}, "performanceConfig": {"latency": "standard"}}),
        )
        .unwrap();
        let mut echoed = Map::new();
        o.echo(&mut echoed);
        assert_eq!(
            Value::Object(echoed),
            json!({"serviceTier": {"type": "flex"}, "performanceConfig": {"latency": "standard"}})
        );
        assert!(
            o.check(model("anthropic.claude-haiku-4-5-20251001-v1:0"))
                .is_ok()
        );
        let e = o
            .check(model("anthropic.claude-3-haiku-20240307-v1:0"))
            .unwrap_err();
        assert!(e.message.contains("service tier flex"), "{}", e.message);
        let fast = options(json!({"performanceConfig": {"latency": "optimized"}})).unwrap();
        assert!(fast.check(model("amazon.nova-pro-v1:0")).is_ok());
        assert!(fast.check(model("amazon.nova-lite-v1:0")).is_err());
        for bad in [
            json!({"serviceTier": {"type": "reserved"}}),
            json!({"serviceTier": {"type": "cheapest"}}),
            json!({"performanceConfig": {"latency": "turbo"}}),
        ] {
            assert!(options(bad.clone()).is_err(), "{bad}");
        }
        let mut none = Map::new();
        Options::default().echo(&mut none);
        assert!(none.is_empty());
    }

    #[test]
    fn flex_is_twice_as_slow_and_priority_faster() {
        let base = Pacing {
            ttft: Duration::from_millis(100),
            tokens_per_second: Some(100.0),
        };
        let at = |tier| {
            let o = Options {
                tier: Some(tier),
                optimized: None,
            };
            nominal_ms(o.pacing(base), 50).unwrap()
        };
        assert_eq!(at(Tier::Default), 600);
        assert_eq!(at(Tier::Flex), 1200);
        assert_eq!(at(Tier::Priority), 480);
        assert_eq!(nominal_ms(Pacing::OFF, 50), None);
    }
}
