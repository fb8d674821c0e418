//! The layout's rules, checked on the source: no cycles between the top-level modules,
//! the pure rooms (`app`, `ui`, `store`...) never reaching the rooms that do IO, the AWS
//! SDK crates used only in `bedrock/`, and neither the reducer nor the panes doing IO.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Crates that talk to AWS: only `bedrock/` may use them.
const AWS_CRATES: [&str; 6] = [
    "aws_sdk_",
    "aws_config",
    "aws_smithy_",
    "aws_credential_types",
    "aws_sigv4",
    "aws_types",
];

/// What the reducer and the panes must not touch: files, the environment, processes,
/// the network, threads, the runtime, the clock, the terminal.
const IO: [&str; 14] = [
    "std::fs",
    "std::env",
    "std::process",
    "std::net",
    "std::thread",
    "std::io::std",
    "tokio::",
    "rusqlite",
    "directories::",
    "SystemTime::now",
    "Instant::now",
    "crossterm::execute",
    "crossterm::terminal",
    "crossterm::queue",
];

/// Edges that must not exist: (from, to). The pure core does not know the executor,
/// the screen, the AWS room or the tool runner; the panes do not call AWS; the store
/// knows only data; the runner knows tools, not the app that uses them.
const FORBIDDEN: [(&str, &str); 17] = [
    ("app", "bedrock"),
    ("app", "tui"),
    ("app", "ui"),
    ("app", "cli"),
    ("ui", "bedrock"),
    ("ui", "tui"),
    ("ui", "cli"),
    ("bedrock", "tui"),
    ("bedrock", "ui"),
    ("store", "app"),
    ("store", "bedrock"),
    ("store", "tui"),
    ("app", "runner"),
    ("ui", "runner"),
    ("runner", "tui"),
    ("runner", "ui"),
    ("runner", "app"),
];

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(path: &Path) -> Vec<PathBuf> {
    if path.is_file() {
        return vec![path.to_owned()];
    }
    let mut out = Vec::new();
    for entry in std::fs::read_dir(path).unwrap().flatten() {
        out.extend(rust_files(&entry.path()))
    }
    out.retain(|p| p.extension().is_some_and(|e| e == "rs"));
    out
}

/// A file's code without its tests: test files are skipped, and a file's own tests
/// start at its first `#[cfg(test)]`.
fn code(path: &Path) -> String {
    let name = path.file_name().unwrap().to_string_lossy();
    if name.ends_with("_tests.rs") || name == "tests.rs" {
        return String::new();
    }
    let text = std::fs::read_to_string(path).unwrap();
    match text.find("#[cfg(test)]") {
        Some(i) => text[..i].to_owned(),
        None => text,
    }
}

/// The top-level modules of `src/` and the files of each.
fn rooms() -> BTreeMap<String, Vec<PathBuf>> {
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(src()).unwrap().flatten() {
        let path = entry.path();
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        if matches!(name.as_str(), "lib" | "main" | "architecture_tests") {
            continue;
        }
        if path.is_dir() || path.extension().is_some_and(|e| e == "rs") {
            out.insert(name, rust_files(&path));
        }
    }
    out
}

/// The top-level modules `code` names through `crate::`.
fn uses(code: &str, rooms: &BTreeSet<String>) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut rest = code;
    while let Some(i) = rest.find("crate::") {
        rest = &rest[i + "crate::".len()..];
        let names: Vec<&str> = match rest.strip_prefix('{') {
            Some(group) => group
                .split('}')
                .next()
                .unwrap_or("")
                .split(',')
                .map(|p| p.trim().split("::").next().unwrap_or(""))
                .collect(),
            None => vec![
                rest.split(|c: char| !(c.is_alphanumeric() || c == '_'))
                    .next()
                    .unwrap_or(""),
            ],
        };
        out.extend(
            names
                .into_iter()
                .filter(|n| rooms.contains(*n))
                .map(str::to_owned),
        );
    }
    out
}

type Graph = BTreeMap<String, BTreeSet<String>>;

