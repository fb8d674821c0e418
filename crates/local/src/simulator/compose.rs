//! Writes the simulated model's text: an answer in markdown (paragraphs, a list, a
//! fenced code block, sometimes a table) built from the question and the conversation.

use std::fmt::Write;

use super::super::conversation::{Request, Role};
use super::super::faults::strip_directives;
use super::super::tokens;
use super::tool_name_for;

const STOPWORDS: &[&str] = &[
    "about", "after", "again", "also", "because", "been", "before", "being", "could", "does",
    "doing", "each", "explain", "from", "give", "have", "having", "here", "into", "just", "know",
    "like", "make", "more", "most", "need", "only", "other", "please", "should", "show", "some",
    "such", "tell", "than", "that", "their", "them", "then", "there", "these", "they", "this",
    "those", "through", "very", "want", "what", "when", "where", "which", "while", "with", "would",
    "write", "your",
];

/// Up to five distinctive words of the question, in order of appearance.
pub(super) fn keywords(question: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for w in question.split(|c: char| !(c.is_alphanumeric() || c == '-' || c == '_')) {
        let w = w.trim_matches('-').to_lowercase();
        if w.chars().count() >= 4 && !STOPWORDS.contains(&w.as_str()) && !out.contains(&w) {
            out.push(w);
        }
        if out.len() == 5 {
            break;
        }
    }
    if out.is_empty() {
        out.push("your question".into());
    }
    out
}

/// The question shortened to a phrase that reads well inside a sentence.
pub(super) fn topic(question: &str) -> String {
    let first = question
        .split(['\n', '?', '!'])
        .map(str::trim)
        .find(|s| !s.is_empty())
        .unwrap_or("your message");
    let mut t: String = first.chars().take(80).collect();
    if first.chars().count() > 80 {
        t.push('…');
    }
    let t = t.trim_end_matches(['.', ',', ':', ';']);
    // "How do I ..." reads as "how do I ..." inside a sentence; "Rust ..." keeps its capital.
    let mut chars = t.chars();
    match (chars.next(), chars.next()) {
        (Some(first), Some(second)) if first.is_uppercase() && second.is_lowercase() => {
            first.to_lowercase().chain(t.chars().skip(1)).collect()
        }
        _ => t.to_owned(),
    }
}

fn language(question: &str, seed: u64) -> &'static str {
    let q = question.to_lowercase();
    let has = |w: &str| q.split(|c: char| !c.is_alphanumeric()).any(|x| x == w);
    if has("rust") || has("cargo") {
        "rust"
    } else if has("python") || has("pandas") || has("django") {
        "python"
    } else if has("sql") || has("query") || has("database") || has("postgres") {
        "sql"
    } else if has("bash") || has("shell") || has("script") || has("terminal") {
        "bash"
    } else if has("javascript") || has("typescript") || has("node") || has("react") {
        "typescript"
    } else if has("go") || has("golang") {
        "go"
    } else {
        ["python", "rust", "typescript", "bash"][(seed % 4) as usize]
    }
}

fn code(lang: &str, keys: &[String]) -> String {
    let list = |quote: &str, sep: &str| {
        keys.iter()
            .map(|k| format!("{quote}{k}{quote}"))
            .collect::<Vec<_>>()
            .join(sep)
    };
    match lang {
        "rust" => format!(
            "fn main() {{\n    let keywords = [{}];\n    for (i, word) in keywords.iter().enumerate() {{\n        println!(\"{{}}: {{}} ({{}} chars)\", i + 1, word, word.len());\n    }}\n}}",
            list("\"", ", ")
        ),
        "python" => format!(
            "def summarize(words: list[str]) -> dict[str, int]:\n    \"\"\"Map each keyword to its length.\"\"\"\n    return {{word: len(word) for word in words}}\n\n\nprint(summarize([{}]))",
            list("\"", ", ")
        ),
        "sql" => format!(
            "SELECT keyword, COUNT(*) AS mentions\nFROM notes\nWHERE keyword IN ({})\nGROUP BY keyword\nORDER BY mentions DESC;",
            list("'", ", ")
        ),
        "bash" => format!(
            "#!/usr/bin/env bash\nset -euo pipefail\nfor word in {}; do\n  printf '%s: %d chars\\n' \"$word\" \"${{#word}}\"\ndone",
            list("", " ")
        ),
        "go" => format!(
            "package main\n\nimport \"fmt\"\n\nfunc main() {{\n\tkeywords := []string{{{}}}\n\tfor i, w := range keywords {{\n\t\tfmt.Printf(\"%d: %s\\n\", i+1, w)\n\t}}\n}}",
            list("\"", ", ")
        ),
        _ => format!(
            "const keywords: string[] = [{}];\nfor (const [i, word] of keywords.entries()) {{\n  console.log(`${{i + 1}}: ${{word}} (${{word.length}} chars)`);\n}}",
            list("\"", ", ")
        ),
    }
}

