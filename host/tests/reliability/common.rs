//! What the reliability tests share: C programs built once (cached in `target/host-tests/`),
//! one engine, and an in-process runner with captured output.

use std::collections::HashMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use sha2::{Digest, Sha256};
use wasi_dl::{ModuleCache, WasiDlCtx, WasiDlCtxBuilder};
use wasi_dl_toolchain::{Build, MainOptions, SideOptions};
use wasmtime::{Config, Engine, Linker, Module, Store};
use wasmtime_wasi::p1::WasiP1Ctx;
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{FsPerms, I32Exit, WasiCtxBuilder};

pub use crate::wasi_dl_fuzz::enc::{self, side_module, Dylink, PROLOGUE};

/// `target/host-tests`: built programs, compiled-code cache, scratch directories.
pub fn work_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/host-tests");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A fresh directory under `target/host-tests/tmp`, removed when dropped.
/// Limits with instance reuse turned off: every closed library gives its memory back at once,
/// so tests can require the program's state to be exactly as before.
pub fn no_reuse() -> wasi_dl::Limits {
    wasi_dl::Limits {
        max_parked_libraries: 0,
        ..wasi_dl::Limits::default()
    }
}

pub fn temp_dir() -> tempfile::TempDir {
    let root = work_dir().join("tmp");
    std::fs::create_dir_all(&root).unwrap();
    tempfile::tempdir_in(root).unwrap()
}

fn sysroot() -> PathBuf {
    std::env::var_os("WASI_DL_SYSROOT")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/wasi-dl-sysroot"))
}

/// Builds C source once: the output's name carries a hash of the source, the kind of build and
/// the guest sysroot's libraries, so a change to any of them rebuilds.
fn build_c(name: &str, source: &str, side: bool) -> PathBuf {
    static BUILT: OnceLock<Mutex<HashMap<String, PathBuf>>> = OnceLock::new();
    let mut built = BUILT
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|p| p.into_inner());
    if let Some(path) = built.get(name) {
        return path.clone();
    }
    let mut hash = Sha256::new();
    hash.update(source.as_bytes());
    hash.update([u8::from(side)]);
    for lib in ["lib/libwasi_dl.a", "lib/crt1-wasi-dl.o"] {
        hash.update(std::fs::read(sysroot().join(lib)).unwrap_or_else(|e| {
            panic!(
                "{}: {e} (run `bash guest/install.sh` first)",
                sysroot().join(lib).display()
            )
        }));
    }
    let hex: String = hash
        .finalize()
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect();
    let dir = work_dir().join("programs");
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join(format!("{name}-{hex}.{}", if side { "so" } else { "wasm" }));
    if !out.exists() {
        let src = dir.join(format!("{name}-{hex}.c"));
        // Replaced whole, never rewritten in place: another process of this binary (a test's
        // child, see `in_own_process`) may be compiling the same source at this moment.
        let mut src_tmp = tempfile::NamedTempFile::new_in(&dir).unwrap();
        std::io::Write::write_all(&mut src_tmp, source.as_bytes()).unwrap();
        src_tmp.persist(&src).unwrap();
        let tmp = dir.join(format!("{name}-{hex}.tmp{}", std::process::id()));
        let build = Build::new().expect("the wasm C toolchain (run `make setup`)");
        let extra: Vec<OsString> = vec!["-O1".into()];
        let result = if side {
            build.side_module(
                &[&src],
                &tmp,
                &SideOptions {
                    extra_args: extra,
                    ..Default::default()
                },
            )
        } else {
            build.main_program(
                &[&src],
                &tmp,
                &MainOptions {
                    extra_args: extra,
                    ..Default::default()
                },
            )
        };
        result.unwrap_or_else(|e| panic!("building {name}: {e:#}"));
        std::fs::rename(&tmp, &out).unwrap();
    }
    built.insert(name.to_string(), out.clone());
    out
}

pub fn build_program(name: &str, source: &str) -> PathBuf {
    build_c(name, source, false)
}

pub fn build_library(name: &str, source: &str) -> PathBuf {
    build_c(name, source, true)
}

