//! Tests of the pricing file and lookups: every catalog model has an entry, the file
//! agrees with the LiteLLM reference, and lookups, overrides and costs come out right.

use std::collections::BTreeMap;

use super::*;
use crate::catalog::Catalog;

const SONNET45: &str = "anthropic.claude-sonnet-4-5-20250929-v1:0";
const HAIKU45: &str = "anthropic.claude-haiku-4-5-20251001-v1:0";
const NOVA_PRO: &str = "amazon.nova-pro-v1:0";

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1e-12)
}

#[test]
fn every_catalog_model_has_an_entry_and_every_entry_is_a_catalog_model() {
    let p = Prices::builtin();
    assert!(!p.updated.is_empty());
    assert!(p.sources.contains_key("litellm") && p.sources.contains_key("aws"));
    for m in &Catalog::builtin().models {
        let e = p
            .entry(&m.id)
            .unwrap_or_else(|| panic!("no price entry for {}", m.id));
        let source = e.source.as_str();
        assert!(
            p.sources.contains_key(source) || source == "none",
            "{}: unknown source {source}",
            m.id
        );
        let priced = e.input.is_some() || !e.per_unit.is_empty() || !e.profiles.is_empty();
        assert!(priced || e.note.is_some(), "{}: no price and no note", m.id);
        // A text model is priced by the token; a video model by the second, never by the token.
        if m.output_modalities == ["text"] {
            assert!(e.own().price().is_some(), "{}: no token price", m.id);
        }
        if m.output_modalities == ["video"] {
            assert!(e.input.is_none() && e.output.is_none(), "{}", m.id);
            assert!(e.per_unit.contains_key("output_video_second"), "{}", m.id);
        }
    }
    for id in p.model_ids() {
        assert!(
            Catalog::builtin().get(id).is_some(),
            "{id} is not in the catalog"
        );
    }
}

/// The reference's key of a route of `model`, as LiteLLM names it.
fn litellm_keys(model: &str, e: &Entry) -> Vec<(String, Route)> {
    let mut keys = vec![(model.to_owned(), e.own())];
    keys.extend(
        e.profiles
            .iter()
            .map(|(geo, r)| (format!("{geo}.{model}"), r.clone())),
    );
    keys.extend(
        e.regions
            .iter()
            .map(|(region, r)| (format!("bedrock/{region}/{model}"), r.clone())),
    );
    keys
}

/// The LiteLLM reference table, keyed by model or profile id; None (and the test
/// skipped) where the shared reference files are not checked out.
fn litellm_reference() -> Option<serde_json::Value> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/reference/litellm-bedrock-prices.json"
    );
    let Ok(text) = std::fs::read_to_string(path) else {
        eprintln!("skipped: {path} is absent");
        return None;
    };
    Some(serde_json::from_str(&text).unwrap())
}

#[test]
fn prices_agree_with_the_litellm_reference() {
    let Some(reference) = litellm_reference() else {
        return;
    };
    let p = Prices::builtin();
    let mut checked = 0;
    for id in p.model_ids() {
        let e = p.entry(id).unwrap();
        for (key, route) in litellm_keys(id, e) {
            let Some(r) = reference.get(&key) else {
                continue;
            };
            // A route derived from a rule or taken from another source.
            let source = route.source.as_deref().unwrap_or(&e.source);
            if source != "litellm" {
                continue;
            }
            let fields = [
                ("input_cost_per_token", route.input),
                ("output_cost_per_token", route.output),
                ("cache_read_input_token_cost", route.cache_read),
                ("cache_creation_input_token_cost", route.cache_write_5m),
                (
                    "cache_creation_input_token_cost_above_1hr",
                    route.cache_write_1h,
                ),
                ("input_cost_per_token_batches", route.batch.map(|b| b.input)),
                (
                    "output_cost_per_token_batches",
                    route.batch.and_then(|b| b.output),
                ),
            ];
            for (field, ours) in fields {
                let theirs = r.get(field).and_then(|v| v.as_f64()).map(|v| v * 1e6);
                match (ours, theirs) {
                    (Some(a), Some(b)) => assert!(close(a, b), "{key} {field}: {a} != {b}"),
                    (None, None) => {}
                    // An embedding model's output price is a zero that means "none".
                    (None, Some(b))
                        if field == "output_cost_per_token"
                            && b == 0.0
                            && route.input.is_none() => {}
                    _ => panic!("{key} {field}: ours {ours:?}, reference {theirs:?}"),
                }
                checked += 1;
            }
            for (unit, ours) in &e.per_unit {
                let field = match unit.as_str() {
                    "image" => "input_cost_per_image",
                    "video_second" => "input_cost_per_video_per_second",
                    "audio_second" => "input_cost_per_audio_per_second",
                    "query" => "input_cost_per_query",
                    _ => continue,
                };
                if key == id {
                    let theirs = r.get(field).and_then(|v| v.as_f64());
                    assert_eq!(theirs, Some(*ours), "{key} {field}");
                }
            }
        }
    }
    assert!(checked > 300, "only {checked} prices were compared");
}

