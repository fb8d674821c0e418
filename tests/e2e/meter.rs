//! The meter as a person sees it: after each answer its tokens are what the stream's
//! metadata said and its cost is those tokens at the pricing file's price of the model
//! or profile that answered; the totals per model survive a model switch and a restart.

use bedrock_tui::app::turn::{TurnEvent, TurnRequest};
use bedrock_tui::bedrock::{self, ConnectOptions};
use bedrock_tui::conversation::{Inference, Message, Usage};
use bedrock_tui::pricing::{Prices, cost, format_usd};

use super::*;

const HAIKU3: &str = "anthropic.claude-3-haiku-20240307-v1:0";
const NOVA_PRO_US: &str = "us.amazon.nova-pro-v1:0";

/// The usage the endpoint's stream reports for `messages`, asked for again through
/// the app's own SDK layer: the simulated model answers the same request the same way.
async fn metadata_usage(url: &str, model: &str, messages: Vec<Message>) -> Usage {
    let conn = bedrock::connect(&ConnectOptions {
        endpoint_url: Some(url.to_owned()),
        region: Some("us-east-1".into()),
        ..ConnectOptions::default()
    })
    .await
    .unwrap();
    let req = TurnRequest {
        model_id: model.into(),
        system: None,
        messages,
        inference: Inference::default(),
        guardrail: None,
        tools: None,
    };
    let mut usage = None;
    bedrock::stream_turn(&conn, &req, |e| {
        if let TurnEvent::Metadata { usage: u, .. } = e {
            usage = Some(u);
        }
    })
    .await
    .unwrap();
    usage.unwrap()
}

/// The `session` row and the per-model rows under it.
fn totals(screen: &str) -> Vec<String> {
    let lines: Vec<&str> = screen.lines().collect();
    let at = lines
        .iter()
        .position(|l| l.contains("session    $"))
        .unwrap_or_else(|| panic!("no session row: {screen}"));
    lines[at..at + 3]
        .iter()
        .map(|l| {
            let cell = l.rsplit('│').next().unwrap_or("");
            cell.split_whitespace().collect::<Vec<_>>().join(" ")
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn meter_after_turns_switch_and_restart() {
    let ep = endpoint(4000.0).await;
    let url = ep.url();
    let args = [
        "--endpoint-url",
        &url,
        "--region",
        "us-east-1",
        "--model",
        HAIKU3,
    ];
    let mut tui = Tui::start(&args, None);
    tui.wait_for("F1 help").await;

    let q1 = "How do I read a file line by line in Go?";
    tui.send(q1).await;
    let s = tui.wait_for("Let me know if you want more detail").await;
    let u1 = metadata_usage(&url, HAIKU3, vec![Message::user(q1)]).await;
    assert!(
        s.contains(&format!("last turn  in {} · out {}", u1.input, u1.output)),
        "the meter shows the stream's usage {u1:?}: {s}"
    );
    let p1 = Prices::builtin().lookup(HAIKU3, "us-east-1").unwrap();
    let c1 = cost(&u1, &p1);
    assert!(s.contains(&format!("           {}", format_usd(c1))), "{s}");

    // Another provider, through the US profile; the history goes with it.
    tui.send(&format!("/model {NOVA_PRO_US}")).await;
    tui.wait_for("Switched to").await;
    tui.send("And in Rust?").await;
    let s = tui.wait_for("turn 2 of our conversation").await;
    let s = if s.contains("session    $") {
        s
    } else {
        tui.wait_for("2 turns").await
    };
    let p2 = Prices::builtin().lookup(NOVA_PRO_US, "us-east-1").unwrap();
    let store = |home: &std::path::Path| {
        bedrock_tui::store::Store::open(home.join("data/bedrock-tui/history.sqlite3")).unwrap()
    };
    let shown = totals(&s);

    // Resumed (after a clean quit), the conversation shows the same totals.
    let mut again = tui.quit_and_resume(&url).await;
    let home = again.home.clone();
    // The totals are the stored usage of each answer at its model's price.
    let conv = {
        let st = store(&home);
        let id = st.last().unwrap().unwrap();
        st.load(id).unwrap()
    };
    let answers: Vec<_> = conv
        .messages
        .iter()
        .filter_map(|m| m.usage.map(|u| (m.message.model.clone(), u)))
        .collect();
    assert_eq!(answers.len(), 2, "{answers:?}");
    assert_eq!(answers[0], (Some(HAIKU3.to_owned()), u1));
    assert_eq!(answers[1].0.as_deref(), Some(NOVA_PRO_US));
    let c2 = cost(&answers[1].1, &p2);
    assert_eq!(
        shown,
        vec![
            format!("session {} · 2 turns", format_usd(c1 + c2)),
            format!("Claude 3 Haiku {}", format_usd(c1)),
            format!("Nova Pro · us {}", format_usd(c2)),
        ],
        "{s}"
    );

    let s = again.wait_for("2 turns").await;
    assert_eq!(totals(&s), shown, "{s}");
    again.keys("\x03");
    assert!(again.exit_status().await.success());
}
