//! Which symbols a main program exports for its side modules.
//!
//! wasi-libc's symbols have hidden visibility, so `--export-dynamic` exports
//! none of them; `--export=NAME` does, and also pulls the archive member that
//! defines NAME into the link. Full mode therefore passes one `--export=` per
//! symbol that libc (and compiler-rt's builtins, which side modules import for
//! `long double` and 128-bit arithmetic) defines.
//!
//! The list comes from the archives themselves: each member is a wasm object
//! whose `linking` section has a symbol table, read with `wasmparser`. A member
//! whose strong undefined symbols nothing can satisfy (compiler-rt's
//! `gcc_personality_v0.o` needs `_Unwind_*`) would break the link when forced
//! in, so members are dropped until the rest is closed. The result is cached
//! as a linker response file in the toolchain's cache directory (see
//! [`crate::Toolchain::cache_dir`]), keyed by the archives' paths, sizes and
//! modification times, so the archives are read once per toolchain rather than
//! once per link.

use crate::archive;
use crate::atomic_file;
use crate::detect::Toolchain;
use anyhow::{Context, Result};
use std::collections::{BTreeSet, HashSet};
use std::path::{Path, PathBuf};
use wasmparser::{KnownCustom, Linking, Parser, Payload, SymbolFlags, SymbolInfo, TypeRef};

/// Symbols the linker or the program itself defines: an archive member that
/// needs them can still be linked.
const LINKER_OR_PROGRAM_PROVIDED: &[&str] = &[
    "__heap_base",
    "__heap_end",
    "__data_end",
    "__dso_handle",
    "__global_base",
    "__stack_low",
    "__stack_high",
    "__memory_base",
    "__table_base",
    "__wasm_call_ctors",
    "__wasm_init_memory",
    "__wasm_apply_data_relocs",
    "__wasm_apply_global_relocs",
    "__wasm_init_tls",
    "__wasm_first_page_end",
    "__tls_base",
    "__tls_size",
    "__tls_align",
    "__stack_pointer",
    "__indirect_function_table",
    "main",
    "__main_argc_argv",
    "__original_main",
];

/// Start-up symbols that are the program's business, never a side module's.
const NOT_EXPORTED: &[&str] = &[
    "_start",
    "_initialize",
    "main",
    "__main_void",
    "__main_argc_argv",
    "__original_main",
];

/// What an archive contributes to the export list.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Role {
    /// Every linkable symbol it defines is exported (libc, compiler-rt).
    Exported,
    /// Its symbols are linked into the program but not exported; they only
    /// satisfy the other archives' needs (the guest library: `__stack_chk_*`).
    Provider,
}

/// The libc (+ builtins) symbols a full-mode main program exports.
#[derive(Clone, Debug)]
pub struct LibcExports {
    /// Sorted symbol names.
    pub symbols: Vec<String>,
    /// Archive members left out because something they need is defined nowhere
    /// (`archive(member): missing symbol`), for `WASI_DL_VERBOSE`.
    pub left_out: Vec<String>,
    /// A linker response file with one `--export=NAME` per symbol (pass it as
    /// `-Wl,@FILE`).
    pub response_file: PathBuf,
}

impl LibcExports {
    /// Whether `name` is one of the symbols.
    pub fn contains(&self, name: &str) -> bool {
        self.symbols
            .binary_search_by(|s| s.as_str().cmp(name))
            .is_ok()
    }
}

/// Computes (or reads from the cache) the libc export list for `toolchain`.
///
/// Reads the wasi-dl guest library and start-up objects only to know what
/// they provide (`__stack_chk_guard`/`__stack_chk_fail` for compiler-rt);
/// without them the builtins members that need those are left out.
pub fn libc_exports(toolchain: &Toolchain) -> Result<LibcExports> {
    exports_with(toolchain, false)
}

/// [`libc_exports`], plus (with `cxx`) the C++ runtime a clang++ link adds:
/// libc++ and libc++abi, when installed, so C++ side modules can use the
/// program's `std::string`, `operator new`, ...
pub fn cxx_exports(toolchain: &Toolchain) -> Result<LibcExports> {
    exports_with(toolchain, true)
}

/// The symbols of one of wasi-libc's emulation libraries (`wasi-emulated-mman`, ...: see
/// [`crate::EMULATION_LIBRARIES`]), for a full-mode program that links it: side modules then
/// call `mmap` or `signal` from the program, as they call libc.
pub fn emulation_exports(toolchain: &Toolchain, name: &str) -> Result<LibcExports> {
    let (_, archive) = toolchain
        .emulation_archives()
        .into_iter()
        .find(|(n, _)| *n == name)
        .with_context(|| format!("no lib{name}.a beside libc.a"))?;
    let mut archives = vec![
        (archive, Role::Exported),
        (toolchain.libc_archive()?.to_path_buf(), Role::Provider),
    ];
    if let Some(builtins) = toolchain.builtins_archive() {
        archives.push((builtins.to_path_buf(), Role::Provider));
    }
    if let Ok(library) = toolchain.guest_sysroot().library() {
        archives.push((library, Role::Provider));
    }
    exports_for(&archives, &toolchain.cache_dir())
}