/// Declarations every test program may use: the host's count of loaded libraries, the table
/// size, and a probe of the allocator.
pub const PROLOGUE_C: &str = r#"
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Provided by the test runner: WasiDlCtx::loaded_libraries() and parked_libraries(). */
__attribute__((import_module("wasi_dl_test"), import_name("loaded"))) int host_loaded(void);
__attribute__((import_module("wasi_dl_test"), import_name("parked"))) int host_parked(void);

static unsigned long table_size(void) {
    unsigned long n;
    __asm__ volatile(".tabletype __indirect_function_table, funcref\n\t"
                     "table.size __indirect_function_table\n\t"
                     "local.set %0" : "=r"(n));
    return n;
}

static unsigned long memory_pages(void) { return __builtin_wasm_memory_size(0); }

/* Where the allocator puts blocks of three sizes (then frees them): the same addresses before
 * and after an operation show that the operation gave back all it took. */
static void heap_probe(char *out, size_t len) {
    void *a = malloc(24), *b = malloc(1000), *c = malloc(100000);
    snprintf(out, len, "%p,%p,%p", a, b, c);
    free(c);
    free(b);
    free(a);
}

/* The stack pointer, seen as the address of a local. */
static __attribute__((noinline)) uintptr_t stack_probe(void) {
    volatile char here = 0;
    return (uintptr_t)&here;
}

static void state(const char *when) {
    char heap[64];
    heap_probe(heap, sizeof heap);
    printf("%s table=%lu pages=%lu heap=%s stack=%lu loaded=%d parked=%d\n", when, table_size(),
           memory_pages(), heap, (unsigned long)stack_probe(), host_loaded(), host_parked());
}
"#;

/// A program driven by its arguments, for the limit and leak tests:
/// - `o:PATH` dlopens PATH (RTLD_NOW) and keeps the handle: `open PATH ok K` / `open PATH NULL ERR`;
/// - `c:K` dlcloses the K-th handle kept: `close K ok` / `close K ERR`;
/// - `s` prints the state (see PROLOGUE_C);
/// - `l:N:EVERY:PATH` opens PATH, calls its `work` function if it has one, and closes it, N
///   times; prints the state after the first cycle and then every EVERY cycles, then a summary.
pub const SCRIPT_C: &str = r#"
__attribute__((import_module("wasi_dl_test"), import_name("rss_kib"))) int host_rss_kib(void);

int main(int argc, char **argv) {
    static void *handles[4096];
    int n = 0;
    for (int i = 1; i < argc; i++) {
        char *cmd = argv[i];
        if (cmd[0] == 'o') {
            void *h = dlopen(cmd + 2, RTLD_NOW);
            if (h) {
                handles[n] = h;
                printf("open %s ok %d\n", cmd + 2, n++);
            } else {
                printf("open %s NULL %s\n", cmd + 2, dlerror());
                dlerror(); /* frees the text */
            }
        } else if (cmd[0] == 'c') {
            int k = atoi(cmd + 2);
            printf("close %d %s\n", k, dlclose(handles[k]) == 0 ? "ok" : dlerror());
        } else if (cmd[0] == 's') {
            state("state");
        } else if (cmd[0] == 'l') {
            char *p = cmd + 2;
            long count = strtol(p, &p, 10);
            long every = strtol(p + 1, &p, 10);
            const char *path = p + 1;
            long ok = 0, failed = 0, calls = 0;
            char first_error[256] = "";
            int rss_start = host_rss_kib();
            for (long j = 1; j <= count; j++) {
                void *h = dlopen(path, RTLD_NOW);
                if (h) {
                    ok++;
                    int (*work)(int) = (int (*)(int))dlsym(h, "work");
                    if (work && work((int)j) == (int)j + 1) calls++;
                    dlerror();
                    if (dlclose(h) != 0) printf("dlclose failed: %s\n", dlerror());
                } else {
                    const char *e = dlerror();
                    if (!failed && e) snprintf(first_error, sizeof first_error, "%s", e);
                    failed++;
                    dlerror();
                }
                if (j == 1 || j % every == 0) {
                    char tag[32];
                    snprintf(tag, sizeof tag, "cycle%ld", j);
                    state(tag);
                }
            }
            printf("loop ok=%ld failed=%ld calls=%ld rss_kib=%d,%d error=%s\n", ok, failed, calls,
                   rss_start, host_rss_kib(), first_error);
        }
    }
    return 0;
}
"#;

