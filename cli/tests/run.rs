//! `wasi-dl run` as an operator and a newcomer use it: traps are never lost, limits and
//! interruptions, argv, the default compile cache, a native loader's statuses and messages.

mod common;

use std::io::Write;
use std::path::Path;
use std::process::Stdio;

use common::{cc, ok, run, scratch, text, wasi_dl};

/// A library destructor that traps while the program exits ends the run as the trap it is
/// (natively: killed by the signal), not with the program's exit status 0.
#[test]
fn a_destructor_trapping_at_exit_fails_the_run() {
    let dir = scratch("dtor-trap");
    cc(
        &dir,
        "libboom.c",
        "__attribute__((destructor)) static void boom(void) { __builtin_trap(); }\n\
         int answer(void) { return 42; }\n",
        &["-shared", "-fPIC", "-o", "libboom.so"],
    );
    cc(
        &dir,
        "main.c",
        "#include <dlfcn.h>\n#include <stdio.h>\n\
         int main(void) {\n\
           void *h = dlopen(\"./libboom.so\", RTLD_NOW);\n\
           if (!h) { printf(\"%s\\n\", dlerror()); return 3; }\n\
           printf(\"%d\\n\", ((int (*)(void))dlsym(h, \"answer\"))());\n\
           return 0;\n\
         }\n",
        &["-o", "main.wasm"],
    );
    let out = run(&dir, &["--dir", ".", "main.wasm"]);
    assert_eq!(text(&out.stdout), "42\n");
    assert_eq!(out.status.code(), Some(134), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("unreachable"),
        "the trap is printed: {stderr}"
    );
}

/// A program that traps once it has read a line from stdin (so that a test can arrange its
/// stderr first).
const TRAP_AFTER_INPUT: &str = "#include <stdio.h>\n\
    int main(void) { getchar(); __builtin_trap(); }\n";

