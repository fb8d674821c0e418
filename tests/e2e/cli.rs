//! Subcommands printing to a terminal: the `models` table is cut to the terminal's
//! width, so no row wraps.

use std::time::{Duration, Instant};

use unicode_width::UnicodeWidthStr;

use super::pty;

/// The screen of `bedrock-tui ARGS` run to its end in a `cols`-wide terminal tall
/// enough for all it prints.
async fn run_at(args: &[&str], cols: u16) -> String {
    let home = tempfile::tempdir().unwrap();
    let mut p = pty::spawn(args, home.path(), 100, cols).unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(s) = p.child.try_wait().unwrap() {
            break s;
        }
        assert!(Instant::now() < deadline, "{args:?} did not exit");
        tokio::time::sleep(Duration::from_millis(30)).await;
    };
    assert!(status.success(), "{}", p.screen());
    // What the child wrote last may still be on its way to the screen.
    let mut last = p.screen();
    loop {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let now = p.screen();
        if now == last {
            return now;
        }
        last = now;
    }
}

#[tokio::test]
async fn the_models_table_fits_80_and_120_columns() {
    let rows = bedrock_tui::catalog::Catalog::builtin().models.len();
    for cols in [80u16, 120] {
        let screen = run_at(&["models", "--local", "--region", "us-east-1"], cols).await;
        let lines: Vec<&str> = screen.lines().filter(|l| !l.is_empty()).collect();
        // One screen row per table row: none overflowed into the next.
        assert_eq!(lines.len(), rows + 1, "{cols}:\n{screen}");
        assert!(lines.iter().all(|l| l.width() <= usize::from(cols)));
        assert!(lines[0].starts_with("ID "), "{screen}");
        assert!(
            screen.contains('…'),
            "{cols}: cut with an ellipsis:\n{screen}"
        );
        // The id, the part a user copies, stays whole.
        for m in &bedrock_tui::catalog::Catalog::builtin().models {
            assert!(
                lines.iter().any(|l| l.starts_with(&format!("{} ", m.id))),
                "{cols}: {} in\n{screen}",
                m.id
            );
        }
    }
}