pub fn script_program() -> PathBuf {
    build_program("script", &format!("{PROLOGUE_C}{SCRIPT_C}"))
}

/// Runs the test `name` (its full path, `--exact`) alone in a child process of this test
/// binary, for a measure of the whole process (its resident set) that tests running on other
/// threads would disturb. Returns true in the child, which goes on with the test; false in the
/// parent, once the child passed.
pub fn in_own_process(name: &str) -> bool {
    const VAR: &str = "WASI_DL_TEST_OWN_PROCESS";
    if std::env::var_os(VAR).is_some_and(|v| v == name) {
        return true;
    }
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([name, "--exact", "--nocapture", "--test-threads=1"])
        .env(VAR, name)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("1 passed"),
        "{name} in its own process ({}):\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    print!("{stdout}");
    false
}

/// The path of this thread's variant of the `both_modes!` test `path` (`module::name`).
pub fn this_mode_test(path: &str) -> String {
    match mode() {
        Mode::Sync => format!("{path}::sync"),
        Mode::Async => format!("{path}::async_store"),
    }
}

/// The process's resident set size, in KiB.
pub fn rss_kib() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: u64 = statm
        .split(' ')
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    pages * 4
}

/// How a scenario's store is set up and entered: wasi-dl and WASI added with
/// `add_to_linker_sync` and run with `call`, or added with `add_to_linker_async` and run with
/// `call_async` under tokio (epoch ticks yield to the executor).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Mode {
    Sync,
    Async,
}

thread_local! {
    /// The mode of the scenario running on this thread (each test runs on its own thread).
    static MODE: std::cell::Cell<Mode> = const { std::cell::Cell::new(Mode::Sync) };
}

/// The mode [`run`] uses on this thread.
pub fn mode() -> Mode {
    MODE.with(|m| m.get())
}

/// Runs `scenario` with every [`run`] in it in `mode`.
pub fn in_mode<R>(mode: Mode, scenario: impl FnOnce() -> R) -> R {
    MODE.with(|m| m.set(mode));
    scenario()
}

/// A scenario that must hold in both modes: `both_modes! { fn name() { ... } }` defines the
/// function and a module `name` with the tests `name::sync` and `name::async_store`.
#[macro_export]
macro_rules! both_modes {
    ($(#[$meta:meta])* fn $name:ident() $body:block) => {
        $(#[$meta])*
        fn $name() $body

        mod $name {
            #[test]
            fn sync() {
                $crate::common::in_mode($crate::common::Mode::Sync, super::$name)
            }
            #[test]
            fn async_store() {
                $crate::common::in_mode($crate::common::Mode::Async, super::$name)
            }
        }
    };
}

/// One engine for every test, in both modes (epoch interruption stops a runaway guest).
pub fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        let mut config = Config::new();
        config.epoch_interruption(true);
        let engine = Engine::new(&config).unwrap();
        let weak = engine.weak();
        std::thread::spawn(move || {
            while let Some(engine) = weak.upgrade() {
                engine.increment_epoch();
                drop(engine);
                std::thread::sleep(Duration::from_millis(100));
            }
        });
        engine
    })
}

/// Compiled programs, cached on disk across runs.
fn program_cache() -> &'static ModuleCache {
    static CACHE: OnceLock<ModuleCache> = OnceLock::new();
    CACHE.get_or_init(|| ModuleCache::with_disk_cache(work_dir().join(".compiled")).unwrap())
}

/// Compiled side modules, in memory, shared by the tests.
pub fn library_cache() -> &'static ModuleCache {
    static CACHE: OnceLock<ModuleCache> = OnceLock::new();
    CACHE.get_or_init(ModuleCache::new)
}

fn program_module(path: &Path) -> Module {
    static MODULES: OnceLock<Mutex<HashMap<PathBuf, Module>>> = OnceLock::new();
    let mut modules = MODULES.get_or_init(Default::default).lock().unwrap();
    modules
        .entry(path.to_path_buf())
        .or_insert_with(|| {
            let bytes = std::fs::read(path).unwrap();
            program_cache().compile_program(engine(), &bytes).unwrap()
        })
        .clone()
}

