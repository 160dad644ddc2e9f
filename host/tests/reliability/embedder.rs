//! What embedders asked for (issue #15): the default compile cache never keeps an engine
//! alive, concurrent cold loads compile once, a second instance of a program in one store is
//! refused, the host-side view of loaded libraries and its event hook, the embedder's own
//! `env` functions, and many libraries under the pooling allocator.
//!
//! These tests make their own engines and linkers (the shared runner's are fixed).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Barrier};

use wasi_dl::{Fetched, ModuleCache, ModuleSource, WasiDlCtx, WasiDlCtxBuilder};
use wasmtime::{Config, Engine, InstanceAllocationStrategy, Linker, Module, Store};
use wasmtime_wasi::p1::WasiP1Ctx;
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{I32Exit, WasiCtxBuilder};

use crate::common::{build_library, build_program, Mode};

pub struct St {
    pub wasi: WasiP1Ctx,
    pub dl: WasiDlCtx,
}

/// Opens each argument (`dlopen(argv[i], RTLD_NOW)`), calls its `work(i)` and prints
/// `ok NAME RESULT` or `NULL DLERROR`; keeps every handle.
const OPENER_C: &str = r#"
#include <dlfcn.h>
#include <stdio.h>
int main(int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        void *h = dlopen(argv[i], RTLD_NOW);
        if (!h) {
            printf("NULL %s\n", dlerror());
            continue;
        }
        int (*work)(int) = (int (*)(int))dlsym(h, "work");
        printf("ok %s %d\n", argv[i], work ? work(i) : -1);
    }
    return 0;
}
"#;

const WORK_C: &str = "int work(int x) { return x + 1; }\n";

pub fn opener() -> PathBuf {
    build_program("embedder_opener", OPENER_C)
}

pub fn work_lib() -> PathBuf {
    build_library("embedder_work", WORK_C)
}

/// A linker with WASI and wasi-dl, in that order, for a sync store.
pub fn linker(engine: &Engine) -> Linker<St> {
    linker_in(engine, Mode::Sync)
}

/// A linker with WASI and wasi-dl for `mode`.
pub fn linker_in(engine: &Engine, mode: Mode) -> Linker<St> {
    let mut linker: Linker<St> = Linker::new(engine);
    match mode {
        Mode::Sync => {
            wasmtime_wasi::p1::add_to_linker_sync(&mut linker, |s: &mut St| &mut s.wasi).unwrap();
            wasi_dl::add_to_linker_sync(&mut linker, get_cx).unwrap();
        }
        Mode::Async => {
            wasmtime_wasi::p1::add_to_linker_async(&mut linker, |s: &mut St| &mut s.wasi).unwrap();
            wasi_dl::add_to_linker_async(&mut linker, get_cx).unwrap();
        }
    }
    linker
}

/// Where the tests' stores keep their context.
pub fn get_cx(s: &mut St) -> &mut WasiDlCtx {
    &mut s.dl
}

/// The C program `path` (from `build_program`), compiled for `engine`.
pub fn compile(engine: &Engine, path: &Path) -> Module {
    Module::new(engine, std::fs::read(path).unwrap()).unwrap()
}

/// A built library's directory and file name.
pub fn dir_and_name(lib: &Path) -> (&Path, &str) {
    let name = lib
        .file_name()
        .and_then(|n| n.to_str())
        .expect("a file name");
    (lib.parent().expect("a directory"), name)
}

/// A store whose program gets `args` (after `main.wasm`) and writes into the returned pipe.
pub fn store(engine: &Engine, args: &[&str], dl: WasiDlCtx) -> (Store<St>, MemoryOutputPipe) {
    let stdout = MemoryOutputPipe::new(1 << 20);
    let mut wasi = WasiCtxBuilder::new();
    wasi.arg("main.wasm").args(args).stdout(stdout.clone());
    let state = St {
        wasi: wasi.build_p1(),
        dl,
    };
    let mut store = Store::new(engine, state);
    // The shared test engine interrupts by epoch (a no-op for the others): a hang guard only.
    store.set_epoch_deadline(crate::common::HANG_GUARD_TICKS);
    (store, stdout)
}

