//! Tests of the `dylink.0` reader.

use wasm_encoder::Encode;
use wasmparser::ValType;

use super::build::{custom, side, with_first_section, Dylink};
use super::subsections::subsection_name;
use super::*;

#[test]
fn late_destructors_are_found_by_name_in_priority_order() {
    let wasm = wat::parse_str(
        r#"(module
            (import "env" "__table_base" (global $tb i32))
            (table 4 funcref)
            (func $obj_dtor (param i32))
            (func $call_dtors (param i32))
            (func $call_dtors.101 (param i32))
            (elem (global.get $tb) func $obj_dtor $call_dtors $call_dtors.101))"#,
    )
    .unwrap();
    // Priority 101 is registered (and so runs at dlclose) before the default 65535.
    assert_eq!(late_destructor_offsets(&wasm), vec![2, 1]);
    let stripped = wat::parse_str(
        r#"(module (table 1 funcref) (func (param i32)) (elem (i32.const 0) func 0))"#,
    )
    .unwrap();
    assert!(late_destructor_offsets(&stripped).is_empty());
}

const LIBX: &[u8] = include_bytes!("../../../tests/fixtures/dylink/libx.so");
const LIBTLS: &[u8] = include_bytes!("../../../tests/fixtures/dylink/libtls.so");
const LIBWEAK: &[u8] = include_bytes!("../../../tests/fixtures/dylink/libweak.so");

/// Byte offset of the dylink.0 data in a module built by `side` (section size < 128).
const DATA_AT: usize = 8 + 1 + 1 + 1 + DYLINK_SECTION.len();

const EMPTY: &str = "(module)";

fn malformed(r: Result<SideModuleInfo, DylinkError>) -> String {
    match r {
        Err(DylinkError::Malformed(m)) => m,
        other => panic!("expected Malformed, got {other:?}"),
    }
}

#[test]
fn mem_info_values() {
    let info = read(&side(Dylink::default().mem_info(70_000, 4, 9, 2), EMPTY)).unwrap();
    let want = MemInfo {
        memory_size: 70_000,
        memory_align_log2: 4,
        table_size: 9,
        table_align_log2: 2,
    };
    assert_eq!(info.mem, want);
    // Largest accepted alignments.
    let info = read(&side(Dylink::default().mem_info(1, 31, 1, 31), EMPTY)).unwrap();
    assert_eq!(
        (info.mem.memory_align_log2, info.mem.table_align_log2),
        (31, 31)
    );
}

#[test]
fn mem_info_absent_is_zero() {
    let info = read(&side(Dylink::default().needed(&["liba.so"]), EMPTY)).unwrap();
    assert_eq!(info.mem, MemInfo::default());
    let info = read(&side(Dylink::default(), EMPTY)).unwrap();
    assert_eq!(info, SideModuleInfo::default());
}

#[test]
fn needed_in_order() {
    let d = Dylink::default()
        .needed(&["libz.so", "liba.so", "libm.so"])
        .mem_info(0, 0, 0, 0)
        .needed(&["libb.so"]);
    let info = read(&side(d, EMPTY)).unwrap();
    assert_eq!(info.needed, ["libz.so", "liba.so", "libm.so", "libb.so"]);
}

#[test]
fn runtime_path_unexpanded() {
    let d = Dylink::default().runtime_path(&["$ORIGIN", "$ORIGIN/../lib", "/usr/lib"]);
    let info = read(&side(d, EMPTY)).unwrap();
    assert_eq!(
        info.runtime_paths,
        ["$ORIGIN", "$ORIGIN/../lib", "/usr/lib"]
    );
    assert!(info.needed.is_empty());
}

#[test]
fn export_info_flags() {
    let d = Dylink::default().export_info(&[("tls_var", 0x100), ("plain", 0x20)]);
    let info = read(&side(d, EMPTY)).unwrap();
    assert_eq!(info.export_flags.len(), 2);
    assert!(info.export_flags["tls_var"].is_tls());
    assert!(!info.export_flags["tls_var"].is_weak());
    assert_eq!(info.export_flags["plain"], SymbolFlags::EXPORTED);
    assert!(!info.export_flags["plain"].is_tls());
}

