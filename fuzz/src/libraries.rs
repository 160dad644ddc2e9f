//! The fixed side modules the `ops` target opens, and the symbol names it looks up.

use super::enc::{side_module, Dylink, PROLOGUE};

fn lib_a() -> Vec<u8> {
    side_module(
        &Dylink::new().mem_info(16, 2, 1, 0),
        &format!(
            r#"(module {PROLOGUE}
  (func $a_get (export "a_get") (result i32) (i32.load (global.get $mb)))
  (func $a_inc (export "a_inc") (result i32)
    (i32.store (global.get $mb) (i32.add (i32.load (global.get $mb)) (i32.const 1)))
    (i32.load (global.get $mb)))
  (global (export "a_data") i32 (i32.const 0))
  (data (global.get $mb) "\2a\00\00\00")
  (elem (global.get $tb) func $a_get)
  (func (export "__wasm_call_ctors"))
  (func (export "__wasm_apply_data_relocs")))"#
        ),
    )
}

fn lib_b() -> Vec<u8> {
    side_module(
        &Dylink::new().mem_info(4, 2, 0, 0).needed(&["liba.so"]),
        &format!(
            r#"(module {PROLOGUE}
  (import "env" "a_get" (func $a_get (result i32)))
  (import "GOT.mem" "a_data" (global $a_data (mut i32)))
  (import "GOT.func" "a_inc" (global $a_inc (mut i32)))
  (import "GOT.func" "prog_fn" (global $prog_fn (mut i32)))
  (type $v_i (func (result i32)))
  (func (export "b_get") (result i32) (i32.add (call $a_get) (i32.const 1)))
  (func (export "b_data") (result i32) (i32.load (global.get $a_data)))
  (func (export "b_inc") (result i32) (call_indirect (type $v_i) (global.get $a_inc)))
  (func (export "b_prog") (result i32) (call_indirect (type $v_i) (global.get $prog_fn))))"#
        ),
    )
}

fn lib_cycle(me: &str, other: &str) -> Vec<u8> {
    side_module(
        &Dylink::new()
            .mem_info(0, 0, 0, 0)
            .needed(&[&format!("lib{other}.so")]),
        &format!(
            r#"(module {PROLOGUE}
  (import "env" "{other}_f" (func $other_f (result i32)))
  (func (export "{me}_f") (result i32) (i32.const 3))
  (func (export "{me}_g") (result i32) (i32.add (call $other_f) (i32.const 1))))"#
        ),
    )
}

fn lib_trap_ctor() -> Vec<u8> {
    side_module(
        &Dylink::new().mem_info(8, 0, 0, 0).needed(&["liba.so"]),
        &format!(
            r#"(module {PROLOGUE}
  (func (export "__wasm_call_ctors") unreachable))"#
        ),
    )
}

fn lib_trap_start() -> Vec<u8> {
    side_module(
        &Dylink::new().mem_info(8, 0, 0, 0),
        &format!(
            r#"(module {PROLOGUE}
  (func $s unreachable)
  (start $s))"#
        ),
    )
}

fn lib_undefined() -> Vec<u8> {
    side_module(
        &Dylink::new().mem_info(8, 0, 0, 0).needed(&["liba.so"]),
        &format!(
            r#"(module {PROLOGUE}
  (import "env" "nowhere_defined" (func $nowhere (result i32)))
  (func (export "u_call") (result i32) (call $nowhere)))"#
        ),
    )
}

fn lib_weak() -> Vec<u8> {
    side_module(
        &Dylink::new()
            .mem_info(0, 0, 0, 0)
            .import_info(&[("env", "weak_nothing", 1)]),
        &format!(
            r#"(module {PROLOGUE}
  (import "env" "weak_nothing" (func $weak (result i32)))
  (func (export "w_call") (result i32) (call $weak)))"#
        ),
    )
}

