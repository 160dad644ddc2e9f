//! Guest code that calls back into the loader where the loader is in the middle of its own
//! work: a side module's start function (run while the library is being instantiated, before
//! its exports exist) that dlopens, dlsyms or dlcloses itself or a library that needs it; a
//! side module that imports the raw `wasi_dl` functions directly; a program whose own
//! contract exports (`__wasi_dl_finalize`) re-enter the loader without end. Each must end in a
//! handle or a NULL with a precise `dlerror()`, leave the program as it was, and leave a
//! library loaded before working; a program that recurses without end must be stopped, never
//! the host.

use std::path::PathBuf;

use crate::both_modes;
use crate::common::*;
use crate::hostile::GOOD_C;

/// `probe GOOD PATH...`: loads GOOD, then each PATH twice (dlopen, dlclose when it loaded),
/// printing the program's state around each attempt and checking GOOD after each PATH.
fn probe_program() -> PathBuf {
    build_program(
        "reentry_probe",
        &format!(
            "{PROLOGUE_C}{}",
            r#"
int main(int argc, char **argv) {
    void *good = dlopen(argv[1], RTLD_NOW | RTLD_GLOBAL);
    if (!good) {
        printf("good library: %s\n", dlerror());
        return 1;
    }
    int (*good_fn)(int) = (int (*)(int))dlsym(good, "good_fn");
    int (*good_check)(void) = (int (*)(void))dlsym(good, "good_check");
    for (int i = 2; i < argc; i++) {
        printf("case %s\n", argv[i]);
        state("before");
        for (int attempt = 0; attempt < 2; attempt++) {
            void *h = dlopen(argv[i], RTLD_NOW);
            if (h) {
                int closed = dlclose(h);
                printf("result ok%s%s\n", closed ? ", dlclose failed: " : "",
                       closed ? dlerror() : "");
            } else {
                const char *e = dlerror();
                printf("result NULL %s\n", e ? e : "(no dlerror)");
            }
            dlerror(); /* frees the text (of this call, or of a call the library made) */
            state("after");
        }
        printf("good %d %d\n", good_fn(i), good_check());
    }
    return 0;
}
"#
        ),
    )
}

fn module(body: &str) -> String {
    format!("(module {PROLOGUE}\n{body})")
}

/// A side module whose start function runs `body` (locals `$h`, `$r`), with `path` (its own,
/// or another library's) NUL-terminated at its memory base and `f` 32 bytes after it.
fn start_lib(path: &str, needed: &[&str], body: &str) -> Vec<u8> {
    side_module(
        &Dylink::new().mem_info(64, 0, 0, 0).needed(needed),
        &module(&format!(
            r#"(import "env" "dlopen" (func $dlopen (param i32 i32) (result i32)))
               (import "env" "dlclose" (func $dlclose (param i32) (result i32)))
               (import "env" "dlsym" (func $dlsym (param i32 i32) (result i32)))
               (data (global.get $mb) "{path}\00")
               (data (i32.add (global.get $mb) (i32.const 32)) "f\00")
               (func $start (local $h i32) (local $r i32) {body})
               (start $start)
               (func (export "f") (result i32) (i32.const 42))"#
        )),
    )
}

struct Case {
    file: &'static str,
    bytes: Vec<u8>,
    /// `None`: it loads; `Some(words)`: NULL, with every word in the dlerror text.
    fails: Option<&'static [&'static str]>,
}

