//! `bedrock-tui count`: the input tokens a prompt would send (CountTokens where the
//! model supports it, else an estimate, said so) and the cost range of the turn.

use std::io::Write;

use clap::Args;
use serde_json::json;

use super::common::{ConnectArgs, OneShot, PromptArgs};
use super::output;
use crate::bedrock::{self, TokenCount};
use crate::catalog::Catalog;
use crate::conversation::{Cache, Tier};
use crate::pricing::{self, Price, PriceSource, Prices};

#[derive(Debug, Args)]
pub struct Count {
    #[command(flatten)]
    pub input: PromptArgs,
    /// Longest answer, for the top of the cost range [default: the config's
    /// `max_tokens`, else the model's output limit].
    #[arg(long)]
    pub max_tokens: Option<u32>,
    /// Price the turn at this service tier: default, priority or flex.
    #[arg(long, value_name = "TIER")]
    pub tier: Option<crate::conversation::Tier>,
    /// With prompt caching (5m or 1h): what writing the prompt to the cache costs, and
    /// what a later turn reading it pays instead.
    #[arg(long, value_name = "TTL", value_parser = parse_cache)]
    pub cache: Option<crate::conversation::Cache>,
    /// Print a JSON object instead of text.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub connect: ConnectArgs,
}

fn parse_cache(s: &str) -> Result<crate::conversation::Cache, String> {
    crate::conversation::Cache::parse(s).ok_or_else(|| format!("{s:?}: use off, 5m or 1h"))
}

/// Counts the prompt; what the flags leave out comes from `config`.
pub async fn run(args: Count, config: crate::config::Config) -> anyhow::Result<()> {
    let OneShot {
        conn,
        turn: mut req,
    } = OneShot::start(&args.input, &args.connect, &config).await?;
    let tier = args.tier.or(config.inference.tier).unwrap_or_default();
    req.inference.cache = args.cache.unwrap_or(config.inference.cache);
    let model_id = &req.model_id;
    let max_output = args
        .max_tokens
        .or(config.inference.max_tokens)
        .or_else(|| {
            Catalog::builtin()
                .lookup(model_id)
                .map(|m| m.max_output_tokens)
        })
        .unwrap_or(0);
    let count = bedrock::count_input(&conn, &req).await?;
    let prices = Prices::builtin().with_overrides(&config.prices);
    let priced = match tier {
        Tier::Default => prices.lookup_with_source(model_id, &conn.region),
        tier => prices
            .tier_price(model_id, &conn.region, tier)
            .and_then(|(p, source)| {
                Some((
                    Price {
                        input: p.input?,
                        output: p.output?,
                        cache_read: p.cache_read,
                        cache_write_5m: p.cache_write_5m,
                        cache_write_1h: p.cache_write_1h,
                    },
                    source,
                ))
            }),
    };
    let model = Catalog::builtin().lookup(model_id);
    let caching = model.and_then(crate::app::cache::caching);
    let cache = match req.inference.cache {
        Cache::Off => None,
        ttl => Some(CacheReport {
            ttl: if caching.is_some_and(|c| c.one_hour) {
                ttl
            } else {
                Cache::FiveMinutes
            },
            planned: crate::app::cache::plan(
                ttl,
                model,
                req.system.as_deref(),
                req.tools.as_ref(),
                &req.messages,
            )
            .is_some(),
            min_tokens: caching.map(|c| c.min_tokens),
        }),
    };
    let report = Report {
        model: model_id,
        count,
        max_output,
        priced: priced.as_ref(),
        tier,
        cache,
    };
    let mut out = output::stdout();
    if args.json {
        output::json(&mut out, &report.json())?;
    } else {
        write!(out, "{}", report.text())?;
    }
    Ok(())
}

/// What `count` found, ready to print.
struct Report<'a> {
    model: &'a str,
    count: TokenCount,
    max_output: u32,
    priced: Option<&'a (Price, PriceSource)>,
    tier: Tier,
    cache: Option<CacheReport>,
}

/// Prompt caching asked of `count`.
struct CacheReport {
    /// The TTL the model keeps (1h falls back to 5m where it does not).
    ttl: Cache,
    /// Whether the prompt gets a checkpoint: long enough, on a model that caches.
    planned: bool,
    /// The model's fewest tokens a checkpoint needs; `None` if it does not cache.
    min_tokens: Option<u32>,
}

/// What caching the prompt costs: writing it, a later turn reading it, and the same
/// tokens sent uncached. `None` when a cache price is unknown.
fn cache_costs(tokens: u32, ttl: Cache, p: &Price) -> Option<(f64, f64, f64)> {
    let write = match ttl {
        Cache::OneHour => p.cache_write_1h?,
        _ => p.cache_write_5m?,
    };
    let n = f64::from(tokens) / 1e6;
    Some((n * write, n * p.cache_read?, n * p.input))
}

