//! The main program the harness runs (hand-written WAT that follows the contract), where it
//! keeps its arguments, and the flags it passes.

/// A main program that follows the contract, in WAT: memory, table, stack pointer, an
/// allocator that counts its live blocks (and sums their addresses, so that a free of a wrong
/// pointer shows), and exports that forward to the raw `wasi_dl` imports.
pub const MAIN_WAT: &str = r#"
(module
  (type $v_i (func (result i32)))
  (import "wasi_dl" "open" (func $open (param i32 i32 i32 i32 i32) (result i32)))
  (import "wasi_dl" "sym" (func $sym (param i32 i32 i32 i32 i32 i32) (result i32)))
  (import "wasi_dl" "close" (func $close (param i32) (result i32)))
  (import "wasi_dl" "last_error" (func $last_error (param i32 i32 i32) (result i32)))
  (import "wasi_dl" "addr" (func $addr (param i32 i32 i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 4)
  (table $t (export "__indirect_function_table") 2 funcref)
  (elem (table $t) (i32.const 1) func $prog_fn)
  (global $sp (export "__stack_pointer") (mut i32) (i32.const 0x10000))
  (global (export "__heap_base") i32 (i32.const 0x20000))
  (global (export "prog_data") i32 (i32.const 0x100))
  (global $heap (mut i32) (i32.const 0x20000))
  (global $live (mut i32) (i32.const 0))
  (global $sum (mut i64) (i64.const 0))
  (data (i32.const 0x100) "\07\00\00\00")
  (func $prog_fn (export "prog_fn") (result i32) (i32.const 7))
  (func (export "__wasi_dl_alloc") (param $size i32) (param $align i32) (result i32)
    (local $p i64) (local $end i64) (local $pages i64)
    (if (i32.eqz (local.get $align)) (then (local.set $align (i32.const 1))))
    (if (i32.and (local.get $align) (i32.sub (local.get $align) (i32.const 1)))
      (then (return (i32.const 0))))
    (local.set $p
      (i64.and
        (i64.add (i64.extend_i32_u (global.get $heap))
                 (i64.sub (i64.extend_i32_u (local.get $align)) (i64.const 1)))
        (i64.sub (i64.const 0) (i64.extend_i32_u (local.get $align)))))
    (local.set $end (i64.add (local.get $p) (i64.extend_i32_u (local.get $size))))
    (if (i32.eqz (local.get $size)) (then (local.set $end (i64.add (local.get $p) (i64.const 1)))))
    ;; a 64 MiB heap at most
    (if (i64.gt_u (local.get $end) (i64.const 0x4000000)) (then (return (i32.const 0))))
    (local.set $pages (i64.shr_u (i64.add (local.get $end) (i64.const 0xffff)) (i64.const 16)))
    (if (i64.gt_u (local.get $pages) (i64.extend_i32_u (memory.size)))
      (then
        (if (i32.eq (memory.grow (i32.wrap_i64 (i64.sub (local.get $pages) (i64.extend_i32_u (memory.size)))))
                    (i32.const -1))
          (then (return (i32.const 0))))))
    (global.set $heap (i32.wrap_i64 (local.get $end)))
    (global.set $live (i32.add (global.get $live) (i32.const 1)))
    (global.set $sum (i64.add (global.get $sum) (local.get $p)))
    (i32.wrap_i64 (local.get $p)))
  (func (export "__wasi_dl_free") (param $p i32)
    (if (local.get $p)
      (then
        (global.set $live (i32.sub (global.get $live) (i32.const 1)))
        (global.set $sum (i64.sub (global.get $sum) (i64.extend_i32_u (local.get $p)))))))
  (func (export "live_blocks") (result i32) (global.get $live))
  (func (export "block_sum") (result i64) (global.get $sum))
  (func (export "do_open") (param i32 i32 i32 i32 i32) (result i32)
    (call $open (local.get 0) (local.get 1) (local.get 2) (local.get 3) (local.get 4)))
  (func (export "do_sym") (param i32 i32 i32 i32 i32 i32) (result i32)
    (call $sym (local.get 0) (local.get 1) (local.get 2) (local.get 3) (local.get 4) (local.get 5)))
  (func (export "do_close") (param i32) (result i32) (call $close (local.get 0)))
  (func (export "do_last_error") (param i32 i32 i32) (result i32)
    (call $last_error (local.get 0) (local.get 1) (local.get 2)))
  (func (export "do_addr") (param i32 i32 i32 i32 i32 i32) (result i32)
    (call $addr (local.get 0) (local.get 1) (local.get 2) (local.get 3) (local.get 4) (local.get 5)))
  (func (export "call_v_i") (param i32) (result i32) (call_indirect (type $v_i) (local.get 0)))
)
"#;

/// Scratch memory of the main program the harness writes arguments to (below the stack).
pub(crate) const SCRATCH: u32 = 0x1000;
pub(crate) const OUT: u32 = 0x7000;
/// Flags the harness passes (musl's RTLD_* values).
pub const RTLD_LAZY: u32 = 1;
pub const RTLD_NOW: u32 = 2;
pub const RTLD_NOLOAD: u32 = 4;
pub const RTLD_GLOBAL: u32 = 0x100;
pub const RTLD_NODELETE: u32 = 0x1000;
