//! The fuzzing harness of wasi-dl: what the cargo-fuzz targets in `fuzz_targets/` run, and what
//! `host/tests/fuzz_corpus.rs` replays on stable Rust for every file of `corpus/<target>/`
//! (it includes this file with `#[path]`, so both use the very same functions).
//!
//! Every entry point takes arbitrary bytes and panics when an invariant breaks:
//! - [`dylink_read`]: the `dylink.0` reader never panics, and agrees with wasmparser's own
//!   reader whenever it accepts a module;
//! - [`load_module`]: the bytes, registered as `libfuzz.so`, are dlopened by a tiny main program
//!   (hand-written WAT with a counting allocator): success or a precise error, never a host panic;
//!   after a failure the loader and the program are as before (no library, no data block left);
//!   a second attempt fails the same way; after `dlclose` nothing is left;
//! - [`ops`]: the bytes are a list of open/sym/close/last_error/addr calls (well-formed and
//!   hostile) on a fixed set of side modules, driven through the raw `wasi_dl` imports; after
//!   every call the program's data blocks match the loaded libraries, every failure has a
//!   message, and closing every handle leaves nothing loaded.
//!
//! The main program and the side modules are generated here (WAT plus a hand-encoded
//! `dylink.0` section, see [`enc`]), so the harness needs no C toolchain. Guest code runs with
//! fuel, so a module that loops forever traps instead of hanging the fuzzer.

#![allow(dead_code)]

use std::sync::{Arc, OnceLock};

use wasi_dl::{Limits, ModuleCache, WasiDlCtx};
use wasmtime::{Config, Engine, Instance, Linker, Module, OptLevel, Store, TypedFunc};

/// Encoding side modules: LEB128, names, a `dylink.0` section builder.
pub mod enc {
    /// Unsigned LEB128.
    pub fn leb(mut v: u64, out: &mut Vec<u8>) {
        loop {
            let byte = (v & 0x7f) as u8;
            v >>= 7;
            if v == 0 {
                out.push(byte);
                return;
            }
            out.push(byte | 0x80);
        }
    }

    /// A wasm name: length, then the bytes (which need not be UTF-8 here).
    pub fn name(s: &[u8], out: &mut Vec<u8>) {
        leb(s.len() as u64, out);
        out.extend_from_slice(s);
    }

    pub const MEM_INFO: u8 = 1;
    pub const NEEDED: u8 = 2;
    pub const EXPORT_INFO: u8 = 3;
    pub const IMPORT_INFO: u8 = 4;
    pub const RUNTIME_PATH: u8 = 5;

    /// The payload of a `dylink.0` section, built subsection by subsection.
    #[derive(Default, Clone, Debug)]
    pub struct Dylink(pub Vec<u8>);

    impl Dylink {
        pub fn new() -> Self {
            Self::default()
        }
        /// A subsection with an arbitrary payload.
        pub fn sub(mut self, id: u8, payload: &[u8]) -> Self {
            self.0.push(id);
            leb(payload.len() as u64, &mut self.0);
            self.0.extend_from_slice(payload);
            self
        }
        /// Raw bytes appended as they are (for malformed sections).
        pub fn raw(mut self, bytes: &[u8]) -> Self {
            self.0.extend_from_slice(bytes);
            self
        }
        pub fn mem_info(self, mem: u32, mem_align: u32, table: u32, table_align: u32) -> Self {
            let mut p = Vec::new();
            for v in [mem, mem_align, table, table_align] {
                leb(v.into(), &mut p);
            }
            self.sub(MEM_INFO, &p)
        }
        pub fn strings(self, id: u8, names: &[&str]) -> Self {
            let mut p = Vec::new();
            leb(names.len() as u64, &mut p);
            for n in names {
                name(n.as_bytes(), &mut p);
            }
            self.sub(id, &p)
        }
        pub fn needed(self, names: &[&str]) -> Self {
            self.strings(NEEDED, names)
        }
        pub fn runtime_path(self, paths: &[&str]) -> Self {
            self.strings(RUNTIME_PATH, paths)
        }
        pub fn import_info(self, entries: &[(&str, &str, u32)]) -> Self {
            let mut p = Vec::new();
            leb(entries.len() as u64, &mut p);
            for (module, field, flags) in entries {
                name(module.as_bytes(), &mut p);
                name(field.as_bytes(), &mut p);
                leb((*flags).into(), &mut p);
            }
            self.sub(IMPORT_INFO, &p)
        }
        pub fn export_info(self, entries: &[(&str, u32)]) -> Self {
            let mut p = Vec::new();
            leb(entries.len() as u64, &mut p);
            for (n, flags) in entries {
                name(n.as_bytes(), &mut p);
                leb((*flags).into(), &mut p);
            }
            self.sub(EXPORT_INFO, &p)
        }
    }

