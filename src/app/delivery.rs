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
                .map_or("not set (the service's default)", Tier::as_str)
        )));
        return Vec::new();
    }
    let Some(t) = arg.parse::<Tier>().ok() else {
        app.tell(Notice::Error(format!(
            "/tier {arg}: use default, priority or flex."
        )));
        return Vec::new();
    };
    app.inference.tier = Some(t);
    app.tell(Notice::Info(format!(
        "Service tier {}: turns ask for it with serviceTier and are priced at its prices.",
        t.as_str()
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
    let notice = match (latency, unsupported(app)) {
        (Latency::Standard, _) => Notice::Info("Latency standard.".to_owned()),
        (Latency::Optimized, None) => {
            Notice::Info("Latency optimized: turns send performanceConfig.".to_owned())
        }
        (Latency::Optimized, Some(why)) => {
            Notice::Error(format!("Latency optimized set, but {why}"))
        }
    };
    app.tell(notice);
    Vec::new()
}

/// Why the current model cannot take the latency asked for, when the catalog says so:
/// the turn is not sent, rather than refused by the service.
pub fn unsupported(app: &App) -> Option<String> {
    if app.inference.latency != Latency::Optimized {
        return None;
    }
    let catalog = app.catalog();
    let model = catalog.lookup(&app.model)?;
    if model.capabilities.latency_optimized {
        return None;
    }
    let offered: Vec<&str> = catalog
        .models
        .iter()
        .filter(|m| m.capabilities.latency_optimized)
        .map(|m| m.name.as_str())
        .collect();
    Some(format!(
        "{} does not offer latency-optimized inference (models that do: {}). /latency standard turns it off.",
        model.name,
        offered.join(", ")
    ))
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
    fn optimized_latency_on_a_model_without_it_is_not_sent() {
        let mut app = App::new("anthropic.claude-haiku-4-5-20251001-v1:0");
        update(&mut app, Msg::Submit("/latency optimized".into()));
        assert!(matches!(&app.notice, Some(Notice::Error(m)) if m.contains("does not offer")));
        let effects = update(&mut app, Msg::Submit("Hello".into()));
        assert_eq!(effects, vec![Effect::SetComposer("Hello".into())]);
        assert!(app.entries.is_empty());
        let m = app.notice.as_ref().unwrap().text().to_owned();
        assert!(
            m.starts_with("Not sent: Claude Haiku 4.5 does not offer"),
            "{m}"
        );
        assert!(m.contains("Nova Pro"), "{m}");
    }

    #[test]
    fn tier_and_latency_are_set_refused_and_reported() {
        let mut app = App::new("amazon.nova-pro-v1:0");
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
