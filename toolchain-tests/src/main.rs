//! The conformance suite: every directory under `cases/` is one C program with its side
//! modules, built with the project's wasm toolchain (`wasi-dl cc`) and run under the wasi-dl
//! host, and built with gcc and run under glibc's loader; both must print `expected`.
//!
//! Test names are `wasm::CASE` and `native::CASE`; filter as with any cargo test
//! (`cargo test -p toolchain-tests -- needed_`).

mod case;
mod compile;
mod dag;
mod lua;
mod realprogs;
mod run;

use std::path::Path;

use libtest_mimic::{Arguments, Failed, Trial};

use case::Case;
use compile::Target;

fn main() {
    let args = Arguments::from_args();
    let cases_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("cases");
    let toolchain = wasi_dl_toolchain::Toolchain::detect();
    match &toolchain {
        Ok(t) => eprintln!("toolchain-tests: wasm toolchain: {}", t.describe()),
        Err(e) => eprintln!("toolchain-tests: no wasm toolchain ({e:#}); wasm cases will fail"),
    }
    let have_gcc = std::process::Command::new("gcc")
        .arg("--version")
        .output()
        .is_ok();

    let mut dirs: Vec<_> = std::fs::read_dir(&cases_dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.path())
                .filter(|p| p.is_dir())
                .collect()
        })
        .unwrap_or_default();
    dirs.sort();
    let mut trials = Vec::new();
    for dir in dirs {
        let case = match Case::load(&dir) {
            Ok(case) => std::sync::Arc::new(case),
            Err(e) => {
                let name = dir
                    .file_name()
                    .unwrap_or_default()
                    .to_string_lossy()
                    .into_owned();
                let msg = format!("{e:#}");
                trials.push(Trial::test(
                    format!("case::{name}"),
                    move || Err(msg.into()),
                ));
                continue;
            }
        };
        let c = case.clone();
        let wasm = Trial::test(format!("wasm::{}", case.name), move || {
            check(&c, Target::Wasm)
        });
        trials.push(wasm.with_ignored_flag(!case.manifest.wasm));
        let c = case.clone();
        let native = Trial::test(format!("native::{}", case.name), move || {
            check(&c, Target::Native)
        });
        trials.push(native.with_ignored_flag(!case.manifest.native || !have_gcc));
    }
    graph_trials(&mut trials, have_gcc);
    dag::trials(&mut trials, have_gcc);
    trials.push(Trial::test("rust::rust_loader", rust_loader));
    trials.push(Trial::test("lua::pcall_through_c_module", || {
        lua::pcall_through_c_module().map_err(|e| format!("{e:#}").into())
    }));
    trials.push(Trial::test("realprogs::sqlite_extension", || {
        realprogs::sqlite_extension().map_err(|e| format!("{e:#}").into())
    }));
    trials.push(Trial::test("realprogs::tree_sitter_grammar", || {
        realprogs::tree_sitter_grammar().map_err(|e| format!("{e:#}").into())
    }));
    libtest_mimic::run(&args, trials).exit();
}

/// The Rust guest example (guest/examples/rust-loader, built by `make guest`) loads a C side
/// module built with the driver, through the safe API.
fn rust_loader() -> Result<(), Failed> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let program = root.join("guest/target/wasm32-wasip1/release/rust-loader.wasm");
    if !program.is_file() {
        return Err(format!("{} is missing: run `make guest`", program.display()).into());
    }
    let dir = root.join("target/toolchain-tests/rust_loader");
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    std::fs::copy(&program, dir.join("rust-loader.wasm")).map_err(|e| e.to_string())?;
    let source = root.join("guest/examples/rust-loader/libgreet.c");
    let args: Vec<std::ffi::OsString> = vec![
        "-O2".into(),
        "-fPIC".into(),
        "-shared".into(),
        source.into(),
        "-o".into(),
        "libgreet.so".into(),
    ];
    let output = wasi_dl_toolchain::cc_command(&args, false)
        .and_then(|mut cmd| Ok(cmd.current_dir(&dir).output()?))
        .map_err(|e| format!("{e:#}"))?;
    if !output.status.success() {
        return Err(format!(
            "building libgreet.so failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        )
        .into());
    }
    let expected = std::fs::read_to_string(root.join("toolchain-tests/rust/rust_loader.expected"))
        .map_err(|e| e.to_string())?;
    let out = run::run_wasm(&dir, "rust-loader.wasm", &[]).map_err(|e| format!("{e:#}"))?;
    if out.stdout != expected || out.code != 0 {
        return Err(format!(
            "exit {}\n{}\nstderr:\n{}",
            out.code,
            diff(&expected, &out.stdout),
            out.stderr
        )
        .into());
    }
    Ok(())
}

