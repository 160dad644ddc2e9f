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
//! docs/PERFORMANCE.md.//!
//! This file holds the options and [`run`], which drives the benchmarks in order; the rest is
//! in modules of their own: `build` (the C programs), `gen` (their generated sources), `host`
//! (the in-process wasm runner), `report` (parsing output, the table type), and the private
//! `params` (iteration counts), `processes` (runs in new processes: cold start, the demo),
//! `machine` (what `summary.json` says of the machine) and `table` (the table's rows).

pub mod build;
pub mod gen;
pub mod host;
pub mod report;

mod machine;
mod params;
mod processes;
mod table;

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use serde_json::{json, Map, Value};
use wasi_dl::ModuleCache;

use host::{Runner, StoreLimit};
use machine::machine_info;
use params::Params;
use processes::{cold_start, run_native, wasm_child};
use report::{ChurnPoint, Collected, Parsed};
use table::render_table;

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