/// What the wasi-dl guest library and start-up objects define (`dlopen`, `_start`, ...): part
/// of a program's runtime, like libc, and not its own (see [`crate::OWN_SECTION`]). Empty
/// without a guest sysroot.
pub fn guest_exports(toolchain: &Toolchain) -> Result<Vec<String>> {
    let guest = toolchain.guest_sysroot();
    let mut archives: Vec<(PathBuf, Role)> = guest
        .library()
        .into_iter()
        .map(|l| (l, Role::Exported))
        .collect();
    archives.extend(
        guest
            .start_objects()
            .into_iter()
            .map(|o| (o, Role::Exported)),
    );
    if archives.is_empty() {
        return Ok(Vec::new());
    }
    archives.push((toolchain.libc_archive()?.to_path_buf(), Role::Provider));
    if let Some(builtins) = toolchain.builtins_archive() {
        archives.push((builtins.to_path_buf(), Role::Provider));
    }
    Ok(exports_for(&archives, &toolchain.cache_dir())?.symbols)
}

fn exports_with(toolchain: &Toolchain, cxx: bool) -> Result<LibcExports> {
    let mut archives = vec![(toolchain.libc_archive()?.to_path_buf(), Role::Exported)];
    if let Some(builtins) = toolchain.builtins_archive() {
        archives.push((builtins.to_path_buf(), Role::Exported));
    }
    if cxx {
        archives.extend(
            toolchain
                .cxx_archives()
                .into_iter()
                .map(|a| (a, Role::Exported)),
        );
    }
    let guest = toolchain.guest_sysroot();
    if let Ok(library) = guest.library() {
        archives.push((library, Role::Provider));
    }
    archives.extend(
        guest
            .start_objects()
            .into_iter()
            .map(|o| (o, Role::Provider)),
    );
    exports_for(&archives, &toolchain.cache_dir())
}

pub(crate) fn exports_for(archives: &[(PathBuf, Role)], cache_dir: &Path) -> Result<LibcExports> {
    let key = cache_key(archives)?;
    let rsp = cache_dir.join(format!("libc-exports-{key:016x}.rsp"));
    let left_out_file = rsp.with_extension("left-out");
    if let Ok(text) = std::fs::read_to_string(&rsp) {
        let symbols: Vec<String> = text
            .lines()
            .filter_map(|l| l.strip_prefix("--export="))
            .map(str::to_string)
            .collect();
        if !symbols.is_empty() {
            let left_out = std::fs::read_to_string(&left_out_file)
                .map(|t| t.lines().map(str::to_string).collect())
                .unwrap_or_default();
            return Ok(LibcExports {
                symbols,
                left_out,
                response_file: rsp,
            });
        }
    }
    let (symbols, left_out) = compute(archives)?;
    std::fs::create_dir_all(cache_dir)
        .with_context(|| format!("creating the cache directory {}", cache_dir.display()))?;
    let text: String = symbols.iter().map(|s| format!("--export={s}\n")).collect();
    // The response file last: its presence marks a complete entry.
    atomic_file::write(&left_out_file, left_out.join("\n").as_bytes())?;
    atomic_file::write(&rsp, text.as_bytes())?;
    Ok(LibcExports {
        symbols,
        left_out,
        response_file: rsp,
    })
}

/// FNV-1a over the archives' identities (stable across Rust versions, unlike
/// `DefaultHasher`).
fn cache_key(archives: &[(PathBuf, Role)]) -> Result<u64> {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |bytes: &[u8]| {
        for &b in bytes {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    };
    eat(b"wasi-dl libc exports v1");
    for (path, role) in archives {
        let meta =
            std::fs::metadata(path).with_context(|| format!("reading {}", path.display()))?;
        let mtime = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos());
        eat(path.as_os_str().as_encoded_bytes());
        eat(&meta.len().to_le_bytes());
        eat(&mtime.to_le_bytes());
        eat(&[*role as u8]);
    }
    Ok(h)
}

/// The symbols of one wasm object file.
#[derive(Default, Debug)]
pub(crate) struct ObjectSymbols {
    /// Defined, non-local function and data symbols (not TLS).
    pub defined: Vec<String>,
    /// Strong undefined functions and data that the link must find elsewhere
    /// (functions imported from a module other than `env` are real imports).
    pub needs: Vec<String>,
}