/// Runs `_start` of an instantiated program: the exit status (`I32Exit`) or the trap's text.
pub fn start(store: &mut Store<St>, instance: wasmtime::Instance) -> Result<i32, String> {
    let start = instance
        .get_typed_func::<(), ()>(&mut *store, "_start")
        .map_err(|e| e.to_string())?;
    exit_status(start.call(&mut *store, ()))
}

/// [`start`] for an async store.
pub async fn start_async(
    store: &mut Store<St>,
    instance: wasmtime::Instance,
) -> Result<i32, String> {
    let start = instance
        .get_typed_func::<(), ()>(&mut *store, "_start")
        .map_err(|e| e.to_string())?;
    exit_status(start.call_async(&mut *store, ()).await)
}

/// What `_start` came to: the exit status (`I32Exit`, 0 for a return) or the error's text.
fn exit_status(result: wasmtime::Result<()>) -> Result<i32, String> {
    match result {
        Ok(()) => Ok(0),
        Err(err) => match err.downcast_ref::<I32Exit>() {
            Some(exit) => Ok(exit.0),
            None => Err(format!("{err:#}")),
        },
    }
}

/// Runs `program` with `args` in a fresh store of `linker`: exit status and stdout.
pub fn run_with(
    linker: &Linker<St>,
    program: &Module,
    args: &[&str],
    dl: WasiDlCtx,
) -> (Result<i32, String>, String, Store<St>) {
    let (mut store, stdout) = store(linker.engine(), args, dl);
    let instance = wasi_dl::instantiate(linker, &mut store, program, get_cx).expect("instantiate");
    let status = start(&mut store, instance);
    let out = String::from_utf8_lossy(&stdout.contents()).into_owned();
    (status, out, store)
}

/// A context that may load from `dir` (mounted at `/lib`).
pub fn ctx_in(dir: &Path) -> WasiDlCtxBuilder {
    WasiDlCtx::builder()
        .library_dir(dir, "/lib")
        .unwrap()
        .search_path("/lib")
}

fn pooling_engine() -> wasmtime::Result<Engine> {
    let mut config = Config::new();
    config.allocation_strategy(InstanceAllocationStrategy::pooling());
    Engine::new(&config)
}

/// Issue #15: the default cache kept every engine it compiled for alive (process-wide, holding
/// the compiled modules), so with the pooling allocator (about 4 TiB of address space reserved
/// per engine) `Engine::new` failed after some 30 engines. Now the default cache lives with
/// the engine's linkers and stores.
#[test]
fn default_cache_does_not_keep_engines_alive() {
    // The program is compiled once (engines of one configuration share compiled code); each
    // engine compiles the library through its default cache.
    let precompiled = pooling_engine()
        .unwrap()
        .precompile_module(&std::fs::read(opener()).unwrap())
        .unwrap();
    let lib = work_lib();
    let (dir, name) = dir_and_name(&lib);
    for round in 0..40 {
        let engine = pooling_engine()
            .unwrap_or_else(|e| panic!("Engine::new failed at engine {round}: {e:#}"));
        // SAFETY: compiled just above by an engine of the same configuration.
        let program = unsafe { Module::deserialize(&engine, &precompiled) }.unwrap();
        let linker = linker(&engine);
        // No `.cache(..)`: the default cache.
        let (status, out, _store) = run_with(&linker, &program, &[name], ctx_in(dir).build());
        assert_eq!(status, Ok(0), "{out}");
        assert!(out.starts_with(&format!("ok {name} 2")), "{out}");
    }
}

/// Serves one module, but only once `parties` loads have asked for it: concurrent cold loads
/// reach the compile cache together.
struct Together {
    barrier: Arc<Barrier>,
    bytes: Arc<[u8]>,
}

impl ModuleSource for Together {
    fn fetch(&self, name: &str, _max_bytes: usize) -> wasmtime::Result<Option<Fetched>> {
        if name != "libtogether.so" {
            return Ok(None);
        }
        self.barrier.wait();
        Ok(Some(Fetched {
            bytes: self.bytes.clone(),
            key: name.to_string(),
            path: None,
        }))
    }
}

