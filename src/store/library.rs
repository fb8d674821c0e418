//! What the history browser and `/export` ask of the store: listing and searching
//! conversations, and writing exports to files that never overwrite one.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use super::{ConversationId, Store, Summary};

/// One conversation in the history browser's list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub id: ConversationId,
    pub title: String,
    pub updated_ms: i64,
    pub messages: u32,
    pub model: String,
    /// Where the search words matched, for a search; `None` in the plain list.
    pub snippet: Option<String>,
}

/// Export formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Markdown,
    /// Attachments inline (base64), as a Converse request carries them.
    Json,
    /// Attachments as references: their SHA-256, size and file name.
    JsonNoBlobs,
}

impl Format {
    pub fn extension(self) -> &'static str {
        match self {
            Format::Markdown => "md",
            Format::Json | Format::JsonNoBlobs => "json",
        }
    }
}

/// How many conversations the browser lists at most.
const LIMIT: usize = 500;

fn row(s: &Summary, snippet: Option<String>) -> Row {
    Row {
        id: s.id,
        title: s.title.clone(),
        updated_ms: s.updated_ms,
        messages: s.message_count,
        model: s.last_model.clone(),
        snippet,
    }
}

/// The newest conversations, or those matching every word of `query`, best first,
/// one row per conversation.
pub fn rows(store: &Store, query: &str) -> super::Result<Vec<Row>> {
    let all = store.list(
        if query.trim().is_empty() {
            LIMIT
        } else {
            usize::MAX >> 1
        },
        0,
    )?;
    if query.trim().is_empty() {
        return Ok(all.iter().map(|s| row(s, None)).collect());
    }
    let by_id: HashMap<ConversationId, &Summary> = all.iter().map(|s| (s.id, s)).collect();
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    for hit in store.search(query, LIMIT * 4)? {
        if !seen.insert(hit.conversation) {
            continue;
        }
        if let Some(s) = by_id.get(&hit.conversation) {
            let snippet = hit.seq.map(|_| hit.snippet.replace('\n', " "));
            out.push(row(s, snippet));
        }
        if out.len() == LIMIT {
            break;
        }
    }
    Ok(out)
}

/// A file name made of the title's words: `how-do-i-reverse-a-list.md`.
fn slug(title: &str) -> String {
    let mut out = String::new();
    for word in title
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        if out.len() + word.len() > 60 {
            break;
        }
        if !out.is_empty() {
            out.push('-');
        }
        out.push_str(&word.to_lowercase());
    }
    if out.is_empty() {
        "conversation".into()
    } else {
        out
    }
}

/// Creates `path` only if nothing is there: an existing file is never overwritten. The
/// file is the user's alone (0600), like the history it comes from.
fn create_new(path: &Path, content: &[u8]) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(content)?;
    f.sync_all()
}

/// Writes conversation `id` as `format` to `path`, or to a new file in `dir` named after
/// its title (`-2`, `-3`, ... when taken). Returns where it went.
pub fn export(
    store: &Store,
    id: ConversationId,
    format: Format,
    path: Option<&str>,
    dir: &Path,
) -> Result<PathBuf, String> {
    let content = match format {
        Format::Markdown => store.export_markdown(id).map_err(|e| e.to_string())?,
        Format::Json | Format::JsonNoBlobs => store
            .export_json_with(
                id,
                if format == Format::Json {
                    super::converse_json::Blobs::Inline
                } else {
                    super::converse_json::Blobs::Reference
                },
            )
            .map_err(|e| e.to_string())
            .and_then(|v| serde_json::to_string_pretty(&v).map_err(|e| e.to_string()))?,
    };
    if let Some(p) = path {
        let target = crate::paths::expand_home(p);
        return match create_new(&target, content.as_bytes()) {
            Ok(()) => Ok(target),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Err(format!(
                "{} already exists; export again with another name",
                target.display()
            )),
            Err(e) => Err(format!("cannot write {}: {e}", target.display())),
        };
    }
    let title = store.load(id).map_err(|e| e.to_string())?.title;
    write_new(dir, &slug(&title), format.extension(), content.as_bytes())
}

/// Writes `content` to a new file `STEM.EXT` in `dir` (`STEM-2.EXT`, `-3`, ... when
/// taken), creating `dir` if needed; an existing file is never overwritten. Returns
/// where it went.
pub fn write_new(dir: &Path, stem: &str, ext: &str, content: &[u8]) -> Result<PathBuf, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    for n in 1..1000 {
        let name = match n {
            1 => format!("{stem}.{ext}"),
            n => format!("{stem}-{n}.{ext}"),
        };
        let target = dir.join(name);
        match create_new(&target, content) {
            Ok(()) => return Ok(target),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(format!("cannot write {}: {e}", target.display())),
        }
    }
    Err(format!("too many files named {stem} in {}", dir.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conversation::Message;
    use crate::store::StoredMessage;

    fn store_with(titles: &[(&str, &str)]) -> (Store, Vec<ConversationId>) {
        let mut store = Store::in_memory().unwrap();
        let mut ids = Vec::new();
        for (i, (title, text)) in titles.iter().enumerate() {
            let t = 1_000 + i as i64;
            let id = store.create(title, "m", None, t).unwrap();
            store
                .put_message(id, &StoredMessage::new(0, Message::user(*text), t))
                .unwrap();
            ids.push(id);
        }
        (store, ids)
    }

    #[test]
    fn lists_newest_first_and_searches_one_row_per_conversation() {
        let (store, ids) = store_with(&[
            ("Rust sorting", "How do I sort a vector in Rust? sort sort"),
            ("Python lists", "How do I reverse a list in Python?"),
        ]);
        let all = rows(&store, "").unwrap();
        assert_eq!(
            all.iter().map(|r| r.id).collect::<Vec<_>>(),
            vec![ids[1], ids[0]]
        );
        assert_eq!(all[0].snippet, None);
        let found = rows(&store, "sort").unwrap();
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].id, ids[0]);
        assert!(rows(&store, "haskell").unwrap().is_empty());
    }

    #[test]
    fn exports_never_overwrite() {
        let (store, ids) = store_with(&[("How do I sort? (Rust)", "How do I sort a vector?")]);
        let dir = tempfile::tempdir().unwrap();
        let a = export(&store, ids[0], Format::Markdown, None, dir.path()).unwrap();
        let b = export(&store, ids[0], Format::Markdown, None, dir.path()).unwrap();
        assert_eq!(a, dir.path().join("how-do-i-sort-rust.md"));
        assert_eq!(b, dir.path().join("how-do-i-sort-rust-2.md"));
        use std::os::unix::fs::PermissionsExt;
        for p in [&a, &b] {
            let mode = std::fs::metadata(p).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "{}", p.display());
        }
        let md = std::fs::read_to_string(&a).unwrap();
        assert!(md.starts_with("# How do I sort? (Rust)\n"), "{md}");

        let named = dir.path().join("out.json");
        let p = export(&store, ids[0], Format::Json, named.to_str(), dir.path()).unwrap();
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
        assert_eq!(v["format"], "bedrock-tui.conversation.v1");
        let again = export(&store, ids[0], Format::Json, named.to_str(), dir.path()).unwrap_err();
        assert!(again.contains("already exists"), "{again}");
    }
}
