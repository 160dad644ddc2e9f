//! The program's optional contract export `__wasi_dl_table_grow(delta) -> previous size or -1`
//! (in every program `wasi-dl cc` links, from its start-up object): the loader grows the
//! program's table through it, wasm's own `table.grow`, and keeps growing it from the host for a
//! program without it. Both paths give the same errors (the `max_table_slots` limit, a refusal,
//! the embedder's resource limiter's error), and an export that lies (a wrong size, a trap, a
//! growth by another amount, a `dlopen` of its own) fails only that `dlopen`, with a precise
//! `dlerror()`, and the table slots stay right: the libraries loaded next find their functions
//! in their slots.

use std::path::{Path, PathBuf};

use wasi_dl::Limits;

use crate::both_modes;
use crate::common::*;
use crate::hostile::open_one_program;
use crate::reentry::wat_program;

/// A program by hand with a table of `table` (limits, WAT) and the export `export` (WAT, may
/// be empty). Its `_start` opens `/lib/a.so` twice and then `/lib/b.so`, printing `ok` or
/// `NULL ` and the dlerror for each. `$honest` grows the table and prints `grow`; `$lied` is
/// for exports that lie once.
fn program(name: &str, table: &str, export: &str) -> PathBuf {
    wat_program(
        &format!("table_grow_{name}"),
        &format!(
            r#"(module
  (import "wasi_dl" "open" (func $open (param i32 i32 i32 i32 i32) (result i32)))
  (import "wasi_dl" "last_error" (func $last_error (param i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 4)
  (table $t (export "__indirect_function_table") {table} funcref)
  (global (export "__stack_pointer") (mut i32) (i32.const 0x8000))
  (global $heap (mut i32) (i32.const 0x10000))
  (global $lied (mut i32) (i32.const 0))
  (data (i32.const 0x100) "/lib/a.so")
  (data (i32.const 0x140) "/lib/b.so")
  (data (i32.const 0x180) "grow\0a")
  (data (i32.const 0x190) "ok\0a")
  (data (i32.const 0x198) "\0a")
  (data (i32.const 0x1a0) "NULL ")
  (func (export "__wasi_dl_alloc") (param $size i32) (param $align i32) (result i32)
    (local $p i32)
    (local.set $p (i32.and (i32.add (global.get $heap) (i32.const 15)) (i32.const -16)))
    (global.set $heap (i32.add (local.get $p) (local.get $size)))
    (local.get $p))
  (func (export "__wasi_dl_free") (param i32))
  (func $print (param $at i32) (param $len i32)
    (i32.store (i32.const 0x400) (local.get $at))
    (i32.store (i32.const 0x404) (local.get $len))
    (drop (call $fd_write (i32.const 1) (i32.const 0x400) (i32.const 1) (i32.const 0x408))))
  (func $honest (param $d i32) (result i32)
    (call $print (i32.const 0x180) (i32.const 5))
    (table.grow $t (ref.null func) (local.get $d)))
  {export}
  (func $try (param $path i32)
    (if (call $open (local.get $path) (i32.const 9) (i32.const 2) (i32.const 0) (i32.const 0x300))
      (then
        (call $print (i32.const 0x1a0) (i32.const 5))
        (drop (call $last_error (i32.const 0x1000) (i32.const 0x400) (i32.const 0x304)))
        (call $print (i32.const 0x1000) (i32.load (i32.const 0x304)))
        (call $print (i32.const 0x198) (i32.const 1)))
      (else (call $print (i32.const 0x190) (i32.const 3)))))
  (func (export "_start")
    (call $try (i32.const 0x100))
    (call $try (i32.const 0x100))
    (call $try (i32.const 0x140))))"#
        ),
    )
}

/// The export, honest: it counts its calls by printing `grow`.
const HONEST: &str = r#"(func (export "__wasi_dl_table_grow") (param $d i32) (result i32)
    (call $honest (local.get $d)))"#;

/// An export that does `lie` (WAT with the local `$d`, giving an i32) at its first call and is
/// honest afterwards.
fn lying_once(lie: &str) -> String {
    format!(
        r#"(func (export "__wasi_dl_table_grow") (param $d i32) (result i32)
    (if (result i32) (global.get $lied)
      (then (call $honest (local.get $d)))
      (else (global.set $lied (i32.const 1)) {lie})))"#
    )
}

