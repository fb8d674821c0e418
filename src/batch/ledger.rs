//! The output file of a run and what makes it resumable: one JSON line per finished
//! record, appended as each finishes, and beside it `OUTPUT.run.json` naming the
//! input (by SHA-256) and the model it belongs to.
//!
//! Opening an output that exists reads which records it already holds: a record with
//! an answer is done; one with only errors is sent again, and its new line supersedes
//! the old ones when the run is [finished](Ledger::finish). A line cut short by a kill
//! (no newline at the end) is removed, as is a line a failed write left half written,
//! so a line in the file is always whole. The file is only ever appended to or replaced
//! whole by a rename, so nothing already written is lost.

use std::collections::{HashMap, HashSet};
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// What an output file belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Identity {
    /// The input file as it was named.
    pub input: String,
    /// SHA-256 of the input's bytes.
    pub input_sha256: String,
    /// The model id the records are sent to.
    pub model: String,
    /// SHA-256 of what a prompt line becomes (template, system prompt, inference
    /// settings): answers to other prompts are not this run's.
    #[serde(default)]
    pub prompting_sha256: String,
}

/// How a record ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Answered,
    Failed,
}

#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error(
        "{out} holds records but has no {meta} saying which input they belong to; \
         --force adds to it anyway, or choose another --out"
    )]
    Unknown { out: String, meta: String },
    #[error(
        "{out} belongs to another run (input {input}, model {model}{settings}); \
         --force adds to it anyway, or choose another --out"
    )]
    OtherRun {
        /// Says when only the prompt settings differ.
        settings: &'static str,
        out: String,
        input: String,
        model: String,
    },
    #[error("{out} line {line} is not a record of a batch run ({why}); it was left as it is")]
    Foreign {
        out: String,
        line: usize,
        why: String,
    },
    #[error("{path}: {source}")]
    Io { path: String, source: io::Error },
}

/// Where a file of the output is, for messages: sanitized, it may come from anywhere.
fn shown(path: &Path) -> String {
    crate::sanitize::text(&path.display().to_string())
}

fn io_error(path: &Path) -> impl FnOnce(io::Error) -> LedgerError + '_ {
    move |source| LedgerError::Io {
        path: shown(path),
        source,
    }
}

/// The file beside `out` naming what it belongs to.
pub fn meta_path(out: &Path) -> PathBuf {
    let mut name = out.as_os_str().to_owned();
    name.push(".run.json");
    PathBuf::from(name)
}

/// Where appended lines go: a file, or in tests one that fails.
pub trait Sink {
    fn append(&mut self, bytes: &[u8]) -> io::Result<()>;
    /// Cuts the file back to `len` bytes.
    fn cut(&mut self, len: u64) -> io::Result<()>;
}

impl Sink for File {
    fn append(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.write_all(bytes)
    }

    fn cut(&mut self, len: u64) -> io::Result<()> {
        self.set_len(len)
    }
}

/// What an output holds: the ids answered and the ids that only failed, in the order
/// of their lines.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Held {
    pub answered: HashSet<String>,
    pub failed: HashSet<String>,
    /// Bytes of whole lines; anything after is a line cut short.
    pub len: u64,
    /// Some id has more than one line (an error, then what a later run got).
    pub superseded: bool,
}

/// Reads an output's lines; the error names the first line that is not a record.
pub fn scan(bytes: &[u8]) -> Result<Held, (usize, String)> {
    let mut held = Held::default();
    let whole = bytes.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
    held.len = whole as u64;
    for (i, line) in bytes[..whole].split(|b| *b == b'\n').enumerate() {
        if line.is_empty() {
            continue;
        }
        let (id, failed) = record_of(line).map_err(|why| (i + 1, why))?;
        if held.answered.contains(&id) || held.failed.contains(&id) {
            held.superseded = true;
        }
        if failed {
            if !held.answered.contains(&id) {
                held.failed.insert(id);
            }
        } else {
            held.failed.remove(&id);
            held.answered.insert(id);
        }
    }
    Ok(held)
}

/// The record id of an output line and whether it is an error.
fn record_of(line: &[u8]) -> Result<(String, bool), String> {
    let v: Value = serde_json::from_slice(line).map_err(|e| e.to_string())?;
    let id = v
        .get("recordId")
        .and_then(Value::as_str)
        .ok_or("no recordId")?;
    Ok((id.to_owned(), v.get("error").is_some()))
}

/// The output of a run, open for appending.
pub struct Ledger<S: Sink = File> {
    path: PathBuf,
    sink: S,
    held: Held,
}

