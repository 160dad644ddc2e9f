//! # wasi-dl-bench: how fast is `dlopen` on wasi-dl, next to glibc?
//!
//! Builds one C benchmark program and its side modules twice (the wasi-dl toolchain and gcc),
//! runs the wasm build in this process under the wasi-dl host and the native build as a
//! process, and reports, for the same small library:
//!
//! 1. the warm cycle, `dlopen` + `dlsym` + `dlclose` of an already-compiled library;
//! 2. `dlsym` alone;
//! 3. a call through a function pointer into a side module vs into the program itself;
//! 4. cold start: the `dlopen` of a ~100 KB library in a new process, on-disk cache warm vs none;
//! 5. scale: 1,000 distinct libraries loaded at once;
//! 6. churn: 100,000 open/close cycles, watching guest memory, the table and host RSS.
//!
//! The C program does the timing (`clock_gettime(CLOCK_MONOTONIC)`, many iterations, the median
//! of several repetitions) and prints `RESULT name value unit` lines; this crate builds, runs,
//! parses, prints a table and writes `summary.json`. It never asserts timings. See
//! docs/PERFORMANCE.md.

pub mod build;
pub mod gen;
pub mod host;
pub mod report;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use serde_json::{json, Map, Value};
use wasi_dl::ModuleCache;

use host::{Runner, StoreLimit};
use report::{human, human_bytes, median, ChurnPoint, Collected, Parsed, Table};

/// The keys `summary.json` always has (with `--only`, those of the benchmarks that ran).
pub const SUMMARY_KEYS: &[&str] = &[
    "warm_cycle_ratio",
    "dlsym_ratio",
    "cross_call_ratio",
    "cold_cached_dlopen_ms",
    "libs_1000_dlopen_us",
    "churn_guest_memory_growth_bytes",
    "churn_table_growth_slots",
    "churn_host_rss_growth_bytes",
];

/// The benchmarks, by the names `--only` takes.
pub const BENCHMARKS: &[&str] = &["warm", "dlsym", "call", "cold", "scale", "churn", "limits"];

#[derive(Clone, Debug)]
pub struct Options {
    /// Very few iterations: checks that everything runs, measures nothing.
    pub quick: bool,
    /// Where builds, caches and `summary.json` go.
    pub out: PathBuf,
    /// Only these benchmarks (names from [`BENCHMARKS`]).
    pub only: Option<Vec<String>>,
    /// Let `perf` name JIT code (`/tmp/perf-PID.map`).
    pub perfmap: bool,
    /// Skip the native runs (for profiling the wasm side alone).
    pub wasm_only: bool,
    /// How many libraries the scale benchmark loads (default 1,000; 8 with `--quick`).
    pub scale_libs: Option<usize>,
}

impl Options {
    fn wants(&self, name: &str) -> bool {
        self.only
            .as_ref()
            .is_none_or(|o| o.iter().any(|n| n == name))
    }
}

/// Iteration counts.
#[derive(Clone, Copy, Debug)]
struct Params {
    reps: u32,
    warm_n: u64,
    dlsym_n: u64,
    call_n: u64,
    cold_samples: u32,
    cold_uncached_samples: u32,
    big_functions: usize,
    scale_libs: usize,
    scale_dlsym_n: u64,
    scale_passes: u32,
    churn_cycles: u64,
    churn_points: u64,
    limits_cycles: u64,
}

impl Params {
    fn new(quick: bool) -> Params {
        if quick {
            Params {
                reps: 3,
                warm_n: 20,
                dlsym_n: 200,
                call_n: 20_000,
                cold_samples: 1,
                cold_uncached_samples: 1,
                big_functions: 40,
                scale_libs: 8,
                scale_dlsym_n: 200,
                scale_passes: 2,
                churn_cycles: 200,
                churn_points: 4,
                limits_cycles: 0,
            }
        } else {
            Params {
                reps: 11,
                warm_n: 4_000,
                dlsym_n: 300_000,
                call_n: 30_000_000,
                cold_samples: 15,
                cold_uncached_samples: 5,
                big_functions: 420,
                scale_libs: 1_000,
                scale_dlsym_n: 100_000,
                scale_passes: 6,
                churn_cycles: 100_000,
                churn_points: 20,
                limits_cycles: 12_000,
            }
        }
    }