/// Reporting a trap on a stderr whose reader is gone must not panic the host (`eprintln!`
/// would, status 101): the status stays the trap's.
#[test]
fn a_trap_reported_on_a_closed_stderr_is_still_a_trap() {
    let dir = scratch("closed-stderr");
    cc(&dir, "trap.c", TRAP_AFTER_INPUT, &["-o", "trap.wasm"]);
    let mut child = wasi_dl()
        .current_dir(&dir)
        .args(["run", "trap.wasm"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stderr.take());
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(b"go\n").unwrap();
    drop(stdin);
    assert_eq!(child.wait().unwrap().code(), Some(134));

    // stderr closed altogether (`2>&-`).
    let out = std::process::Command::new("sh")
        .current_dir(&dir)
        .arg("-c")
        .arg("echo go | \"$0\" run trap.wasm 2>&-")
        .arg(env!("CARGO_BIN_EXE_wasi-dl"))
        .env("XDG_CACHE_HOME", dir.join("xdg"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(134));
}

/// `WASI_DL_DEBUG=1` traces on stderr; a stderr whose reader is gone drops the trace lines
/// instead of panicking the host (`eprintln!` would, status 101) in the middle of a `dlopen`.
#[test]
fn debug_tracing_on_a_closed_stderr_never_panics() {
    let dir = scratch("closed-stderr-debug");
    cc(
        &dir,
        "libx.c",
        "int answer(void) { return 42; }\n",
        &["-shared", "-fPIC", "-o", "libx.so"],
    );
    cc(
        &dir,
        "main.c",
        "#include <dlfcn.h>\n#include <stdio.h>\n\
         int main(void) {\n\
           getchar();\n\
           void *h = dlopen(\"./libx.so\", RTLD_NOW);\n\
           if (!h) return 3;\n\
           printf(\"%d\\n\", ((int (*)(void))dlsym(h, \"answer\"))());\n\
           return 0;\n\
         }\n",
        &["-o", "main.wasm"],
    );
    let mut child = wasi_dl()
        .current_dir(&dir)
        .args(["run", "--dir", ".", "main.wasm"])
        .env("WASI_DL_DEBUG", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stderr.take());
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(b"go\n").unwrap();
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    assert_eq!(text(&out.stdout), "42\n");
    assert_eq!(out.status.code(), Some(0));
}

/// `RUST_BACKTRACE=1` is for bugs of the host: a guest trap prints the guest's backtrace only.
#[test]
fn a_trap_does_not_dump_the_hosts_backtrace() {
    let dir = scratch("rust-backtrace");
    cc(&dir, "trap.c", TRAP_AFTER_INPUT, &["-o", "trap.wasm"]);
    let out = wasi_dl()
        .current_dir(&dir)
        .env("RUST_BACKTRACE", "1")
        .args(["run", "trap.wasm"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(134));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("unreachable"), "{stderr}");
    assert!(
        !stderr.to_lowercase().contains("stack backtrace"),
        "the host's backtrace leaked: {stderr}"
    );
}

/// A program that dlopens each argument and says what happened.
const OPENER: &str = r#"
#include <dlfcn.h>
#include <stdio.h>
int main(int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        void *h = dlopen(argv[i], RTLD_NOW);
        printf("%s: %s\n", argv[i], h ? "loaded" : dlerror());
    }
    return 0;
}
"#;

fn build_opener(dir: &Path) {
    cc(dir, "opener.c", OPENER, &["-o", "opener.wasm"]);
    cc(
        dir,
        "liba.c",
        "int a(void) { return 1; }\n",
        &["-shared", "-fPIC", "-o", "liba.so"],
    );
    cc(
        dir,
        "libb.c",
        "int b(void) { return 2; }\n",
        &["-shared", "-fPIC", "-o", "libb.so"],
    );
    cc(
        dir,
        "libbig.c",
        "char big[1 << 20] = {1};\nchar *get(void) { return big; }\n",
        &["-shared", "-fPIC", "-o", "libbig.so"],
    );
}

#[test]
fn loader_limits_are_flags() {
    let dir = scratch("limit-flags");
    build_opener(&dir);
    let all = ["./liba.so", "./libb.so", "./libbig.so"];
    let out = run(&dir, &[&["--dir", ".", "opener.wasm"][..], &all].concat());
    assert_eq!(
        ok(out),
        "./liba.so: loaded\n./libb.so: loaded\n./libbig.so: loaded\n"
    );

    let out = ok(run(
        &dir,
        &[
            &["--max-libraries", "1", "--dir", ".", "opener.wasm"][..],
            &all[..2],
        ]
        .concat(),
    ));
    assert!(out.starts_with("./liba.so: loaded\n./libb.so: "), "{out}");
    assert!(out.contains("limit exceeded"), "{out}");

    let out = ok(run(
        &dir,
        &[
            "--max-module-size",
            "64",
            "--dir",
            ".",
            "opener.wasm",
            "./liba.so",
        ],
    ));
    assert!(
        out.contains("./liba.so: ") && !out.contains("loaded"),
        "{out}"
    );

    let out = ok(run(
        &dir,
        &[
            &["--max-data-memory", "64K", "--dir", ".", "opener.wasm"][..],
            &all,
        ]
        .concat(),
    ));
    assert!(
        out.contains("./liba.so: loaded\n./libb.so: loaded\n"),
        "{out}"
    );
    assert!(
        out.contains("./libbig.so: ") && out.contains("limit exceeded"),
        "{out}"
    );
}

const SPIN: &str = "int main(void) { volatile unsigned n = 0; for (;;) n++; }\n";

#[test]
fn fuel_ends_an_endless_program_with_a_trap() {
    let dir = scratch("fuel");
    cc(&dir, "spin.c", SPIN, &["-o", "spin.wasm"]);
    let out = run(&dir, &["--fuel", "1000000", "spin.wasm"]);
    assert_eq!(out.status.code(), Some(134), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("fuel"), "{}", text(&out.stderr));
}

#[test]
fn a_timeout_ends_an_endless_program_with_a_trap() {
    let dir = scratch("timeout");
    cc(&dir, "spin.c", SPIN, &["-o", "spin.wasm"]);
    let out = run(&dir, &["--timeout", "300ms", "spin.wasm"]);
    assert_eq!(out.status.code(), Some(134), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("interrupt"),
        "{}",
        text(&out.stderr)
    );
}

const ARGS: &str = r#"
#include <stdio.h>
#include <stdlib.h>
int main(int argc, char **argv) {
    for (int i = 1; i < argc; i++) printf("[%s]", argv[i]);
    const char *v = getenv("WASI_DL_PROBE");
    printf(" WASI_DL_PROBE=%s\n", v ? v : "(unset)");
    return 0;
}
"#;

/// Options end at the program name: what follows is the program's, flags included.
#[test]
fn everything_after_the_program_is_its_argv() {
    let dir = scratch("argv");
    cc(&dir, "args.c", ARGS, &["-o", "args.wasm"]);
    let out = ok(run(
        &dir,
        &[
            "args.wasm",
            "--help",
            "--dir",
            "x",
            "--env",
            "WASI_DL_PROBE=1",
            "-V",
        ],
    ));
    assert_eq!(
        out,
        "[--help][--dir][x][--env][WASI_DL_PROBE=1][-V] WASI_DL_PROBE=(unset)\n"
    );
}

/// `--env NAME` passes the host's value on, as in `wasmtime run`; unset, nothing.
#[test]
fn env_without_a_value_inherits_the_hosts() {
    let dir = scratch("env-inherit");
    cc(&dir, "args.c", ARGS, &["-o", "args.wasm"]);
    let out = ok(wasi_dl()
        .current_dir(&dir)
        .env("WASI_DL_PROBE", "from the host")
        .args(["run", "--env", "WASI_DL_PROBE", "args.wasm"])
        .output()
        .unwrap());
    assert_eq!(out, " WASI_DL_PROBE=from the host\n");
    let out = ok(wasi_dl()
        .current_dir(&dir)
        .env_remove("WASI_DL_PROBE")
        .args(["run", "--env", "WASI_DL_PROBE", "args.wasm"])
        .output()
        .unwrap());
    assert_eq!(out, " WASI_DL_PROBE=(unset)\n");
}

fn debug_run(dir: &Path, xdg: &Path, args: &[&str]) -> (String, String) {
    let out = wasi_dl()
        .current_dir(dir)
        .env("XDG_CACHE_HOME", xdg)
        .env("WASI_DL_DEBUG", "1")
        .arg("run")
        .args(args)
        .output()
        .unwrap();
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    (text(&out.stdout), stderr)
}

/// Compiled entries in a cache directory (beside them lives the index of library files'
/// content hashes, `identities.idx`).
fn entries(dir: &Path) -> usize {
    std::fs::read_dir(dir).map_or(0, |d| {
        d.filter(|e| {
            e.as_ref()
                .is_ok_and(|e| e.path().extension() == Some("cwasm".as_ref()))
        })
        .count()
    })
}

/// The opener built in `dir`, its library moved to `dir/lib`: the arguments of a run that
/// grants `lib` as `/lib` and loads `/lib/liba.so`.
fn opener_loading_from_lib_dir(dir: &Path) -> [&'static str; 4] {
    build_opener(dir);
    let lib_dir = dir.join("lib");
    std::fs::create_dir(&lib_dir).unwrap();
    std::fs::rename(dir.join("liba.so"), lib_dir.join("liba.so")).unwrap();
    ["--lib-path", "lib::/lib", "opener.wasm", "/lib/liba.so"]
}

/// Compiled code is cached by default under $XDG_CACHE_HOME/wasi-dl: the second run loads the
/// program and the library from disk.
#[test]
fn compiled_code_is_cached_by_default() {
    let dir = scratch("default-cache");
    let args = opener_loading_from_lib_dir(&dir);
    let xdg = dir.join("xdg");
    let (out, first) = debug_run(&dir, &xdg, &args);
    assert_eq!(out, "/lib/liba.so: loaded\n");
    assert!(!first.contains("disk hit"), "{first}");
    assert_eq!(
        entries(&xdg.join("wasi-dl")),
        2,
        "the program and the library"
    );
    assert!(xdg.join("wasi-dl/identities.idx").is_file());
    let (_, second) = debug_run(&dir, &xdg, &args);
    assert!(second.contains("cache (program): disk hit"), "{second}");
    assert!(second.contains("cache /lib/liba.so: disk hit"), "{second}");

    // --no-cache neither reads nor writes it.
    let (_, off) = debug_run(&dir, &xdg, &[&["--no-cache"][..], &args].concat());
    assert!(!off.contains("disk hit"), "{off}");
    let other = dir.join("xdg-other");
    debug_run(&dir, &other, &[&["--no-cache"][..], &args].concat());
    assert!(!other.join("wasi-dl").exists());

    // --cache-dir moves it; --cache-max-size caps it (the newest entry is kept).
    debug_run(
        &dir,
        &other,
        &[&["--cache-dir", "moved"][..], &args].concat(),
    );
    assert_eq!(entries(&dir.join("moved")), 2);
    assert!(!other.join("wasi-dl").exists());
    debug_run(
        &dir,
        &other,
        &[
            &["--cache-dir", "capped", "--cache-max-size", "1"][..],
            &args,
        ]
        .concat(),
    );
    assert_eq!(entries(&dir.join("capped")), 1);
}

/// A cached entry's checksum is verified over every byte by the first run that loads it once
/// its file has been left alone for two seconds; later runs of this boot read only its header,
/// metadata and trailer, until the file changes: a byte flipped in place is caught again.
#[test]
#[cfg(target_os = "linux")]
fn a_cached_entry_is_verified_in_full_once_until_it_changes() {
    use std::io::{Read, Seek, SeekFrom, Write};
    let dir = scratch("verified-cache");
    let args = opener_loading_from_lib_dir(&dir);
    let xdg = dir.join("xdg");
    let lib = "cache /lib/liba.so:";
    let (out, first) = debug_run(&dir, &xdg, &args);
    assert_eq!(out, "/lib/liba.so: loaded\n");
    assert!(first.contains(&format!("{lib} compile")), "{first}");
    std::thread::sleep(std::time::Duration::from_millis(2100));
    let (out, second) = debug_run(&dir, &xdg, &args);
    assert_eq!(out, "/lib/liba.so: loaded\n");
    assert!(
        second.contains(&format!("{lib} checksum verified in full")),
        "{second}"
    );
    for _ in 0..2 {
        let (out, later) = debug_run(&dir, &xdg, &args);
        assert_eq!(out, "/lib/liba.so: loaded\n");
        assert!(
            later.contains(&format!(
                "{lib} entry unchanged since its checksum was verified in full this boot"
            )),
            "{later}"
        );
    }
    // One byte of every entry flipped in place (same size, same inode).
    let cache = xdg.join("wasi-dl");
    for entry in std::fs::read_dir(&cache).unwrap() {
        let path = entry.unwrap().path();
        if path.extension() != Some("cwasm".as_ref()) {
            continue;
        }
        let mut file = std::fs::File::options()
            .read(true)
            .write(true)
            .open(&path)
            .unwrap();
        let middle = file.metadata().unwrap().len() / 2;
        let mut byte = [0u8];
        file.seek(SeekFrom::Start(middle)).unwrap();
        file.read_exact(&mut byte).unwrap();
        file.seek(SeekFrom::Start(middle)).unwrap();
        file.write_all(&[byte[0] ^ 0x20]).unwrap();
    }
    let (out, after) = debug_run(&dir, &xdg, &args);
    assert_eq!(out, "/lib/liba.so: loaded\n");
    assert!(
        after.contains(&format!(
            "{lib} disk entry refused (checksum mismatch), compiling"
        )),
        "{after}"
    );
}

/// A cache a granted directory covers would let the guest plant compiled code: the default
/// location is then skipped with one note, an explicit --cache-dir is an error.
#[test]
fn a_cache_inside_a_grant_is_never_used() {
    let dir = scratch("cache-in-grant");
    build_opener(&dir);
    let xdg = dir.join("xdg");
    let (out, stderr) = debug_run(&dir, &xdg, &["--dir", ".", "opener.wasm", "./liba.so"]);
    assert_eq!(out, "./liba.so: loaded\n");
    assert_eq!(
        stderr.matches("running without the compile cache").count(),
        1,
        "{stderr}"
    );
    assert_eq!(entries(&xdg.join("wasi-dl")), 0);

    let out = run(
        &dir,
        &["--cache-dir", "sub/cache", "--dir", ".", "opener.wasm"],
    );
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("--cache-dir sub/cache") && stderr.contains("granted"),
        "{stderr}"
    );
    assert!(out.stdout.is_empty(), "the program did not run");
}

