//! Link planning: [`Driver::plan`]'s work of turning parsed arguments into the compiler
//! command for a query, a compile, a side module or a main program (the rules in the
//! [`driver`](super) module's docs).

use super::args::{Item, Parsed};
use super::exceptions::Exceptions;
use super::invocation::{AfterLink, Invocation};
use super::needed::{meta_section, soname_link, startup_files};
use super::{Driver, ExportMode, CONTRACT_EXPORTS, CXX_EH_EXPORTS, SETJMP_EXPORTS, STACK_SIZE};
use crate::detect::EMULATION_LIBRARIES;
use crate::libc_exports::{cxx_exports, emulation_exports, guest_exports, libc_exports};
use crate::side_modules::{imported_symbols, soname_of};
use anyhow::Result;
use std::collections::BTreeSet;
use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};

impl Driver {
    pub(super) fn build(&self, p: Parsed) -> Result<Invocation> {
        let tc = &self.toolchain;
        let program = if self.cxx { tc.clangxx() } else { tc.clang() }.to_path_buf();
        let cwd = self.cwd.clone();
        let resolve = |p: &Path| match &cwd {
            Some(dir) if p.is_relative() => dir.join(p),
            _ => p.to_path_buf(),
        };
        let lib_dirs: Vec<PathBuf> = p.lib_dirs.iter().map(|d| resolve(d)).collect();
        let eh = Exceptions::of(tc, self.cxx, &p);
        let mut notes = p.notes;
        let mut warnings = p.warnings;
        let mut after_link = None;
        let mut args: Vec<OsString> = Vec::new();
        if !p.user_target {
            args.push(format!("--target={}", tc.target()).into());
        }
        if !p.user_sysroot {
            if let Some(sysroot) = tc.sysroot() {
                args.push(joined("--sysroot=", sysroot));
            }
        }
        let stage = if p.inputs == 0 {
            Stage::Query
        } else if !p.link {
            Stage::Compile
        } else if p.shared {
            Stage::Side
        } else {
            Stage::Main
        };
        if stage == Stage::Query {
            args.extend(p.items.into_iter().flat_map(Item::into_args));
            return Ok(Invocation {
                program,
                args,
                cwd,
                warnings,
                notes,
                after_link: None,
            });
        }
        args.push(joined("-I", &tc.guest_sysroot().include_dir()?));
        if !p.user_nostdinc {
            let dirs = crate::includes::include_dirs(tc)?;
            if !dirs.host.is_empty() {
                notes.push(format!(
                    "-nostdlibinc: the host's headers are not searched ({})",
                    dirs.host
                        .iter()
                        .map(|d| d.display().to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
            args.extend(dirs.args());
        }
        args.push("-fvisibility=default".into());
        args.extend(eh.compile_flags().into_iter().map(OsString::from));

        if p.link && p.wants_rpath && !p.user_fuse_ld {
            if let Some(linker) = tc.rpath_linker()? {
                notes.push(format!(
                    "-rpath: linking with {} (clang's wasm-ld does not support -rpath)",
                    linker.display()
                ));
                args.push(joined("-fuse-ld=", &linker));
            }
        }

        match stage {
            Stage::Query | Stage::Compile => {
                args.extend(p.items.into_iter().flat_map(Item::into_args));
            }
            Stage::Side => {
                args.push("-fPIC".into());
                for item in p.items {
                    if let Item::Lib { name, .. } = &item {
                        if name == "c" {
                            notes.push(
                                "-lc ignored: a side module gets libc from the main program".into(),
                            );
                            continue;
                        }
                        // Their archives are not PIC (the link would fail); the program links
                        // and exports them, as it does libc.
                        if EMULATION_LIBRARIES.contains(&name.as_str()) {
                            notes.push(format!(
                                "-l{name} ignored: a side module gets it from the main program"
                            ));
                            continue;
                        }
                    }
                    // wasm-ld records the linked file's name as NEEDED; ELF linkers record
                    // the library's SONAME. Linking through a link named after the SONAME
                    // makes wasm-ld record that.
                    let shared = match &item {
                        Item::Input(path) if is_shared_library(path) => Some(resolve(path)),
                        Item::Lib { name, .. } => match find_library(name, &lib_dirs) {
                            Some(Found::Shared(path)) => Some(path),
                            _ => None,
                        },
                        _ => None,
                    };
                    if let Some((path, soname)) = shared.and_then(|path| {
                        let soname = soname_of(&path)?;
                        Some((path, soname))
                    }) {
                        if path.file_name() != Some(OsStr::new(&soname)) {
                            let link = soname_link(&path, &soname, &tc.cache_dir())?;
                            notes.push(format!(
                                "{}: linked as {} (its SONAME), so NEEDED records that name",
                                path.display(),
                                link.display()
                            ));
                            args.push(link.into_os_string());
                            continue;
                        }
                    }
                    args.extend(item.into_args());
                }
                if p.soname.is_some() || p.nodelete || p.nodlopen {
                    args.push(
                        meta_section(p.soname.as_deref(), p.nodelete, p.nodlopen, &tc.cache_dir())?
                            .into(),
                    );
                }
                for flag in [
                    "-shared",
                    "-nostdlib",
                    "-Wl,--no-entry",
                    // Says we know PIC is experimental in wasm-ld: silences its two "not yet
                    // stable" warnings on every side module (wasm-ld 19 and 22 accept it).
                    "-Wl,--experimental-pic",
                    "-Wl,--unresolved-symbols=import-dynamic",
                    "-Wl,--export=__wasm_call_ctors",
                ] {
                    args.push(flag.into());
                }
            }
            Stage::Main => {
                let guest = tc.guest_sysroot();
                let library = guest.library()?;
                args.push("-nostartfiles".into());
                if !p.user_nostartfiles {
                    args.extend(guest.start_objects().into_iter().map(OsString::from));
                }
                let mut side_modules = Vec::new();
                // wasi-libc emulation libraries the program links (-lwasi-emulated-mman, ...).
                let mut emulations = Vec::new();
                // What the program's start-up code loads, as the names a NEEDED entry would
                // have: `libfoo.so` for -lfoo, a path as written.
                let mut needed = Vec::new();
                for item in p.items {
                    match item {
                        // As with ELF: a library's SONAME if it has one, else the name
                        // it was linked by.
                        Item::Input(path) if is_shared_library(&path) => {
                            let resolved = resolve(&path);
                            needed.push(
                                soname_of(&resolved)
                                    .unwrap_or_else(|| path.to_string_lossy().into_owned()),
                            );
                            side_modules.push(resolved);
                        }
                        Item::Lib { name, spelled } => match find_library(&name, &lib_dirs) {
                            Some(Found::Shared(path)) => {
                                needed.push(
                                    soname_of(&path).unwrap_or_else(|| format!("lib{name}.so")),
                                );
                                side_modules.push(path);
                            }
                            _ => {
                                if EMULATION_LIBRARIES.contains(&name.as_str()) {
                                    emulations.push(name.clone());
                                }
                                args.extend(spelled)
                            }
                        },
                        other => args.extend(other.into_args()),
                    }
                }
                if side_modules.is_empty() && !p.rpaths.is_empty() {
                    let startup = startup_files(&[], &[], &p.rpaths, &tc.cache_dir())?;
                    notes.push(format!(
                        "-rpath {}: the program's RUNPATH for its dlopen calls",
                        p.rpaths.join(":")
                    ));
                    args.extend(["-x".into(), "c".into()]);
                    args.push(startup.needed_list.into());
                    args.extend(["-x".into(), "none".into()]);
                }
                if !side_modules.is_empty() {
                    notes.push(format!(
                        "side modules {} are loaded when the program starts (before its \
                         constructors); the program imports their functions{}",
                        side_modules
                            .iter()
                            .map(|p| p.display().to_string())
                            .collect::<Vec<_>>()
                            .join(", "),
                        if p.mode == ExportMode::Slim {
                            "; their imports are exported"
                        } else {
                            ""
                        }
                    ));
                    let startup =
                        startup_files(&side_modules, &needed, &p.rpaths, &tc.cache_dir())?;
                    args.push(joined("-Wl,--allow-undefined-file=", &startup.functions));
                    // The program's own code reaches the libraries' data through GOT.mem
                    // imports, which the start-up load fills (wasm-ld cannot import data
                    // otherwise); libc's non-PIC code is linked in as always (a non-PIE program).
                    args.push("-fPIC".into());
                    args.push("-Wl,--unresolved-symbols=import-dynamic".into());
                    // Silences wasm-ld's "dynamic imports are not yet stable".
                    args.push("-Wl,--experimental-pic".into());
                    after_link = Some(AfterLink {
                        output: p.output.clone().unwrap_or_else(|| PathBuf::from("a.out")),
                        defined: Some(startup.defined.clone()),
                        runtime: None,
                    });
                    notes.push(
                        "linked against side modules: the program's code is compiled -fPIC and \
                         linked with --unresolved-symbols=import-dynamic, so it can use their \
                         data objects (GOT.mem imports the start-up load fills)"
                            .into(),
                    );
                    args.extend(["-x".into(), "c".into()]);
                    args.push(startup.needed_list.into());
                    args.extend(["-x".into(), "none".into()]);
                }
                args.push(library.into());
                if !p.user_layout {
                    args.push("-Wl,--stack-first".into());
                }
                if !p.user_stack_size {
                    args.push(format!("-Wl,-z,stack-size={STACK_SIZE}").into());
                }
                if !p.user_nostdlib {
                    args.extend(eh.link_args(tc));
                }
                for flag in [
                    "-Wl,--export-table",
                    "-Wl,--growable-table",
                    "-Wl,--export=__stack_pointer",
                    "-Wl,--export-dynamic",
                ] {
                    args.push(flag.into());
                }
                for name in CONTRACT_EXPORTS {
                    args.push(format!("-Wl,--export={name}").into());
                }
                if p.user_nostdlib {
                    notes.push("-nostdlib/-nodefaultlibs: no libc symbols exported".into());
                } else {
                    let libc = if self.cxx && !p.user_nostdlibxx {
                        if tc.cxx_archives().is_empty() {
                            warnings.push(format!(
                                "no libc++ for {} (run `make setup`, which builds it into the sysroot): \
                                 the link fails unless -nostdlib++ is given",
                                tc.target()
                            ));
                        }
                        cxx_exports(tc)?
                    } else {
                        libc_exports(tc)?
                    };
                    // An emulation library the program links is exported whole, like libc,
                    // for side modules (which never link their own). Only when named: forced
                    // into every program, its members would clash with a program's own
                    // `signal` or `getpid`.
                    if p.mode == ExportMode::Full {
                        for name in &emulations {
                            let exports = emulation_exports(tc, name)?;
                            notes.push(format!(
                                "full mode: exporting {} symbols of -l{name}",
                                exports.symbols.len()
                            ));
                            args.push(joined("-Wl,@", &exports.response_file));
                        }
                    }
                    // Everything the program exports on its runtime's behalf; the rest of
                    // its exports are its own (its OWN_SECTION, written after the link).
                    let mut runtime: BTreeSet<String> = libc.symbols.iter().cloned().collect();
                    for name in &emulations {
                        runtime.extend(emulation_exports(tc, name)?.symbols);
                    }
                    match guest_exports(tc) {
                        Ok(names) => runtime.extend(names),
                        // The link itself does not need them: its names then count as the
                        // program's own (RTLD_NEXT from a library does not find them).
                        Err(e) => notes.push(format!(
                            "the guest library's symbols could not be read ({e:#}): they are \
                             listed as the program's own"
                        )),
                    }
                    runtime.extend(
                        CONTRACT_EXPORTS
                            .iter()
                            .chain(SETJMP_EXPORTS)
                            .chain(CXX_EH_EXPORTS)
                            .map(|n| n.to_string()),
                    );
                    after_link
                        .get_or_insert_with(|| AfterLink {
                            output: p.output.clone().unwrap_or_else(|| PathBuf::from("a.out")),
                            defined: None,
                            runtime: None,
                        })
                        .runtime = Some(std::sync::Arc::new(runtime));
                    for left in &libc.left_out {
                        notes.push(format!("not exported (would not link): {left}"));
                    }
                    match p.mode {
                        ExportMode::Full => {
                            notes.push(format!(
                                "full mode: exporting {} libc/builtins{} symbols listed in {}",
                                libc.symbols.len(),
                                if self.cxx { "/libc++" } else { "" },
                                libc.response_file.display()
                            ));
                            args.push(joined("-Wl,@", &libc.response_file));
                        }
                        ExportMode::Slim => {
                            let mut named = side_modules.clone();
                            named.extend(p.exports_for.iter().map(|path| resolve(path)));
                            let imported = imported_symbols(&named, &lib_dirs)?;
                            for missing in &imported.not_found {
                                warnings.push(format!("slim exports: {missing} not found; its imports are not exported"));
                            }
                            if named.is_empty() {
                                warnings.push("-mdl-exports=slim without side modules (*.so, -lfoo or -mdl-exports-for=): only the wasi-dl contract is exported".into());
                            }
                            let contract: BTreeSet<&str> =
                                CONTRACT_EXPORTS.iter().copied().collect();
                            let mut count = 0;
                            for sym in imported
                                .symbols
                                .iter()
                                .filter(|s| !contract.contains(s.as_str()))
                            {
                                count += 1;
                                // --export pulls the libc member in (and fails for an unknown
                                // name); --export-if-defined covers the program's own symbols.
                                let flag = if libc.contains(sym) {
                                    "--export"
                                } else {
                                    "--export-if-defined"
                                };
                                args.push(format!("-Wl,{flag}={sym}").into());
                            }
                            notes.push(format!(
                                "slim mode: exporting {count} symbols imported by {} side module(s)",
                                imported.modules.len()
                            ));
                        }
                    }
                }
            }
        }
        Ok(Invocation {
            program,
            args,
            cwd,
            warnings,
            notes,
            after_link,
        })
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Stage {
    /// No inputs (`--version`, `-print-*`, ...): only the target is added.
    Query,
    /// `-c`, `-S`, `-E`, `-M`, `-fsyntax-only`.
    Compile,
    /// Linking with `-shared`.
    Side,
    /// Linking a program.
    Main,
}

fn joined(prefix: &str, path: &Path) -> OsString {
    let mut s = OsString::from(prefix);
    s.push(path);
    s
}

fn is_shared_library(path: &Path) -> bool {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    name.ends_with(".so") || name.contains(".so.")
}

enum Found {
    Static,
    Shared(PathBuf),
}

/// `-lname` in the `-L` directories, in order; in each, `libname.a` first.
fn find_library(name: &str, dirs: &[PathBuf]) -> Option<Found> {
    for dir in dirs {
        if dir.join(format!("lib{name}.a")).is_file() {
            return Some(Found::Static);
        }
        let so = dir.join(format!("lib{name}.so"));
        if so.is_file() {
            return Some(Found::Shared(so));
        }
    }
    None
}