#[test]
fn symbol_flags() {
    let f = SymbolFlags::WEAK | SymbolFlags::TLS | SymbolFlags(0x8000);
    assert!(f.is_weak() && f.is_tls() && f.contains(SymbolFlags::TLS));
    assert!(!f.contains(SymbolFlags::HIDDEN));
    assert_eq!(f.bits(), 0x8101);
    let all = [
        SymbolFlags::WEAK,
        SymbolFlags::LOCAL,
        SymbolFlags::HIDDEN,
        SymbolFlags::UNDEFINED,
        SymbolFlags::EXPORTED,
        SymbolFlags::EXPLICIT_NAME,
        SymbolFlags::NO_STRIP,
        SymbolFlags::TLS,
        SymbolFlags::ABSOLUTE,
    ];
    let bits: Vec<u32> = all.iter().map(|f| f.bits()).collect();
    assert_eq!(bits, [0x1, 0x2, 0x4, 0x10, 0x20, 0x40, 0x80, 0x100, 0x200]);
    assert!(!SymbolFlags::default().is_weak());
}

const CLASSIFY_WAT: &str = r#"
    (module
      (type $v (func))
      (import "env" "memory" (memory 1))
      (import "env" "__indirect_function_table" (table 0 funcref))
      (import "env" "__stack_pointer" (global (mut i32)))
      (import "env" "__memory_base" (global i32))
      (import "env" "__table_base" (global i32))
      (import "env" "f" (func (type $v)))
      (import "GOT.mem" "x" (global (mut i32)))
      (import "GOT.func" "y" (global (mut i32)))
      (import "env" "g" (global i64))
      (import "other" "h" (global i32))
      (import "GOT.func" "z" (func (type $v)))
      (import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32)))
      (import "env" "tag" (tag))
      (import "env" "__stack_pointer_table" (table 0 funcref))
      (import "GOT.mem" "weird" (memory 1))
      (import "env" "memory" (global i32))
      (global $d i32 (i32.const 16))
      (global $m (mut i32) (i32.const 0))
      (global $l i64 (i64.const 0))
      (global $c i32 (global.get 1))
      (func $start)
      (start $start)
      (export "fn" (func $start))
      (export "data" (global $d))
      (export "mut" (global $m))
      (export "wide" (global $l))
      (export "computed" (global $c))
      (export "reexport" (global 1))
      (export "mem" (memory 0))
      (export "tbl" (table 0))
      (export "tg" (tag 0)))
"#;

#[test]
fn classify_imports_and_exports() {
    let d = Dylink::default().import_info(&[
        ("env", "f", 0x1 | 0x10),
        ("env", "x", 0x1),
        ("GOT.func", "y", 0x1),
        ("env", "g", 0x10),
        ("env", "h", 0x1),
        ("env", "z", 0x10),
    ]);
    let info = read(&side(d, CLASSIFY_WAT)).unwrap();
    let got: Vec<(&str, &str, ImportKind, bool)> = info
        .imports
        .iter()
        .map(|i| (i.module.as_str(), i.name.as_str(), i.kind.clone(), i.weak))
        .collect();
    let global = |content_type, mutable| ImportKind::Global {
        ty: GlobalType {
            content_type,
            mutable,
            shared: false,
        },
    };
    let want = vec![
        ("env", "memory", ImportKind::Memory, false),
        ("env", "__indirect_function_table", ImportKind::Table, false),
        ("env", "__stack_pointer", ImportKind::StackPointer, false),
        ("env", "__memory_base", ImportKind::MemoryBase, false),
        ("env", "__table_base", ImportKind::TableBase, false),
        ("env", "f", ImportKind::Function { type_index: 0 }, true),
        ("GOT.mem", "x", ImportKind::GotMem("x".into()), true),
        ("GOT.func", "y", ImportKind::GotFunc("y".into()), true),
        ("env", "g", global(ValType::I64, false), false),
        ("other", "h", ImportKind::Other, false),
        (
            "GOT.func",
            "z",
            ImportKind::Function { type_index: 0 },
            false,
        ),
        (
            "wasi_snapshot_preview1",
            "fd_write",
            ImportKind::Function { type_index: 1 },
            false,
        ),
        ("env", "tag", ImportKind::Other, false),
        ("env", "__stack_pointer_table", ImportKind::Other, false),
        ("GOT.mem", "weird", ImportKind::Other, false),
        ("env", "memory", global(ValType::I32, false), false),
    ];
    assert_eq!(got, want);

    let exports: Vec<(&str, ExportKind)> = info
        .exports
        .iter()
        .map(|e| (e.name.as_str(), e.kind))
        .collect();
    assert_eq!(
        exports,
        [
            ("fn", ExportKind::Function { func_index: 3 }),
            // 8 imported globals come first: $d is global 8.
            (
                "data",
                ExportKind::Data {
                    global_index: 8,
                    offset: Some(16)
                }
            ),
            ("mut", ExportKind::Global),
            ("wide", ExportKind::Global),
            // Not a plain constant: the loader asks the instance.
            (
                "computed",
                ExportKind::Data {
                    global_index: 11,
                    offset: None
                }
            ),
            ("reexport", ExportKind::Global),
            ("mem", ExportKind::Memory),
            ("tbl", ExportKind::Table),
            ("tg", ExportKind::Tag),
        ]
    );
    assert!(info.has_start);
    assert_eq!(info.import_flags.len(), 6);
    assert_eq!(
        info.import_flags[&("env".into(), "g".into())],
        SymbolFlags::UNDEFINED
    );
}