/// A side module with four table slots, each holding its `f`, whose constructor calls the last
/// one: it fails (a trap, so `dlopen` fails) unless the slots the loader gave it are in the
/// table and its own.
fn slots_lib() -> Vec<u8> {
    side_module(
        &Dylink::new().mem_info(0, 0, 4, 0),
        &format!(
            r#"(module {PROLOGUE}
  (type $r (func (result i32)))
  (func $f (result i32) (i32.const 42))
  (elem (global.get $tb) func $f $f $f $f)
  (func (export "__wasm_call_ctors")
    (if (i32.ne (call_indirect (type $r) (i32.add (global.get $tb) (i32.const 3))) (i32.const 42))
      (then unreachable))))"#
        ),
    )
}

/// Runs `program` with `a.so` and `b.so` in /lib, `limits` and the store's table limit.
fn run_with(program: &Path, limits: Limits, table_limit: Option<usize>) -> Output {
    let tmp = temp_dir();
    for name in ["a.so", "b.so"] {
        std::fs::write(tmp.path().join(name), slots_lib()).unwrap();
    }
    let mut r = Run::new(program)
        .dir(tmp.path(), "/lib")
        .dl(move |b| b.limits(limits));
    r.table_limit = table_limit;
    run(r)
}

fn lines(out: &Output) -> Vec<&str> {
    out.stdout.lines().collect()
}

/// Every program `wasi-dl cc` links exports the function, of the type the loader looks for.
#[test]
fn programs_from_wasi_dl_cc_export_it() {
    let module = wasmtime::Module::from_file(engine(), open_one_program()).unwrap();
    let ty = module
        .exports()
        .find(|e| e.name() == "__wasi_dl_table_grow")
        .and_then(|e| e.ty().func().cloned())
        .expect("__wasi_dl_table_grow is exported");
    let params: Vec<String> = ty.params().map(|t| t.to_string()).collect();
    let results: Vec<String> = ty.results().map(|t| t.to_string()).collect();
    assert_eq!((params, results), (vec!["i32".into()], vec!["i32".into()]));
    // Its table can grow (no maximum, as with `--growable-table`).
    let table = module
        .exports()
        .find(|e| e.name() == "__indirect_function_table")
        .and_then(|e| e.ty().table().cloned())
        .expect("the table is exported");
    assert_eq!(table.maximum(), None);
}

both_modes! {
/// A program with the export: the loader grows the table through it, once per library that
/// needs new slots; a program without it still loads.
fn the_table_grows_through_the_export() {
    let out = run_with(&program("honest", "1", HONEST), Limits::default(), None).success();
    assert_eq!(lines(&out), ["grow", "ok", "ok", "grow", "ok"], "{out:?}");
    let out = run_with(&program("plain", "1", ""), Limits::default(), None).success();
    assert_eq!(lines(&out), ["ok", "ok", "ok"], "{out:?}");
}
}

/// The `NULL` lines of `out`.
fn failures(out: &Output) -> Vec<String> {
    out.stdout
        .lines()
        .filter(|l| l.starts_with("NULL "))
        .map(str::to_string)
        .collect()
}

both_modes! {
/// `max_table_slots`, and a table at its maximum (wasm's `table.grow` gives -1, wasmtime's
/// `Table::grow` an error): the same dlerror with and without the export, which is asked only
/// when the limit allows the growth.
fn limit_and_refusal_read_the_same_through_both_paths() {
    let slots = Limits {
        max_table_slots: 2,
        ..Limits::default()
    };
    let with = run_with(&program("honest", "1", HONEST), slots, None).success();
    let without = run_with(&program("plain", "1", ""), slots, None).success();
    let limit = "NULL /lib/a.so: table slots limit exceeded (needs 4 slots, 0 of 2 already added)";
    assert_eq!(failures(&with), [limit, limit, &limit.replace("a.so", "b.so")]);
    assert_eq!(lines(&with), lines(&without), "the export is not asked");

    let with = run_with(&program("honest_max", "1 3", HONEST), Limits::default(), None).success();
    let without = run_with(&program("plain_max", "1 3", ""), Limits::default(), None).success();
    let refused = "NULL /lib/a.so: table size limit exceeded (cannot grow the program's table from \
                   1 by 4: failed to grow table by `4`; its maximum is reached (under wasmtime's \
                   pooling allocator, PoolingAllocationConfig::table_elements caps every table))";
    let expected = [refused, refused, &refused.replace("a.so", "b.so")];
    assert_eq!(failures(&without), expected);
    assert_eq!(failures(&with), expected);
    assert_eq!(lines(&with).iter().filter(|l| **l == "grow").count(), 3, "{with:?}");
}
}