/// Single flight: two threads, two stores, one cache, the same module requested at the same
/// moment: compiled once, both loads get it.
#[test]
fn concurrent_cold_loads_compile_once() {
    let engine = crate::common::engine();
    let program = compile(engine, &opener());
    let bytes: Arc<[u8]> = std::fs::read(work_lib()).unwrap().into();
    let cache = ModuleCache::new();
    let barrier = Arc::new(Barrier::new(2));
    let linker = linker(engine);
    std::thread::scope(|scope| {
        let runs: Vec<_> = (0..2)
            .map(|_| {
                let dl = WasiDlCtx::builder()
                    .cache(cache.clone())
                    .unwrap()
                    .source(Together {
                        barrier: barrier.clone(),
                        bytes: bytes.clone(),
                    })
                    .build();
                let (linker, program) = (&linker, &program);
                scope.spawn(move || {
                    let (status, out, _) = run_with(linker, program, &["libtogether.so"], dl);
                    (status, out)
                })
            })
            .collect();
        for run in runs {
            let (status, out) = run.join().unwrap();
            assert_eq!(status, Ok(0), "{out}");
            assert_eq!(out, "ok libtogether.so 2\n");
        }
    });
    assert_eq!(cache.stats().compiles, 1, "{:?}", cache.stats());
    assert_eq!(cache.stats().hits, 1, "{:?}", cache.stats());
}

/// Issue #15: two instances of one program in one store share the store's `WasiDlCtx`, which
/// is bound to the first caller's memory. The second instance's `dlopen` fails with a
/// `dlerror()` that says why, and nothing of the first one's changes.
#[test]
fn second_instance_in_one_store_is_refused() {
    let engine = crate::common::engine();
    let program = compile(engine, &opener());
    let lib = work_lib();
    let (dir, name) = dir_and_name(&lib);
    let linker = linker(engine);
    let (mut store, stdout) = store(engine, &[name], ctx_in(dir).build());
    let first = wasi_dl::instantiate(&linker, &mut store, &program, get_cx).unwrap();
    let second = wasi_dl::instantiate(&linker, &mut store, &program, get_cx).unwrap();
    assert_eq!(start(&mut store, first), Ok(0));
    let after_first = String::from_utf8_lossy(&stdout.contents()).into_owned();
    assert_eq!(after_first, format!("ok {name} 2\n"));
    assert_eq!(start(&mut store, second), Ok(0));
    let out = String::from_utf8_lossy(&stdout.contents()).into_owned();
    let second_out = &out[after_first.len()..];
    assert_eq!(
        second_out,
        "NULL the program cannot load libraries: another instance in this store already uses \
         its wasi-dl context (one WasiDlCtx serves one program instance: give each instance its \
         own store)\n"
    );
    // The first instance's library is loaded once, its error text untouched.
    assert_eq!(store.data().dl.loaded_libraries(), 1);
    assert_eq!(store.data().dl.last_error(), None);
}

/// Opens argv[1] and looks up `work` in it; an instance that may not open libraries uses the
/// handle argv[2] instead (the one the first instance got).
const SYM_BY_HANDLE_C: &str = r#"
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
int main(int argc, char **argv) {
    void *h = dlopen(argv[1], RTLD_NOW);
    if (h) {
        printf("handle %lu\n", (unsigned long)h);
    } else {
        printf("NULL %s\n", dlerror());
        h = (void *)strtoul(argv[2], 0, 10);
    }
    void *work = dlsym(h, "work");
    printf("work %s\n", work ? "found" : dlerror());
    return 0;
}
"#;

/// The second instance's `dlsym`, with a handle the first instance holds, is refused too: the
/// loader knows that answer without a lookup (the quick path), but must neither read the name
/// from the first instance's memory nor write the answer there. Both ways of instantiating a
/// program: `wasi_dl::instantiate`, and the linker with the module named to the builder.
#[test]
fn second_instance_dlsym_is_refused_on_the_quick_path() {
    let engine = crate::common::engine();
    let program = compile(
        engine,
        &build_program("embedder_sym_by_handle", SYM_BY_HANDLE_C),
    );
    let lib = work_lib();
    let (dir, name) = dir_and_name(&lib);
    let linker = linker(engine);
    for through_wasi_dl in [true, false] {
        let dl = ctx_in(dir).program_module(&program).build();
        let (mut store, stdout) = store(engine, &[name, "16"], dl);
        let instantiate = |store: &mut Store<St>| match through_wasi_dl {
            true => wasi_dl::instantiate(&linker, store, &program, get_cx).unwrap(),
            false => linker.instantiate(store, &program).unwrap(),
        };
        let first = instantiate(&mut store);
        let second = instantiate(&mut store);
        assert_eq!(start(&mut store, first), Ok(0));
        let after_first = String::from_utf8_lossy(&stdout.contents()).into_owned();
        assert_eq!(
            after_first, "handle 16\nwork found\n",
            "the first handle is 16"
        );
        assert_eq!(start(&mut store, second), Ok(0));
        let out = String::from_utf8_lossy(&stdout.contents()).into_owned();
        let refusal = "the program cannot load libraries: another instance in this store already \
                       uses its wasi-dl context (one WasiDlCtx serves one program instance: give \
                       each instance its own store)";
        assert_eq!(
            &out[after_first.len()..],
            format!("NULL {refusal}\nwork {refusal}\n"),
            "through wasi_dl::instantiate: {through_wasi_dl}"
        );
    }
}

