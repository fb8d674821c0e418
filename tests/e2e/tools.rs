//! The tool loop on screen: a question makes the model call a command tool, the consent
//! prompt shows it, a `y` runs it and its cell and the answer quoting its result
//! appear; another call refused with `n` never runs, and the model is told so.

use super::*;

const HAIKU3: &str = "anthropic.claude-3-haiku-20240307-v1:0";

#[tokio::test(flavor = "multi_thread")]
async fn approve_one_call_and_refuse_another() {
    let ep = endpoint(4000.0).await;
    let url = ep.url();
    let home = config_home(&format!(
        r#"endpoint_url = "{url}"
region = "us-east-1"
model = "{HAIKU3}"

[[tools]]
name = "get_weather"
description = "The current weather in a city"
input_schema = {{ type = "object", properties = {{ city = {{ type = "string" }} }}, required = ["city"] }}
command = ["python3", "-c", "import json, sys; c = json.load(sys.stdin)['city']; print(json.dumps({{'city': c, 'forecast': 'sunny, 21 degrees'}}))"]

[[tools]]
name = "get_stock_price"
description = "The stock price of a company"
input_schema = {{ type = "object", properties = {{ symbol = {{ type = "string" }} }}, required = ["symbol"] }}
command = ["python3", "-c", "open('HOME/stock-ran', 'w').write('ran')"]
"#
    ));
    let mut tui = Tui::start(&[], Some(home.clone()));
    tui.wait_for("F1 help").await;

    tui.send("What is the weather in Paris?").await;
    let s = tui.wait_for("Run a tool?").await;
    assert!(
        s.contains("The model asks to run get_weather (command)."),
        "{s}"
    );
    assert!(s.contains("\"city\": \"Paris\""), "the input is shown: {s}");
    tui.keys("y");
    let s = tui
        .wait_for_all(&["✓ done", "sunny, 21 degrees", "Based on that result"])
        .await;
    assert!(s.contains("⚙ get_weather  command"), "the call cell: {s}");

    tui.send("What is the stock price of ACME?").await;
    let s = tui.wait_for("Run a tool?").await;
    assert!(s.contains("get_stock_price"), "{s}");
    tui.keys("n");
    let s = tui
        .wait_for("The user declined to run this tool call")
        .await;
    assert!(s.contains("declined"), "{s}");
    assert!(
        !home.join("stock-ran").exists(),
        "a refused tool never runs"
    );

    // Each call's result went back in the next turn, after the answer that made it.
    let log = request_log(&url).await;
    let roles: Vec<&serde_json::Value> = log
        .iter()
        .filter(|r| r["operation"] == "ConverseStream")
        .map(|r| &r["roles"])
        .collect();
    assert_eq!(roles.len(), 4, "{log:?}");
    assert_eq!(*roles[1], serde_json::json!(["user", "assistant", "user"]));
    assert_eq!(
        *roles[3],
        serde_json::json!([
            "user",
            "assistant",
            "user",
            "assistant",
            "user",
            "assistant",
            "user"
        ])
    );
    let blocks: Vec<&serde_json::Value> = log
        .iter()
        .filter(|r| r["operation"] == "ConverseStream")
        .map(|r| &r["blocks"])
        .collect();
    assert_eq!(
        *blocks[3],
        serde_json::json!([
            ["text"],
            ["text", "toolUse"],
            ["toolResult"],
            ["text"],
            ["text"],
            ["text", "toolUse"],
            ["toolResult"]
        ])
    );
    tui.keys("\x03");
    assert!(tui.exit_status().await.success());
}