#[test]
fn unknown_subsections_are_skipped() {
    let d = Dylink::default()
        .sub(9, b"whatever")
        .needed(&["liba.so"])
        .sub(200, &[0xff; 3])
        .sub(0, &[])
        .mem_info(16, 3, 0, 0);
    let info = read(&side(d, EMPTY)).unwrap();
    assert_eq!(info.needed, ["liba.so"]);
    assert_eq!(info.mem.memory_size, 16);
    assert_eq!(info.mem.memory_align_log2, 3);
}

#[test]
fn clang_libx() {
    let info = read(LIBX).unwrap();
    assert_eq!(
        info.mem,
        MemInfo {
            memory_size: 12,
            memory_align_log2: 2,
            table_size: 1,
            table_align_log2: 0
        }
    );
    assert_eq!(info.needed, ["libdep.so"]);
    assert!(info.runtime_paths.is_empty());
    assert!(info.export_flags.is_empty());
    assert_eq!(info.import_flags.len(), 1);
    assert_eq!(
        info.import_flags[&("env".into(), "maybe".into())],
        SymbolFlags::WEAK | SymbolFlags::UNDEFINED
    );
    let imports: Vec<(&str, &str, &ImportKind, bool)> = info
        .imports
        .iter()
        .map(|i| (i.module.as_str(), i.name.as_str(), &i.kind, i.weak))
        .collect();
    assert_eq!(
        imports,
        [
            ("env", "memory", &ImportKind::Memory, false),
            (
                "env",
                "__indirect_function_table",
                &ImportKind::Table,
                false
            ),
            ("env", "__stack_pointer", &ImportKind::StackPointer, false),
            ("env", "__memory_base", &ImportKind::MemoryBase, false),
            ("env", "__table_base", &ImportKind::TableBase, false),
            (
                "env",
                "dep_add",
                &ImportKind::Function { type_index: 0 },
                false
            ),
            (
                "env",
                "maybe",
                &ImportKind::Function { type_index: 1 },
                true
            ),
            (
                "GOT.mem",
                "counter",
                &ImportKind::GotMem("counter".into()),
                false
            ),
            (
                "GOT.mem",
                "dep_value",
                &ImportKind::GotMem("dep_value".into()),
                false
            ),
            (
                "GOT.func",
                "maybe",
                &ImportKind::GotFunc("maybe".into()),
                true
            ),
            (
                "GOT.func",
                "dep_add",
                &ImportKind::GotFunc("dep_add".into()),
                false
            ),
        ]
    );
    let exports: Vec<(&str, ExportKind)> = info
        .exports
        .iter()
        .map(|e| (e.name.as_str(), e.kind))
        .collect();
    assert_eq!(
        exports,
        [
            ("__wasm_call_ctors", ExportKind::Function { func_index: 2 }),
            (
                "__wasm_apply_data_relocs",
                ExportKind::Function { func_index: 3 }
            ),
            ("call_dep", ExportKind::Function { func_index: 5 }),
            (
                "counter",
                ExportKind::Data {
                    global_index: 7,
                    offset: Some(0)
                }
            ),
            ("counter_addr", ExportKind::Function { func_index: 6 }),
            ("dep_add_addr", ExportKind::Function { func_index: 7 }),
            ("sum", ExportKind::Function { func_index: 8 }),
            (
                "callbacks",
                ExportKind::Data {
                    global_index: 8,
                    offset: Some(4)
                }
            ),
        ]
    );
    assert!(!info.has_start);
}