impl Ledger<File> {
    /// Opens `out` for the run `identity` describes: a new file, or one of the same run
    /// to resume. One of another run (or of none known) is refused unless `force`.
    pub fn open(out: &Path, identity: &Identity, force: bool) -> Result<Self, LedgerError> {
        let bytes = match std::fs::read(out) {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(io_error(out)(e)),
        };
        let meta = meta_path(out);
        if !bytes.is_empty() && !force {
            let theirs: Option<Identity> = std::fs::read(&meta)
                .ok()
                .and_then(|b| serde_json::from_slice(&b).ok());
            match theirs {
                None => {
                    return Err(LedgerError::Unknown {
                        out: shown(out),
                        meta: shown(&meta),
                    });
                }
                Some(t)
                    if t.input_sha256 != identity.input_sha256
                        || t.model != identity.model
                        || t.prompting_sha256 != identity.prompting_sha256 =>
                {
                    let same_file =
                        t.input_sha256 == identity.input_sha256 && t.model == identity.model;
                    return Err(LedgerError::OtherRun {
                        settings: if same_file {
                            ", other --template, --system, --max-tokens or --temperature"
                        } else {
                            ""
                        },
                        out: shown(out),
                        input: crate::sanitize::text(&t.input),
                        model: crate::sanitize::text(&t.model),
                    });
                }
                Some(_) => {}
            }
        }
        let held = scan(&bytes).map_err(|(line, why)| LedgerError::Foreign {
            out: shown(out),
            line,
            why: crate::sanitize::text(&why),
        })?;
        let meta_json = serde_json::to_vec_pretty(identity).unwrap_or_default();
        replace(&meta, &meta_json).map_err(io_error(&meta))?;
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(out)
            .map_err(io_error(out))?;
        // A line cut short by a kill is no record: it goes, and its record is sent again.
        if held.len < bytes.len() as u64 {
            file.set_len(held.len).map_err(io_error(out))?;
        }
        Ok(Ledger {
            path: out.to_owned(),
            sink: file,
            held,
        })
    }
}

impl<S: Sink> Ledger<S> {
    /// What the output already holds.
    pub fn held(&self) -> &Held {
        &self.held
    }

    /// Whether `id` already has an answer.
    pub fn answered(&self, id: &str) -> bool {
        self.held.answered.contains(id)
    }

    /// Appends the line of a finished record. When the write fails (a full disk), the
    /// part of the line that was written is cut off again.
    pub fn write(
        &mut self,
        id: &str,
        line: &impl Serialize,
        outcome: Outcome,
    ) -> Result<(), LedgerError> {
        let mut bytes = serde_json::to_vec(line).map_err(|e| io_error(&self.path)(e.into()))?;
        bytes.push(b'\n');
        if let Err(e) = self.sink.append(&bytes) {
            // If even the cut fails the next open removes what follows the last newline.
            let _ = self.sink.cut(self.held.len);
            return Err(io_error(&self.path)(e));
        }
        self.held.len += bytes.len() as u64;
        let seen = self.held.answered.contains(id) || self.held.failed.contains(id);
        self.held.superseded |= seen;
        match outcome {
            Outcome::Answered => {
                self.held.failed.remove(id);
                self.held.answered.insert(id.to_owned());
            }
            Outcome::Failed => {
                self.held.failed.insert(id.to_owned());
            }
        }
        Ok(())
    }

    /// Ends the run's writing. When a record has lines of more than one run, or
    /// `order` is given (record id to its place), the file is rewritten, through a new
    /// file renamed over it, with one line per record (its answer, else its last
    /// error), in that order.
    pub fn finish(self, order: Option<&HashMap<String, usize>>) -> Result<(), LedgerError> {
        drop(self.sink);
        if !self.held.superseded && order.is_none() {
            return Ok(());
        }
        let path = &self.path;
        let bytes = std::fs::read(path).map_err(io_error(path))?;
        let text = compact(&bytes, order);
        replace(path, &text).map_err(io_error(path))
    }
}

/// One line per record: the answer, else the last error; sorted by `order` when
/// given (ids it does not know last, as they came), else in the order of first lines.
pub fn compact(bytes: &[u8], order: Option<&HashMap<String, usize>>) -> Vec<u8> {
    let mut kept: Vec<(String, &[u8])> = Vec::new();
    let mut at: HashMap<String, usize> = HashMap::new();
    for line in bytes.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
        let Ok((id, failed)) = record_of(line) else {
            continue;
        };
        match at.get(&id) {
            None => {
                at.insert(id.clone(), kept.len());
                kept.push((id, line));
            }
            Some(&i) => {
                let had_answer = record_of(kept[i].1).is_ok_and(|(_, f)| !f);
                if !(failed && had_answer) {
                    kept[i].1 = line;
                }
            }
        }
    }
    if let Some(order) = order {
        // Stable: ids the order does not know keep their places among themselves.
        kept.sort_by_key(|(id, _)| order.get(id).copied().unwrap_or(usize::MAX));
    }
    let mut out = Vec::with_capacity(bytes.len());
    for (_, line) in kept {
        out.extend_from_slice(line);
        out.push(b'\n');
    }
    out
}

