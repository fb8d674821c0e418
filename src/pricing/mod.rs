//! Model prices as data: the built-in pricing file (`assets/prices.json`), the user's
//! overrides from the config, the price of a call by the id it invokes at a service
//! tier, and what a turn costs.

mod file;
#[cfg(test)]
mod tests;
mod tier;

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::Deserialize;

use crate::catalog::Geo;
use crate::conversation::Usage;

pub use file::{Batch, Entry, Route, TierPrice};
pub use tier::{CacheTtl, PartCost, Tier, TurnCost, TurnUsage, UnknownTier};

/// Prices of one route of a model, in USD per million tokens.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Price {
    pub input: f64,
    pub output: f64,
    pub cache_read: Option<f64>,
    pub cache_write_5m: Option<f64>,
    pub cache_write_1h: Option<f64>,
}

/// A price the user sets in the config (`[prices."ID"]`), in USD per million tokens;
/// `cache_write` is the 5-minute cache write.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PriceOverride {
    pub input: f64,
    pub output: f64,
    pub cache_read: Option<f64>,
    pub cache_write: Option<f64>,
    pub cache_write_1h: Option<f64>,
}

impl From<&PriceOverride> for Price {
    fn from(o: &PriceOverride) -> Self {
        Price {
            input: o.input,
            output: o.output,
            cache_read: o.cache_read,
            cache_write_5m: o.cache_write,
            cache_write_1h: o.cache_write_1h,
        }
    }
}

/// Where a price came from, for saying so next to a cost.
#[derive(Debug, Clone, PartialEq)]
pub enum PriceSource {
    /// The user's config.
    Config,
    /// The built-in pricing file; the text names its source and date.
    Builtin(String),
}

impl std::fmt::Display for PriceSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PriceSource::Config => f.write_str("config [prices]"),
            PriceSource::Builtin(s) => f.write_str(s),
        }
    }
}

/// The price table: the pricing file's entries and the user's overrides.
#[derive(Debug, Clone, PartialEq)]
pub struct Prices {
    /// Source keys of the file (`litellm`, `aws`) and what each one is.
    pub sources: BTreeMap<String, String>,
    /// When the file's prices were taken from their sources.
    pub updated: String,
    /// What the file's numbers are in.
    pub unit: String,
    models: BTreeMap<String, Entry>,
    overrides: BTreeMap<String, Price>,
}

impl Prices {
    /// Parses a pricing file's text.
    pub fn from_json(text: &str) -> Result<Self, serde_json::Error> {
        let f: file::PricesFile = serde_json::from_str(text)?;
        Ok(Prices {
            sources: f.sources,
            updated: f.updated,
            unit: f.unit,
            models: f.models,
            overrides: BTreeMap::new(),
        })
    }

