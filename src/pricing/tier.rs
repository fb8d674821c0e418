//! Pricing a turn by service tier and cache TTL: which tier a request is served at,
//! how long its cache writes live, what each kind of token costs at that tier (or that
//! its price is unknown), and what the same tokens would cost without the cache.

use serde::{Deserialize, Serialize};

use crate::conversation::Usage;

use super::PriceSource;

pub use crate::conversation::{Tier, UnknownTier};

/// How long a prompt-cache write lives; a write to the 1-hour cache costs more than
/// one to the 5-minute cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum CacheTtl {
    #[default]
    #[serde(rename = "5m")]
    FiveMinutes,
    #[serde(rename = "1h")]
    OneHour,
}

/// The tokens of a turn, with its cache writes split by how long they live.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TurnUsage {
    pub input: u32,
    pub output: u32,
    pub cache_read: u32,
    pub cache_write_5m: u32,
    pub cache_write_1h: u32,
}

impl TurnUsage {
    /// `usage` with every cache write counted at `ttl`: Bedrock's usage does not say
    /// which cache a write went to, but the request's cache points do.
    pub fn new(usage: &Usage, ttl: CacheTtl) -> Self {
        let (cache_write_5m, cache_write_1h) = match ttl {
            CacheTtl::FiveMinutes => (usage.cache_write, 0),
            CacheTtl::OneHour => (0, usage.cache_write),
        };
        TurnUsage {
            input: usage.input,
            output: usage.output,
            cache_read: usage.cache_read,
            cache_write_5m,
            cache_write_1h,
        }
    }
}

/// One kind of token of a turn and its price.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PartCost {
    pub tokens: u32,
    /// USD per million tokens; None when no source gives this price at the tier.
    pub usd_per_million: Option<f64>,
}

impl PartCost {
    /// USD of the part; None when its tokens have no price. No tokens cost nothing
    /// whether or not their price is known.
    pub fn usd(&self) -> Option<f64> {
        if self.tokens == 0 {
            return Some(0.0);
        }
        self.usd_per_million
            .map(|p| f64::from(self.tokens) * p / 1e6)
    }
}

/// What a turn costs at one tier, part by part. Unlike [`super::cost`], a cache price
/// that is unknown is not replaced by the input price: the turn's cost is then unknown.
#[derive(Debug, Clone, PartialEq)]
pub struct TurnCost {
    pub tier: Tier,
    pub input: PartCost,
    pub output: PartCost,
    pub cache_read: PartCost,
    pub cache_write_5m: PartCost,
    pub cache_write_1h: PartCost,
    /// Where the tier's prices came from.
    pub source: PriceSource,
}

impl TurnCost {
    /// Each part with its name as the meter writes it.
    pub fn parts(&self) -> [(&'static str, PartCost); 5] {
        [
            ("input", self.input),
            ("output", self.output),
            ("cache read", self.cache_read),
            ("cache write 5m", self.cache_write_5m),
            ("cache write 1h", self.cache_write_1h),
        ]
    }

    /// USD of the turn; None when some of its tokens have no price at the tier.
    pub fn usd(&self) -> Option<f64> {
        self.parts().iter().map(|(_, p)| p.usd()).sum()
    }

    /// USD of the parts whose price is known: what the turn costs at least.
    pub fn known_usd(&self) -> f64 {
        self.parts().iter().filter_map(|(_, p)| p.usd()).sum()
    }

    /// The names of the parts that have tokens but no price.
    pub fn unknown(&self) -> Vec<&'static str> {
        self.parts()
            .into_iter()
            .filter(|(_, p)| p.usd().is_none())
            .map(|(name, _)| name)
            .collect()
    }

    /// USD of the same tokens without the cache, every cache read and write priced as
    /// input at this tier; None without the prices that needs.
    pub fn uncached_usd(&self) -> Option<f64> {
        let tokens: f64 = [
            self.input.tokens,
            self.cache_read.tokens,
            self.cache_write_5m.tokens,
            self.cache_write_1h.tokens,
        ]
        .into_iter()
        .map(f64::from)
        .sum();
        let as_input = if tokens == 0.0 {
            0.0
        } else {
            tokens * self.input.usd_per_million? / 1e6
        };
        Some(as_input + self.output.usd()?)
    }

    /// What the cache saved against [`TurnCost::uncached_usd`]; negative when writes
    /// cost more than reads saved.
    pub fn saving(&self) -> Option<f64> {
        Some(self.uncached_usd()? - self.usd()?)
    }
}