    /// A whole custom section: id 0, size, name, data.
    pub fn custom_section(section_name: &str, data: &[u8]) -> Vec<u8> {
        let mut body = Vec::new();
        name(section_name.as_bytes(), &mut body);
        body.extend_from_slice(data);
        let mut out = vec![0u8];
        leb(body.len() as u64, &mut out);
        out.extend_from_slice(&body);
        out
    }

    /// `module` (a binary module) with `section` inserted right after the 8-byte header.
    pub fn with_first_section(module: &[u8], section: &[u8]) -> Vec<u8> {
        [&module[..8], section, &module[8..]].concat()
    }

    /// `module` with `section` appended at its end.
    pub fn with_last_section(module: &[u8], section: &[u8]) -> Vec<u8> {
        [module, section].concat()
    }

    /// A side module: the module written in `wat`, with `dylink` as its first section.
    pub fn side_module(dylink: &Dylink, wat: &str) -> Vec<u8> {
        let module = wat::parse_str(wat).expect("the harness's WAT is valid");
        with_first_section(&module, &custom_section("dylink.0", &dylink.0))
    }

    /// The imports every side module starts with (memory, table, bases).
    pub const PROLOGUE: &str = r#"
  (import "env" "memory" (memory 0))
  (import "env" "__indirect_function_table" (table 0 funcref))
  (import "env" "__memory_base" (global $mb i32))
  (import "env" "__table_base" (global $tb i32))"#;
}

use enc::{side_module, Dylink, PROLOGUE};

// ---------------------------------------------------------------------------------------------
// The main program

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
const SCRATCH: u32 = 0x1000;
const OUT: u32 = 0x7000;
/// Flags the harness passes (musl's RTLD_* values).
pub const RTLD_LAZY: u32 = 1;
pub const RTLD_NOW: u32 = 2;
pub const RTLD_NOLOAD: u32 = 4;
pub const RTLD_GLOBAL: u32 = 0x100;
pub const RTLD_NODELETE: u32 = 0x1000;

// ---------------------------------------------------------------------------------------------
// The fixed side modules

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

