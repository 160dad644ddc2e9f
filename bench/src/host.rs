//! Running the wasm benchmark program in this process under the wasi-dl host: one engine
//! (Cranelift at `OptLevel::Speed`), one compile cache for side modules, a fresh store per run.

use std::path::Path;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use wasmtime::{
    Config, Engine, Linker, Module, OptLevel, ProfilingStrategy, Store, StoreLimits,
    StoreLimitsBuilder,
};
use wasmtime_wasi::p1::WasiP1Ctx;
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{I32Exit, WasiCtxBuilder};

use wasi_dl::{ModuleCache, WasiDlCtx};

/// The engine configuration every run uses, in this process and in the cold-start children
/// (the on-disk cache only serves engines with the same settings).
pub fn engine(perfmap: bool) -> Result<Engine> {
    let mut config = Config::new();
    config.cranelift_opt_level(OptLevel::Speed);
    if perfmap {
        config.profiler(ProfilingStrategy::PerfMap);
    }
    Engine::new(&config).map_err(|e| anyhow::anyhow!("engine: {e}"))
}

/// The resident set of this process, in bytes (`/proc/self/statm`).
pub fn rss_bytes() -> u64 {
    let Ok(text) = std::fs::read_to_string("/proc/self/statm") else {
        return 0;
    };
    let resident: u64 = text
        .split_whitespace()
        .nth(1)
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    // SAFETY: sysconf has no preconditions.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    resident * page.max(1) as u64
}

struct State {
    wasi: WasiP1Ctx,
    dl: WasiDlCtx,
    limits: StoreLimits,
}

/// Which store limits a run gets.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum StoreLimit {
    /// Wasmtime's defaults (10,000 instances per store, as `wasi-dl run` has them).
    Default,
    /// Room for the benchmarks' many instances (every dlopen adds one to the store).
    Raised,
}

pub struct Runner {
    engine: Engine,
    linker: Linker<State>,
    cache: ModuleCache,
}

/// What a run printed.
pub struct RunOutput {
    pub stdout: String,
    pub stderr: String,
    pub code: i32,
    pub seconds: f64,
}

