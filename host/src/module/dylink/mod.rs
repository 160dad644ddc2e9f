//! Reader for side modules: turns the bytes of a module built with `-fPIC -shared` into plain
//! data ([`SideModuleInfo`]) the loader works from. No wasmtime types appear here.
//!
//! What it reads (WebAssembly tool-conventions, `DynamicLinking.md`):
//! - the `dylink.0` custom section, which must be the module's first section: a sequence of
//!   subsections `id: u8, len: varuint32, payload` (MEM_INFO, NEEDED, EXPORT_INFO, IMPORT_INFO,
//!   RUNTIME_PATH; unknown ids are skipped);
//! - the import, global, export and start sections, to classify every import and export;
//! - the data and element sections, to check that active segments stay in the block MEM_INFO
//!   asks for (`placement`).
//!
//! The input is untrusted: every failure is a [`DylinkError`], never a panic, and no allocation
//! is sized by a count read from the input (vectors grow with the entries actually present).
//! Function bodies are not looked at; wasmtime validates the module when it compiles it.

use std::collections::HashMap;
use std::ops::BitOr;

use wasmparser::GlobalType;

/// Defined with the crate's other error types (the ground floor); public here as always.
pub use crate::error::DylinkError;

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
/// Most directories a RUNTIME_PATH (a library's, or the program's) may list. Each one is a
/// directory probed on every search for a bare name, in host code that neither fuel nor epochs
/// interrupt: a million of them (an 8 MB module, or a string the program passes) kept the host
/// busy for seconds per `dlopen`. Real libraries list a handful.
pub const MAX_RUNTIME_PATH: usize = 1024;

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
    /// `-Wl,-z,nodlopen`, from the `wasi_dl_meta` section: no `dlopen` may load it.
    pub nodlopen: bool,
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
        /// Its initialiser's value when that is a plain `i32.const` (what clang writes): the
        /// loader then knows the address without asking the instance.
        offset: Option<u32>,
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

#[cfg(test)]
pub(crate) mod build;
mod destructors;
mod placement;
mod read;
mod start;
mod subsections;
#[cfg(test)]
mod tests;

pub use destructors::late_destructor_offsets;
pub(crate) use read::const_i32;
pub use read::read;
pub use start::{check_start, defined_function_count, module_counts, ModuleCounts, START_LEN};
pub(crate) use subsections::with_table_size;
