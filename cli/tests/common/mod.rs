//! Helpers shared by the CLI tests: the built `wasi-dl`, scratch directories, `wasi-dl cc`.

#![allow(dead_code)]

use std::borrow::Borrow;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The `wasi-dl` binary, with a private XDG cache so that no test touches the real home (and
/// no test sees another's cache).
pub fn wasi_dl() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_wasi-dl"));
    command.env("XDG_CACHE_HOME", xdg_cache());
    command.env_remove("WASI_DL_DEBUG");
    command.env_remove("RUST_BACKTRACE");
    command
}

/// The private `XDG_CACHE_HOME` of [`wasi_dl`], for a test that starts `wasi-dl` another way.
pub fn xdg_cache() -> PathBuf {
    root().join("xdg-cache")
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/cli-tests")
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Asserts success and returns stdout (of an [`Output`] or a reference to one).
pub fn ok(output: impl Borrow<Output>) -> String {
    let output = output.borrow();
    assert!(
        output.status.success(),
        "failed ({:?}):\n{}{}",
        output.status,
        text(&output.stdout),
        text(&output.stderr)
    );
    text(&output.stdout)
}

/// A scratch directory under target/ (kept for inspection after a failure).
pub fn scratch(name: &str) -> PathBuf {
    let dir = root().join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

/// Writes `source` to `dir/file` and runs `wasi-dl cc file args...` there.
pub fn cc(dir: &Path, file: &str, source: &str, args: &[&str]) {
    std::fs::write(dir.join(file), source).unwrap();
    ok(wasi_dl()
        .current_dir(dir)
        .arg("cc")
        .arg(file)
        .args(args)
        .output()
        .unwrap());
}

/// `wasi-dl run args...` in `dir`.
pub fn run(dir: &Path, args: &[&str]) -> Output {
    wasi_dl()
        .current_dir(dir)
        .arg("run")
        .args(args)
        .output()
        .unwrap()
}