#[test]
fn lookup_by_bare_id_profile_and_arn() {
    let p = Prices::builtin();
    let global = p
        .lookup(&format!("global.{SONNET45}"), "us-east-1")
        .unwrap();
    assert_eq!(global.input, 3.0);
    assert_eq!(global.output, 15.0);
    assert_eq!(global.cache_read, Some(0.3));
    assert_eq!(global.cache_write_5m, Some(3.75));
    assert_eq!(global.cache_write_1h, Some(6.0));
    // The geo profiles of the newest Claude models cost 10% more than global.
    let us = p.lookup(&format!("us.{SONNET45}"), "us-west-2").unwrap();
    assert!(close(us.input, 3.3) && close(us.output, 16.5), "{us:?}");
    assert!(close(us.input, global.input * 1.1));
    assert!(close(us.cache_write_5m.unwrap(), 4.125));
    let eu = p.lookup(&format!("eu.{HAIKU45}"), "eu-west-1").unwrap();
    assert!(close(eu.input, 1.1) && close(eu.output, 5.5));
    let gov = p
        .lookup(&format!("us-gov.{SONNET45}"), "us-gov-west-1")
        .unwrap();
    assert!(close(gov.input, 3.6));

    let bare = p.lookup(NOVA_PRO, "us-east-1").unwrap();
    assert_eq!((bare.input, bare.output), (0.8, 3.2));
    assert_eq!(bare.cache_write_5m, None);
    // The bare id in a region priced apart.
    let gov = p.lookup(NOVA_PRO, "us-gov-west-1").unwrap();
    assert_eq!(gov.input, 0.96);
    let apac = p.lookup(&format!("apac.{NOVA_PRO}"), "ap-south-1").unwrap();
    assert_eq!(apac.input, 0.84);

    let fm_arn = format!("arn:aws:bedrock:us-gov-west-1::foundation-model/{NOVA_PRO}");
    assert_eq!(p.lookup(&fm_arn, "us-east-1").unwrap().input, 0.96);
    let profile_arn =
        format!("arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.{SONNET45}");
    assert_eq!(p.lookup(&profile_arn, "us-east-1"), Some(us));
}

#[test]
fn unknown_models_and_unpriced_routes_have_no_price() {
    let p = Prices::builtin();
    assert_eq!(p.lookup("acme.imaginary-v1:0", "us-east-1"), None);
    assert_eq!(p.lookup("us.acme.imaginary-v1:0", "us-east-1"), None);
    // Priced by the second of video, not by the token.
    assert_eq!(p.lookup("amazon.nova-reel-v1:1", "us-east-1"), None);
    // A profile the file does not price is not guessed from the bare id.
    assert_eq!(
        p.lookup("apac.anthropic.claude-opus-4-5-20251101-v1:0", "ap-south-1"),
        None
    );
    let custom = "arn:aws:bedrock:us-east-1:123456789012:custom-model/abc";
    assert_eq!(p.lookup(custom, "us-east-1"), None);
}

fn sample_override() -> PriceOverride {
    PriceOverride {
        input: 2.0,
        output: 10.0,
        cache_read: Some(0.2),
        cache_write: None,
        cache_write_1h: None,
    }
}