pub struct State {
    pub wasi: WasiP1Ctx,
    pub dl: WasiDlCtx,
    pub limits: wasmtime::StoreLimits,
}

/// How to run a program.
pub struct Run<'a> {
    pub program: &'a Path,
    pub args: Vec<String>,
    /// Host directory and guest path, preopened for WASI and granted to the loader.
    pub dirs: Vec<(PathBuf, String)>,
    /// Adjusts the loader's context (limits, search path, registered modules, ...).
    pub dl: Box<dyn FnOnce(WasiDlCtxBuilder) -> WasiDlCtxBuilder + 'a>,
    /// Epoch ticks (100 ms) before the run is stopped. The default, [`HANG_GUARD_TICKS`], only
    /// keeps a hung test from hanging the suite: it is no measure of speed.
    pub deadline_ticks: u64,
    /// Stop only while the innermost wasm frame is this function (and `deadline_ticks` have
    /// passed): a test that waits for a spinning function to be stopped must not be stopped
    /// earlier, in code a loaded machine ran slowly (before: the deadline ran from the store's
    /// creation, so a stall of a few hundred ms ended the run in `_start` or the allocator).
    /// Past [`HANG_GUARD_TICKS`] the run stops wherever it is.
    pub stop_only_in: Option<&'static str>,
    /// wasmtime's per-store instance limit (its default is 10,000).
    pub max_instances: Option<usize>,
    /// Past the deadline, the epoch callback returns [`StoppedByEmbedder`] instead of an
    /// interrupt trap.
    pub stop_with_error: bool,
    /// The program's linear memory may grow to this many bytes; growing past it is an error of
    /// the store's limiter (`trap_on_grow_failure`), not a failed `memory.grow`.
    pub memory_limit: Option<usize>,
    /// The store's tables may grow to this many elements, with the same error past it.
    pub table_limit: Option<usize>,
}

/// The default deadline: ten minutes, a guard against a hang that no run on a loaded CI machine
/// comes near (the longest take seconds).
pub const HANG_GUARD_TICKS: u64 = 6000;

/// The error a test's epoch callback stops the guest with (see [`Run::stop_with_error`]).
#[derive(Debug)]
pub struct StoppedByEmbedder;

impl std::fmt::Display for StoppedByEmbedder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("stopped by the embedder")
    }
}

impl std::error::Error for StoppedByEmbedder {}

impl<'a> Run<'a> {
    pub fn new(program: &'a Path) -> Self {
        Run {
            program,
            args: Vec::new(),
            dirs: Vec::new(),
            dl: Box::new(|b| b),
            deadline_ticks: HANG_GUARD_TICKS,
            stop_only_in: None,
            max_instances: None,
            stop_with_error: false,
            memory_limit: None,
            table_limit: None,
        }
    }
    pub fn args<S: Into<String>>(mut self, args: impl IntoIterator<Item = S>) -> Self {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }
    pub fn dir(mut self, host: &Path, guest: &str) -> Self {
        self.dirs.push((host.to_path_buf(), guest.to_string()));
        self
    }
    pub fn dl(mut self, f: impl FnOnce(WasiDlCtxBuilder) -> WasiDlCtxBuilder + 'a) -> Self {
        self.dl = Box::new(f);
        self
    }
}

#[derive(Debug)]
pub struct Output {
    pub stdout: String,
    pub stderr: String,
    pub code: i32,
    /// The trap that ended the program, if one did.
    pub trap: Option<String>,
    /// Whether what ended it was the embedder's own error, [`StoppedByEmbedder`].
    pub stopped_by_embedder: bool,
    /// `WasiDlCtx::loaded_libraries()` after the program ended.
    pub loaded_after: usize,
}

impl Output {
    /// Panics with the whole output unless the program exited with 0.
    pub fn success(self) -> Self {
        assert!(
            self.code == 0 && self.trap.is_none(),
            "the program failed (code {}, trap {:?})\n--- stdout\n{}\n--- stderr\n{}",
            self.code,
            self.trap,
            self.stdout,
            self.stderr
        );
        self
    }
}

