//! The host's preloads (`wasi_dl::preload`, `preload_async`) where guest code they run stops
//! the program or moves what `dlsym` may answer: an exit or an interruption in a constructor
//! comes back as itself in both modes, an async preload runs inside an async host function,
//! and a preload moves the loader generation, so no `dlsym` answer the program remembered
//! during it outlives it.

use std::sync::{Arc, Mutex};

use wasi_dl::OpenFlags;
use wasmtime::{Instance, Store, Trap};
use wasmtime_wasi::I32Exit;

use crate::both_modes;
use crate::common::Mode;
use crate::common::{block_on, build_library, build_program, mode, side_module, temp_dir, Dylink};
use crate::embedder::{
    compile, ctx_in, dir_and_name, get_cx, linker_in, opener, start, start_async, store, St,
};

/// Instantiates the opener program in this thread's mode (no `_start`) and preloads `name`
/// from `dir` into it, after setting the store's epoch deadline to `deadline` ticks.
fn preload_one(
    dir: &std::path::Path,
    name: &str,
    deadline: u64,
) -> (wasmtime::Result<u32>, Store<St>) {
    let engine = crate::common::engine();
    let program = compile(engine, &opener());
    let linker = linker_in(engine, mode());
    let (mut store, _) = store(engine, &[], ctx_in(dir).build());
    let flags = OpenFlags::NOW | OpenFlags::GLOBAL;
    let result = match mode() {
        Mode::Sync => {
            let instance = wasi_dl::instantiate(&linker, &mut store, &program, get_cx).unwrap();
            store.set_epoch_deadline(deadline);
            wasi_dl::preload(&linker, &mut store, &instance, get_cx, name, flags)
        }
        Mode::Async => block_on(async {
            let instance = wasi_dl::instantiate_async(&linker, &mut store, &program, get_cx)
                .await
                .unwrap();
            store.set_epoch_deadline(deadline);
            wasi_dl::preload_async(&linker, &mut store, &instance, get_cx, name, flags).await
        }),
    };
    (result, store)
}

/// A library whose constructor calls `exit(3)`.
const EXITING_LIB_C: &str = r#"
#include <stdlib.h>
int exiting_work(int x) { return x; }
__attribute__((constructor)) static void init(void) { exit(3); }
"#;

both_modes! {
    /// A constructor that exits: the preload returns the program's exit (`I32Exit(3)`, as
    /// the embedder's `call` of `_start` would), not a failed load.
    fn a_preload_whose_constructor_exits_returns_the_exit() {
        let lib = build_library("preload_exiting", EXITING_LIB_C);
        let (dir, name) = dir_and_name(&lib);
        let (result, _store) = preload_one(dir, name, crate::common::HANG_GUARD_TICKS);
        let err = result.unwrap_err();
        assert_eq!(
            err.downcast_ref::<I32Exit>().map(|e| e.0),
            Some(3),
            "{err:#}"
        );
    }
}

both_modes! {
    /// A constructor that never returns, stopped by the epoch deadline: the preload returns
    /// the interruption itself (`Trap::Interrupt`).
    fn a_preload_whose_constructor_is_interrupted_returns_the_interrupt() {
        let tmp = temp_dir();
        let lib = side_module(
            &Dylink::new(),
            "(module (func (export \"__wasm_call_ctors\") (loop (br 0))))",
        );
        std::fs::write(tmp.path().join("libspin.so"), lib).unwrap();
        let (result, _store) = preload_one(tmp.path(), "libspin.so", 2);
        let err = result.unwrap_err();
        assert_eq!(
            err.downcast_ref::<Trap>(),
            Some(&Trap::Interrupt),
            "{err:#}"
        );
    }
}

/// The program of [`an_async_host_function_preloads_with_preload_async`]: misses a symbol,
/// has the host preload its library (`embedder_test.preload`), asks again.
const PRELOAD_DURING_RUN_C: &str = r#"
#include <dlfcn.h>
#include <stdio.h>
__attribute__((import_module("embedder_test"), import_name("preload"))) int host_preload(void);
int main(void) {
    printf("before %s\n", dlsym(RTLD_DEFAULT, "async_work") ? "found" : "NULL");
    printf("preload %d\n", host_preload());
    int (*work)(int) = (int (*)(int))dlsym(RTLD_DEFAULT, "async_work");
    printf("after %d\n", work ? work(1) : -1);
    return 0;
}
"#;

/// Its constructor sets what `async_work` adds: the preload ran it with `call_async`.
const ASYNC_LIB_C: &str = r#"
static int base;
__attribute__((constructor)) static void init(void) { base = 41; }
int async_work(int x) { return x + base; }
"#;

