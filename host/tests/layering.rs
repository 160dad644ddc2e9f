//! The host crate's layering, checked on every `cargo test` (issue #16).
//!
//! `host/src` is laid out in rooms (see the crate docs): the ABI edge on top, the loader's
//! phases, the context, lookup, module knowledge, and `error`/`trace`/`drive` at the ground.
//! Arrows run one way: a room may import rooms below it, never one above it or beside it. This
//! test reads every source file, collects the rooms each one names through `crate::ROOM` (in
//! `use` lines and in paths), and fails on
//! (a) an import cycle among the rooms,
//! (b) a room importing one above or beside it in [`LEVELS`],
//! (c) a source file over [`MAX_LINES`] lines (test modules included).
//!
//! `lib.rs` is the public face (re-exports) and may name any room. Comment lines are skipped:
//! doc links may point anywhere.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// The rooms from top to bottom; rooms on one level must not import each other.
const LEVELS: &[&[&str]] = &[
    &["abi"],
    &["loader"],
    &["ctx"],
    &["lookup"],
    &["module"],
    &["error", "trace", "drive"],
];

/// No source file longer than this.
const MAX_LINES: usize = 1000;

fn level_of(room: &str) -> Option<usize> {
    LEVELS.iter().position(|level| level.contains(&room))
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|x| x == "rs") {
            out.push(path);
        }
    }
}

/// The room a file belongs to: its first path component under `src` (`loader/open.rs` is in
/// `loader`, `error.rs` is `error`).
fn room_of(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).expect("file under src");
    let first = rel.components().next().expect("non-empty path");
    let first = first.as_os_str().to_string_lossy();
    first.strip_suffix(".rs").unwrap_or(&first).to_string()
}

/// Every room a line names: `crate::ROOM` anywhere in it, and the rooms inside a grouped
/// `use crate::{a::X, b}`.
fn rooms_named(line: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = line;
    while let Some(at) = rest.find("crate::") {
        // `wasi_dl::crate::` cannot occur; but skip `$crate::` of macros.
        let before = &rest[..at];
        let after = &rest[at + "crate::".len()..];
        if !before.ends_with('$') && !before.ends_with(|c: char| c.is_alphanumeric() || c == '_') {
            if let Some(group) = after.strip_prefix('{') {
                let end = group.find('}').unwrap_or(group.len());
                for part in group[..end].split(',') {
                    let name: String = part
                        .trim()
                        .chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '_')
                        .collect();
                    if !name.is_empty() {
                        found.push(name);
                    }
                }
            } else {
                let name: String = after
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() {
                    found.push(name);
                }
            }
        }
        rest = after;
    }
    found
}

/// room -> rooms it imports, with one place each import is made (for the message).
type Graph = BTreeMap<String, BTreeMap<String, String>>;

fn collect(src: &Path) -> (Graph, Vec<String>) {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    assert!(!files.is_empty(), "no sources under {}", src.display());
    let mut graph = Graph::new();
    let mut too_long = Vec::new();
    for file in &files {
        let text = fs::read_to_string(file).expect("readable source");
        let rel = file
            .strip_prefix(src)
            .expect("under src")
            .display()
            .to_string();
        let lines = text.lines().count();
        if lines > MAX_LINES {
            too_long.push(format!("{rel}: {lines} lines (limit {MAX_LINES})"));
        }
        let room = room_of(src, file);
        if room == "lib" {
            continue;
        }
        let edges = graph.entry(room.clone()).or_default();
        for (n, line) in text.lines().enumerate() {
            if line.trim_start().starts_with("//") {
                continue;
            }
            for target in rooms_named(line) {
                if target != room && level_of(&target).is_some() {
                    edges
                        .entry(target)
                        .or_insert_with(|| format!("{rel}:{}: {}", n + 1, line.trim()));
                }
            }
        }
    }
    (graph, too_long)
}

/// A cycle through `start`, if any, as a list of rooms.
fn cycle_from(graph: &Graph, start: &str) -> Option<Vec<String>> {
    fn walk(
        graph: &Graph,
        at: &str,
        start: &str,
        path: &mut Vec<String>,
        seen: &mut BTreeSet<String>,
    ) -> bool {
        for next in graph.get(at).into_iter().flat_map(|e| e.keys()) {
            if next == start {
                path.push(next.clone());
                return true;
            }
            if seen.insert(next.clone()) {
                path.push(next.clone());
                if walk(graph, next, start, path, seen) {
                    return true;
                }
                path.pop();
            }
        }
        false
    }
    let mut path = vec![start.to_string()];
    walk(graph, start, start, &mut path, &mut BTreeSet::new()).then_some(path)
}

#[test]
fn rooms_import_only_downwards_and_files_stay_small() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let (graph, too_long) = collect(&src);
    let mut problems = Vec::new();

    for room in graph.keys() {
        if level_of(room).is_none() {
            problems.push(format!(
                "`{room}` is in no level of LEVELS (host/tests/layering.rs): place the new room"
            ));
        }
    }
    let mut reported = BTreeSet::new();
    for room in graph.keys() {
        if let Some(cycle) = cycle_from(&graph, room) {
            let key: BTreeSet<_> = cycle.iter().cloned().collect();
            if reported.insert(key) {
                problems.push(format!("import cycle: {}", cycle.join(" -> ")));
            }
        }
    }
    for (room, edges) in &graph {
        let Some(from) = level_of(room) else { continue };
        for (target, at) in edges {
            let to = level_of(target).expect("only rooms are collected");
            if to <= from {
                let how = if to == from { "beside" } else { "above" };
                problems.push(format!(
                    "`{room}` imports `{target}`, a room {how} it (rooms import only downwards): {at}"
                ));
            }
        }
    }
    problems.extend(too_long);

    assert!(
        problems.is_empty(),
        "host/src breaks its layering (order, top to bottom: {}):\n  {}",
        LEVELS
            .iter()
            .map(|l| l.join("/"))
            .collect::<Vec<_>>()
            .join(" > "),
        problems.join("\n  ")
    );
}

#[test]
fn the_reader_sees_grouped_and_inline_paths() {
    assert_eq!(rooms_named("use crate::lookup::scope::Scope;"), ["lookup"]);
    assert_eq!(
        rooms_named("use crate::{error::DlError, trace};"),
        ["error", "trace"]
    );
    assert_eq!(
        rooms_named("let x = crate::module::cache::f(crate::trace::g());"),
        ["module", "trace"]
    );
    assert!(rooms_named("$crate::x; notcrate::y").is_empty());
}
