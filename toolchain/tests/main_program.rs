//! Main programs built by the driver: the contract exports, libc for side
//! modules in full and slim mode, no `.command_export` wrappers, and they run.

mod common;

use common::*;
use std::collections::BTreeSet;
use wasi_dl_toolchain::{imported_symbols, libc_exports, Driver, CONTRACT_EXPORTS, SETJMP_EXPORTS};

const MAIN_C: &str = r#"
#include <stdio.h>
#include <stdlib.h>
#include <dlfcn.h>
int twice(int x) { return 2 * x; }
int main(int argc, char **argv) {
    void *h = dlopen("libnothing.so", RTLD_NOW); /* the stand-in returns NULL */
    printf("hello %d %s\n", twice(21), h ? "?" : dlerror());
    return 3;
}
"#;

/// A side module that needs libc functions, a libc data symbol and a
/// compiler-rt builtin (128-bit multiply) from the main program.
const LIB_C: &str = r#"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
static int cmp(const void *a, const void *b) { return *(const int *)a - *(const int *)b; }
int counter = 5;
int sort_and_sum(int *v, int n, const char *tag) {
    qsort(v, n, sizeof *v, cmp);
    fprintf(stdout, "%s %zu\n", tag, strlen(tag));
    int s = counter;
    for (int i = 0; i < n; i++) s += v[i];
    return s;
}
unsigned long long mul_hi(unsigned long long a, unsigned long long b) {
    return (unsigned long long)(((unsigned __int128)a * b) >> 64);
}
"#;

/// Symbols of the main program itself (its code, libc's start-up glue, the
/// stand-in guest library) that `--export-dynamic` exports.
const PROGRAM_OWN: &[&str] = &[
    "twice",
    "main",
    "__main_argc_argv",
    "__main_void",
    "__original_main",
    "_start",
    "__stack_chk_guard",
    "__stack_chk_fail",
    // A program linked against side modules (`-lfoo`): its data relocations against their
    // objects, which the start-up load runs (see `linked_data.rs`).
    "__wasm_apply_data_relocs",
];

fn abi_exports() -> BTreeSet<String> {
    ["memory", "__indirect_function_table", "__stack_pointer"]
        .iter()
        .map(|s| s.to_string())
        .collect()
}

#[test]
fn full_mode_main_exports_contract_and_all_of_libc_and_runs() {
    let Some(tc) = toolchain("full_mode_main_exports_contract_and_all_of_libc_and_runs") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let tc = with_standin(tc, dir.path());
    write(dir.path(), "main.c", MAIN_C);
    let driver = Driver::new(tc.clone());
    cc_in(&driver, dir.path(), &["-O2", "main.c", "-o", "main.wasm"]);
    let info = inspect(&dir.path().join("main.wasm"));

    for name in abi_exports()
        .iter()
        .map(String::as_str)
        .chain(CONTRACT_EXPORTS.iter().copied())
    {
        assert!(info.exports.contains(name), "main does not export {name}");
    }
    let kind = |n: &str| {
        info.export_kinds
            .iter()
            .find(|(e, _)| e == n)
            .map(|(_, k)| *k)
    };
    assert_eq!(kind("memory"), Some("memory"));
    assert_eq!(kind("__indirect_function_table"), Some("table"));
    assert_eq!(kind("__stack_pointer"), Some("global"));
    assert_eq!(info.tables.len(), 1);
    assert_eq!(
        info.tables[0].1, None,
        "--growable-table: the table has no maximum"
    );
    // libc, functions and data, that the program itself never calls
    for name in [
        "printf", "malloc", "qsort", "strtod", "fopen", "snprintf", "stdout", "errno", "environ",
    ] {
        assert!(
            info.exports.contains(name),
            "full mode does not export libc's {name}"
        );
    }
    // compiler-rt builtins that side modules import for __int128 / long double
    for name in ["__multi3", "__addtf3"] {
        assert!(
            info.exports.contains(name),
            "full mode does not export the builtin {name}"
        );
    }
    assert!(
        info.exports.contains("twice"),
        "--export-dynamic: the program's own functions"
    );
    let wrappers: Vec<_> = info
        .function_names
        .iter()
        .filter(|n| n.contains("command_export"))
        .collect();
    assert!(wrappers.is_empty(), "wasm-ld wrapped exports: {wrappers:?}");
    assert!(
        !info.imports.iter().any(|i| i.starts_with("env.")),
        "unresolved env imports: {:?}",
        info.imports
    );

    let libc = libc_exports(&tc).unwrap();
    assert!(
        libc.symbols.len() > 1000,
        "only {} libc symbols",
        libc.symbols.len()
    );
    for s in &libc.symbols {
        assert!(
            info.exports.contains(s),
            "{s} is in the libc list but not exported"
        );
    }

    let (code, out) = run_main(&dir.path().join("main.wasm"));
    assert_eq!(out, "hello 42 stand-in\n");
    assert_eq!(code, 3);
}

