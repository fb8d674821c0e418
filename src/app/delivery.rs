//! `/tier` and `/latency`: the service tier a turn asks for (`serviceTier`) and
//! latency-optimized inference (`performanceConfig`), kept with the inference settings
//! and sent with every turn from then on.

use crate::conversation::{Latency, Tier};

use super::effect::Effect;
use super::state::{App, Notice};

/// `/tier [default|priority|flex]`.
pub fn tier(app: &mut App, arg: &str) -> Vec<Effect> {
    if arg.is_empty() {
        app.tell(Notice::Info(format!(
            "Service tier: {}. /tier default|priority|flex changes it.",
            app.inference
                .tier
                .map_or("not set (the service's default)", Tier::name)
        )));
        return Vec::new();
    }
    let Some(t) = Tier::parse(arg) else {
        app.tell(Notice::Error(format!(
            "/tier {arg}: use default, priority or flex."
        )));
        return Vec::new();
    };
    app.inference.tier = Some(t);
    app.tell(Notice::Info(format!(
        "Service tier {}: turns ask for it with serviceTier and are priced at its prices.",
        t.name()
    )));
    vec![super::meter::schedule(app)]
}

/// `/latency [standard|optimized]`.
pub fn latency(app: &mut App, arg: &str) -> Vec<Effect> {
    let latency = match arg {
        "" => {
            app.tell(Notice::Info(format!(
                "Latency: {}. /latency standard|optimized changes it.",
                name(app.inference.latency)
            )));
            return Vec::new();
        }
        "standard" => Latency::Standard,
        "optimized" => Latency::Optimized,
        other => {
            app.tell(Notice::Error(format!(
                "/latency {other}: use standard or optimized."
            )));
            return Vec::new();
        }
    };
    app.inference.latency = latency;
    app.tell(Notice::Info(match latency {
        Latency::Standard => "Latency standard.".to_owned(),
        Latency::Optimized => "Latency optimized: turns send performanceConfig; a model without it refuses them, and the status bar says so.".to_owned(),
    }));
    Vec::new()
}

fn name(l: Latency) -> &'static str {
    match l {
        Latency::Standard => "standard",
        Latency::Optimized => "optimized",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::{Msg, update};

    #[test]
    fn tier_and_latency_are_set_refused_and_reported() {
        let mut app = App::new("anthropic.claude-haiku-4-5-20251001-v1:0");
        update(&mut app, Msg::Submit("/tier flex".into()));
        assert_eq!(app.inference.tier, Some(Tier::Flex));
        update(&mut app, Msg::Submit("/tier gold".into()));
        assert_eq!(app.inference.tier, Some(Tier::Flex));
        assert!(matches!(app.notice, Some(Notice::Error(_))));
        update(&mut app, Msg::Submit("/tier".into()));
        assert_eq!(
            app.notice.as_ref().unwrap().text(),
            "Service tier: flex. /tier default|priority|flex changes it."
        );
        update(&mut app, Msg::Submit("/latency optimized".into()));
        assert_eq!(app.inference.latency, Latency::Optimized);
        update(&mut app, Msg::Submit("/latency fast".into()));
        assert_eq!(app.inference.latency, Latency::Optimized);
        // The next turn carries both.
        let effects = update(&mut app, Msg::Submit("Hello".into()));
        let Some(Effect::StartTurn { request, .. }) = effects.last() else {
            panic!("{effects:?}");
        };
        assert_eq!(request.inference.tier, Some(Tier::Flex));
        assert_eq!(request.inference.latency, Latency::Optimized);
    }
}
