//! Replays the fuzz corpora (`fuzz/corpus/<target>/`) as ordinary tests on stable Rust, through
//! the very functions the cargo-fuzz targets call (`fuzz/src/lib.rs`, included below), so that
//! `cargo test` keeps every input the fuzzer found interesting (and every crash it found, once
//! fixed) passing.
//!
//! `cargo test -p wasi-dl --test fuzz_corpus -- --ignored write_seed_corpus` regenerates the
//! seed inputs (`seed-*` files); the fuzzer adds its own next to them.

#[path = "../../fuzz/src/lib.rs"]
#[allow(unused)]
mod wasi_dl_fuzz;

use std::path::{Path, PathBuf};

use wasi_dl_fuzz::enc::{self, side_module, Dylink, PROLOGUE};

fn corpus_dir(target: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz/corpus")
        .join(target)
}

/// Runs `f` on every file of the target's corpus; names the inputs that panic.
fn replay(target: &str, f: fn(&[u8])) {
    let dir = corpus_dir(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "{} is empty", dir.display());
    let mut failed = Vec::new();
    for file in &files {
        // (A fuzzer running meanwhile may remove inputs it reduced.)
        let Ok(bytes) = std::fs::read(file) else {
            continue;
        };
        if std::panic::catch_unwind(|| f(&bytes)).is_err() {
            failed.push(file.file_name().unwrap().to_string_lossy().into_owned());
        }
    }
    assert!(
        failed.is_empty(),
        "{target}: {} of {} inputs fail: {failed:?}",
        failed.len(),
        files.len()
    );
    eprintln!("{target}: {} inputs replayed", files.len());
}

#[test]
fn dylink_read_corpus() {
    replay("dylink_read", wasi_dl_fuzz::dylink_read);
}

#[test]
fn load_module_corpus() {
    replay("load_module", wasi_dl_fuzz::load_module);
}

#[test]
fn ops_corpus() {
    replay("ops", wasi_dl_fuzz::ops);
}

// ---------------------------------------------------------------------------------------------
// The harness itself must be able to fail: these check it sees what it should.

/// Each fixed library, opened and closed alone through the harness, behaves as designed.
#[test]
fn harness_fixed_libraries() {
    let mut s = wasi_dl_fuzz::Session::new(&[], true);
    let expect: &[(&str, u32, &str)] = &[
        ("liba.so", 0, ""),
        ("libb.so", 0, ""),
        ("libc1.so", 0, ""),
        ("libtrap.so", 9, "running constructors failed"),
        ("libstart.so", 9, "instantiation failed"),
        ("libundef.so", 8, "undefined symbol: nowhere_defined"),
        ("libweak.so", 0, ""),
        ("libself.so", 0, ""),
        ("libnest.so", 0, ""),
        ("libbig.so", 0, ""),
        ("libnext.so", 0, ""),
        ("notwasm.so", 4, "not a WebAssembly module"),
        ("libmissing.so", 3, "cannot open shared object file"),
    ];
    for &(name, errno, words) in expect {
        let (e, handle) = s.open(name.as_bytes(), wasi_dl_fuzz::RTLD_NOW);
        let text = if e == 0 {
            String::new()
        } else {
            s.error_text()
        };
        assert_eq!(e, errno, "{name}: {text}");
        assert!(text.contains(words), "{name}: {text:?} lacks {words:?}");
        s.check_blocks(name);
        if e == 0 {
            match name {
                "libb.so" => {
                    let (e, kind, f) = s.sym(handle, b"b_get", 0);
                    assert_eq!((e, kind), (0, 0));
                    assert_eq!(s.call(f), Some(43));
                    let (_, _, f) = s.sym(handle, b"b_prog", 0);
                    assert_eq!(s.call(f), Some(7), "GOT.func of a program function");
                    let (_, _, f) = s.sym(handle, b"b_inc", 0);
                    assert_eq!(s.call(f), Some(43), "GOT.func of a library function");
                }
                "libc1.so" => {
                    let (_, _, f) = s.sym(handle, b"c1_g", 0);
                    assert_eq!(s.call(f), Some(4), "a call across the NEEDED cycle");
                }
                "libnest.so" => {
                    let (_, _, f) = s.sym(handle, b"nest_f", 0);
                    assert_eq!(
                        s.call(f),
                        Some(42),
                        "a_get called from a constructor via dlsym"
                    );
                }
                "libweak.so" => {
                    let (_, _, f) = s.sym(handle, b"w_call", 0);
                    assert_eq!(s.call(f), None, "calling an undefined weak function traps");
                }
                _ => {}
            }
            assert_eq!(s.close(handle), 0, "{name}: {}", s.error_text());
        }
        assert_eq!(s.loaded(), 0, "{name}: left libraries loaded");
        s.check_no_blocks_but_parked(name);
    }
}

/// An output pointer the host cannot write must not leave a library loaded that the guest
/// has no handle for.
#[test]
fn harness_open_with_bad_output_pointer_loads_nothing() {
    let mut s = wasi_dl_fuzz::Session::new(&[], true);
    s.put(0x1000, b"liba.so");
    let errno = s.raw_open(0x1000, 7, wasi_dl_fuzz::RTLD_NOW, 0, 0xffff_fff0);
    assert_eq!(errno, 1, "FAULT");
    assert!(
        s.error_text().contains("handle pointer"),
        "{}",
        s.error_text()
    );
    assert_eq!(s.loaded(), 0, "the library stayed loaded without a handle");
    s.check_no_blocks_but_parked("after the failed dlopen");
}

// ---------------------------------------------------------------------------------------------
// Seeds

