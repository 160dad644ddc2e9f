//! Runs a built case: natively as a process, or as wasm in this process under the wasi-dl host
//! library, with the same conventions (working directory = build directory, library path `.`).

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use wasmtime::{Config, Engine, Linker, Store};
use wasmtime_wasi::p1::WasiP1Ctx;
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{FsPerms, I32Exit, WasiCtxBuilder};

use wasi_dl::{ModuleCache, WasiDlCtx};

pub struct Output {
    pub stdout: String,
    pub stderr: String,
    pub code: i32,
}

/// A case that runs longer than this is stopped (and fails): a guard against a hang, no measure
/// of speed. For wasm it runs from the store's creation, so it also covers compiling what the
/// case loads (SQLite, tree-sitter grammars) on a loaded CI machine; cases take seconds.
const TIME_LIMIT: Duration = Duration::from_secs(600);
const EPOCH_TICK: Duration = Duration::from_millis(100);

/// One engine for the whole suite (compiled side modules are shared through the cache), with
/// epoch interruption so a runaway case traps instead of hanging the suite.
fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        let mut config = Config::new();
        config.epoch_interruption(true);
        config.wasm_exceptions(true); // setjmp/longjmp and C++ exceptions
        let engine = Engine::new(&config).expect("the default wasmtime configuration is valid");
        let ticker = engine.weak();
        std::thread::spawn(move || {
            while let Some(engine) = ticker.upgrade() {
                engine.increment_epoch();
                drop(engine);
                std::thread::sleep(EPOCH_TICK);
            }
        });
        engine
    })
}

fn cache() -> &'static ModuleCache {
    static CACHE: OnceLock<ModuleCache> = OnceLock::new();
    CACHE.get_or_init(|| {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/toolchain-tests/.compiled");
        ModuleCache::with_disk_cache(&dir).unwrap_or_default()
    })
}

struct State {
    wasi: WasiP1Ctx,
    dl: WasiDlCtx,
}

pub fn run_wasm(dir: &Path, program: &str, args: &[String]) -> Result<Output> {
    let engine = engine();
    let stdout = MemoryOutputPipe::new(4 << 20);
    let stderr = MemoryOutputPipe::new(4 << 20);
    let mut wasi = WasiCtxBuilder::new();
    wasi.arg(program)
        .stdout(stdout.clone())
        .stderr(stderr.clone())
        .env("LD_LIBRARY_PATH", ".");
    for arg in args {
        wasi.arg(arg);
    }
    wasi.preopened_dir(dir, ".", FsPerms::ReadWrite)
        .map_err(|e| anyhow::anyhow!("preopen: {e}"))?;
    let bytes = std::fs::read(dir.join(program)).with_context(|| format!("reading {program}"))?;
    let module = cache().compile_program(engine, &bytes)?;
    let dl = WasiDlCtx::builder()
        .program_module(&module)
        .program_bytes(&bytes)
        .cache(cache().clone())?
        .program_name(program)
        .preopened_dir(dir, ".")?
        .guest_library_path(".")
        .build();

    let mut linker: Linker<State> = Linker::new(engine);
    wasmtime_wasi::p1::add_to_linker_sync(&mut linker, |s: &mut State| &mut s.wasi)?;
    wasi_dl::add_to_linker(&mut linker, |s: &mut State| &mut s.dl)?;
    let mut store = Store::new(
        engine,
        State {
            wasi: wasi.build_p1(),
            dl,
        },
    );
    store.set_epoch_deadline((TIME_LIMIT.as_millis() / EPOCH_TICK.as_millis()) as u64);
    store.epoch_deadline_trap();
    let instance = wasi_dl::instantiate(&linker, &mut store, &module, |s: &mut State| &mut s.dl)?;
    let start = instance.get_typed_func::<(), ()>(&mut store, "_start")?;
    let (code, trap) = match start.call(&mut store, ()) {
        Ok(()) => (0, None),
        Err(err) => match err.downcast_ref::<I32Exit>() {
            Some(exit) => (exit.0, None),
            None => (134, Some(format!("{err:#}"))),
        },
    };
    let mut stderr_text = String::from_utf8_lossy(&stderr.contents()).into_owned();
    if let Some(trap) = trap {
        stderr_text.push_str(&format!("\n[trap] {trap}\n"));
    }
    Ok(Output {
        stdout: String::from_utf8_lossy(&stdout.contents()).into_owned(),
        stderr: stderr_text,
        code,
    })
}

pub fn run_native(dir: &Path, program: &str, args: &[String]) -> Result<Output> {
    let mut child = Command::new(dir.join(program))
        .args(args)
        .current_dir(dir)
        .env("LD_LIBRARY_PATH", ".")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot start {program}"))?;
    let started = Instant::now();
    while child.try_wait()?.is_none() {
        if started.elapsed() > TIME_LIMIT {
            let _ = child.kill();
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let output = child.wait_with_output()?;
    let code = output.status.code().unwrap_or_else(|| {
        use std::os::unix::process::ExitStatusExt;
        128 + output.status.signal().unwrap_or(0)
    });
    Ok(Output {
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        code,
    })
}
