//! Programs linked against side modules (`-L dir -lx`): the library the program was linked
//! against is missing at run time, lost a function, or a function the program imports turns
//! up in a library opened later, whose load fails first.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use wasi_dl_toolchain::{Build, MainOptions};

use crate::both_modes;
use crate::common::*;

/// The library the program links against: `libx.so` with `x_one` and `x_two`.
const LIB_X: &str = r#"
int x_one(void) { return 1; }
int x_two(void) { return 2; }
"#;

/// The same name at run time, without `x_two`.
const LIB_X_WITHOUT_TWO: &str = r#"
int x_one(void) { return 11; }
"#;

/// Defines `x_two`, but its constructor traps.
const LIB_TWO_BAD: &str = r#"
int x_two(void) { return -2; }
__attribute__((constructor)) static void init(void) { __builtin_trap(); }
"#;

/// Defines `x_two`.
const LIB_TWO_GOOD: &str = r#"
int x_two(void) { return 22; }
"#;

const PROGRAM: &str = r#"
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

int x_one(void);
int x_two(void);

__attribute__((constructor)) static void init(void) { printf("program constructor\n"); }

int main(int argc, char **argv) {
    printf("x_one() = %d\n", x_one());
    fflush(stdout);
    if (argc > 1 && strcmp(argv[1], "late") == 0) {
        void *bad = dlopen("libtwobad.so", RTLD_NOW | RTLD_GLOBAL);
        printf("libtwobad.so: %s\n", bad ? "loaded" : "failed");
        void *good = dlopen("libtwogood.so", RTLD_NOW | RTLD_GLOBAL);
        printf("libtwogood.so: %s\n", good ? "loaded" : "failed");
        fflush(stdout);
    }
    printf("x_two() = %d\n", x_two());
    return 0;
}
"#;

/// `PROGRAM` linked with `-L <dir> -lx`, where `<dir>/libx.so` is built from `LIB_X`
/// (once per test run: the tests share it).
fn linked_program() -> PathBuf {
    static PROGRAM_PATH: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    PROGRAM_PATH.get_or_init(link_program).clone()
}

fn link_program() -> PathBuf {
    let dir = work_dir().join("startup-link");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(build_library("startup_x", LIB_X), dir.join("libx.so")).unwrap();
    let src = dir.join("main.c");
    std::fs::write(&src, PROGRAM).unwrap();
    let out = dir.join("main.wasm");
    let build = Build::new().expect("the wasm C toolchain (run `make setup`)");
    let mut flag = OsString::from("-L");
    flag.push(&dir);
    build
        .main_program(
            &[&src],
            &out,
            &MainOptions {
                extra_args: vec![flag, "-lx".into()],
                ..Default::default()
            },
        )
        .unwrap_or_else(|e| panic!("linking against libx.so: {e:#}"));
    out
}

/// A run directory holding `libs` (name, source) as `/lib/<name>`.
fn run_with(program: &Path, libs: &[(&str, &str, &str)], args: &[&str]) -> Output {
    let tmp = temp_dir();
    for (file, name, source) in libs {
        std::fs::copy(build_library(name, source), tmp.path().join(file)).unwrap();
    }
    run(Run::new(program)
        .args(args.iter().copied())
        .dir(tmp.path(), "/lib")
        .dl(|b| b.search_path("/lib")))
}

both_modes! {
fn the_program_calls_the_library_it_was_linked_against() {
    let program = linked_program();
    let out = run_with(&program, &[("libx.so", "startup_x", LIB_X)], &[]);
    assert_eq!(
        (out.code, out.stdout.as_str()),
        (0, "program constructor\nx_one() = 1\nx_two() = 2\n"),
        "{out:?}"
    );
}
}

both_modes! {
fn a_missing_library_stops_the_program_before_it_starts() {
    let program = linked_program();
    let out = run_with(&program, &[], &[]);
    // glibc's status, 127, which wasmtime-wasi's own proc_exit refuses with a trap that says
    // so (it takes 0..125; `wasi-dl run` passes it through).
    let refused = out
        .trap
        .as_deref()
        .is_some_and(|t| t.contains("exit status"));
    assert!(out.code == 127 || refused, "{out:?}");
    assert_eq!(out.stdout, "", "neither constructors nor main ran");
    assert!(
        out.stderr.contains(
            "error while loading shared libraries: libx.so: cannot open shared object file"
        ),
        "{}",
        out.stderr
    );
}
}

both_modes! {
fn a_function_the_library_lost_fails_when_called_and_not_before() {
    let program = linked_program();
    let out = run_with(
        &program,
        &[("libx.so", "startup_x_without_two", LIB_X_WITHOUT_TWO)],
        &[],
    );
    assert_eq!(out.stdout, "program constructor\nx_one() = 11\n", "{out:?}");
    assert_eq!(out.code, 134, "{out:?}");
    let trap = out.trap.unwrap_or_default();
    assert!(
        trap.contains("symbol lookup error: undefined symbol: x_two"),
        "{trap}"
    );
}
}

both_modes! {
fn a_failed_global_load_gives_the_import_back() {
    // x_two is missing from libx.so; the first RTLD_GLOBAL library defining it fails in its
    // constructor (rolled back: the program's stub must not keep pointing into it), the
    // second one binds it.
    let program = linked_program();
    let out = run_with(
        &program,
        &[
            ("libx.so", "startup_x_without_two", LIB_X_WITHOUT_TWO),
            ("libtwobad.so", "startup_two_bad", LIB_TWO_BAD),
            ("libtwogood.so", "startup_two_good", LIB_TWO_GOOD),
        ],
        &["late"],
    );
    assert_eq!(
        (out.code, out.stdout.as_str()),
        (
            0,
            "program constructor\nx_one() = 11\nlibtwobad.so: failed\nlibtwogood.so: loaded\n\
             x_two() = 22\n"
        ),
        "{out:?}"
    );
}
}