pub fn run(run: Run<'_>) -> Output {
    let engine = engine();
    let module = program_module(run.program);
    let stdout = MemoryOutputPipe::new(64 << 20);
    let stderr = MemoryOutputPipe::new(4 << 20);
    let mut wasi = WasiCtxBuilder::new();
    wasi.arg("main.wasm")
        .stdout(stdout.clone())
        .stderr(stderr.clone());
    wasi.args(&run.args);
    let mut dl = WasiDlCtx::builder()
        .program_module(&module)
        .program_bytes(&std::fs::read(run.program).unwrap())
        .cache(library_cache().clone())
        .unwrap();
    for (host, guest) in &run.dirs {
        wasi.preopened_dir(host, guest, FsPerms::ReadOnly).unwrap();
        dl = dl.preopened_dir(host, guest).unwrap();
    }
    let dl = (run.dl)(dl).build();

    let mut linker: Linker<State> = Linker::new(engine);
    add_test_imports(&mut linker, mode());
    let mut limits = wasmtime::StoreLimitsBuilder::new();
    if let Some(n) = run.max_instances {
        limits = limits.instances(n).tables(n).memories(n);
    }
    if let Some(bytes) = run.memory_limit {
        limits = limits.memory_size(bytes).trap_on_grow_failure(true);
    }
    if let Some(elements) = run.table_limit {
        limits = limits.table_elements(elements).trap_on_grow_failure(true);
    }
    let mut store = Store::new(
        engine,
        State {
            wasi: wasi.build_p1(),
            dl,
            limits: limits.build(),
        },
    );
    if run.max_instances.is_some() || run.memory_limit.is_some() || run.table_limit.is_some() {
        store.limiter(|s| &mut s.limits);
    }
    let stop = move || -> wasmtime::Error {
        if run.stop_with_error {
            StoppedByEmbedder.into()
        } else {
            wasmtime::Trap::Interrupt.into()
        }
    };
    // Ticks observed by the callback (not epochs since the store was made): time the thread
    // spent in the host, compiling or descheduled, counts once at most.
    let mut ticks = 0;
    let (deadline, stop_only_in) = (run.deadline_ticks, run.stop_only_in);
    let mut past_deadline = move |store: &wasmtime::StoreHookState<'_, State>| {
        ticks += 1;
        if ticks >= HANG_GUARD_TICKS.max(deadline) {
            return true;
        }
        ticks >= deadline
            && stop_only_in.is_none_or(|name| {
                let trace = wasmtime::WasmBacktrace::capture(store);
                trace
                    .frames()
                    .first()
                    .and_then(|f| f.func_name())
                    .is_some_and(|f| f == name)
            })
    };
    let result = match mode() {
        Mode::Sync if !run.stop_with_error && run.stop_only_in.is_none() => {
            store.set_epoch_deadline(run.deadline_ticks);
            store.epoch_deadline_trap();
            run_sync(&linker, &mut store, &module)
        }
        Mode::Sync => {
            store.set_epoch_deadline(1);
            store.epoch_deadline_callback(move |store| {
                if past_deadline(&store) {
                    return Err(stop());
                }
                Ok(wasmtime::UpdateDeadline::Continue(1))
            });
            run_sync(&linker, &mut store, &module)
        }
        Mode::Async => {
            // Every tick yields to the executor; after the deadline, the guest stops as in sync
            // mode.
            store.set_epoch_deadline(1);
            store.epoch_deadline_callback(move |store| {
                if past_deadline(&store) {
                    return Err(stop());
                }
                Ok(wasmtime::UpdateDeadline::Yield(1))
            });
            block_on(run_async(&linker, &mut store, &module))
        }
    };
    let stopped_by_embedder =
        matches!(&result, Err(e) if e.downcast_ref::<StoppedByEmbedder>().is_some());
    let (code, trap) = match result {
        Ok(()) => (0, None),
        Err(err) => match err.downcast_ref::<I32Exit>() {
            Some(exit) => (exit.0, None),
            None => (134, Some(format!("{err:#}"))),
        },
    };
    Output {
        stdout: String::from_utf8_lossy(&stdout.contents()).into_owned(),
        stderr: String::from_utf8_lossy(&stderr.contents()).into_owned(),
        code,
        trap,
        stopped_by_embedder,
        loaded_after: store.data().dl.loaded_libraries(),
    }
}