/// Its constructor dlopens itself and dlcloses the handle it got.
fn lib_self() -> Vec<u8> {
    side_module(
        &Dylink::new().mem_info(32, 2, 0, 0),
        &format!(
            r#"(module {PROLOGUE}
  (import "env" "do_open" (func $open (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "do_close" (func $close (param i32) (result i32)))
  (data (global.get $mb) "libself.so")
  (func (export "__wasm_call_ctors")
    (if (call $open (global.get $mb) (i32.const 10) (i32.const 2) (global.get $mb)
                    (i32.add (global.get $mb) (i32.const 16)))
      (then unreachable))
    (if (call $close (i32.load (i32.add (global.get $mb) (i32.const 16))))
      (then unreachable)))
  (func (export "self_f") (result i32) (i32.const 5)))"#
        ),
    )
}

/// Its constructor loads liba.so, calls a_get through dlsym, and closes it again.
fn lib_nest() -> Vec<u8> {
    side_module(
        &Dylink::new().mem_info(32, 2, 0, 0),
        &format!(
            r#"(module {PROLOGUE}
  (type $v_i (func (result i32)))
  (import "env" "do_open" (func $open (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "do_sym" (func $sym (param i32 i32 i32 i32 i32 i32) (result i32)))
  (import "env" "do_close" (func $close (param i32) (result i32)))
  (data (global.get $mb) "liba.so\00a_get")
  (global $result (mut i32) (i32.const 0))
  (func (export "__wasm_call_ctors")
    (local $h i32)
    (if (call $open (global.get $mb) (i32.const 7) (i32.const 2) (global.get $mb)
                    (i32.add (global.get $mb) (i32.const 16)))
      (then unreachable))
    (local.set $h (i32.load (i32.add (global.get $mb) (i32.const 16))))
    (if (call $sym (local.get $h) (i32.add (global.get $mb) (i32.const 8)) (i32.const 5)
                   (global.get $mb) (i32.add (global.get $mb) (i32.const 20))
                   (i32.add (global.get $mb) (i32.const 24)))
      (then unreachable))
    (global.set $result (call_indirect (type $v_i) (i32.load (i32.add (global.get $mb) (i32.const 24)))))
    (if (call $close (local.get $h)) (then unreachable)))
  (func (export "nest_f") (result i32) (global.get $result)))"#
        ),
    )
}

/// A large, aligned data block and table area.
fn lib_big() -> Vec<u8> {
    side_module(
        &Dylink::new().mem_info(1 << 20, 12, 64, 4),
        &format!(
            r#"(module {PROLOGUE}
  (func $f (export "big_f") (result i32) (i32.const 9))
  (elem (global.get $tb) func $f $f $f)
  (global (export "big_data") i32 (i32.const 4096)))"#
        ),
    )
}

/// Looks a symbol up in the libraries it needs when called (dlsym with RTLD_NEXT from inside).
fn lib_next() -> Vec<u8> {
    side_module(
        &Dylink::new().mem_info(16, 2, 0, 0).needed(&["liba.so"]),
        &format!(
            r#"(module {PROLOGUE}
  (import "env" "do_sym" (func $sym (param i32 i32 i32 i32 i32 i32) (result i32)))
  (data (global.get $mb) "a_get")
  (func (export "next_f") (result i32)
    (call $sym (i32.const -1) (global.get $mb) (i32.const 5) (global.get $mb)
               (i32.add (global.get $mb) (i32.const 8)) (i32.add (global.get $mb) (i32.const 12)))))"#
        ),
    )
}

/// The names the `ops` target opens, with their bytes (None: not registered at all).
pub fn fixed_libraries() -> Vec<(&'static str, Option<Vec<u8>>)> {
    vec![
        ("liba.so", Some(lib_a())),
        ("libb.so", Some(lib_b())),
        ("libc1.so", Some(lib_cycle("c1", "c2"))),
        ("libc2.so", Some(lib_cycle("c2", "c1"))),
        ("libtrap.so", Some(lib_trap_ctor())),
        ("libstart.so", Some(lib_trap_start())),
        ("libundef.so", Some(lib_undefined())),
        ("libweak.so", Some(lib_weak())),
        ("libself.so", Some(lib_self())),
        ("libnest.so", Some(lib_nest())),
        ("libbig.so", Some(lib_big())),
        ("libnext.so", Some(lib_next())),
        ("liba2.so", Some(lib_a())),
        ("notwasm.so", Some(b"\x7fELF not a wasm module".to_vec())),
        ("libmissing.so", None),
    ]
}

pub(crate) const SYMBOLS: &[&str] = &[
    "a_get",
    "a_inc",
    "a_data",
    "b_get",
    "b_data",
    "b_inc",
    "b_prog",
    "c1_f",
    "c1_g",
    "c2_f",
    "c2_g",
    "u_call",
    "w_call",
    "self_f",
    "nest_f",
    "big_f",
    "big_data",
    "next_f",
    "prog_fn",
    "prog_data",
    "__wasm_call_ctors",
    "memory",
    "nowhere",
];

// ---------------------------------------------------------------------------------------------
// The world: engine, main program, linker
