//! Attachments as a person uses them: `@` completion picks a file, its chip shows, the
//! answer arrives; after a restart with `--continue` the attachment is still in the
//! conversation and a follow-up question sends it again. A document question on a
//! Claude model is answered with its sources.

use super::*;

#[path = "../support/media.rs"]
mod media;

const HAIKU45: &str = "anthropic.claude-haiku-4-5-20251001-v1:0";

/// The media of each message of the last ConverseStream request.
async fn last_media(url: &str) -> serde_json::Value {
    let log = request_log(url).await;
    log.iter()
        .rev()
        .find(|r| r["operation"] == "ConverseStream")
        .map(|r| r["media"].clone())
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread")]
async fn at_completion_attaches_a_file_that_stays_with_the_conversation() {
    let ep = endpoint(4000.0).await;
    let url = ep.url();
    let mut tui = Tui::chat(&url, HAIKU45).await;
    std::fs::write(tui.home.join("screenshot.png"), media::png(640, 480)).unwrap();
    std::fs::write(tui.home.join("notes.md"), "# Notes\n").unwrap();

    tui.keys("What is in this picture? @scr");
    let s = tui.wait_for("@screenshot.png").await;
    assert!(s.contains("Tab/Enter attach"), "{s}");
    tui.keys("\t");
    let s = tui.wait_for("screenshot.png  image · PNG · 640×480").await;
    assert!(s.contains("~410 tok"), "the chip's estimate: {s}");
    assert!(
        s.contains("What is in this picture? @screenshot.png"),
        "the @ word names the file: {s}"
    );
    tui.keys("\r");
    let s = tui.wait_for("Let me know if you want more detail").await;
    assert!(
        s.contains("▣ screenshot.png"),
        "the question shows its attachment: {s}"
    );
    let media = last_media(&url).await;
    assert_eq!(media[0][0]["kind"], "image", "{media}");
    assert_eq!(media[0][0]["width"], 640, "{media}");

    let mut tui = tui.quit_and_resume(&url).await;
    let s = tui.wait_for("▣ screenshot.png").await;
    assert!(s.contains("image · PNG · 640×480"), "{s}");
    tui.send("And what colours does it use?").await;
    tui.wait_for("turn 2 of our conversation").await;
    let media = last_media(&url).await;
    assert_eq!(
        media[0][0]["kind"], "image",
        "sent again after --continue: {media}"
    );
    assert_eq!(media[0][0]["width"], 640, "{media}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_document_answer_lists_its_sources_and_a_refusal_keeps_the_draft() {
    let ep = endpoint(4000.0).await;
    let url = ep.url();
    let mut tui = Tui::chat(&url, "amazon.nova-micro-v1:0").await;
    std::fs::write(
        tui.home.join("report.pdf"),
        media::pdf("Revenue grew 12 percent in the third quarter."),
    )
    .unwrap();
    tui.send("/attach report.pdf").await;
    tui.wait_for("report.pdf  document · PDF").await;
    tui.send("How did revenue do?").await;
    let s = tui
        .wait_for("Not sent: Nova Micro cannot take documents")
        .await;
    assert!(s.contains("How did revenue do?"), "the draft is back: {s}");
    assert!(
        request_log(&url)
            .await
            .iter()
            .all(|r| r["operation"] != "ConverseStream")
    );

    // Another model takes it; the draft and the chip are still there.
    tui.keys("\x10"); // Ctrl+P: the picker, the draft left as it is
    tui.keys("Haiku 4.5");
    tui.wait_for("Claude Haiku 4.5").await;
    tui.keys("\r");
    tui.wait_for("Switched to").await;
    tui.keys("\r");
    let s = tui.wait_for("Sources").await;
    assert!(s.contains("[1] report, p. 1:"), "{s}");
    assert!(s.contains("Revenue grew 12 percent"), "{s}");
}