/// WASI, wasi-dl and the test probes, added for `mode`.
pub fn add_test_imports(linker: &mut Linker<State>, mode: Mode) {
    match mode {
        Mode::Sync => {
            wasmtime_wasi::p1::add_to_linker_sync(linker, |s: &mut State| &mut s.wasi).unwrap();
            wasi_dl::add_to_linker_sync(linker, |s: &mut State| &mut s.dl).unwrap();
        }
        Mode::Async => {
            wasmtime_wasi::p1::add_to_linker_async(linker, |s: &mut State| &mut s.wasi).unwrap();
            wasi_dl::add_to_linker_async(linker, |s: &mut State| &mut s.dl).unwrap();
        }
    }
    linker
        .func_wrap(
            "wasi_dl_test",
            "loaded",
            |caller: wasmtime::Caller<'_, State>| caller.data().dl.loaded_libraries() as i32,
        )
        .unwrap();
    linker
        .func_wrap(
            "wasi_dl_test",
            "parked",
            |caller: wasmtime::Caller<'_, State>| caller.data().dl.parked_libraries() as i32,
        )
        .unwrap();
    linker
        .func_wrap("wasi_dl_test", "rss_kib", || rss_kib() as i32)
        .unwrap();
}

fn run_sync(
    linker: &Linker<State>,
    store: &mut Store<State>,
    module: &Module,
) -> wasmtime::Result<()> {
    let instance = wasi_dl::instantiate(linker, &mut *store, module, |s: &mut State| &mut s.dl)?;
    let start = instance.get_typed_func::<(), ()>(&mut *store, "_start")?;
    start.call(&mut *store, ())
}

async fn run_async(
    linker: &Linker<State>,
    store: &mut Store<State>,
    module: &Module,
) -> wasmtime::Result<()> {
    let instance =
        wasi_dl::instantiate_async(linker, &mut *store, module, |s: &mut State| &mut s.dl).await?;
    let start = instance.get_typed_func::<(), ()>(&mut *store, "_start")?;
    start.call_async(&mut *store, ()).await
}

/// Runs a future on a current-thread tokio runtime.
pub fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(future)
}

/// The value of `key=` in a line like `before table=3 pages=2 ...`.
pub fn field<'l>(line: &'l str, key: &str) -> &'l str {
    let start = line
        .split(' ')
        .find_map(|w| w.strip_prefix(key).and_then(|w| w.strip_prefix('=')))
        .unwrap_or_else(|| panic!("no {key}= in {line:?}"));
    start
}

/// A state line without its leading word: what must be equal before and after.
pub fn state_of(line: &str) -> &str {
    line.split_once(' ').map_or(line, |(_, rest)| rest)
}

/// A side module that imports the function `env.FIELD` `count` times (after `leading`
/// imports) and exports the import under `count` names `e0`, `e1`, ..., with an empty code
/// section and `dylink` as its `dylink.0` payload: a module as large in imports as in exports.
pub fn import_export_module(
    leading: &[(&str, &str, wasm_encoder::EntityType)],
    field: &str,
    count: u32,
    dylink: &Dylink,
) -> Vec<u8> {
    use wasm_encoder::{
        CodeSection, EntityType, ExportKind, ExportSection, FunctionSection, ImportSection,
        TypeSection,
    };
    let mut types = TypeSection::new();
    types.ty().function([], []);
    let mut imports = ImportSection::new();
    for (module, name, ty) in leading {
        imports.import(module, name, *ty);
    }
    let mut exports = ExportSection::new();
    for i in 0..count {
        imports.import("env", field, EntityType::Function(0));
        exports.export(&format!("e{i}"), ExportKind::Func, 0);
    }
    let mut m = wasm_encoder::Module::new();
    m.section(&types)
        .section(&imports)
        .section(&FunctionSection::new())
        .section(&exports)
        .section(&CodeSection::new());
    enc::with_first_section(&m.finish(), &enc::custom_section("dylink.0", &dylink.0))
}
