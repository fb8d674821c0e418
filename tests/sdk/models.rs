//! `bedrock-tui models`: the catalog alone without credentials, merged with the live
//! list from a local or custom endpoint, as JSON or a table, and its cache.

use std::path::Path;
use std::process::{Command, Output};

use bedrock_tui::store::live_cache;
use serde_json::Value;

use super::*;

/// Runs `models` with no credentials anywhere and the cache under `home`.
async fn models(home: &Path, args: &[&str]) -> Output {
    models_with(home, args, &[]).await
}

/// Runs `models` with only the environment `env` adds to a clean one.
async fn models_with(home: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_bedrock-tui"));
    cmd.arg("models").args(args);
    for var in [
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        "AWS_ENDPOINT_URL",
        "AWS_ENDPOINT_URL_BEDROCK",
        "AWS_ENDPOINT_URL_BEDROCK_RUNTIME",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", "/nonexistent")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
        .env("HOME", home)
        .env("XDG_CACHE_HOME", home.join("cache"))
        .envs(env.iter().copied());
    tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap()
}

fn rows(out: &Output) -> Vec<Value> {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    v.as_array().unwrap().clone()
}

fn row<'a>(rows: &'a [Value], id: &str) -> &'a Value {
    rows.iter()
        .find(|r| r["id"] == id)
        .unwrap_or_else(|| panic!("{id}"))
}

fn catalog_len() -> usize {
    bedrock_tui::catalog::Catalog::builtin().models.len()
}

#[tokio::test]
async fn without_credentials_it_lists_the_catalog_and_says_why() {
    let home = tempfile::tempdir().unwrap();
    let out = models(home.path(), &["--json", "--region", "eu-west-1"]).await;
    let rows = rows(&out);
    assert_eq!(rows.len(), catalog_len());
    assert!(
        rows.iter()
            .all(|r| r["listed"].is_null() && r["inCatalog"] == true)
    );
    let sonnet = row(&rows, SONNET45);
    assert_eq!(sonnet["needsProfile"], true);
    assert_eq!(sonnet["profile"], format!("eu.{SONNET45}"));
    assert_eq!(sonnet["contextWindow"], 200000);
    assert_eq!(row(&rows, HAIKU3)["needsProfile"], false);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("the live list needs credentials"),
        "{stderr}"
    );
    assert!(!home.path().join("cache").exists(), "nothing is cached");

    let out = models(home.path(), &["--live"]).await;
    assert!(!out.status.success());
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("needs AWS credentials"), "{stderr}");
}

#[tokio::test]
async fn with_local_it_merges_the_live_list_and_caches_it() {
    let home = tempfile::tempdir().unwrap();
    let out = models(home.path(), &["--local", "--json", "--region", "us-east-1"]).await;
    let rows = rows(&out);
    assert_eq!(rows.len(), catalog_len());
    assert!(
        rows.iter()
            .all(|r| r["listed"] == true && r["note"].is_null()),
        "{rows:#?}"
    );
    assert_eq!(row(&rows, SONNET45)["profile"], format!("us.{SONNET45}"));
    assert_eq!(row(&rows, NOVA_LITE)["profile"], format!("us.{NOVA_LITE}"));
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let file = home
        .path()
        .join("cache/bedrock-tui/live-models-local-us-east-1-default.json");
    let cached: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(cached["region"], "us-east-1");
    assert_eq!(cached["models"].as_array().unwrap().len(), catalog_len());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}

#[tokio::test]
async fn the_table_is_aligned_and_uses_the_endpoint_region() {
    let ep = endpoint().await;
    let home = tempfile::tempdir().unwrap();
    let url = ep.url();
    let out = models(
        home.path(),
        &["--endpoint-url", &url, "--region", "eu-west-1"],
    )
    .await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), catalog_len() + 1);
    let name_col = lines[0].find("NAME").unwrap();
    let sonnet = lines.iter().find(|l| l.starts_with(SONNET45)).unwrap();
    assert_eq!(
        &sonnet[name_col..name_col + "Claude Sonnet 4.5".len()],
        "Claude Sonnet 4.5"
    );
    assert!(
        sonnet.contains(&format!("required: eu.{SONNET45}")),
        "{sonnet}"
    );
    assert!(!text.contains("not listed"));
    let log = super::jobs::request_log(&ep).await;
    assert_eq!(operations(&log), LISTED);
}

/// The calls of one live listing: the models, the system profiles, then the account's
/// application profiles and prompt routers.
const LISTED: [&str; 4] = [
    "ListFoundationModels",
    "ListInferenceProfiles",
    "ListInferenceProfiles",
    "ListPromptRouters",
];

fn operations(log: &Value) -> Vec<&str> {
    log["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["operation"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn with_credentials_the_sdk_endpoint_variable_applies_and_the_cache_is_refreshed() {
    let ep = endpoint().await;
    let home = tempfile::tempdir().unwrap();
    let url = ep.url();
    let env = [
        ("AWS_ACCESS_KEY_ID", "AKIDMODELSTEST"),
        ("AWS_SECRET_ACCESS_KEY", "models-test-secret"),
        ("AWS_ENDPOINT_URL_BEDROCK", url.as_str()),
    ];
    let args = ["--json", "--region", "eu-west-1"];
    let out = models_with(home.path(), &args, &env).await;
    let first = rows(&out);
    assert!(first.iter().all(|r| r["listed"] == true), "{first:#?}");
    assert_eq!(row(&first, HAIKU3)["profile"], format!("eu.{HAIKU3}"));
    let log = super::jobs::request_log(&ep).await;
    assert_eq!(operations(&log), LISTED);
    let file = home
        .path()
        .join("cache/bedrock-tui/live-models-aws-eu-west-1-default.json");
    let cached = std::fs::read_to_string(&file).unwrap();
    assert!(!cached.contains("AKIDMODELSTEST") && !cached.contains("models-test-secret"));

    // Each run asks again and refreshes the cache, which the library reads back.
    let dir = home.path().join("cache/bedrock-tui");
    let key = live_cache::cache_key("aws", "eu-west-1", None);
    let before = live_cache::load_cached(&dir, &key, live_cache::CACHE_MAX_AGE).unwrap();
    std::fs::write(&file, "{not json").unwrap();
    assert_eq!(
        live_cache::load_cached(&dir, &key, live_cache::CACHE_MAX_AGE),
        None
    );
    let live_args = ["--json", "--live", "--region", "eu-west-1"];
    assert_eq!(
        rows(&models_with(home.path(), &live_args, &env).await),
        first
    );
    assert_eq!(
        operations(&super::jobs::request_log(&ep).await).len(),
        2 * LISTED.len()
    );
    let after = live_cache::load_cached(&dir, &key, live_cache::CACHE_MAX_AGE).unwrap();
    assert_eq!(after.models, before.models);
    assert!(after.fetched_ms >= before.fetched_ms);
}

#[test]
fn help_describes_every_flag() {
    let out = Command::new(env!("CARGO_BIN_EXE_bedrock-tui"))
        .args(["models", "--help"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    for text in [
        "--json",
        "Print a JSON array",
        "--live",
        "Require the live list",
        "--profile",
        "AWS profile",
        "--region",
        "AWS region",
        "--endpoint-url",
        "Send requests to this Bedrock endpoint",
        "--local",
        "Start the local endpoint",
    ] {
        assert!(help.contains(text), "{text} in {help}");
    }
}