#[test]
fn clang_libtls() {
    let info = read(LIBTLS).unwrap();
    assert_eq!(
        info.mem,
        MemInfo {
            memory_size: 8,
            memory_align_log2: 2,
            table_size: 0,
            table_align_log2: 0
        }
    );
    assert!(info.needed.is_empty());
    assert_eq!(info.export_flags.len(), 1);
    assert!(info.export_flags["tls_var"].is_tls());
    let kinds: Vec<&ImportKind> = info.imports.iter().map(|i| &i.kind).collect();
    assert_eq!(
        kinds,
        [
            &ImportKind::Memory,
            &ImportKind::StackPointer,
            &ImportKind::MemoryBase,
            &ImportKind::TableBase
        ]
    );
    let exports: Vec<(&str, ExportKind)> = info
        .exports
        .iter()
        .map(|e| (e.name.as_str(), e.kind))
        .collect();
    assert_eq!(
        exports,
        [
            ("__wasm_call_ctors", ExportKind::Function { func_index: 0 }),
            ("__tls_base", ExportKind::Global),
            (
                "__tls_size",
                ExportKind::Data {
                    global_index: 4,
                    offset: Some(4)
                }
            ),
            (
                "__tls_align",
                ExportKind::Data {
                    global_index: 5,
                    offset: Some(4)
                }
            ),
            ("__wasm_init_tls", ExportKind::Function { func_index: 1 }),
            (
                "__wasm_apply_data_relocs",
                ExportKind::Function { func_index: 2 }
            ),
            ("tls_get", ExportKind::Function { func_index: 4 }),
            (
                "tls_var",
                ExportKind::Data {
                    global_index: 6,
                    offset: Some(0)
                }
            ),
            ("sum", ExportKind::Function { func_index: 5 }),
        ]
    );
    // The start function is __wasm_init_memory (passive segments + shared memory).
    assert!(info.has_start);
}

#[test]
fn clang_libweak_got_imports_inherit_env_weak_flag() {
    let info = read(LIBWEAK).unwrap();
    // wasm-ld keys IMPORT_INFO by "env" although the module imports GOT.mem / GOT.func.
    let mut keys: Vec<(&str, &str)> = info
        .import_flags
        .keys()
        .map(|(m, f)| (m.as_str(), f.as_str()))
        .collect();
    keys.sort();
    assert_eq!(keys, [("env", "weak_data"), ("env", "weak_fn")]);
    let imports: Vec<(&str, &str, &ImportKind, bool)> = info
        .imports
        .iter()
        .map(|i| (i.module.as_str(), i.name.as_str(), &i.kind, i.weak))
        .collect();
    assert_eq!(
        imports[4..],
        [
            // A weak *definition* is imported too (it may be preempted) and is not weak here.
            (
                "env",
                "defined_weak",
                &ImportKind::Function { type_index: 0 },
                false
            ),
            (
                "GOT.mem",
                "weak_data",
                &ImportKind::GotMem("weak_data".into()),
                true
            ),
            (
                "GOT.func",
                "weak_fn",
                &ImportKind::GotFunc("weak_fn".into()),
                true
            ),
        ]
    );
    assert!(info
        .exports
        .iter()
        .any(|e| e.name == "defined_weak" && matches!(e.kind, ExportKind::Function { .. })));
}

// ---- errors --------------------------------------------------------------------------------