/// A library the program was linked against, missing at start-up: glibc's message and status.
#[test]
fn a_missing_linked_library_is_reported_as_glibc_does() {
    let dir = scratch("needed-missing");
    cc(
        &dir,
        "libx.c",
        "int x(void) { return 7; }\n",
        &["-shared", "-fPIC", "-o", "libx.so"],
    );
    cc(
        &dir,
        "main.c",
        "#include <stdio.h>\nint x(void);\nint main(void) { printf(\"%d\\n\", x()); return 0; }\n",
        &["-o", "prog.wasm", "-L.", "-lx"],
    );
    assert_eq!(ok(run(&dir, &["--lib-path", ".", "prog.wasm"])), "7\n");
    std::fs::create_dir(dir.join("empty")).unwrap();
    let out = run(&dir, &["--lib-path", "empty", "prog.wasm"]);
    assert_eq!(out.status.code(), Some(127));
    assert_eq!(
        text(&out.stderr),
        "prog.wasm: error while loading shared libraries: libx.so: cannot open shared object \
         file: No such file or directory\n"
    );
}

/// A trap in a constructor of a library loaded at start-up is a trap like any other.
#[test]
fn a_trap_in_a_start_up_constructor_is_a_trap() {
    let dir = scratch("needed-ctor-trap");
    cc(
        &dir,
        "libctor.c",
        "__attribute__((constructor)) static void boom(void) { __builtin_trap(); }
         int x(void) { return 7; }
",
        &["-shared", "-fPIC", "-o", "libctor.so"],
    );
    cc(
        &dir,
        "main.c",
        "#include <stdio.h>\nint x(void);\nint main(void) { printf(\"%d\\n\", x()); return 0; }\n",
        &["-o", "prog.wasm", "-L.", "-lctor"],
    );
    let out = run(&dir, &["--lib-path", ".", "prog.wasm"]);
    assert_eq!(out.status.code(), Some(134), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("libctor.so") && stderr.contains("unreachable"),
        "{stderr}"
    );
    assert!(out.stdout.is_empty());
}

