//! "Copy as code" run for real: the boto3, AWS CLI, JavaScript v3 and curl snippets of
//! a turn, each run against the local endpoint, print the answer the app streamed for
//! it. boto3 and the AWS CLI come from the test venv, the JavaScript SDK from tests/js:
//! scripts/test installs both before the Rust tests.

use std::path::{Path, PathBuf};
use std::process::Command;

use bedrock_tui::app::inspect::InspectKey;
use bedrock_tui::app::turn::{TurnEvent, TurnRequest};
use bedrock_tui::app::{App, Effect, Entry, EntryState, Msg, update};
use bedrock_tui::bedrock;
use bedrock_tui::conversation::{Blob, Block, Inference, Kind, Media, Message, Role, Source};
use bedrock_tui::inspect::Exchange;
use bedrock_tui::snippet::Language;
use serde_json::Value;

use super::attach::media;
use super::count::connection;
use super::*;

const MODEL: &str = "us.anthropic.claude-haiku-4-5-20251001-v1:0";
const SYSTEM: &str = "Answer in one short paragraph.";
/// Text that a shell, a heredoc or a string literal would take for syntax.
const HOSTILE: &str =
    "Isn't \"this\" $HOME `id` $(echo pwned) ${x} \\ tricky?\nEOF\nJSON\n'; echo 'pwned";

/// The languages whose snippets are run: Rust's needs a Cargo project of its own.
const RUN: [Language; 4] = [
    Language::Python,
    Language::Cli,
    Language::JavaScript,
    Language::Curl,
];

/// A two-turn conversation with a system prompt and inference settings, whose last
/// question is `question`.
fn turn(question: Vec<Block>) -> TurnRequest {
    TurnRequest {
        model_id: MODEL.into(),
        system: Some(SYSTEM.into()),
        messages: vec![
            Message::user("What is ownership in Rust?"),
            Message {
                role: Role::Assistant,
                blocks: vec![Block::Text("Each value has one owner.".into())],
                model: None,
            },
            Message {
                role: Role::User,
                blocks: question,
                model: None,
            },
        ],
        inference: Inference {
            max_tokens: Some(300),
            temperature: Some(0.5),
            top_p: Some(0.875),
            stop_sequences: vec!["\n\nHuman:".into()],
            ..Inference::default()
        },
        guardrail: None,
        tools: None,
    }
}

fn attachment(kind: Kind, format: &str, name: &str, data: Vec<u8>) -> Block {
    Block::Media(Media {
        kind,
        format: format.into(),
        file: name.into(),
        name: if kind == Kind::Document {
            name.replace('.', "-")
        } else {
            String::new()
        },
        source: Source::Bytes(Blob::new(data)),
        citations: false,
    })
}

/// The answer's text as the app streams it, and the inspector's record of the request.
async fn app_answer(conn: &bedrock::Connection, req: &TurnRequest) -> (String, Exchange) {
    let mut text = String::new();
    let mut exchange = None;
    bedrock::stream_turn(conn, req, |e| match e {
        TurnEvent::Text(t) => text.push_str(&t),
        TurnEvent::Exchange(x) => exchange = Some(*x),
        _ => {}
    })
    .await
    .unwrap();
    assert!(!text.is_empty());
    (text, exchange.expect("the turn's exchange was recorded"))
}

