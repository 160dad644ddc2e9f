//! Reading side modules: what they import from the program (for slim-mode
//! exports) and which libraries they need (`dylink.0` NEEDED, RUNTIME_PATH).

use anyhow::{bail, Context, Result};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use wasmparser::{Dylink0Subsection, KnownCustom, Parser, Payload, TypeRef};

/// `env` imports every side module has, which the dynamic-linking ABI itself
/// satisfies (the main's memory, table and stack pointer; the loader's bases).
const ABI_IMPORTS: &[&str] = &[
    "memory",
    "__indirect_function_table",
    "__stack_pointer",
    "__memory_base",
    "__table_base",
];

/// The `dylink.0` facts and the symbol imports/exports of one side module.
#[derive(Clone, Debug, Default)]
pub struct SideModuleInfo {
    /// Functions and data the module imports (`env.NAME`, `GOT.mem.NAME`,
    /// `GOT.func.NAME`), without the ABI's own imports.
    pub imports: BTreeSet<String>,
    /// Names the module exports (functions and data).
    pub exports: BTreeSet<String>,
    /// The functions among them (without the dynamic-linking ABI's `__wasm_*` functions).
    pub functions: BTreeSet<String>,
    /// The NEEDED subsection.
    pub needed: Vec<String>,
    /// The RUNTIME_PATH subsection.
    pub runtime_path: Vec<String>,
    /// `-Wl,-soname,NAME`, from the project's `wasi_dl_meta` section (its last valid `soname=`).
    pub soname: Option<String>,
}

/// The custom section in which `wasi-dl cc` records a side module's SONAME and `-z nodelete`
/// (`soname=NAME` and `nodelete` lines; docs/DESIGN.md). dylink.0 has no field for either.
pub const META_SECTION: &str = "wasi_dl_meta";

/// The SONAME a `wasi_dl_meta` section's text records, read as the loader reads it: the
/// last `soname=` line that names a file (not empty, no `/`); a later section's wins.
fn meta_soname(data: &[u8]) -> Option<String> {
    String::from_utf8_lossy(data)
        .lines()
        .filter_map(|line| line.strip_prefix("soname="))
        .rfind(|name| !name.is_empty() && !name.contains('/'))
        .map(str::to_string)
}

/// The SONAME of the side module at `path`, if it has one. Anything unreadable, or not a
/// side module, has none (the link then reports the problem itself).
pub fn soname_of(path: &Path) -> Option<String> {
    let bytes = std::fs::read(path).ok()?;
    let mut soname = None;
    for payload in Parser::new(0).parse_all(&bytes) {
        if let Payload::CustomSection(custom) = payload.ok()? {
            if custom.name() == META_SECTION {
                soname = meta_soname(custom.data()).or(soname);
            }
        }
    }
    soname
}

/// Reads a side module. Fails if it has no `dylink.0` section.
pub fn read_side_module(bytes: &[u8]) -> Result<SideModuleInfo> {
    let mut info = SideModuleInfo::default();
    let mut dylink = false;
    for payload in Parser::new(0).parse_all(bytes) {
        match payload? {
            Payload::CustomSection(custom) if custom.name() == META_SECTION => {
                info.soname = meta_soname(custom.data()).or(info.soname.take());
            }
            Payload::CustomSection(custom) => {
                if let KnownCustom::Dylink0(reader) = custom.as_known() {
                    dylink = true;
                    for sub in reader {
                        match sub? {
                            Dylink0Subsection::Needed(names) => {
                                info.needed.extend(names.iter().map(|s| s.to_string()))
                            }
                            Dylink0Subsection::RuntimePath(paths) => info
                                .runtime_path
                                .extend(paths.iter().map(|s| s.to_string())),
                            _ => {}
                        }
                    }
                }
            }
            Payload::ImportSection(reader) => {
                for import in reader.into_imports() {
                    let import = import?;
                    let symbol = match (import.module, import.ty) {
                        ("env", TypeRef::Func(_) | TypeRef::FuncExact(_) | TypeRef::Global(_)) => {
                            !ABI_IMPORTS.contains(&import.name)
                        }
                        ("GOT.mem" | "GOT.func", _) => true,
                        _ => false,
                    };
                    if symbol {
                        info.imports.insert(import.name.to_string());
                    }
                }
            }
            Payload::ExportSection(reader) => {
                for export in reader {
                    let export = export?;
                    if export.kind == wasmparser::ExternalKind::Func
                        && !export.name.starts_with("__wasm_")
                        && export.name != "__post_instantiate"
                    {
                        info.functions.insert(export.name.to_string());
                    }
                    info.exports.insert(export.name.to_string());
                }
            }
            _ => {}
        }
    }
    if !dylink {
        bail!("not a side module (no dylink.0 section)");
    }
    Ok(info)
}

/// What a set of side modules, and the libraries they need, import from the
/// program that loads them.
#[derive(Clone, Debug, Default)]
pub struct ImportedSymbols {
    /// Symbols imported by some module of the set and exported by none.
    pub symbols: BTreeSet<String>,
    /// Every module read: the given ones and the NEEDED ones found.
    pub modules: Vec<PathBuf>,
    /// NEEDED libraries that were not found (`libfoo.so (needed by libbar.so)`).
    pub not_found: Vec<String>,
}

/// Reads `side_modules` and, depth first, the libraries they need, looked up
/// in each module's RUNTIME_PATH (`$ORIGIN` = its directory), its own
/// directory, then `search_dirs`.
pub fn imported_symbols(
    side_modules: &[PathBuf],
    search_dirs: &[PathBuf],
) -> Result<ImportedSymbols> {
    let mut out = ImportedSymbols::default();
    let mut exports = BTreeSet::new();
    let mut seen = BTreeSet::new();
    let mut stack: Vec<PathBuf> = side_modules.iter().rev().cloned().collect();
    while let Some(path) = stack.pop() {
        let key = path.canonicalize().unwrap_or_else(|_| path.clone());
        if !seen.insert(key) {
            continue;
        }
        let bytes = std::fs::read(&path)
            .with_context(|| format!("reading side module {}", path.display()))?;
        let info = read_side_module(&bytes).with_context(|| format!("{}", path.display()))?;
        let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        for name in info.needed.iter().rev() {
            let mut dirs: Vec<PathBuf> = info
                .runtime_path
                .iter()
                .map(|p| PathBuf::from(p.replace("$ORIGIN", &dir.to_string_lossy())))
                .collect();
            dirs.push(dir.clone());
            dirs.extend(search_dirs.iter().cloned());
            match dirs.iter().map(|d| d.join(name)).find(|p| p.is_file()) {
                Some(found) => stack.push(found),
                None => out
                    .not_found
                    .push(format!("{name} (needed by {})", path.display())),
            }
        }
        out.symbols.extend(info.imports);
        exports.extend(info.exports);
        out.modules.push(path);
    }
    out.symbols.retain(|s| !exports.contains(s));
    Ok(out)
}
