//! Attacks on the loader's newest parsing and bookkeeping, as a hostile guest or side module
//! would try them. The two `..._is_not_quadratic` tests ran for more than five minutes of host
//! CPU before their fixes (a lookup by scanning, once per import; hours within the limits); the
//! others (SONAMEs, nodelete, a throwing constructor, `$ORIGIN`/RTLD_NEXT from callers without
//! a path, `open_needed` called by hand) are attacks the loader already withstood, kept so that
//! it goes on doing so.

use crate::both_modes;
use crate::common::*;
use crate::wasi_dl_fuzz::enc;

/// A side module that imports the function `env.unused` `count` times and exports that
/// import under `count` distinct names, with an (empty) code section. Finding whether an
/// import is also exported compared every import with every export: `count`² string
/// comparisons (10^11 here, minutes of host CPU from a 7 MB module, 10^12 within the limits).
fn imports_times_exports(count: u32) -> Vec<u8> {
    import_export_module(&[], "unused", count, &enc::Dylink::new())
}

/// Reading a module whose imports and exports are both huge takes time linear in its size.
#[test]
fn import_export_cross_check_is_not_quadratic() {
    let bytes = imports_times_exports(300_000);
    let info = wasi_dl::dylink::read(&bytes).expect("a well-formed side module");
    assert_eq!(info.imports.len(), 300_000);
    assert_eq!(info.exports.len(), 300_000);
    // None of the imports is exported: the bodies were not scanned, every import counts.
    assert!(info.imports.iter().all(|i| i.referenced));
}

/// A side module importing `env.last` `count` times (as a weak symbol nobody defines) and
/// exporting `count` other names. While it links, it is itself a library of its lookup order
/// that is not instantiated yet, so every import asked whether it defines the symbol: a scan of
/// its export names each time, `count`² comparisons in all.
fn self_lookup_module(count: u32) -> Vec<u8> {
    let memory = wasm_encoder::EntityType::Memory(wasm_encoder::MemoryType {
        minimum: 0,
        maximum: None,
        memory64: false,
        shared: false,
        page_size_log2: None,
    });
    let dylink = enc::Dylink::new().import_info(&[("env", "last", 0x1)]);
    import_export_module(&[("env", "memory", memory)], "last", count, &dylink)
}

/// Linking a library with many imports and many exports takes time linear in their number:
/// the "does a library of this group define it" question is a hash lookup, not a scan.
#[test]
fn linking_many_imports_against_many_exports_is_not_quadratic() {
    let program = build_program(
        "attacks_lazy",
        &format!(
            "{PROLOGUE_C}{}",
            r#"
int main(int argc, char **argv) {
    state("before");
    void *h = dlopen(argv[1], RTLD_LAZY);
    printf("open %s\n", h ? "ok" : dlerror());
    if (h && dlclose(h) != 0) printf("close %s\n", dlerror());
    state("after");
    return 0;
}
"#
        ),
    );
    let bytes = self_lookup_module(100_000);
    let out = run(Run::new(&program).args(["libmany.so"]).dl(|b| {
        // 100,001 imports: past the default import bound, which is not what this measures.
        b.module_bytes("libmany.so", bytes).limits(wasi_dl::Limits {
            max_module_imports: 200_000,
            ..no_reuse()
        })
    }))
    .success();
    assert!(out.stdout.contains("open ok"), "{}", out.stdout);
    let line = |p: &str| {
        out.stdout
            .lines()
            .find(|l| l.starts_with(p))
            .map(state_of)
            .unwrap_or_default()
            .to_string()
    };
    assert_eq!(line("before "), line("after "), "{}", out.stdout);
}

/// A side module exporting `NAME_f` (returning `value`), with `needed` and a `wasi_dl_meta`
/// section holding `meta` (raw bytes: any text, or none).
fn meta_lib(name: &str, value: i32, needed: &[&str], meta: Option<&[u8]>) -> Vec<u8> {
    let module = enc::side_module(
        &enc::Dylink::new().mem_info(16, 0, 0, 0).needed(needed),
        &format!(
            "(module {} (func (export \"{name}_f\") (result i32) (i32.const {value})))",
            enc::PROLOGUE
        ),
    );
    match meta {
        Some(text) => enc::with_last_section(&module, &enc::custom_section("wasi_dl_meta", text)),
        None => module,
    }
}