    fn to_json(self) -> Value {
        json!({
            "reps": self.reps, "warm_n": self.warm_n, "dlsym_n": self.dlsym_n, "call_n": self.call_n,
            "cold_samples": self.cold_samples, "cold_uncached_samples": self.cold_uncached_samples,
            "big_functions": self.big_functions, "scale_libs": self.scale_libs,
            "scale_dlsym_n": self.scale_dlsym_n, "scale_passes": self.scale_passes,
            "churn_cycles": self.churn_cycles, "churn_points": self.churn_points,
            "limits_cycles": self.limits_cycles,
        })
    }
}

fn say(msg: &str) {
    eprintln!("wasi-dl-bench: {msg}");
}

/// Runs the benchmarks, prints the table to stdout and writes `OUT/summary.json`; returns the
/// summary.
pub fn run(opts: &Options) -> Result<Value> {
    let started = Instant::now();
    let mut p = Params::new(opts.quick);
    if let Some(n) = opts.scale_libs {
        p.scale_libs = n.max(1);
    }
    std::fs::create_dir_all(&opts.out)?;
    let out = opts.out.canonicalize()?;

    say("building the C programs (wasi-dl cc and gcc)");
    let built = build::build_all(&out.join("build"), p.big_functions, p.scale_libs)?;
    let machine = machine_info(&built.toolchain);

    let engine = host::engine(opts.perfmap)?;
    let runner = Runner::new(engine, ModuleCache::new())?;
    let program_cache_dir = out.join("cache").join("programs");
    let program_cache = ModuleCache::with_disk_cache(&program_cache_dir)?;
    let t = Instant::now();
    let program = runner.program(&program_cache, &built.wasm_dir.join("bench.wasm"))?;
    say(&format!(
        "main program ready in {:.2} s",
        t.elapsed().as_secs_f64()
    ));

    let wasm = |args: &[String], limit: StoreLimit| -> Result<Parsed> {
        let t = Instant::now();
        let out = runner.run(&program, &built.wasm_dir, args, limit)?;
        say(&format!(
            "  wasm   {:<28} {:>7.2} s",
            args.join(" "),
            t.elapsed().as_secs_f64()
        ));
        let parsed = report::parse(&out.stdout)?;
        if out.code != 0 || parsed.failure.is_some() {
            bail!(
                "wasm `bench {}` failed (exit {}):\n{}{}",
                args.join(" "),
                out.code,
                out.stdout,
                out.stderr
            );
        }
        Ok(parsed)
    };
    let native = |args: &[String]| -> Result<Parsed> {
        let t = Instant::now();
        let stdout = run_native(&built.native_dir, args)?;
        say(&format!(
            "  native {:<28} {:>7.2} s",
            args.join(" "),
            t.elapsed().as_secs_f64()
        ));
        report::parse(&stdout)
    };
    let args =
        |words: &[&dyn ToString]| -> Vec<String> { words.iter().map(|w| w.to_string()).collect() };

    let mut c = Collected::default();
    let mut summary = Map::new();
    let mut extra = Map::new();
    let mut churn_points: Vec<ChurnPoint> = Vec::new();
    let mut native_churn: Vec<ChurnPoint> = Vec::new();
    let mut cold_json = Value::Null;

    for (mode, n) in [("warm", p.warm_n), ("dlsym", p.dlsym_n), ("call", p.call_n)] {
        if !opts.wants(mode) {
            continue;
        }
        say(mode);
        let a = args(&[&mode, &n, &p.reps]);
        c.wasm.extend(wasm(&a, StoreLimit::Raised)?.results);
        if !opts.wasm_only {
            c.native.extend(native(&a)?.results);
        }
    }

    if opts.wants("cold") {
        say("cold start (a new process per sample)");
        let cold = cold_start(&built, &out, &p, !opts.wasm_only)?;
        for (k, v) in &cold.summary {
            summary.insert(k.clone(), v.clone());
        }
        cold_json = cold.raw;
    }

    if opts.wants("scale") {
        say(&format!("scale ({} libraries)", p.scale_libs));
        let a = args(&[&"scale", &p.scale_libs, &p.scale_dlsym_n, &p.scale_passes]);
        c.wasm.extend(wasm(&a, StoreLimit::Raised)?.results);
    }

    if opts.wants("churn") {
        say(&format!("churn ({} cycles)", p.churn_cycles));
        let a = args(&[&"churn", &p.churn_cycles, &p.churn_points]);
        // In a new process: this one's heap holds memory freed by the other benchmarks, which
        // would absorb (hide) the growth for a while.
        let t = Instant::now();
        let stdout = wasm_child(&built.wasm_dir, &out.join("cache").join("programs"), &a)?;
        say(&format!(
            "  wasm   {:<28} {:>7.2} s (own process)",
            a.join(" "),
            t.elapsed().as_secs_f64()
        ));
        let w = report::parse(&stdout)?;
        if let Some(f) = &w.failure {
            bail!("wasm churn failed: {f}");
        }
        churn_points = w.churn;
        c.wasm.extend(w.results);
        if !opts.wasm_only {
            let n = native(&a)?;
            native_churn = n.churn;
            c.native.extend(n.results);
        }
    }

    if opts.wants("limits") && p.limits_cycles > 0 {
        // The same churn under wasmtime's default store limits, as `wasi-dl run` has them.
        say(&format!(
            "churn under wasmtime's default store limits ({} cycles)",
            p.limits_cycles
        ));
        let a = args(&[&"churn", &p.limits_cycles, &p.limits_cycles.div_ceil(1000)]);
        let out = runner.run(&program, &built.wasm_dir, &a, StoreLimit::Default)?;
        let parsed = report::parse(&out.stdout)?;
        let reached = parsed.churn.last().map_or(0, |pt| pt.cycle);
        let failed = out.code != 0 || parsed.failure.is_some();
        extra.insert("default_limits_churn_cycles".into(), json!(p.limits_cycles));
        extra.insert("default_limits_churn_failed".into(), json!(failed));
        extra.insert(
            "default_limits_churn_last_checkpoint".into(),
            json!(reached),
        );
        if let Some(f) = &parsed.failure {
            extra.insert("default_limits_churn_error".into(), json!(f));
        }
    }

    // ---- the summary ----
    let ratio = |a: Result<f64>, b: Result<f64>| -> Option<f64> { Some(a.ok()? / b.ok()?) };
    let mut put = |key: &str, value: Option<f64>| {
        if let Some(v) = value {
            summary.insert(key.to_string(), json!(v));
        }
    };
    put(
        "warm_cycle_ratio",
        ratio(c.wasm("warm_cycle"), c.native("warm_cycle")),
    );
    put("dlsym_ratio", ratio(c.wasm("dlsym"), c.native("dlsym")));
    // The first dlsym after a reopen, as timed call by call: each side's own clock read (a
    // WASI host call in wasm, the vDSO natively) taken out.
    let net = |w: Result<f64>, clock: Result<f64>| -> Result<f64> { Ok(w? - clock?) };
    put(
        "warm_sym_net_ns",
        net(c.wasm("warm_sym"), c.wasm("clock_read")).ok(),
    );
    put(
        "native_warm_sym_net_ns",
        net(c.native("warm_sym"), c.native("clock_read")).ok(),
    );
    put(
        "warm_sym_net_ratio",
        ratio(
            net(c.wasm("warm_sym"), c.wasm("clock_read")),
            net(c.native("warm_sym"), c.native("clock_read")),
        ),
    );
    put(
        "dlsym_data_ratio",
        ratio(c.wasm("dlsym_data"), c.native("dlsym_data")),
    );
    put(
        "dlsym_default_ratio",
        ratio(c.wasm("dlsym_default"), c.native("dlsym_default")),
    );
    put(
        "cross_call_ratio",
        ratio(c.wasm("call_cross"), c.wasm("call_local")),
    );
    put(
        "cross_call_data_ratio",
        ratio(c.wasm("call_cross_data"), c.wasm("call_local_data")),
    );
    put(
        "native_cross_call_ratio",
        ratio(c.native("call_cross"), c.native("call_local")),
    );
    put(
        "wasm_vs_native_local_call_ratio",
        ratio(c.wasm("call_local"), c.native("call_local")),
    );
    put("warm_cycle_ns", c.wasm("warm_cycle").ok());
    put("native_warm_cycle_ns", c.native("warm_cycle").ok());
    put("dlsym_ns", c.wasm("dlsym").ok());
    put("host_call_nop_ns", c.wasm("host_call_nop").ok());
    put("native_dlsym_ns", c.native("dlsym").ok());
    put("libs_1000_dlopen_us", c.wasm("scale_dlopen").ok());
    put(
        "libs_1000_dlopen_first_load_us",
        c.wasm("scale_dlopen_first_load").ok(),
    );
    put("libs_1000_dlclose_us", c.wasm("scale_dlclose").ok());
    put("libs_1000_first_dlsym_us", c.wasm("scale_first_dlsym").ok());
    put(
        "libs_dlopen_last_vs_first_tenth_ratio",
        ratio(
            c.wasm("scale_dlopen_last_tenth"),
            c.wasm("scale_dlopen_first_tenth"),
        ),
    );
    put("libs_dlsym_1_ns", c.wasm("scale_dlsym_1").ok());
    put("libs_dlsym_1000_ns", c.wasm("scale_dlsym_n").ok());
    put(
        "libs_dlsym_scale_ratio",
        ratio(c.wasm("scale_dlsym_n"), c.wasm("scale_dlsym_1")),
    );
    put(
        "libs_dlsym_default_scale_ratio",
        ratio(
            c.wasm("scale_dlsym_default_n"),
            c.wasm("scale_dlsym_default_1"),
        ),
    );
    if opts.wants("scale") {
        put("libs_count", Some(p.scale_libs as f64));
    }
    if let (Some(first), Some(last)) = (churn_points.first(), churn_points.last()) {
        let mid = churn_points[churn_points.len() / 2];
        put("churn_cycles", Some(last.cycle as f64));
        put(
            "churn_guest_memory_growth_bytes",
            Some(((last.pages - first.pages) * 65536) as f64),
        );
        put(
            "churn_table_growth_slots",
            Some((last.table - first.table) as f64),
        );
        put(
            "churn_host_rss_growth_bytes",
            Some((last.rss - first.rss) as f64),
        );
        put(
            "churn_host_rss_growth_second_half_bytes",
            Some((last.rss - mid.rss) as f64),
        );
        let per_cycle =
            (last.rss - mid.rss) as f64 / (last.cycle.saturating_sub(mid.cycle)).max(1) as f64;
        put("churn_host_rss_growth_per_cycle_bytes", Some(per_cycle));
        put(
            "churn_malloc_probe_growth_bytes",
            Some(last.malloc_probe as f64 - first.malloc_probe as f64),
        );
        put(
            "churn_data_block_moves",
            Some(
                churn_points
                    .windows(2)
                    .filter(|w| w[0].data_addr != w[1].data_addr)
                    .count() as f64,
            ),
        );
        put("churn_cycle_ns", c.wasm("churn_cycle").ok());
        if churn_points.len() > 2 {
            put(
                "churn_cycle_first_interval_ns",
                Some(churn_points[1].ns_per_cycle),
            );
            put("churn_cycle_last_interval_ns", Some(last.ns_per_cycle));
        }
    }
    if let (Some(first), Some(last)) = (native_churn.first(), native_churn.last()) {
        put(
            "native_churn_rss_growth_bytes",
            Some((last.rss - first.rss) as f64),
        );
        put("native_churn_cycle_ns", c.native("churn_cycle").ok());
    }
    for (k, v) in extra {
        summary.insert(k, v);
    }

    let elapsed = started.elapsed().as_secs_f64();
    let table = render_table(&c, &summary, &machine, &built, &p, opts.quick);
    println!("{table}");
    println!(
        "(benchmarks took {elapsed:.0} s; {})",
        out.join("summary.json").display()
    );

    let mut doc = Map::new();
    doc.insert(
        "mode".into(),
        json!(if opts.quick { "quick" } else { "full" }),
    );
    for (k, v) in &summary {
        doc.insert(k.clone(), v.clone());
    }
    doc.insert("machine".into(), machine);
    doc.insert("params".into(), p.to_json());
    doc.insert(
        "libraries".into(),
        json!({ "small_wasm_bytes": built.small_wasm_bytes, "big_wasm_bytes": built.big_wasm_bytes }),
    );
    doc.insert("seconds".into(), json!(elapsed));
    doc.insert("wasm".into(), report::measures_json(&c.wasm));
    doc.insert("native".into(), report::measures_json(&c.native));
    doc.insert("cold".into(), cold_json);
    doc.insert("churn_points".into(), churn_json(&churn_points));
    doc.insert("native_churn_points".into(), churn_json(&native_churn));
    doc.insert("table".into(), json!(table));
    let doc = Value::Object(doc);
    let path = out.join("summary.json");
    std::fs::write(&path, serde_json::to_string_pretty(&doc)? + "\n")
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(doc)
}

