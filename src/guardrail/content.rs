//! The parts of a prompt only the guardrail screens. In a message, the lines between a
//! `:::guard` line and a `:::` line (or the end) are sent as a `guardContent` block
//! when the turn has a guardrail, so the guardrail evaluates them and not the rest of
//! the conversation; without a guardrail the marker lines are left out and the text
//! is sent as it is.

/// One piece of a message's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part<'a> {
    Text(&'a str),
    Guarded(&'a str),
}

const OPEN: &str = ":::guard";
const CLOSE: &str = ":::";

/// Splits `text` at its marker lines, in order; pieces with nothing in them are left out.
pub fn split(text: &str) -> Vec<Part<'_>> {
    let mut parts = Vec::new();
    let (mut start, mut at, mut guarded) = (0, 0, false);
    let mut push = |from: usize, to: usize, guarded: bool| {
        let piece = text[from..to].trim_matches('\n');
        if !piece.trim().is_empty() {
            parts.push(if guarded {
                Part::Guarded(piece)
            } else {
                Part::Text(piece)
            });
        }
    };
    for line in text.split_inclusive('\n') {
        let marker = line.trim();
        let switch = (!guarded && marker == OPEN) || (guarded && marker == CLOSE);
        if switch {
            push(start, at, guarded);
            guarded = !guarded;
            start = at + line.len();
        }
        at += line.len();
    }
    push(start, text.len(), guarded);
    parts
}

/// Whether `text` marks a part for the guardrail.
pub fn has_guarded(text: &str) -> bool {
    split(text).iter().any(|p| matches!(p, Part::Guarded(_)))
}

/// The guarded parts of `text`, joined by blank lines, when it has any.
pub fn guarded(text: &str) -> Option<String> {
    let parts: Vec<&str> = split(text)
        .into_iter()
        .filter_map(|p| match p {
            Part::Guarded(t) => Some(t),
            Part::Text(_) => None,
        })
        .collect();
    (!parts.is_empty()).then(|| parts.join("\n\n"))
}

/// `text` without its marker lines: what is sent when the turn has no guardrail.
pub fn plain(text: &str) -> String {
    split(text)
        .into_iter()
        .map(|p| match p {
            Part::Text(t) | Part::Guarded(t) => t,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marker_lines_split_the_text() {
        let t = "Summarize this email:\n:::guard\nHi, call me.\nBye.\n:::\nKeep it short.";
        assert_eq!(
            split(t),
            vec![
                Part::Text("Summarize this email:"),
                Part::Guarded("Hi, call me.\nBye."),
                Part::Text("Keep it short."),
            ]
        );
        assert!(has_guarded(t));
        assert_eq!(guarded(t).as_deref(), Some("Hi, call me.\nBye."));
        assert_eq!(
            plain(t),
            "Summarize this email:\nHi, call me.\nBye.\nKeep it short."
        );
    }

    #[test]
    fn an_unclosed_part_runs_to_the_end_and_plain_text_is_untouched() {
        assert_eq!(
            split("Check:\n  :::guard  \nall of this"),
            vec![Part::Text("Check:"), Part::Guarded("all of this")]
        );
        let t = "No markers; ::: alone and :::guarding are text.\n:::";
        assert_eq!(split(t), vec![Part::Text(t)]);
        assert!(!has_guarded(t));
        assert_eq!(guarded(t), None);
        assert_eq!(plain(t), t);
        assert_eq!(split(":::guard\n:::"), vec![]);
    }
}