both_modes! {
/// The embedder's resource limiter that fails the growth with an error (`trap_on_grow_failure`)
/// stops the program with that error through both paths, inside the export's `table.grow` or
/// in the host's `Table::grow`.
fn a_limiter_error_stops_the_program_through_both_paths() {
    for (name, export, before) in [("honest", HONEST, "grow\n"), ("plain", "", "")] {
        let out = run_with(&program(name, "1", export), Limits::default(), Some(1));
        let trap = out.trap.clone().unwrap_or_default();
        assert!(
            trap.contains("forcing trap when growing table"),
            "{name}: {out:?}"
        );
        assert_eq!(out.stdout, before, "{name}: nothing printed after the dlopen");
    }
}
}

both_modes! {
/// Exports that lie once: each fails its `dlopen` with a dlerror that says what it did, and
/// the loads after it (the export honest again) get slots that hold their functions.
fn a_lying_export_fails_only_its_dlopen() {
    let contract = |rest: &str| {
        format!(
            "NULL the program cannot load libraries: its __wasi_dl_table_grow broke its \
             contract: asked to grow the table from 1 by 4, it returned {rest} (the new slots \
             are left unused)"
        )
    };
    let cases: [(&str, &str, String); 7] = [
        (
            "wrong_size",
            "(i32.add (table.grow $t (ref.null func) (local.get $d)) (i32.const 1))",
            contract("2, and the table has 5 slots"),
        ),
        (
            "more",
            "(table.grow $t (ref.null func) (i32.add (local.get $d) (i32.const 3)))",
            contract("1, and the table has 8 slots"),
        ),
        (
            "less",
            "(table.grow $t (ref.null func) (i32.sub (local.get $d) (i32.const 1)))",
            contract("1, and the table has 4 slots"),
        ),
        (
            "none",
            "(table.size $t)",
            contract("1, and the table has 1 slots"),
        ),
        (
            "refused_but_grew",
            "(drop (table.grow $t (ref.null func) (local.get $d))) (i32.const -1)",
            contract("-1, and the table has 5 slots"),
        ),
        (
            // It loads b.so itself (the export is honest for that nested load), then grows.
            "loads_itself",
            "(drop (call $open (i32.const 0x140) (i32.const 9) (i32.const 2) (i32.const 0) \
               (i32.const 0x310))) \
             (table.grow $t (ref.null func) (local.get $d))",
            contract("5 after loading libraries itself, and the table has 9 slots"),
        ),
        (
            "traps",
            "unreachable",
            "NULL /lib/a.so: growing the program's table failed: its __wasi_dl_table_grow \
             failed: wasm trap: wasm `unreachable` instruction executed"
                .to_string(),
        ),
    ];
    let mut problems = Vec::new();
    for (name, lie, error) in cases {
        let out = run_with(
            &program(&format!("lies_{name}"), "1", &lying_once(lie)),
            Limits::default(),
            None,
        );
        let got = lines(&out);
        // The dlopen that met the lie fails; the next ones load, each with its own slots
        // (in `loads_itself`, b.so was loaded by the export itself, before the lie).
        let expected_tail: &[&str] = match name {
            "loads_itself" => &["grow", "ok", "ok"],
            _ => &["grow", "ok", "grow", "ok"],
        };
        let first_ok = if name == "loads_itself" {
            got.first() == Some(&"grow") && got.get(1).is_some_and(|l| l.starts_with(&error))
        } else {
            got.first().is_some_and(|l| l.starts_with(&error))
        };
        let skip = if name == "loads_itself" { 2 } else { 1 };
        if out.code != 0 || out.trap.is_some() || !first_ok || got[skip.min(got.len())..] != *expected_tail
        {
            problems.push(format!("{name}: expected {error:?} then {expected_tail:?}, got {out:?}"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
}