    /// The prices built into the binary.
    pub fn builtin() -> &'static Prices {
        static PRICES: OnceLock<Prices> = OnceLock::new();
        PRICES.get_or_init(|| {
            // The asset is compiled in and checked by this module's tests, so a parse
            // failure here is a build defect, not a runtime condition.
            Prices::from_json(include_str!("../../assets/prices.json"))
                .expect("assets/prices.json is a valid pricing file")
        })
    }

    /// These prices with the config's `[prices]` over them.
    pub fn with_overrides(&self, o: &BTreeMap<String, PriceOverride>) -> Prices {
        let mut out = self.clone();
        out.overrides
            .extend(o.iter().map(|(id, p)| (id.clone(), Price::from(p))));
        out
    }

    /// The file's entry of a bare model id.
    pub fn entry(&self, model_id: &str) -> Option<&Entry> {
        self.models.get(model_id)
    }

    /// Every model id the file has an entry for.
    pub fn model_ids(&self) -> impl Iterator<Item = &str> {
        self.models.keys().map(String::as_str)
    }

    /// Price of a call to `invoked` (bare id, geo/global profile id, either ARN form), in `region`; None = unknown.
    pub fn lookup(&self, invoked: &str, region: &str) -> Option<Price> {
        self.lookup_with_source(invoked, region).map(|(p, _)| p)
    }

    /// [`Prices::lookup`], with where the price came from.
    ///
    /// An override of the exact id wins, then one of the bare model id (a user's own
    /// rate usually covers every route), then the file's route: a profile's own, or
    /// the bare id's in `region` (or in general). A profile the file does not list is
    /// unknown rather than guessed from the bare id, since profiles of the newest
    /// models cost more than the bare id.
    pub fn lookup_with_source(&self, invoked: &str, region: &str) -> Option<(Price, PriceSource)> {
        match self.resolve(invoked, region)? {
            Resolved::Override(p) => Some((p, PriceSource::Config)),
            Resolved::File { entry, route } => {
                let source = self.describe(route.source.as_deref().unwrap_or(&entry.source));
                route.price().map(|p| (p, source))
            }
        }
    }

    /// The prices of a call to `invoked` in `region` at `tier`, each absent where no
    /// source gives it; None when the route itself is unknown (as for [`Prices::lookup`]).
    ///
    /// An override in the config prices the default tier alone: a user's own rate says
    /// nothing about what Priority or Flex cost them, so those are unknown under it.
    pub fn tier_price(
        &self,
        invoked: &str,
        region: &str,
        tier: Tier,
    ) -> Option<(TierPrice, PriceSource)> {
        match self.resolve(invoked, region)? {
            Resolved::Override(p) => {
                let price = match tier {
                    Tier::Default => TierPrice::from(&p),
                    Tier::Priority | Tier::Flex => TierPrice::default(),
                };
                Some((price, PriceSource::Config))
            }
            Resolved::File { entry, route } => {
                let price = route.tier(tier);
                let source = price
                    .source
                    .as_deref()
                    .or(route.source.as_deref())
                    .unwrap_or(&entry.source);
                let source = self.describe(source);
                Some((price, source))
            }
        }
    }

    /// The batch inference price of `invoked` in `region`, with its source; None when
    /// no source gives one. A config override prices on-demand calls alone, so it says
    /// nothing here.
    pub fn batch_price(&self, invoked: &str, region: &str) -> Option<(Price, PriceSource)> {
        let Resolved::File { entry, route } = self.resolve(invoked, region)? else {
            return None;
        };
        let batch = route.batch?;
        let price = Price {
            input: batch.input,
            output: batch.output?,
            cache_read: None,
            cache_write_5m: None,
            cache_write_1h: None,
        };
        let source = route.source.as_deref().unwrap_or(&entry.source);
        Some((price, self.describe(source)))
    }

    /// What `usage` costs on a call to `invoked` in `region` at `tier`, part by part;
    /// None when the route is unknown. A part whose price the tier lacks is reported
    /// as unknown, not guessed.
    pub fn price_turn(
        &self,
        invoked: &str,
        region: &str,
        tier: Tier,
        usage: &TurnUsage,
    ) -> Option<TurnCost> {
        let (price, source) = self.tier_price(invoked, region, tier)?;
        let part = |tokens, usd_per_million| PartCost {
            tokens,
            usd_per_million,
        };
        Some(TurnCost {
            tier,
            input: part(usage.input, price.input),
            output: part(usage.output, price.output),
            cache_read: part(usage.cache_read, price.cache_read),
            cache_write_5m: part(
                usage.cache_write_5m,
                price.cache_write(CacheTtl::FiveMinutes),
            ),
            cache_write_1h: part(usage.cache_write_1h, price.cache_write(CacheTtl::OneHour)),
            source,
        })
    }

    /// The route a call to `invoked` in `region` is priced by, chosen as
    /// [`Prices::lookup_with_source`] says.
    fn resolve(&self, invoked: &str, region: &str) -> Option<Resolved<'_>> {
        let target = Target::parse(invoked, region);
        let overridden = self
            .overrides
            .get(invoked)
            .or_else(|| self.overrides.get(target.id))
            .or_else(|| self.overrides.get(target.model));
        if let Some(p) = overridden {
            return Some(Resolved::Override(*p));
        }
        let entry = self.models.get(target.model)?;
        let route = match target.geo {
            Some(geo) => entry.profiles.get(geo.prefix())?.clone(),
            None => entry
                .regions
                .get(target.region)
                .cloned()
                .unwrap_or_else(|| entry.own()),
        };
        Some(Resolved::File {
            entry,
            route: Box::new(route),
        })
    }

    /// A source key (or sentence) with its short name and the file's date, for saying
    /// where a price came from.
    fn describe(&self, source: &str) -> PriceSource {
        PriceSource::Builtin(match self.sources.get(source) {
            Some(name) => format!(
                "{source} ({}), prices of {}",
                first_part(name),
                self.updated
            ),
            None => format!("{source}, prices of {}", self.updated),
        })
    }
}