impl Runner {
    pub fn new(engine: Engine, cache: ModuleCache) -> Result<Runner> {
        let mut linker: Linker<State> = Linker::new(&engine);
        wasmtime_wasi::p1::add_to_linker_sync(&mut linker, |s: &mut State| &mut s.wasi)?;
        wasi_dl::add_to_linker(&mut linker, |s: &mut State| &mut s.dl)?;
        linker.func_wrap("bench", "host_rss", || -> i64 { rss_bytes() as i64 })?;
        // The cheapest import with dlsym's shape (a Caller and six i32s): the transition cost.
        linker.func_wrap(
            "bench",
            "nop",
            |_: wasmtime::Caller<'_, State>,
             a: i32,
             b: i32,
             c: i32,
             d: i32,
             e: i32,
             f: i32|
             -> i32 { a ^ b ^ c ^ d ^ e ^ f },
        )?;
        Ok(Runner {
            engine,
            linker,
            cache,
        })
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Compiles (or loads from `program_cache`'s disk directory) the main program.
    pub fn program(&self, program_cache: &ModuleCache, path: &Path) -> Result<Module> {
        let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        // wasmtime::Error converts into anyhow::Error (not the other way round).
        Ok(program_cache.compile_program(&self.engine, &bytes)?)
    }

    /// Runs `module` with `args` (argv[1..]) in a new store; libraries come from `dir`.
    pub fn run(
        &self,
        module: &Module,
        dir: &Path,
        args: &[String],
        limit: StoreLimit,
    ) -> Result<RunOutput> {
        let stdout = MemoryOutputPipe::new(16 << 20);
        let stderr = MemoryOutputPipe::new(1 << 20);
        let mut wasi = WasiCtxBuilder::new();
        wasi.arg("bench.wasm")
            .stdout(stdout.clone())
            .stderr(stderr.clone());
        for arg in args {
            wasi.arg(arg);
        }
        let dl = WasiDlCtx::builder()
            .program_module(module)
            .cache(self.cache.clone())?
            .program_name("bench.wasm")
            .library_dir(dir, ".")
            .with_context(|| format!("granting {}", dir.display()))?
            .build();
        let limits = match limit {
            StoreLimit::Default => StoreLimitsBuilder::new().build(),
            StoreLimit::Raised => StoreLimitsBuilder::new()
                .instances(10_000_000)
                .tables(10_000_000)
                .memories(10_000_000)
                .build(),
        };
        let mut store = Store::new(
            &self.engine,
            State {
                wasi: wasi.build_p1(),
                dl,
                limits,
            },
        );
        if limit == StoreLimit::Raised {
            store.limiter(|s| &mut s.limits);
        }
        let started = Instant::now();
        // As `wasi-dl run` and the README's embedder do.
        let instance =
            wasi_dl::instantiate(&self.linker, &mut store, module, |s: &mut State| &mut s.dl)?;
        let start = instance.get_typed_func::<(), ()>(&mut store, "_start")?;
        let (code, trap) = match start.call(&mut store, ()) {
            Ok(()) => (0, None),
            Err(err) => match err.downcast_ref::<I32Exit>() {
                Some(exit) => (exit.0, None),
                None => (134, Some(format!("{err:#}"))),
            },
        };
        let seconds = started.elapsed().as_secs_f64();
        drop(store);
        let mut stderr_text = String::from_utf8_lossy(&stderr.contents()).into_owned();
        if let Some(trap) = trap {
            stderr_text.push_str(&format!("[trap] {trap}\n"));
        }
        Ok(RunOutput {
            stdout: String::from_utf8_lossy(&stdout.contents()).into_owned(),
            stderr: stderr_text,
            code,
            seconds,
        })
    }
}

/// `wasi-dl-bench --cold-child DIR CACHE|-`: a new process that starts the host, runs
/// `bench.wasm cold ./libbig.so` once and prints the program's output plus its own timings.
/// With `-` side modules get no disk cache (the program itself still comes from `DIR/../cache`).
pub fn cold_child(dir: &Path, cache_dir: Option<&Path>, program_cache_dir: &Path) -> Result<()> {
    let t0 = Instant::now();
    let engine = engine(false)?;
    let t_engine = t0.elapsed();
    let cache = match cache_dir {
        Some(dir) => ModuleCache::with_disk_cache(dir)?,
        None => ModuleCache::new(),
    };
    let runner = Runner::new(engine, cache)?;
    let program_cache = ModuleCache::with_disk_cache(program_cache_dir)?;
    let t1 = Instant::now();
    let module = runner.program(&program_cache, &dir.join("bench.wasm"))?;
    let t_program = t1.elapsed();
    let out = runner.run(
        &module,
        dir,
        &["cold".into(), "./libbig.so".into()],
        StoreLimit::Default,
    )?;
    if out.code != 0 {
        bail!(
            "the cold-start program failed ({}):\n{}{}",
            out.code,
            out.stdout,
            out.stderr
        );
    }
    print!("{}", out.stdout);
    println!(
        "RESULT cold_host_engine {:.4} ms",
        t_engine.as_secs_f64() * 1e3
    );
    println!(
        "RESULT cold_host_program_load {:.4} ms",
        t_program.as_secs_f64() * 1e3
    );
    println!("RESULT cold_host_run {:.4} ms", out.seconds * 1e3);
    println!(
        "RESULT cold_process_until_done {:.4} ms",
        t0.elapsed().as_secs_f64() * 1e3
    );
    Ok(())
}

/// `wasi-dl-bench --cold-parts DIR CACHE`: in a new process, times the steps a cached cold
/// `dlopen` of `DIR/libbig.so` goes through that can be done outside the loader: reading the
/// file, hashing it (BLAKE3, the cache key of a file identity not seen before), the engine's
/// compatibility hash (part of the cache file's name) and mapping and deserializing the
/// compiled module; and reading its `dylink.0` metadata, which only a compiling load does now
/// (a disk cache entry carries it).
/// What the cold `dlopen` costs beyond their sum is the loader's own work (reserve, link,
/// instantiate, relocate, construct) and first-use costs of the code (page faults).
pub fn cold_parts(dir: &Path, cache_dir: &Path) -> Result<()> {
    use std::hash::{Hash, Hasher};

    let engine = engine(false)?;
    let ms = |t: Instant| t.elapsed().as_secs_f64() * 1e3;

    let t = Instant::now();
    let bytes = std::fs::read(dir.join("libbig.so"))?;
    println!("RESULT cold_part_read {:.4} ms", ms(t));

    let t = Instant::now();
    let hash: [u8; 32] = *blake3::hash(&bytes).as_bytes();
    println!("RESULT cold_part_hash {:.4} ms", ms(t));

    let t = Instant::now();
    let info = wasi_dl::dylink::read(&bytes).map_err(|e| anyhow::anyhow!("dylink.0: {e}"))?;
    println!("RESULT cold_part_dylink_read {:.4} ms", ms(t));
    drop(info);

    let t = Instant::now();
    let mut compat = std::collections::hash_map::DefaultHasher::new();
    engine.precompile_compatibility_hash().hash(&mut compat);
    let compat = compat.finish();
    println!("RESULT cold_part_compat_hash {:.4} ms", ms(t));

    let hex: String = hash.iter().map(|b| format!("{b:02x}")).collect();
    let path = cache_dir.join(format!("{hex}-{compat:016x}.cwasm"));
    if !path.is_file() {
        bail!(
            "{} is not in the cache (run the cold benchmark first)",
            path.display()
        );
    }
    let t = Instant::now();
    // SAFETY: the benchmark's own cache directory, written by this binary's engine settings.
    let module = unsafe { Module::deserialize_file(&engine, &path) }?;
    println!("RESULT cold_part_deserialize {:.4} ms", ms(t));
    drop(module);

    let t = Instant::now();
    // SAFETY: as above.
    let module = unsafe { Module::deserialize_file(&engine, &path) }?;
    println!("RESULT cold_part_deserialize_again {:.4} ms", ms(t));
    drop(module);
    Ok(())
}

/// `wasi-dl-bench --wasm-child DIR PROGRAM_CACHE ARGS...`: runs `DIR/bench.wasm ARGS` in this
/// (new) process with raised store limits and prints what it printed.
pub fn wasm_child(dir: &Path, program_cache_dir: &Path, args: &[String]) -> Result<()> {
    let runner = Runner::new(engine(false)?, ModuleCache::new())?;
    let program_cache = ModuleCache::with_disk_cache(program_cache_dir)?;
    let module = runner.program(&program_cache, &dir.join("bench.wasm"))?;
    let out = runner.run(&module, dir, args, StoreLimit::Raised)?;
    print!("{}", out.stdout);
    if out.code != 0 {
        bail!(
            "bench.wasm {} exited with {}:\n{}",
            args.join(" "),
            out.code,
            out.stderr
        );
    }
    Ok(())
}
