//! The one pass over a side module: `dylink.0` first, then imports, globals, exports and
//! start, classified into [`SideModuleInfo`].

use std::collections::{HashMap, HashSet};

use wasmparser::{
    BinaryReaderError, Encoding, ExternalKind, GlobalType, Parser, Payload, TypeRef, ValType,
};

use super::placement::Placement;
use super::subsections::{import_info_flags, parse_dylink0};
use super::{
    DylinkError, Export, ExportKind, Import, ImportKind, SideModuleInfo, SymbolFlags,
    DYLINK_SECTION, MAX_PREALLOC, META_SECTION, OLD_DYLINK_SECTION, WASM_MAGIC,
};

/// Reads a side module's `dylink.0` section and classifies its imports and exports.
pub fn read(bytes: &[u8]) -> Result<SideModuleInfo, DylinkError> {
    check_header(bytes)?;

    let mut info = SideModuleInfo::default();
    // Per global index: is it an immutable i32 global defined by this module?
    // Per global: whether it is a data symbol, with its constant initialiser if it has one.
    let mut globals: Vec<Option<Option<u32>>> = Vec::new();
    let mut saw_dylink = false;
    let mut first_section = true;
    // Whether the function bodies were read for references (see CodeSectionStart).
    let mut scanned_code = false;
    // Function imports (their positions in `info.imports`, by function index), and which of
    // them something refers to.
    let mut func_imports: Vec<usize> = Vec::new();
    let mut used: Vec<bool> = Vec::new();
    let use_func = |used: &mut Vec<bool>, count: usize, index: u32| {
        if let Some(slot) = usize::try_from(index).ok().filter(|&i| i < count) {
            used.resize(count, false);
            used[slot] = true;
        }
    };

    // IMPORT_INFO borrowed from the section's bytes, for the weak-flag lookup of every import
    // without an allocation per import (`info.import_flags` owns the same entries).
    let mut weak_flags: HashMap<(&str, &str), SymbolFlags> = HashMap::new();
    // Where the active segments write (checked against MEM_INFO once dylink.0 was seen: a
    // module without it is refused as such at the end).
    let mut placement = Placement::default();
    // Section by section, skipping function bodies: nothing here needs them, and they are
    // most of a module's bytes (wasmtime validates them when it compiles the module).
    let mut parser = Parser::new(0);
    let mut at = 0usize;
    loop {
        let rest = bytes.get(at..).unwrap_or_default();
        let (consumed, payload) = match parser.parse(rest, true) {
            Ok(wasmparser::Chunk::Parsed { consumed, payload }) => (consumed, payload),
            // With `eof` the parser reports a short input as an error, never as this.
            Ok(wasmparser::Chunk::NeedMoreData(_)) => {
                return Err(DylinkError::Malformed(format!(
                    "unexpected end of the module (at byte offset {})",
                    bytes.len()
                )))
            }
            Err(e) => return Err(wasm_error("", e)),
        };
        at += consumed;
        match payload {
            Payload::End(_) => break,
            Payload::CodeSectionStart { size, range, .. } => {
                // wasmparser 0.261 reports offsets as u64; usize always fits in it.
                if range.end > bytes.len() as u64 {
                    return Err(DylinkError::Malformed(format!(
                        "the code section ({size} bytes from byte offset {}) runs past the end \
                         of the module (at byte offset {})",
                        range.start,
                        bytes.len()
                    )));
                }
                // Only a function the module both imports and exports (a weak definition that
                // another library may override) can be an import nothing calls; the bodies are
                // read for references only then, and skipped otherwise (most of the bytes).
                // A set of the imported names, not a scan of the exports per import: both
                // lists may hold a million entries, and their product would keep the host
                // busy for hours (test attacks::import_export_cross_check_is_not_quadratic).
                scanned_code = !func_imports.is_empty() && {
                    let imported: HashSet<&str> = func_imports
                        .iter()
                        .filter_map(|&at| info.imports.get(at))
                        .map(|import| import.name.as_str())
                        .collect();
                    info.exports.iter().any(|e| {
                        matches!(e.kind, ExportKind::Function { .. })
                            && imported.contains(e.name.as_str())
                    })
                };
                if !scanned_code {
                    parser.skip_section();
                    at = at.saturating_add(size as usize);
                }
            }
            Payload::Version { encoding, .. } => {
                if encoding != Encoding::Module {
                    return Err(DylinkError::Component);
                }
                continue;
            }
            Payload::CustomSection(section) => match section.name() {
                DYLINK_SECTION => {
                    if saw_dylink {
                        return Err(DylinkError::Malformed(format!(
                            "second dylink.0 section at byte offset {}",
                            section.range().start
                        )));
                    }
                    if !first_section {
                        return Err(DylinkError::DylinkNotFirst);
                    }
                    parse_dylink0(section.data(), section.data_offset(), &mut info)?;
                    weak_flags = import_info_flags(section.data(), section.data_offset());
                    saw_dylink = true;
                }
                OLD_DYLINK_SECTION if !saw_dylink => return Err(DylinkError::OldDylinkSection),
                // `soname=NAME`, `nodelete` and `nodlopen` lines written by `wasi-dl cc` (docs/DESIGN.md);
                // anything else in it is ignored.
                META_SECTION => {
                    let text = String::from_utf8_lossy(section.data());
                    for line in text.lines() {
                        if let Some(name) = line.strip_prefix("soname=") {
                            if !name.is_empty() && !name.contains('/') {
                                info.soname = Some(name.to_string());
                            }
                        } else if line == "nodelete" {
                            info.nodelete = true;
                        } else if line == "nodlopen" {
                            info.nodlopen = true;
                        }
                    }
                }
                _ => {}
            },
            Payload::ImportSection(reader) => {
                info.imports.reserve(cap(reader.count()));
                for import in reader.into_imports() {
                    let import = import.map_err(|e| wasm_error("import section: ", e))?;
                    placement.import(&import);
                    if matches!(import.ty, TypeRef::Global(_)) {
                        globals.push(None);
                    }
                    let kind = classify_import(import.module, import.name, import.ty);
                    let weak = is_weak_import(&weak_flags, import.module, import.name);
                    if matches!(import.ty, TypeRef::Func(_) | TypeRef::FuncExact(_)) {
                        func_imports.push(info.imports.len());
                    }
                    info.imports.push(Import {
                        module: import.module.to_owned(),
                        name: import.name.to_owned(),
                        kind,
                        weak,
                        referenced: true,
                    });
                }
            }
            Payload::GlobalSection(reader) => {
                for global in reader {
                    let global = global.map_err(|e| wasm_error("global section: ", e))?;
                    globals.push(is_data_global(global.ty).then(|| const_i32(&global.init_expr)));
                }
            }
            Payload::ExportSection(reader) => {
                info.exports.reserve(cap(reader.count()));
                for export in reader.into_iter_with_offsets() {
                    let (offset, export) = export.map_err(|e| wasm_error("export section: ", e))?;
                    let kind = match export.kind {
                        ExternalKind::Func | ExternalKind::FuncExact => {
                            use_func(&mut used, func_imports.len(), export.index);
                            ExportKind::Function {
                                func_index: export.index,
                            }
                        }
                        ExternalKind::Global => {
                            match usize::try_from(export.index)
                                .ok()
                                .and_then(|i| globals.get(i))
                            {
                                Some(Some(offset)) => ExportKind::Data {
                                    global_index: export.index,
                                    offset: *offset,
                                },
                                Some(None) => ExportKind::Global,
                                None => {
                                    return Err(DylinkError::Malformed(format!(
                                        "export \"{}\" at byte offset {offset} refers to global \
                                         {}, but the module has {} globals",
                                        export.name,
                                        export.index,
                                        globals.len()
                                    )))
                                }
                            }
                        }
                        ExternalKind::Memory => ExportKind::Memory,
                        ExternalKind::Table => ExportKind::Table,
                        ExternalKind::Tag => ExportKind::Tag,
                    };
                    info.exports.push(Export {
                        name: export.name.to_owned(),
                        kind,
                    });
                }
            }
            Payload::StartSection { func, .. } => {
                info.has_start = true;
                use_func(&mut used, func_imports.len(), func);
            }
            Payload::ElementSection(reader) => {
                for element in reader {
                    let element = element.map_err(|e| wasm_error("element section: ", e))?;
                    if saw_dylink {
                        placement.element(&element, &info.mem)?;
                    }
                    match element.items {
                        wasmparser::ElementItems::Functions(funcs) => {
                            for func in funcs {
                                let func = func.map_err(|e| wasm_error("element section: ", e))?;
                                use_func(&mut used, func_imports.len(), func);
                            }
                        }
                        wasmparser::ElementItems::Expressions(_, exprs) => {
                            for expr in exprs {
                                let expr = expr.map_err(|e| wasm_error("element section: ", e))?;
                                let mut ops = expr.get_operators_reader();
                                while let Ok(op) = ops.read() {
                                    if let wasmparser::Operator::RefFunc { function_index } = op {
                                        use_func(&mut used, func_imports.len(), function_index);
                                    }
                                }
                            }
                        }
                    }
                }
            }
            Payload::DataSection(reader) if saw_dylink => {
                for data in reader {
                    let data = data.map_err(|e| wasm_error("data section: ", e))?;
                    placement.data(&data, &info.mem)?;
                }
            }
            Payload::CodeSectionEntry(body) if scanned_code => {
                let mut ops = body
                    .get_operators_reader()
                    .map_err(|e| wasm_error("code section: ", e))?;
                while !ops.eof() {
                    let op = ops.read().map_err(|e| wasm_error("code section: ", e))?;
                    match op {
                        wasmparser::Operator::Call { function_index }
                        | wasmparser::Operator::ReturnCall { function_index }
                        | wasmparser::Operator::RefFunc { function_index } => {
                            use_func(&mut used, func_imports.len(), function_index)
                        }
                        _ => {}
                    }
                }
            }
            _ => {}
        }
        first_section = false;
    }
    // Without a scan of the bodies every import counts as referenced (the default).
    if scanned_code {
        for (index, &at) in func_imports.iter().enumerate() {
            if let Some(import) = info.imports.get_mut(at) {
                import.referenced = used.get(index).copied().unwrap_or(false);
            }
        }
    }

    if !saw_dylink {
        return Err(DylinkError::NoDylinkSection);
    }
    Ok(info)
}