/// `wasi_dl_meta` as a hostile module writes it: a SONAME already taken by another library,
/// one that is its own NEEDED entry, huge or non-UTF-8 names, repeated lines. Each load works
/// or fails with an errno; names already loaded keep meaning the library they meant; closing
/// everything leaves nothing behind.
#[test]
fn hostile_sonames_never_take_over_loaded_names() {
    use crate::wasi_dl_fuzz::{Session, RTLD_NOW};
    let huge = format!("soname={}\n", "x".repeat(1 << 19));
    let mut junk = b"soname=\xff\xfe\nnodelete\nnodelete\nsoname=\nsoname=a/b\n".to_vec();
    junk.extend_from_slice(huge.as_bytes());
    let libs = [
        ("liba.so", meta_lib("a", 1, &[], None)),
        // Claims liba.so's name while liba.so is loaded, and its own file name.
        (
            "thief.so",
            meta_lib("thief", 2, &[], Some(b"soname=liba.so\n")),
        ),
        // Its SONAME is its own NEEDED entry: it depends on itself.
        (
            "selfish.so",
            meta_lib("selfish", 3, &["me.so"], Some(b"soname=me.so\n")),
        ),
        ("junk.so", meta_lib("junk", 4, &[], Some(&junk))),
    ];
    let extra: Vec<(&str, &[u8])> = libs.iter().map(|(n, b)| (*n, &b[..])).collect();
    let mut s = Session::new(&extra, false);
    for round in 0..2 {
        let (e, a) = s.open(b"liba.so", RTLD_NOW);
        assert_eq!(e, 0, "liba.so: {}", s.error_text());
        let (e, thief) = s.open(b"thief.so", RTLD_NOW);
        assert_eq!(e, 0, "thief.so: {}", s.error_text());
        assert_ne!(a, thief);
        // liba.so is still liba.so.
        let (e, again) = s.open(b"liba.so", RTLD_NOW);
        assert_eq!((e, again), (0, a), "round {round}");
        let (e, _, _) = s.sym(again, b"a_f", 0);
        assert_eq!(e, 0, "a_f: {}", s.error_text());
        let (e, selfish) = s.open(b"selfish.so", RTLD_NOW);
        assert_eq!(e, 0, "selfish.so: {}", s.error_text());
        let (e, me) = s.open(b"me.so", RTLD_NOW);
        assert_eq!((e, me), (0, selfish), "a library answers to its SONAME");
        let (e, junk) = s.open(b"junk.so", RTLD_NOW);
        assert_eq!(e, 0, "junk.so: {}", s.error_text());
        for h in [again, a, thief, selfish, me] {
            assert_eq!(
                s.close(h),
                0,
                "round {round}: close {h}: {}",
                s.error_text()
            );
        }
        // junk.so is -z nodelete (twice over): its close succeeds and it stays.
        assert_eq!(s.close(junk), 0);
        assert_eq!(
            s.loaded(),
            1,
            "round {round}: only the nodelete library stays"
        );
    }
    let (live, _) = s.blocks();
    assert_eq!(
        live as usize,
        s.parked() + 1,
        "blocks left besides parked ones and junk.so's"
    );
}

both_modes! {
/// A `-z nodelete` library brought in by a `dlopen` that then fails goes with it (a failed
/// load leaves nothing behind), and one that loads pins only itself: what it does not need
/// can still be closed.
fn a_failed_dlopen_takes_its_nodelete_dependencies_with_it() {
    use crate::wasi_dl_fuzz::{Session, RTLD_NOW};
    let pinned = meta_lib("pinned", 5, &[], Some(b"nodelete\n"));
    let broken = enc::side_module(
        &enc::Dylink::new()
            .mem_info(16, 0, 0, 0)
            .needed(&["libpinned.so"]),
        &format!(
            r#"(module {} (import "env" "nobody_defines_this" (func $u (result i32)))
                 (func (export "broken_f") (result i32) (call $u)))"#,
            enc::PROLOGUE
        ),
    );
    let other = meta_lib("other", 6, &[], None);
    let mut s = Session::new(
        &[
            ("libpinned.so", &pinned[..]),
            ("libbroken.so", &broken[..]),
            ("libother.so", &other[..]),
        ],
        false,
    );
    for round in 0..3 {
        let (e, _) = s.open(b"libbroken.so", RTLD_NOW);
        assert_ne!(e, 0, "round {round}: an undefined symbol fails the load");
        let text = s.error_text();
        assert!(text.contains("nobody_defines_this"), "{text}");
        assert_eq!(
            s.loaded(),
            0,
            "round {round}: the nodelete dependency stayed"
        );
        s.check_no_blocks_but_parked("after the failed dlopen");
    }
    let (e, pinned) = s.open(b"libpinned.so", RTLD_NOW);
    assert_eq!(e, 0, "{}", s.error_text());
    let (e, other) = s.open(b"libother.so", RTLD_NOW);
    assert_eq!(e, 0, "{}", s.error_text());
    assert_eq!(s.close(other), 0);
    assert_eq!(s.close(pinned), 0);
    assert_eq!(s.loaded(), 1, "only the nodelete library stays");
    let (e, _, _) = s.sym(pinned, b"pinned_f", 0);
    assert_eq!(
        e,
        0,
        "a nodelete library's handle keeps working: {}",
        s.error_text()
    );
}
}

