//! One conformance case: a directory with `main.c`, `lib*.c`/`lib*.cpp`, `expected`, and an
//! optional `case.toml` (see CASES.md).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Link-time dependencies: `libb = ["liba"]` records liba.so in libb.so's NEEDED.
    #[serde(default)]
    pub needs: BTreeMap<String, Vec<String>>,
    /// Libraries the program itself links against.
    #[serde(default)]
    pub main_needs: Vec<String>,
    #[serde(default)]
    pub exit_code: i32,
    /// false: glibc cannot give the same output; `reason` says why.
    #[serde(default = "yes")]
    pub native: bool,
    #[serde(default)]
    #[allow(dead_code)] // documentation for readers of case.toml; the harness only skips
    pub reason: Option<String>,
    /// false: wasi-dl does not support what the case does yet; `wasm_reason` says what.
    #[serde(default = "yes")]
    pub wasm: bool,
    #[serde(default)]
    #[allow(dead_code)] // documentation for readers of case.toml
    pub wasm_reason: Option<String>,
    /// Also compare stderr with `expected_stderr`.
    #[serde(default)]
    pub stderr: bool,
    #[serde(default)]
    pub args: Vec<String>,
    /// Extra files to create in the run directory.
    #[serde(default)]
    pub files: BTreeMap<String, String>,
    /// Symbolic links to create in the run directory, name = target (`"libx.so.1" =
    /// "libx.so"`): a library's SONAME, which the loader looks for, as a system installs it.
    #[serde(default)]
    pub symlinks: BTreeMap<String, String>,
    /// Extra flags for every compile of this case (both toolchains).
    #[serde(default)]
    pub cflags: Vec<String>,
    /// C++ with the compilers' defaults (exceptions and RTTI on) instead of
    /// `-fno-exceptions -fno-rtti`.
    #[serde(default)]
    pub exceptions: bool,
    /// Extra flags for one library's compile and link (`-Wl,-soname,...`).
    #[serde(default)]
    pub lib_cflags: BTreeMap<String, Vec<String>>,
    /// Extra flags for the program's link with `wasi-dl cc` only: what WASI needs and glibc
    /// has built in (`-lwasi-emulated-mman`).
    #[serde(default)]
    pub wasm_main_flags: Vec<String>,
}

fn yes() -> bool {
    true
}

pub struct Lib {
    /// `libfoo` for `libfoo.c`.
    pub stem: String,
    pub source: PathBuf,
    pub cxx: bool,
}

pub struct Case {
    pub name: String,
    pub dir: PathBuf,
    pub manifest: Manifest,
    pub main: PathBuf,
    pub main_cxx: bool,
    pub libs: Vec<Lib>,
    pub expected: String,
    pub expected_stderr: Option<String>,
    /// Other files copied into the run directory.
    pub data_files: Vec<PathBuf>,
}

impl Case {
    pub fn load(dir: &Path) -> Result<Case> {
        let name = dir
            .file_name()
            .context("case directory name")?
            .to_string_lossy()
            .into_owned();
        let manifest: Manifest = match std::fs::read_to_string(dir.join("case.toml")) {
            Ok(text) => toml::from_str(&text).with_context(|| format!("{name}/case.toml"))?,
            // No case.toml: every key at its default (note `native` defaults to true).
            Err(_) => toml::from_str("")?,
        };
        let (main, main_cxx) = if dir.join("main.c").is_file() {
            (dir.join("main.c"), false)
        } else if dir.join("main.cpp").is_file() {
            (dir.join("main.cpp"), true)
        } else {
            bail!("{name}: no main.c");
        };
        let expected = std::fs::read_to_string(dir.join("expected"))
            .with_context(|| format!("{name}: no expected file"))?;
        let expected_stderr = if manifest.stderr {
            Some(
                std::fs::read_to_string(dir.join("expected_stderr"))
                    .with_context(|| format!("{name}: no expected_stderr"))?,
            )
        } else {
            None
        };
        let mut libs = Vec::new();
        let mut data_files = Vec::new();
        let mut entries: Vec<_> = std::fs::read_dir(dir)?
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .collect();
        entries.sort();
        for path in entries {
            let file = path
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
            match (file.starts_with("lib"), ext) {
                (true, "c" | "cpp") => libs.push(Lib {
                    stem: file
                        .rsplit_once('.')
                        .map_or(file.clone(), |(s, _)| s.to_string()),
                    source: path.clone(),
                    cxx: ext == "cpp",
                }),
                (_, "c" | "cpp" | "h" | "toml") => {}
                _ if matches!(
                    file.as_str(),
                    "expected" | "expected_stderr" | "README" | "README.md"
                ) => {}
                _ if path.is_file() => data_files.push(path.clone()),
                _ => {}
            }
        }
        for (lib, deps) in &manifest.needs {
            for name in std::iter::once(lib).chain(deps) {
                if !libs.iter().any(|l| &l.stem == name) {
                    bail!("{name} in case.toml needs has no source file");
                }
            }
        }
        Ok(Case {
            name,
            dir: dir.to_path_buf(),
            manifest,
            main,
            main_cxx,
            libs,
            expected,
            expected_stderr,
            data_files,
        })
    }
}