#[test]
fn slim_mode_exports_exactly_the_side_modules_imports_plus_the_contract() {
    let Some(tc) =
        toolchain("slim_mode_exports_exactly_the_side_modules_imports_plus_the_contract")
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let tc = with_standin(tc, dir.path());
    let d = dir.path();
    write(d, "main.c", MAIN_C);
    write(d, "lib.c", LIB_C);
    let driver = Driver::new(tc.clone());
    cc_in(&driver, d, &["-O2", "-shared", "lib.c", "-o", "libsort.so"]);
    let side = imported_symbols(&[d.join("libsort.so")], &[]).unwrap();
    for expected in ["qsort", "fprintf", "strlen", "stdout", "__multi3"] {
        assert!(
            side.symbols.contains(expected),
            "the side module does not import {expected}: {:?}",
            side.symbols
        );
    }
    assert!(
        !side.symbols.contains("counter"),
        "its own data symbol is not an import from the program"
    );

    // The side module named as an input, and through -L/-l.
    for (out, args) in [
        (
            "slim1.wasm",
            vec![
                "-mdl-exports=slim",
                "-O2",
                "main.c",
                "libsort.so",
                "-o",
                "slim1.wasm",
            ],
        ),
        (
            "slim2.wasm",
            vec![
                "-O2",
                "main.c",
                "-L.",
                "-lsort",
                "-mdl-exports=slim",
                "-o",
                "slim2.wasm",
            ],
        ),
    ] {
        cc_in(&driver, d, &args);
        let info = inspect(&d.join(out));
        let mut expected: BTreeSet<String> = abi_exports();
        expected.extend(CONTRACT_EXPORTS.iter().map(|s| s.to_string()));
        expected.extend(side.symbols.iter().cloned());
        // Like the contract, always: any side module dlopened later that uses setjmp needs
        // the program's one __c_longjmp tag.
        if tc.setjmp_archive().is_some() {
            expected.extend(SETJMP_EXPORTS.iter().map(|s| s.to_string()));
        }
        let missing: Vec<_> = expected.difference(&info.exports).collect();
        assert!(
            missing.is_empty(),
            "{out}: slim mode does not export {missing:?}"
        );
        let extra: Vec<_> = info
            .exports
            .difference(&expected)
            .filter(|e| !PROGRAM_OWN.contains(&e.as_str()))
            .collect();
        assert!(
            extra.is_empty(),
            "{out}: slim mode exports more than needed: {extra:?}"
        );
        assert!(!info.exports.contains("printf") && !info.exports.contains("strtod"));
        let (code, stdout) = run_main(&d.join(out));
        assert_eq!((code, stdout.as_str()), (3, "hello 42 stand-in\n"));
    }
}

#[test]
fn slim_mode_follows_needed_libraries() {
    let Some(tc) = toolchain("slim_mode_follows_needed_libraries") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let tc = with_standin(tc, dir.path());
    let d = dir.path();
    std::fs::create_dir(d.join("libs")).unwrap();
    write(d, "main.c", MAIN_C);
    write(
        d,
        "inner.c",
        "#include <stdlib.h>\nint inner(const char *s) { return atoi(s); }\n",
    );
    write(
        d,
        "outer.c",
        "int inner(const char *);\nint outer(void) { return inner(\"7\"); }\n",
    );
    let driver = Driver::new(tc);
    cc_in(
        &driver,
        d,
        &["-shared", "inner.c", "-o", "libs/libinner.so"],
    );
    cc_in(
        &driver,
        d,
        &[
            "-shared",
            "outer.c",
            "-Llibs",
            "-linner",
            "-o",
            "libs/libouter.so",
        ],
    );
    cc_in(
        &driver,
        d,
        &[
            "-mdl-exports=slim",
            "main.c",
            "libs/libouter.so",
            "-o",
            "main.wasm",
        ],
    );
    let info = inspect(&d.join("main.wasm"));
    assert!(
        info.exports.contains("atoi"),
        "atoi, imported by the NEEDED libinner.so, is not exported"
    );
    assert!(
        !info.exports.contains("inner"),
        "inner is libinner's own, not the program's"
    );
}