/// An async host function (`func_wrap_async`) of an async store preloads with
/// `preload_async`, its `Caller` as the store, while the program runs.
#[test]
fn an_async_host_function_preloads_with_preload_async() {
    let engine = crate::common::engine();
    let program = compile(
        engine,
        &build_program("preload_async_during", PRELOAD_DURING_RUN_C),
    );
    let lib = build_library("preload_async_lib", ASYNC_LIB_C);
    let (dir, name) = dir_and_name(&lib);
    let name = name.to_string();
    let mut linker = linker_in(engine, Mode::Async);
    let stashed: Arc<Mutex<Option<Instance>>> = Arc::default();
    let (dl_linker, program_instance) = (linker.clone(), stashed.clone());
    linker
        .func_wrap_async(
            "embedder_test",
            "preload",
            move |mut caller: wasmtime::Caller<'_, St>, (): ()| {
                let (linker, name) = (dl_linker.clone(), name.clone());
                let instance = *program_instance.lock().unwrap();
                Box::new(async move {
                    let Some(instance) = instance else {
                        return -1;
                    };
                    let flags = OpenFlags::NOW | OpenFlags::GLOBAL;
                    let preloaded = wasi_dl::preload_async(
                        &linker,
                        &mut caller,
                        &instance,
                        get_cx,
                        &name,
                        flags,
                    )
                    .await;
                    i32::from(preloaded.is_ok())
                })
            },
        )
        .unwrap();
    let (mut store, stdout) = store(engine, &[], ctx_in(dir).build());
    let status = block_on(async {
        let instance = wasi_dl::instantiate_async(&linker, &mut store, &program, get_cx)
            .await
            .unwrap();
        *stashed.lock().unwrap() = Some(instance);
        start_async(&mut store, instance).await
    });
    let out = String::from_utf8_lossy(&stdout.contents()).into_owned();
    assert_eq!(status, Ok(0), "{out}");
    assert_eq!(out, "before NULL\npreload 1\nafter 42\n");
}

/// Has the host preload a library whose constructor looks up its own `gen_value` (the
/// program's memo remembers the answer, keyed by the library's `__dso_handle`) and then
/// traps; asks again with the same key once the failed preload rolled the library back.
const MEMO_PROGRAM_C: &str = r#"
#include <dlfcn.h>
#include <stdio.h>
__attribute__((import_module("embedder_test"), import_name("preload"))) int host_preload(void);
void *seen_dso;
int main(void) {
    printf("preload %d\n", host_preload());
    void *again = seen_dso ? __wasi_dl_sym_from(RTLD_DEFAULT, "gen_value", seen_dso) : 0;
    printf("seen %s, after %s\n", seen_dso ? "yes" : "no", again ? "found" : "NULL");
    return 0;
}
"#;

const MEMO_LIB_C: &str = r#"
#include <dlfcn.h>
extern void *seen_dso;
int gen_value = 7;
__attribute__((constructor)) static void init(void) {
    if (dlsym(RTLD_DEFAULT, "gen_value")) seen_dso = __dso_handle;
    __builtin_trap();
}
"#;

/// A `dlsym` answer the program's memo took while a preload ran (from the library's
/// constructor) must not answer once the preload is over: the library was rolled back, and
/// the preload moved the loader generation the memo is keyed by.
#[test]
fn a_memo_entry_made_during_a_preload_does_not_outlive_it() {
    let engine = crate::common::engine();
    let program = compile(engine, &build_program("preload_memo", MEMO_PROGRAM_C));
    let lib = build_library("preload_memo_lib", MEMO_LIB_C);
    let (dir, name) = dir_and_name(&lib);
    let name = name.to_string();
    let mut linker = linker_in(engine, Mode::Sync);
    let stashed: Arc<Mutex<Option<Instance>>> = Arc::default();
    let (dl_linker, program_instance) = (linker.clone(), stashed.clone());
    linker
        .func_wrap(
            "embedder_test",
            "preload",
            move |mut caller: wasmtime::Caller<'_, St>| -> i32 {
                let Some(instance) = *program_instance.lock().unwrap() else {
                    return -1;
                };
                let flags = OpenFlags::NOW | OpenFlags::GLOBAL;
                let preloaded =
                    wasi_dl::preload(&dl_linker, &mut caller, &instance, get_cx, &name, flags);
                i32::from(preloaded.is_ok())
            },
        )
        .unwrap();
    let (mut store, stdout) = store(engine, &[], ctx_in(dir).build());
    let instance = wasi_dl::instantiate(&linker, &mut store, &program, get_cx).unwrap();
    *stashed.lock().unwrap() = Some(instance);
    let status = start(&mut store, instance);
    let out = String::from_utf8_lossy(&stdout.contents()).into_owned();
    assert_eq!(status, Ok(0), "{out}");
    assert_eq!(out, "preload 0\nseen yes, after NULL\n");
    assert_eq!(store.data().dl.loaded_libraries(), 0);
}