#[test]
fn overrides_win_and_add_prices() {
    let mut o = BTreeMap::new();
    o.insert(SONNET45.to_owned(), sample_override());
    o.insert("acme.imaginary-v1:0".to_owned(), sample_override());
    let mut profile = sample_override();
    profile.input = 2.5;
    o.insert(format!("eu.{SONNET45}"), profile);
    let p = Prices::builtin().with_overrides(&o);
    let (us, source) = p
        .lookup_with_source(&format!("us.{SONNET45}"), "us-east-1")
        .unwrap();
    assert_eq!(
        us.input, 2.0,
        "an override of the bare id covers its profiles"
    );
    assert_eq!(source, PriceSource::Config);
    assert_eq!(
        p.lookup(&format!("eu.{SONNET45}"), "eu-west-1")
            .unwrap()
            .input,
        2.5,
        "an override of the exact profile wins over the bare id's"
    );
    assert_eq!(
        p.lookup("acme.imaginary-v1:0", "us-east-1").unwrap().output,
        10.0
    );
    // Other models keep the file's prices, and the original table is unchanged.
    assert_eq!(p.lookup(NOVA_PRO, "us-east-1").unwrap().input, 0.8);
    assert!(close(
        Prices::builtin()
            .lookup(&format!("us.{SONNET45}"), "us-east-1")
            .unwrap()
            .input,
        3.3
    ));
    let (_, source) = Prices::builtin()
        .lookup_with_source(SONNET45, "us-east-1")
        .unwrap();
    let PriceSource::Builtin(s) = source else {
        panic!("{source:?}")
    };
    assert!(
        s.contains("LiteLLM") && s.contains(&Prices::builtin().updated),
        "{s}"
    );
}

#[test]
fn cost_prices_each_kind_of_token() {
    let price = Price {
        input: 3.3,
        output: 16.5,
        cache_read: Some(0.33),
        cache_write_5m: Some(4.125),
        cache_write_1h: Some(6.6),
    };
    let usage = Usage {
        input: 1_000,
        output: 500,
        cache_read: 20_000,
        cache_write: 4_000,
    };
    // 1000*3.3 + 500*16.5 + 20000*0.33 + 4000*4.125, per million.
    let by_hand = (3_300.0 + 8_250.0 + 6_600.0 + 16_500.0) / 1e6;
    assert!(close(cost(&usage, &price), by_hand));
    assert!(close(cost(&usage, &price), 0.03465));
    // Without cache prices, cached tokens cost as input.
    let plain = Price {
        cache_read: None,
        cache_write_5m: None,
        ..price
    };
    let as_input = (1_000.0 * 3.3 + 500.0 * 16.5 + 24_000.0 * 3.3) / 1e6;
    assert!(close(cost(&usage, &plain), as_input));
    // The profile's price, read from the file.
    let us = Prices::builtin()
        .lookup(&format!("us.{SONNET45}"), "us-east-1")
        .unwrap();
    assert!(close(cost(&usage, &us), by_hand));
}

#[test]
fn turn_range_spans_zero_to_max_output() {
    let price = Price {
        input: 1.0,
        output: 5.0,
        ..Price::default()
    };
    let (lo, hi) = turn_range(2_000, 1_000, &price);
    assert!(close(lo, 0.002));
    assert!(close(hi, 0.002 + 0.005));
    assert_eq!(turn_range(0, 0, &price), (0.0, 0.0));
}

#[test]
fn usd_formatting() {
    assert_eq!(format_usd(1.234), "$1.23");
    assert_eq!(format_usd(12.0), "$12.00");
    assert_eq!(format_usd(0.01), "$0.010");
    assert_eq!(format_usd(0.04625), "$0.046");
    assert_eq!(format_usd(0.5), "$0.50");
    assert_eq!(format_usd(0.0042), "$0.0042");
    assert_eq!(format_usd(0.00012345), "$0.00012");
    assert_eq!(format_usd(0.0), "$0.00");
    assert_eq!(format_usd(1e-12), "<$0.00000001");
    assert_eq!(format_usd(-0.5), "-$0.50");
}

#[test]
fn a_pricing_file_with_a_mistake_is_refused() {
    assert!(
        Prices::from_json(
            r#"{"sources":{},"updated":"x","unit":"u","models":{"m":{"source":"s","inptu":1}}}"#
        )
        .is_err()
    );
}

/// The reference's name of a tier price field: `input_cost_per_token_priority`, ...
fn tier_fields(route: &Route, tier: Tier) -> [(String, Option<f64>); 5] {
    let p = route.tier(tier);
    [
        ("input_cost_per_token", p.input),
        ("output_cost_per_token", p.output),
        ("cache_read_input_token_cost", p.cache_read),
        ("cache_creation_input_token_cost", p.cache_write_5m),
        (
            "cache_creation_input_token_cost_above_1hr",
            p.cache_write_1h,
        ),
    ]
    .map(|(field, ours)| (format!("{field}_{tier}"), ours))
}