/// What the inspector copies for each of `languages`, for the answer to `req` whose
/// request `x` recorded: the app's own path from a conversation on screen to the
/// clipboard, attachments filled back in from the conversation.
fn copied_snippets(
    req: &TurnRequest,
    x: &Exchange,
    languages: &[Language],
) -> Vec<(Language, String)> {
    let mut app = App::new(&req.model_id);
    for m in &req.messages {
        app.entries.push(Entry::new(m.clone(), EntryState::Done));
    }
    let mut answer = Entry::new(
        Message {
            role: Role::Assistant,
            blocks: Vec::new(),
            model: Some(req.model_id.clone()),
        },
        EntryState::Done,
    );
    answer.exchange = Some(Box::new(x.clone()));
    app.entries.push(answer);
    update(&mut app, Msg::Inspect);
    let key = |app: &mut App, key| {
        update(
            app,
            Msg::InspectKey {
                key,
                page: 10,
                max: 100,
            },
        )
    };
    languages
        .iter()
        .map(|l| {
            let tab = Language::ALL.iter().position(|x| x == l).unwrap() + 1;
            key(&mut app, InspectKey::Tab(tab));
            match key(&mut app, InspectKey::Copy).as_slice() {
                [Effect::Clipboard(code)] => (*l, code.clone()),
                other => panic!(
                    "no {} snippet copied: {other:?} {:?}",
                    l.label(),
                    app.notice
                ),
            }
        })
        .collect()
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A tool a snippet needs, failing the test with how to get it when it is missing.
fn tool(path: PathBuf, what: &str) -> PathBuf {
    assert!(
        path.exists(),
        "{} is missing: {what} (scripts/test installs it before the Rust tests)",
        path.display()
    );
    path
}

fn on_path(name: &str) -> PathBuf {
    std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
        .unwrap_or_else(|| panic!("{name} is not on PATH: the curl and JavaScript snippets run it"))
}

/// A shell that stops at the first command that fails, as a person pasting would.
fn sh() -> Command {
    let mut cmd = Command::new("sh");
    cmd.arg("-e");
    cmd
}

/// Runs the snippet of `language` from `dir`, in an environment of its own: the
/// test's credentials (or API key) in variables, no AWS config files, a fresh HOME.
/// Returns what it printed on stdout.
fn run(language: Language, code: &str, dir: &Path, env: &[(String, String)]) -> String {
    let venv = root().join("target/test-venv/bin");
    let file = dir.join(format!("snippet-{language:?}.{}", language.extension()));
    std::fs::write(&file, code).unwrap();
    let mut cmd = match language {
        Language::Python => Command::new(tool(venv.join("python"), "the test venv with boto3")),
        Language::Cli => {
            tool(
                venv.join("aws"),
                "the AWS CLI, from tests/boto3/requirements.txt",
            );
            sh()
        }
        Language::JavaScript => {
            let modules = tool(
                root().join("tests/js/node_modules/@aws-sdk/client-bedrock-runtime"),
                "the AWS SDK for JavaScript v3 (npm ci in tests/js)",
            );
            // ES modules resolve packages from the file's folder up, not NODE_PATH.
            let link = dir.join("node_modules");
            if !link.exists() {
                std::os::unix::fs::symlink(modules.parent().unwrap().parent().unwrap(), &link)
                    .unwrap();
            }
            Command::new(on_path("node"))
        }
        Language::Curl => {
            on_path("curl");
            sh()
        }
        Language::Rust => unreachable!("not run"),
    };
    let path = format!(
        "{}:{}",
        venv.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = cmd
        .arg(&file)
        .current_dir(dir)
        .env_clear()
        .env("PATH", path)
        .env("HOME", dir)
        .env("LANG", "C.UTF-8")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", "/nonexistent")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
        .envs(env.iter().map(|(k, v)| (k, v)))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "the {} snippet failed: {}\n{code}",
        language.label(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The answer's text in what a snippet printed: curl prints the response's JSON, the
/// others the text and a newline.
fn printed_text(language: Language, stdout: &str) -> String {
    match language {
        Language::Curl => {
            let v: Value = serde_json::from_str(stdout).unwrap();
            v["output"]["message"]["content"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|b| b["text"].as_str())
                .collect()
        }
        _ => stdout
            .strip_suffix('\n')
            .unwrap_or_else(|| panic!("{} printed no final newline", language.label()))
            .to_owned(),
    }
}

/// Runs the snippets of `languages` for `req` at once, each in its own thread, and
/// checks that each prints `answer`.
async fn check(
    req: &TurnRequest,
    (answer, x): &(String, Exchange),
    languages: &[Language],
    env: &[(&str, &str)],
) {
    let snippets = copied_snippets(req, x, languages);
    let env: Vec<(String, String)> = env
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    let answer = answer.clone();
    tokio::task::spawn_blocking(move || {
        let dir = tempfile::tempdir().unwrap();
        std::thread::scope(|s| {
            let runs: Vec<_> = snippets
                .iter()
                .map(|(language, code)| {
                    let (dir, env) = (dir.path(), &env);
                    (*language, s.spawn(move || run(*language, code, dir, env)))
                })
                .collect();
            for (language, run) in runs {
                let stdout = run.join().unwrap();
                assert_eq!(
                    printed_text(language, &stdout),
                    answer,
                    "the {} snippet's answer",
                    language.label()
                );
            }
        });
    })
    .await
    .unwrap();
}

const KEYS: [(&str, &str); 2] = [
    ("AWS_ACCESS_KEY_ID", "AKIDSNIPPETTEST"),
    ("AWS_SECRET_ACCESS_KEY", "snippet-test-secret"),
];

#[tokio::test]
async fn snippets_of_a_turn_print_the_apps_answer() {
    let ep = endpoint().await;
    let conn = connection(&ep).await;
    let req = turn(vec![Block::Text("And what is borrowing?".into())]);
    let answer = app_answer(&conn, &req).await;
    check(&req, &answer, &RUN, &KEYS).await;
}

#[tokio::test]
async fn snippets_of_a_turn_with_an_image_and_a_document_print_the_apps_answer() {
    let ep = endpoint().await;
    let conn = connection(&ep).await;
    let req = turn(vec![
        attachment(Kind::Image, "png", "chart.png", media::png(640, 480)),
        attachment(
            Kind::Document,
            "pdf",
            "report.pdf",
            media::pdf("Revenue grew 12 percent in the third quarter."),
        ),
        Block::Text("What do these show?".into()),
    ]);
    let answer = app_answer(&conn, &req).await;
    // Not the AWS CLI: the test venv's is version 1 (version 2 is not on PyPI), which
    // sends the base64 of its JSON input as the bytes themselves; the snippet says it
    // is for version 2, which decodes it.
    let languages = [Language::Python, Language::JavaScript, Language::Curl];
    check(&req, &answer, &languages, &KEYS).await;
    // The endpoint read the attachments as the formats they are.
    let log = super::jobs::request_log(&ep).await;
    let turns: Vec<&Value> = log["requests"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["media"].is_array())
        .collect();
    assert_eq!(turns.len(), 1 + languages.len(), "{log}");
    for t in turns {
        assert_eq!(t["media"][2][0]["format"], "png", "{t}");
        assert_eq!(t["media"][2][1]["format"], "pdf", "{t}");
    }
}

#[tokio::test]
async fn snippets_of_hostile_text_send_it_as_text() {
    let ep = endpoint().await;
    let conn = connection(&ep).await;
    let req = turn(vec![Block::Text(HOSTILE.into())]);
    let answer = app_answer(&conn, &req).await;
    let env = [
        KEYS[0],
        KEYS[1],
        // The session token header of the curl snippet, sent when there is one.
        ("AWS_SESSION_TOKEN", "snippet-session-token"),
    ];
    check(&req, &answer, &RUN, &env).await;
    // One request each: nothing of the text ran as a command of its own.
    let log = super::jobs::request_log(&ep).await;
    let sent = log["requests"].as_array().unwrap();
    assert_eq!(sent.len(), 1 + RUN.len(), "{log}");
}

#[tokio::test]
async fn snippets_with_an_api_key_send_it_as_a_bearer_token() {
    let ep = endpoint().await;
    let conn = connection(&ep).await;
    let req = turn(vec![Block::Text("And what is borrowing?".into())]);
    let (text, mut x) = app_answer(&conn, &req).await;
    // The SDKs send a bearer token only over HTTPS: an endpoint of its own serves it.
    let dir = tempfile::tempdir().unwrap();
    let tls = endpoint_with(Settings {
        tls: Some(bedrock_tui::local::Tls::new(dir.path())),
        ..Settings::default()
    })
    .await;
    let cert = tls.certificate().unwrap().display().to_string();
    // No credentials at all: the snippets can only use the key.
    let env = [
        ("AWS_BEARER_TOKEN_BEDROCK", "bedrock-api-key-snippet-test"),
        ("AWS_CA_BUNDLE", cert.as_str()),
        ("CURL_CA_BUNDLE", cert.as_str()),
        ("NODE_EXTRA_CA_CERTS", cert.as_str()),
    ];
    // The same request as a connection with an API key to that endpoint records it.
    x.url = x.url.replace(&ep.url(), &tls.url());
    x.auth = "bearer token (API key)".into();
    // Without credentials an SDK that did not send the key could not sign either.
    check(&req, &(text, x), &RUN, &env).await;
}