/// Magic number and version, checked by hand for precise errors (the parser checks them again).
pub(super) fn check_header(bytes: &[u8]) -> Result<(), DylinkError> {
    if bytes.get(0..4) != Some(&WASM_MAGIC[..]) {
        return Err(DylinkError::NotWasm);
    }
    let Some(version) = bytes.get(4..8).and_then(|v| <[u8; 4]>::try_from(v).ok()) else {
        return Err(DylinkError::Malformed(format!(
            "the file ends inside the 8-byte module header (it is {} bytes long)",
            bytes.len()
        )));
    };
    match u32::from_le_bytes(version) {
        1 => Ok(()),
        // The upper 16 bits are the layer; layer 1 is the component model.
        v if v >> 16 == 1 => Err(DylinkError::Component),
        v => Err(DylinkError::UnsupportedVersion(v)),
    }
}

fn classify_import(module: &str, name: &str, ty: TypeRef) -> ImportKind {
    match (module, name, ty) {
        (_, _, TypeRef::Func(type_index) | TypeRef::FuncExact(type_index)) => {
            ImportKind::Function { type_index }
        }
        ("env", "memory", TypeRef::Memory(_)) => ImportKind::Memory,
        ("env", "__indirect_function_table", TypeRef::Table(_)) => ImportKind::Table,
        ("env", "__stack_pointer", TypeRef::Global(_)) => ImportKind::StackPointer,
        ("env", "__memory_base", TypeRef::Global(_)) => ImportKind::MemoryBase,
        ("env", "__table_base", TypeRef::Global(_)) => ImportKind::TableBase,
        ("env", _, TypeRef::Global(ty)) => ImportKind::Global { ty },
        ("GOT.mem", sym, TypeRef::Global(_)) => ImportKind::GotMem(sym.to_owned()),
        ("GOT.func", sym, TypeRef::Global(_)) => ImportKind::GotFunc(sym.to_owned()),
        _ => ImportKind::Other,
    }
}