/// Reads a wasm object's `linking` symbol table. `None` if `data` is not a
/// wasm object file (LLVM bitcode, or a member without a `linking` section).
pub(crate) fn object_symbols(data: &[u8]) -> Result<Option<ObjectSymbols>> {
    if !data.starts_with(b"\0asm") {
        return Ok(None);
    }
    // (module, field) of each imported function, in function-index order.
    let mut func_imports: Vec<(String, String)> = Vec::new();
    let mut out = None;
    for payload in Parser::new(0).parse_all(data) {
        match payload? {
            Payload::ImportSection(reader) => {
                for import in reader.into_imports() {
                    let import = import?;
                    if let TypeRef::Func(_) | TypeRef::FuncExact(_) = import.ty {
                        func_imports.push((import.module.to_string(), import.name.to_string()));
                    }
                }
            }
            Payload::CustomSection(custom) => {
                if let KnownCustom::Linking(linking) = custom.as_known() {
                    let mut syms = ObjectSymbols::default();
                    for sub in linking {
                        let Linking::SymbolTable(table) = sub? else {
                            continue;
                        };
                        for sym in table {
                            record(&mut syms, sym?, &func_imports);
                        }
                    }
                    out = Some(syms);
                }
            }
            _ => {}
        }
    }
    Ok(out)
}

fn record(syms: &mut ObjectSymbols, sym: SymbolInfo<'_>, func_imports: &[(String, String)]) {
    let (flags, name, is_import_from_other_module) = match sym {
        SymbolInfo::Func { flags, index, name } => {
            // An undefined function without an explicit name is named by its import.
            let import = func_imports.get(index as usize);
            let other = import.is_some_and(|(module, _)| module != "env");
            (
                flags,
                name.or(import.map(|(_, field)| field.as_str())),
                other,
            )
        }
        SymbolInfo::Data { flags, name, .. } => (flags, Some(name), false),
        _ => return,
    };
    let Some(name) = name else { return };
    if flags.contains(SymbolFlags::UNDEFINED) {
        if !flags.contains(SymbolFlags::BINDING_WEAK) && !is_import_from_other_module {
            syms.needs.push(name.to_string());
        }
    } else if !flags.intersects(SymbolFlags::BINDING_LOCAL | SymbolFlags::TLS) {
        syms.defined.push(name.to_string());
    }
}

struct MemberSyms {
    label: String,
    role: Role,
    syms: ObjectSymbols,
}

/// Reads the archives and returns (sorted export list, members left out).
fn compute(archives: &[(PathBuf, Role)]) -> Result<(Vec<String>, Vec<String>)> {
    let mut members = Vec::new();
    for (path, role) in archives {
        let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        let file = path
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        let mut wasm_members = 0;
        let contents = if bytes.starts_with(b"\0asm") {
            vec![archive::Member {
                name: file.clone(),
                data: &bytes,
            }] // a lone object file
        } else {
            archive::members(&bytes).with_context(|| format!("reading {}", path.display()))?
        };
        for member in contents {
            let syms = object_symbols(member.data)
                .with_context(|| format!("reading {}({})", path.display(), member.name))?;
            if let Some(syms) = syms {
                wasm_members += 1;
                members.push(MemberSyms {
                    label: format!("{file}({})", member.name),
                    role: *role,
                    syms,
                });
            }
        }
        if wasm_members == 0 && *role == Role::Exported {
            anyhow::bail!("{} has no wasm object files", path.display());
        }
    }

    // Drop members that need a symbol nothing alive defines, until stable.
    let mut alive = vec![true; members.len()];
    let mut left_out = Vec::new();
    loop {
        let mut available: HashSet<&str> = LINKER_OR_PROGRAM_PROVIDED.iter().copied().collect();
        for (m, _) in members.iter().zip(&alive).filter(|(_, a)| **a) {
            available.extend(m.syms.defined.iter().map(String::as_str));
        }
        let mut changed = false;
        for (i, m) in members.iter().enumerate() {
            if !alive[i] || m.role == Role::Provider {
                continue;
            }
            if let Some(missing) = m
                .syms
                .needs
                .iter()
                .find(|n| !available.contains(n.as_str()))
            {
                alive[i] = false;
                changed = true;
                left_out.push(format!("{}: needs {missing}", m.label));
            }
        }
        if !changed {
            break;
        }
    }

    let symbols: BTreeSet<String> = members
        .iter()
        .zip(&alive)
        .filter(|(m, a)| **a && m.role == Role::Exported)
        .flat_map(|(m, _)| m.syms.defined.iter())
        .filter(|s| !NOT_EXPORTED.contains(&s.as_str()))
        .cloned()
        .collect();
    Ok((symbols.into_iter().collect(), left_out))
}
