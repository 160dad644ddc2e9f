//! Link planning: [`Driver::plan`]'s work of turning parsed arguments into the compiler
//! command for a query, a compile, a side module or a main program (the rules in the
//! [`driver`](super) module's docs). One method per stage, and one per step of a program's
//! link: its inputs, what it loads at start-up, its flags, what it exports.

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
    pub(super) fn build(&self, mut p: Parsed) -> Result<Invocation> {
        let stage = Stage::of(&p);
        let items = std::mem::take(&mut p.items);
        let mut plan = Plan {
            driver: self,
            lib_dirs: Vec::new(),
            args: Vec::new(),
            notes: std::mem::take(&mut p.notes),
            warnings: std::mem::take(&mut p.warnings),
            after_link: None,
            eh: Exceptions::of(&self.toolchain, self.cxx, &p),
        };
        plan.lib_dirs = p.lib_dirs.iter().map(|d| plan.resolve(d)).collect();
        plan.target(&p);
        if stage != Stage::Query {
            plan.compile_flags(&p)?;
        }
        match stage {
            Stage::Query | Stage::Compile => {
                plan.args
                    .extend(items.into_iter().flat_map(Item::into_args));
            }
            Stage::Side => plan.side_module(&p, items)?,
            Stage::Main => plan.main_program(&p, items)?,
        }
        Ok(plan.into_invocation())
    }
}

/// The compiler command being assembled, with what the user is told about it.
struct Plan<'d> {
    driver: &'d Driver,
    /// The `-L` directories, resolved against the build's directory.
    lib_dirs: Vec<PathBuf>,
    args: Vec<OsString>,
    notes: Vec<String>,
    warnings: Vec<String>,
    after_link: Option<AfterLink>,
    eh: Exceptions,
}

/// What a program's inputs name besides its own objects.
#[derive(Default)]
struct ProgramInputs {
    /// Side modules it links against: loaded when it starts.
    side_modules: Vec<PathBuf>,
    /// The same as the names a NEEDED entry would have: `libfoo.so` for -lfoo, a path as
    /// written, or the library's SONAME.
    needed: Vec<String>,
    /// wasi-libc emulation libraries it links (-lwasi-emulated-mman, ...).
    emulations: Vec<String>,
}