#[test]
fn tier_prices_agree_with_the_litellm_reference() {
    let Some(reference) = litellm_reference() else {
        return;
    };
    let reference = reference.as_object().unwrap();
    let p = Prices::builtin();
    let mut ours_keys = Vec::new();
    let mut equal = 0;
    for id in p.model_ids() {
        let e = p.entry(id).unwrap();
        for (key, route) in litellm_keys(id, e) {
            ours_keys.push(key.clone());
            for tier in [Tier::Priority, Tier::Flex] {
                // A tier price derived by a rule is checked by hand, not against LiteLLM.
                let source = route
                    .tier(tier)
                    .source
                    .or(route.source.clone())
                    .unwrap_or(e.source.clone());
                if source != "litellm" {
                    continue;
                }
                let r = reference.get(&key);
                for (field, ours) in tier_fields(&route, tier) {
                    let theirs = r
                        .and_then(|r| r.get(&field))
                        .and_then(|v| v.as_f64())
                        .map(|v| v * 1e6);
                    match (ours, theirs) {
                        (Some(a), Some(b)) => {
                            assert!(close(a, b), "{key} {field}: {a} != {b}");
                            equal += 1;
                        }
                        (None, None) => {}
                        _ => panic!("{key} {field}: ours {ours:?}, reference {theirs:?}"),
                    }
                }
            }
        }
    }
    // 15 tier routes of Nova Premier, Pro and 2 Lite, with input, output and cache read.
    assert!(equal >= 45, "only {equal} tier prices were compared");

    // Every route of one of our models that the reference prices by tier is one of ours,
    // so no geo profile or region the reference has is left out.
    for (key, r) in reference {
        let tiered = r.as_object().is_some_and(|o| {
            o.keys()
                .any(|k| k.ends_with("_priority") || k.ends_with("_flex"))
        });
        let ours = p.model_ids().any(|id| {
            key == id
                || key
                    .strip_suffix(id)
                    .is_some_and(|head| head.ends_with('.') || head.ends_with('/'))
        });
        if tiered && ours {
            assert!(
                ours_keys.contains(key),
                "{key} has tier prices the file lacks"
            );
        }
    }
}

const NOVA_2_LITE: &str = "amazon.nova-2-lite-v1:0";

/// A turn with every kind of token, cache writes to both caches.
const FULL: TurnUsage = TurnUsage {
    input: 1_000,
    output: 500,
    cache_read: 20_000,
    cache_write_5m: 4_000,
    cache_write_1h: 2_000,
};

/// A turn that reads the cache and writes none, as Nova's are priced.
const READS: TurnUsage = TurnUsage {
    input: 2_000,
    output: 1_000,
    cache_read: 10_000,
    cache_write_5m: 0,
    cache_write_1h: 0,
};

/// A turn that writes the cache and does nothing else.
const WRITES: TurnUsage = TurnUsage {
    input: 0,
    output: 0,
    cache_read: 0,
    cache_write_5m: 10_000,
    cache_write_1h: 0,
};

/// The built-in price of `usage` on `id` in `region` at `tier`, of a route that is known.
fn turn(id: &str, region: &str, tier: Tier, usage: TurnUsage) -> TurnCost {
    Prices::builtin()
        .price_turn(id, region, tier, &usage)
        .unwrap_or_else(|| panic!("{id} in {region} has no route"))
}