/// Loads argv[1], fails to load `libmissing.so`, then closes the first; the host looks at
/// its libraries between the steps (`embedder_test.check`).
const OBSERVED_C: &str = r#"
#include <dlfcn.h>
#include <stdio.h>
__attribute__((import_module("embedder_test"), import_name("check"))) void host_check(void);
int main(int argc, char **argv) {
    void *h = dlopen(argv[1], RTLD_NOW);
    if (!h) {
        printf("NULL %s\n", dlerror());
        return 1;
    }
    printf("counter at %lu\n", (unsigned long)dlsym(h, "counter"));
    printf("work slot %lu\n", (unsigned long)*(int (**)(int))dlsym(h, "work_pointer"));
    if (dlopen("libmissing.so", RTLD_NOW) == NULL) printf("missing: %s\n", dlerror());
    host_check();
    if (dlclose(h) != 0) printf("dlclose: %s\n", dlerror());
    host_check();
    return 0;
}
"#;

const OBSERVED_LIB_C: &str = r#"
int counter = 5;
int work(int x) { return x + counter - 4; }
int (*work_pointer)(int) = work;
"#;

/// Issue #15: the embedder lists the loaded libraries (name, handle, data and table ranges,
/// references) and registers a hook that sees loads, unloads and failures.
#[test]
fn host_lists_libraries_and_observes_events() {
    use std::sync::Mutex;
    use wasi_dl::{DlEvent, LibraryInfo};

    let engine = crate::common::engine();
    let program = compile(engine, &build_program("embedder_observed", OBSERVED_C));
    let lib = build_library("embedder_observed_lib", OBSERVED_LIB_C);
    let (dir, name) = dir_and_name(&lib);

    let events: Arc<Mutex<Vec<String>>> = Arc::default();
    let seen = events.clone();
    let dl = ctx_in(dir)
        .on_event(move |event| {
            let line = match event {
                DlEvent::Loaded(lib) => format!("loaded {} {:#x}", lib.name, lib.handle),
                DlEvent::Unloaded(lib) => format!("unloaded {} {:#x}", lib.name, lib.handle),
                DlEvent::Failed(error) => format!("failed {error}"),
                _ => "other".to_string(),
            };
            seen.lock().unwrap().push(line);
        })
        .build();
    let checks: Arc<Mutex<Vec<Vec<LibraryInfo>>>> = Arc::default();
    let mut linker = linker(engine);
    let kept = checks.clone();
    linker
        .func_wrap(
            "embedder_test",
            "check",
            move |caller: wasmtime::Caller<'_, St>| {
                kept.lock().unwrap().push(caller.data().dl.libraries());
            },
        )
        .unwrap();
    let (status, out, store) = run_with(&linker, &program, &[name], dl);
    assert_eq!(status, Ok(0), "{out}");

    let checks = checks.lock().unwrap();
    assert_eq!(checks.len(), 2, "{out}");
    let [info] = &checks[0][..] else {
        panic!("one library expected: {:?}", checks[0]);
    };
    assert_eq!(info.name, name);
    assert_eq!(info.path.as_deref(), Some(&*format!("/lib/{name}")));
    assert_eq!(info.references, 1);
    assert!(!info.global && !info.nodelete, "{info:?}");
    assert!(info.handle != 0);
    // `counter` lies in the data block, `work_pointer` needs a table slot.
    let counter: u32 = out
        .lines()
        .find_map(|l| l.strip_prefix("counter at "))
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("{out}"));
    assert!(
        info.data.contains(&counter),
        "{info:?}, counter at {counter}"
    );
    let slot: u32 = out
        .lines()
        .find_map(|l| l.strip_prefix("work slot "))
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("{out}"));
    assert!(
        info.table.contains(&slot) || info.function_slots.contains(&slot),
        "{info:?}, work at slot {slot}"
    );
    assert!(checks[1].is_empty(), "{:?}", checks[1]);
    assert!(store.data().dl.libraries().is_empty());

    let events = events.lock().unwrap();
    let handle = info.handle;
    assert_eq!(
        *events,
        vec![
            format!("loaded {name} {handle:#x}"),
            "failed libmissing.so: cannot open shared object file: No such file or directory"
                .to_string(),
            format!("unloaded {name} {handle:#x}"),
        ],
        "{out}"
    );
}