impl Report<'_> {
    fn kind(&self) -> &'static str {
        if self.count.exact {
            "exact (CountTokens)"
        } else {
            "estimate (cl100k, not the model's tokenizer)"
        }
    }

    fn text(&self) -> String {
        let mut s = format!(
            "{}: {} input tokens, {}\n",
            self.model,
            self.count.tokens,
            self.kind()
        );
        match self.priced {
            Some((price, source)) => {
                let (min, max) = pricing::turn_range(self.count.tokens, self.max_output, price);
                s.push_str(&format!(
                    "cost: {} for the input … {} with up to {} output tokens\n",
                    pricing::format_usd(min),
                    pricing::format_usd(max),
                    self.max_output
                ));
                s.push_str(&format!(
                    "price: {} input, {} output per 1M tokens{}{} (source: {source})\n",
                    usd_per_million(price.input),
                    usd_per_million(price.output),
                    price
                        .cache_read
                        .map(|p| format!(", {} cache read", usd_per_million(p)))
                        .unwrap_or_default(),
                    price
                        .cache_write_5m
                        .map(|p| format!(", {} cache write", usd_per_million(p)))
                        .unwrap_or_default(),
                ));
            }
            None if self.tier != Tier::Default => {
                s.push_str(&format!("price unknown at the {} tier\n", self.tier))
            }
            None => s.push_str("price unknown\n"),
        }
        if self.tier != Tier::Default {
            s.push_str(&format!("tier: {}\n", self.tier));
        }
        if let Some(c) = &self.cache {
            s.push_str(&self.cache_text(c));
        }
        s
    }

    fn cache_text(&self, c: &CacheReport) -> String {
        let Some(min) = c.min_tokens else {
            return format!("cache: {} does not cache prompts\n", self.model);
        };
        if !c.planned {
            return format!(
                "cache {}: the prompt is too short to cache ({min} tokens a checkpoint)\n",
                c.ttl.name()
            );
        }
        match self
            .priced
            .and_then(|(p, _)| cache_costs(self.count.tokens, c.ttl, p))
        {
            Some((write, read, uncached)) => format!(
                "cache {}: writing the prompt costs {}; a later turn reading it pays {} for it instead of {} (saves {})\n",
                c.ttl.name(),
                pricing::format_usd(write),
                pricing::format_usd(read),
                pricing::format_usd(uncached),
                pricing::format_usd(uncached - read)
            ),
            None => format!("cache {}: cache price unknown\n", c.ttl.name()),
        }
    }

    fn json(&self) -> serde_json::Value {
        let (price, cost) = match self.priced {
            Some((p, source)) => {
                let (min, max) = pricing::turn_range(self.count.tokens, self.max_output, p);
                (
                    json!({
                        "input": p.input,
                        "output": p.output,
                        "cacheRead": p.cache_read,
                        "cacheWrite5m": p.cache_write_5m,
                        "cacheWrite1h": p.cache_write_1h,
                        "unit": "USD per 1M tokens",
                        "source": source.to_string(),
                    }),
                    json!({ "min": min, "max": max }),
                )
            }
            None => (serde_json::Value::Null, serde_json::Value::Null),
        };
        let cache = self.cache.as_ref().map(|c| {
            let costs = c
                .planned
                .then(|| {
                    self.priced
                        .and_then(|(p, _)| cache_costs(self.count.tokens, c.ttl, p))
                })
                .flatten();
            json!({
                "ttl": c.ttl.name(),
                "cached": c.planned,
                "minTokens": c.min_tokens,
                "writeUsd": costs.map(|c| c.0),
                "readUsd": costs.map(|c| c.1),
                "uncachedUsd": costs.map(|c| c.2),
            })
        });
        json!({
            "model": self.model,
            "inputTokens": self.count.tokens,
            "exact": self.count.exact,
            "maxOutputTokens": self.max_output,
            "tier": self.tier.as_str(),
            "price": price,
            "costUsd": cost,
            "cache": cache,
        })
    }
}

/// A per-million price as the pricing page writes it: "$3.30", "$0.035".
fn usd_per_million(v: f64) -> String {
    let cents = format!("{v:.2}");
    if cents.parse::<f64>().is_ok_and(|c| (c - v).abs() < 1e-9) {
        format!("${cents}")
    } else {
        format!("${}", format!("{v:.6}").trim_end_matches('0'))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_million_prices_read_as_the_pricing_page_writes_them() {
        assert_eq!(usd_per_million(3.3), "$3.30");
        assert_eq!(usd_per_million(15.0), "$15.00");
        assert_eq!(usd_per_million(4.125), "$4.125");
        assert_eq!(usd_per_million(0.035), "$0.035");
        assert_eq!(usd_per_million(0.00875), "$0.00875");
    }

    #[test]
    fn an_unpriced_report_says_price_unknown() {
        let r = Report {
            model: "acme.x",
            count: TokenCount {
                tokens: 7,
                exact: false,
            },
            max_output: 10,
            priced: None,
            tier: Tier::Default,
            cache: None,
        };
        assert_eq!(
            r.text(),
            "acme.x: 7 input tokens, estimate (cl100k, not the model's tokenizer)\nprice unknown\n"
        );
        assert_eq!(r.json()["price"], serde_json::Value::Null);
        assert_eq!(r.json()["costUsd"], serde_json::Value::Null);
    }
}