/// A side module is not a program, and says so (not "unknown import: env::memory").
#[test]
fn a_side_module_run_as_a_program_says_so() {
    let dir = scratch("side-as-program");
    cc(
        &dir,
        "liba.c",
        "int a(void) { return 1; }\n",
        &["-shared", "-fPIC", "-o", "liba.so"],
    );
    let out = run(&dir, &["liba.so"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("liba.so is a side module"), "{stderr}");
    assert!(!stderr.contains("env::memory"), "{stderr}");
}

/// A text file is not reported as a WAT parse error.
#[test]
fn a_text_file_is_not_a_program() {
    let dir = scratch("text-as-program");
    std::fs::write(
        dir.join("notes.txt"),
        "(module) is what wasmtime would parse\n",
    )
    .unwrap();
    std::fs::write(dir.join("main.c"), "int main(void) { return 0; }\n").unwrap();
    for file in ["notes.txt", "main.c"] {
        let out = run(&dir, &[file]);
        assert_eq!(out.status.code(), Some(1));
        let stderr = text(&out.stderr);
        assert!(
            stderr.contains(&format!("{file}: not a WebAssembly program")),
            "{stderr}"
        );
        assert!(!stderr.to_lowercase().contains("wat"), "{stderr}");
    }
}

/// A program that uses the loader but was not linked by `wasi-dl cc` is told how to build it.
#[test]
fn a_program_not_built_with_the_driver_is_told_how() {
    let dir = scratch("not-driver-built");
    // What clang gives without the driver: the guest library's imports, none of the exports
    // the loader needs; or dlopen left undefined.
    let raw = wat::parse_str(
        r#"(module
            (import "wasi_dl" "open" (func (param i32 i32 i32 i32 i32) (result i32)))
            (memory (export "memory") 1)
            (func (export "_start")))"#,
    )
    .unwrap();
    std::fs::write(dir.join("raw.wasm"), raw).unwrap();
    let undefined = wat::parse_str(
        r#"(module
            (import "env" "dlopen" (func (param i32 i32) (result i32)))
            (memory (export "memory") 1)
            (func (export "_start")))"#,
    )
    .unwrap();
    std::fs::write(dir.join("undefined.wasm"), undefined).unwrap();
    for file in ["raw.wasm", "undefined.wasm"] {
        let out = run(&dir, &[file]);
        assert_eq!(out.status.code(), Some(1));
        let stderr = text(&out.stderr);
        assert!(
            stderr.contains(&format!(
                "{file} calls dlopen but was not built with `wasi-dl cc`"
            )),
            "{stderr}"
        );
    }
}