both_modes! {
/// A constructor that throws the program's own exception tag (a `longjmp` with no `setjmp`
/// under it, or an uncaught C++ exception): the throw ends at the loader (wasmtime looks for
/// a handler only in the frames above the loader's call), that `dlopen` fails with an errno,
/// and the program, its own `setjmp`/`longjmp` included, carries on as before.
fn a_constructor_that_throws_fails_only_its_dlopen() {
    let program = build_program(
        "attacks_throw",
        &format!(
            "{PROLOGUE_C}{}",
            r#"
#include <setjmp.h>
static jmp_buf env;
static int jumped(void) {
    if (setjmp(env)) return 1;
    longjmp(env, 1);
}
int main(int argc, char **argv) {
    for (int i = 0; i < 3; i++) {
        state("before");
        void *h = dlopen(argv[1], RTLD_NOW);
        printf("open %s\n", h ? "ok" : dlerror());
        dlerror(); /* frees the text */
        printf("longjmp %d\n", jumped());
        state("after");
    }
    return 0;
}
"#
        ),
    );
    let lib = enc::side_module(
        &enc::Dylink::new().mem_info(16, 0, 0, 0),
        &format!(
            r#"(module {} (import "env" "__c_longjmp" (tag $t (param i32)))
                 (func (export "__wasm_call_ctors") (throw $t (i32.const 0))))"#,
            enc::PROLOGUE
        ),
    );
    let dir = temp_dir();
    std::fs::write(dir.path().join("throw.so"), lib).unwrap();
    let out = run(Run::new(&program)
        .args(["/lib/throw.so"])
        .dir(dir.path(), "/lib")
        .dl(|b| b.limits(no_reuse())))
    .success();
    let lines: Vec<&str> = out.stdout.lines().collect();
    let opens: Vec<&&str> = lines.iter().filter(|l| l.starts_with("open ")).collect();
    assert_eq!(opens.len(), 3, "{}", out.stdout);
    for open in opens {
        assert!(
            open.contains("running constructors failed"),
            "{}",
            out.stdout
        );
    }
    assert_eq!(
        lines.iter().filter(|l| **l == "longjmp 1").count(),
        3,
        "{}",
        out.stdout
    );
    let states: Vec<&str> = lines
        .iter()
        .filter(|l| l.starts_with("before ") || l.starts_with("after "))
        .map(|l| state_of(l))
        .collect();
    assert!(states.windows(2).all(|w| w[0] == w[1]), "{}", out.stdout);
    assert_eq!(out.loaded_after, 0);
}
}

