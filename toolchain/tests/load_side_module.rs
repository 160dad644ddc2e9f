//! End to end from the consumer's side: a side module built by the driver is
//! loaded by hand (a minimal dylink.0 loader, written here only for this
//! check) into a main program built by the driver, and its calls into libc,
//! libc data and compiler-rt builtins are all satisfied by the main's exports,
//! in full mode and in slim mode.

mod common;

use common::*;
use std::path::Path;
use wasi_dl_toolchain::Driver;
use wasmparser::{Dylink0Subsection, KnownCustom, Parser, Payload};
use wasmtime::{
    Engine, Extern, ExternType, Global, GlobalType, Instance, Linker, Module, Mutability, Ref,
    Store, Val, ValType,
};
use wasmtime_wasi::p1::WasiP1Ctx;
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;

const LIB_C: &str = r#"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
static int cmp(const void *a, const void *b) { return *(const int *)a - *(const int *)b; }
static int (*cmp_ptr)(const void *, const void *) = cmp;  /* a data relocation */
int offset = 100;
int sort_and_sum(int *v, int n, const char *tag) {
    qsort(v, n, sizeof *v, cmp_ptr);
    fprintf(stdout, "%s: %d %d %d (%zu)\n", tag, v[0], v[1], v[2], strlen(tag));
    int s = offset;
    for (int i = 0; i < n; i++) s += v[i];
    return s;
}
unsigned long long mul_hi(unsigned long long a, unsigned long long b) {
    return (unsigned long long)(((unsigned __int128)a * b) >> 64);
}
"#;

const MAIN_C: &str = "int main(void) { return 0; }\n";

fn mem_info(bytes: &[u8]) -> (u32, u32, u32) {
    for payload in Parser::new(0).parse_all(bytes) {
        if let Payload::CustomSection(c) = payload.unwrap() {
            if let KnownCustom::Dylink0(reader) = c.as_known() {
                for sub in reader {
                    if let Dylink0Subsection::MemInfo(m) = sub.unwrap() {
                        return (m.memory_size, m.memory_alignment, m.table_size);
                    }
                }
            }
        }
    }
    panic!("no dylink.0 MEM_INFO");
}