#[test]
fn error_not_wasm() {
    for bytes in [
        &b""[..],
        b"\0as",
        b"\x7fELF\x02\x01\x01\0",
        b"\0ASM\x01\0\0\0",
    ] {
        assert_eq!(read(bytes), Err(DylinkError::NotWasm), "{bytes:?}");
    }
    assert_eq!(
        DylinkError::NotWasm.to_string(),
        "not a WebAssembly module (bad magic number)"
    );
}

#[test]
fn error_truncated_header() {
    let m = malformed(read(b"\0asm\x01\0"));
    assert_eq!(
        m,
        "the file ends inside the 8-byte module header (it is 6 bytes long)"
    );
}

#[test]
fn error_unsupported_version() {
    let e = read(b"\0asm\x02\0\0\0").unwrap_err();
    assert_eq!(e, DylinkError::UnsupportedVersion(2));
    assert_eq!(
        e.to_string(),
        "unsupported WebAssembly binary version 0x2 (expected 1)"
    );
}

#[test]
fn error_component() {
    let component = wat::parse_str("(component)").unwrap();
    let e = read(&component).unwrap_err();
    assert_eq!(e, DylinkError::Component);
    assert_eq!(
        e.to_string(),
        "not a side module: this is a WebAssembly component, not a core module (build it with \
         --target=wasm32-wasi -fPIC -shared)"
    );
}

#[test]
fn error_no_dylink_section() {
    let plain = wat::parse_str("(module (func (export \"_start\")))").unwrap();
    let e = read(&plain).unwrap_err();
    assert_eq!(e, DylinkError::NoDylinkSection);
    assert_eq!(
        e.to_string(),
        "not a side module: no dylink.0 section (build it with -fPIC -shared)"
    );
    // A custom section with another name does not count.
    let other = with_first_section(&plain, &custom("dylink.1", &[]));
    assert_eq!(read(&other), Err(DylinkError::NoDylinkSection));
}

#[test]
fn error_dylink_not_first() {
    let plain = wat::parse_str("(module (func))").unwrap();
    let late = [plain.as_slice(), &custom(DYLINK_SECTION, &[])].concat();
    let e = read(&late).unwrap_err();
    assert_eq!(e, DylinkError::DylinkNotFirst);
    assert_eq!(
        e.to_string(),
        "malformed side module: the dylink.0 section is not the first section of the module"
    );
    // Another custom section first also counts.
    let behind_custom = with_first_section(
        &with_first_section(&plain, &custom(DYLINK_SECTION, &[])),
        &custom("producers", &[0]),
    );
    assert_eq!(read(&behind_custom), Err(DylinkError::DylinkNotFirst));
}

/// What `check_start` decides from a file's first bytes, for every kind of start.
#[test]
fn the_start_of_a_file_is_checked_alone() {
    let start = |bytes: &[u8]| {
        let prefix = &bytes[..bytes.len().min(START_LEN)];
        check_start(prefix, bytes.len() <= START_LEN)
    };
    let plain = wat::parse_str("(module (func (export \"f\")))").unwrap();
    let valid = side(Dylink::default(), "(module (func (export \"f\")))");
    assert_eq!(start(&valid), Ok(()));
    // A big dylink.0 section: the name is all that is needed.
    let big = side(Dylink(vec![0; 5000]), EMPTY);
    assert_eq!(check_start(&big[..START_LEN], false), Ok(()));
    assert_eq!(start(b"\x7fELF\x02\x01\x01\0"), Err(DylinkError::NotWasm));
    assert_eq!(
        start(b"\0asm\x02\0\0\0"),
        Err(DylinkError::UnsupportedVersion(2))
    );
    assert_eq!(start(b"\0asm\x01\0\0\0"), Err(DylinkError::NoDylinkSection));
    let e = start(&plain).unwrap_err();
    assert_eq!(
        e.to_string(),
        "not a side module: no dylink.0 section at the start of the file (the first section \
         is the type section (id 1); build it with -fPIC -shared)"
    );
    let late = [plain.as_slice(), &custom(DYLINK_SECTION, &[])].concat();
    assert!(matches!(
        start(&late),
        Err(DylinkError::FirstSectionNotDylink(_))
    ));
    let named = with_first_section(&plain, &custom("producers", &[0]));
    assert!(start(&named)
        .unwrap_err()
        .to_string()
        .contains("the custom section \"producers\""));
    let long_name = with_first_section(&plain, &custom(&"x".repeat(100), &[]));
    assert!(matches!(
        check_start(&long_name[..START_LEN], false),
        Err(DylinkError::FirstSectionNotDylink(_))
    ));
    let old = with_first_section(&plain, &custom("dylink", &[0, 0, 0, 0]));
    assert_eq!(start(&old), Err(DylinkError::OldDylinkSection));
    // Cut inside the first section's header or name.
    for cut in 9..8 + 1 + 1 + 1 + DYLINK_SECTION.len() {
        let r = check_start(&valid[..cut], true);
        assert!(matches!(r, Err(DylinkError::Malformed(_))), "{cut}: {r:?}");
    }
}