fn cases() -> Vec<Case> {
    let open_self = "(local.set $h (call $dlopen (global.get $mb) (i32.const 2)))";
    vec![
        // dlopen of itself while it is being instantiated, then dlclose of that handle.
        Case {
            file: "open-close-self.so",
            bytes: start_lib(
                "/lib/open-close-self.so",
                &[],
                &format!("{open_self} (drop (call $dlclose (local.get $h)))"),
            ),
            fails: None,
        },
        // The same, closed twice: the second close drops the reference of the dlopen that
        // is instantiating it.
        Case {
            file: "close-self-twice.so",
            bytes: start_lib(
                "/lib/close-self-twice.so",
                &[],
                &format!(
                    "{open_self} (drop (call $dlclose (local.get $h)))
                     (drop (call $dlclose (local.get $h)))"
                ),
            ),
            fails: None,
        },
        // dlopen of itself, kept: the handle belongs to a library whose load then fails.
        Case {
            file: "open-self-then-trap.so",
            bytes: start_lib(
                "/lib/open-self-then-trap.so",
                &[],
                &format!("{open_self} unreachable"),
            ),
            fails: Some(&["instantiation failed", "unreachable"]),
        },
        // dlsym in itself before it has exports.
        Case {
            file: "sym-self.so",
            bytes: start_lib(
                "/lib/sym-self.so",
                &[],
                &format!(
                    "{open_self}
                     (local.set $r (call $dlsym (local.get $h)
                                     (i32.add (global.get $mb) (i32.const 32))))
                     (drop (call $dlclose (local.get $h)))
                     (if (local.get $r) (then unreachable))"
                ),
            ),
            fails: None,
        },
        // dlopen of a library that needs the one being instantiated (and calls into it).
        Case {
            file: "open-dependent.so",
            bytes: start_lib(
                "/lib/dependent.so",
                &[],
                "(local.set $h (call $dlopen (global.get $mb) (i32.const 2)))
                 (if (local.get $h) (then (drop (call $dlclose (local.get $h)))))",
            ),
            fails: None,
        },
        Case {
            file: "dependent.so",
            bytes: side_module(
                &Dylink::new()
                    .mem_info(0, 0, 0, 0)
                    .needed(&["/lib/open-dependent.so"]),
                &module(
                    r#"(import "env" "f" (func $f (result i32)))
                       (func $s (drop (call $f))) (start $s)"#,
                ),
            ),
            fails: None,
        },
        // The raw imports, taken directly (behind the loader's trampoline, they see the
        // program's memory): open and close itself from its start function.
        Case {
            file: "raw-import.so",
            bytes: side_module(
                &Dylink::new().mem_info(64, 0, 0, 0),
                &module(
                    r#"(import "wasi_dl" "open" (func $open (param i32 i32 i32 i32 i32) (result i32)))
                       (import "wasi_dl" "close" (func $close (param i32) (result i32)))
                       (data (global.get $mb) "/lib/raw-import.so")
                       (func $start
                         (if (call $open (global.get $mb) (i32.const 18) (i32.const 2) (i32.const 0)
                                         (i32.add (global.get $mb) (i32.const 48)))
                           (then unreachable))
                         (if (call $close (i32.load (i32.add (global.get $mb) (i32.const 48))))
                           (then unreachable)))
                       (start $start)"#,
                ),
            ),
            fails: None,
        },
        Case {
            file: "component.so",
            bytes: wat::parse_str("(component)").unwrap(),
            fails: Some(&["component.so: not a side module: this is a WebAssembly component"]),
        },
        Case {
            file: "table64.so",
            bytes: side_module(
                &Dylink::new(),
                "(module (import \"env\" \"__indirect_function_table\" (table i64 0 funcref)))",
            ),
            fails: Some(&[
                "instantiation failed",
                "env::__indirect_function_table",
                "expected 64-bit table",
            ]),
        },
        Case {
            file: "shared-memory.so",
            bytes: side_module(
                &Dylink::new(),
                "(module (import \"env\" \"memory\" (memory 1 65536 shared)))",
            ),
            fails: Some(&["env::memory", "expected shared memory"]),
        },
        Case {
            file: "memory-too-big.so",
            bytes: side_module(
                &Dylink::new(),
                "(module (import \"env\" \"memory\" (memory 60000)))",
            ),
            fails: Some(&["env::memory", "min: 60000"]),
        },
        Case {
            file: "memory-max-small.so",
            bytes: side_module(
                &Dylink::new(),
                "(module (import \"env\" \"memory\" (memory 0 1)))",
            ),
            fails: Some(&["env::memory", "max: 1"]),
        },
        Case {
            file: "two-memories.so",
            bytes: side_module(
                &Dylink::new().mem_info(8, 0, 0, 0),
                &module(
                    r#"(memory $own 1) (data (memory $own) (i32.const 0) "x")
                           (func (export "f") (result i32) (i32.load8_u $own (i32.const 0)))"#,
                ),
            ),
            fails: None,
        },
        Case {
            file: "exportinfo-ghost.so",
            bytes: side_module(
                &Dylink::new()
                    .export_info(&[("nothing_here", 0x4), ("", 0xffff_ffff)])
                    .import_info(&[("env", "nothing_here", 0x1), ("nowhere", "", 0xffff_ffff)]),
                &module(r#"(func (export "f") (result i32) (i32.const 1))"#),
            ),
            fails: None,
        },
        Case {
            file: "got-mem-of-function.so",
            bytes: side_module(
                &Dylink::new(),
                &module(
                    r#"(import "GOT.mem" "good_fn" (global $g (mut i32)))
                           (func (export "g") (result i32) (global.get $g))"#,
                ),
            ),
            fails: None,
        },
        Case {
            file: "ctors-global.so",
            bytes: side_module(
                &Dylink::new(),
                &module(
                    r#"(global (export "__wasm_call_ctors") i32 (i32.const 0))
                           (global (export "__wasm_apply_data_relocs") i32 (i32.const 0))"#,
                ),
            ),
            // Not functions: nothing to call (a function of another type is refused).
            fails: None,
        },
    ]
}

both_modes! {
/// Start functions that call the loader about the library being instantiated.
fn start_functions_that_reenter_the_loader() {
    let good = build_library("reentry_good", GOOD_C);
    let dir = temp_dir();
    std::fs::copy(&good, dir.path().join("good.so")).unwrap();
    let cases = cases();
    let mut args = vec!["/lib/good.so".to_string()];
    for case in &cases {
        std::fs::write(dir.path().join(case.file), &case.bytes).unwrap();
        args.push(format!("/lib/{}", case.file));
    }
    let program = probe_program();
    let out = run(Run::new(&program)
        .args(args)
        .dir(dir.path(), "/lib")
        .dl(|b| b.limits(no_reuse())));
    println!("{}", out.stdout);
    let out = out.success();
    let mut failures = Vec::new();
    for (i, case) in cases.iter().enumerate() {
        let tag = format!("case /lib/{}", case.file);
        let Some(at) = out.stdout.lines().position(|l| l == tag) else {
            failures.push(format!("{}: no output", case.file));
            continue;
        };
        let lines: Vec<&str> = out.stdout.lines().skip(at + 1).take(6).collect();
        // The heap probe is left out: the guest library keeps caches of its own (of the
        // lookups these libraries make) that come and go with later calls.
        let without_heap = |l: &str| -> String {
            state_of(l).split(' ').filter(|w| !w.starts_with("heap=")).collect::<Vec<_>>().join(" ")
        };
        let before = without_heap(lines[0]);
        for attempt in 0..2 {
            let result = lines[1 + 2 * attempt];
            let after = without_heap(lines[2 + 2 * attempt]);
            match case.fails {
                None if result != "result ok" => {
                    failures.push(format!("{}: {result}", case.file));
                }
                Some(words) if !words.iter().all(|w| result.contains(w)) || !result.starts_with("result NULL") => {
                    failures.push(format!("{}: {result}, expected {words:?}", case.file));
                }
                _ => {}
            }
            if after != before {
                failures.push(format!("{}: state {after} after, {before} before", case.file));
            }
        }
        if lines[5] != format!("good {} 1", 2 * (i + 2)) {
            failures.push(format!("{}: {}", case.file, lines[5]));
        }
    }
    assert!(failures.is_empty(), "{}\n{}", failures.join("\n"), out.stdout);
}
}

/// A program in WAT, written once to `target/host-tests/programs/NAME.wasm`.
pub(crate) fn wat_program(name: &str, wat: &str) -> PathBuf {
    let dir = work_dir().join("programs");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{name}.wasm"));
    let bytes = wat::parse_str(wat).unwrap();
    if std::fs::read(&path).ok().as_deref() != Some(&bytes[..]) {
        // A temporary name of its own: both modes of a test write the same program at once,
        // in one process.
        let mut tmp = tempfile::NamedTempFile::new_in(&dir).unwrap();
        std::io::Write::write_all(&mut tmp, &bytes).unwrap();
        tmp.persist(&path).unwrap();
    }
    path
}

/// The contract of a main program, by hand: memory, table, stack pointer, a bump allocator.
/// `imports` and `extra` add imports and functions; `_start` runs `start`.
fn contract_program(name: &str, imports: &str, extra: &str, start: &str) -> PathBuf {
    wat_program(
        name,
        &format!(
            r#"(module
  (import "wasi_dl" "open" (func $open (param i32 i32 i32 i32 i32) (result i32)))
  (import "wasi_dl" "close" (func $close (param i32) (result i32)))
  (import "wasi_dl" "fini" (func $fini (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  {imports}
  (memory (export "memory") 4)
  (table (export "__indirect_function_table") 1 funcref)
  (global (export "__stack_pointer") (mut i32) (i32.const 0x8000))
  (global $heap (mut i32) (i32.const 0x10000))
  (data (i32.const 0x100) "liba.so")
  (func (export "__wasi_dl_alloc") (param $size i32) (param $align i32) (result i32)
    (local $p i32)
    (local.set $p (i32.and (i32.add (global.get $heap) (i32.const 15)) (i32.const -16)))
    (global.set $heap (i32.add (local.get $p) (local.get $size)))
    (local.get $p))
  (func (export "__wasi_dl_free") (param i32))
  ;; Prints the `len` bytes at `at` on stdout.
  (func $print (param $at i32) (param $len i32)
    (i32.store (i32.const 0x400) (local.get $at))
    (i32.store (i32.const 0x404) (local.get $len))
    (drop (call $fd_write (i32.const 1) (i32.const 0x400) (i32.const 1) (i32.const 0x408))))
  {extra}
  (func (export "_start") {start}))"#
        ),
    )
}

/// A side module with a data block, so that it has something to finalize.
fn lib_a() -> Vec<u8> {
    side_module(
        &Dylink::new().mem_info(16, 2, 0, 0),
        &module(r#"(func (export "a_f") (result i32) (i32.const 1))"#),
    )
}

both_modes! {
/// A program whose `__wasi_dl_finalize` (which the loader calls for each library at exit) calls
/// `wasi_dl.fini` again: a recursion through the host without end, on a new fiber at each
/// level in an async store (which no stack limit bounds). The nested `fini` is refused with
/// its own text, and the program ends normally.
fn finalize_that_calls_fini_again_is_refused() {
    let program = contract_program(
        "reentry_fini",
        r#"(import "wasi_dl" "last_error" (func $last_error (param i32 i32 i32) (result i32)))"#,
        r#"(data (i32.const 0x200) "finalize\0a")
           (data (i32.const 0x210) "refused: ")
           (func (export "__wasi_dl_finalize") (param i32 i32)
             (call $print (i32.const 0x200) (i32.const 9))
             (if (call $fini)
               (then
                 (call $print (i32.const 0x210) (i32.const 9))
                 (drop (call $last_error (i32.const 0x1000) (i32.const 0x400) (i32.const 0x300)))
                 (call $print (i32.const 0x1000) (i32.load (i32.const 0x300)))
                 (call $print (i32.const 0x208) (i32.const 1)))))"#,
        r#"(if (call $open (i32.const 0x100) (i32.const 7) (i32.const 2) (i32.const 0) (i32.const 0x300))
             (then unreachable))
           (if (call $fini) (then unreachable))"#,
    );
    let mut r = Run::new(&program).dl(|b| b.module_bytes("liba.so", lib_a()));
    r.deadline_ticks = 300;
    let out = run(r);
    let head: Vec<&str> = out.stdout.lines().take(4).collect();
    assert_eq!(
        (out.code, out.trap.as_deref().map(|t| t.lines().next()), head),
        (
            0,
            None,
            vec![
                "finalize",
                "refused: the libraries' destructors are already running (fini called again \
                 from one of them); they run once",
            ]
        ),
        "{} lines of output",
        out.stdout.lines().count()
    );
}
}

/// A side module that imports the function `env.reexported` and exports that import under
/// the same name, defining nothing itself; `weak`: the import is weak undefined.
fn reexporting_lib(weak: bool) -> Vec<u8> {
    let dylink = Dylink::new().mem_info(0, 0, 0, 0);
    let dylink = match weak {
        true => dylink.import_info(&[("env", "reexported", 0x1)]),
        false => dylink,
    };
    side_module(
        &dylink,
        &module(
            r#"(import "env" "reexported" (func $r (result i32)))
               (export "reexported" (func $r))
               (func (export "call_it") (result i32) (call $r))"#,
        ),
    )
}

both_modes! {
/// A library that exports its own undefined import (weak, or bound lazily) under its own name:
/// the loader's late-binding stub for the import must not take the library's export (the stub
/// itself) for a definition, or a call would forward to itself without end, on the host's
/// stack. As in ELF, an undefined symbol is no definition: `dlsym` finds nothing.
fn an_exported_import_is_no_definition() {
    let program = build_program(
        "reentry_reexport",
        &format!(
            "{PROLOGUE_C}{}",
            r#"
int main(int argc, char **argv) {
    void *good = dlopen(argv[1], RTLD_NOW);
    int (*good_fn)(int) = good ? (int (*)(int))dlsym(good, "good_fn") : 0;
    for (int i = 2; i < argc; i++) {
        const char *path = argv[i] + 2;
        int mode = argv[i][0] == 'L' ? RTLD_LAZY : RTLD_NOW;
        state("before");
        void *h = dlopen(path, mode);
        if (!h) {
            printf("%s open NULL %s\n", path, dlerror());
            continue;
        }
        int (*f)(void) = (int (*)(void))dlsym(h, "reexported");
        if (f)
            printf("%s dlsym found it: %d\n", path, f());
        else
            printf("%s dlsym NULL %s\n", path, dlerror());
        dlerror(); /* frees the text */
        printf("%s close %d\n", path, dlclose(h));
        state("after");
        printf("good %d\n", good_fn ? good_fn(i) : -1);
    }
    return 0;
}
"#
        ),
    );
    let good = build_library("reentry_good", GOOD_C);
    let dir = temp_dir();
    std::fs::copy(&good, dir.path().join("good.so")).unwrap();
    std::fs::write(dir.path().join("weak.so"), reexporting_lib(true)).unwrap();
    std::fs::write(dir.path().join("lazy.so"), reexporting_lib(false)).unwrap();
    let out = run(Run::new(&program)
        .args(["/lib/good.so", "N:/lib/weak.so", "L:/lib/lazy.so", "L:/lib/weak.so"])
        .dir(dir.path(), "/lib")
        .dl(|b| b.limits(no_reuse())))
    .success();
    let lines: Vec<&str> = out.stdout.lines().collect();
    for (i, path) in ["/lib/weak.so", "/lib/lazy.so", "/lib/weak.so"].iter().enumerate() {
        let at = 5 * i;
        assert_eq!(
            lines.get(at + 1).copied().unwrap_or_default(),
            format!("{path} dlsym NULL {path}: undefined symbol: reexported"),
            "{}",
            out.stdout
        );
        assert_eq!(lines[at + 2], format!("{path} close 0"), "{}", out.stdout);
        assert_eq!(state_of(lines[at]), state_of(lines[at + 3]), "{}", out.stdout);
        assert_eq!(lines[at + 4], format!("good {}", 2 * (i + 2)), "{}", out.stdout);
    }
}
}

/// A library whose `down(n)` calls itself `n` times through its own import of `down` (bound
/// by a late-binding stub: the definition is the library's own, and it is opened RTLD_LAZY).
fn recursing_lib() -> Vec<u8> {
    side_module(
        &Dylink::new().mem_info(0, 0, 0, 0),
        &module(
            r#"(import "env" "down" (func $down_import (param i32) (result i32)))
               (func (export "down") (param $n i32) (result i32)
                 (if (result i32) (i32.eqz (local.get $n))
                   (then (i32.const 0))
                   (else (i32.add (call $down_import (i32.sub (local.get $n) (i32.const 1)))
                                  (i32.const 1)))))"#,
        ),
    )
}

both_modes! {
/// Recursion without end through a late-binding stub: each level passes through the host
/// (in an async store, on a fiber of its own, which no wasm stack limit bounds). It must end as
/// the guest's stack overflow, a trap of the program, with the host's memory bounded; shallow
/// recursion works.
fn recursion_through_a_stub_is_bounded() {
    let program = build_program(
        "reentry_recurse",
        &format!(
            "{PROLOGUE_C}{}",
            r#"
__attribute__((import_module("wasi_dl_test"), import_name("rss_kib"))) int host_rss_kib(void);
int main(int argc, char **argv) {
    void *h = dlopen(argv[1], RTLD_LAZY);
    if (!h) {
        printf("open NULL %s\n", dlerror());
        return 1;
    }
    int (*down)(int) = (int (*)(int))dlsym(h, "down");
    printf("down(100) = %d\n", down(100));
    fflush(stdout);
    int n = atoi(argv[2]);
    printf("rss before %d\n", host_rss_kib());
    fflush(stdout);
    printf("down(%d) = %d\n", n, down(n));
    return 0;
}
"#
        ),
    );
    let mut r = Run::new(&program)
        .args(["librec.so", "100000000"])
        .dl(|b| b.module_bytes("librec.so", recursing_lib()));
    r.deadline_ticks = 600;
    let out = run(r);
    assert!(out.stdout.starts_with("down(100) = 100\n"), "{}", out.stdout);
    let trap = out.trap.unwrap_or_default();
    // The cause is the last line (after the wasm backtrace).
    let cause = trap.lines().last().unwrap_or_default();
    let expected = match mode() {
        Mode::Sync => "wasm trap: call stack exhausted",
        Mode::Async => "call stack exhausted: 1000 calls nested through the loader's late-binding stubs",
    };
    assert!(cause.contains(expected), "{cause}");
}
}

both_modes! {
/// `dlsym` with long names the program does not define, each a little different: the
/// loader's memo of names the program lacks must not keep them all (it held 4096 names of any
/// length: 4096 names of 1 MiB each would be 4 GiB of host memory).
fn long_missing_names_are_not_kept() {
    // The measure is the process's RSS, which counts what tests on other threads allocate
    // meanwhile too (a compile, a guest memory they fill): alone in a process.
    if !in_own_process(&this_mode_test("reentry::long_missing_names_are_not_kept")) {
        return;
    }
    let program = build_program(
        "reentry_long_names",
        &format!(
            "{PROLOGUE_C}{}",
            r#"
__attribute__((import_module("wasi_dl_test"), import_name("rss_kib"))) int host_rss_kib(void);
int main(int argc, char **argv) {
    int count = atoi(argv[1]);
    size_t len = 1 << 20;
    char *name = malloc(len + 1);
    memset(name, 'x', len);
    name[len] = 0;
    int found = 0;
    int rss = host_rss_kib();
    for (int i = 0; i < count; i++) {
        snprintf(name, 16, "n%08d", i);
        name[9] = 'x';
        if (dlsym(RTLD_DEFAULT, name)) found++;
    }
    const char *e = dlerror();
    printf("found %d grew %d KiB error %.40s\n", found, host_rss_kib() - rss, e ? e : "none");
    return 0;
}
"#
        ),
    );
    let out = run(Run::new(&program).args(["300"])).success();
    println!("{}", out.stdout);
    let line = out.stdout.lines().next().unwrap_or_default();
    assert!(line.starts_with("found 0 grew "), "{line}");
    assert!(line.contains(" error main: undefined symbol: n00000299x"), "{line}");
    let grew: i64 = field(&format!("x grew={}", line.split(' ').nth(3).unwrap()), "grew")
        .parse()
        .unwrap();
    // 300 MiB when every name was kept.
    assert!(grew < 64 << 10, "the host grew by {grew} KiB: {line}");
}
}

both_modes! {
/// A destructor that calls the loader about its own library while `dlclose` unloads it:
/// dlopen of its path, dlsym and dlclose of the handle being closed. Each gets an answer (no
/// trap), the library goes, and it loads again as new.
fn destructors_that_reenter_the_loader_about_their_library() {
    let lib = build_library(
        "reentry_dtor",
        r#"
#include <dlfcn.h>
#include <stdio.h>
void *self_handle;
int generation;
int f(void) { return 7 + generation++; }
__attribute__((destructor)) static void fini(void) {
    void *again = dlopen("/lib/libdtor.so", RTLD_NOW);
    printf("dtor dlopen %s\n", again ? "handle" : dlerror());
    void *sym = dlsym(self_handle, "f");
    printf("dtor dlsym %s\n", sym ? "found" : dlerror());
    int closed = dlclose(self_handle);
    printf("dtor dlclose %d %s\n", closed, closed ? dlerror() : "");
}
"#,
    );
    let program = build_program(
        "reentry_dtor_main",
        &format!(
            "{PROLOGUE_C}{}",
            r#"
int main(int argc, char **argv) {
    for (int round = 0; round < 2; round++) {
        state("before");
        void *h = dlopen("/lib/libdtor.so", RTLD_NOW);
        if (!h) {
            printf("open NULL %s\n", dlerror());
            return 1;
        }
        *(void **)dlsym(h, "self_handle") = h;
        int (*f)(void) = (int (*)(void))dlsym(h, "f");
        printf("f %d\n", f());
        printf("close %d\n", dlclose(h));
        dlerror();
        state("after");
    }
    return 0;
}
"#
        ),
    );
    let dir = temp_dir();
    std::fs::copy(&lib, dir.path().join("libdtor.so")).unwrap();
    let out = run(Run::new(&program)
        .dir(dir.path(), "/lib")
        .dl(|b| b.limits(no_reuse())))
    .success();
    let lines: Vec<&str> = out.stdout.lines().collect();
    let round = [
        "f 7",
        "dtor dlopen /lib/libdtor.so: dlopen failed: the library is being unloaded (dlopen from one of its destructors)",
        "dtor dlsym found",
        "dtor dlclose -1 invalid handle",
        "close 0",
    ];
    for r in 0..2 {
        let got = &lines[7 * r..7 * r + 7];
        for (i, want) in round.iter().enumerate() {
            assert!(got[i + 1].starts_with(want), "{i}: {}\n{}", got[i + 1], out.stdout);
        }
        assert_eq!(field(got[6], "loaded"), "0", "{}", out.stdout);
    }
    // The table grows at the first load only (slots freed at a close are reused).
    assert_eq!(field(lines[6], "table"), field(lines[13], "table"), "{}", out.stdout);
    assert_eq!(out.loaded_after, 0);
}
}
