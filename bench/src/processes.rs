//! Benchmark runs in processes of their own: the wasm program in a child of this binary, the
//! native program, cold start (a new process per sample) and the demo as a whole process.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};
use serde_json::{json, Map, Value};

use crate::build;
use crate::params::Params;
use crate::report::{self, median, Parsed};

/// Runs the wasm program in a new process (this binary with `--wasm-child`), raised limits.
pub(crate) fn wasm_child(dir: &Path, program_cache: &Path, args: &[String]) -> Result<String> {
    let exe = std::env::current_exe().context("finding this executable")?;
    let output = Command::new(exe)
        .arg("--wasm-child")
        .arg(dir)
        .arg(program_cache)
        .args(args)
        .output()
        .context("starting a wasm child")?;
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    if !output.status.success() {
        bail!(
            "wasm child `bench {}` failed ({}):\n{}{}",
            args.join(" "),
            output.status,
            stdout,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(stdout)
}

pub(crate) fn run_native(dir: &Path, args: &[String]) -> Result<String> {
    let output = Command::new(dir.join("bench"))
        .args(args)
        .current_dir(dir)
        .output()
        .with_context(|| format!("cannot run {}", dir.join("bench").display()))?;
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    if !output.status.success() {
        bail!(
            "native `bench {}` failed ({}):\n{}{}",
            args.join(" "),
            output.status,
            stdout,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(stdout)
}

pub(crate) struct Cold {
    pub(crate) summary: Map<String, Value>,
    pub(crate) raw: Value,
}

/// Longer than the time an entry's file must be left alone before the cache records it as
/// checked (`wasi_dl`'s `SETTLE`, two seconds).
const ENTRY_SETTLE: std::time::Duration = std::time::Duration::from_millis(2200);

/// Replaces `to` with a copy of the cache directory `from` (mode 0700, files 0600, as the
/// cache requires).
fn copy_cache_dir(from: &Path, to: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    if to.exists() {
        std::fs::remove_dir_all(to).with_context(|| format!("removing {}", to.display()))?;
    }
    std::fs::create_dir(to).with_context(|| format!("creating {}", to.display()))?;
    std::fs::set_permissions(to, std::fs::Permissions::from_mode(0o700))?;
    for entry in std::fs::read_dir(from)? {
        let path = entry?.path();
        if let Some(name) = path.file_name() {
            let copy = to.join(name);
            std::fs::copy(&path, &copy).with_context(|| format!("copying {}", path.display()))?;
            std::fs::set_permissions(&copy, std::fs::Permissions::from_mode(0o600))?;
        }
    }
    Ok(())
}

/// Cold start: every sample is a new process. The wasm child is this binary with
/// `--cold-child`; its side-module disk cache is warmed by one run first.
pub(crate) fn cold_start(
    built: &build::Built,
    out: &Path,
    p: &Params,
    with_native: bool,
) -> Result<Cold> {
    let exe = std::env::current_exe().context("finding this executable")?;
    let lib_cache = out.join("cache").join("libs");
    let program_cache = out.join("cache").join("programs");
    let child = |cache: Option<&Path>| -> Result<Parsed> {
        let output = Command::new(&exe)
            .arg("--cold-child")
            .arg(&built.wasm_dir)
            .arg(cache.map_or_else(|| "-".into(), |c| c.as_os_str().to_owned()))
            .arg(&program_cache)
            .output()
            .context("starting the cold-start child")?;
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        if !output.status.success() {
            bail!(
                "the cold-start child failed ({}):\n{}{}",
                output.status,
                stdout,
                String::from_utf8_lossy(&output.stderr)
            );
        }
        report::parse(&stdout)
    };
    let pick = |runs: &[Parsed], name: &str| -> Vec<f64> {
        runs.iter()
            .filter_map(|r| r.results.get(name).map(|m| m.median))
            .collect()
    };

    let warmup = child(Some(&lib_cache))?; // fills the disk cache (if it was empty)
                                           // A warm cache is one used before: its entry was checked in full once this boot, and
                                           // later loads read only its header, metadata and trailer. An entry is recorded so only
                                           // once its file was left alone for two seconds (the warm-up may just have written it, or
                                           // noted a use in its mtime): wait that long, and let one load check and record it.
    std::thread::sleep(ENTRY_SETTLE);
    child(Some(&lib_cache))?;
    let cached: Vec<Parsed> = (0..p.cold_samples)
        .map(|_| child(Some(&lib_cache)))
        .collect::<Result<_>>()?;
    // The first load of an entry in a boot (or since its file changed) checks it in full and
    // records it in the cache's index. Each such sample gets a copy of the cache directory of
    // its own (new files, not recorded), left alone long enough to be recorded.
    let copies: Vec<PathBuf> = (0..p.cold_unchecked_samples)
        .map(|i| out.join("cache").join(format!("libs-unchecked-{i}")))
        .collect();
    for copy in &copies {
        copy_cache_dir(&lib_cache, copy)?;
    }
    std::thread::sleep(ENTRY_SETTLE);
    let unchecked: Vec<Parsed> = copies
        .iter()
        .map(|copy| child(Some(copy)))
        .collect::<Result<_>>()?;
    for copy in &copies {
        std::fs::remove_dir_all(copy).with_context(|| format!("removing {}", copy.display()))?;
    }
    let uncached: Vec<Parsed> = (0..p.cold_uncached_samples)
        .map(|_| child(None))
        .collect::<Result<_>>()?;
    let parts: Vec<Parsed> = (0..p.cold_samples)
        .map(|_| {
            let output = Command::new(&exe)
                .arg("--cold-parts")
                .arg(&built.wasm_dir)
                .arg(&lib_cache)
                .output()?;
            if !output.status.success() {
                bail!(
                    "--cold-parts failed ({}):\n{}",
                    output.status,
                    String::from_utf8_lossy(&output.stderr)
                );
            }
            report::parse(&String::from_utf8_lossy(&output.stdout))
        })
        .collect::<Result<_>>()?;
    let mut natives = Vec::new();
    for _ in 0..if with_native { p.cold_samples } else { 0 } {
        natives.push(report::parse(&run_native(
            &built.native_dir,
            &["cold".into(), "./libbig.so".into()],
        )?)?);
    }
    // Same library, same answer: the wasm and native builds compute alike.
    let wasm_check = cached
        .first()
        .and_then(|r| r.checks.get("big_entry"))
        .cloned();
    let native_check = natives
        .first()
        .and_then(|r| r.checks.get("big_entry"))
        .cloned();
    if with_native && wasm_check != native_check {
        bail!("big_entry(12345) differs: wasm {wasm_check:?}, native {native_check:?}");
    }

    let (demo_ms, native_demo_ms) = demo_processes(built, out, p, with_native)?;

    let cached_ms = pick(&cached, "cold_dlopen");
    let uncached_ms = pick(&uncached, "cold_dlopen");
    let native_ms = pick(&natives, "cold_dlopen");
    let mut summary = Map::new();
    let m = |v: &[f64]| json!(median(v));
    summary.insert("cold_cached_dlopen_ms".into(), m(&cached_ms));
    summary.insert(
        "cold_unchecked_dlopen_ms".into(),
        m(&pick(&unchecked, "cold_dlopen")),
    );
    summary.insert("cold_uncached_dlopen_ms".into(), m(&uncached_ms));
    summary.insert(
        "cold_cache_ratio".into(),
        json!(median(&cached_ms) / median(&uncached_ms)),
    );
    summary.insert("native_cold_dlopen_ms".into(), m(&native_ms));
    summary.insert(
        "cold_first_run_dlopen_ms".into(),
        json!(pick(&[warmup], "cold_dlopen")
            .first()
            .copied()
            .unwrap_or(f64::NAN)),
    );
    summary.insert(
        "cold_process_ms".into(),
        m(&pick(&cached, "cold_process_until_done")),
    );
    summary.insert(
        "cold_program_load_ms".into(),
        m(&pick(&cached, "cold_host_program_load")),
    );
    summary.insert(
        "cold_engine_ms".into(),
        m(&pick(&cached, "cold_host_engine")),
    );
    summary.insert("big_wasm_bytes".into(), json!(built.big_wasm_bytes));
    // What compiling costs per KB of wasm (the uncached load is nearly all compile).
    summary.insert(
        "cold_uncached_us_per_kb".into(),
        json!(median(&uncached_ms) * 1e3 / (built.big_wasm_bytes as f64 / 1024.0)),
    );
    summary.insert("demo_process_ms".into(), m(&demo_ms));
    summary.insert("native_demo_process_ms".into(), m(&native_demo_ms));
    summary.insert(
        "demo_process_ratio".into(),
        json!(median(&demo_ms) / median(&native_demo_ms)),
    );
    let mut parts_json = Map::new();
    for part in [
        "read",
        "hash",
        "dylink_read",
        "compat_hash",
        "deserialize",
        "deserialize_again",
    ] {
        let name = format!("cold_part_{part}");
        let value = median(&pick(&parts, &name));
        summary.insert(format!("{name}_ms"), json!(value));
        parts_json.insert(part.to_string(), json!(pick(&parts, &name)));
    }
    let raw = json!({
        "parts_ms": parts_json,
        "cached_dlopen_ms": cached_ms,
        "uncached_dlopen_ms": uncached_ms,
        "unchecked_dlopen_ms": pick(&unchecked, "cold_dlopen"),
        "native_dlopen_ms": native_ms,
        "cached_process_ms": pick(&cached, "cold_process_until_done"),
        "demo_process_ms": demo_ms,
        "native_demo_process_ms": native_demo_ms,
        "big_entry_12345": wasm_check,
    });
    Ok(Cold { summary, raw })
}

/// The demo (`examples/demo`) as a whole process, `p.cold_samples` times each: `wasi-dl run`
/// (the optimised CLI built beside this binary, its compile cache warmed by one run first)
/// and the gcc build under glibc. Milliseconds of wall time from spawn to exit.
pub(crate) fn demo_processes(
    built: &build::Built,
    out: &Path,
    p: &Params,
    with_native: bool,
) -> Result<(Vec<f64>, Vec<f64>)> {
    const TEXT: &str = "The quick brown fox jumps over the lazy dog";
    let exe = std::env::current_exe().context("finding this executable")?;
    let cli = exe.with_file_name("wasi-dl");
    if !cli.is_file() {
        eprintln!(
            "  (no {}: the demo process is not measured; bench/run.sh builds it)",
            cli.display()
        );
        return Ok((Vec::new(), Vec::new()));
    }
    let cache = out.join("cache").join("demo");
    let mut grant = built.demo_wasm_dir.clone().into_os_string();
    grant.push("::/demo");
    let time = |cmd: &mut Command| -> Result<f64> {
        let started = std::time::Instant::now();
        let output = cmd.output().context("starting the demo")?;
        let ms = started.elapsed().as_secs_f64() * 1e3;
        if !output.status.success() {
            bail!(
                "the demo failed ({}):\n{}{}",
                output.status,
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            );
        }
        Ok(ms)
    };
    let wasm = || {
        let mut cmd = Command::new(&cli);
        cmd.arg("run")
            .arg("--cache-dir")
            .arg(&cache)
            .arg("--dir")
            .arg(&grant)
            .arg(built.demo_wasm_dir.join("textkit.wasm"))
            .args(["/demo/plugins", TEXT]);
        cmd
    };
    time(&mut wasm())?; // fills the cache
                        // Warm as in the cold-start benchmark: the entries checked in full once and recorded.
    std::thread::sleep(ENTRY_SETTLE);
    time(&mut wasm())?;
    let wasm_ms = (0..p.cold_samples)
        .map(|_| time(&mut wasm()))
        .collect::<Result<Vec<_>>>()?;
    let mut native_ms = Vec::new();
    if with_native {
        for _ in 0..p.cold_samples {
            native_ms.push(time(
                Command::new(built.demo_native_dir.join("textkit"))
                    .arg(built.demo_native_dir.join("plugins"))
                    .arg(TEXT),
            )?);
        }
    }
    Ok((wasm_ms, native_ms))
}