fn wants_brevity(system: &str) -> bool {
    let s = system.to_lowercase();
    ["brief", "concise", "one sentence", "short answer", "terse"]
        .iter()
        .any(|w| s.contains(w))
}

/// The answer to the last user message.
pub(super) fn answer(req: &Request, question: &str, seed: u64) -> String {
    let system = req.system_text();
    let topic = topic(question);
    let keys = keywords(question);
    let mut out = String::new();

    if let Some(m) = req.messages.last().filter(|m| m.role == Role::User)
        && m.tool_results().next().is_some()
    {
        for (id, content, error) in m.tool_results() {
            let name = tool_name_for(req, id).unwrap_or("tool");
            let shown: String = content.chars().take(300).collect();
            if error {
                let _ = writeln!(out, "The `{name}` tool reported an error: {shown}\n");
            } else {
                let _ = writeln!(out, "The `{name}` tool returned:\n\n> {shown}\n");
            }
        }
        let _ = write!(
            out,
            "Based on that result, here is the answer to **{topic}**."
        );
        return out;
    }

    if !system.is_empty() {
        let s: String = strip_directives(&system).chars().take(80).collect();
        let _ = writeln!(out, "_Following the system prompt: \u{201c}{s}\u{201d}_\n");
    }
    if wants_brevity(&system) {
        let _ = write!(
            out,
            "In short: **{topic}** comes down to {}.",
            keys.join(", ")
        );
        return out;
    }
    let earlier: Vec<String> = req
        .messages
        .iter()
        .filter(|m| m.role == Role::User)
        .map(|m| strip_directives(&m.text()))
        .collect();
    let turn = earlier.len();
    let _ = writeln!(out, "You asked about **{topic}**.");
    if turn > 1 {
        let _ = writeln!(
            out,
            "This is turn {turn} of our conversation; earlier you asked about *{}*.",
            super::compose::topic(&earlier[turn - 2])
        );
    }
    let _ = writeln!(
        out,
        "\nHere is a short overview, with the key terms from your message:\n"
    );
    for (i, k) in keys.iter().enumerate() {
        let _ = writeln!(
            out,
            "{}. **{k}**: {}",
            i + 1,
            [
                "what it is and why it matters",
                "how it is usually used",
                "common pitfalls to avoid",
                "how to check that it works",
                "where to read more"
            ][i % 5]
        );
    }
    let lang = language(question, seed);
    let _ = writeln!(
        out,
        "\nA small example in {lang}:\n\n```{lang}\n{}\n```",
        code(lang, &keys)
    );
    let q = question.to_lowercase();
    if seed.is_multiple_of(3) || q.contains("compare") || q.contains("table") || q.contains(" vs") {
        let _ = writeln!(
            out,
            "\n| Term | Length | Notes |\n|------|-------:|-------|"
        );
        for k in &keys {
            let _ = writeln!(
                out,
                "| {k} | {} | mentioned in your question |",
                k.chars().count()
            );
        }
    }
    let _ = write!(
        out,
        "\nLet me know if you want more detail on any of these points."
    );
    out
}

/// Extends an answer with numbered sections until it has exactly `n` tokens.
pub(super) fn to_length(mut text: String, n: u32, seed: u64) -> String {
    let mut i = 0u64;
    loop {
        // Counting each section on its own keeps this linear; the margin covers
        // tokens that merge across section boundaries.
        let mut estimate = tokens::count(&text);
        while estimate < n.saturating_add(16) {
            i += 1;
            let section = format!(
                "\n\n### Section {i}\n\nThis section continues the answer with more detail (part {i}, variant {}). \
                 Each paragraph is generated deterministically so that long responses are repeatable.",
                seed.wrapping_add(i) % 97
            );
            estimate += tokens::count(&section);
            text.push_str(&section);
        }
        let mut out = String::new();
        let mut used = 0;
        for (piece, cost) in tokens::pieces(&text) {
            if used + cost > n {
                return out;
            }
            used += cost;
            out.push_str(&piece);
        }
        if used == n {
            return out;
        }
    }
}

/// The model's visible reasoning before it answers.
pub(super) fn reasoning(req: &Request, question: &str, budget: u32) -> String {
    let mut t = format!(
        "The user is asking about \"{}\". The key terms are {}.",
        topic(question),
        keywords(question).join(", ")
    );
    if !req.tools.is_empty() {
        let names: Vec<&str> = req.tools.iter().map(|t| t.name.as_str()).collect();
        let _ = write!(t, " Tools available: {}.", names.join(", "));
    }
    if req.messages.len() > 1 {
        let _ = write!(
            t,
            " There are {} earlier messages to keep in mind.",
            req.messages.len() - 1
        );
    }
    let _ = write!(
        t,
        " I have a thinking budget of {budget} tokens. I will give a short overview, a list of points and an example."
    );
    t
}