#[test]
fn defined_functions_are_counted_from_the_function_section() {
    let three = wat::parse_str("(module (func) (func) (func (export \"f\")))").unwrap();
    assert_eq!(defined_function_count(&three), 3);
    let imported_only = wat::parse_str("(module (import \"env\" \"g\" (func)))").unwrap();
    assert_eq!(defined_function_count(&imported_only), 0);
    assert_eq!(defined_function_count(b"not wasm"), 0);
}

#[test]
fn imports_are_counted_from_the_import_section() {
    let m = wat::parse_str(
        "(module (import \"env\" \"a\" (func)) (import \"env\" \"b\" (global i32)) \
         (import \"GOT.mem\" \"c\" (global (mut i32))) (func) (func))",
    )
    .unwrap();
    assert_eq!(
        module_counts(&m),
        ModuleCounts {
            functions: 2,
            imports: 3
        }
    );
    assert_eq!(module_counts(b"not wasm"), ModuleCounts::default());
}

#[test]
fn error_second_dylink_section() {
    let m = [side(Dylink::default(), EMPTY), custom(DYLINK_SECTION, &[])].concat();
    let msg = malformed(read(&m));
    // The offset is that of the section's contents (its name), after id and size.
    assert_eq!(
        msg,
        format!("second dylink.0 section at byte offset {}", DATA_AT + 2)
    );
}

#[test]
fn error_old_dylink_section() {
    // Old layout: memorysize, memoryalignment, tablesize, tablealignment, needed count.
    let plain = wat::parse_str(EMPTY).unwrap();
    let old = with_first_section(&plain, &custom("dylink", &[16, 2, 0, 0, 0]));
    let e = read(&old).unwrap_err();
    assert_eq!(e, DylinkError::OldDylinkSection);
    assert_eq!(
        e.to_string(),
        "old-style dylink section (rebuild with LLVM 12 or later)"
    );
}

#[test]
fn error_alignment_too_large() {
    // MEM_INFO payload starts at DATA_AT + 2; memory_size (1 byte), then memory alignment.
    let m = malformed(read(&side(Dylink::default().mem_info(8, 32, 0, 0), EMPTY)));
    assert_eq!(
        m,
        format!(
            "dylink.0 MEM_INFO subsection: memory alignment 2^32 is too large (log2 must be \
             at most 31) (at byte offset {})",
            DATA_AT + 3
        )
    );
    let m = malformed(read(&side(
        Dylink::default().mem_info(8, 3, 1, 1000),
        EMPTY,
    )));
    assert_eq!(
        m,
        format!(
            "dylink.0 MEM_INFO subsection: table alignment 2^1000 is too large (log2 must be \
             at most 31) (at byte offset {})",
            DATA_AT + 5
        )
    );
    let e = read(&side(Dylink::default().mem_info(8, 3, 1, u32::MAX), EMPTY)).unwrap_err();
    assert!(e
        .to_string()
        .starts_with("malformed side module: dylink.0 MEM_INFO subsection: "));
}

#[test]
fn error_second_mem_info() {
    let d = Dylink::default().mem_info(1, 0, 0, 0).mem_info(2, 0, 0, 0);
    let m = malformed(read(&side(d, EMPTY)));
    assert_eq!(
        m,
        format!(
            "dylink.0 has a second MEM_INFO subsection (at byte offset {})",
            DATA_AT + 6
        )
    );
}