/// `$ORIGIN` and RTLD_NEXT with odd callers: a library registered from memory (it has no
/// directory, so `$ORIGIN` cannot be expanded), and addresses that belong to no module at all.
/// Each is an errno with a `dlerror()` text or a lookup in the program's scope; none traps.
#[test]
fn origin_and_next_with_callers_that_have_no_path() {
    use crate::wasi_dl_fuzz::{Session, RTLD_NOW};
    // The harness program's scratch area (fuzz/src/lib.rs: SCRATCH, OUT).
    const NAME: u32 = 0x1000;
    const OUT: u32 = 0x7000;
    let lib = enc::side_module(
        &enc::Dylink::new().mem_info(16, 0, 0, 0),
        &format!(
            r#"(module {} (global (export "mem_data") i32 (i32.const 4))
                 (func (export "mem_f") (result i32) (i32.const 9)))"#,
            enc::PROLOGUE
        ),
    );
    let mut s = Session::new(&[("libmem.so", &lib[..])], false);
    let (e, h) = s.open(b"libmem.so", RTLD_NOW);
    assert_eq!(e, 0, "{}", s.error_text());
    let (e, _, data) = s.sym(h, b"mem_data", 0);
    assert_eq!(e, 0, "{}", s.error_text());
    let loaded = s.loaded();
    for caller in [data, 0, u32::MAX, u32::MAX - 3] {
        for name in [&b"$ORIGIN/libmem.so"[..], b"${ORIGIN}/../x.so", b"$ORIGIN"] {
            s.put(NAME, name);
            let e = s.raw_open(NAME, name.len() as u32, RTLD_NOW, caller, OUT);
            if e != 0 {
                let text = s.error_text();
                assert!(
                    !text.is_empty(),
                    "caller {caller:#x}: an errno without a text"
                );
            } else {
                let handle = s.read_u32(OUT);
                assert_eq!(s.close(handle), 0, "{}", s.error_text());
            }
            assert_eq!(s.loaded(), loaded, "caller {caller:#x}");
        }
        // dlsym(RTLD_NEXT, ...) from there.
        s.put(NAME, b"mem_f");
        let e = s.raw_sym((u32::MAX, NAME, 5, caller, OUT, OUT + 4));
        if e != 0 {
            assert!(!s.error_text().is_empty());
        }
    }
    // From inside libmem.so (loaded from memory): `$ORIGIN` has nothing to expand to.
    let name = b"$ORIGIN/libmem.so";
    s.put(NAME, name);
    let e = s.raw_open(NAME, name.len() as u32, RTLD_NOW, data, OUT);
    assert_ne!(e, 0);
    let text = s.error_text();
    assert!(text.contains("ORIGIN"), "{text}");
    assert_eq!(s.close(h), 0);
    assert_eq!(s.loaded(), 0);
    s.check_no_blocks_but_parked("after closing libmem.so");
}

/// `wasi_dl.open_needed` (the start-up load of a program's linked libraries) is a raw import
/// like any other: a program may call it whenever it likes, with any bytes. Names already
/// opened, repeated, missing or not UTF-8 give an errno (or load), never a trap, and what was
/// loaded before keeps working.
#[test]
fn open_needed_called_by_hand() {
    let program = build_program(
        "attacks_open_needed",
        &format!(
            "{PROLOGUE_C}{}",
            r#"
__attribute__((import_module("wasi_dl"), import_name("open_needed")))
int raw_open_needed(const char *names, int len);

static void call(const char *what, const char *names, int len) {
    int e = raw_open_needed(names, len);
    printf("%s errno=%d\n", what, e);
}

int main(int argc, char **argv) {
    void *h = dlopen("/lib/libgood.so", RTLD_NOW);
    int (*f)(int) = h ? (int (*)(int))dlsym(h, "good_fn") : 0;
    printf("good %d\n", f ? f(1) : -1);
    state("before");
    call("empty", "", 0);
    call("bad pointer", (const char *)0xfffffff0, 64);
    call("not utf-8", "\xff\xfe", 2);
    call("missing", "/lib/nosuch.so", 14);
    call("again", "/lib/libgood.so\n/lib/libgood.so\n", 32);
    call("dir", "/lib", 4);
    printf("good %d\n", f ? f(2) : -1);
    printf("close %d\n", h ? dlclose(h) : -1);
    void *again = dlopen("/lib/libgood.so", RTLD_NOW | RTLD_NOLOAD);
    printf("still %s\n", again ? "loaded" : "gone");
    int (*g)(int) = again ? (int (*)(int))dlsym(again, "good_fn") : 0;
    printf("good %d\n", g ? g(3) : -1);
    return 0;
}
"#
        ),
    );
    let good = build_library("attacks_good", "int good_fn(int x) { return x + 40; }\n");
    let dir = temp_dir();
    std::fs::copy(&good, dir.path().join("libgood.so")).unwrap();
    let out = run(Run::new(&program).dir(dir.path(), "/lib")).success();
    for bad in ["bad pointer", "not utf-8", "missing", "dir"] {
        let line = out
            .stdout
            .lines()
            .find(|l| l.starts_with(bad))
            .unwrap_or_else(|| panic!("no {bad} line in\n{}", out.stdout));
        assert!(!line.ends_with("errno=0"), "{line}");
    }
    // The program's own libraries are never unloaded (as glibc's): `again` pinned it.
    for line in ["good 41", "good 42", "close 0", "still loaded", "good 43"] {
        assert!(
            out.stdout.lines().any(|l| l == line),
            "no {line:?} in\n{}",
            out.stdout
        );
    }
}