impl Plan<'_> {
    /// `path` relative to the build's directory (`-C`/the driver's cwd), if relative.
    fn resolve(&self, path: &Path) -> PathBuf {
        match &self.driver.cwd {
            Some(dir) if path.is_relative() => dir.join(path),
            _ => path.to_path_buf(),
        }
    }

    fn push(&mut self, arg: impl Into<OsString>) {
        self.args.push(arg.into());
    }

    fn into_invocation(self) -> Invocation {
        let tc = &self.driver.toolchain;
        let program = if self.driver.cxx {
            tc.clangxx()
        } else {
            tc.clang()
        };
        Invocation {
            program: program.to_path_buf(),
            args: self.args,
            cwd: self.driver.cwd.clone(),
            warnings: self.warnings,
            notes: self.notes,
            after_link: self.after_link,
        }
    }

    /// The target and sysroot, unless the user gave their own: every stage, queries too.
    fn target(&mut self, p: &Parsed) {
        let tc = &self.driver.toolchain;
        if !p.user_target {
            self.push(format!("--target={}", tc.target()));
        }
        if !p.user_sysroot {
            if let Some(sysroot) = tc.sysroot() {
                self.push(joined("--sysroot=", sysroot));
            }
        }
    }

    /// Headers, visibility and exception flags of every compile and link; the linker that
    /// understands `-rpath` when one is asked for.
    fn compile_flags(&mut self, p: &Parsed) -> Result<()> {
        let tc = &self.driver.toolchain;
        self.push(joined("-I", &tc.guest_sysroot().include_dir()?));
        if !p.user_nostdinc {
            let dirs = crate::includes::include_dirs(tc)?;
            if !dirs.host.is_empty() {
                self.notes.push(format!(
                    "-nostdlibinc: the host's headers are not searched ({})",
                    list(&dirs.host)
                ));
            }
            self.args.extend(dirs.args());
        }
        self.push("-fvisibility=default");
        self.args
            .extend(self.eh.compile_flags().into_iter().map(OsString::from));
        if p.link && p.wants_rpath && !p.user_fuse_ld {
            if let Some(linker) = tc.rpath_linker()? {
                self.notes.push(format!(
                    "-rpath: linking with {} (clang's wasm-ld does not support -rpath)",
                    linker.display()
                ));
                self.push(joined("-fuse-ld=", &linker));
            }
        }
        Ok(())
    }

    /// `-shared`: a PIC side module; `-lc` and emulation libraries come from the program, and a
    /// shared library linked by another name than its SONAME is linked through a link named
    /// after it.
    fn side_module(&mut self, p: &Parsed, items: Vec<Item>) -> Result<()> {
        let tc = &self.driver.toolchain;
        self.push("-fPIC");
        for item in items {
            if let Item::Lib { name, .. } = &item {
                if name == "c" {
                    self.notes
                        .push("-lc ignored: a side module gets libc from the main program".into());
                    continue;
                }
                // Their archives are not PIC (the link would fail); the program links and
                // exports them, as it does libc.
                if EMULATION_LIBRARIES.contains(&name.as_str()) {
                    self.notes.push(format!(
                        "-l{name} ignored: a side module gets it from the main program"
                    ));
                    continue;
                }
            }
            // wasm-ld records the linked file's name as NEEDED; ELF linkers record the
            // library's SONAME. Linking through a link named after the SONAME makes wasm-ld
            // record that.
            let shared = match &item {
                Item::Input(path) if is_shared_library(path) => Some(self.resolve(path)),
                Item::Lib { name, .. } => match find_library(name, &self.lib_dirs) {
                    Some(Found::Shared(path)) => Some(path),
                    _ => None,
                },
                _ => None,
            };
            let with_soname = shared.and_then(|path| soname_of(&path).map(|soname| (path, soname)));
            if let Some((path, soname)) = with_soname {
                if path.file_name() != Some(OsStr::new(&soname)) {
                    let link = soname_link(&path, &soname, &tc.cache_dir())?;
                    self.notes.push(format!(
                        "{}: linked as {} (its SONAME), so NEEDED records that name",
                        path.display(),
                        link.display()
                    ));
                    self.push(link);
                    continue;
                }
            }
            self.args.extend(item.into_args());
        }
        if p.soname.is_some() || p.nodelete || p.nodlopen {
            self.push(meta_section(
                p.soname.as_deref(),
                p.nodelete,
                p.nodlopen,
                &tc.cache_dir(),
            )?);
        }
        for flag in [
            "-shared",
            "-nostdlib",
            "-Wl,--no-entry",
            // Says we know PIC is experimental in wasm-ld: silences its two "not yet stable"
            // warnings on every side module (wasm-ld 19 and 22 accept it).
            "-Wl,--experimental-pic",
            "-Wl,--unresolved-symbols=import-dynamic",
            "-Wl,--export=__wasm_call_ctors",
        ] {
            self.push(flag);
        }
        Ok(())
    }

    /// A main program: the wasi-dl start files, its inputs, the side modules it loads at
    /// start-up, the contract's flags, and the runtime symbols side modules may import.
    fn main_program(&mut self, p: &Parsed, items: Vec<Item>) -> Result<()> {
        let tc = &self.driver.toolchain;
        let guest = tc.guest_sysroot();
        let library = guest.library()?;
        self.push("-nostartfiles");
        if !p.user_nostartfiles {
            self.args
                .extend(guest.start_objects().into_iter().map(OsString::from));
        }
        let inputs = self.program_inputs(items);
        self.startup_loads(p, &inputs)?;
        self.push(library);
        if !p.user_layout {
            self.push("-Wl,--stack-first");
        }
        if !p.user_stack_size {
            self.push(format!("-Wl,-z,stack-size={STACK_SIZE}"));
        }
        if !p.user_nostdlib {
            let eh = self.eh.link_args(tc);
            self.args.extend(eh);
        }
        for flag in [
            "-Wl,--export-table",
            "-Wl,--growable-table",
            "-Wl,--export=__stack_pointer",
            "-Wl,--export-dynamic",
        ] {
            self.push(flag);
        }
        for name in CONTRACT_EXPORTS {
            self.push(format!("-Wl,--export={name}"));
        }
        if p.user_nostdlib {
            self.notes
                .push("-nostdlib/-nodefaultlibs: no libc symbols exported".into());
            return Ok(());
        }
        self.runtime_exports(p, &inputs)
    }

    /// Passes the program's inputs on, and sorts out the side modules it links against and
    /// the emulation libraries it names.
    fn program_inputs(&mut self, items: Vec<Item>) -> ProgramInputs {
        let mut inputs = ProgramInputs::default();
        for item in items {
            match item {
                // As with ELF: a library's SONAME if it has one, else the name it was
                // linked by.
                Item::Input(path) if is_shared_library(&path) => {
                    let resolved = self.resolve(&path);
                    inputs.needed.push(
                        soname_of(&resolved).unwrap_or_else(|| path.to_string_lossy().into_owned()),
                    );
                    inputs.side_modules.push(resolved);
                }
                Item::Lib { name, spelled } => match find_library(&name, &self.lib_dirs) {
                    Some(Found::Shared(path)) => {
                        inputs
                            .needed
                            .push(soname_of(&path).unwrap_or_else(|| format!("lib{name}.so")));
                        inputs.side_modules.push(path);
                    }
                    _ => {
                        if EMULATION_LIBRARIES.contains(&name.as_str()) {
                            inputs.emulations.push(name.clone());
                        }
                        self.args.extend(spelled)
                    }
                },
                other => self.args.extend(other.into_args()),
            }
        }
        inputs
    }

    /// What the program's start-up code loads (its NEEDED list and RUNPATH, compiled in as a
    /// C file), and the flags that let its code use the side modules' functions and data.
    fn startup_loads(&mut self, p: &Parsed, inputs: &ProgramInputs) -> Result<()> {
        let tc = &self.driver.toolchain;
        if inputs.side_modules.is_empty() {
            if !p.rpaths.is_empty() {
                let startup = startup_files(&[], &[], &p.rpaths, &tc.cache_dir())?;
                self.notes.push(format!(
                    "-rpath {}: the program's RUNPATH for its dlopen calls",
                    p.rpaths.join(":")
                ));
                self.compile_as_c(startup.needed_list);
            }
            return Ok(());
        }
        self.notes.push(format!(
            "side modules {} are loaded when the program starts (before its constructors); \
             the program imports their functions{}",
            list(&inputs.side_modules),
            if p.mode == ExportMode::Slim {
                "; their imports are exported"
            } else {
                ""
            }
        ));
        let startup = startup_files(
            &inputs.side_modules,
            &inputs.needed,
            &p.rpaths,
            &tc.cache_dir(),
        )?;
        self.push(joined("-Wl,--allow-undefined-file=", &startup.functions));
        // The program's own code reaches the libraries' data through GOT.mem imports, which
        // the start-up load fills (wasm-ld cannot import data otherwise); libc's non-PIC code
        // is linked in as always (a non-PIE program).
        self.push("-fPIC");
        self.push("-Wl,--unresolved-symbols=import-dynamic");
        // Silences wasm-ld's "dynamic imports are not yet stable".
        self.push("-Wl,--experimental-pic");
        self.after_link = Some(AfterLink {
            output: output_of(p),
            defined: Some(startup.defined.clone()),
            runtime: None,
        });
        self.notes.push(
            "linked against side modules: the program's code is compiled -fPIC and linked with \
             --unresolved-symbols=import-dynamic, so it can use their data objects (GOT.mem \
             imports the start-up load fills)"
                .into(),
        );
        self.compile_as_c(startup.needed_list);
        Ok(())
    }

    /// A generated C file among the inputs (whatever `-x` was in force before it).
    fn compile_as_c(&mut self, source: PathBuf) {
        self.args.extend(["-x".into(), "c".into()]);
        self.push(source);
        self.args.extend(["-x".into(), "none".into()]);
    }

    /// The runtime symbols the program exports for side modules (libc, builtins, the C++
    /// runtime, emulation libraries): all of them (full mode) or those its side modules import
    /// (slim mode). They are remembered so that the program's own exports can be told apart.
    fn runtime_exports(&mut self, p: &Parsed, inputs: &ProgramInputs) -> Result<()> {
        let tc = &self.driver.toolchain;
        let cxx = self.driver.cxx;
        let libc = if cxx && !p.user_nostdlibxx {
            if tc.cxx_archives().is_empty() {
                self.warnings.push(format!(
                    "no libc++ for {} (run `make setup`, which builds it into the sysroot): \
                     the link fails unless -nostdlib++ is given",
                    tc.target()
                ));
            }
            cxx_exports(tc)?
        } else {
            libc_exports(tc)?
        };
        // An emulation library the program links is exported whole, like libc, for side
        // modules (which never link their own). Only when named: forced into every program,
        // its members would clash with a program's own `signal` or `getpid`.
        if p.mode == ExportMode::Full {
            for name in &inputs.emulations {
                let exports = emulation_exports(tc, name)?;
                self.notes.push(format!(
                    "full mode: exporting {} symbols of -l{name}",
                    exports.symbols.len()
                ));
                self.push(joined("-Wl,@", &exports.response_file));
            }
        }
        // Everything the program exports on its runtime's behalf; the rest of its exports
        // are its own (its OWN_SECTION, written after the link).
        let mut runtime: BTreeSet<String> = libc.symbols.iter().cloned().collect();
        for name in &inputs.emulations {
            runtime.extend(emulation_exports(tc, name)?.symbols);
        }
        match guest_exports(tc) {
            Ok(names) => runtime.extend(names),
            // The link itself does not need them: its names then count as the program's own
            // (RTLD_NEXT from a library does not find them).
            Err(e) => self.notes.push(format!(
                "the guest library's symbols could not be read ({e:#}): they are listed as \
                 the program's own"
            )),
        }
        runtime.extend(
            CONTRACT_EXPORTS
                .iter()
                .chain(SETJMP_EXPORTS)
                .chain(CXX_EH_EXPORTS)
                .map(|n| n.to_string()),
        );
        self.after_link
            .get_or_insert_with(|| AfterLink {
                output: output_of(p),
                defined: None,
                runtime: None,
            })
            .runtime = Some(std::sync::Arc::new(runtime));
        for left in &libc.left_out {
            self.notes
                .push(format!("not exported (would not link): {left}"));
        }
        match p.mode {
            ExportMode::Full => {
                self.notes.push(format!(
                    "full mode: exporting {} libc/builtins{} symbols listed in {}",
                    libc.symbols.len(),
                    if cxx { "/libc++" } else { "" },
                    libc.response_file.display()
                ));
                self.push(joined("-Wl,@", &libc.response_file));
            }
            ExportMode::Slim => {
                let mut named = inputs.side_modules.clone();
                named.extend(p.exports_for.iter().map(|path| self.resolve(path)));
                let imported = imported_symbols(&named, &self.lib_dirs)?;
                for missing in &imported.not_found {
                    self.warnings.push(format!(
                        "slim exports: {missing} not found; its imports are not exported"
                    ));
                }
                if named.is_empty() {
                    self.warnings.push(
                        "-mdl-exports=slim without side modules (*.so, -lfoo or \
                         -mdl-exports-for=): only the wasi-dl contract is exported"
                            .into(),
                    );
                }
                let contract: BTreeSet<&str> = CONTRACT_EXPORTS.iter().copied().collect();
                let mut count = 0;
                for sym in imported
                    .symbols
                    .iter()
                    .filter(|s| !contract.contains(s.as_str()))
                {
                    count += 1;
                    // --export pulls the libc member in (and fails for an unknown name);
                    // --export-if-defined covers the program's own symbols.
                    let flag = if libc.contains(sym) {
                        "--export"
                    } else {
                        "--export-if-defined"
                    };
                    self.push(format!("-Wl,{flag}={sym}"));
                }
                self.notes.push(format!(
                    "slim mode: exporting {count} symbols imported by {} side module(s)",
                    imported.modules.len()
                ));
            }
        }
        Ok(())
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

impl Stage {
    fn of(p: &Parsed) -> Stage {
        if p.inputs == 0 {
            Stage::Query
        } else if !p.link {
            Stage::Compile
        } else if p.shared {
            Stage::Side
        } else {
            Stage::Main
        }
    }
}

/// The program's file: `-o`, else `a.out`.
fn output_of(p: &Parsed) -> PathBuf {
    p.output.clone().unwrap_or_else(|| PathBuf::from("a.out"))
}

/// Paths for a message, comma-separated.
fn list(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
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