/// `--profile perfmap`: `perf` can name the functions of a library the program dlopened.
#[test]
fn the_perf_map_names_functions_of_dlopened_libraries() {
    let dir = scratch("perfmap");
    cc(&dir, "opener.c", OPENER, &["-o", "opener.wasm"]);
    cc(
        &dir,
        "libprof.c",
        "int profiled_plugin_function(int x) { return x * 3; }\n",
        &["-shared", "-fPIC", "-o", "libprof.so"],
    );
    let child = wasi_dl()
        .current_dir(&dir)
        .args([
            "run",
            "--profile",
            "perfmap",
            "--dir",
            ".",
            "opener.wasm",
            "./libprof.so",
        ])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let map = std::path::PathBuf::from(format!("/tmp/perf-{}.map", child.id()));
    let out = child.wait_with_output().unwrap();
    assert_eq!(text(&out.stdout), "./libprof.so: loaded\n");
    let contents = std::fs::read_to_string(&map).unwrap_or_default();
    let _ = std::fs::remove_file(&map);
    assert!(
        contents.contains(" profiled_plugin_function\n"),
        "{} does not name the library's function:\n{contents}",
        map.display()
    );

    // -g and -D debug-info are accepted and the run is unchanged.
    for flag in [&["-g"][..], &["-D", "debug-info"]] {
        let out = ok(run(
            &dir,
            &[flag, &["--dir", ".", "opener.wasm", "./libprof.so"]].concat(),
        ));
        assert_eq!(out, "./libprof.so: loaded\n");
    }
}