/// Writes `path` whole or not at all: a new file beside it, synced, renamed over it.
fn replace(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn identity(sha: &str) -> Identity {
        Identity {
            input: "in.jsonl".into(),
            input_sha256: sha.into(),
            model: "m".into(),
            prompting_sha256: "p".into(),
        }
    }

    #[test]
    fn a_rerun_knows_what_is_done_and_drops_a_line_cut_short() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out.jsonl");
        let mut l = Ledger::open(&out, &identity("a"), false).unwrap();
        l.write(
            "r1",
            &json!({"recordId": "r1", "output": "x"}),
            Outcome::Answered,
        )
        .unwrap();
        l.write(
            "r2",
            &json!({"recordId": "r2", "error": {}}),
            Outcome::Failed,
        )
        .unwrap();
        drop(l);
        // A kill in the middle of a line.
        let mut f = OpenOptions::new().append(true).open(&out).unwrap();
        f.write_all(br#"{"recordId":"r3","out"#).unwrap();
        let l = Ledger::open(&out, &identity("a"), false).unwrap();
        assert!(l.answered("r1") && !l.answered("r2") && !l.answered("r3"));
        assert!(l.held().failed.contains("r2"));
        drop(l);
        let text = std::fs::read_to_string(&out).unwrap();
        assert_eq!(text.lines().count(), 2);
        assert!(text.ends_with('\n'));
    }

    #[test]
    fn an_output_of_another_run_is_refused_unless_forced() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out.jsonl");
        let mut l = Ledger::open(&out, &identity("a"), false).unwrap();
        l.write("r1", &json!({"recordId": "r1"}), Outcome::Answered)
            .unwrap();
        drop(l);
        let err = Ledger::open(&out, &identity("b"), false).err().unwrap();
        assert!(matches!(err, LedgerError::OtherRun { .. }), "{err}");
        // The same file and model with another template is another run too, and says so.
        let other_prompt = Identity {
            prompting_sha256: "q".into(),
            ..identity("a")
        };
        let err = Ledger::open(&out, &other_prompt, false).err().unwrap();
        assert!(
            err.to_string()
                .contains("model m, other --template, --system, --max-tokens or --temperature)"),
            "{err}"
        );
        std::fs::remove_file(meta_path(&out)).unwrap();
        let err = Ledger::open(&out, &identity("a"), false).err().unwrap();
        assert!(matches!(err, LedgerError::Unknown { .. }), "{err}");
        let l = Ledger::open(&out, &identity("b"), true).unwrap();
        assert!(l.answered("r1"), "forced, it adds to what is there");
        std::fs::write(&out, "not json\n").unwrap();
        let err = Ledger::open(&out, &identity("b"), false).err().unwrap();
        assert!(matches!(err, LedgerError::Foreign { line: 1, .. }), "{err}");
        assert_eq!(std::fs::read_to_string(&out).unwrap(), "not json\n");
    }

    #[test]
    fn finishing_keeps_one_line_per_record_in_input_order() {
        let lines = [
            json!({"recordId": "b", "error": {"n": 1}}),
            json!({"recordId": "a", "output": "A"}),
            json!({"recordId": "b", "output": "B"}),
            json!({"recordId": "c", "error": {"n": 1}}),
            json!({"recordId": "c", "error": {"n": 2}}),
            json!({"recordId": "a", "error": {"late": true}}),
        ];
        let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
        let order: HashMap<String, usize> = [("a", 0), ("b", 1), ("c", 2)]
            .map(|(k, v)| (k.to_owned(), v))
            .into();
        let out = String::from_utf8(compact(text.as_bytes(), Some(&order))).unwrap();
        let got: Vec<Value> = out
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(
            got,
            vec![
                json!({"recordId": "a", "output": "A"}),
                json!({"recordId": "b", "output": "B"}),
                json!({"recordId": "c", "error": {"n": 2}}),
            ]
        );
    }

    /// A disk that fills after `room` bytes.
    struct Full {
        data: Vec<u8>,
        room: usize,
    }

    impl Sink for Full {
        fn append(&mut self, bytes: &[u8]) -> io::Result<()> {
            let fits = bytes.len().min(self.room - self.data.len());
            self.data.extend_from_slice(&bytes[..fits]);
            if fits < bytes.len() {
                return Err(io::Error::from_raw_os_error(28));
            }
            Ok(())
        }

        fn cut(&mut self, len: u64) -> io::Result<()> {
            self.data.truncate(len as usize);
            Ok(())
        }
    }

    #[test]
    fn a_full_disk_leaves_no_half_line() {
        let mut l = Ledger {
            path: "out.jsonl".into(),
            sink: Full {
                data: Vec::new(),
                room: 40,
            },
            held: Held::default(),
        };
        l.write("a", &json!({"recordId": "a"}), Outcome::Answered)
            .unwrap();
        let err = l
            .write(
                "b",
                &json!({"recordId": "b", "output": "long enough"}),
                Outcome::Answered,
            )
            .unwrap_err();
        assert!(err.to_string().contains("out.jsonl"), "{err}");
        assert_eq!(l.sink.data, b"{\"recordId\":\"a\"}\n");
        assert!(!l.answered("b"));
        assert_eq!(l.held().len, l.sink.data.len() as u64);
    }
}
