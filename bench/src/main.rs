//! `wasi-dl-bench [--quick] [--out DIR] [--only a,b] [--perfmap]`: see the crate docs and
//! docs/PERFORMANCE.md. `make bench` runs it in the `bench-fast` profile.

use std::path::PathBuf;
use std::process::ExitCode;

use wasi_dl_bench::{host, run, Options, BENCHMARKS};

const USAGE: &str = "usage: wasi-dl-bench [--quick] [--out DIR] [--only NAME,...] [--perfmap] [--wasm-only] [--scale-libs N]
  --quick     every benchmark with very few iterations (a smoke test; numbers mean nothing)
  --out DIR   builds, caches and summary.json (default: <repo>/target/bench)
  --only      some of: warm, dlsym, call, cold, scale, churn, limits
  --perfmap   let perf name JIT-compiled wasm functions (writes /tmp/perf-PID.map)
  --wasm-only skip the native runs (to profile the wasm side alone)
  --scale-libs N  libraries in the scale benchmark (default 1000)";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--cold-child") {
        // Internal: one cold-start sample in a new process (see lib.rs, cold_start).
        let [_, dir, cache, programs] = &args[..] else {
            eprintln!("--cold-child DIR CACHE|- PROGRAM_CACHE");
            return ExitCode::from(2);
        };
        let cache = (cache != "-").then(|| PathBuf::from(cache));
        return match host::cold_child(dir.as_ref(), cache.as_deref(), programs.as_ref()) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("wasi-dl-bench: cold child: {e:#}");
                ExitCode::FAILURE
            }
        };
    }
    if args.first().map(String::as_str) == Some("--wasm-child") {
        // Internal: one run of the wasm program in a process of its own (churn).
        let [_, dir, programs, rest @ ..] = &args[..] else {
            eprintln!("--wasm-child DIR PROGRAM_CACHE ARGS...");
            return ExitCode::from(2);
        };
        return match host::wasm_child(dir.as_ref(), programs.as_ref(), rest) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("wasi-dl-bench: wasm child: {e:#}");
                ExitCode::FAILURE
            }
        };
    }
    if args.first().map(String::as_str) == Some("--cold-parts") {
        // Internal: the parts of a cold dlopen, timed one by one in a new process.
        let [_, dir, cache] = &args[..] else {
            eprintln!("--cold-parts DIR CACHE");
            return ExitCode::from(2);
        };
        return match host::cold_parts(dir.as_ref(), cache.as_ref()) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("wasi-dl-bench: cold parts: {e:#}");
                ExitCode::FAILURE
            }
        };
    }
    let mut opts = Options {
        quick: false,
        out: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/bench"),
        only: None,
        perfmap: false,
        wasm_only: false,
        scale_libs: None,
    };
    let mut it = args.into_iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--quick" => opts.quick = true,
            "--perfmap" => opts.perfmap = true,
            "--wasm-only" => opts.wasm_only = true,
            "--scale-libs" => match it.next().and_then(|n| n.parse().ok()) {
                Some(n) => opts.scale_libs = Some(n),
                None => return usage("--scale-libs needs a number"),
            },
            "--out" => match it.next() {
                Some(dir) => opts.out = dir.into(),
                None => return usage("--out needs a directory"),
            },
            "--only" => match it.next() {
                Some(list) => {
                    let names: Vec<String> = list.split(',').map(str::to_string).collect();
                    if let Some(bad) = names.iter().find(|n| !BENCHMARKS.contains(&n.as_str())) {
                        return usage(&format!("unknown benchmark {bad}"));
                    }
                    opts.only = Some(names);
                }
                None => return usage("--only needs a list"),
            },
            "-h" | "--help" => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            other => return usage(&format!("unknown argument {other}")),
        }
    }
    match run(&opts) {
        Ok(_) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("wasi-dl-bench: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn usage(problem: &str) -> ExitCode {
    eprintln!("wasi-dl-bench: {problem}\n{USAGE}");
    ExitCode::from(2)
}
