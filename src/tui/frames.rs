//! Frame statistics for benchmarks: with `BEDROCK_TUI_FRAME_STATS=FILE` set, the app
//! records when each frame was drawn (since the app started), how long it took to draw
//! and write to the terminal, and whether a token count was in flight, and writes them
//! to FILE (one frame a line) when it exits.

use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant};

pub const ENV_VAR: &str = "BEDROCK_TUI_FRAME_STATS";

pub struct FrameStats {
    path: PathBuf,
    started: Instant,
    frames: Vec<(Duration, Duration, bool)>,
}

impl FrameStats {
    pub fn from_env() -> Option<FrameStats> {
        std::env::var_os(ENV_VAR).map(|p| FrameStats {
            path: PathBuf::from(p),
            started: Instant::now(),
            frames: Vec::new(),
        })
    }

    /// A frame that began at `began` and took `took`.
    pub fn record(&mut self, began: Instant, took: Duration, counting: bool) {
        self.frames.push((
            began.saturating_duration_since(self.started),
            took,
            counting,
        ));
    }

    /// Writes `AT_MS TOOK_US COUNTING` lines; a failure is logged, never shown.
    pub fn write(self) {
        let mut out = String::with_capacity(self.frames.len() * 20);
        for (at, took, counting) in &self.frames {
            out.push_str(&format!(
                "{} {} {}\n",
                at.as_millis(),
                took.as_micros(),
                u8::from(*counting)
            ));
        }
        let written =
            std::fs::File::create(&self.path).and_then(|mut f| f.write_all(out.as_bytes()));
        if let Err(e) = written {
            tracing::warn!(
                "could not write frame stats to {}: {e}",
                self.path.display()
            );
        }
    }
}
