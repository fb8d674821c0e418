//! The fuzzy file finder behind `@` in the composer: the working directory's files
//! (as `.gitignore` and hidden-file rules leave them, via `ignore`) ranked against
//! what was typed after `@` (via `nucleo-matcher`, the matcher of the helix editor).

use std::path::Path;

use nucleo_matcher::pattern::{CaseMatching, Normalization, Pattern};
use nucleo_matcher::{Config, Matcher};

/// The most files listed: a home directory or a monorepo is cut here rather than
/// walked for seconds.
pub const MAX_FILES: usize = 50_000;

/// The files under `root`, as paths relative to it with `/` separators, in walking
/// order; `.gitignore`d and hidden files are left out. Blocking IO.
pub fn list(root: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let walk = ignore::WalkBuilder::new(root)
        .hidden(true)
        .git_ignore(true)
        // A .gitignore counts even outside a git repository, as users of `rg` expect.
        .require_git(false)
        .follow_links(false)
        .build();
    for entry in walk.flatten() {
        if out.len() >= MAX_FILES {
            break;
        }
        if !entry.file_type().is_some_and(|t| t.is_file()) {
            continue;
        }
        let Ok(rel) = entry.path().strip_prefix(root) else {
            continue;
        };
        let rel = rel.to_string_lossy().replace('\\', "/");
        // A name with control characters would reach the screen; it can still be
        // attached by typing its path.
        if !rel.chars().any(char::is_control) {
            out.push(rel);
        }
    }
    out
}

/// The best `limit` of `files` for `query`, best first; ties keep the shorter path
/// first. An empty query lists the first files.
pub fn rank(files: &[String], query: &str, limit: usize) -> Vec<String> {
    if query.is_empty() {
        return files.iter().take(limit).cloned().collect();
    }
    let mut matcher = Matcher::new(Config::DEFAULT.match_paths());
    let pattern = Pattern::parse(query, CaseMatching::Smart, Normalization::Smart);
    let mut hits = pattern.match_list(files.iter(), &mut matcher);
    hits.sort_by(|(a, sa), (b, sb)| sb.cmp(sa).then(a.len().cmp(&b.len())).then(a.cmp(b)));
    hits.into_iter()
        .take(limit)
        .map(|(f, _)| f.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_walk_respects_gitignore_and_hidden_files_and_ranking_finds_by_fragments() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("docs/img")).unwrap();
        std::fs::create_dir_all(root.join("target")).unwrap();
        for f in [
            "docs/img/screenshot.png",
            "docs/report.pdf",
            "README.md",
            "target/big.bin",
            ".secret",
        ] {
            std::fs::write(root.join(f), "x").unwrap();
        }
        std::fs::write(root.join(".gitignore"), "target/\n").unwrap();
        let mut files = list(root);
        files.sort();
        assert_eq!(
            files,
            ["README.md", "docs/img/screenshot.png", "docs/report.pdf"]
        );
        assert_eq!(rank(&files, "shot", 5), ["docs/img/screenshot.png"]);
        assert_eq!(rank(&files, "rep", 5)[0], "docs/report.pdf");
        assert_eq!(rank(&files, "", 2).len(), 2);
        assert!(rank(&files, "zzz", 5).is_empty());
    }
}
