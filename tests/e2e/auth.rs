//! A Bedrock API key alone: the chat and `ask` authenticate with it against the local
//! endpoint over HTTPS (its certificate trusted through `AWS_CA_BUNDLE`), the request
//! log shows bearer auth and never the key, and the status bar says an API key is used.

use std::ffi::OsStr;

use bedrock_tui::local::{Settings, Tls};

use super::*;

const KEY: &str = "ABSKQmVkcm9ja0FQSUtleS1lMmUtc2VjcmV0";

/// The request log the endpoint keeps in `dir`.
fn logged(dir: &std::path::Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(dir.join("requests.jsonl"))
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn an_api_key_alone_works_over_https_and_is_never_logged() {
    let dir = tempfile::tempdir().unwrap();
    let ep = endpoint_with(Settings {
        data_dir: Some(dir.path().to_owned()),
        tls: Some(Tls::new(dir.path().join("tls"))),
        ..Settings::default()
    })
    .await;
    let url = ep.url();
    assert!(url.starts_with("https://"), "{url}");
    let ca = ep.certificate().expect("a certificate").to_owned();
    let env = [
        ("AWS_BEARER_TOKEN_BEDROCK", OsStr::new(KEY)),
        ("AWS_CA_BUNDLE", ca.as_os_str()),
    ];

    let home = config_home(&format!(
        "endpoint_url = \"{url}\"\nregion = \"us-east-1\"\n"
    ));
    let mut tui = Tui::start_env(&[], home.clone(), &env);
    let s = tui.wait_for("· API key").await;
    assert!(s.contains(&format!("{url} (us-east-1) · API key")), "{s}");
    tui.send("Hello over TLS").await;
    tui.wait_for("Let me know if you want more detail").await;
    tui.keys("\x03");
    assert!(tui.exit_status().await.success());

    let ask = std::process::Command::new(env!("CARGO_BIN_EXE_bedrock-tui"))
        .args([
            "ask",
            "--endpoint-url",
            &url,
            "--region",
            "us-east-1",
            "Hi [[tokens:5]]",
        ])
        .env("HOME", &home)
        .env("AWS_CONFIG_FILE", home.join("none"))
        .env("AWS_SHARED_CREDENTIALS_FILE", home.join("none"))
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_PROFILE")
        .envs(env)
        .output()
        .unwrap();
    assert!(ask.status.success(), "{ask:?}");
    assert!(
        String::from_utf8_lossy(&ask.stdout).starts_with("You asked"),
        "{ask:?}"
    );

    let log = logged(dir.path());
    let turns: Vec<_> = log
        .iter()
        .filter(|r| r["operation"] == "ConverseStream")
        .collect();
    assert_eq!(turns.len(), 2, "the chat's turn and ask's: {log:?}");
    for r in &log {
        assert_eq!(r["auth"], "bearer", "{r}");
    }
    let text = std::fs::read_to_string(dir.path().join("requests.jsonl")).unwrap();
    assert!(!text.contains(KEY), "the key is logged");
    let app_log = home
        .join("data")
        .join("bedrock-tui")
        .join("bedrock-tui.log");
    let app_log = std::fs::read_to_string(app_log).unwrap_or_default();
    assert!(!app_log.contains(KEY), "the key is in the app's log");

    // Without the certificate trusted, the same call is refused, not sent in clear.
    let untrusted = std::process::Command::new(env!("CARGO_BIN_EXE_bedrock-tui"))
        .args(["ask", "--endpoint-url", &url, "--region", "us-east-1", "Hi"])
        .env("HOME", &home)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_BEARER_TOKEN_BEDROCK", KEY)
        .env_remove("AWS_CA_BUNDLE")
        .output()
        .unwrap();
    assert!(!untrusted.status.success(), "{untrusted:?}");
    assert_eq!(
        logged(dir.path()).len(),
        log.len(),
        "nothing more reached the endpoint"
    );
}