/// A library that calls a host function the embedder defines under `env`.
const HOST_CALLER_C: &str = r#"
int host_add(int a, int b);
int work(int x) { return host_add(x, 100); }
"#;

/// Issue #15: host functions the embedder defines under `env` in its linker reach side
/// modules, whether defined before or after `wasi_dl::add_to_linker`.
#[test]
fn embedder_env_functions_reach_side_modules_in_either_order() {
    let engine = crate::common::engine();
    let program = compile(engine, &opener());
    let lib = build_library("embedder_host_caller", HOST_CALLER_C);
    let (dir, name) = dir_and_name(&lib);
    let define = |linker: &mut Linker<St>| {
        linker
            .func_wrap("env", "host_add", |a: i32, b: i32| a + b)
            .unwrap();
    };
    for host_first in [true, false] {
        let mut linker: Linker<St> = Linker::new(engine);
        wasmtime_wasi::p1::add_to_linker_sync(&mut linker, |s: &mut St| &mut s.wasi).unwrap();
        if host_first {
            define(&mut linker);
        }
        wasi_dl::add_to_linker(&mut linker, |s: &mut St| &mut s.dl).unwrap();
        if !host_first {
            define(&mut linker);
        }
        let (status, out, _) = run_with(&linker, &program, &[name], ctx_in(dir).build());
        assert_eq!(status, Ok(0), "{out}");
        // work(1) = host_add(1, 100)
        assert_eq!(
            out,
            format!("ok {name} 101\n"),
            "host function first: {host_first}"
        );
    }
}

/// Copies of one library under `count` names (`lib000.so`, ...): as many libraries, one compile.
fn library_copies(dir: &Path, count: usize) -> Vec<String> {
    let bytes = std::fs::read(build_library("embedder_pointer", OBSERVED_LIB_C)).unwrap();
    (0..count)
        .map(|i| {
            let name = format!("lib{i:03}.so");
            std::fs::write(dir.join(&name), &bytes).unwrap();
            name
        })
        .collect()
}

/// A pooling engine sized as the README says for one store of a program: `instances` core
/// instances, tables of `table_elements`.
fn sized_pooling_engine(instances: u32, table_elements: u64) -> Engine {
    let mut pool = wasmtime::PoolingAllocationConfig::new();
    pool.total_core_instances(instances)
        // One store's program, plus one: wasmtime (48, and 50 again) refuses the program with
        // a pool of a single memory ("maximum concurrent limit of 1 for memory stripe 0").
        .total_memories(2)
        .total_tables(1)
        .table_elements(table_elements as usize)
        .max_memory_size(64 << 20);
    let mut config = Config::new();
    config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
    Engine::new(&config).unwrap()
}