fn check(case: &Case, target: Target) -> Result<(), Failed> {
    let dir = compile::build(case, target).map_err(|e| format!("{e:#}"))?;
    let output = match target {
        Target::Wasm => run::run_wasm(&dir, target.program_name(), &case.manifest.args),
        Target::Native => run::run_native(&dir, target.program_name(), &case.manifest.args),
    }
    .map_err(|e| format!("{e:#}"))?;
    let mut problems = Vec::new();
    if output.stdout != case.expected {
        problems.push(format!(
            "stdout differs from expected:\n{}",
            diff(&case.expected, &output.stdout)
        ));
    }
    if let Some(expected) = &case.expected_stderr {
        if &output.stderr != expected {
            problems.push(format!(
                "stderr differs:\n{}",
                diff(expected, &output.stderr)
            ));
        }
    }
    if output.code != case.manifest.exit_code {
        problems.push(format!(
            "exit status {} (expected {})",
            output.code, case.manifest.exit_code
        ));
    }
    if problems.is_empty() {
        return Ok(());
    }
    if !output.stderr.is_empty() && case.expected_stderr.is_none() {
        problems.push(format!("stderr:\n{}", output.stderr.trim_end()));
    }
    problems.push(format!("build directory: {}", dir.display()));
    Err(problems.join("\n").into())
}

fn diff(expected: &str, actual: &str) -> String {
    similar::TextDiff::from_lines(expected, actual)
        .unified_diff()
        .context_radius(3)
        .header("expected", "actual")
        .to_string()
}

/// Seeds of the generated-graph test run by default (CI); `WASI_DL_GRAPH_SEEDS=N` runs N.
const GRAPH_SEEDS: u64 = 200;
/// Seeds per trial (trials run in parallel).
const GRAPH_CHUNK: u64 = 50;

/// The generated-graph test (`graph/graph_seeds`): one program and library pool, built once
/// per target; every seed drives a different dlopen/dlsym/dlclose sequence. Each seed runs
/// natively first (glibc's answer), then under wasi-dl, and both must agree (stdout and exit
/// status). Seed 0's native output must also equal `expected`, so the sequence generator
/// stays reproducible.
fn graph_trials(trials: &mut Vec<Trial>, have_gcc: bool) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("graph/graph_seeds");
    let case = match Case::load(&dir) {
        Ok(case) => std::sync::Arc::new(case),
        Err(e) => {
            let msg = format!("{e:#}");
            trials.push(Trial::test("graph::load", move || Err(msg.into())));
            return;
        }
    };
    let seeds = std::env::var("WASI_DL_GRAPH_SEEDS")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(GRAPH_SEEDS);
    let mut lo = 0;
    while lo < seeds {
        let hi = (lo + GRAPH_CHUNK).min(seeds);
        let c = case.clone();
        let trial = Trial::test(format!("graph::seeds_{lo}_{}", hi - 1), move || {
            graph_seeds(&c, lo..hi)
        });
        trials.push(trial.with_ignored_flag(!have_gcc));
        lo = hi;
    }
}

/// Both builds of the graph case, made once for all trials.
fn graph_builds(case: &Case) -> Result<(std::path::PathBuf, std::path::PathBuf), String> {
    static BUILT: std::sync::Mutex<Option<(std::path::PathBuf, std::path::PathBuf)>> =
        std::sync::Mutex::new(None);
    let mut built = BUILT
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(dirs) = built.as_ref() {
        return Ok(dirs.clone());
    }
    let native = compile::build(case, Target::Native).map_err(|e| format!("{e:#}"))?;
    let wasm = compile::build(case, Target::Wasm).map_err(|e| format!("{e:#}"))?;
    *built = Some((native.clone(), wasm.clone()));
    Ok((native, wasm))
}

fn graph_seeds(case: &Case, seeds: std::ops::Range<u64>) -> Result<(), Failed> {
    let (native_dir, wasm_dir) = graph_builds(case)?;
    for seed in seeds {
        let args = vec![seed.to_string()];
        let native = run::run_native(&native_dir, Target::Native.program_name(), &args)
            .map_err(|e| format!("seed {seed}, native: {e:#}"))?;
        if native.code != 0 {
            return Err(format!(
                "seed {seed}: the native run failed (exit {}): {}",
                native.code, native.stderr
            )
            .into());
        }
        if seed == 0 && native.stdout != case.expected {
            return Err(format!(
                "seed 0 no longer gives `expected` natively:\n{}",
                diff(&case.expected, &native.stdout)
            )
            .into());
        }
        let wasm = run::run_wasm(&wasm_dir, Target::Wasm.program_name(), &args)
            .map_err(|e| format!("seed {seed}, wasm: {e:#}"))?;
        if wasm.stdout != native.stdout || wasm.code != native.code {
            return Err(format!(
                "seed {seed}: wasi-dl differs from glibc (exit {} vs {}):\n{}\nstderr:\n{}\nbuild directory: {}",
                wasm.code,
                native.code,
                diff(&native.stdout, &wasm.stdout),
                wasm.stderr.trim_end(),
                wasm_dir.display()
            )
            .into());
        }
    }
    Ok(())
}
