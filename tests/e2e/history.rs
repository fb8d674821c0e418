//! The history browser and the config file, as a person uses them: keys rebound in the
//! config, two conversations, search, open, export, rename, delete; and a broken config
//! that stops the app before it touches the terminal.

use super::*;

const HAIKU3: &str = "anthropic.claude-3-haiku-20240307-v1:0";

/// Whether the history browser on `screen` has a row for `title`.
fn listed(screen: &str, title: &str) -> bool {
    screen
        .lines()
        .any(|l| l.contains(title) && l.contains(" msg "))
}

#[tokio::test(flavor = "multi_thread")]
async fn browse_search_open_export_rename_delete() {
    let ep = endpoint(2000.0).await;
    let url = ep.url();
    let home = config_home(&format!(
        "model = \"{HAIKU3}\"\nregion = \"us-east-1\"\nendpoint_url = \"{url}\"\nexport_dir = \"HOME/exports\"\n\n[keys]\nhistory = \"f9\"\n"
    ));
    let mut tui = Tui::start(&[], Some(home.clone()));
    // The placeholder and the status bar follow the config.
    tui.wait_for("F1 help").await;

    tui.send("How do I sort a vector in Rust?").await;
    tui.wait_for("Let me know if you want more detail").await;
    tui.send("/new").await;
    tui.wait_for("New conversation.").await;
    tui.send("Compare DynamoDB and Aurora for sessions").await;
    let s = tui.wait_for("Let me know if you want more detail").await;
    assert!(
        s.contains(&format!("◆ {HAIKU3}")),
        "the config's model answers: {s}"
    );

    // F4 is no longer the history key; F9 is.
    tui.keys("\x1bOS"); // F4
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!tui.screen().contains(" History "), "{}", tui.screen());
    tui.keys("\x1b[20~"); // F9
    let s = tui.wait_for("2 conversations").await;
    assert!(
        listed(&s, "Compare DynamoDB and Aurora for sessions"),
        "{s}"
    );
    assert!(listed(&s, "How do I sort a vector in Rust?"), "{s}");

    // Search narrows to the conversation whose messages match.
    tui.keys("vector");
    let s = tui.wait_for(" 1 conversation ").await;
    assert!(listed(&s, "How do I sort a vector in Rust?"), "{s}");
    assert!(!listed(&s, "Compare DynamoDB"), "{s}");
    tui.keys("\r");
    let s = tui.wait_for("Opened").await;
    assert!(s.contains("How do I sort a vector in Rust?"), "{s}");
    assert!(!s.contains("Compare DynamoDB"), "{s}");

    // A new turn continues the opened conversation.
    tui.send("And descending?").await;
    tui.wait_for("turn 2 of our conversation").await;

    tui.send("/export").await;
    let s = tui.wait_for("Exported to").await;
    let exported = home
        .join("exports")
        .join("how-do-i-sort-a-vector-in-rust.md");
    assert!(
        s.contains("Exported to ~/exports/how-do-i-sort-a-vector-in-rust.md."),
        "{s}"
    );
    let md = std::fs::read_to_string(&exported).unwrap();
    assert!(
        md.starts_with("# How do I sort a vector in Rust?\n"),
        "{md}"
    );
    assert!(md.contains("And descending?"), "{md}");
    assert!(!md.contains("Compare DynamoDB"), "{md}");
    tui.send("/export json").await;
    tui.wait_for("~/exports/how-do-i-sort-a-vector-in-rust.json.")
        .await;
    let json = std::fs::read_to_string(exported.with_extension("json")).unwrap();
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["messages"].as_array().map(Vec::len), Some(4), "{json}");

    // Rename the open conversation, delete the other one.
    tui.keys("\x1b[20~");
    tui.wait_for("2 conversations").await;
    tui.keys("\x12"); // Ctrl+R
    tui.wait_for("new title").await;
    tui.keys(" (sorting)\r");
    let s = tui.wait_for("Renamed to").await;
    assert!(
        s.contains("How do I sort a vector in Rust? (sorting)"),
        "{s}"
    );
    tui.keys("\x1b[B"); // Down
    tui.keys("\x1b[3~"); // Delete
    let s = tui.wait_for("y deletes").await;
    assert!(
        s.contains("Compare DynamoDB and Aurora for sessions"),
        "{s}"
    );
    tui.keys("y");
    tui.wait_for(" 1 conversation ").await;
    tui.keys("\x1b");
    // A key right after Esc would read as Alt+key.
    tokio::time::sleep(Duration::from_millis(100)).await;
    tui.wait_for("Conversation deleted.").await;
    tui.keys("\x03");
    assert!(tui.exit_status().await.success());

    let store = bedrock_tui::store::Store::open(
        home.join("data")
            .join("bedrock-tui")
            .join("history.sqlite3"),
    )
    .unwrap();
    let list = store.list(10, 0).unwrap();
    assert_eq!(list.len(), 1, "{list:?}");
    assert_eq!(list[0].title, "How do I sort a vector in Rust? (sorting)");
    assert_eq!(list[0].message_count, 4);
}

#[test]
fn a_broken_config_stops_before_the_terminal_is_touched() {
    let home = config_home("region = \"us-east-1\"\n[keys]\npicker = \"ctrl+hyper+p\"\n");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_bedrock-tui"))
        .env("HOME", &home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_DATA_HOME", home.join("data"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    let path = home.join("config").join("bedrock-tui").join("config.toml");
    assert!(
        err.contains(&format!(
            "{}:3:10: [keys] picker: unknown modifier 'hyper'",
            path.display()
        )),
        "{err}"
    );
    assert!(out.stdout.is_empty(), "nothing was drawn: {:?}", out.stdout);

    let out = std::process::Command::new(env!("CARGO_BIN_EXE_bedrock-tui"))
        .args(["--print-config-path"])
        .env("HOME", &home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        path.display().to_string()
    );

    let out = std::process::Command::new(env!("CARGO_BIN_EXE_bedrock-tui"))
        .args(["--model", "anthropic.claude-sonet-4-5"])
        .env("HOME", &home)
        .env("XDG_CONFIG_HOME", home.join("nowhere"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("unknown model 'anthropic.claude-sonet-4-5'; did you mean"),
        "{err}"
    );
}
