//! `wasi-dl run`: `wasmtime run` for programs that load side modules.

use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::Args;
use wasmtime::{Config, Engine, Linker, Store, StoreLimits, StoreLimitsBuilder};
use wasmtime_wasi::p1::WasiP1Ctx;
use wasmtime_wasi::{FsPerms, I32Exit, WasiCtxBuilder};

use wasi_dl::{ModuleCache, WasiDlCtx};

#[derive(Args)]
pub struct RunArgs {
    /// Grant a host directory to the program, as in `wasmtime run`: HOST[::GUEST]. The program
    /// may also load libraries from it.
    #[arg(long = "dir", value_name = "HOST[::GUEST]")]
    dirs: Vec<String>,
    /// Set an environment variable for the program: K=V. `LD_LIBRARY_PATH` is also honoured
    /// by the loader.
    #[arg(long = "env", value_name = "K=V")]
    envs: Vec<String>,
    /// Grant a host directory for loading libraries only (not for file access), and search it:
    /// HOST[::GUEST] (GUEST defaults to HOST).
    #[arg(long = "lib-path", value_name = "HOST[::GUEST]")]
    lib_paths: Vec<String>,
    /// Keep compiled modules in this directory, so the next run skips compilation.
    #[arg(long = "cache-dir", value_name = "DIR")]
    cache_dir: Option<PathBuf>,
    /// The program, then its arguments.
    program: PathBuf,
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    args: Vec<String>,
}

struct State {
    wasi: WasiP1Ctx,
    dl: WasiDlCtx,
    limits: StoreLimits,
}

/// Every `dlopen` of a library that is not loaded yet instantiates it, and wasmtime keeps
/// instances until the store is dropped; its default of 10,000 instances per store would end
/// a program that opens and closes plugins in a loop. About 1.2 KB of host memory per
/// instantiation stays until the program exits (see README, Limits).
const MAX_INSTANCES: usize = 1 << 20;

/// Splits `HOST::GUEST` (GUEST defaults to `default_guest`).
fn mapping(spec: &str, default_guest: impl FnOnce(&str) -> String) -> (String, String) {
    match spec.split_once("::") {
        Some((host, guest)) => (host.to_string(), guest.to_string()),
        None => (spec.to_string(), default_guest(spec)),
    }
}

pub fn run(args: RunArgs) -> anyhow::Result<u8> {
    let mut config = Config::new();
    config.wasm_reference_types(true);
    // setjmp/longjmp and C++ exceptions (`wasi-dl cc`/`c++` emit the standard instructions).
    config.wasm_exceptions(true);
    let engine = Engine::new(&config)?;
    let cache = match &args.cache_dir {
        Some(dir) => ModuleCache::with_disk_cache(dir)
            .with_context(|| format!("cannot use cache directory {}", dir.display()))?,
        None => ModuleCache::new(),
    };

    let program_name = args.program.to_string_lossy().into_owned();
    let mut wasi = WasiCtxBuilder::new();
    wasi.inherit_stdio().arg(&program_name);
    for arg in &args.args {
        wasi.arg(arg);
    }
    let bytes = std::fs::read(&args.program)
        .with_context(|| format!("cannot read {}", args.program.display()))?;
    let module = cache
        .compile_program(&engine, &bytes)
        .with_context(|| format!("cannot compile {}", args.program.display()))?;
    let mut dl = WasiDlCtx::builder()
        .cache(cache.clone())
        .program_name(&program_name)
        .program_module(&module)
        .program_bytes(&bytes);
    for env in &args.envs {
        let Some((key, value)) = env.split_once('=') else {
            bail!("--env {env}: expected K=V");
        };
        wasi.env(key, value);
        if key == "LD_LIBRARY_PATH" {
            dl = dl.guest_library_path(value);
        }
    }
    for spec in &args.dirs {
        let (host, guest) = mapping(spec, |h| h.to_string());
        wasi.preopened_dir(&host, &guest, FsPerms::ReadWrite)
            .map_err(|e| anyhow::anyhow!("--dir {spec}: {e}"))?;
        dl = dl
            .preopened_dir(&host, &guest)
            .with_context(|| format!("--dir {spec}"))?;
    }
    for spec in &args.lib_paths {
        let (host, guest) = mapping(spec, |h| h.to_string());
        dl = dl
            .library_dir(&host, &guest)
            .with_context(|| format!("--lib-path {spec}"))?
            .search_path(&guest);
    }

    let mut linker: Linker<State> = Linker::new(&engine);
    wasmtime_wasi::p1::add_to_linker_sync(&mut linker, |s: &mut State| &mut s.wasi)?;
    // wasmtime-wasi traps on an exit status outside 0..126; a C program's `exit(127)` or
    // `return -1` from main means status 127 or 255 to a shell, as natively (status & 0xff).
    // Defined before wasi-dl, so that side modules calling proc_exit get this one too.
    linker.allow_shadowing(true);
    linker.func_wrap(
        "wasi_snapshot_preview1",
        "proc_exit",
        |status: i32| -> wasmtime::Result<()> { Err(I32Exit(status & 0xff).into()) },
    )?;
    linker.allow_shadowing(false);
    wasi_dl::add_to_linker(&mut linker, |s: &mut State| &mut s.dl)?;

    let limits = StoreLimitsBuilder::new().instances(MAX_INSTANCES).build();
    let mut store = Store::new(
        &engine,
        State {
            wasi: wasi.build_p1(),
            dl: dl.build(),
            limits,
        },
    );
    store.limiter(|state| &mut state.limits);
    let instance = wasi_dl::instantiate(&linker, &mut store, &module, |s: &mut State| &mut s.dl)?;
    let start = instance
        .get_typed_func::<(), ()>(&mut store, "_start")
        .map_err(|e| {
            anyhow::anyhow!("the program has no usable _start (is it a command module?): {e}")
        })?;
    match start.call(&mut store, ()) {
        Ok(()) => Ok(0),
        Err(err) => {
            if let Some(exit) = err.downcast_ref::<I32Exit>() {
                return Ok(exit.0.clamp(0, 255) as u8);
            }
            eprintln!("wasi-dl: error: {err:?}");
            // Like wasmtime run: a trap looks like an abort to the shell.
            Ok(134)
        }
    }
}
