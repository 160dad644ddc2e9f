//! Real programs that use dlopen, built as their users build them: SQLite (from the amalgamation
//! the `libsqlite3-sys` crate ships) loading an extension with `sqlite3_load_extension`, and
//! tree-sitter's runtime (from the `tree-sitter` crate) loading grammars (`tree-sitter-json`, and
//! `tree-sitter-python` with its external scanner) with dlopen/dlsym. Each is built twice from the same build lines, with gcc (run under
//! glibc) and with `wasi-dl cc` (run under wasi-dl); both must print `expected`.
//!
//! The C sources come from crates.io through cargo (a throwaway project under
//! `target/toolchain-tests/realprogs/fetch`, pinned versions), never vendored here. A machine
//! that cannot fetch them skips these tests with a message saying so.

use std::collections::HashMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use anyhow::{bail, Context, Result};

use crate::compile::{run_cached, Target};
use crate::run;

/// The crates whose C sources the programs are built from, at pinned versions.
const CRATES: &[(&str, &str)] = &[
    ("libsqlite3-sys", "0.40.0"),
    ("tree-sitter", "0.27.1"),
    ("tree-sitter-json", "0.24.8"),
    ("tree-sitter-python", "0.25.0"),
];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/toolchain-tests/realprogs")
}

/// Where cargo unpacked each crate of `CRATES`, or why they cannot be had (the tests then
/// skip). Fetched once per run: cargo's cache first (`--offline`), then crates.io.
fn crate_dirs() -> std::result::Result<HashMap<String, PathBuf>, String> {
    static DIRS: Mutex<Option<std::result::Result<HashMap<String, PathBuf>, String>>> =
        Mutex::new(None);
    let mut dirs = DIRS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    dirs.get_or_insert_with(|| fetch().map_err(|e| format!("{e:#}")))
        .clone()
}

fn fetch() -> Result<HashMap<String, PathBuf>> {
    let project = root().join("fetch");
    std::fs::create_dir_all(project.join("src"))?;
    let mut manifest = String::from(
        "# Written by toolchain-tests (realprogs.rs): only to have cargo fetch these sources.\n\
         [package]\nname = \"realprogs-fetch\"\nversion = \"0.0.0\"\nedition = \"2021\"\n\
         publish = false\n\n# Not a member of the wasi-dl workspace above.\n[workspace]\n\n\
         [dependencies]\n",
    );
    for (name, version) in CRATES {
        manifest.push_str(&format!(
            "{name} = {{ version = \"={version}\", default-features = false }}\n"
        ));
    }
    std::fs::write(project.join("Cargo.toml"), manifest)?;
    std::fs::write(project.join("src/lib.rs"), "")?;
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut last_error = String::new();
    for offline in [true, false] {
        let mut cmd = std::process::Command::new(&cargo);
        cmd.args(["metadata", "--format-version", "1", "--manifest-path"])
            .arg(project.join("Cargo.toml"));
        if offline {
            cmd.arg("--offline");
        }
        let out = cmd.output().context("running cargo metadata")?;
        if !out.status.success() {
            last_error = String::from_utf8_lossy(&out.stderr).into_owned();
            continue;
        }
        let meta: serde_json::Value = serde_json::from_slice(&out.stdout)?;
        let mut dirs = HashMap::new();
        for package in meta["packages"].as_array().into_iter().flatten() {
            let Some(name) = package["name"].as_str() else {
                continue;
            };
            if !CRATES
                .iter()
                .any(|(n, v)| *n == name && package["version"] == *v)
            {
                continue;
            }
            let manifest = package["manifest_path"].as_str().context("manifest_path")?;
            let dir = Path::new(manifest)
                .parent()
                .context("a crate's directory")?;
            dirs.insert(name.to_string(), dir.to_path_buf());
        }
        if dirs.len() == CRATES.len() {
            return Ok(dirs);
        }
        last_error = format!("cargo metadata listed only {:?}", dirs.keys());
    }
    bail!(
        "cannot fetch the C sources from crates.io: {}",
        last_error.trim_end()
    )
}

/// One compiler run: its arguments (the same for gcc and `wasi-dl cc`), its input files
/// (for the build cache) and its output (`main` is the program: `main.wasm` for wasm).
struct Step {
    args: Vec<OsString>,
    inputs: Vec<PathBuf>,
    output: &'static str,
}

fn step(args: &[&dyn AsRef<std::ffi::OsStr>], inputs: &[&Path], output: &'static str) -> Step {
    Step {
        args: args.iter().map(|a| a.as_ref().to_os_string()).collect(),
        inputs: inputs.iter().map(|p| p.to_path_buf()).collect(),
        output,
    }
}

