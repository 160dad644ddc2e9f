//! The human-readable table: one section a benchmark, wasm next to native, with the ratios
//! and the targets they are held to.

use serde_json::{Map, Value};

use crate::build;
use crate::params::Params;
use crate::report::{human, human_bytes, Collected, Table};

pub(crate) fn render_table(
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
    t.row(
        "  first load of the entry this boot (checked in full, recorded)",
        ms("cold_unchecked_dlopen_ms"),
        String::new(),
        None,
        "",
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
