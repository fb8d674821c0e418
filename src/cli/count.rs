//! `bedrock-tui count`: the input tokens a prompt would send (CountTokens where the
//! model supports it, else an estimate, said so) and the cost range of the turn.

use std::io::Write;

use clap::Args;
use serde_json::json;

use super::common::{ConnectArgs, OneShot, PromptArgs};
use super::output;
use crate::bedrock::{self, TokenCount};
use crate::catalog::Catalog;
use crate::pricing::{self, Price, PriceSource, Prices};

#[derive(Debug, Args)]
pub struct Count {
    #[command(flatten)]
    pub input: PromptArgs,
    /// Longest answer, for the top of the cost range [default: the config's
    /// `max_tokens`, else the model's output limit].
    #[arg(long)]
    pub max_tokens: Option<u32>,
    /// Print a JSON object instead of text.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub connect: ConnectArgs,
}

/// Counts the prompt; what the flags leave out comes from `config`.
pub async fn run(args: Count, config: crate::config::Config) -> anyhow::Result<()> {
    let OneShot { conn, turn: req } = OneShot::start(&args.input, &args.connect, &config).await?;
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
    let priced = Prices::builtin()
        .with_overrides(&config.prices)
        .lookup_with_source(model_id, &conn.region);
    let report = Report {
        model: model_id,
        count,
        max_output,
        priced: priced.as_ref(),
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
            None => s.push_str("price unknown\n"),
        }
        s
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
        json!({
            "model": self.model,
            "inputTokens": self.count.tokens,
            "exact": self.count.exact,
            "maxOutputTokens": self.max_output,
            "price": price,
            "costUsd": cost,
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
        };
        assert_eq!(
            r.text(),
            "acme.x: 7 input tokens, estimate (cl100k, not the model's tokenizer)\nprice unknown\n"
        );
        assert_eq!(r.json()["price"], serde_json::Value::Null);
        assert_eq!(r.json()["costUsd"], serde_json::Value::Null);
    }
}
