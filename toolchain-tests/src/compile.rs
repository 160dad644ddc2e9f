//! Builds a case twice from the same build lines: with `wasi-dl cc` (the project's driver, so
//! `WASI_SDK_PATH` switches the whole suite) and with the system's gcc. Outputs are cached by
//! a hash of the command and its inputs, so a re-run rebuilds only what changed.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};
use sha2::{Digest, Sha256};

use crate::case::Case;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Target {
    Wasm,
    Native,
}

impl Target {
    pub fn dir_name(self) -> &'static str {
        match self {
            Target::Wasm => "wasm",
            Target::Native => "native",
        }
    }

    pub fn program_name(self) -> &'static str {
        match self {
            Target::Wasm => "main.wasm",
            Target::Native => "main",
        }
    }
}

/// Where a case is built and run for one target.
pub fn build_dir(case: &Case, target: Target) -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/toolchain-tests");
    root.join(&case.name).join(target.dir_name())
}

/// Builds every library, then the program; returns the run directory.
pub fn build(case: &Case, target: Target) -> Result<PathBuf> {
    let dir = build_dir(case, target);
    std::fs::create_dir_all(&dir)?;
    let headers = local_headers(&case.dir)?;
    let mut cflags: Vec<OsString> = case.manifest.cflags.iter().map(OsString::from).collect();
    cflags.push(format!("-I{}", case.dir.display()).into());

    // Two passes make dependency cycles buildable: first every library alone, then those
    // with NEEDED entries again, linked against the others.
    for pass in 0..2 {
        for lib in &case.libs {
            let needs = case.manifest.needs.get(&lib.stem);
            if pass == 1 && needs.is_none() {
                continue;
            }
            let mut args = cflags.clone();
            args.extend(["-O2", "-fPIC", "-shared"].map(OsString::from));
            if lib.cxx && !case.manifest.exceptions {
                args.extend(["-fno-exceptions", "-fno-rtti"].map(OsString::from));
            }
            args.extend(
                case.manifest
                    .lib_cflags
                    .get(&lib.stem)
                    .into_iter()
                    .flatten()
                    .map(OsString::from),
            );
            args.push(lib.source.clone().into());
            args.extend(["-o".into(), format!("{}.so", lib.stem).into()]);
            if pass == 1 {
                // --no-as-needed: record the dependency even if no symbol of it is used yet.
                args.extend(["-L.".into(), "-Wl,--no-as-needed".into()]);
                for dep in needs.into_iter().flatten() {
                    args.push(format!("-l{}", dep.trim_start_matches("lib")).into());
                }
            }
            let mut inputs = vec![lib.source.clone()];
            inputs.extend(headers.iter().cloned());
            if pass == 1 {
                inputs.extend(
                    needs
                        .into_iter()
                        .flatten()
                        .map(|d| dir.join(format!("{d}.so"))),
                );
            }
            run_cached(
                target,
                lib.cxx,
                &args,
                &inputs,
                &dir,
                &format!("{}.so", lib.stem),
                pass,
            )?;
        }
    }
    let mut args = cflags;
    args.push("-O2".into());
    if case.main_cxx && !case.manifest.exceptions {
        args.extend(["-fno-exceptions", "-fno-rtti"].map(OsString::from));
    }
    args.push(case.main.clone().into());
    args.extend([
        "-o".into(),
        target.program_name().into(),
        "-rdynamic".into(),
        "-ldl".into(),
    ]);
    if target == Target::Wasm {
        args.extend(case.manifest.wasm_main_flags.iter().map(OsString::from));
    }
    let mut inputs = vec![case.main.clone()];
    inputs.extend(headers);
    if !case.manifest.main_needs.is_empty() {
        args.push("-L.".into());
        for dep in &case.manifest.main_needs {
            args.push(format!("-l{}", dep.trim_start_matches("lib")).into());
            inputs.push(dir.join(format!("{dep}.so")));
        }
    }
    run_cached(
        target,
        case.main_cxx,
        &args,
        &inputs,
        &dir,
        target.program_name(),
        0,
    )?;

    for file in &case.data_files {
        let name = file.file_name().context("data file name")?;
        std::fs::copy(file, dir.join(name))?;
    }
    for (name, content) in &case.manifest.files {
        let path = dir.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(path, content)?;
    }
    for (name, target) in &case.manifest.symlinks {
        let path = dir.join(name);
        if std::fs::symlink_metadata(&path).is_ok() {
            std::fs::remove_file(&path)?;
        }
        std::os::unix::fs::symlink(target, &path)
            .with_context(|| format!("creating the link {name} -> {target}"))?;
    }
    Ok(dir)
}

fn local_headers(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut headers: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "h"))
        .collect();
    headers.sort();
    Ok(headers)
}

/// The compiler command for a target: the project's driver, or gcc/g++; for the driver also
/// its plan, whose `finish_link` completes a program's link as `wasi-dl cc` does.
fn command(
    target: Target,
    cxx: bool,
    args: &[OsString],
    dir: &Path,
) -> Result<(Command, Option<wasi_dl_toolchain::Invocation>)> {
    match target {
        Target::Wasm => {
            let plan = wasi_dl_toolchain::cc_plan_in(args, cxx, dir)?;
            let mut cmd = plan.command();
            cmd.current_dir(dir);
            Ok((cmd, Some(plan)))
        }
        Target::Native => {
            let mut cmd = Command::new(if cxx { "g++" } else { "gcc" });
            cmd.args(args);
            Ok((cmd, None))
        }
    }
}

/// Runs a build step unless its output exists with a stamp matching command and inputs.
pub(crate) fn run_cached(
    target: Target,
    cxx: bool,
    args: &[OsString],
    inputs: &[PathBuf],
    dir: &Path,
    output: &str,
    pass: usize,
) -> Result<()> {
    let (mut cmd, plan) = command(target, cxx, args, dir)?;
    cmd.current_dir(dir);
    let mut hash = Sha256::new();
    hash.update(format!("{cmd:?}"));
    for input in inputs {
        hash.update(input.to_string_lossy().as_bytes());
        hash.update(std::fs::read(input).with_context(|| format!("reading {}", input.display()))?);
    }
    if target == Target::Wasm {
        // Outputs built before the harness finished links (no `wasi_dl_own` section) are stale.
        hash.update(b"finish_link");
        // The guest library is linked into every program.
        if let Ok(lib) = wasi_dl_toolchain::GuestSysroot::default_location().library() {
            if let Ok(bytes) = std::fs::read(lib) {
                hash.update(bytes);
            }
        }
    }
    let stamp_value: String = hash.finalize().iter().map(|b| format!("{b:02x}")).collect();
    let stamp = dir.join(format!(".{output}.{pass}.stamp"));
    if dir.join(output).is_file() && std::fs::read_to_string(&stamp).is_ok_and(|s| s == stamp_value)
    {
        return Ok(());
    }
    let result = cmd
        .output()
        .with_context(|| format!("cannot run {cmd:?}"))?;
    if !result.status.success() {
        bail!(
            "build failed: {cmd:?}\n{}{}",
            String::from_utf8_lossy(&result.stdout),
            String::from_utf8_lossy(&result.stderr)
        );
    }
    if let Some(plan) = plan {
        plan.finish_link()
            .with_context(|| format!("finishing the link: {cmd:?}"))?;
    }
    std::fs::write(&stamp, stamp_value)?;
    Ok(())
}