#[test]
fn error_subsection_overruns_section() {
    // NEEDED claims 50 bytes; 2 are present.
    let d = Dylink(vec![SUB_NEEDED, 50, 1, 0]);
    let m = malformed(read(&side(d, EMPTY)));
    assert_eq!(
        m,
        format!(
            "dylink.0 subsection 2 (NEEDED) at byte offset {DATA_AT} is 50 bytes long, but \
             only 2 bytes are left in the section"
        )
    );
    // An unknown id is checked the same way before it is skipped.
    let d = Dylink(vec![77, 5, 0]);
    let m = malformed(read(&side(d, EMPTY)));
    assert!(
        m.starts_with("dylink.0 subsection 77 (unknown) at byte offset"),
        "{m}"
    );
}

#[test]
fn error_truncated_subsection_header() {
    // The length LEB is cut off: 0x80 says "more bytes follow".
    let d = Dylink(vec![SUB_MEM_INFO, 0x80]);
    let m = malformed(read(&side(d, EMPTY)));
    assert!(m.starts_with("dylink.0 subsection header: "), "{m}");
    assert!(
        m.ends_with(&format!("(at byte offset {})", DATA_AT + 2)),
        "{m}"
    );
}

#[test]
fn error_truncated_subsection_payload() {
    // NEEDED says 2 names, holds 1.
    let mut p = Vec::new();
    2u32.encode(&mut p);
    "liba.so".encode(&mut p);
    let m = malformed(read(&side(Dylink::default().sub(SUB_NEEDED, &p), EMPTY)));
    assert!(
        m.starts_with("dylink.0 NEEDED subsection: unexpected end-of-file"),
        "{m}"
    );
    assert!(
        m.ends_with(&format!("(at byte offset {})", DATA_AT + 2 + p.len())),
        "{m}"
    );
    // MEM_INFO with three fields.
    let m = malformed(read(&side(
        Dylink::default().sub(SUB_MEM_INFO, &[1, 2, 3]),
        EMPTY,
    )));
    assert!(
        m.starts_with("dylink.0 MEM_INFO subsection: unexpected end-of-file"),
        "{m}"
    );
}

#[test]
fn error_huge_count_fails_fast() {
    // Counts of u32::MAX with a handful of bytes behind them: no large allocation, an error.
    for id in [
        SUB_NEEDED,
        SUB_EXPORT_INFO,
        SUB_IMPORT_INFO,
        SUB_RUNTIME_PATH,
    ] {
        let mut p = Vec::new();
        u32::MAX.encode(&mut p);
        "a".encode(&mut p);
        let m = malformed(read(&side(Dylink::default().sub(id, &p), EMPTY)));
        assert!(m.contains("unexpected end-of-file"), "{m}");
        assert!(
            m.starts_with(&format!("dylink.0 {} subsection", subsection_name(id))),
            "{m}"
        );
    }
}

#[test]
fn error_trailing_bytes_in_subsection() {
    let mut p = Vec::new();
    1u32.encode(&mut p);
    "liba.so".encode(&mut p);
    p.extend_from_slice(&[0, 0]);
    let m = malformed(read(&side(Dylink::default().sub(SUB_NEEDED, &p), EMPTY)));
    assert_eq!(
        m,
        format!(
            "dylink.0 NEEDED subsection: 2 unexpected bytes after its contents (at byte offset \
             {})",
            DATA_AT + 2 + p.len() - 2
        )
    );
}

#[test]
fn error_bad_utf8() {
    for id in [
        SUB_NEEDED,
        SUB_EXPORT_INFO,
        SUB_IMPORT_INFO,
        SUB_RUNTIME_PATH,
    ] {
        let p = [1, 2, 0xc3, 0x28, 0, 0, 0];
        let m = malformed(read(&side(Dylink::default().sub(id, &p), EMPTY)));
        assert!(m.contains("malformed UTF-8"), "{m}");
        assert!(
            m.starts_with(&format!("dylink.0 {} subsection", subsection_name(id))),
            "{m}"
        );
    }
}

