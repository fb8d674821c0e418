//! Async jobs as a person sees them: Nova Reel jobs started from the jobs pane with the
//! composer's text as their prompt (one with its input edited in `$EDITOR`), seen
//! InProgress, chatting on while they run, told when they end, the failed one's message
//! in its details, the completed one's outputs downloaded where the service's layout
//! puts them, and asked before they are overwritten.

use std::time::Duration;

use bedrock_tui::local::Settings;

use super::*;

const F5: &str = "\x1b[15~";

#[tokio::test(flavor = "multi_thread")]
async fn start_watch_chat_complete_and_download() {
    let ep = endpoint_with(Settings {
        async_seconds: 3,
        ..Settings::default()
    })
    .await;
    let url = ep.url();
    let home = config_home(&format!(
        "endpoint_url = \"{url}\"\nregion = \"us-east-1\"\njobs_output = \"s3://e2e-videos/fox\"\ndownload_dir = \"HOME/downloads\"\n"
    ));
    // The "editor" adds to the prompt of the template a directive that fails the job.
    let env = editor_env(
        &home,
        "sed -i 's/fresh snow\"/fresh snow [[fault:job-fail]]\"/' \"$1\"",
    );
    let env: Vec<_> = env.iter().map(|(k, v)| (*k, v.as_os_str())).collect();
    let mut tui = Tui::start_env(&[], home.clone(), &env);
    tui.wait_for("F1 help").await;

    // The composer's text becomes the job's prompt.
    tui.keys("A red fox running through fresh snow");
    tokio::time::sleep(Duration::from_millis(100)).await;
    tui.keys(F5);
    tui.wait_for("No async or batch jobs in us-east-1 yet")
        .await;
    tui.keys("n");
    let s = tui.wait_for("Start an async job").await;
    assert!(s.contains("◀ amazon.nova-reel-v1:0 ▶"), "{s}");
    assert!(s.contains("A red fox running through fresh snow"), "{s}");
    assert!(s.contains("s3://e2e-videos/fox"), "{s}");
    // Ctrl+O: the model input, written in $EDITOR from the template, is what is sent.
    tui.keys("\x0f");
    tui.wait_for("edited in $EDITOR").await;
    tui.keys("\r");
    let s = tui.wait_for("● InProgress").await;
    assert!(s.contains("amazon.nova-reel-v1:0"), "{s}");
    // A second job, from the template as it is.
    tui.keys("n");
    tui.wait_for("Start an async job").await;
    tui.keys("\r");
    let s = tui.wait_for("2 running").await;
    let id = s
        .lines()
        .find(|l| l.contains("▶ ● InProgress"))
        .and_then(|l| l.split_whitespace().nth(3))
        .expect("the job's id")
        .to_owned();

    // Chatting goes on while the jobs run; their end is told in the status bar.
    tui.keys("\x1b");
    tokio::time::sleep(Duration::from_millis(200)).await;
    tui.keys("\r");
    tui.wait_for("Let me know if you want more detail").await;
    tui.wait_for("2 jobs ended: 1 completed, 1 failed").await;

    // The edited job failed on the directive the editor added; the other completed.
    tui.keys(F5);
    let s = tui.wait_for_all(&["✓ Completed", "✗ Failed"]).await;
    assert!(s.contains(&format!("▶ ✓ Completed   {id}")), "{s}");
    tui.keys("\x1b[B");
    tokio::time::sleep(Duration::from_millis(100)).await;
    tui.keys("\r");
    tui.wait_for("The model could not process the input").await;
    tui.keys("\x1b[A");
    tokio::time::sleep(Duration::from_millis(100)).await;

    // Download the outputs: the files the service's layout promises, in the job's folder.
    tui.keys("d");
    let s = tui.wait_for("downloaded 2 files").await;
    let dir = home.join("downloads").join(&id);
    for name in ["manifest.json", "output.mp4"] {
        let path = dir.join(name);
        assert!(path.is_file(), "{} missing: {s}", path.display());
        assert!(s.contains(&path.display().to_string()), "{s}");
    }
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["modelId"], "amazon.nova-reel-v1:0");
    assert!(s.contains("│ {"), "the manifest is previewed: {s}");
    let mp4 = std::fs::read(dir.join("output.mp4")).unwrap();
    assert_eq!(&mp4[4..8], b"ftyp", "an MP4 file");

    // Downloading again asks first; a key other than y keeps the files.
    std::fs::write(dir.join("output.mp4"), b"edited").unwrap();
    tui.keys("d");
    tui.wait_for("y overwrites them").await;
    tui.keys("n");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(std::fs::read(dir.join("output.mp4")).unwrap(), b"edited");
    tui.keys("d");
    tui.wait_for("y overwrites them").await;
    tui.keys("y");
    tui.wait_for("downloaded 2 files").await;
    assert_eq!(std::fs::read(dir.join("output.mp4")).unwrap(), mp4);

    tui.keys("\x03");
    assert!(tui.exit_status().await.success());
}
