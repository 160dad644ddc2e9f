//! Reader for side modules: turns the bytes of a module built with `-fPIC -shared` into plain
//! data ([`SideModuleInfo`]) the loader works from. No wasmtime types appear here.
//!
//! What it reads (WebAssembly tool-conventions, `DynamicLinking.md`):
//! - the `dylink.0` custom section, which must be the module's first section: a sequence of
//!   subsections `id: u8, len: varuint32, payload` (MEM_INFO, NEEDED, EXPORT_INFO, IMPORT_INFO,
//!   RUNTIME_PATH; unknown ids are skipped);
//! - the import, global, export and start sections, to classify every import and export.
//!
//! The input is untrusted: every failure is a [`DylinkError`], never a panic, and no allocation
//! is sized by a count read from the input (vectors grow with the entries actually present).
//! Function bodies are not looked at; wasmtime validates the module when it compiles it.

/// Defined with the crate's other error types (the ground floor); public here as always.
pub use crate::error::DylinkError;
use std::collections::{HashMap, HashSet};
use std::ops::BitOr;

use wasmparser::{
    BinaryReader, BinaryReaderError, Encoding, ExternalKind, GlobalType, Parser, Payload, TypeRef,
    ValType,
};

/// Name of the custom section that marks a side module.
pub const DYLINK_SECTION: &str = "dylink.0";
/// The project's own custom section: what `wasi-dl cc` knows of a side module that dylink.0
/// has no field for (SONAME, `-z nodelete`).
pub const META_SECTION: &str = "wasi_dl_meta";
/// Name of the pre-LLVM-12 section, which has a different layout.
const OLD_DYLINK_SECTION: &str = "dylink";

const WASM_MAGIC: [u8; 4] = *b"\0asm";
const SUB_MEM_INFO: u8 = 1;
const SUB_NEEDED: u8 = 2;
const SUB_EXPORT_INFO: u8 = 3;
const SUB_IMPORT_INFO: u8 = 4;
const SUB_RUNTIME_PATH: u8 = 5;

/// Largest alignment (log2) accepted for the memory and table areas.
const MAX_ALIGN_LOG2: u32 = 31;
/// Upper bound on any capacity reserved from a count found in the input.
const MAX_PREALLOC: usize = 256;

/// Everything the loader needs to know about a side module, read once per module (cached with it).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SideModuleInfo {
    /// MEM_INFO (all zero if the subsection is absent).
    pub mem: MemInfo,
    /// NEEDED, in order (several NEEDED subsections are concatenated).
    pub needed: Vec<String>,
    /// RUNTIME_PATH, unexpanded (`$ORIGIN` kept).
    pub runtime_paths: Vec<String>,
    /// EXPORT_INFO: only names the linker gave explicit flags (e.g. TLS).
    pub export_flags: HashMap<String, SymbolFlags>,
    /// IMPORT_INFO keyed by (module, field), exactly as written in the section. wasm-ld keys a weak
    /// undefined *data* symbol as `("env", sym)` although the module imports `GOT.mem.sym`;
    /// [`Import::weak`] accounts for that.
    pub import_flags: HashMap<(String, String), SymbolFlags>,
    /// Every import of the module, in order, classified.
    pub imports: Vec<Import>,
    /// Every export of the module, in order, classified.
    pub exports: Vec<Export>,
    /// The module has a start function (e.g. `__wasm_apply_global_relocs`, `__wasm_init_memory`).
    pub has_start: bool,
    /// SONAME (`-Wl,-soname,NAME`), from the project's `wasi_dl_meta` custom section.
    pub soname: Option<String>,
    /// `-Wl,-z,nodelete`, from the same section: never unloaded.
    pub nodelete: bool,
}

/// The MEM_INFO subsection.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct MemInfo {
    /// Bytes of memory to reserve (zero-filled) at `__memory_base`.
    pub memory_size: u32,
    /// Required alignment of that area, log2 (at most 31).
    pub memory_align_log2: u32,
    /// Table slots to reserve at `__table_base`.
    pub table_size: u32,
    /// Required alignment of the table area in slots, log2 (at most 31).
    pub table_align_log2: u32,
}

/// Symbol flags of EXPORT_INFO / IMPORT_INFO (`WASM_SYM_*` in tool-conventions `Linking.md`).
/// Unknown bits are kept.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct SymbolFlags(pub u32);

