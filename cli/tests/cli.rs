//! The `wasi-dl` command as a user runs it: `cc` builds, `run` passes the exit status through
//! and finds libraries through the granted directories, `inspect` reads the metadata.

mod common;

use std::path::Path;
use std::process::Command;

use common::{ok, scratch, wasi_dl, xdg_cache};

const LIB: &str = r#"
#include <stdio.h>
extern int program_base;
int scaled(int x) { return x * program_base; }
const char *label = "from libscale";
"#;

const MAIN: &str = r#"
#include <dlfcn.h>
#include <stdio.h>
int program_base = 7;
int main(int argc, char **argv) {
    void *h = dlopen(argc > 1 ? argv[1] : "libscale.so", RTLD_NOW);
    if (!h) { printf("dlopen: %s\n", dlerror()); return 3; }
    int (*scaled)(int) = (int (*)(int))dlsym(h, "scaled");
    const char **label = (const char **)dlsym(h, "label");
    printf("%s: %d\n", *label, scaled(6));
    dlclose(h);
    return 42;
}
"#;

fn build(dir: &Path) {
    std::fs::write(dir.join("libscale.c"), LIB).unwrap();
    std::fs::write(dir.join("main.c"), MAIN).unwrap();
    ok(wasi_dl()
        .current_dir(dir)
        .args([
            "cc",
            "-O2",
            "-fPIC",
            "-shared",
            "libscale.c",
            "-o",
            "libscale.so",
        ])
        .output()
        .unwrap());
    ok(wasi_dl()
        .current_dir(dir)
        .args(["cc", "-O2", "main.c", "-o", "main.wasm", "-ldl"])
        .output()
        .unwrap());
}

#[test]
fn run_passes_the_exit_status_and_searches_granted_directories() {
    let dir = scratch("run");
    build(&dir);
    let out = wasi_dl()
        .current_dir(&dir)
        .args(["run", "--lib-path", ".::/lib", "main.wasm"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(42),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), "from libscale: 42\n");

    // Without a grant the library is not reachable: NULL and the loader's message.
    let out = wasi_dl()
        .current_dir(&dir)
        .args(["run", "main.wasm"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "dlopen: libscale.so: cannot open shared object file: No such file or directory (no directory was searched: the library search path is empty; `wasi-dl run --lib-path DIR` grants and searches DIR)\n"
    );

    // LD_LIBRARY_PATH given to the program is honoured, within the preopened directory.
    let out = wasi_dl()
        .current_dir(&dir)
        .args([
            "run",
            "--dir",
            ".",
            "--env",
            "LD_LIBRARY_PATH=.",
            "main.wasm",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(42));

    // A path escaping the preopen is refused.
    let out = wasi_dl()
        .current_dir(&dir)
        .args(["run", "--dir", ".", "main.wasm", "../run/libscale.so"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("Permission denied"),
        "{:?}",
        out
    );
}

#[test]
fn run_passes_any_exit_status_as_a_shell_sees_it() {
    let dir = scratch("status");
    std::fs::write(
        dir.join("status.c"),
        "#include <stdlib.h>\nint main(int argc, char **argv) { exit(atoi(argv[1])); }\n",
    )
    .unwrap();
    ok(wasi_dl()
        .current_dir(&dir)
        .args(["cc", "status.c", "-o", "status.wasm"])
        .output()
        .unwrap());
    // wasmtime-wasi alone traps outside 0..126; natively the status is taken modulo 256.
    for (asked, seen) in [
        ("0", 0),
        ("125", 125),
        ("127", 127),
        ("255", 255),
        ("300", 44),
        ("-1", 255),
    ] {
        let out = wasi_dl()
            .current_dir(&dir)
            .args(["run", "status.wasm", asked])
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(seen),
            "exit({asked}): {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            out.stderr.is_empty(),
            "exit({asked}) printed {:?}",
            out.stderr
        );
    }
}

#[test]
fn inspect_shows_metadata_and_what_stays_unresolved() {
    let dir = scratch("inspect");
    build(&dir);
    let text = ok(wasi_dl()
        .current_dir(&dir)
        .args(["inspect", "libscale.so"])
        .output()
        .unwrap());
    assert!(text.contains("  T scaled\n"), "{text}");
    assert!(text.contains("  D label\n"), "{text}");
    assert!(text.contains("  U data program_base\n"), "{text}");
    let text = ok(wasi_dl()
        .current_dir(&dir)
        .args(["inspect", "libscale.so", "--against", "main.wasm"])
        .output()
        .unwrap());
    assert!(text.contains("every strong import resolves"), "{text}");

    std::fs::write(
        dir.join("bare.c"),
        "int unrelated(void) { return 1; }\nint main(void) { return 0; }\n",
    )
    .unwrap();
    ok(wasi_dl()
        .current_dir(&dir)
        .args(["cc", "bare.c", "-o", "bare.wasm"])
        .output()
        .unwrap());
    let text = ok(wasi_dl()
        .current_dir(&dir)
        .args(["inspect", "libscale.so", "--against", "bare.wasm"])
        .output()
        .unwrap());
    assert!(
        text.contains("unresolved") && text.contains("  program_base\n"),
        "{text}"
    );

    let out = wasi_dl()
        .current_dir(&dir)
        .args(["inspect", "main.c"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("not a WebAssembly"),
        "{:?}",
        out
    );
}

#[test]
fn disk_cache_is_filled_and_reused() {
    let dir = scratch("cache");
    build(&dir);
    // The cache must lie outside every grant.
    std::fs::create_dir(dir.join("lib")).unwrap();
    std::fs::rename(dir.join("libscale.so"), dir.join("lib/libscale.so")).unwrap();
    for _ in 0..2 {
        let out = wasi_dl()
            .current_dir(&dir)
            .args([
                "run",
                "--cache-dir",
                "cache",
                "--lib-path",
                "lib",
                "main.wasm",
                "lib/libscale.so",
            ])
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(42),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let cached = std::fs::read_dir(dir.join("cache"))
        .unwrap()
        .filter(|e| e.as_ref().unwrap().path().extension() == Some("cwasm".as_ref()))
        .count();
    assert_eq!(cached, 2, "the program and the library, each compiled once");
    // Beside them, the index of the library file's content hash (so that the second run read
    // no more of it than its first bytes).
    assert!(dir.join("cache/identities.idx").is_file());
}

/// `make demo`'s program: plugins discovered at run time, their output as the README explains.
#[test]
fn the_demo_runs_its_plugins() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let text = ok(Command::new("bash")
        .env("XDG_CACHE_HOME", xdg_cache())
        .arg(root.join("examples/demo/run.sh"))
        .arg("Hello plugin world")
        .output()
        .unwrap());
    for line in [
        "textkit: 4 plugins in /demo/plugins\n",
        "rot13: rotate letters by 13 (from /demo/plugins/librot13.so)\n    => Uryyb cyhtva jbeyq\n",
        "    [sortwords] sorted 3 words\n    => Hello plugin world\n",
        "    [stats] loaded\nstats: count words, letters and vowels (from /demo/plugins/libstats.so)\n    => 3 words, 16 letters, 5 vowels (call 1)\n\n    [stats] unloaded\n",
        "upper: capital letters (from /demo/plugins/libupper.so)\n    => HELLO PLUGIN WORLD\n",
    ] {
        assert!(text.contains(line), "missing {line:?} in:\n{text}");
    }
}
