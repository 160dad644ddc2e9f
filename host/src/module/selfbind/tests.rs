use wasmtime::{
    Engine, Extern, Func, Global, GlobalType, Instance, Memory, MemoryType, Module, Mutability,
    Ref, RefType, Store, Table, TableType, Val, ValType,
};

use super::*;
use crate::module::dylink::build::{custom, side, with_first_section, Dylink};

const HEAD: &str = r#"
    (import "env" "memory" (memory 1))
    (import "env" "__indirect_function_table" (table 0 funcref))
    (import "env" "__memory_base" (global $mb i32))
    (import "env" "__table_base" (global $tb i32))
"#;

/// `f` (also exported as `f_alias`) is the module's own; `g` is imported and re-exported.
const OWN_AND_FOREIGN: &str = r#"
    (import "GOT.func" "f" (global $got_f (mut i32)))
    (import "GOT.func" "g" (global $got_g (mut i32)))
    (import "GOT.func" "f_alias" (global $got_fa (mut i32)))
    (import "env" "g" (func $g))
    (global $data i32 (i32.const 16))
    (func $f (result i32) global.get $got_f)
    (func (export "fa_ptr") (result i32) global.get $got_fa)
    (func (export "g_ptr") (result i32) global.get $got_g)
    (func (export "data") (result i32) global.get $data)
    (export "f" (func $f))
    (export "f_alias" (func $f))
    (export "g" (func $g))
    (export "d" (global $data))
"#;

/// A side module whose MEM_INFO asks for `table` slots.
fn module_with_table(body: &str, table: u32) -> Vec<u8> {
    let dylink = Dylink::default().mem_info(0, 0, table, 0);
    side(dylink, &format!("(module {HEAD} {body})"))
}

fn module(body: &str) -> Vec<u8> {
    module_with_table(body, 0)
}

/// Instantiates `bytes` with `__table_base` = `table_base` and every `GOT.func` import the
/// module still has set to 99.
fn instantiate(bytes: &[u8], table_base: u32) -> (Store<()>, Instance, Table) {
    let engine = Engine::default();
    let module = Module::new(&engine, bytes).expect("the rewritten module compiles");
    let mut store = Store::new(&engine, ());
    let table = Table::new(
        &mut store,
        TableType::new(RefType::FUNCREF, 16, None),
        Ref::Func(None),
    )
    .unwrap();
    let mut imports = Vec::new();
    for import in module.imports() {
        let ext: Extern = match (import.module(), import.name()) {
            ("env", "memory") => Memory::new(&mut store, MemoryType::new(1, None))
                .unwrap()
                .into(),
            ("env", "__indirect_function_table") => table.into(),
            ("env", base) if base.ends_with("_base") => {
                let value = if base == "__table_base" {
                    table_base
                } else {
                    0
                };
                let ty = GlobalType::new(ValType::I32, Mutability::Const);
                Global::new(&mut store, ty, Val::I32(value as i32))
                    .unwrap()
                    .into()
            }
            ("GOT.func", _) => {
                let ty = GlobalType::new(ValType::I32, Mutability::Var);
                Global::new(&mut store, ty, Val::I32(99)).unwrap().into()
            }
            ("env", "g") => Func::wrap(&mut store, || {}).into(),
            other => panic!("unexpected import {other:?}"),
        };
        imports.push(ext);
    }
    let instance = Instance::new(&mut store, &module, &imports).expect("instantiates");
    (store, instance, table)
}

fn call(store: &mut Store<()>, instance: &Instance, name: &str) -> i32 {
    let func = instance
        .get_typed_func::<(), i32>(&mut *store, name)
        .unwrap();
    func.call(store, ()).unwrap()
}