/// A trap names the file the function was loaded from: a copy `libother.so` of
/// `libcrash.so` is `libother.so` (its name section still says libcrash.so), and the program
/// is the program.
#[test]
fn a_trap_names_the_file_its_function_came_from() {
    let dir = scratch("trap-names-file");
    cc(
        &dir,
        "libcrash.c",
        "void crash_here(void) { __builtin_trap(); }\n",
        &["-shared", "-fPIC", "-o", "libcrash.so"],
    );
    std::fs::copy(dir.join("libcrash.so"), dir.join("libother.so")).unwrap();
    cc(
        &dir,
        "main.c",
        "#include <dlfcn.h>\n\
         int main(int argc, char **argv) {\n\
           void *h = dlopen(argv[1], RTLD_NOW);\n\
           if (!h) return 3;\n\
           ((void (*)(void))dlsym(h, \"crash_here\"))();\n\
           return 0;\n\
         }\n",
        &["-o", "prog.wasm"],
    );
    let out = run(&dir, &["--dir", ".", "prog.wasm", "./libother.so"]);
    assert_eq!(out.status.code(), Some(134));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("- ./libother.so!crash_here\n"), "{stderr}");
    assert!(stderr.contains("- prog.wasm!"), "{stderr}");
    assert!(!stderr.contains("libcrash.so"), "{stderr}");

    // With DWARF and WASMTIME_BACKTRACE_DETAILS=1: the source line, and still the file.
    cc(
        &dir,
        "libcrash.c",
        "void crash_here(void) { __builtin_trap(); }\n",
        &["-g", "-shared", "-fPIC", "-o", "libdebug.so"],
    );
    let out = wasi_dl()
        .current_dir(&dir)
        .env("WASMTIME_BACKTRACE_DETAILS", "1")
        .args(["run", "--dir", ".", "prog.wasm", "./libdebug.so"])
        .output()
        .unwrap();
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("- ./libdebug.so!crash_here\n") && stderr.contains("libcrash.c:1"),
        "{stderr}"
    );
}