const SYMBOLS: &[&str] = &[
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

pub struct State {
    pub dl: WasiDlCtx,
}

struct World {
    engine: Engine,
    main: Module,
    linker: Linker<State>,
    libs: Vec<(&'static str, Option<Arc<[u8]>>)>,
    /// Compiled fixed libraries, shared by every `ops` run.
    cache: ModuleCache,
}

fn world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(|| {
        let mut config = Config::new();
        config.consume_fuel(true);
        config.cranelift_opt_level(OptLevel::None);
        let engine = Engine::new(&config).expect("valid engine configuration");
        let main = Module::new(&engine, MAIN_WAT).expect("the main program compiles");
        let mut linker = Linker::new(&engine);
        wasi_dl::add_to_linker(&mut linker, |s: &mut State| &mut s.dl).expect("wasi_dl imports");
        let libs = fixed_libraries()
            .into_iter()
            .map(|(n, b)| (n, b.map(Arc::from)))
            .collect();
        World {
            engine,
            main,
            linker,
            libs,
            cache: ModuleCache::new(),
        }
    })
}

/// Fuel for one top-level call (a call with all its constructors).
const FUEL: u64 = 2_000_000;

/// The limits the harness runs with: the defaults, made small enough to fuzz fast.
pub fn fuzz_limits() -> Limits {
    Limits {
        max_libraries: 64,
        max_data_bytes: 16 << 20,
        max_table_slots: 1 << 16,
        max_module_bytes: 1 << 20,
        max_module_functions: 10_000,
        max_dependency_depth: 32,
        max_align_log2: 16,
        max_parked_libraries: 4,
        max_parked_bytes: 1 << 20,
        ..Limits::default()
    }
}

/// One program run: a store with the main program instantiated.
pub struct Session {
    store: Store<State>,
    instance: Instance,
    open: TypedFunc<(u32, u32, u32, u32, u32), u32>,
    sym: TypedFunc<(u32, u32, u32, u32, u32, u32), u32>,
    close: TypedFunc<u32, u32>,
    last_error: TypedFunc<(u32, u32, u32), u32>,
    addr: TypedFunc<(u32, u32, u32, u32, u32, u32), u32>,
    call: TypedFunc<u32, u32>,
    live: TypedFunc<(), u32>,
    sum: TypedFunc<(), i64>,
    /// The program ran out of fuel (a module looped): it cannot run any more code, not even
    /// the allocator's `free` the loader calls while rolling back, so the checks stop here.
    pub dead: bool,
}

/// Largest errno of the witx ABI.
const MAX_ERRNO: u32 = 12;

impl Session {
    /// A fresh program. `extra` modules are registered besides the fixed libraries; `cache`:
    /// the shared one, or a fresh one (so that fuzz inputs do not pile up in a cache).
    pub fn new(extra: &[(&str, &[u8])], shared_cache: bool) -> Session {
        let w = world();
        let mut builder = WasiDlCtx::builder().limits(fuzz_limits());
        let cache = if shared_cache {
            w.cache.clone()
        } else {
            ModuleCache::new()
        };
        builder = builder
            .cache(cache)
            .expect("an in-memory cache overlaps no grant");
        for (name, bytes) in &w.libs {
            if let Some(bytes) = bytes {
                builder = builder.module_bytes(name, bytes.clone());
            }
        }
        for (name, bytes) in extra {
            builder = builder.module_bytes(name, bytes.to_vec());
        }
        let mut store = Store::new(
            &w.engine,
            State {
                dl: builder.build(),
            },
        );
        store.set_fuel(FUEL).expect("fuel is enabled");
        let instance = w
            .linker
            .instantiate(&mut store, &w.main)
            .expect("the main program links");
        macro_rules! f {
            ($name:literal) => {
                instance.get_typed_func(&mut store, $name).expect($name)
            };
        }
        Session {
            open: f!("do_open"),
            sym: f!("do_sym"),
            close: f!("do_close"),
            last_error: f!("do_last_error"),
            addr: f!("do_addr"),
            call: f!("call_v_i"),
            live: f!("live_blocks"),
            sum: f!("block_sum"),
            dead: false,
            instance,
            store,
        }
    }

    fn refuel(&mut self) {
        self.store.set_fuel(FUEL).expect("fuel is enabled");
    }

    /// Writes `bytes` into the program's memory at `at`.
    pub fn put(&mut self, at: u32, bytes: &[u8]) {
        let memory = self
            .instance
            .get_memory(&mut self.store, "memory")
            .expect("memory");
        memory
            .write(&mut self.store, at as usize, bytes)
            .expect("scratch is in bounds");
    }

    pub fn read_u32(&mut self, at: u32) -> u32 {
        let memory = self
            .instance
            .get_memory(&mut self.store, "memory")
            .expect("memory");
        let mut b = [0u8; 4];
        memory
            .read(&mut self.store, at as usize, &mut b)
            .expect("in bounds");
        u32::from_le_bytes(b)
    }

    /// An import call's errno. The host never traps on a `wasi_dl` call: a trap here is a bug.
    fn errno(&mut self, what: &str, r: wasmtime::Result<u32>) -> u32 {
        let out_of_fuel = self.store.get_fuel().is_ok_and(|f| f == 0);
        let errno = match r {
            Ok(_) | Err(_) if out_of_fuel => {
                self.dead = true;
                return u32::MAX;
            }
            Ok(e) => e,
            Err(e) => panic!("{what}: the host trapped or failed: {e:#}"),
        };
        assert!(
            errno <= MAX_ERRNO,
            "{what}: errno {errno} is not in the ABI"
        );
        if errno != 0 {
            let text = self.error_text();
            assert!(!text.is_empty(), "{what}: errno {errno} without a message");
        }
        errno
    }

    /// The last error's text (through the raw import, as a guest reads it).
    pub fn error_text(&mut self) -> String {
        self.refuel();
        let r = self
            .last_error
            .call(&mut self.store, (OUT + 64, 4096, OUT + 60));
        assert_eq!(r.ok(), Some(0), "last_error with valid buffers fails");
        let len = self.read_u32(OUT + 60).min(4096) as usize;
        let memory = self
            .instance
            .get_memory(&mut self.store, "memory")
            .expect("memory");
        let mut buf = vec![0u8; len];
        memory
            .read(&mut self.store, (OUT + 64) as usize, &mut buf)
            .expect("in bounds");
        String::from_utf8(buf).expect("error texts are UTF-8")
    }

    /// `open(name, flags)`: (errno, handle).
    pub fn open(&mut self, name: &[u8], flags: u32) -> (u32, u32) {
        let name = &name[..name.len().min(0x3000)];
        self.put(SCRATCH, name);
        self.put(OUT, &[0; 4]);
        self.refuel();
        let r = self
            .open
            .call(&mut self.store, (SCRATCH, name.len() as u32, flags, 0, OUT));
        let errno = self.errno("open", r);
        (errno, if errno == 0 { self.read_u32(OUT) } else { 0 })
    }

    pub fn raw_open(&mut self, ptr: u32, len: u32, flags: u32, caller: u32, out: u32) -> u32 {
        self.refuel();
        let r = self
            .open
            .call(&mut self.store, (ptr, len, flags, caller, out));
        self.errno("raw open", r)
    }

    /// `sym(handle, name)`: (errno, kind, value).
    pub fn sym(&mut self, handle: u32, name: &[u8], caller: u32) -> (u32, u32, u32) {
        let name = &name[..name.len().min(0x3000)];
        self.put(SCRATCH, name);
        self.refuel();
        let r = self.sym.call(
            &mut self.store,
            (handle, SCRATCH, name.len() as u32, caller, OUT, OUT + 4),
        );
        let errno = self.errno("sym", r);
        if errno == 0 {
            let kind = self.read_u32(OUT) & 0xff;
            (0, kind, self.read_u32(OUT + 4))
        } else {
            (errno, 0, 0)
        }
    }

    pub fn raw_sym(&mut self, args: (u32, u32, u32, u32, u32, u32)) -> u32 {
        self.refuel();
        let r = self.sym.call(&mut self.store, args);
        self.errno("raw sym", r)
    }

    pub fn close(&mut self, handle: u32) -> u32 {
        self.refuel();
        let r = self.close.call(&mut self.store, handle);
        self.errno("close", r)
    }

    pub fn raw_last_error(&mut self, buf: u32, len: u32, len_out: u32) -> u32 {
        self.refuel();
        let r = self.last_error.call(&mut self.store, (buf, len, len_out));
        self.errno("last_error", r)
    }

    pub fn raw_addr(&mut self, args: (u32, u32, u32, u32, u32, u32)) -> u32 {
        self.refuel();
        let r = self.addr.call(&mut self.store, args);
        self.errno("addr", r)
    }

    /// Calls a function pointer `() -> i32`; a trap (wrong type, guest fault) is fine.
    pub fn call(&mut self, index: u32) -> Option<u32> {
        self.refuel();
        let r = self.call.call(&mut self.store, index).ok();
        if self.store.get_fuel().is_ok_and(|f| f == 0) {
            self.dead = true;
        }
        r
    }

    pub fn loaded(&self) -> usize {
        self.store.data().dl.loaded_libraries()
    }

    /// Closed libraries kept for reuse (each still holds its data block).
    pub fn parked(&self) -> usize {
        self.store.data().dl.parked_libraries()
    }

    /// Asserts that the only data blocks left are those of parked libraries.
    pub fn check_no_blocks_but_parked(&mut self, context: &str) {
        let (live, _) = self.blocks();
        assert_eq!(
            live as usize,
            self.parked(),
            "{context}: data blocks left besides parked libraries"
        );
    }

    /// Outstanding blocks of the program's allocator, and the sum of their addresses.
    pub fn blocks(&mut self) -> (u32, i64) {
        self.refuel();
        let live = self.live.call(&mut self.store, ()).expect("live_blocks");
        let sum = self.sum.call(&mut self.store, ()).expect("block_sum");
        (live, sum)
    }

    /// The program's shadow stack pointer.
    pub fn stack_pointer(&mut self) -> i32 {
        let sp = self
            .instance
            .get_global(&mut self.store, "__stack_pointer")
            .expect("__stack_pointer");
        sp.get(&mut self.store).i32().expect("an i32")
    }

    pub fn table_size(&mut self) -> u64 {
        let table = self
            .instance
            .get_table(&mut self.store, "__indirect_function_table")
            .expect("table");
        table.size(&self.store)
    }

    /// Every library, loaded or parked for reuse, holds exactly one data block from the
    /// program's allocator.
    pub fn check_blocks(&mut self, context: &str) {
        if self.dead {
            return;
        }
        let (live, _) = self.blocks();
        let (loaded, parked) = (self.loaded(), self.parked());
        assert_eq!(
            live as usize,
            loaded + parked,
            "{context}: {live} data blocks for {loaded} loaded and {parked} parked libraries"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Target 1: the dylink.0 reader

/// `wasi_dl::dylink::read` on arbitrary bytes: no panic; when it accepts the module,
/// wasmparser's reader of the same section agrees on MEM_INFO and NEEDED.
pub fn dylink_read(data: &[u8]) {
    let Ok(info) = wasi_dl::dylink::read(data) else {
        return;
    };
    assert!(info.mem.memory_align_log2 <= 31 && info.mem.table_align_log2 <= 31);
    // The reference: wasmparser's own dylink.0 reader, on the first section.
    use wasmparser::{Dylink0Subsection, KnownCustom, Parser, Payload};
    let mut mem = None;
    let mut needed = Vec::new();
    for payload in Parser::new(0).parse_all(data) {
        let Ok(payload) = payload else { break };
        if let Payload::CustomSection(c) = payload {
            if let KnownCustom::Dylink0(reader) = c.as_known() {
                for sub in reader {
                    let sub = match sub {
                        Ok(sub) => sub,
                        // The convention says a subsection id is a uint8; wasmparser reads a
                        // u7. Ids from 128 up are unknown subsections wasi-dl skips.
                        Err(e) if e.message() == "invalid u7" => return,
                        Err(e) => {
                            panic!("wasi-dl accepted a dylink.0 section wasmparser rejects: {e}")
                        }
                    };
                    match sub {
                        Dylink0Subsection::MemInfo(m) => {
                            mem = Some((
                                m.memory_size,
                                m.memory_alignment,
                                m.table_size,
                                m.table_alignment,
                            ))
                        }
                        Dylink0Subsection::Needed(n) => {
                            needed.extend(n.iter().map(|s| s.to_string()))
                        }
                        _ => {}
                    }
                }
                break;
            }
        }
    }
    let m = info.mem;
    let ours = (
        m.memory_size,
        m.memory_align_log2,
        m.table_size,
        m.table_align_log2,
    );
    assert_eq!(
        mem.unwrap_or_default(),
        ours,
        "MEM_INFO differs from wasmparser's reading"
    );
    assert_eq!(
        needed, info.needed,
        "NEEDED differs from wasmparser's reading"
    );
}

// ---------------------------------------------------------------------------------------------
// Target 2: loading arbitrary bytes as a library

/// Registers `data` as `libfuzz.so` and dlopens it (RTLD_NOW, then RTLD_LAZY).
pub fn load_module(data: &[u8]) {
    let mut s = Session::new(&[("libfuzz.so", data)], false);
    let (errno, handle) = s.open(b"libfuzz.so", RTLD_NOW);
    if s.dead {
        return;
    }
    s.check_blocks("after dlopen(libfuzz.so)");
    if errno != 0 {
        s.check_gone("libfuzz.so", "after a failed dlopen");
        let first = s.error_text();
        let table_after_first = s.table_size();
        // A failure leaves everything as it was: trying again fails the same way, and grows
        // nothing further (slots the first attempt added are reused).
        let (again, _) = s.open(b"libfuzz.so", RTLD_NOW);
        if s.dead {
            return;
        }
        assert_eq!(
            again,
            errno,
            "second attempt differs: first {first:?}, then {:?}",
            s.error_text()
        );
        s.check_gone("libfuzz.so", "after a second failed dlopen");
        s.check_blocks("after a second failed dlopen");
        assert_eq!(
            s.table_size(),
            table_after_first,
            "a repeated failure grew the table again"
        );
        let (lazy, handle) = s.open(b"libfuzz.so", RTLD_LAZY);
        if s.dead {
            return;
        }
        s.check_blocks("after dlopen(libfuzz.so, RTLD_LAZY)");
        if lazy == 0 {
            let closed = s.close(handle);
            if s.dead {
                return;
            }
            assert_eq!(closed, 0);
        }
    } else {
        assert!(s.loaded() >= 1);
        for name in ["f", "main", "a", "a_get", "__wasm_call_ctors", "memory"] {
            let (e, kind, value) = s.sym(handle, name.as_bytes(), 0);
            if s.dead {
                return;
            }
            if e == 0 && kind == 0 {
                let _ = s.call(value);
                if s.dead {
                    return;
                }
            }
            s.check_blocks("after dlsym");
        }
        let closed = s.close(handle);
        if s.dead {
            return;
        }
        assert_eq!(closed, 0, "dlclose failed: {}", s.error_text());
        let (_, still) = s.open(b"libfuzz.so", RTLD_NOLOAD | RTLD_NOW);
        if still == 0 {
            assert_eq!(s.close(handle), 5, "a second dlclose must fail with BADF");
        }
    }
    // Libraries the module's constructors loaded themselves (nested dlopen, also of itself)
    // stay loaded, as after any successful dlopen; closing them must leave nothing.
    s.drain();
    if s.dead {
        return;
    }
    s.check_gone("libfuzz.so", "after closing");
    s.check_blocks("after closing");
    if s.loaded() == 0 {
        s.check_no_blocks_but_parked("after closing");
    }
}

impl Session {
    /// Asserts that `name` is not loaded (and left no data block: see `check_blocks`).
    pub fn check_gone(&mut self, name: &str, context: &str) {
        let (errno, handle) = self.open(name.as_bytes(), RTLD_NOLOAD | RTLD_NOW);
        if self.dead {
            return;
        }
        assert_eq!((errno, handle), (0, 0), "{context}: {name} is still loaded");
        self.check_blocks(context);
    }

    /// Closes every reference to the fixed libraries and libfuzz.so that is left.
    pub fn drain(&mut self) {
        let mut names: Vec<&str> = world().libs.iter().map(|(n, _)| *n).collect();
        names.push("libfuzz.so");
        for name in names {
            for _ in 0..64 {
                let (errno, handle) = self.open(name.as_bytes(), RTLD_NOLOAD | RTLD_NOW);
                if self.dead || errno != 0 || handle == 0 {
                    break;
                }
                // The NOLOAD reference, then one somebody left.
                let _ = self.close(handle);
                if self.dead || self.close(handle) != 0 {
                    break;
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Target 3: sequences of calls

/// Reads the op list from the bytes.
struct Bytes<'a>(&'a [u8]);

impl Bytes<'_> {
    fn u8(&mut self) -> Option<u8> {
        let (&b, rest) = self.0.split_first()?;
        self.0 = rest;
        Some(b)
    }
    fn u32(&mut self) -> Option<u32> {
        let mut v = [0u8; 4];
        for b in &mut v {
            *b = self.u8()?;
        }
        Some(u32::from_le_bytes(v))
    }
    /// A u32 that is usually interesting: small, near the end of memory, or anything.
    fn addr(&mut self) -> Option<u32> {
        Some(match self.u8()? % 6 {
            0 => SCRATCH + u32::from(self.u8()?),
            1 => 0,
            2 => 0xffff_fff0 + u32::from(self.u8()? & 0xf),
            3 => 4 * 65536 - u32::from(self.u8()?),
            4 => OUT + u32::from(self.u8()?),
            _ => self.u32()?,
        })
    }
    fn len(&mut self) -> Option<u32> {
        Some(match self.u8()? % 4 {
            0 => u32::from(self.u8()?),
            1 => 0,
            2 => u32::MAX - u32::from(self.u8()?),
            _ => self.u32()?,
        })
    }
}

const FLAGS: &[u32] = &[
    RTLD_NOW,
    RTLD_LAZY,
    RTLD_NOW | RTLD_GLOBAL,
    RTLD_LAZY | RTLD_GLOBAL,
    RTLD_NOW | RTLD_NOLOAD,
    RTLD_NOW | RTLD_NODELETE,
    0,
    0x8000_0000,
    0x20,
];

/// Interprets `data` as calls on the fixed libraries.
pub fn ops(data: &[u8]) {
    let names: Vec<&str> = world().libs.iter().map(|(n, _)| *n).collect();
    let mut s = Session::new(&[], true);
    let mut input = Bytes(data);
    // Handles from successful opens (one entry per reference), function pointers from sym.
    let mut handles: Vec<u32> = Vec::new();
    let mut functions: Vec<u32> = Vec::new();
    let mut nodelete = false;
    let mut pinned = false;
    let mut steps = 0;
    while let Some(op) = input.u8() {
        steps += 1;
        if steps > 200 {
            break;
        }
        let Some(arg) = input.u8() else { break };
        let context = format!("step {steps} (op {op})");
        match op % 12 {
            0 | 1 => {
                let name = names[usize::from(arg) % names.len()];
                let flags = FLAGS[usize::from(input.u8().unwrap_or(0)) % FLAGS.len()];
                let loaded = s.loaded();
                let (errno, handle) = s.open(name.as_bytes(), flags);
                if s.dead {
                    return;
                }
                if errno == 0 {
                    if handle == 0 {
                        // NOLOAD of a library that is not loaded: NULL, nothing to close.
                        assert_eq!(s.loaded(), loaded, "{context}: NOLOAD loaded something");
                    } else {
                        handles.push(handle);
                        nodelete |= flags & RTLD_NODELETE != 0;
                    }
                } else {
                    assert_eq!(
                        s.loaded(),
                        loaded,
                        "{context}: failed dlopen({name}) changed the loaded set"
                    );
                }
            }
            2 => {
                if handles.is_empty() {
                    continue;
                }
                let i = usize::from(arg) % handles.len();
                let errno = s.close(handles[i]);
                if s.dead {
                    return;
                }
                if errno == 0 {
                    handles.remove(i);
                } else {
                    // Only a destructor could make a close fail, and there are none here.
                    panic!(
                        "{context}: dlclose of an open handle failed: {}",
                        s.error_text()
                    );
                }
            }
            3 | 4 => {
                let handle = match arg % 4 {
                    0 if !handles.is_empty() => handles[usize::from(arg / 4) % handles.len()],
                    1 => 0,
                    2 => u32::MAX,
                    _ => 1,
                };
                let name = SYMBOLS[usize::from(input.u8().unwrap_or(0)) % SYMBOLS.len()];
                let caller = input.addr().unwrap_or(0);
                let (errno, kind, value) = s.sym(handle, name.as_bytes(), caller);
                // As in glibc, what RTLD_DEFAULT finds in a library keeps that library loaded
                // (for good, or while the calling library is).
                pinned |= errno == 0 && handle == 0;
                if errno == 0 && kind == 0 {
                    functions.push(value);
                }
            }
            5 => {
                if let Some(&f) = functions.get(usize::from(arg) % functions.len().max(1)) {
                    let _ = s.call(f);
                } else {
                    let _ = s.call(u32::from(arg));
                }
            }
            6 => {
                let (buf, len, out) = (input.addr(), input.len(), input.addr());
                let (Some(buf), Some(len), Some(out)) = (buf, len, out) else {
                    break;
                };
                let _ = s.raw_last_error(buf, len, out);
            }
            7 => {
                let address = match arg % 3 {
                    0 => input.addr().unwrap_or(0),
                    1 => functions.last().copied().unwrap_or(1),
                    _ => u32::from(arg) << 8,
                };
                let (a, b, c) = (input.addr(), input.len(), input.addr());
                let (Some(a), Some(b), Some(c)) = (a, b, c) else {
                    break;
                };
                let _ = s.raw_addr((address, a, b & 0xffff, c, b >> 16, OUT));
            }
            8 => {
                let (ptr, len, out) = (input.addr(), input.len(), input.addr());
                let (Some(ptr), Some(len), Some(out)) = (ptr, len, out) else {
                    break;
                };
                let flags = FLAGS[usize::from(arg) % FLAGS.len()];
                let loaded = s.loaded();
                let errno = s.raw_open(ptr, len, flags, 0, out);
                if s.dead {
                    return;
                }
                if errno == 0 {
                    // The bytes at `ptr` may name a library: then it is loaded (or referenced
                    // once more), and its handle is where `out` points.
                    let handle = s.read_u32(out);
                    if handle > 1 {
                        handles.push(handle);
                        nodelete |= flags & RTLD_NODELETE != 0;
                    }
                } else {
                    assert_eq!(
                        s.loaded(),
                        loaded,
                        "{context}: a failed raw open changed the loaded set"
                    );
                }
            }
            9 => {
                let (ptr, len, kind, value) =
                    (input.addr(), input.len(), input.addr(), input.addr());
                let (Some(ptr), Some(len), Some(kind), Some(value)) = (ptr, len, kind, value)
                else {
                    break;
                };
                let handle = handles.first().copied().unwrap_or(0);
                let errno = s.raw_sym((handle, ptr, len, 0, kind, value));
                pinned |= errno == 0 && handle == 0;
            }
            10 => {
                let forged = input.u32().unwrap_or(u32::from(arg));
                if handles.contains(&forged) || forged == 1 {
                    continue;
                }
                let errno = s.close(forged);
                assert!(
                    s.dead || errno != 0,
                    "{context}: closing a forged handle {forged:#x} succeeded"
                );
            }
            _ => {
                let name = names[usize::from(arg) % names.len()];
                // A NOLOAD hit is one more reference; a miss returns handle 0.
                let (errno, handle) = s.open(name.as_bytes(), RTLD_NOLOAD | RTLD_NOW);
                if errno == 0 && handle > 1 {
                    handles.push(handle);
                }
            }
        }
        if s.dead {
            return;
        }
        s.check_blocks(&context);
    }
    // Close everything: then nothing is left (unless something was opened NODELETE, or pinned
    // by an RTLD_DEFAULT lookup).
    while let Some(handle) = handles.pop() {
        let errno = s.close(handle);
        if s.dead {
            return;
        }
        assert_eq!(
            errno,
            0,
            "final dlclose({handle:#x}) failed: {}",
            s.error_text()
        );
        s.check_blocks("final close");
    }
    if !nodelete && !pinned {
        assert_eq!(s.loaded(), 0, "libraries left after closing every handle");
        s.check_no_blocks_but_parked("after closing every handle");
    }
}