#[test]
fn sizes_full_vs_slim() {
    let Some(tc) = toolchain("sizes_full_vs_slim") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let tc = with_standin(tc, dir.path());
    let d = dir.path();
    write(d, "main.c", MAIN_C);
    write(d, "lib.c", LIB_C);
    let driver = Driver::new(tc);
    cc_in(&driver, d, &["-O2", "-shared", "lib.c", "-o", "libsort.so"]);
    let mut sizes = Vec::new();
    for (name, extra) in [
        ("full", &["-mdl-exports=full"][..]),
        ("slim", &["-mdl-exports=slim", "libsort.so"][..]),
        (
            "full, --strip-debug",
            &["-mdl-exports=full", "-Wl,--strip-debug"][..],
        ),
        (
            "slim, --strip-debug",
            &["-mdl-exports=slim", "libsort.so", "-Wl,--strip-debug"][..],
        ),
    ] {
        let mut args = vec!["-O2", "main.c", "-o", "m.wasm"];
        args.extend_from_slice(extra);
        cc_in(&driver, d, &args);
        let size = std::fs::metadata(d.join("m.wasm")).unwrap().len();
        eprintln!("main program, {name}: {size} bytes");
        sizes.push(size);
    }
    assert!(
        sizes[1] < sizes[0] / 2,
        "slim ({}) should be far smaller than full ({})",
        sizes[1],
        sizes[0]
    );
    assert!(
        sizes[3] < sizes[2] / 2,
        "stripped: slim ({}) vs full ({})",
        sizes[3],
        sizes[2]
    );
}

#[test]
fn real_guest_library_if_built() {
    let Some(tc) = toolchain("real_guest_library_if_built") else {
        return;
    };
    if tc.guest_sysroot().library().is_err() {
        eprintln!(
            "SKIPPED real_guest_library_if_built: {}",
            tc.guest_sysroot().library().unwrap_err()
        );
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "main.c", MAIN_C);
    let tc = tc.with_cache_dir(dir.path().join("cache"));
    let driver = Driver::new(tc);
    cc_in(&driver, dir.path(), &["-O2", "main.c", "-o", "main.wasm"]);
    let info = inspect(&dir.path().join("main.wasm"));
    for name in abi_exports()
        .iter()
        .map(String::as_str)
        .chain(CONTRACT_EXPORTS.iter().copied())
    {
        assert!(
            info.exports.contains(name),
            "main (real guest library) does not export {name}"
        );
    }
    assert!(info.exports.contains("_start"));
    assert!(info
        .function_names
        .iter()
        .all(|n| !n.contains("command_export")));
}

/// A C++ side module using libc++ (`std::string`, `std::vector`, `operator new`).
const LIBCXX_SIDE: &str = r#"
#include <string>
#include <vector>
extern "C" int count_words(const char *s) {
    std::vector<std::string> words;
    std::string cur;
    for (; *s; s++) {
        if (*s == ' ') { if (!cur.empty()) words.push_back(cur); cur.clear(); } else cur += *s;
    }
    if (!cur.empty()) words.push_back(cur);
    return (int)words.size();
}
"#;

const CXX_MAIN: &str = r#"
#include <stdio.h>
struct Announce { Announce() { puts("ctor"); } };
static Announce announce;
int main() { puts("main"); return 0; }
"#;

