//! Keys arriving faster than they are read: a burst of 400 key presses in one write
//! (more than a terminal read takes at once) all take effect, in order.

use super::*;

#[tokio::test(flavor = "multi_thread")]
async fn a_burst_of_400_keys_in_one_write_loses_none() {
    let ep = endpoint(4000.0).await;
    let url = ep.url();
    let mut tui = Tui::chat(&url, "anthropic.claude-3-haiku-20240307-v1:0").await;

    // 400 characters in one write, then 400 Left arrows (1,200 bytes) in another:
    // only if every arrow arrives is the cursor back at the very start.
    let words: Vec<String> = (1..=80).map(|i| format!("w{i:03}")).collect();
    let text = words.join(" ") + " ";
    assert_eq!(text.chars().count(), 400);
    tui.keys(&text);
    tui.keys(&"\x1b[D".repeat(400));
    // The composer scrolls sideways, so the question as sent is what shows every key.
    tui.keys("X\r");
    let screen = tui.wait_for(" in · ").await;
    let sent: String = screen
        .lines()
        .map(|l| l.split('│').next().unwrap_or_default().trim_end())
        .collect::<Vec<_>>()
        .join(" ");
    let want = format!("X{}", words.join(" "));
    assert!(
        sent.contains(&want),
        "the question is not {want:?}:\n{screen}"
    );
    tui.keys("\x03");
    assert!(tui.exit_status().await.success());
    ep.shutdown().await;
}