#[test]
fn own_functions_get_slots_after_the_modules_own() {
    let bytes = module_with_table(OWN_AND_FOREIGN, 3);
    let bound = self_bind(&bytes, 3, true).expect("rewritten");
    // One added slot after the module's three.
    assert_eq!(bound.table_size, 4);
    // `f` and its alias share one slot (function pointer equality); `g` is not the module's.
    assert_eq!(
        bound.entries,
        vec![("f".to_string(), 3), ("f_alias".to_string(), 3)]
    );
    assert_eq!(bound.own_slots, vec![(1, 3)]);
    let (mut store, instance, table) = instantiate(&bound.bytes, 10);
    // Two imports fewer; the GOT globals hold __table_base + 3.
    assert_eq!(instance.module(&store).imports().len(), 6);
    // The exports the metadata answers are dropped: `f` and `f_alias` (in their own slot) and
    // the data symbol `d`; the re-exported import and the other functions stay.
    let exports: Vec<&str> = instance
        .module(&store)
        .exports()
        .map(|e| e.name())
        .collect();
    assert_eq!(exports, ["fa_ptr", "g_ptr", "data", "g", SETTER_EXPORT]);
    assert_eq!(call(&mut store, &instance, "fa_ptr"), 13);
    assert_eq!(call(&mut store, &instance, "g_ptr"), 99);
    // A defined global renumbered past the removed imports still reads its own value.
    assert_eq!(call(&mut store, &instance, "data"), 16);
    // The setter moves one entry (an interposed symbol), and nothing for an index past them.
    let set = instance
        .get_typed_func::<(u32, u32), ()>(&mut store, SETTER_EXPORT)
        .expect("the setter is exported");
    set.call(&mut store, (1, 77)).unwrap();
    set.call(&mut store, (2, 55)).unwrap();
    assert_eq!(call(&mut store, &instance, "fa_ptr"), 77);
    // The added segment put `f` in slot 13.
    let Some(Ref::Func(Some(f))) = table.get(&mut store, 13) else {
        panic!("slot 13 is empty");
    };
    let f = f.typed::<(), i32>(&store).unwrap();
    assert_eq!(f.call(&mut store, ()).unwrap(), 13);
}

#[test]
fn a_module_without_global_or_element_section_gets_them() {
    let bytes = module(
        r#"(import "GOT.func" "f" (global $got_f (mut i32)))
           (func $f (export "f") (result i32) global.get $got_f)"#,
    );
    let bound = self_bind(&bytes, 0, true).expect("rewritten");
    let (mut store, _, table) = instantiate(&bound.bytes, 4);
    let Some(Ref::Func(Some(f))) = table.get(&mut store, 4) else {
        panic!("slot 4 is empty");
    };
    let f = f.typed::<(), i32>(&store).unwrap();
    assert_eq!(f.call(&mut store, ()).unwrap(), 4);
}

#[test]
fn global_names_stay_sorted() {
    let bytes = module(OWN_AND_FOREIGN);
    let bound = self_bind(&bytes, 0, true).expect("rewritten");
    // wat names every global: the name section must still validate.
    wasmparser::Validator::new()
        .validate_all(&bound.bytes)
        .expect("valid");
    for payload in Parser::new(0).parse_all(&bound.bytes) {
        if let Ok(Payload::CustomSection(section)) = payload {
            if let wasmparser::KnownCustom::Name(names) = section.as_known() {
                for name in names {
                    if let Ok(wasmparser::Name::Global(map)) = name {
                        let indices: Vec<u32> = map.into_iter().map(|n| n.unwrap().index).collect();
                        assert!(indices.windows(2).all(|w| w[0] < w[1]), "{indices:?}");
                    }
                }
            }
        }
    }
}