/// Issue #15: under the pooling allocator every library is a core instance counted engine-wide
/// until its store drops, and `table_elements` caps the program's table far below
/// `Limits::max_table_slots`. Sized as the README says, a program loads its libraries (again
/// in a second store once the first is gone); one more fails its `dlopen` with a `dlerror()`
/// that names the limit.
#[test]
fn many_libraries_under_the_pooling_allocator() {
    const N: u32 = 100;
    let tmp = crate::common::temp_dir();
    let names = library_copies(tmp.path(), N as usize + 1);
    let program_bytes = std::fs::read(opener()).unwrap();
    let probe = Module::new(&Engine::default(), &program_bytes).unwrap();
    let program_table = probe
        .exports()
        .find_map(|e| match e.ty() {
            wasmtime::ExternType::Table(t) if e.name() == "__indirect_function_table" => {
                Some(t.minimum())
            }
            _ => None,
        })
        .expect("the program exports its table");
    let args = |n: usize| names[..n].iter().map(String::as_str).collect::<Vec<_>>();
    let ok_lines = |out: &str| out.lines().filter(|l| l.starts_with("ok ")).count();

    // README, "Sizing the pooling allocator": one core instance for the program and one per
    // library (plus one per host function libraries import, none here), one memory and one
    // table per store; table_elements: the program's own table plus every library's slots
    // (one each here: `work`, whose address `work_pointer` holds).
    let (instances, table_elements) = (1 + N, program_table + u64::from(N));

    // Instances: exactly N libraries fit, in one store and then in the next.
    let engine = sized_pooling_engine(instances, table_elements + 100);
    let program = Module::new(&engine, &program_bytes).unwrap();
    let dl_linker = linker(&engine);
    for _ in 0..2 {
        let (status, out, _) = run_with(
            &dl_linker,
            &program,
            &args(N as usize),
            ctx_in(tmp.path()).build(),
        );
        assert_eq!(status, Ok(0), "{out}");
        assert_eq!(ok_lines(&out), N as usize, "{out}");
    }
    let (status, out, _) = run_with(
        &dl_linker,
        &program,
        &args(N as usize + 1),
        ctx_in(tmp.path()).build(),
    );
    assert_eq!(status, Ok(0), "{out}");
    assert_eq!(ok_lines(&out), N as usize, "{out}");
    let last = out.lines().last().unwrap();
    assert!(
        last.starts_with("NULL /lib/lib100.so: instantiation failed")
            && last.contains("for core instances reached"),
        "{last}"
    );

    // Table slots: instances to spare, `table_elements` for N libraries.
    let engine = sized_pooling_engine(instances + 100, table_elements);
    let program = Module::new(&engine, &program_bytes).unwrap();
    let dl_linker = linker(&engine);
    let (status, out, _) = run_with(
        &dl_linker,
        &program,
        &args(N as usize + 1),
        ctx_in(tmp.path()).build(),
    );
    assert_eq!(status, Ok(0), "{out}");
    assert_eq!(ok_lines(&out), N as usize, "{out}");
    let last = out.lines().last().unwrap();
    assert!(
        last.starts_with("NULL") && last.contains("table_elements"),
        "{last}"
    );
}

/// Asks for a symbol only a library the host preloaded defines, then for that library by name
/// without loading it.
const PRELOADED_PROGRAM_C: &str = r#"
#include <dlfcn.h>
#include <stdio.h>
int main(int argc, char **argv) {
    int (*work)(int) = (int (*)(int))dlsym(RTLD_DEFAULT, "preloaded_work");
    if (work) printf("work %d\n", work(1));
    else printf("default NULL %s\n", dlerror());
    void *h = dlopen(argv[1], RTLD_NOW | RTLD_NOLOAD);
    printf("noload %s\n", h ? "found" : "NULL");
    return 0;
}
"#;

/// Its constructor sets what `preloaded_work` adds.
const PRELOADED_LIB_C: &str = r#"
static int base;
__attribute__((constructor)) static void init(void) { base = 41; }
int preloaded_work(int x) { return x + base; }
"#;

/// A constructor that traps: its preload must roll back.
const TRAPPING_LIB_C: &str = r#"
int preloaded_work(int x) { return x; }
__attribute__((constructor)) static void init(void) { __builtin_trap(); }
"#;

/// What [`run_with_preloads`] saw.
struct Preloaded {
    /// Each preload's result.
    results: Vec<wasmtime::Result<u32>>,
    status: Result<i32, String>,
    out: String,
    store: Store<St>,
    /// The failures the embedder's hook was told of.
    failures: Vec<String>,
}