/// Builds `steps` for both targets, runs the program (`main` / `main.wasm`) in each build
/// directory, and compares both outputs with `expected`.
fn differential(name: &str, steps: &[Step], expected: &Path) -> Result<()> {
    let expected = std::fs::read_to_string(expected)?;
    let mut problems = Vec::new();
    for target in [Target::Native, Target::Wasm] {
        let dir = root().join(name).join(target.dir_name());
        std::fs::create_dir_all(&dir)?;
        for s in steps {
            let output = if s.output == "main" {
                target.program_name()
            } else {
                s.output
            };
            let mut args = s.args.clone();
            args.extend(["-o".into(), output.into()]);
            run_cached(target, false, &args, &s.inputs, &dir, output, 0)
                .with_context(|| format!("{} build of {name}", target.dir_name()))?;
        }
        let out = match target {
            Target::Wasm => run::run_wasm(&dir, target.program_name(), &[])?,
            Target::Native => run::run_native(&dir, target.program_name(), &[])?,
        };
        if out.stdout != expected || out.code != 0 {
            problems.push(format!(
                "{}: exit {}\n{}\nstderr:\n{}\nbuild directory: {}",
                target.dir_name(),
                out.code,
                crate::diff(&expected, &out.stdout),
                out.stderr.trim_end(),
                dir.display()
            ));
        }
    }
    if !problems.is_empty() {
        bail!("{}", problems.join("\n"));
    }
    Ok(())
}

/// Runs `test` with the fetched sources, or says why it is skipped.
fn with_sources(test: fn(&HashMap<String, PathBuf>) -> Result<()>) -> Result<()> {
    match crate_dirs() {
        Ok(dirs) => test(&dirs),
        Err(why) => {
            eprintln!("realprogs: SKIPPED (no sources): {why}");
            Ok(())
        }
    }
}

/// SQLite with `sqlite3_load_extension` of `libmyext.so`.
pub fn sqlite_extension() -> Result<()> {
    with_sources(|dirs| {
        let here = Path::new(env!("CARGO_MANIFEST_DIR")).join("sqlite");
        let amalgamation = dirs["libsqlite3-sys"].join("sqlite3");
        let include = format!("-I{}", amalgamation.display());
        let sqlite_c = amalgamation.join("sqlite3.c");
        let (wrapper, main, ext) = (
            here.join("sqlite_dl.c"),
            here.join("main.c"),
            here.join("myext.c"),
        );
        // WASI has no threads; the rest of SQLite's WASI adaptations are its own (no WAL, no
        // mmap, no file locks: SQLITE_WASI, set from __wasi__).
        let steps = [
            step(
                &[
                    &"-O1",
                    &"-w",
                    &"-DSQLITE_THREADSAFE=0",
                    &include,
                    &"-c",
                    &wrapper,
                ],
                &[&wrapper, &sqlite_c],
                "sqlite3.o",
            ),
            step(
                &[&"-O2", &"-fPIC", &"-shared", &include, &ext],
                &[&ext],
                "libmyext.so",
            ),
            step(
                &[&"-O2", &include, &main, &"sqlite3.o", &"-ldl", &"-lm"],
                &[&main],
                "main",
            ),
        ];
        differential("sqlite_extension", &steps, &here.join("expected"))
    })
}

/// tree-sitter's runtime with the JSON and Python grammars loaded by dlopen.
pub fn tree_sitter_grammar() -> Result<()> {
    with_sources(|dirs| {
        let here = Path::new(env!("CARGO_MANIFEST_DIR")).join("treesitter");
        let runtime = dirs["tree-sitter"].clone();
        let json = dirs["tree-sitter-json"].join("src");
        let python = dirs["tree-sitter-python"].join("src");
        let (lib_c, main) = (runtime.join("src/lib.c"), here.join("main.c"));
        let (json_c, python_c, scanner_c) = (
            json.join("parser.c"),
            python.join("parser.c"),
            python.join("scanner.c"),
        );
        let steps = [
            step(
                &[
                    &"-O2",
                    &"-fPIC",
                    &"-shared",
                    &format!("-I{}", json.display()),
                    &json_c,
                ],
                &[&json_c],
                "libtree-sitter-json.so",
            ),
            step(
                &[
                    &"-O2",
                    &"-fPIC",
                    &"-shared",
                    &format!("-I{}", python.display()),
                    &python_c,
                    &scanner_c,
                ],
                &[&python_c, &scanner_c],
                "libtree-sitter-python.so",
            ),
            step(
                &[
                    &"-O2",
                    &format!("-I{}", runtime.join("include").display()),
                    &format!("-I{}", runtime.join("src").display()),
                    &main,
                    &lib_c,
                    &"-ldl",
                ],
                &[&main, &lib_c],
                "main",
            ),
        ];
        differential("tree_sitter_grammar", &steps, &here.join("expected"))
    })
}