/// IMPORT_INFO's weak flag for an import. wasm-ld writes the entry for a weak undefined symbol
/// under `env` even when the module reaches it only through `GOT.mem` / `GOT.func` (clang 19:
/// `extern int x __attribute__((weak))` gives IMPORT_INFO `env.x` and an import `GOT.mem.x`).
fn is_weak_import(flags: &HashMap<(&str, &str), SymbolFlags>, module: &str, name: &str) -> bool {
    let weak_in = |m: &str| flags.get(&(m, name)).is_some_and(|f| f.is_weak());
    weak_in(module) || (matches!(module, "GOT.mem" | "GOT.func") && weak_in("env"))
}

/// The value of an initialiser that is exactly `i32.const N` (a data symbol's offset; the
/// self-binding rewrite drops the exports whose offset this gives).
pub(crate) fn const_i32(init: &wasmparser::ConstExpr<'_>) -> Option<u32> {
    let mut ops = init.get_operators_reader();
    let value = match ops.read().ok()? {
        wasmparser::Operator::I32Const { value } => value as u32,
        _ => return None,
    };
    matches!(ops.read().ok()?, wasmparser::Operator::End).then_some(value)
}

fn is_data_global(ty: GlobalType) -> bool {
    !ty.mutable && ty.content_type == ValType::I32
}

/// Capacity to reserve for `count` entries announced by the input.
pub(super) fn cap(count: u32) -> usize {
    usize::try_from(count)
        .unwrap_or(usize::MAX)
        .min(MAX_PREALLOC)
}

fn wasm_error(context: &str, e: BinaryReaderError) -> DylinkError {
    DylinkError::Malformed(format!(
        "{context}{} (at byte offset {})",
        e.message(),
        e.offset()
    ))
}