/// Where a call's prices are read from.
enum Resolved<'a> {
    Override(Price),
    File { entry: &'a Entry, route: Box<Route> },
}

/// The short name of a source: its description up to the first comma.
fn first_part(s: &str) -> &str {
    s.split(',').next().unwrap_or(s).trim()
}

/// What a model identifier names, for pricing.
struct Target<'a> {
    /// The id without an ARN's prefix: a bare or profile id.
    id: &'a str,
    /// The bare model id.
    model: &'a str,
    geo: Option<Geo>,
    /// The ARN's region when the identifier is an ARN, else the caller's.
    region: &'a str,
}

impl<'a> Target<'a> {
    fn parse(invoked: &'a str, region: &'a str) -> Self {
        let (id, region) = match invoked.strip_prefix("arn:") {
            // arn:PARTITION:bedrock:REGION:ACCOUNT:RESOURCE-TYPE/ID
            Some(rest) => {
                let arn_region = rest.split(':').nth(2).filter(|r| !r.is_empty());
                let id = invoked.rsplit_once('/').map_or(invoked, |(_, id)| id);
                (id, arn_region.unwrap_or(region))
            }
            None => (invoked, region),
        };
        // Geo::ALL names `us-gov` before `us`, so the longer prefix is tried first.
        let profile = Geo::ALL.iter().find_map(|g| {
            id.strip_prefix(g.prefix())
                .and_then(|r| r.strip_prefix('.'))
                .map(|m| (*g, m))
        });
        match profile {
            Some((geo, model)) => Target {
                id,
                model,
                geo: Some(geo),
                region,
            },
            None => Target {
                id,
                model: id,
                geo: None,
                region,
            },
        }
    }
}

/// USD of `usage` at `price` (cache_read/cache_write tokens at their prices; a cache price that is unknown makes those tokens cost as input).
///
/// Bedrock reports cache reads and writes apart from `input`, so the three add up.
/// A cache write is priced as a 5-minute write: usage does not say which cache it went to.
pub fn cost(usage: &Usage, price: &Price) -> f64 {
    let per = |tokens: u32, usd_per_million: f64| f64::from(tokens) * usd_per_million / 1e6;
    per(usage.input, price.input)
        + per(usage.output, price.output)
        + per(usage.cache_read, price.cache_read.unwrap_or(price.input))
        + per(
            usage.cache_write,
            price.cache_write_5m.unwrap_or(price.input),
        )
}

/// The cost range of a turn before it is sent: input cost, plus 0..=max_output output tokens.
pub fn turn_range(input_tokens: u32, max_output: u32, price: &Price) -> (f64, f64) {
    let input = cost(
        &Usage {
            input: input_tokens,
            ..Usage::default()
        },
        price,
    );
    let output = cost(
        &Usage {
            output: max_output,
            ..Usage::default()
        },
        price,
    );
    (input, input + output)
}

/// Dollars for a person: cents from a cent up ("$1.23"), two significant digits below
/// ("$0.0042"), so a cheap turn does not read as free.
pub fn format_usd(v: f64) -> String {
    if !v.is_finite() {
        return "$?".into();
    }
    let sign = if v < 0.0 { "-" } else { "" };
    let a = v.abs();
    if a == 0.0 {
        return "$0.00".into();
    }
    // Cents from a dollar up; below that two significant digits, so that a range
    // such as $0.046–$0.051 does not read as $0.05–$0.05.
    if a >= 1.0 {
        return format!("{sign}${a:.2}");
    }
    const MAX_DECIMALS: i32 = 8;
    if a < 0.5e-8 {
        return format!("{sign}<$0.00000001");
    }
    let decimals = (1 - a.log10().floor() as i32).clamp(2, MAX_DECIMALS);
    format!("{sign}${a:.*}", decimals as usize)
}