/// Slowest / fastest repetition.
fn spread(samples: &[f64]) -> f64 {
    let min = samples.iter().copied().fold(f64::INFINITY, f64::min);
    let max = samples.iter().copied().fold(0.0, f64::max);
    if min > 0.0 {
        max / min
    } else {
        1.0
    }
}

fn churn_json(points: &[ChurnPoint]) -> Value {
    Value::Array(
        points
            .iter()
            .map(|p| {
                json!({
                    "cycle": p.cycle, "memory_pages": p.pages, "table_slots": p.table, "host_rss": p.rss,
                    "malloc_probe": p.malloc_probe, "data_addr": p.data_addr, "ns_per_cycle": p.ns_per_cycle,
                })
            })
            .collect(),
    )
}

/// Runs the wasm program in a new process (this binary with `--wasm-child`), raised limits.
fn wasm_child(dir: &Path, program_cache: &Path, args: &[String]) -> Result<String> {
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

fn run_native(dir: &Path, args: &[String]) -> Result<String> {
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

struct Cold {
    summary: Map<String, Value>,
    raw: Value,
}

/// Cold start: every sample is a new process. The wasm child is this binary with
/// `--cold-child`; its side-module disk cache is warmed by one run first.
fn cold_start(built: &build::Built, out: &Path, p: &Params, with_native: bool) -> Result<Cold> {
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
    let cached: Vec<Parsed> = (0..p.cold_samples)
        .map(|_| child(Some(&lib_cache)))
        .collect::<Result<_>>()?;
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
fn demo_processes(
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

fn command_line(program: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(program).args(args).output().ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines().next().map(|l| l.trim().to_string())
}

fn machine_info(toolchain: &str) -> Value {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|s| s.trim().to_string())
        })
        .unwrap_or_else(|| "unknown".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let lock = Path::new(env!("CARGO_MANIFEST_DIR")).join("../Cargo.lock");
    let wasmtime = std::fs::read_to_string(lock).ok().and_then(|t| {
        let at = t.find("name = \"wasmtime\"\nversion = \"")?;
        let rest = &t[at + "name = \"wasmtime\"\nversion = \"".len()..];
        Some(rest[..rest.find('"')?].to_string())
    });
    let loadavg = std::fs::read_to_string("/proc/loadavg")
        .ok()
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "));
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|s| s.trim().to_string())
        .ok();
    let glibc =
        command_line("ldd", &["--version"]).and_then(|l| l.rsplit(' ').next().map(str::to_string));
    json!({
        "cpu": cpu,
        "cores": cores,
        "rustc": command_line("rustc", &["--version"]).unwrap_or_else(|| "unknown".into()),
        "wasmtime": wasmtime.unwrap_or_else(|| "unknown".into()),
        "gcc": command_line("gcc", &["-dumpfullversion"]).unwrap_or_else(|| "unknown".into()),
        "glibc": glibc.unwrap_or_else(|| "unknown".into()),
        "kernel": kernel.unwrap_or_else(|| "unknown".into()),
        "loadavg_at_start": loadavg.unwrap_or_else(|| "unknown".into()),
        "wasm_toolchain": toolchain,
        "driver_build": if cfg!(debug_assertions) { "debug" } else { "optimised" },
    })
}

fn render_table(
    c: &Collected,
    s: &Map<String, Value>,
    machine: &Value,
    built: &build::Built,
    p: &Params,
    quick: bool,
) -> String {
    let num = |key: &str| s.get(key).and_then(Value::as_f64);
    let w = |name: &str| {
        c.wasm
            .get(name)
            .map(|m| human(m.median, &m.unit))
            .unwrap_or_default()
    };
    let n = |name: &str| {
        c.native
            .get(name)
            .map(|m| human(m.median, &m.unit))
            .unwrap_or_default()
    };
    let r = |a: &str, b: &str| Some(c.wasm(a).ok()? / c.native(b).ok()?);
    let mut t = Table::default();

    t.section(&format!(
        "1. warm cycle: dlopen + dlsym + dlclose ({} B library, already compiled)",
        built.small_wasm_bytes
    ));
    t.row(
        "cycle",
        w("warm_cycle"),
        n("warm_cycle"),
        r("warm_cycle", "warm_cycle"),
        "≤ 1.00×",
    );
    t.row(
        "  of which dlopen",
        w("warm_open"),
        n("warm_open"),
        r("warm_open", "warm_open"),
        "",
    );
    t.row(
        "  of which dlsym",
        w("warm_sym"),
        n("warm_sym"),
        r("warm_sym", "warm_sym"),
        "",
    );
    t.row(
        "    the same, less one clock read",
        num("warm_sym_net_ns")
            .map(|v| human(v, "ns"))
            .unwrap_or_default(),
        num("native_warm_sym_net_ns")
            .map(|v| human(v, "ns"))
            .unwrap_or_default(),
        num("warm_sym_net_ratio"),
        "≤ 1.00×",
    );
    t.row(
        "  of which dlclose",
        w("warm_close"),
        n("warm_close"),
        r("warm_close", "warm_close"),
        "",
    );
    t.row(
        "  (one clock read)",
        w("clock_read"),
        n("clock_read"),
        None,
        "",
    );
    t.section("2. dlsym alone");
    t.row(
        "function, by handle",
        w("dlsym"),
        n("dlsym"),
        r("dlsym", "dlsym"),
        "≤ 1.00×",
    );
    t.row(
        "data, by handle",
        w("dlsym_data"),
        n("dlsym_data"),
        r("dlsym_data", "dlsym_data"),
        "",
    );
    t.row(
        "RTLD_DEFAULT, program symbol",
        w("dlsym_default"),
        n("dlsym_default"),
        r("dlsym_default", "dlsym_default"),
        "",
    );
    t.row(
        "(a host call that does nothing)",
        w("host_call_nop"),
        String::new(),
        None,
        "",
    );
    t.section("3. call through a function pointer (wasi-dl column: wasm; ratio: cross / local)");
    t.row(
        "to the program's own function",
        w("call_local"),
        n("call_local"),
        None,
        "",
    );
    t.row(
        "into the side module",
        w("call_cross"),
        n("call_cross"),
        num("cross_call_ratio"),
        "≤ 1.05×",
    );
    t.row(
        "same, work touches a global",
        w("call_cross_data"),
        n("call_cross_data"),
        num("cross_call_data_ratio"),
        "",
    );
    t.section(&format!(
        "4. cold start, new process ({} KB library)",
        built.big_wasm_bytes / 1024
    ));
    let ms = |key: &str| num(key).map(|v| human(v, "ms")).unwrap_or_default();
    t.row(
        "dlopen, disk cache warm",
        ms("cold_cached_dlopen_ms"),
        ms("native_cold_dlopen_ms"),
        num("cold_cached_dlopen_ms")
            .zip(num("native_cold_dlopen_ms"))
            .map(|(a, b)| a / b),
        "≤ 0.5 ms",
    );
    for (part, label) in [
        ("read", "read the file"),
        ("hash", "BLAKE3 (cache key, new file identity)"),
        ("dylink_read", "read dylink.0 (compiling only)"),
        ("compat_hash", "engine compatibility hash"),
        ("deserialize", "map + deserialize .cwasm (first)"),
    ] {
        t.row(
            &format!("  part: {label}"),
            ms(&format!("cold_part_{part}_ms")),
            String::new(),
            None,
            "",
        );
    }
    t.row(
        "dlopen, no cache (compiles)",
        ms("cold_uncached_dlopen_ms"),
        String::new(),
        None,
        "",
    );
    t.row(
        "  compile time per KB of wasm",
        num("cold_uncached_us_per_kb")
            .map(|v| human(v, "us"))
            .unwrap_or_default(),
        String::new(),
        None,
        "",
    );
    t.row(
        "cached / uncached",
        num("cold_cache_ratio")
            .map(|v| format!("{v:.3}"))
            .unwrap_or_default(),
        String::new(),
        None,
        "",
    );
    t.row(
        "whole process (engine, program, run)",
        ms("cold_process_ms"),
        String::new(),
        None,
        "",
    );
    t.row(
        "demo: `wasi-dl run` process, cache warm / textkit",
        ms("demo_process_ms"),
        ms("native_demo_process_ms"),
        num("demo_process_ratio"),
        "",
    );
    t.section(&format!(
        "5. scale: {} distinct libraries loaded at once",
        p.scale_libs
    ));
    t.row(
        "dlopen per library (compiled)",
        w("scale_dlopen"),
        String::new(),
        None,
        "",
    );
    t.row(
        "  median library / slowest",
        format!(
            "{} / {}",
            w("scale_dlopen_lib_median"),
            w("scale_dlopen_max")
        ),
        String::new(),
        None,
        "",
    );
    t.row(
        "  first tenth / last tenth",
        format!(
            "{} / {}",
            w("scale_dlopen_first_tenth"),
            w("scale_dlopen_last_tenth")
        ),
        String::new(),
        None,
        "flat",
    );
    t.row(
        "dlopen per library, first load (compiles)",
        w("scale_dlopen_first_load"),
        String::new(),
        None,
        "",
    );
    t.row(
        "dlclose per library (all loaded, newest first)",
        w("scale_dlclose"),
        String::new(),
        None,
        "",
    );
    t.row(
        "first dlsym of each library's function",
        w("scale_first_dlsym"),
        String::new(),
        None,
        "",
    );
    t.row(
        &format!("dlsym, 1 vs {} loaded", p.scale_libs),
        format!("{} / {}", w("scale_dlsym_1"), w("scale_dlsym_n")),
        String::new(),
        num("libs_dlsym_scale_ratio"),
        "flat",
    );
    t.row(
        &format!("RTLD_DEFAULT dlsym, 1 vs {}", p.scale_libs),
        format!(
            "{} / {}",
            w("scale_dlsym_default_1"),
            w("scale_dlsym_default_n")
        ),
        String::new(),
        num("libs_dlsym_default_scale_ratio"),
        "flat",
    );
    t.section(&format!("6. churn: {} open/close cycles", p.churn_cycles));
    let bytes = |key: &str| num(key).map(human_bytes).unwrap_or_default();
    t.row(
        "cycle",
        w("churn_cycle"),
        n("churn_cycle"),
        r("churn_cycle", "churn_cycle"),
        "",
    );
    let ns = |key: &str| num(key).map(|v| human(v, "ns")).unwrap_or_default();
    t.row(
        "  first interval / last interval",
        format!(
            "{} / {}",
            ns("churn_cycle_first_interval_ns"),
            ns("churn_cycle_last_interval_ns")
        ),
        String::new(),
        None,
        "",
    );
    t.row(
        "guest memory growth",
        bytes("churn_guest_memory_growth_bytes"),
        String::new(),
        None,
        "flat",
    );
    t.row(
        "table growth (slots)",
        num("churn_table_growth_slots")
            .map(|v| format!("{v:+}"))
            .unwrap_or_default(),
        String::new(),
        None,
        "flat",
    );
    t.row(
        "guest malloc probe drift",
        bytes("churn_malloc_probe_growth_bytes"),
        String::new(),
        None,
        "flat",
    );
    t.row(
        "host RSS growth",
        bytes("churn_host_rss_growth_bytes"),
        bytes("native_churn_rss_growth_bytes"),
        None,
        "",
    );
    t.row(
        "  per cycle, second half",
        num("churn_host_rss_growth_per_cycle_bytes")
            .map(|v| format!("{v:.0} B"))
            .unwrap_or_default(),
        String::new(),
        None,
        "",
    );
    let mut notes = String::new();
    if let Some(failed) = s
        .get("default_limits_churn_failed")
        .and_then(Value::as_bool)
    {
        let reached = s
            .get("default_limits_churn_last_checkpoint")
            .and_then(Value::as_u64)
            .unwrap_or(0);
        let error = s
            .get("default_limits_churn_error")
            .and_then(Value::as_str)
            .unwrap_or("");
        let cycles = s
            .get("default_limits_churn_cycles")
            .and_then(Value::as_u64)
            .unwrap_or(0);
        if failed {
            notes.push_str(&format!(
                "\nWith wasmtime's default store limits (as `wasi-dl run` has them) the churn fails after {reached}+ cycles:\n  {error}\n"
            ));
        } else {
            notes.push_str(&format!(
                "\nWith wasmtime's default store limits the churn survives {cycles} cycles.\n"
            ));
        }
    }
    let noisy: Vec<&str> = c
        .wasm
        .iter()
        .chain(c.native.iter())
        .filter(|(k, m)| !k.ends_with("_max") && m.samples.len() > 2 && spread(&m.samples) > 1.3)
        .map(|(k, _)| k.as_str())
        .collect();
    if !noisy.is_empty() {
        notes.push_str(&format!(
            "Noisy (slowest repetition > 1.3× the fastest; other load on the machine?): {}\n",
            noisy.join(", ")
        ));
    }

    let m = |k: &str| {
        machine
            .get(k)
            .and_then(Value::as_str)
            .unwrap_or("?")
            .to_string()
    };
    format!(
        "wasi-dl benchmarks ({mode}): {cpu}, {cores} cores; {rustc}; wasmtime {wt}; gcc {gcc}, glibc {glibc}\n\
         wasm: {tc}; driver build: {db}; load average at start: {load}.\n\
         Ratios: wasi-dl / baseline (below 1 = wasi-dl faster). Medians of repetitions.\n\n{table}{notes}",
        mode = if quick { "quick smoke run: numbers mean nothing" } else { "full" },
        cpu = m("cpu"),
        cores = machine.get("cores").and_then(Value::as_u64).unwrap_or(0),
        rustc = m("rustc"),
        wt = m("wasmtime"),
        gcc = m("gcc"),
        glibc = m("glibc"),
        tc = m("wasm_toolchain"),
        db = m("driver_build"),
        load = m("loadavg_at_start"),
        table = t.render()
    )
}