fn graph() -> Graph {
    let rooms = rooms();
    let names: BTreeSet<String> = rooms.keys().cloned().collect();
    rooms
        .iter()
        .map(|(room, files)| {
            let mut deps: BTreeSet<String> =
                files.iter().flat_map(|f| uses(&code(f), &names)).collect();
            deps.remove(room);
            (room.clone(), deps)
        })
        .collect()
}

/// Every set of modules that reach each other (Tarjan's strongly connected components
/// of more than one module).
fn cycles(g: &Graph) -> Vec<Vec<String>> {
    struct State<'a> {
        g: &'a Graph,
        next: usize,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        found: Vec<Vec<String>>,
    }
    fn visit<'a>(s: &mut State<'a>, v: &'a str) {
        s.index.insert(v, s.next);
        s.low.insert(v, s.next);
        s.next += 1;
        s.stack.push(v);
        for w in s.g.get(v).into_iter().flatten() {
            let w = w.as_str();
            if !s.index.contains_key(w) {
                visit(s, w);
                let lw = s.low[w];
                s.low.entry(v).and_modify(|l| *l = (*l).min(lw));
            } else if s.stack.contains(&w) {
                let iw = s.index[w];
                s.low.entry(v).and_modify(|l| *l = (*l).min(iw));
            }
        }
        if s.low[v] == s.index[v] {
            let mut comp = Vec::new();
            while let Some(w) = s.stack.pop() {
                comp.push(w.to_owned());
                if w == v {
                    break;
                }
            }
            if comp.len() > 1 {
                comp.sort();
                s.found.push(comp);
            }
        }
    }
    let mut s = State {
        g,
        next: 0,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        found: Vec::new(),
    };
    for v in g.keys() {
        if !s.index.contains_key(v.as_str()) {
            visit(&mut s, v);
        }
    }
    s.found
}

#[test]
fn no_cycles_between_top_level_modules() {
    let g = graph();
    assert!(g.contains_key("app") && g["tui"].contains("app"), "{g:?}");
    assert_eq!(cycles(&g), Vec::<Vec<String>>::new(), "{g:#?}");
}

#[test]
fn the_layers_point_one_way() {
    let g = graph();
    let broken: Vec<_> = FORBIDDEN
        .iter()
        .filter(|(from, to)| g.get(*from).is_some_and(|d| d.contains(*to)))
        .collect();
    assert!(broken.is_empty(), "forbidden dependencies: {broken:?}");
}

#[test]
fn only_bedrock_uses_the_aws_sdks() {
    let mut found = Vec::new();
    for (room, files) in rooms() {
        // The local endpoint serves the protocol and may use the SDK's wire types.
        if room == "bedrock" || room == "local" {
            continue;
        }
        for f in files {
            let mut code = code(&f);
            // "Copy as code" writes the SDKs' names into the programs it generates: only
            // its own imports count there.
            if room == "snippet" {
                code = code
                    .lines()
                    .filter(|l| l.trim_start().starts_with("use "))
                    .collect();
            }
            for krate in AWS_CRATES {
                if code.contains(krate) {
                    found.push(format!("{} uses {krate}", f.display()));
                }
            }
        }
    }
    assert!(found.is_empty(), "{found:#?}");
}

#[test]
fn the_reducer_and_the_panes_do_no_io() {
    let rooms = rooms();
    let mut found = Vec::new();
    for room in ["app", "ui"] {
        for f in &rooms[room] {
            let code = code(f);
            for io in IO {
                if code.contains(io) {
                    found.push(format!("{} uses {io}", f.display()));
                }
            }
        }
    }
    assert!(found.is_empty(), "{found:#?}");
}

#[test]
fn the_checks_find_what_they_look_for() {
    let rooms: BTreeSet<String> = ["app", "ui", "store"].map(String::from).into();
    assert_eq!(
        uses(
            "use crate::{app::App, store::Store};\nlet x = crate::ui::View::new();",
            &rooms
        ),
        rooms
    );
    let g: Graph = [
        ("a", vec!["b"]),
        ("b", vec!["c"]),
        ("c", vec!["a"]),
        ("d", vec!["a"]),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.into_iter().map(String::from).collect()))
    .collect();
    assert_eq!(cycles(&g), vec![vec!["a", "b", "c"]]);
}
