//! A library's `GOT.func` entries for its own functions, bound when it is compiled
//! (`module::selfbind`), behave exactly as entries bound at load: the first definition in the
//! lookup order still wins (the program, an earlier `RTLD_GLOBAL` library), function pointers
//! are equal across modules, `dladdr` names them, and a library reopened from its parked
//! instance follows an interposer that appeared or went away in between.

use std::sync::{Arc, Mutex};

use wasi_dl::DlEvent;

use crate::both_modes;
use crate::common::*;

/// Takes its own `sb_f`'s address: `GOT.func.sb_f`, for a function it defines.
const LIB_A: &str = r#"
int sb_f(void) { return 1; }
int (*sb_addr_f(void))(void) { return sb_f; }
"#;

/// Another definition of `sb_f`.
const LIB_I: &str = "int sb_f(void) { return 2; }\n";

/// Takes the address of `sb_f`, defined elsewhere.
const LIB_B: &str = r#"
extern int sb_f(void);
int (*sb_b_addr_f(void))(void) { return sb_f; }
"#;

const PROLOGUE: &str = r#"
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
typedef int (*fn)(void);
typedef fn (*getter)(void);
static void *must(void *p, const char *what) {
    if (!p) { printf("FAIL %s: %s\n", what, dlerror()); exit(1); }
    return p;
}
static fn address_in(void *lib, const char *getter_name) {
    return ((getter)must(dlsym(lib, getter_name), getter_name))();
}
"#;

const MAIN_LIBRARIES: &str = r#"
int main(void) {
    void *a = must(dlopen("/work/libsb_a.so", RTLD_NOW | RTLD_GLOBAL), "a");
    fn own = address_in(a, "sb_addr_f");
    printf("alone %d same %d\n", own(), own == (fn)dlsym(a, "sb_f"));
    void *b = must(dlopen("/work/libsb_b.so", RTLD_NOW), "b");
    printf("b sees same %d\n", address_in(b, "sb_b_addr_f") == own);
    Dl_info info;
    printf("dladdr %d %s\n", dladdr((void *)own, &info) != 0, info.dli_sname);
    dlclose(b);
    dlclose(a);
    /* An interposer appears; A comes back (from its parked instance). */
    void *i = must(dlopen("/work/libsb_i.so", RTLD_NOW | RTLD_GLOBAL), "i");
    a = must(dlopen("/work/libsb_a.so", RTLD_NOW), "a2");
    fn now = address_in(a, "sb_addr_f");
    printf("interposed %d same %d\n", now(), now == (fn)dlsym(i, "sb_f"));
    dlclose(a);
    dlclose(i);
    /* It went away: A's own definition again. */
    a = must(dlopen("/work/libsb_a.so", RTLD_NOW), "a3");
    fn back = address_in(a, "sb_addr_f");
    printf("back %d same %d\n", back(), back == (fn)dlsym(a, "sb_f"));
    return 0;
}
"#;

const MAIN_INTERPOSES: &str = r#"
int sb_f(void) { return 3; }
int main(void) {
    void *a = must(dlopen("/work/libsb_a.so", RTLD_NOW), "a");
    fn seen = address_in(a, "sb_addr_f");
    printf("program %d same %d\n", seen(), seen == sb_f);
    return 0;
}
"#;

/// Runs `main` with the three libraries in `/work`; returns its output and, for each load of
/// `libsb_a.so`, the size of its table part and how many single slots it was given.
fn run_with_libraries(name: &str, main: &str) -> (String, Vec<(u32, usize)>) {
    let program = build_program(name, &format!("{PROLOGUE}{main}"));
    let dir = temp_dir();
    for (lib, source) in [("libsb_a", LIB_A), ("libsb_i", LIB_I), ("libsb_b", LIB_B)] {
        let built = build_library(lib, source);
        std::fs::copy(&built, dir.path().join(format!("{lib}.so"))).unwrap();
    }
    let loads = Arc::new(Mutex::new(Vec::new()));
    let seen = loads.clone();
    let out = run(Run::new(&program).dir(dir.path(), "/work").dl(move |b| {
        b.on_event(move |event| {
            if let DlEvent::Loaded(info) = event {
                if info.name.ends_with("libsb_a.so") {
                    let table = info.table.end - info.table.start;
                    seen.lock()
                        .unwrap()
                        .push((table, info.function_slots.len()));
                }
            }
        })
    }))
    .success();
    let loads = loads.lock().unwrap().clone();
    (out.stdout, loads)
}

both_modes! {
    /// Alone, interposed by an earlier global library, and after it went away.
    fn own_got_func_entries_bound_at_compile_time_still_interpose() {
        let (out, loads) = run_with_libraries("selfbind_libraries", MAIN_LIBRARIES);
        assert_eq!(
            out,
            "alone 1 same 1\nb sees same 1\ndladdr 1 sb_f\ninterposed 2 same 1\nback 1 same 1\n"
        );
        // `sb_f` sits in the library's own table part (the segment added at compile time),
        // not in a slot given at load. (The revived instances keep the slot `dlsym` gave
        // `sb_addr_f`.)
        assert_eq!(loads, [(1, 0), (1, 1), (1, 1)]);
    }
}

both_modes! {
    /// The program's own definition comes first.
    fn the_program_interposes_an_entry_bound_at_compile_time() {
        let (out, loads) = run_with_libraries("selfbind_program", MAIN_INTERPOSES);
        assert_eq!(out, "program 3 same 1\n");
        assert_eq!(loads, [(1, 0)]);
    }
}

/// Linked against `LIB_A` (`-lNAME`, NAME per mode): takes `sb_f`'s address itself.
const MAIN_LINKED: &str = r#"
#include <dlfcn.h>
#include <stdio.h>
typedef int (*fn)(void);
int sb_f(void);
fn sb_addr_f(void);
int main(int argc, char **argv) {
    fn mine = sb_f;
    void *a = dlopen(argv[1], RTLD_NOW | RTLD_NOLOAD);
    printf("linked %d lib same %d dlsym same %d\n", mine(), mine == sb_addr_f(),
           a && mine == (fn)dlsym(a, "sb_f"));
    return 0;
}
"#;

both_modes! {
    /// A program linked against the library has its own slot for `sb_f`: that slot stays the
    /// function's one address, also inside the library.
    fn a_program_linked_against_the_library_keeps_one_address() {
        // One library name per mode: the toolchain keys its start-up files by the names a
        // program needs, and the two modes link at the same time.
        let name = format!("sb_linked_{:?}", mode()).to_lowercase();
        let dir = temp_dir();
        let file = format!("lib{name}.so");
        std::fs::copy(build_library("libsb_a", LIB_A), dir.path().join(&file)).unwrap();
        let src = dir.path().join("main.c");
        std::fs::write(&src, MAIN_LINKED).unwrap();
        let program = dir.path().join("main.wasm");
        let build = wasi_dl_toolchain::Build::new().expect("the wasm C toolchain");
        let mut flag = std::ffi::OsString::from("-L");
        flag.push(dir.path());
        build
            .main_program(
                &[&src],
                &program,
                &wasi_dl_toolchain::MainOptions {
                    extra_args: vec![flag, format!("-l{name}").into()],
                    ..Default::default()
                },
            )
            .unwrap_or_else(|e| panic!("linking against {file}: {e:#}"));
        let out = run(Run::new(&program)
            .args([file.as_str()])
            .dir(dir.path(), "/lib")
            .dl(|b| b.search_path("/lib")))
        .success();
        assert_eq!(out.stdout, "linked 1 lib same 1 dlsym same 1\n");
    }
}
