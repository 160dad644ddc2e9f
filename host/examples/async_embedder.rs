//! An async embedder: guests that `dlopen` plugins, run as tokio tasks with async WASI and
//! epoch-based yielding, as most production hosts run wasmtime.
//!
//! ```sh
//! cargo run -p wasi-dl --example async_embedder -- PROGRAM.wasm PLUGIN_DIR [COPIES] [ARGS...]
//! ```
//!
//! It runs COPIES (default 2) instances of PROGRAM.wasm at once, each in its own store, as tasks
//! of a multi-threaded tokio runtime. PLUGIN_DIR is preopened at `/plugins` for WASI (the program
//! lists it) and granted to wasi-dl (the program loads from it); the program gets `/plugins`
//! and ARGS as its arguments (`make demo`'s `textkit` fits: `textkit /plugins [TEXT]`).
//!
//! What makes it async, and what wasi-dl needs for it:
//! - WASI and wasi-dl are added with `add_to_linker_async`; the program is instantiated with
//!   `wasi_dl::instantiate_async` and run with `call_async`. wasi-dl's imports are then async
//!   host functions, and the loader instantiates each library and runs its constructors with
//!   wasmtime's `_async` calls.
//! - The engine ticks its epoch every millisecond; each store yields to the executor at every
//!   tick (`epoch_deadline_async_yield_and_update`), also inside a plugin's constructor that
//!   `dlopen` is running. So the guests share the runtime's threads, and a store's future may
//!   resume on another thread after any yield.
//!
//! Each guest's output is collected and printed after it ends, headed by its copy number.

use std::path::{Path, PathBuf};
use std::time::Duration;

use wasi_dl::WasiDlCtx;
use wasmtime::error::Context;
use wasmtime::{bail, Config, Engine, Linker, Module, Result, Store};
use wasmtime_wasi::p1::WasiP1Ctx;
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{FsPerms, I32Exit, WasiCtxBuilder};

/// One store's data: WASI and wasi-dl side by side.
struct State {
    wasi: WasiP1Ctx,
    dl: WasiDlCtx,
}

/// What a guest did: its exit status and everything it wrote to stdout.
#[derive(Debug)]
pub struct Outcome {
    pub status: i32,
    pub stdout: String,
}

/// Runs `copies` instances of `program` at once on the current tokio runtime, each given
/// `plugin_dir` at `/plugins` and the arguments `/plugins ARGS...`; returns their outcomes in
/// copy order.
pub async fn run_guests(
    program: &Path,
    plugin_dir: &Path,
    args: &[String],
    copies: usize,
) -> Result<Vec<Outcome>> {
    let mut config = Config::new();
    config.epoch_interruption(true);
    let engine = Engine::new(&config)?;

    let mut linker: Linker<State> = Linker::new(&engine);
    wasmtime_wasi::p1::add_to_linker_async(&mut linker, |s: &mut State| &mut s.wasi)?;
    // After WASI: side modules may import what the program's linker offers, nothing else.
    wasi_dl::add_to_linker_async(&mut linker, |s: &mut State| &mut s.dl)?;

    let module = Module::from_file(&engine, program)
        .with_context(|| format!("compiling {}", program.display()))?;

    // The epoch ticker: every store yields at each tick.
    let ticker = tokio::spawn({
        let engine = engine.clone();
        async move {
            loop {
                tokio::time::sleep(Duration::from_millis(1)).await;
                engine.increment_epoch();
            }
        }
    });

    let mut guests = Vec::new();
    for copy in 0..copies {
        let (engine, linker, module) = (engine.clone(), linker.clone(), module.clone());
        let (plugin_dir, args) = (plugin_dir.to_path_buf(), args.to_vec());
        guests.push(tokio::spawn(async move {
            run_one(&engine, &linker, &module, &plugin_dir, &args)
                .await
                .with_context(|| format!("copy {copy}"))
        }));
    }
    let mut outcomes = Vec::new();
    for guest in guests {
        outcomes.push(guest.await??);
    }
    ticker.abort();
    Ok(outcomes)
}

/// One guest in a store of its own.
async fn run_one(
    engine: &Engine,
    linker: &Linker<State>,
    module: &Module,
    plugin_dir: &Path,
    args: &[String],
) -> Result<Outcome> {
    let stdout = MemoryOutputPipe::new(1 << 20);
    let mut wasi = WasiCtxBuilder::new();
    wasi.stdout(stdout.clone())
        .inherit_stderr()
        .arg("program")
        .arg("/plugins")
        .args(args)
        // The program lists the directory with WASI ...
        .preopened_dir(plugin_dir, "/plugins", FsPerms::ReadOnly)?;
    // ... and loads from it with wasi-dl.
    let dl = WasiDlCtx::builder()
        .preopened_dir(plugin_dir, "/plugins")?
        .program_module(module)
        .build();
    let mut store = Store::new(
        engine,
        State {
            wasi: wasi.build_p1(),
            dl,
        },
    );
    // Yield to the executor at every epoch tick, and carry on.
    store.epoch_deadline_async_yield_and_update(1);

    let instance =
        wasi_dl::instantiate_async(linker, &mut store, module, |s: &mut State| &mut s.dl).await?;
    let start = instance.get_typed_func::<(), ()>(&mut store, "_start")?;
    let status = match start.call_async(&mut store, ()).await {
        Ok(()) => 0,
        // The start-up code ends every run with `proc_exit`, also a successful one.
        Err(err) => match err.downcast_ref::<I32Exit>() {
            Some(exit) => exit.0,
            None => return Err(err),
        },
    };
    Ok(Outcome {
        status,
        stdout: String::from_utf8_lossy(&stdout.contents()).into_owned(),
    })
}

const USAGE: &str = "usage: async_embedder PROGRAM.wasm PLUGIN_DIR [COPIES] [ARGS...]";

fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let (Some(program), Some(plugin_dir)) = (args.next(), args.next()) else {
        bail!("{USAGE}");
    };
    let mut rest: Vec<String> = args.collect();
    let copies = match rest.first().map(|c| c.parse::<usize>()) {
        Some(Ok(n)) => {
            rest.remove(0);
            n
        }
        _ => 2,
    };
    let runtime = tokio::runtime::Runtime::new()?;
    let outcomes = runtime.block_on(run_guests(
        &PathBuf::from(program),
        &PathBuf::from(plugin_dir),
        &rest,
        copies,
    ))?;
    let mut status = 0;
    for (copy, outcome) in outcomes.iter().enumerate() {
        println!("== copy {copy}: exit status {}", outcome.status);
        print!("{}", outcome.stdout);
        if status == 0 {
            status = outcome.status;
        }
    }
    std::process::exit(status);
}