#[test]
fn a_turn_is_priced_by_tier_and_cache_ttl() {
    let sonnet_us = format!("us.{SONNET45}");
    // The us profile of Sonnet 4.5 at the default tier: 3.3, 16.5, 0.33, 4.125, 6.6.
    let t = turn(&sonnet_us, "us-east-1", Tier::Default, FULL);
    let by_hand = (3_300.0 + 8_250.0 + 6_600.0 + 16_500.0 + 13_200.0) / 1e6;
    assert!(close(t.usd().unwrap(), by_hand), "{t:?}");
    assert!(close(t.known_usd(), 0.04785));
    assert!(t.unknown().is_empty());
    assert!(matches!(t.source, PriceSource::Builtin(_)));
    // Usage's cache writes go to the TTL's cache; at 5 minutes the default tier agrees
    // with `cost`, whose writes are 5-minute writes.
    let usage = Usage {
        input: 1_000,
        output: 500,
        cache_read: 20_000,
        cache_write: 4_000,
    };
    let five_minutes = TurnUsage::new(&usage, CacheTtl::FiveMinutes);
    let one_hour = TurnUsage::new(&usage, CacheTtl::OneHour);
    assert_eq!(
        (five_minutes.cache_write_5m, five_minutes.cache_write_1h),
        (4_000, 0)
    );
    assert_eq!(
        (one_hour.cache_write_5m, one_hour.cache_write_1h),
        (0, 4_000)
    );
    let t5 = turn(&sonnet_us, "us-east-1", Tier::Default, five_minutes);
    let us = Prices::builtin().lookup(&sonnet_us, "us-east-1").unwrap();
    assert!(close(t5.usd().unwrap(), 0.03465));
    assert!(close(t5.usd().unwrap(), cost(&usage, &us)));
    // The same writes to the 1-hour cache cost 4000 × (6.6 − 4.125) per million more.
    let t1 = turn(&sonnet_us, "us-east-1", Tier::Default, one_hour);
    assert!(close(t1.usd().unwrap() - t5.usd().unwrap(), 0.0099));

    // Nova Pro at Priority in us-east-1: 1.4, 5.6, cache read 0.35.
    let t = turn(NOVA_PRO, "us-east-1", Tier::Priority, READS);
    assert_eq!(t.tier, Tier::Priority);
    assert_eq!(t.input.usd_per_million, Some(1.4));
    assert!(close(t.usd().unwrap(), (2_800.0 + 5_600.0 + 3_500.0) / 1e6));
    // At Flex through the eu profile: 0.525, 2.1, 0.13125.
    let t = turn(&format!("eu.{NOVA_PRO}"), "eu-west-1", Tier::Flex, READS);
    assert!(close(t.usd().unwrap(), 0.0044625));
    // The bare id in GovCloud, named by its ARN: Priority input 1.68.
    let arn = format!("arn:aws:bedrock:us-gov-west-1::foundation-model/{NOVA_PRO}");
    let t = turn(&arn, "us-east-1", Tier::Priority, READS);
    assert_eq!(t.input.usd_per_million, Some(1.68));
    // Nova 2 Lite's us profile costs 10% more than global at Priority too.
    let p = Prices::builtin();
    let priority = |id: String| p.tier_price(&id, "us-east-1", Tier::Priority).unwrap().0;
    let global = priority(format!("global.{NOVA_2_LITE}"));
    let us = priority(format!("us.{NOVA_2_LITE}"));
    assert!(close(us.input.unwrap(), global.input.unwrap() * 1.1));
    // Nova Premier is offered only through its us profile, at the bare id's prices.
    let (premier, source) = p
        .tier_price("us.amazon.nova-premier-v1:0", "us-east-1", Tier::Priority)
        .unwrap();
    assert_eq!(premier.input, Some(4.375));
    assert!(
        source.to_string().contains("only through this profile"),
        "{source}"
    );
}

#[test]
fn a_tier_without_a_price_is_unknown() {
    let usage = TurnUsage {
        input: 1_000,
        output: 100,
        ..TurnUsage::default()
    };
    // No source prices Claude at Priority or Flex: the route is known, the tier is not.
    for tier in [Tier::Priority, Tier::Flex] {
        let t = turn(&format!("global.{SONNET45}"), "us-east-1", tier, usage);
        assert_eq!(t.usd(), None);
        assert_eq!(t.unknown(), ["input", "output"]);
        assert_eq!(t.known_usd(), 0.0);
        assert_eq!(t.uncached_usd(), None);
        assert_eq!(t.saving(), None);
    }
    // LiteLLM prices Nova Pro's apac profile at Flex only, Nova 2 Lite's bare id at
    // Priority only.
    let apac = format!("apac.{NOVA_PRO}");
    assert!(turn(&apac, "ap-south-1", Tier::Flex, usage).usd().is_some());
    assert_eq!(turn(&apac, "ap-south-1", Tier::Priority, usage).usd(), None);
    assert_eq!(
        turn(NOVA_2_LITE, "us-east-1", Tier::Flex, usage).usd(),
        None
    );
    // A part without a price is unknown only when it has tokens: Nova has no cache
    // write price, so a turn that writes the cache has an unknown cost.
    let t = turn(NOVA_PRO, "us-east-1", Tier::Priority, usage);
    assert!(close(t.usd().unwrap(), (1_400.0 + 560.0) / 1e6));
    let writes = TurnUsage {
        cache_write_5m: 5_000,
        ..usage
    };
    let t = turn(NOVA_PRO, "us-east-1", Tier::Priority, writes);
    assert_eq!(t.usd(), None);
    assert_eq!(t.unknown(), ["cache write 5m"]);
    assert!(close(t.known_usd(), (1_400.0 + 560.0) / 1e6));
    assert_eq!(t.cache_write_5m.usd_per_million, None);
    // An unknown model has no route, so no tier of it is priced.
    let p = Prices::builtin();
    assert_eq!(
        p.price_turn("acme.imaginary-v1:0", "us-east-1", Tier::Default, &usage),
        None
    );
    // A config override prices the default tier alone.
    let mut o = BTreeMap::new();
    o.insert(NOVA_PRO.to_owned(), sample_override());
    let overridden = p.with_overrides(&o);
    let (d, source) = overridden
        .tier_price(NOVA_PRO, "us-east-1", Tier::Default)
        .unwrap();
    assert_eq!((d.input, source), (Some(2.0), PriceSource::Config));
    let (prio, _) = overridden
        .tier_price(NOVA_PRO, "us-east-1", Tier::Priority)
        .unwrap();
    assert_eq!(prio, TierPrice::default());
}