/// Frames of a library linked with `--strip-all` (no name section, so wasmtime knows no
/// function names) still name its exported functions, as the loader knows them; a function it
/// does not export stays `<wasm function N>`.
#[test]
fn a_trap_in_a_stripped_library_names_its_exported_function() {
    let dir = scratch("trap-names-stripped");
    cc(
        &dir,
        "libstripped.c",
        "__attribute__((noinline)) static void deeper(void) { __builtin_trap(); }\n\
         void crash_here(void) { deeper(); }\n",
        &[
            "-shared",
            "-fPIC",
            "-Wl,--strip-all",
            "-o",
            "libstripped.so",
        ],
    );
    let wasm = std::fs::read(dir.join("libstripped.so")).unwrap();
    assert!(
        !custom_sections(&wasm).contains(&"name".to_string()),
        "the name section is still there"
    );
    cc(
        &dir,
        "main.c",
        "#include <dlfcn.h>\n\
         int main(void) {\n\
           void *h = dlopen(\"./libstripped.so\", RTLD_NOW);\n\
           if (!h) return 3;\n\
           ((void (*)(void))dlsym(h, \"crash_here\"))();\n\
           return 0;\n\
         }\n",
        &["-o", "prog.wasm"],
    );
    // Compiled, then from the disk cache: the names are kept in its entries too.
    let cache = scratch("trap-names-stripped-cache");
    for (round, outcome) in [(1, "compile"), (2, "disk hit")] {
        let out = wasi_dl()
            .current_dir(&dir)
            .env("WASI_DL_DEBUG", "1")
            .args(["run", "--cache-dir"])
            .arg(&cache)
            .args(["--dir", ".", "prog.wasm"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(134), "round {round}");
        let stderr = text(&out.stderr);
        assert!(
            stderr.contains(&format!("cache ./libstripped.so: {outcome}\n")),
            "round {round}: {stderr}"
        );
        assert!(
            stderr.contains("- ./libstripped.so!crash_here\n"),
            "round {round}: {stderr}"
        );
        assert!(
            stderr.contains("- ./libstripped.so!<wasm function "),
            "round {round}: {stderr}"
        );
    }
}

/// The names of a wasm module's custom sections, in order.
fn custom_sections(wasm: &[u8]) -> Vec<String> {
    fn leb(bytes: &[u8], at: &mut usize) -> usize {
        let (mut value, mut shift) = (0usize, 0);
        loop {
            let byte = bytes[*at];
            *at += 1;
            value |= usize::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return value;
            }
            shift += 7;
        }
    }
    let mut names = Vec::new();
    let mut at = 8;
    while at < wasm.len() {
        let id = wasm[at];
        at += 1;
        let size = leb(wasm, &mut at);
        let end = at + size;
        if id == 0 {
            let len = leb(wasm, &mut at);
            names.push(String::from_utf8_lossy(&wasm[at..at + len]).into_owned());
        }
        at = end;
    }
    names
}