#[test]
fn cxx_main_programs_run_and_export_libcxx_for_side_modules() {
    let Some(tc) = toolchain("cxx_main_programs_run_and_export_libcxx_for_side_modules") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let tc = with_standin(tc, d);
    write(d, "main.cpp", CXX_MAIN);
    let driver = Driver::new(tc.clone()).cxx(true);
    // Without the C++ standard library: global constructors still run.
    cc_in(
        &driver,
        d,
        &[
            "-O2",
            "-fno-exceptions",
            "-nostdlib++",
            "main.cpp",
            "-o",
            "plain.wasm",
        ],
    );
    assert_eq!(
        run_main(&d.join("plain.wasm")),
        (0, "ctor\nmain\n".to_string())
    );

    if tc.cxx_archives().is_empty() {
        eprintln!(
            "SKIPPED the libc++ half of cxx_main_programs_run_and_export_libcxx_for_side_modules: \
             no libc++ for wasm32 (run make setup)"
        );
        let plan = driver.plan(&os(&["main.cpp", "-o", "m.wasm"])).unwrap();
        assert!(
            plan.warnings().iter().any(|w| w.contains("libc++")),
            "{:?}",
            plan.warnings()
        );
        return;
    }
    write(d, "s.cpp", LIBCXX_SIDE);
    cc_in(
        &driver,
        d,
        &[
            "-O2",
            "-fno-exceptions",
            "-shared",
            "s.cpp",
            "-o",
            "libwords.so",
        ],
    );
    let side = imported_symbols(&[d.join("libwords.so")], &[]).unwrap();
    assert!(
        side.symbols.contains("_Znwm"),
        "operator new comes from the program: {:?}",
        side.symbols
    );
    for (out, args) in [
        (
            "full.wasm",
            vec!["-O2", "-fno-exceptions", "main.cpp", "-o", "full.wasm"],
        ),
        (
            "slim.wasm",
            vec![
                "-O2",
                "-fno-exceptions",
                "-mdl-exports=slim",
                "main.cpp",
                "libwords.so",
                "-o",
                "slim.wasm",
            ],
        ),
    ] {
        cc_in(&driver, d, &args);
        let info = inspect(&d.join(out));
        let missing: Vec<_> = side
            .symbols
            .iter()
            .filter(|s| !info.exports.contains(*s))
            .collect();
        assert!(
            missing.is_empty(),
            "{out} does not export what libwords.so imports: {missing:?}"
        );
        if out == "slim.wasm" {
            // (full.wasm runs the same way; compiling its 1.7 MB of code costs ~10 s here)
            assert_eq!(run_main(&d.join(out)), (0, "ctor\nmain\n".to_string()));
        }
    }
}

#[test]
fn libc_export_list_is_cached_per_toolchain() {
    let Some(tc) = toolchain("libc_export_list_is_cached_per_toolchain") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let tc = with_standin(tc, dir.path());
    let first = libc_exports(&tc).unwrap();
    assert!(first.response_file.starts_with(dir.path().join("cache")));
    let text = std::fs::read_to_string(&first.response_file).unwrap();
    assert!(text.lines().any(|l| l == "--export=printf"), "{text:.200}");
    assert!(
        first.left_out.iter().any(|l| l.contains("gcc_personality")),
        "{:?}",
        first.left_out
    );
    // Read back from the cache: same list, same file.
    let again = libc_exports(&tc).unwrap();
    assert_eq!(again.symbols, first.symbols);
    assert_eq!(again.left_out, first.left_out);
    assert_eq!(again.response_file, first.response_file);
    // A different guest library (here: a changed start-up object) is another entry.
    let start = dir.path().join("standin-sysroot/lib/wasi_dl_standin.o");
    let mut bytes = std::fs::read(&start).unwrap();
    bytes.extend_from_slice(&[0, 1, 0]); // an empty custom section: still a valid object
    std::fs::write(&start, bytes).unwrap();
    let changed = libc_exports(&tc).unwrap();
    assert_ne!(changed.response_file, first.response_file);
}

/// wasi-libc's emulation libraries are exported (for side modules) only when the program
/// links them: forced into every program, they would clash with a program's own `signal`.
#[test]
fn emulation_libraries_are_exported_when_linked() {
    let Some(tc) = toolchain("emulation_libraries_are_exported_when_linked") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let tc = with_standin(tc, dir.path());
    let driver = Driver::new(tc);
    write(dir.path(), "main.c", "int main(void) { return 0; }\n");
    cc_in(
        &driver,
        dir.path(),
        &[
            "main.c",
            "-lwasi-emulated-mman",
            "-lwasi-emulated-signal",
            "-o",
            "main.wasm",
        ],
    );
    let info = inspect(&dir.path().join("main.wasm"));
    for name in ["mmap", "munmap", "signal", "raise"] {
        assert!(info.exports.contains(name), "main does not export {name}");
    }
    write(
        dir.path(),
        "own.c",
        "typedef void (*handler)(int);\nhandler signal(int s, handler h) { (void)s; return h; }\n\
         int getpid(void) { return 7; }\nint main(void) { return getpid() == 7 && !signal(2, 0) ? 0 : 1; }\n",
    );
    cc_in(&driver, dir.path(), &["own.c", "-o", "own.wasm"]);
    assert!(inspect(&dir.path().join("own.wasm"))
        .exports
        .contains("signal"));
}