impl SymbolFlags {
    pub const WEAK: Self = Self(0x1);
    pub const LOCAL: Self = Self(0x2);
    pub const HIDDEN: Self = Self(0x4);
    pub const UNDEFINED: Self = Self(0x10);
    pub const EXPORTED: Self = Self(0x20);
    pub const EXPLICIT_NAME: Self = Self(0x40);
    pub const NO_STRIP: Self = Self(0x80);
    pub const TLS: Self = Self(0x100);
    pub const ABSOLUTE: Self = Self(0x200);

    /// The raw bits.
    pub const fn bits(self) -> u32 {
        self.0
    }

    /// Whether every bit of `other` is set.
    pub const fn contains(self, other: Self) -> bool {
        self.0 & other.0 == other.0
    }

    /// `WASM_SYM_BINDING_WEAK`.
    pub const fn is_weak(self) -> bool {
        self.contains(Self::WEAK)
    }

    /// `WASM_SYM_TLS`.
    pub const fn is_tls(self) -> bool {
        self.contains(Self::TLS)
    }
}

impl BitOr for SymbolFlags {
    type Output = Self;
    fn bitor(self, rhs: Self) -> Self {
        Self(self.0 | rhs.0)
    }
}

/// What an import is for, by name and kind. The loader decides which kinds it accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImportKind {
    /// `env.memory` (a memory import).
    Memory,
    /// `env.__indirect_function_table` (a table import).
    Table,
    /// `env.__stack_pointer` (a global import).
    StackPointer,
    /// `env.__memory_base` (a global import).
    MemoryBase,
    /// `env.__table_base` (a global import).
    TableBase,
    /// A function import, from any module.
    Function { type_index: u32 },
    /// `GOT.mem.<sym>` (a global import): the symbol's absolute address.
    GotMem(String),
    /// `GOT.func.<sym>` (a global import): the symbol's table index.
    GotFunc(String),
    /// Any other global imported from `env`.
    Global { ty: GlobalType },
    /// Anything else (other modules, tags, a well-known name with an unexpected kind, ...).
    Other,
}

/// One import of the module.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Import {
    /// Import module name (`env`, `GOT.mem`, ...).
    pub module: String,
    /// Import field name.
    pub name: String,
    /// What the import is for.
    pub kind: ImportKind,
    /// IMPORT_INFO marks it weak (an unresolved weak symbol resolves to 0 / null).
    pub weak: bool,
    /// For a function import: some code calls it or takes its address (a call, `ref.func`,
    /// an element segment, an export or the start function). wasm-ld also imports a
    /// library's own weak definitions, used or not; an unused import is no real reference
    /// (glibc records dependencies from relocations only). Always true for other imports.
    pub referenced: bool,
}

/// What an export is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportKind {
    /// A function; `func_index` is in the module's function index space.
    Function {
        func_index: u32,
    },
    /// An immutable i32 global defined by the module: a data symbol whose value is an offset from
    /// `__memory_base`. (Special names such as `__tls_size` also land here; the loader knows them.)
    Data {
        global_index: u32,
    },
    /// Any other global (mutable, not i32, or a re-exported import).
    Global,
    Memory,
    Table,
    Tag,
}

/// One export of the module.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Export {
    /// Export name.
    pub name: String,
    /// What is exported.
    pub kind: ExportKind,
}

