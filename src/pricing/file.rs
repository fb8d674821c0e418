//! The shape of `assets/prices.json`: per model, the in-region price of its bare id,
//! its profiles' and regions' prices where they differ, batch and service-tier prices and
//! non-token units.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::{CacheTtl, Price, Tier};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct PricesFile {
    pub sources: BTreeMap<String, String>,
    pub updated: String,
    pub unit: String,
    pub models: BTreeMap<String, Entry>,
}

/// The prices of one route: USD per million tokens; a price is absent where the route
/// does not offer it or no source gives it.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Route {
    pub input: Option<f64>,
    pub output: Option<f64>,
    pub cache_read: Option<f64>,
    pub cache_write_5m: Option<f64>,
    pub cache_write_1h: Option<f64>,
    pub batch: Option<Batch>,
    /// Prices of the Priority service tier; absent where no source gives them.
    pub priority: Option<TierPrice>,
    /// Prices of the Flex service tier; absent where no source gives them.
    pub flex: Option<TierPrice>,
    /// A key of the file's `sources` or a sentence saying how the price follows from
    /// one; absent when it is the entry's.
    pub source: Option<String>,
}

impl Route {
    /// The route's token price; None without both an input and an output price.
    pub fn price(&self) -> Option<Price> {
        Some(Price {
            input: self.input?,
            output: self.output?,
            cache_read: self.cache_read,
            cache_write_5m: self.cache_write_5m,
            cache_write_1h: self.cache_write_1h,
        })
    }

    /// The route's prices at `tier`, each absent where no source gives it; the tier's
    /// own `source` is absent when it is the route's.
    pub fn tier(&self, tier: Tier) -> TierPrice {
        match tier {
            Tier::Default => TierPrice {
                input: self.input,
                output: self.output,
                cache_read: self.cache_read,
                cache_write_5m: self.cache_write_5m,
                cache_write_1h: self.cache_write_1h,
                source: None,
            },
            Tier::Priority => self.priority.clone().unwrap_or_default(),
            Tier::Flex => self.flex.clone().unwrap_or_default(),
        }
    }
}

/// A route's prices at one service tier, USD per million tokens. Each is optional on
/// its own: a source may price a tier's input and output but not its cache.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TierPrice {
    pub input: Option<f64>,
    pub output: Option<f64>,
    pub cache_read: Option<f64>,
    pub cache_write_5m: Option<f64>,
    pub cache_write_1h: Option<f64>,
    /// A key of the file's `sources` or a sentence saying how the price follows from
    /// one; absent when it is the route's.
    pub source: Option<String>,
}

impl TierPrice {
    /// The price of a cache write that lives for `ttl`.
    pub fn cache_write(&self, ttl: CacheTtl) -> Option<f64> {
        match ttl {
            CacheTtl::FiveMinutes => self.cache_write_5m,
            CacheTtl::OneHour => self.cache_write_1h,
        }
    }
}

impl From<&Price> for TierPrice {
    fn from(p: &Price) -> Self {
        TierPrice {
            input: Some(p.input),
            output: Some(p.output),
            cache_read: p.cache_read,
            cache_write_5m: p.cache_write_5m,
            cache_write_1h: p.cache_write_1h,
            source: None,
        }
    }
}

/// Batch inference prices, USD per million tokens.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Batch {
    pub input: f64,
    pub output: Option<f64>,
}

/// One model of the pricing file. Its own prices are those of the bare id in a region
/// without an entry in `regions`. (Its members repeat `Route`'s rather than flatten
/// one in, because serde cannot refuse unknown members through a flattened struct.)
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub input: Option<f64>,
    pub output: Option<f64>,
    pub cache_read: Option<f64>,
    pub cache_write_5m: Option<f64>,
    pub cache_write_1h: Option<f64>,
    pub batch: Option<Batch>,
    pub priority: Option<TierPrice>,
    pub flex: Option<TierPrice>,
    /// A key of the file's `sources` (`none` when no source prices the model).
    pub source: String,
    /// Prices of the system-defined profiles by geography (`us`, `eu`, `global`, ...).
    #[serde(default)]
    pub profiles: BTreeMap<String, Route>,
    /// Prices of the bare id in regions where it differs (`us-gov-west-1`, ...).
    #[serde(default)]
    pub regions: BTreeMap<String, Route>,
    /// Prices per unit other than tokens: `image`, `video_second`, `audio_second`,
    /// `query` (input) and `output_video_second`, in USD per unit.
    #[serde(default)]
    pub per_unit: BTreeMap<String, f64>,
    /// Why an entry has no price.
    pub note: Option<String>,
}

impl Entry {
    /// The bare id's route outside the regions priced apart.
    pub fn own(&self) -> Route {
        Route {
            input: self.input,
            output: self.output,
            cache_read: self.cache_read,
            cache_write_5m: self.cache_write_5m,
            cache_write_1h: self.cache_write_1h,
            batch: self.batch,
            priority: self.priority.clone(),
            flex: self.flex.clone(),
            source: Some(self.source.clone()),
        }
    }
}