#[test]
fn the_uncached_cost_prices_every_cache_token_as_input() {
    let t = turn(&format!("us.{SONNET45}"), "us-east-1", Tier::Default, FULL);
    // 27000 input-priced tokens × 3.3 + 500 × 16.5, per million.
    let uncached = (27_000.0 * 3.3 + 500.0 * 16.5) / 1e6;
    assert!(close(t.uncached_usd().unwrap(), uncached));
    assert!(close(t.saving().unwrap(), uncached - 0.04785));
    // At a tier, the tier's input price: Nova Pro at Flex, 0.4 input, 1.6 output.
    let t = turn(NOVA_PRO, "us-east-1", Tier::Flex, READS);
    assert!(close(
        t.uncached_usd().unwrap(),
        (12_000.0 * 0.4 + 1_600.0) / 1e6
    ));
    assert!(close(t.saving().unwrap(), 10_000.0 * (0.4 - 0.1) / 1e6));
    // Writing the cache without reading it costs more than not caching.
    let t = turn(
        &format!("global.{SONNET45}"),
        "us-east-1",
        Tier::Default,
        WRITES,
    );
    assert!(close(t.saving().unwrap(), -10_000.0 * (3.75 - 3.0) / 1e6));
    // With an unknown write price the uncached cost is still known, the saving is not.
    let t = turn(NOVA_PRO, "us-east-1", Tier::Priority, WRITES);
    assert!(close(t.uncached_usd().unwrap(), 10_000.0 * 1.4 / 1e6));
    assert_eq!(t.saving(), None);
}

#[test]
fn tiers_and_ttls_have_the_api_names() {
    for (tier, name) in [
        (Tier::Default, "default"),
        (Tier::Priority, "priority"),
        (Tier::Flex, "flex"),
    ] {
        assert_eq!(serde_json::to_value(tier).unwrap(), name);
        assert_eq!(serde_json::from_value::<Tier>(name.into()).unwrap(), tier);
        assert_eq!(name.parse::<Tier>(), Ok(tier));
        assert_eq!(tier.to_string(), name);
    }
    assert_eq!(" Flex".parse::<Tier>(), Ok(Tier::Flex));
    assert_eq!(
        "reserved".parse::<Tier>(),
        Err(UnknownTier("reserved".into()))
    );
    assert_eq!(Tier::default(), Tier::Default);
    assert_eq!(serde_json::to_value(CacheTtl::OneHour).unwrap(), "1h");
    assert_eq!(
        serde_json::from_value::<CacheTtl>("5m".into()).unwrap(),
        CacheTtl::FiveMinutes
    );
}

#[test]
fn batch_prices_come_from_the_file_and_not_from_overrides() {
    let p = Prices::builtin();
    let (micro, source) = p
        .batch_price("amazon.nova-micro-v1:0", "us-east-1")
        .unwrap();
    assert_eq!((micro.input, micro.output), (0.0175, 0.07));
    // Half the on-demand price, as the service's batch discount is.
    let on_demand = p.lookup("amazon.nova-micro-v1:0", "us-east-1").unwrap();
    assert!(close(micro.input * 2.0, on_demand.input));
    assert!(matches!(source, PriceSource::Builtin(s) if s.contains("litellm")));
    let (eu, _) = p
        .batch_price(&format!("eu.{HAIKU45}"), "eu-west-1")
        .unwrap();
    assert!(close(eu.input, 0.55) && close(eu.output, 2.75), "{eu:?}");
    assert_eq!(p.batch_price("acme.imaginary-v1:0", "us-east-1"), None);
    let mine = BTreeMap::from([("amazon.nova-micro-v1:0".to_owned(), sample_override())]);
    assert_eq!(
        p.with_overrides(&mine)
            .batch_price("amazon.nova-micro-v1:0", "us-east-1"),
        None
    );
}