#[test]
fn error_export_of_missing_global() {
    use wasm_encoder::{ExportKind as K, ExportSection, Module};
    let mut exports = ExportSection::new();
    exports.export("ghost", K::Global, 5);
    let mut m = Module::new();
    m.section(&exports);
    let bytes = with_first_section(&m.finish(), &custom(DYLINK_SECTION, &[]));
    let msg = malformed(read(&bytes));
    assert_eq!(
        msg,
        format!(
            "export \"ghost\" at byte offset {} refers to global 5, but the module has 0 \
             globals",
            DATA_AT + 3
        )
    );
}

#[test]
fn error_truncated_module_section() {
    let mut bytes = side(Dylink::default(), CLASSIFY_WAT);
    bytes.truncate(bytes.len() - 3);
    let e = read(&bytes).unwrap_err();
    let m = e.to_string();
    assert!(m.starts_with("malformed side module: "), "{m}");
    assert!(
        m.contains("unexpected end-of-file") || m.contains("out of bounds"),
        "{m}"
    );
    assert!(m.contains("(at byte offset "), "{m}");
}

// ---- hostile input -------------------------------------------------------------------------

/// Ends of the sections of a well-formed module (independent of wasmparser).
fn section_ends(bytes: &[u8]) -> Vec<usize> {
    let mut ends = Vec::new();
    let mut pos = 8;
    while pos < bytes.len() {
        pos += 1; // id
        let (mut size, mut shift) = (0usize, 0);
        loop {
            let b = bytes[pos];
            pos += 1;
            size |= usize::from(b & 0x7f) << shift;
            shift += 7;
            if b & 0x80 == 0 {
                break;
            }
        }
        pos += size;
        ends.push(pos);
    }
    assert_eq!(pos, bytes.len());
    ends
}

fn samples() -> Vec<Vec<u8>> {
    let d = Dylink::default()
        .mem_info(300, 4, 2, 0)
        .needed(&["liba.so", "libb.so"])
        .export_info(&[("t", 0x100)])
        .import_info(&[("env", "f", 0x11)])
        .runtime_path(&["$ORIGIN"])
        .sub(42, b"skip");
    vec![
        LIBX.to_vec(),
        LIBTLS.to_vec(),
        LIBWEAK.to_vec(),
        side(d, CLASSIFY_WAT),
    ]
}

#[test]
fn every_prefix_fails_cleanly() {
    for module in samples() {
        assert!(read(&module).is_ok());
        let ends = section_ends(&module);
        for len in 0..module.len() {
            let r = read(&module[..len]);
            match len {
                0..4 => assert_eq!(r, Err(DylinkError::NotWasm)),
                4..8 => assert!(matches!(r, Err(DylinkError::Malformed(_)))),
                8 => assert_eq!(r, Err(DylinkError::NoDylinkSection)),
                // Cut at a section boundary: a shorter but well-formed module, unless the
                // cut removed the code or data section that an earlier section announced
                // (wasmparser's Parser checks those two).
                _ if ends.contains(&len) => match r {
                    Ok(_) => {}
                    Err(DylinkError::Malformed(m))
                        if m.starts_with(
                            "function section has non-zero count but code section is absent",
                        ) || m
                            .starts_with("data count is non-zero but data section is absent") => {}
                    Err(e) => panic!("prefix {len}: {e:?}"),
                },
                _ => assert!(
                    matches!(r, Err(DylinkError::Malformed(_))),
                    "prefix {len}: {r:?}"
                ),
            }
        }
    }
}

#[test]
fn random_byte_flips_never_panic() {
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let samples = samples();
    let (mut ok, mut err) = (0, 0);
    for i in 0..4000 {
        let mut m = samples[i % samples.len()].clone();
        let flips = 1 + next() % 4;
        for _ in 0..flips {
            // Bias towards the front, where the dylink.0 section and the imports are.
            let limit = if next() % 2 == 0 {
                m.len().min(96)
            } else {
                m.len()
            };
            let at = (next() % limit as u64) as usize;
            m[at] ^= (next() % 255 + 1) as u8;
        }
        let r = read(&m);
        assert_eq!(r, read(&m), "not deterministic");
        if r.is_ok() {
            ok += 1;
        } else {
            err += 1;
        }
    }
    // Both outcomes occur: flips in code or names leave a readable module.
    assert!(ok > 100 && err > 1000, "ok {ok}, err {err}");
}