fn seeds_dylink_and_load() -> Vec<(String, Vec<u8>)> {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/dylink");
    let mut seeds: Vec<(String, Vec<u8>)> = Vec::new();
    for name in ["libx.so", "libtls.so", "libweak.so"] {
        seeds.push((
            format!("clang-{name}"),
            std::fs::read(fixtures.join(name)).unwrap(),
        ));
    }
    for (name, bytes) in wasi_dl_fuzz::fixed_libraries() {
        if let Some(bytes) = bytes {
            seeds.push((format!("fixed-{name}"), bytes));
        }
    }
    let plain = format!("(module {PROLOGUE} (func (export \"f\") (result i32) (i32.const 1)))");
    let d = Dylink::new()
        .mem_info(4, 2, 1, 0)
        .needed(&["liba.so"])
        .runtime_path(&["$ORIGIN"])
        .import_info(&[("env", "weak", 1)])
        .export_info(&[("f", 0x20)]);
    seeds.push(("all-subsections".into(), side_module(&d, &plain)));
    seeds.push(("no-dylink".into(), wat::parse_str(&plain).unwrap()));
    let module = wat::parse_str(&plain).unwrap();
    seeds.push((
        "dylink-last".into(),
        enc::with_last_section(
            &module,
            &enc::custom_section("dylink.0", &Dylink::new().mem_info(0, 0, 0, 0).0),
        ),
    ));
    seeds.push((
        "align-31".into(),
        side_module(&Dylink::new().mem_info(1, 31, 1, 31), &plain),
    ));
    seeds.push((
        "huge-mem".into(),
        side_module(&Dylink::new().mem_info(u32::MAX - 15, 0, 0, 0), &plain),
    ));
    seeds.push((
        "huge-table".into(),
        side_module(&Dylink::new().mem_info(0, 0, 5_000_000, 0), &plain),
    ));
    seeds.push((
        "needs-self".into(),
        side_module(&Dylink::new().needed(&["libfuzz.so"]), &plain),
    ));
    seeds.push((
        "ctor-trap".into(),
        side_module(
            &Dylink::new(),
            &format!("(module {PROLOGUE} (func (export \"__wasm_call_ctors\") unreachable))"),
        ),
    ));
    seeds.push((
        "loop-forever".into(),
        side_module(
            &Dylink::new(),
            &format!("(module {PROLOGUE} (func $s (loop (br 0))) (start $s))"),
        ),
    ));
    seeds.push(("truncated".into(), side_module(&d, &plain)[..40].to_vec()));
    seeds
}

fn seeds_ops() -> Vec<(String, Vec<u8>)> {
    let n = wasi_dl_fuzz::fixed_libraries().len() as u8;
    let mut seeds = Vec::new();
    // Open each library (NOW), look a symbol up through the handle, call it, close.
    for lib in 0..n {
        seeds.push((
            format!("open-{lib}"),
            vec![0, lib, 0, 3, 0, 0, 0, 5, 0, 2, 0],
        ));
    }
    seeds.push((
        "global-then-default".into(),
        vec![0, 1, 2, 3, 1, 3, 0, 5, 0, 2, 0],
    ));
    seeds.push(("nodelete".into(), vec![0, 0, 5, 2, 0, 0, 0, 0]));
    seeds.push((
        "forged".into(),
        vec![10, 0, 0x11, 0, 0, 0, 10, 0, 0xff, 0xff, 0xff, 0xff],
    ));
    seeds.push((
        "raw-open-scratch".into(),
        vec![0, 0, 0, 8, 0, 0, 0, 0, 7, 4, 0],
    ));
    seeds.push(("bad-last-error".into(), vec![6, 0, 2, 0, 2, 100, 4, 0]));
    seeds.push((
        "addr".into(),
        vec![0, 0, 0, 3, 0, 2, 0, 7, 1, 0, 0, 0, 0, 4, 0],
    ));
    seeds
}

#[test]
#[ignore = "writes fuzz/corpus/*/seed-*; run by hand after changing the seeds"]
fn write_seed_corpus() {
    let write = |target: &str, seeds: Vec<(String, Vec<u8>)>| {
        let dir = corpus_dir(target);
        std::fs::create_dir_all(&dir).unwrap();
        for (name, bytes) in seeds {
            std::fs::write(dir.join(format!("seed-{name}")), bytes).unwrap();
        }
    };
    write("dylink_read", seeds_dylink_and_load());
    write("load_module", seeds_dylink_and_load());
    write("ops", seeds_ops());
}

/// A start function or constructor that moved the shadow stack pointer and trapped: the
/// failed dlopen puts it back, even for a caller without a stack frame of its own (the
/// harness's `do_open` has none, so nothing in the guest would).
#[test]
fn harness_stack_pointer_restored_after_a_trap() {
    let moves_and_traps = |place: &str| {
        let body = "(global.set $sp (i32.sub (global.get $sp) (i32.const 4096))) unreachable";
        let func = match place {
            "start" => format!("(func $s {body}) (start $s)"),
            _ => format!("(func (export \"__wasm_call_ctors\") {body})"),
        };
        side_module(
            &Dylink::new(),
            &format!("(module {PROLOGUE} (import \"env\" \"__stack_pointer\" (global $sp (mut i32))) {func})"),
        )
    };
    let (start, ctor) = (moves_and_traps("start"), moves_and_traps("ctor"));
    let mut s =
        wasi_dl_fuzz::Session::new(&[("libstart.so", &start), ("libctor.so", &ctor)], false);
    let sp = s.stack_pointer();
    for name in ["libstart.so", "libctor.so"] {
        let (errno, _) = s.open(name.as_bytes(), wasi_dl_fuzz::RTLD_NOW);
        assert_eq!(errno, 9, "{name}: {}", s.error_text());
        assert_eq!(s.stack_pointer(), sp, "{name}: the stack pointer moved");
    }
}