/// Loads `lib` into `main`, calls its functions; returns (sum, mul_hi, stdout).
fn load_and_call(main: &Path, lib: &Path) -> (i32, i64, String) {
    let engine = Engine::default();
    let mut linker: Linker<WasiP1Ctx> = Linker::new(&engine);
    wasmtime_wasi::p1::add_to_linker_sync(&mut linker, |t| t).unwrap();
    let main_module = Module::from_file(&engine, main).unwrap();
    linker
        .define_unknown_imports_as_traps(&main_module)
        .unwrap();
    let stdout = MemoryOutputPipe::new(1 << 16);
    let wasi = wasmtime_wasi::WasiCtxBuilder::new()
        .stdout(stdout.clone())
        .build_p1();
    let mut store = Store::new(&engine, wasi);
    let main = linker.instantiate(&mut store, &main_module).unwrap();
    let memory = main.get_memory(&mut store, "memory").unwrap();
    let table = main
        .get_table(&mut store, "__indirect_function_table")
        .unwrap();
    let alloc = main
        .get_typed_func::<(i32, i32), i32>(&mut store, "__wasi_dl_alloc")
        .unwrap();
    let malloc = main
        .get_typed_func::<i32, i32>(&mut store, "malloc")
        .unwrap();

    let bytes = std::fs::read(lib).unwrap();
    let (mem_size, mem_align, table_size) = mem_info(&bytes);
    let memory_base = alloc
        .call(&mut store, (mem_size.max(1) as i32, 1 << mem_align))
        .unwrap();
    let table_base = table
        .grow(&mut store, u64::from(table_size), Ref::Func(None))
        .unwrap();
    let module = Module::new(&engine, &bytes).unwrap();
    let i32_const = |store: &mut Store<WasiP1Ctx>, v: i32, m: Mutability| {
        Global::new(store, GlobalType::new(ValType::I32, m), Val::I32(v)).unwrap()
    };
    let mut imports: Vec<Extern> = Vec::new();
    let mut own_got: Vec<(String, Global, bool)> = Vec::new(); // (symbol, GOT global, is_func)
    for import in module.imports() {
        let (m, name) = (import.module(), import.name());
        let ext: Extern = match (m, name) {
            ("env", "memory") => memory.into(),
            ("env", "__indirect_function_table") => table.into(),
            ("env", "__stack_pointer") => main
                .get_global(&mut store, "__stack_pointer")
                .unwrap()
                .into(),
            ("env", "__memory_base") => {
                i32_const(&mut store, memory_base, Mutability::Const).into()
            }
            ("env", "__table_base") => {
                i32_const(&mut store, table_base as i32, Mutability::Const).into()
            }
            ("env", _) => match import.ty() {
                ExternType::Func(_) => main
                    .get_func(&mut store, name)
                    .unwrap_or_else(|| panic!("the main program does not export {name}"))
                    .into(),
                other => panic!("unexpected env import {name}: {other:?}"),
            },
            ("GOT.mem", _) => match main.get_global(&mut store, name) {
                Some(g) => {
                    let addr = g.get(&mut store).unwrap_i32();
                    i32_const(&mut store, addr, Mutability::Var).into()
                }
                None => {
                    let g = i32_const(&mut store, 0, Mutability::Var);
                    own_got.push((name.to_string(), g, false));
                    g.into()
                }
            },
            ("GOT.func", _) => match main.get_func(&mut store, name) {
                Some(f) => {
                    let slot = table.grow(&mut store, 1, Ref::Func(Some(f))).unwrap();
                    i32_const(&mut store, slot as i32, Mutability::Var).into()
                }
                None => {
                    let g = i32_const(&mut store, 0, Mutability::Var);
                    own_got.push((name.to_string(), g, true));
                    g.into()
                }
            },
            _ => panic!("unexpected import {m}.{name}"),
        };
        imports.push(ext);
    }
    let instance = Instance::new(&mut store, &module, &imports).unwrap();
    for (name, got, is_func) in own_got {
        let value = if is_func {
            let f = instance.get_func(&mut store, &name).unwrap();
            table.grow(&mut store, 1, Ref::Func(Some(f))).unwrap() as i32
        } else {
            let offset = instance
                .get_global(&mut store, &name)
                .unwrap()
                .get(&mut store)
                .unwrap_i32();
            memory_base + offset
        };
        got.set(&mut store, Val::I32(value)).unwrap();
    }
    for init in ["__wasm_apply_data_relocs", "__wasm_call_ctors"] {
        if let Ok(f) = instance.get_typed_func::<(), ()>(&mut store, init) {
            f.call(&mut store, ()).unwrap();
        }
    }

    let v = malloc.call(&mut store, 32).unwrap();
    for (i, x) in [30i32, 10, 20].iter().enumerate() {
        memory
            .write(&mut store, v as usize + 4 * i, &x.to_le_bytes())
            .unwrap();
    }
    let tag = malloc.call(&mut store, 16).unwrap();
    memory.write(&mut store, tag as usize, b"sorted\0").unwrap();
    let sort = instance
        .get_typed_func::<(i32, i32, i32), i32>(&mut store, "sort_and_sum")
        .unwrap();
    let sum = sort.call(&mut store, (v, 3, tag)).unwrap();
    let mul_hi = instance
        .get_typed_func::<(i64, i64), i64>(&mut store, "mul_hi")
        .unwrap();
    let hi = mul_hi.call(&mut store, (-1i64, 1i64 << 40)).unwrap();
    let fflush = main
        .get_typed_func::<i32, i32>(&mut store, "fflush")
        .unwrap();
    fflush.call(&mut store, 0).unwrap();
    (
        sum,
        hi,
        String::from_utf8(stdout.contents().to_vec()).unwrap(),
    )
}

#[test]
fn side_module_runs_against_full_and_slim_main_programs() {
    let Some(tc) = toolchain("side_module_runs_against_full_and_slim_main_programs") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let tc = with_standin(tc, d);
    write(d, "lib.c", LIB_C);
    write(d, "main.c", MAIN_C);
    let driver = Driver::new(tc);
    cc_in(&driver, d, &["-O2", "-shared", "lib.c", "-o", "libsort.so"]);
    cc_in(&driver, d, &["-O2", "main.c", "-o", "full.wasm"]);
    // slim mode needs fflush too: the test harness calls it; a real program's own code would.
    cc_in(
        &driver,
        d,
        &[
            "-O2",
            "-mdl-exports=slim",
            "main.c",
            "libsort.so",
            "-Wl,--export=fflush",
            "-o",
            "slim.wasm",
        ],
    );
    let expected_hi = ((u128::from(u64::MAX) * (1u128 << 40)) >> 64) as i64;
    for main in ["full.wasm", "slim.wasm"] {
        let (sum, hi, out) = load_and_call(&d.join(main), &d.join("libsort.so"));
        assert_eq!(sum, 160, "{main}");
        assert_eq!(hi, expected_hi, "{main}: __multi3 from the main program");
        assert_eq!(out, "sorted: 10 20 30 (6)\n", "{main}");
    }
}