/// Reads a side module's `dylink.0` section and classifies its imports and exports.
pub fn read(bytes: &[u8]) -> Result<SideModuleInfo, DylinkError> {
    check_header(bytes)?;

    let mut info = SideModuleInfo::default();
    // Per global index: is it an immutable i32 global defined by this module?
    let mut globals: Vec<bool> = Vec::new();
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
                if range.end > bytes.len() {
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
                // `soname=NAME` and `nodelete` lines written by `wasi-dl cc` (docs/DESIGN.md);
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
                        }
                    }
                }
                _ => {}
            },
            Payload::ImportSection(reader) => {
                info.imports.reserve(cap(reader.count()));
                for import in reader.into_imports() {
                    let import = import.map_err(|e| wasm_error("import section: ", e))?;
                    if matches!(import.ty, TypeRef::Global(_)) {
                        globals.push(false);
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
                    globals.push(is_data_global(global.ty));
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
                                Some(true) => ExportKind::Data {
                                    global_index: export.index,
                                },
                                Some(false) => ExportKind::Global,
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

/// How many leading bytes of a file [`check_start`] looks at: the 8-byte header, a section
/// id, two LEB128 lengths and the 8-byte name `dylink.0`, with room to spare.
pub const START_LEN: usize = 32;

/// Checks a file's first bytes, before the rest is read: the wasm magic number and version,
/// and a first section that is the custom section `dylink.0`. `prefix` holds the first
/// [`START_LEN`] bytes of the file, or all of it when `complete` (the file is shorter).
/// Passing says nothing about the rest; [`read`] checks the whole module.
pub fn check_start(prefix: &[u8], complete: bool) -> Result<(), DylinkError> {
    check_header(prefix)?;
    let mut r = BinaryReader::new(prefix.get(8..).unwrap_or_default(), 8);
    if r.eof() {
        return if complete {
            Err(DylinkError::NoDylinkSection)
        } else {
            Ok(())
        };
    }
    let cut = |e: BinaryReaderError| {
        DylinkError::Malformed(format!(
            "first section header: {} (at byte offset {})",
            e.message(),
            e.offset()
        ))
    };
    let id = r.read_u8().map_err(cut)?;
    if id != 0 {
        return Err(DylinkError::FirstSectionNotDylink(format!(
            "the {} section (id {id})",
            section_name(id)
        )));
    }
    let section_len = r.read_var_u32().map_err(cut)?;
    let name_len = r.read_var_u32().map_err(cut)?;
    if name_len > section_len {
        return Err(DylinkError::Malformed(format!(
            "the first section's name is {name_len} bytes long, but the section only {section_len}"
        )));
    }
    let name_len = usize::try_from(name_len).unwrap_or(usize::MAX);
    if name_len > r.bytes_remaining() && name_len > DYLINK_SECTION.len() {
        // Longer than any name we accept: no need to see it.
        return Err(DylinkError::FirstSectionNotDylink(
            "a custom section".into(),
        ));
    }
    let name = r.read_bytes(name_len).map_err(cut)?;
    match name {
        n if n == DYLINK_SECTION.as_bytes() => Ok(()),
        n if n == OLD_DYLINK_SECTION.as_bytes() => Err(DylinkError::OldDylinkSection),
        n => Err(DylinkError::FirstSectionNotDylink(format!(
            "the custom section {:?}",
            String::from_utf8_lossy(n)
        ))),
    }
}

fn section_name(id: u8) -> &'static str {
    match id {
        1 => "type",
        2 => "import",
        3 => "function",
        4 => "table",
        5 => "memory",
        6 => "global",
        7 => "export",
        8 => "start",
        9 => "element",
        10 => "code",
        11 => "data",
        12 => "data count",
        13 => "tag",
        _ => "unknown",
    }
}

/// How many functions a module defines, from its function section's header (a few bytes
/// past the sections before it, which are skipped, not parsed): the compile cost bound of
/// `Limits::max_module_functions`. 0 when there is no function section or the module is
/// malformed before it (compiling reports that).
pub fn defined_function_count(bytes: &[u8]) -> u32 {
    for payload in Parser::new(0).parse_all(bytes) {
        match payload {
            Ok(Payload::FunctionSection(reader)) => return reader.count(),
            // The function section comes before code and data; nothing later counts.
            Ok(Payload::CodeSectionStart { .. }) | Err(_) => return 0,
            Ok(_) => {}
        }
    }
    0
}

/// Magic number and version, checked by hand for precise errors (the parser checks them again).
fn check_header(bytes: &[u8]) -> Result<(), DylinkError> {
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

fn is_data_global(ty: GlobalType) -> bool {
    !ty.mutable && ty.content_type == ValType::I32
}

/// Capacity to reserve for `count` entries announced by the input.
fn cap(count: u32) -> usize {
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

fn subsection_name(id: u8) -> &'static str {
    match id {
        SUB_MEM_INFO => "MEM_INFO",
        SUB_NEEDED => "NEEDED",
        SUB_EXPORT_INFO => "EXPORT_INFO",
        SUB_IMPORT_INFO => "IMPORT_INFO",
        SUB_RUNTIME_PATH => "RUNTIME_PATH",
        _ => "unknown",
    }
}

/// A subsection being read: errors name it.
struct Sub<'a> {
    name: &'static str,
    r: BinaryReader<'a>,
}

impl<'a> Sub<'a> {
    fn err(&self, e: BinaryReaderError) -> DylinkError {
        DylinkError::Malformed(format!(
            "dylink.0 {} subsection: {} (at byte offset {})",
            self.name,
            e.message(),
            e.offset()
        ))
    }

    fn u32(&mut self) -> Result<u32, DylinkError> {
        self.r.read_var_u32().map_err(|e| self.err(e))
    }

    fn string(&mut self) -> Result<String, DylinkError> {
        match self.r.read_unlimited_string() {
            Ok(s) => Ok(s.to_owned()),
            Err(e) => Err(self.err(e)),
        }
    }

    fn flags(&mut self) -> Result<SymbolFlags, DylinkError> {
        self.u32().map(SymbolFlags)
    }

    /// A log2 alignment, at most [`MAX_ALIGN_LOG2`].
    fn align_log2(&mut self, what: &str) -> Result<u32, DylinkError> {
        let at = self.r.original_position();
        let v = self.u32()?;
        if v > MAX_ALIGN_LOG2 {
            return Err(DylinkError::Malformed(format!(
                "dylink.0 MEM_INFO subsection: {what} alignment 2^{v} is too large (log2 must be \
                 at most {MAX_ALIGN_LOG2}) (at byte offset {at})"
            )));
        }
        Ok(v)
    }

    /// Reads a `count` and then `count` entries with `entry`.
    fn list<T>(
        &mut self,
        mut entry: impl FnMut(&mut Self) -> Result<T, DylinkError>,
    ) -> Result<Vec<T>, DylinkError> {
        let count = self.u32()?;
        // Every entry takes at least one byte, so this never reserves more than the input holds.
        let mut out = Vec::with_capacity(cap(count).min(self.r.bytes_remaining()));
        for _ in 0..count {
            out.push(entry(self)?);
        }
        Ok(out)
    }
}

fn parse_dylink0(data: &[u8], offset: usize, info: &mut SideModuleInfo) -> Result<(), DylinkError> {
    let mut r = BinaryReader::new(data, offset);
    let mut saw_mem_info = false;
    while !r.eof() {
        let start = r.original_position();
        let header = |e: BinaryReaderError| {
            DylinkError::Malformed(format!(
                "dylink.0 subsection header: {} (at byte offset {})",
                e.message(),
                e.offset()
            ))
        };
        let id = r.read_u8().map_err(header)?;
        let name = subsection_name(id);
        let len = r.read_var_u32().map_err(header)?;
        let len = usize::try_from(len).unwrap_or(usize::MAX);
        if len > r.bytes_remaining() {
            return Err(DylinkError::Malformed(format!(
                "dylink.0 subsection {id} ({name}) at byte offset {start} is {len} bytes long, \
                 but only {} bytes are left in the section",
                r.bytes_remaining()
            )));
        }
        let body_offset = r.original_position();
        let body = r.read_bytes(len).map_err(header)?;
        let mut sub = Sub {
            name,
            r: BinaryReader::new(body, body_offset),
        };

        match id {
            SUB_MEM_INFO => {
                if saw_mem_info {
                    return Err(DylinkError::Malformed(format!(
                        "dylink.0 has a second MEM_INFO subsection (at byte offset {start})"
                    )));
                }
                saw_mem_info = true;
                info.mem.memory_size = sub.u32()?;
                info.mem.memory_align_log2 = sub.align_log2("memory")?;
                info.mem.table_size = sub.u32()?;
                info.mem.table_align_log2 = sub.align_log2("table")?;
            }
            SUB_NEEDED => info.needed.extend(sub.list(Sub::string)?),
            SUB_RUNTIME_PATH => info.runtime_paths.extend(sub.list(Sub::string)?),
            SUB_EXPORT_INFO => {
                for (name, flags) in sub.list(|s| Ok((s.string()?, s.flags()?)))? {
                    info.export_flags.insert(name, flags);
                }
            }
            SUB_IMPORT_INFO => {
                for (module, field, flags) in
                    sub.list(|s| Ok((s.string()?, s.string()?, s.flags()?)))?
                {
                    info.import_flags.insert((module, field), flags);
                }
            }
            // The spec lets a reader skip subsections it does not know.
            _ => continue,
        }
        if !sub.r.eof() {
            return Err(DylinkError::Malformed(format!(
                "dylink.0 {name} subsection: {} unexpected bytes after its contents (at byte \
                 offset {})",
                sub.r.bytes_remaining(),
                sub.r.original_position()
            )));
        }
    }
    Ok(())
}

/// IMPORT_INFO entries of a `dylink.0` section already checked by [`parse_dylink0`], borrowed
/// from its bytes (a later entry for the same import wins, as in `import_flags`).
fn import_info_flags(data: &[u8], offset: usize) -> HashMap<(&str, &str), SymbolFlags> {
    let mut flags = HashMap::new();
    let mut r = BinaryReader::new(data, offset);
    while !r.eof() {
        let (Ok(id), Ok(len)) = (r.read_u8(), r.read_var_u32()) else {
            break;
        };
        let Ok(body) = r.read_bytes(len as usize) else {
            break;
        };
        if id != SUB_IMPORT_INFO {
            continue;
        }
        let mut sub = BinaryReader::new(body, 0);
        let count = sub.read_var_u32().unwrap_or(0);
        for _ in 0..count {
            let entry = (|| {
                let module = sub.read_unlimited_string()?;
                let field = sub.read_unlimited_string()?;
                Ok::<_, BinaryReaderError>((module, field, sub.read_var_u32()?))
            })();
            let Ok((module, field, bits)) = entry else {
                break;
            };
            flags.insert((module, field), SymbolFlags(bits));
        }
    }
    flags
}

/// Where a side module's `__attribute__((destructor))` functions are, as offsets into its
/// table slots, in the order its constructors would register them (rising priority). clang's wasm backend gathers them into `call_dtors` functions (one per
/// priority), which the constructors register with `__cxa_atexit(call_dtors, NULL, ...)`,
/// exactly as a C++ object's destructor is registered. glibc runs the former after every exit
/// handler, the latter among them: the loader tells the program which is which (see
/// `__wasi_dl_late_destructor`). Found by name (the `name` section); a stripped module has
/// none, and its destructors then run among the exit handlers.
pub fn late_destructor_offsets(bytes: &[u8]) -> Vec<u32> {
    use wasmparser::{ElementItems, ElementKind, KnownCustom, Name, Parser, Payload, TypeRef};
    // (priority, function index): clang names them `call_dtors` (default priority 65535) or
    // `call_dtors.<priority>[.<associated>]`, and registers them in rising priority.
    let mut late_funcs: Vec<(u32, u32)> = Vec::new();
    let mut elements: Vec<(u32, u32)> = Vec::new(); // (offset, function index)
    let mut table_base = None; // the index of the `__table_base` global import
    for payload in Parser::new(0).parse_all(bytes) {
        let Ok(payload) = payload else {
            return Vec::new();
        };
        match payload {
            Payload::ImportSection(reader) => {
                let mut globals = 0;
                for import in reader.into_imports().flatten() {
                    if let TypeRef::Global(_) = import.ty {
                        if (import.module, import.name) == ("env", "__table_base") {
                            table_base = Some(globals);
                        }
                        globals += 1;
                    }
                }
            }
            Payload::ElementSection(reader) => {
                for element in reader.into_iter().flatten() {
                    let ElementKind::Active { offset_expr, .. } = element.kind else {
                        continue;
                    };
                    // Placed at `__table_base` (plus a constant, for a second segment).
                    let Some(base) =
                        crate::module::image::relative_offset(&offset_expr, table_base)
                    else {
                        continue;
                    };
                    if let ElementItems::Functions(funcs) = element.items {
                        for (position, func) in funcs.into_iter().flatten().enumerate() {
                            elements.push((base.wrapping_add(position as u32), func));
                        }
                    }
                }
            }
            Payload::CustomSection(custom) => {
                if let KnownCustom::Name(reader) = custom.as_known() {
                    for name in reader.into_iter().flatten() {
                        if let Name::Function(map) = name {
                            for naming in map.into_iter().flatten() {
                                let plain = naming.name.trim_start_matches(".L");
                                let Some(rest) = plain.strip_prefix("call_dtors") else {
                                    continue;
                                };
                                if !(rest.is_empty() || rest.starts_with('.')) {
                                    continue;
                                }
                                let priority = rest
                                    .trim_start_matches('.')
                                    .split('.')
                                    .next()
                                    .and_then(|p| p.parse::<u32>().ok())
                                    .filter(|&p| p <= 65535)
                                    .unwrap_or(65535);
                                late_funcs.push((priority, naming.index));
                            }
                        }
                    }
                }
            }
            _ => {}
        }
    }
    let mut found: Vec<(u32, u32)> = elements
        .into_iter()
        .filter_map(|(offset, func)| {
            let (priority, _) = late_funcs.iter().find(|(_, f)| *f == func)?;
            Some((*priority, offset))
        })
        .collect();
    found.sort_by_key(|&(priority, offset)| (priority, offset));
    found.into_iter().map(|(_, offset)| offset).collect()
}

#[cfg(test)]
mod tests {

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

    use super::*;
    use wasm_encoder::Encode;

    const LIBX: &[u8] = include_bytes!("../../../tests/fixtures/dylink/libx.so");
    const LIBTLS: &[u8] = include_bytes!("../../../tests/fixtures/dylink/libtls.so");
    const LIBWEAK: &[u8] = include_bytes!("../../../tests/fixtures/dylink/libweak.so");

    /// Builds the payload of a `dylink.0` section.
    #[derive(Default)]
    struct Dylink(Vec<u8>);

    impl Dylink {
        fn sub(mut self, id: u8, payload: &[u8]) -> Self {
            self.0.push(id);
            u32::try_from(payload.len()).unwrap().encode(&mut self.0);
            self.0.extend_from_slice(payload);
            self
        }
        fn mem_info(self, mem: u32, mem_align: u32, table: u32, table_align: u32) -> Self {
            let mut p = Vec::new();
            for v in [mem, mem_align, table, table_align] {
                v.encode(&mut p);
            }
            self.sub(SUB_MEM_INFO, &p)
        }
        fn strings(self, id: u8, names: &[&str]) -> Self {
            let mut p = Vec::new();
            names.len().encode(&mut p);
            for n in names {
                n.encode(&mut p);
            }
            self.sub(id, &p)
        }
        fn needed(self, names: &[&str]) -> Self {
            self.strings(SUB_NEEDED, names)
        }
        fn runtime_path(self, paths: &[&str]) -> Self {
            self.strings(SUB_RUNTIME_PATH, paths)
        }
        fn export_info(self, entries: &[(&str, u32)]) -> Self {
            let mut p = Vec::new();
            entries.len().encode(&mut p);
            for (name, flags) in entries {
                name.encode(&mut p);
                flags.encode(&mut p);
            }
            self.sub(SUB_EXPORT_INFO, &p)
        }
        fn import_info(self, entries: &[(&str, &str, u32)]) -> Self {
            let mut p = Vec::new();
            entries.len().encode(&mut p);
            for (module, field, flags) in entries {
                module.encode(&mut p);
                field.encode(&mut p);
                flags.encode(&mut p);
            }
            self.sub(SUB_IMPORT_INFO, &p)
        }
    }

    /// A whole custom section (id, size, name, data).
    fn custom(name: &str, data: &[u8]) -> Vec<u8> {
        let mut m = wasm_encoder::Module::new();
        m.section(&wasm_encoder::CustomSection {
            name: name.into(),
            data: data.into(),
        });
        m.finish()[8..].to_vec()
    }

    /// `module` with `first` inserted right after the header.
    fn with_first_section(module: &[u8], first: &[u8]) -> Vec<u8> {
        [&module[..8], first, &module[8..]].concat()
    }

    fn side(d: Dylink, wat: &str) -> Vec<u8> {
        with_first_section(&wat::parse_str(wat).unwrap(), &custom(DYLINK_SECTION, &d.0))
    }

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
          (func $start)
          (start $start)
          (export "fn" (func $start))
          (export "data" (global $d))
          (export "mut" (global $m))
          (export "wide" (global $l))
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
                ("data", ExportKind::Data { global_index: 8 }),
                ("mut", ExportKind::Global),
                ("wide", ExportKind::Global),
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
                ("counter", ExportKind::Data { global_index: 7 }),
                ("counter_addr", ExportKind::Function { func_index: 6 }),
                ("dep_add_addr", ExportKind::Function { func_index: 7 }),
                ("sum", ExportKind::Function { func_index: 8 }),
                ("callbacks", ExportKind::Data { global_index: 8 }),
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
                ("__tls_size", ExportKind::Data { global_index: 4 }),
                ("__tls_align", ExportKind::Data { global_index: 5 }),
                ("__wasm_init_tls", ExportKind::Function { func_index: 1 }),
                (
                    "__wasm_apply_data_relocs",
                    ExportKind::Function { func_index: 2 }
                ),
                ("tls_get", ExportKind::Function { func_index: 4 }),
                ("tls_var", ExportKind::Data { global_index: 6 }),
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
                            ) || m.starts_with(
                                "data count is non-zero but data section is absent",
                            ) => {}
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
}