#[test]
fn anything_unexpected_is_left_alone() {
    let own = r#"(import "GOT.func" "f" (global $got_f (mut i32)))
                 (func $f (export "f") (result i32) global.get $got_f)"#;
    // An engine without extended constant expressions.
    assert!(self_bind(&module(own), 0, false).is_none());
    let cases = [
        // A GOT.func entry of another type, or not a global.
        r#"(import "GOT.func" "f" (global (mut i64))) (func $f (export "f"))"#,
        r#"(import "GOT.func" "f" (global i32)) (func $f (export "f"))"#,
        r#"(import "GOT.func" "f" (func)) (func $f (export "f"))"#,
        // Only a function the module imports.
        r#"(import "GOT.func" "g" (global (mut i32))) (import "env" "g" (func $g))
           (export "g" (func $g))"#,
        // Already in the module's own slots: that slot is its address.
        r#"(import "GOT.func" "f" (global (mut i32))) (func $f (export "f"))
           (elem (global.get $tb) func $f)"#,
        // An export named like the setter.
        r#"(import "GOT.func" "f" (global (mut i32))) (func $f (export "f"))
           (func (export "__wasm_dl_got_set"))"#,
        // A name the loader never binds.
        r#"(import "GOT.func" "__wasm_call_ctors" (global (mut i32)))
           (func (export "__wasm_call_ctors"))"#,
        // A second table.
        r#"(import "GOT.func" "f" (global (mut i32))) (func $f (export "f"))
           (table 1 funcref)"#,
    ];
    for body in cases {
        assert!(self_bind(&module(body), 0, true).is_none(), "{body}");
    }
    // No table import at all.
    let bytes = side(
        Dylink::default().mem_info(0, 0, 0, 0),
        r#"(module (import "env" "__table_base" (global $tb i32))
             (import "GOT.func" "f" (global (mut i32))) (func $f (export "f")))"#,
    );
    assert!(self_bind(&bytes, 0, true).is_none());
    // A table too large for an i32 offset.
    let huge = i32::MAX as u32;
    assert!(self_bind(&module_with_table(own, huge), huge, true).is_none());
    // Not a module.
    assert!(self_bind(b"\0asm\x01\0\0\0\x01", 0, true).is_none());
}

#[test]
fn the_rewritten_dylink_section_declares_the_added_slots() {
    let own = r#"(import "GOT.func" "f" (global $got_f (mut i32)))
                 (func $f (export "f") (result i32) global.get $got_f)
                 (func $h) (elem (global.get $tb) func $h $h)"#;
    let dylink = Dylink::default()
        .needed(&["libz.so"])
        .mem_info(0, 0, 2, 0)
        .runtime_path(&["/lib"]);
    let bytes = side(dylink, &format!("(module {HEAD} {own})"));
    let bound = self_bind(&bytes, 2, true).expect("rewritten");
    // Read as any side module: the added segment lies in the slots MEM_INFO now asks for, and
    // the other subsections are unchanged.
    let info = crate::module::dylink::read(&bound.bytes).expect("a valid side module");
    assert_eq!(info.mem.table_size, 3);
    assert_eq!(bound.table_size, 3);
    assert_eq!(info.needed, ["libz.so"]);
    assert_eq!(info.runtime_paths, ["/lib"]);
}

#[test]
fn a_dylink_section_that_does_not_match_leaves_the_module_alone() {
    let own = r#"(import "GOT.func" "f" (global $got_f (mut i32)))
                 (func $f (export "f") (result i32) global.get $got_f)"#;
    let plain = wat::parse_str(format!("(module {HEAD} {own})")).unwrap();
    // No dylink.0, or one without MEM_INFO.
    assert!(self_bind(&plain, 0, true).is_none());
    let no_mem_info = side(
        Dylink::default().needed(&["a"]),
        &format!("(module {HEAD} {own})"),
    );
    assert!(self_bind(&no_mem_info, 0, true).is_none());
    // MEM_INFO's table size is not the one scanned, or MEM_INFO comes twice.
    assert!(self_bind(&module_with_table(own, 1), 0, true).is_none());
    let twice = Dylink::default().mem_info(0, 0, 0, 0).mem_info(0, 0, 0, 0);
    assert!(self_bind(&side(twice, &format!("(module {HEAD} {own})")), 0, true).is_none());
    // A second dylink.0 section.
    let second = custom("dylink.0", &Dylink::default().mem_info(0, 0, 0, 0).0);
    let bytes = with_first_section(&module(own), &second);
    assert!(self_bind(&bytes, 0, true).is_none());
}
