//! What `batch run` says on standard error: a progress bar while it runs (records,
//! rate, tokens, cost, ETA, concurrency, throttles), drawn only when standard error is
//! a terminal, and a summary when it ends.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::batch::limiter::Stats;
use crate::pricing::format_usd;

/// What the records of this run came to so far.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Tally {
    pub answered: u64,
    pub failed: u64,
    pub input_tokens: u64,
    pub output_tokens: u64,
    /// USD of the answers whose price is known.
    pub usd: f64,
    /// Records sent again by the run itself after the SDK gave up on them.
    pub retries: u64,
}

impl Tally {
    pub fn finished(&self) -> u64 {
        self.answered + self.failed
    }
}

pub struct Progress {
    bar: ProgressBar,
}

impl Progress {
    /// A bar for `total` records, on standard error when it is a terminal.
    pub fn new(total: u64) -> Progress {
        let terminal = std::io::stderr().is_terminal();
        let target = if terminal {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        };
        let bar = ProgressBar::with_draw_target(Some(total), target);
        if terminal {
            // The ETA keeps moving while the run waits out a quota with nothing ending.
            bar.enable_steady_tick(Duration::from_secs(1));
        }
        // The template is a constant: a mistake in it is a build defect, and the bar
        // falls back to the default style rather than failing the run.
        if let Ok(style) =
            ProgressStyle::with_template("{bar:12} {pos}/{len} ETA {eta} · {wide_msg}")
        {
            bar.set_style(style);
        }
        Progress { bar }
    }

    /// Shows where the run is: the most telling figures first, as a narrow terminal
    /// cuts the end.
    pub fn update(&self, t: &Tally, concurrency: usize, throttles: u64) {
        self.bar.set_position(t.finished());
        let secs = self.bar.elapsed().as_secs_f64();
        let rate = if secs > 0.0 {
            t.finished() as f64 / secs
        } else {
            0.0
        };
        let failed = if t.failed > 0 {
            format!("{} failed · ", t.failed)
        } else {
            String::new()
        };
        self.bar.set_message(format!(
            "{rate:.1}/s · {failed}concurrency {concurrency} · {throttles} throttled · {} tokens · {}",
            compact(t.input_tokens + t.output_tokens),
            format_usd(t.usd),
        ));
    }

    /// A line on standard error above the bar.
    pub fn note(&self, message: impl std::fmt::Display) {
        self.bar.suspend(|| super::output::note(message));
    }

    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

/// A count as a bar has room for: 1234, 12.3k, 4.5M.
fn compact(n: u64) -> String {
    match n {
        0..10_000 => n.to_string(),
        10_000..1_000_000 => format!("{:.1}k", n as f64 / 1e3),
        _ => format!("{:.1}M", n as f64 / 1e6),
    }
}

/// How a run went, for the summary.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Summary {
    pub tally: Tally,
    pub stats: Stats,
    pub elapsed: Duration,
    /// Records of the input this run had to send.
    pub to_send: u64,
    /// Records answered by earlier runs.
    pub done_before: u64,
    /// Input lines that are not records.
    pub skipped_lines: u64,
    /// Whether prices were known for the model.
    pub priced: bool,
    /// The run was stopped before it sent everything.
    pub interrupted: bool,
}

/// The summary's lines.
pub fn summary(s: &Summary, model_id: &str) -> Vec<String> {
    let t = &s.tally;
    let secs = s.elapsed.as_secs_f64();
    let rate = if secs > 0.0 {
        t.finished() as f64 / secs
    } else {
        0.0
    };
    let mut lines = vec![format!(
        "{} of {} records finished: {} answered, {} failed{}{}{}",
        t.finished(),
        s.to_send,
        t.answered,
        t.failed,
        if s.done_before > 0 {
            format!("; {} answered by an earlier run", s.done_before)
        } else {
            String::new()
        },
        if s.skipped_lines > 0 {
            format!("; {} input lines skipped", s.skipped_lines)
        } else {
            String::new()
        },
        if s.interrupted {
            "; stopped early, run again to resume"
        } else {
            ""
        },
    )];
    lines.push(format!(
        "{model_id}: {} input + {} output tokens, {}",
        t.input_tokens,
        t.output_tokens,
        if s.priced {
            format_usd(t.usd)
        } else {
            "price unknown".to_owned()
        }
    ));
    let st = &s.stats;
    lines.push(format!(
        "{rate:.1} records/s over {secs:.1} s; concurrency lowest {} highest {} \
         ({} decreases, {} increases); {} throttled attempts; {} records retried by the run",
        st.lowest, st.highest, st.decreases, st.increases, st.throttles, t.retries
    ));
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_fit_the_bar() {
        assert_eq!(compact(9_999), "9999");
        assert_eq!(compact(12_345), "12.3k");
        assert_eq!(compact(4_500_000), "4.5M");
    }

    #[test]
    fn the_summary_says_what_happened() {
        let s = Summary {
            tally: Tally {
                answered: 8,
                failed: 2,
                input_tokens: 100,
                output_tokens: 50,
                usd: 0.0123,
                retries: 3,
            },
            stats: Stats {
                throttles: 7,
                decreases: 2,
                increases: 1,
                lowest: 2,
                highest: 8,
            },
            elapsed: Duration::from_secs(5),
            to_send: 10,
            done_before: 4,
            skipped_lines: 1,
            priced: true,
            interrupted: false,
        };
        let lines = summary(&s, "m");
        assert_eq!(
            lines[0],
            "10 of 10 records finished: 8 answered, 2 failed; 4 answered by an earlier run; 1 input lines skipped"
        );
        assert_eq!(lines[1], "m: 100 input + 50 output tokens, $0.012");
        assert!(lines[2].starts_with("2.0 records/s over 5.0 s; concurrency lowest 2 highest 8 (2 decreases, 1 increases); 7 throttled attempts; 3 records retried"), "{}", lines[2]);
    }
}