/// Instantiates the preload program with `args` in this thread's mode, preloads each of
/// `preloads` (`RTLD_NOW | RTLD_GLOBAL`) into it before `_start`, then runs it.
fn run_with_preloads(preloads: &[&str], args: &[&str], dir: &Path) -> Preloaded {
    use wasi_dl::OpenFlags;
    let mode = crate::common::mode();
    let engine = crate::common::engine();
    let program = compile(
        engine,
        &build_program("embedder_preloaded", PRELOADED_PROGRAM_C),
    );
    let linker = linker_in(engine, mode);
    let failures: Arc<std::sync::Mutex<Vec<String>>> = Arc::default();
    let seen = failures.clone();
    let dl = ctx_in(dir)
        .on_event(move |event| {
            if let wasi_dl::DlEvent::Failed(err) = event {
                seen.lock().unwrap().push(err.to_string());
            }
        })
        .build();
    let (mut store, stdout) = store(engine, args, dl);
    let flags = OpenFlags::NOW | OpenFlags::GLOBAL;
    let mut results = Vec::new();
    let status = match mode {
        Mode::Sync => {
            let instance = wasi_dl::instantiate(&linker, &mut store, &program, get_cx).unwrap();
            for name in preloads {
                let result = wasi_dl::preload(&linker, &mut store, &instance, get_cx, name, flags);
                results.push(result);
            }
            start(&mut store, instance)
        }
        Mode::Async => crate::common::block_on(async {
            let instance = wasi_dl::instantiate_async(&linker, &mut store, &program, get_cx)
                .await
                .unwrap();
            for name in preloads {
                let result =
                    wasi_dl::preload_async(&linker, &mut store, &instance, get_cx, name, flags)
                        .await;
                results.push(result);
            }
            start_async(&mut store, instance).await
        }),
    };
    let out = String::from_utf8_lossy(&stdout.contents()).into_owned();
    let failures = failures.lock().unwrap().clone();
    Preloaded {
        results,
        status,
        out,
        store,
        failures,
    }
}

crate::both_modes! {
    /// Issue #15: a library the host preloads is in the program as if it had called `dlopen`
    /// itself: its constructor ran, `dlsym(RTLD_DEFAULT)` finds its symbol (`RTLD_GLOBAL`),
    /// `dlopen(RTLD_NOLOAD)` finds it by name, and the handle is the one `dlopen` gives.
    fn host_preload_is_seen_by_the_program() {
        let lib = build_library("embedder_preloaded_lib", PRELOADED_LIB_C);
        let (dir, name) = dir_and_name(&lib);
        let Preloaded {
            results,
            status,
            out,
            store,
            failures,
        } = run_with_preloads(&[name], &[name], dir);
        assert!(failures.is_empty(), "{failures:?}");
        let handle = match &results[..] {
            [Ok(handle)] => *handle,
            other => panic!("{other:?}"),
        };
        assert_eq!(status, Ok(0), "{out}");
        assert_eq!(out, "work 42\nnoload found\n");
        let [info] = &store.data().dl.libraries()[..] else {
            panic!("{:?}", store.data().dl.libraries());
        };
        // The host's reference and the program's `RTLD_NOLOAD` one.
        assert_eq!((info.handle, info.references), (handle, 2), "{info:?}");
        assert!(info.global, "{info:?}");
    }
}

crate::both_modes! {
    /// Issue #15: a preload of a missing library, or of one whose constructor traps, returns
    /// the error the guest's `dlopen` would get, leaves nothing loaded and the program's
    /// `dlerror()` untouched, and the program runs as if nothing had been tried.
    fn failed_preload_leaves_the_program_working() {
        let lib = build_library("embedder_preload_trap", TRAPPING_LIB_C);
        let (dir, name) = dir_and_name(&lib);
        let Preloaded {
            results,
            status,
            out,
            store,
            failures,
        } = run_with_preloads(&["libmissing.so", name], &[name], dir);
        let [missing, trapping] = &results[..] else {
            panic!("{results:?}");
        };
        let missing = missing.as_ref().unwrap_err();
        assert!(
            matches!(
                missing.downcast_ref::<wasi_dl::DlError>(),
                Some(wasi_dl::DlError::NotFound { .. })
            ),
            "{missing:#}"
        );
        let trapping = format!("{:#}", trapping.as_ref().unwrap_err());
        assert!(trapping.contains(name) && trapping.contains("constructor"), "{trapping}");
        // The hook saw both, as for a guest's failed dlopen (the program's own dlsym miss
        // comes after them).
        assert_eq!(failures[0], missing.to_string(), "{failures:?}");
        assert!(trapping.starts_with(&failures[1]), "{failures:?}");
        assert_eq!(status, Ok(0), "{out}");
        assert!(out.starts_with("default NULL "), "{out}");
        assert!(out.ends_with("noload NULL\n"), "{out}");
        assert_eq!(store.data().dl.loaded_libraries(), 0);
    }
}

