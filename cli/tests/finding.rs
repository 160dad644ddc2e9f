//! How `wasi-dl run` finds libraries, as a newcomer meets it: relative grants mean for
//! `dlopen` what they mean for `fopen`, a search with nothing to search says so and names the
//! flag, and `WASI_DL_DEBUG=1` explains every step on its own prefix.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::{ok, scratch, text, wasi_dl};

const PLUGIN: &str = "int plugin_value(void) { return 42; }\n";

/// Opens argv[1] with fopen, then dlopens argv[2], and says what each gave.
const MAIN: &str = r#"
#include <dlfcn.h>
#include <stdio.h>
int main(int argc, char **argv) {
    if (argc < 3) return 2;
    FILE *f = fopen(argv[1], "rb");
    printf("fopen %s: %s\n", argv[1], f ? "ok" : "NULL");
    if (f) fclose(f);
    void *h = dlopen(argv[2], RTLD_NOW);
    if (!h) { printf("dlopen %s: %s\n", argv[2], dlerror()); return 3; }
    int (*value)(void) = (int (*)(void))dlsym(h, "plugin_value");
    printf("dlopen %s: %d\n", argv[2], value ? value() : -1);
    return 0;
}
"#;

/// `plugins/libx.so` and `main.wasm` in a fresh directory.
fn build(name: &str) -> PathBuf {
    let dir = scratch(&format!("finding/{name}"));
    std::fs::create_dir_all(dir.join("plugins")).unwrap();
    std::fs::write(dir.join("plugins/x.c"), PLUGIN).unwrap();
    std::fs::write(dir.join("main.c"), MAIN).unwrap();
    ok(wasi_dl()
        .current_dir(&dir)
        .args([
            "cc",
            "-fPIC",
            "-shared",
            "plugins/x.c",
            "-o",
            "plugins/libx.so",
        ])
        .output()
        .unwrap());
    ok(wasi_dl()
        .current_dir(&dir)
        .args(["cc", "main.c", "-o", "main.wasm"])
        .output()
        .unwrap());
    dir
}

fn run(dir: &Path, flags: &[&str], args: &[&str]) -> Output {
    wasi_dl()
        .current_dir(dir)
        .arg("run")
        .args(flags)
        .arg("main.wasm")
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn relative_grants_serve_dlopen_as_they_serve_fopen() {
    let dir = build("relative");
    // wasmtime preopens `--dir plugins` as "plugins": both spellings reach it.
    for path in ["plugins/libx.so", "/plugins/libx.so", "./plugins/libx.so"] {
        let out = ok(run(&dir, &["--dir", "plugins"], &[path, path]));
        assert_eq!(out, format!("fopen {path}: ok\ndlopen {path}: 42\n"));
    }
    // `--lib-path plugins` grants it for loading only, and searches it for bare names.
    let out = ok(run(
        &dir,
        &["--lib-path", "plugins"],
        &["plugins/libx.so", "libx.so"],
    ));
    assert_eq!(out, "fopen plugins/libx.so: NULL\ndlopen libx.so: 42\n");
    let out = ok(run(
        &dir,
        &["--lib-path", "./plugins"],
        &["-", "plugins/libx.so"],
    ));
    assert_eq!(out, "fopen -: NULL\ndlopen plugins/libx.so: 42\n");
}

#[test]
fn a_search_with_nothing_to_search_says_so_and_names_the_flag() {
    let dir = build("nothing");
    let out = run(&dir, &[], &["-", "libx.so"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "fopen -: NULL\ndlopen libx.so: libx.so: cannot open shared object file: No such file \
         or directory (no directory was searched: the library search path is empty; `wasi-dl \
         run --lib-path DIR` grants and searches DIR)\n"
    );
    // With a search path that does not hold it, glibc's words alone.
    let out = run(&dir, &["--lib-path", "."], &["-", "libx.so"]);
    assert_eq!(
        text(&out.stdout),
        "fopen -: NULL\ndlopen libx.so: libx.so: cannot open shared object file: No such file \
         or directory\n"
    );
}

#[test]
fn debug_traces_every_search_step_with_its_reason_on_its_own_prefix() {
    let dir = build("debug");
    let out = wasi_dl()
        .current_dir(&dir)
        .env("WASI_DL_DEBUG", "1")
        .args([
            "run",
            "--dir",
            "plugins",
            "--lib-path",
            ".::/lib",
            "--env",
            "LD_LIBRARY_PATH=/outside:/lib:plugins",
            "main.wasm",
            "-",
            "libx.so",
        ])
        .output()
        .unwrap();
    assert_eq!(ok(&out), "fopen -: NULL\ndlopen libx.so: 42\n");
    let stderr = text(&out.stderr);
    let searches: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains(" search libx.so:"))
        .collect();
    assert_eq!(
        searches,
        [
            "wasi-dl: debug: search libx.so: trying /outside/libx.so (LD_LIBRARY_PATH): \
             refused: outside the granted directories (plugins, /lib)",
            "wasi-dl: debug: search libx.so: trying /lib/libx.so (LD_LIBRARY_PATH): no such file",
            "wasi-dl: debug: search libx.so: trying plugins/libx.so (LD_LIBRARY_PATH): found",
        ],
        "{stderr}"
    );

    // A failed dlopen is traced as such, never with the runner's `error:` prefix.
    let out = wasi_dl()
        .current_dir(&dir)
        .env("WASI_DL_DEBUG", "1")
        .args(["run", "main.wasm", "-", "libx.so"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains(
            "wasi-dl: debug: search libx.so: no directory to search (LD_LIBRARY_PATH, \
             RUNTIME_PATH and the search path are empty)\n"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains("wasi-dl: debug: failed: libx.so: "),
        "{stderr}"
    );
    assert!(!stderr.contains("wasi-dl: error:"), "{stderr}");
    for line in stderr.lines() {
        assert!(
            line.starts_with("wasi-dl: debug: "),
            "{line:?} in\n{stderr}"
        );
    }
}
