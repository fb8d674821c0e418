//! Copying from the chat: Alt+C puts the answer's last code block on the clipboard and
//! Alt+Y the whole answer, each as an OSC 52 sequence the terminal (or tmux with
//! `set-clipboard on`) turns into the system clipboard, and the status bar says so.

use base64::Engine;

use super::*;

/// The payloads of the OSC 52 sequences the app wrote, decoded.
pub fn clipboard(raw: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(raw);
    text.split("\x1b]52;c;")
        .skip(1)
        .filter_map(|rest| rest.split('\x07').next())
        .filter_map(|b64| base64::engine::general_purpose::STANDARD.decode(b64).ok())
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn alt_c_copies_the_code_block_and_alt_y_the_answer() {
    let ep = endpoint(4000.0).await;
    let mut tui = Tui::chat(&ep.url(), "anthropic.claude-3-haiku-20240307-v1:0").await;
    tui.send("How do I sort a vector in Rust?").await;
    tui.wait_for("Let me know if you want more detail").await;
    tui.keys("\x1bc");
    let s = tui.wait_for("to the clipboard.").await;
    assert!(s.contains("Copied the rust block ("), "{s}");
    let copied = clipboard(&tui.raw());
    assert_eq!(copied.len(), 1);
    assert!(copied[0].starts_with("fn main() {\n"), "{:?}", copied[0]);
    assert!(!copied[0].contains("```"), "the code only: {:?}", copied[0]);
    tui.keys("\x1by");
    tui.wait_for("Copied the answer (").await;
    let copied = clipboard(&tui.raw());
    assert_eq!(copied.len(), 2);
    assert!(
        copied[1].contains("```rust\n"),
        "the answer as Markdown: {:?}",
        copied[1]
    );
    assert!(copied[1].contains("Let me know if you want more detail"));
}
