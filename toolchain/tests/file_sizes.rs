//! No god files outside the host either: every Rust source file of the toolchain, the CLI,
//! the benchmarks, the fuzzing harness and the guest library stays within [`MAX_LINES`] lines
//! (test modules included), as `host/tests/layering.rs` holds `host/src` to the same limit.
//! Build output (`target` directories) is not source and is skipped.

use std::fs;
use std::path::{Path, PathBuf};

/// No source file longer than this (the limit `host/tests/layering.rs` sets for the host).
const MAX_LINES: usize = 1000;

/// The directories checked, relative to the repository.
const ROOTS: &[&str] = &["toolchain/src", "cli/src", "bench/src", "fuzz/src", "guest"];

/// Every `.rs` file under `dir`, skipping `target` directories.
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let entries =
        fs::read_dir(dir).unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()));
    for entry in entries {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            if path.file_name().is_some_and(|name| name != "target") {
                rust_files(&path, out);
            }
        } else if path.extension().is_some_and(|x| x == "rs") {
            out.push(path);
        }
    }
}

/// The files of `roots` (under `repo`) longer than `limit`, as `path: N lines` lines.
fn too_long(repo: &Path, roots: &[&str], limit: usize) -> Vec<String> {
    let mut files = Vec::new();
    for root in roots {
        rust_files(&repo.join(root), &mut files);
    }
    assert!(!files.is_empty(), "no Rust files under {roots:?}");
    files.sort();
    files
        .iter()
        .filter_map(|file| {
            let text = fs::read_to_string(file)
                .unwrap_or_else(|e| panic!("cannot read {}: {e}", file.display()));
            let lines = text.lines().count();
            let rel = file.strip_prefix(repo).unwrap_or(file).display();
            (lines > limit).then(|| format!("{rel}: {lines} lines (limit {limit})"))
        })
        .collect()
}

#[test]
fn no_source_file_outside_the_host_is_over_the_line_limit() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let long = too_long(&repo, ROOTS, MAX_LINES);
    assert!(
        long.is_empty(),
        "split these files by idea into modules:\n{}",
        long.join("\n")
    );
}

#[test]
fn the_check_sees_a_long_file_and_skips_target_directories() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src/nested");
    fs::create_dir_all(&src).unwrap();
    fs::create_dir_all(dir.path().join("src/target")).unwrap();
    fs::write(src.join("long.rs"), "// line\n".repeat(11)).unwrap();
    fs::write(src.join("short.rs"), "// line\n".repeat(10)).unwrap();
    fs::write(src.join("notes.txt"), "x\n".repeat(100)).unwrap();
    fs::write(dir.path().join("src/target/built.rs"), "x\n".repeat(100)).unwrap();
    assert_eq!(
        too_long(dir.path(), &["src"], 10),
        ["src/nested/long.rs: 11 lines (limit 10)"]
    );
}