/// A preload without RTLD_LAZY or RTLD_NOW, or into an instance other than the program the
/// context serves, is refused, and the program's libraries stay as they are.
#[test]
fn preload_into_another_instance_is_refused() {
    use wasi_dl::OpenFlags;
    let engine = crate::common::engine();
    let program = compile(engine, &opener());
    let lib = work_lib();
    let (dir, name) = dir_and_name(&lib);
    let linker = linker(engine);
    let (mut store, _) = store(engine, &[], ctx_in(dir).build());
    let first = wasi_dl::instantiate(&linker, &mut store, &program, get_cx).unwrap();
    let second = wasi_dl::instantiate(&linker, &mut store, &program, get_cx).unwrap();
    // As for dlopen, a mode must ask for RTLD_LAZY or RTLD_NOW.
    let err =
        wasi_dl::preload(&linker, &mut store, &first, get_cx, name, OpenFlags::GLOBAL).unwrap_err();
    assert!(
        matches!(
            err.downcast_ref::<wasi_dl::DlError>(),
            Some(wasi_dl::DlError::InvalidMode { .. })
        ),
        "{err:#}"
    );
    let flags = OpenFlags::NOW;
    let handle = wasi_dl::preload(&linker, &mut store, &first, get_cx, name, flags).unwrap();
    let err = wasi_dl::preload(&linker, &mut store, &second, get_cx, name, flags).unwrap_err();
    assert!(format!("{err}").contains("not the program"), "{err}");
    let [info] = &store.data().dl.libraries()[..] else {
        panic!("{:?}", store.data().dl.libraries());
    };
    assert_eq!((info.handle, info.references), (handle, 1));
}

/// Misses a symbol, has the host preload its library (`embedder_test.preload`), asks again.
const PRELOAD_DURING_RUN_C: &str = r#"
#include <dlfcn.h>
#include <stdio.h>
__attribute__((import_module("embedder_test"), import_name("preload"))) int host_preload(void);
int main(void) {
    printf("before %s\n", dlsym(RTLD_DEFAULT, "preloaded_work") ? "found" : "NULL");
    printf("preload %d\n", host_preload());
    int (*work)(int) = (int (*)(int))dlsym(RTLD_DEFAULT, "preloaded_work");
    printf("after %d\n", work ? work(1) : -1);
    return 0;
}
"#;

/// A host function may preload while the program runs, with its `Caller` as the store.
#[test]
fn host_function_preloads_while_the_program_runs() {
    use std::sync::Mutex;
    use wasi_dl::OpenFlags;
    let engine = crate::common::engine();
    let program = compile(
        engine,
        &build_program("embedder_preload_during", PRELOAD_DURING_RUN_C),
    );
    let lib = build_library("embedder_preloaded_lib", PRELOADED_LIB_C);
    let (dir, name) = dir_and_name(&lib);
    let name = name.to_string();
    let mut linker = linker(engine);
    let program_instance: Arc<Mutex<Option<wasmtime::Instance>>> = Arc::default();
    let (dl_linker, stashed) = (linker.clone(), program_instance.clone());
    linker
        .func_wrap(
            "embedder_test",
            "preload",
            move |mut caller: wasmtime::Caller<'_, St>| -> i32 {
                let Some(instance) = *stashed.lock().unwrap() else {
                    return -1;
                };
                let flags = OpenFlags::NOW | OpenFlags::GLOBAL;
                match wasi_dl::preload(&dl_linker, &mut caller, &instance, get_cx, &name, flags) {
                    Ok(_) => 1,
                    Err(_) => 0,
                }
            },
        )
        .unwrap();
    let (mut store, stdout) = store(engine, &[], ctx_in(dir).build());
    let instance = wasi_dl::instantiate(&linker, &mut store, &program, get_cx).unwrap();
    *program_instance.lock().unwrap() = Some(instance);
    let status = start(&mut store, instance);
    let out = String::from_utf8_lossy(&stdout.contents()).into_owned();
    assert_eq!(status, Ok(0), "{out}");
    assert_eq!(out, "before NULL\npreload 1\nafter 42\n");
}
