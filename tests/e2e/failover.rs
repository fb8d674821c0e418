//! Failover as a person sees it: the us profile throttles every request, so the turn
//! goes on to the global profile, the status bar says so, the answer and the meter name
//! the route that answered, and `/routes` counts the failure; a refused request is not
//! sent anywhere else.

use bedrock_tui::local::{FailRoute, Settings};

use super::*;

const HAIKU45: &str = "anthropic.claude-haiku-4-5-20251001-v1:0";

#[tokio::test(flavor = "multi_thread")]
async fn a_throttled_profile_fails_over_to_the_global_one() {
    let ep = endpoint_with(Settings {
        fail_routes: vec![FailRoute::parse("us.:throttle").unwrap()],
        ..Settings::default()
    })
    .await;
    let url = ep.url();
    let mut tui = Tui::chat(&url, HAIKU45).await;
    tui.send("How do I sort a vector in Rust?").await;
    let s = tui
        .wait_for_all(&[
            "sent again on the global profile",
            "Let me know if you want more detail",
        ])
        .await;
    assert!(s.contains(&format!("◆ global.{HAIKU45}")), "{s}");
    assert!(
        s.contains("Claude Haiku 4.5 · glo"),
        "the meter prices the route: {s}"
    );
    // Every attempt on the us profile was throttled; the global one answered.
    let log = request_log(&url).await;
    let routes: Vec<(String, u64)> = log
        .iter()
        .filter(|r| r["operation"] == "ConverseStream")
        .map(|r| {
            (
                r["modelId"].as_str().unwrap_or_default().to_owned(),
                r["status"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    let (us, global): (Vec<_>, Vec<_>) = routes.iter().partition(|(m, _)| m.starts_with("us."));
    assert!(
        !us.is_empty() && us.iter().all(|(_, s)| *s == 429),
        "{routes:?}"
    );
    assert_eq!(global, vec![&(format!("global.{HAIKU45}"), 200)]);

    tui.send("/routes").await;
    let s = tui.wait_for("Routes · this session").await;
    // A row's calls and failures, after the route.
    let row = |route: &str| {
        let route = format!("{route}{HAIKU45} ");
        s.lines().find_map(|l| {
            let at = l.find(&route)?;
            let figures = l[at + route.len()..].split_whitespace().take(2);
            Some(figures.collect::<Vec<_>>().join(" "))
        })
    };
    assert_eq!(row("│us.").as_deref(), Some("1 1"), "{s}");
    assert_eq!(row("│global.").as_deref(), Some("1 0"), "{s}");
    tui.keys("\x1b");

    // A request the service refuses is not sent on another route.
    tui.send("Check [[fault:validation]]").await;
    tui.wait_for("The request was refused").await;
    let log = request_log(&url).await;
    let last: Vec<_> = log
        .iter()
        .filter(|r| r["operation"] == "ConverseStream")
        .skip(routes.len())
        .map(|r| r["modelId"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert!(last.iter().all(|m| m.starts_with("us.")), "{last:?}");
}
