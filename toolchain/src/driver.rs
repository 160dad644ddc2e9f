//! The compiler driver behind `wasi-dl cc` / `wasi-dl c++`: takes what C
//! programmers pass to gcc or clang and adds what wasm and wasi-dl need.
//!
//! | what the user asks for | what is added |
//! |---|---|
//! | anything | `--target=` (and `--sysroot=` for a wasi-sdk) unless given |
//! | compiling (`-c`, `-S`, `-E`, linking) | `-I<guest sysroot>/include` (ahead of the system headers: our `dlfcn.h` wins), `-fvisibility=default` (clang's wasm default is hidden: nothing would be exported) |
//! | compiling or linking, with a clang that emits the standard exception instructions (22+) | `-mllvm -wasm-enable-sjlj` when the sysroot has libsetjmp (setjmp/longjmp); for `wasi-dl c++` `-fwasm-exceptions` when its C++ runtime is built for exceptions (not with `-fno-exceptions`); with either, `-mllvm -wasm-use-legacy-eh=false` |
//! | linking with `-shared`: a side module | `-fPIC -shared -nostdlib -Wl,--no-entry -Wl,--unresolved-symbols=import-dynamic -Wl,--export=__wasm_call_ctors` |
//! | linking without `-shared`: a main program | `-Wl,--stack-first -Wl,-z,stack-size=1048576` (see [`STACK_SIZE`]), `-nostartfiles`, the guest sysroot's start-up objects and `libwasi_dl.a`, `-Wl,--export-table -Wl,--growable-table -Wl,--export=__stack_pointer -Wl,--export-dynamic`, `-Wl,--export=` for each of [`CONTRACT_EXPORTS`], and libc's symbols for side modules (see [`ExportMode`]); after the link, a [`OWN_SECTION`] custom section listing the program's own exports |
//! | a main program, with the above | libsetjmp and `-Wl,--export=` for each of [`SETJMP_EXPORTS`]; for C++ `-lunwind` and each of [`CXX_EH_EXPORTS`] (side modules import those tags, helpers and the landing-pad context from the program) |
//! | `-rpath` / `-Wl,-rpath,...` | `-fuse-ld=` a wasm-ld that supports it (wasm-ld 19 does not), unless `-fuse-ld=` is given |
//!
//! Own options and special cases:
//! - `-mdl-exports=full` (default) / `-mdl-exports=slim`: see [`ExportMode`].
//! - A main program's `*.so` inputs, and `-lfoo` that finds only `libfoo.so` in the `-L`
//!   directories, are side modules the program is linked against, as with gcc: they are not
//!   linked in; their functions may stay undefined (the program imports them), and a generated
//!   `__wasi_dl_needed` list makes the start-up code load them (by SONAME when the library
//!   has one, else `libfoo.so` for `-lfoo` and a path as written) before the program's
//!   constructors; slim mode exports what they import.
//!   Such a program's code is compiled `-fPIC` and linked with
//!   `-Wl,--unresolved-symbols=import-dynamic`, so it can also use their data objects
//!   (`extern int foo_count;`): they become `GOT.mem` imports the start-up load fills.
//!   (Objects compiled separately with `-c` for such a program need `-fPIC` too.)
//! - `-mdl-exports-for=PATH`: a side module the program will only dlopen, read for slim-mode
//!   exports.
//! - A side module's `-lfoo` finds `libfoo.so` through `-L` and records it in NEEDED. A
//!   library (`-lfoo` or a `*.so` input) with a SONAME (`wasi_dl_meta`) is recorded by that
//!   name, as ELF linkers do: it is linked through a symbolic link so named in the cache
//!   directory, since wasm-ld records the name of the file it was given.
//! - GNU ld options that wasm-ld rejects and wasm has no use for (`--as-needed`,
//!   `--no-as-needed`, `--hash-style=`, `--eh-frame-hdr`, `--enable-new-dtags`,
//!   `--no-undefined`, ...) are dropped from `-Wl,` / `-Xlinker`; `--version-script` too,
//!   with a warning.
//! - Only wasm headers are searched: clang's own, the wasm sysroot's (libc, libc++), the
//!   guest library's and the user's `-I`/`-isystem`, never the host's `/usr/include` or
//!   `/usr/local/include` (`-nostdlibinc` plus the sysroot's directories, see
//!   [`crate::IncludeDirs`]; a user's `-nostdinc`/`-nostdlibinc` is left alone).
//! - `-print-prog-name=ld` (and `ar`, `nm`, `ranlib`, `strip`, `objcopy`, ...) name the wasm
//!   tools (`wasm-ld`, `llvm-ar`, ...), not the host's GNU binutils.
//! - `-ldl` and `-lpthread` are accepted and ignored (dlopen lives in the guest library);
//!   `-lc` and wasi-libc's `-lwasi-emulated-*` are ignored for side modules (libc and the
//!   emulations, `mmap`, `signal`, `getpid`, `clock`, come from the main program, which
//!   links and exports them);
//!   `-rdynamic` is implied; `-pthread` is ignored with a warning.
//! - `wasi-dl c++` (clang++): full mode also exports libc++, libc++abi and libunwind
//!   (the sysroot `make setup` assembles has them, built for exceptions), so C++ side
//!   modules can use `std::string`, `operator new` and `__cxa_throw` from the program;
//!   without a C++ runtime a C++ main program links only with `-nostdlib++` (a warning says
//!   so). C++ side modules never link the C++ library themselves (`-nostdlib`): a C++ side
//!   module needs a C++ program.
//! - A user's `--target=`, `--sysroot=`, `-fuse-ld=`, `-nostartfiles` (then no start-up
//!   object is added) and `-nostdlib` (then no libc symbols are exported) are respected.
//! - Everything else goes to clang unchanged, in order, after the driver's own defaults
//!   (so a user's `-fvisibility=hidden` still wins).
//! - Full mode forces every libc object into the program: a program that replaces only
//!   part of one (say `malloc` but not `free`) gets a duplicate-symbol error; use slim mode.
//! - `WASI_DL_VERBOSE=1` prints notes and the final command line to stderr.

use crate::detect::{Toolchain, EMULATION_LIBRARIES};
use crate::libc_exports::{cxx_exports, emulation_exports, guest_exports, libc_exports};
use crate::side_modules::{imported_symbols, soname_of};
use anyhow::{bail, Context, Result};
use std::collections::BTreeSet;
use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus};

/// What every main program exports besides memory, `__indirect_function_table`
/// and `__stack_pointer` (DESIGN.md, "the main-program contract").
pub const CONTRACT_EXPORTS: &[&str] = &[
    "__wasi_dl_alloc",
    "__wasi_dl_free",
    "__wasi_dl_cxa_atexit",
    "__wasi_dl_atexit",
    // The program's static data, for dladdr (the stack and heap around it are nobody's).
    "__heap_base",
    "__global_base",
    "__data_end",
    "__wasi_dl_finalize",
    "__wasi_dl_late_destructor",
    "dlopen",
    "dlsym",
    "dlclose",
    "dlerror",
    "dladdr",
    "dlmopen",
    "dlvsym",
    "dlinfo",
    "__wasi_dl_open_from",
    "__wasi_dl_sym_from",
    "malloc",
    "free",
    "calloc",
    "realloc",
];

/// The default size of a program's shadow stack (the C stack in linear memory): 1 MiB,
/// as rustc's wasm targets and glibc threads' minimum use, not wasm-ld's 64 KiB. The
/// stack comes first in memory (`--stack-first`), so an overflow wraps below address 0
/// and traps instead of growing down into the program's data. Side modules share the
/// program's `__stack_pointer`, so their frames live on this stack and obey the same
/// bound. `-Wl,-z,stack-size=N` overrides the size.
pub const STACK_SIZE: u32 = 1 << 20;

/// Which libc symbols a main program exports so that side modules can call them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ExportMode {
    /// `-mdl-exports=full` (the default, like Emscripten's `MAIN_MODULE=1`):
    /// every function and data symbol of libc and compiler-rt's builtins, so
    /// any side module can be loaded later. Pulls all of libc into the program.
    #[default]
    Full,
    /// `-mdl-exports=slim`: only what the side modules named on the command
    /// line (`*.so` inputs and `-lfoo` finding `libfoo.so`, which the program
    /// is then linked against, and `-mdl-exports-for=PATH` for modules it will
    /// only dlopen) and the libraries they need import, plus the contract and
    /// [`SETJMP_EXPORTS`] (setjmp/longjmp helpers and their tag).
    /// Smaller; other side modules may fail to load.
    Slim,
}

impl ExportMode {
    /// The value of the `-mdl-exports=` flag.
    pub fn flag(self) -> &'static str {
        match self {
            ExportMode::Full => "-mdl-exports=full",
            ExportMode::Slim => "-mdl-exports=slim",
        }
    }
}

/// A planned compiler run: the program, its arguments, and what the driver
/// has to say about them.
#[derive(Clone, Debug)]
pub struct Invocation {
    program: PathBuf,
    args: Vec<OsString>,
    cwd: Option<PathBuf>,
    warnings: Vec<String>,
    notes: Vec<String>,
    after_link: Option<AfterLink>,
}

/// What [`Driver::run`] does after linking a main program.
#[derive(Clone, Debug)]
struct AfterLink {
    /// The program (`-o`, else `a.out`), relative to the build's directory.
    output: PathBuf,
    /// A program linked against side modules: the names they define (other imports are
    /// reported as undefined symbols), and its `dylink.0` section is removed.
    defined: Option<BTreeSet<String>>,
    /// Names the program exports for its runtime (libc, builtins, the C++ runtime, emulation
    /// libraries, the guest library): its other exports are its own, listed in its
    /// [`OWN_SECTION`] section. `None` with `-nostdlib`, where nothing tells them apart.
    runtime: Option<std::sync::Arc<BTreeSet<String>>>,
}

/// The custom section in which `wasi-dl cc` lists a program's own exports (one name per
/// line): the functions and data its objects define, as opposed to what it exports on libc's
/// behalf. The loader's `dlsym(RTLD_NEXT)` from a library searches only the latter in the
/// program, as glibc (where libc is a library of its own, after the program) does.
pub const OWN_SECTION: &str = "wasi_dl_own";

impl Invocation {
    /// The compiler (clang or clang++).
    pub fn program(&self) -> &Path {
        &self.program
    }

    /// The final arguments.
    pub fn args(&self) -> &[OsString] {
        &self.args
    }

    /// Warnings for the user (printed by [`Driver::run`]).
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// Explanations of what was added or ignored (printed with `WASI_DL_VERBOSE=1`).
    pub fn notes(&self) -> &[String] {
        &self.notes
    }

    /// After a successful link of a main program: writes its [`OWN_SECTION`]; for a program
    /// linked against side modules also removes the `dylink.0` section wasm-ld writes under
    /// `--unresolved-symbols=import-dynamic` (the program is a program, not a side module, and
    /// `wasi-dl run` tells them apart by it), and returns a warning for each import no side
    /// module defines (with import-dynamic wasm-ld no longer reports them: they would fail at
    /// run time). Nothing to do for other builds.
    pub fn finish_link(&self) -> Result<Vec<String>> {
        let Some(after) = &self.after_link else {
            return Ok(Vec::new());
        };
        let path = match &self.cwd {
            Some(dir) if after.output.is_relative() => dir.join(&after.output),
            _ => after.output.clone(),
        };
        let bytes = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
        let mut out = bytes.clone();
        let mut warnings = Vec::new();
        if let Some(defined) = &after.defined {
            let (stripped, imports) = without_dylink(&bytes)
                .with_context(|| format!("{}: not a wasm module", path.display()))?;
            out = stripped;
            warnings.extend(
                imports
                    .into_iter()
                    .filter(|name| !defined.contains(name))
                    .map(|name| {
                        format!(
                        "{}: undefined symbol: {name} (no side module it is linked against defines \
                         it: the program imports it and fails at run time)",
                        after.output.display()
                    )
                    }),
            );
        }
        if let Some(runtime) = &after.runtime {
            // Without the section the program still runs (RTLD_NEXT from a library then also
            // finds its own names): not a reason to fail a link that succeeded.
            match own_exports(&out, runtime) {
                Ok(own) => append_custom_section(&mut out, OWN_SECTION, own.join("\n").as_bytes()),
                Err(e) => warnings.push(format!(
                    "{}: its exports could not be read ({e}): no {OWN_SECTION} section written",
                    after.output.display()
                )),
            }
        }
        if out != bytes {
            let tmp = path.with_extension(format!("tmp{}", std::process::id()));
            std::fs::write(&tmp, &out).with_context(|| format!("writing {}", tmp.display()))?;
            // The linker's mode bits (executable) stay.
            if let Ok(meta) = std::fs::metadata(&path) {
                let _ = std::fs::set_permissions(&tmp, meta.permissions());
            }
            std::fs::rename(&tmp, &path).with_context(|| format!("writing {}", path.display()))?;
        }
        Ok(warnings)
    }

    /// The command, ready to run (in [`Driver::current_dir`], if set).
    pub fn command(&self) -> Command {
        let mut cmd = Command::new(&self.program);
        cmd.args(&self.args);
        if let Some(dir) = &self.cwd {
            cmd.current_dir(dir);
        }
        cmd
    }

    /// The command line as a shell would take it.
    pub fn command_line(&self) -> String {
        std::iter::once(self.program.as_os_str())
            .chain(self.args.iter().map(OsString::as_os_str))
            .map(quote)
            .collect::<Vec<_>>()
            .join(" ")
    }
}

fn quote(arg: &OsStr) -> String {
    let s = arg.to_string_lossy();
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_=+/.,:@%".contains(c))
    {
        s.into_owned()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// The compiler driver: [`Toolchain`] + the rules in this module's docs.
#[derive(Clone, Debug)]
pub struct Driver {
    toolchain: Toolchain,
    cxx: bool,
    cwd: Option<PathBuf>,
}

impl Driver {
    /// A C driver (`wasi-dl cc`) for `toolchain`.
    pub fn new(toolchain: Toolchain) -> Driver {
        Driver {
            toolchain,
            cxx: false,
            cwd: None,
        }
    }

    /// Runs the compiler in `dir`, and resolves relative paths the driver
    /// reads itself (side modules, `-L` directories) against it.
    pub fn current_dir(mut self, dir: impl Into<PathBuf>) -> Driver {
        self.cwd = Some(dir.into());
        self
    }

    /// Switches to clang++ (`wasi-dl c++`).
    pub fn cxx(mut self, cxx: bool) -> Driver {
        self.cxx = cxx;
        self
    }

    /// The toolchain in use.
    pub fn toolchain(&self) -> &Toolchain {
        &self.toolchain
    }

    /// Works out the compiler command for `args` (the arguments after `cc`)
    /// without running it. Reads side modules for slim mode and may write the
    /// libc export list to the cache.
    pub fn plan(&self, args: &[OsString]) -> Result<Invocation> {
        let parsed = parse(args)?;
        self.build(parsed)
    }

    /// [`Driver::plan`], as a [`Command`].
    pub fn command(&self, args: &[OsString]) -> Result<Command> {
        Ok(self.plan(args)?.command())
    }

    /// Plans and runs the compiler, with its output going to ours. Prints the
    /// warnings, and with `WASI_DL_VERBOSE=1` the notes and the command line.
    pub fn run(&self, args: &[OsString]) -> Result<ExitStatus> {
        let inv = self.plan(args)?;
        let me = if self.cxx {
            "wasi-dl c++"
        } else {
            "wasi-dl cc"
        };
        for w in &inv.warnings {
            eprintln!("{me}: warning: {w}");
        }
        if verbose() {
            for n in &inv.notes {
                eprintln!("{me}: note: {n}");
            }
            eprintln!("{me}: {}", inv.command_line());
        }
        let status = inv
            .command()
            .status()
            .with_context(|| format!("running {}", inv.program.display()))?;
        if status.success() {
            for w in inv.finish_link()? {
                eprintln!("{me}: warning: {w}");
            }
        }
        Ok(status)
    }

    fn build(&self, p: Parsed) -> Result<Invocation> {
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
                if p.soname.is_some() || p.nodelete {
                    args.push(
                        meta_section(p.soname.as_deref(), p.nodelete, &tc.cache_dir())?.into(),
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

/// `bytes` without its `dylink.0` custom section (always the first section, right after the
/// 8-byte header), and the names it imports from `env` (functions) and `GOT.mem` / `GOT.func`.
fn without_dylink(bytes: &[u8]) -> Result<(Vec<u8>, BTreeSet<String>)> {
    use wasmparser::{BinaryReader, Parser, Payload, TypeRef};
    let mut imports = BTreeSet::new();
    let mut first_custom = None;
    for payload in Parser::new(0).parse_all(bytes) {
        match payload? {
            Payload::CustomSection(c) if first_custom.is_none() => {
                first_custom = Some(c.name() == "dylink.0");
            }
            Payload::ImportSection(reader) => {
                for import in reader.into_imports() {
                    let import = import?;
                    match (import.module, import.ty) {
                        ("env", TypeRef::Func(_))
                        | ("GOT.mem" | "GOT.func", TypeRef::Global(_)) => {
                            imports.insert(import.name.to_string());
                        }
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    if bytes.get(8) != Some(&0) || first_custom != Some(true) {
        return Ok((bytes.to_vec(), imports));
    }
    let mut reader = BinaryReader::new(&bytes[9..], 9);
    let size = reader.read_var_u32()? as usize;
    // wasmparser reports positions as u64 (modules may exceed 4 GiB on 64-bit hosts).
    let end = usize::try_from(reader.original_position())
        .ok()
        .and_then(|pos| pos.checked_add(size))
        .filter(|&end| end <= bytes.len())
        .context("a dylink.0 section longer than the module")?;
    let mut out = bytes[..8].to_vec();
    out.extend_from_slice(&bytes[end..]);
    Ok((out, imports))
}

/// The program's own exports: its exported functions and globals (data) that `runtime` does
/// not list, less the linker's and the start-up code's plumbing. Sorted.
fn own_exports(bytes: &[u8], runtime: &BTreeSet<String>) -> Result<Vec<String>> {
    use wasmparser::{ExternalKind, Parser, Payload};
    let mut own = BTreeSet::new();
    for payload in Parser::new(0).parse_all(bytes) {
        if let Payload::ExportSection(reader) = payload? {
            for export in reader {
                let export = export?;
                let plumbing = export.name.starts_with("__wasi_dl")
                    || export.name.starts_with("__wasm_")
                    || matches!(export.name, "_start" | "_initialize" | "__stack_pointer");
                if matches!(export.kind, ExternalKind::Func | ExternalKind::Global)
                    && !plumbing
                    && !export.name.contains('\n')
                    && !runtime.contains(export.name)
                {
                    own.insert(export.name.to_string());
                }
            }
        }
    }
    Ok(own.into_iter().collect())
}

/// Appends a custom section (valid anywhere in a module, so after everything else).
fn append_custom_section(module: &mut Vec<u8>, name: &str, payload: &[u8]) {
    fn leb(out: &mut Vec<u8>, mut v: usize) {
        loop {
            let byte = (v & 0x7f) as u8;
            v >>= 7;
            if v == 0 {
                out.push(byte);
                return;
            }
            out.push(byte | 0x80);
        }
    }
    let mut body = Vec::with_capacity(name.len() + payload.len() + 5);
    leb(&mut body, name.len());
    body.extend_from_slice(name.as_bytes());
    body.extend_from_slice(payload);
    module.push(0);
    leb(module, body.len());
    module.extend_from_slice(&body);
}

/// What a program exports so that side modules can use setjmp/longjmp: wasi-libc's
/// libsetjmp helpers, which clang's lowering calls, and the one `__c_longjmp` tag every
/// module's `longjmp` throws and every `setjmp` catches (the loader binds a side module's
/// imported tag to the program's).
pub const SETJMP_EXPORTS: &[&str] = &[
    "__wasm_setjmp",
    "__wasm_setjmp_test",
    "__wasm_longjmp",
    "__c_longjmp",
];

/// What a C++ program exports so that side modules can throw and catch: the one
/// `__cpp_exception` tag, the personality routine's entry and its landing-pad context
/// (the rest of libc++abi is exported with the C++ runtime, see [`ExportMode`]).
pub const CXX_EH_EXPORTS: &[&str] = &[
    "__cpp_exception",
    "_Unwind_CallPersonality",
    "__wasm_lpad_context",
];

/// Which kinds of WebAssembly exceptions a build uses. Both need the standard exception
/// instructions (`-wasm-use-legacy-eh=false`: wasmtime rejects the legacy ones), so only a
/// clang that emits them (22 and later) turns them on.
#[derive(Clone, Copy, Debug)]
struct Exceptions {
    /// setjmp/longjmp lowered onto exceptions (`-wasm-enable-sjlj`), with wasi-libc's libsetjmp.
    setjmp: bool,
    /// C++ exceptions (`-fwasm-exceptions`), with a C++ runtime built for them.
    cxx: bool,
    /// A C++ link with that runtime: its libc++abi throws (even for code compiled with
    /// `-fno-exceptions`, e.g. `std::vector::at`), so libunwind is linked and its tag exported.
    cxx_runtime: bool,
}

impl Exceptions {
    fn of(tc: &Toolchain, cxx: bool, p: &Parsed) -> Exceptions {
        let cxx_runtime = cxx && tc.cxx_exceptions();
        Exceptions {
            setjmp: tc.setjmp_archive().is_some(),
            cxx: cxx_runtime && !p.user_no_exceptions,
            cxx_runtime: cxx_runtime && !p.user_nostdlibxx,
        }
    }

    /// Flags for every compile (and link, which may compile too).
    fn compile_flags(self) -> Vec<&'static str> {
        let mut flags = Vec::new();
        if self.cxx {
            flags.push("-fwasm-exceptions");
        }
        if self.setjmp {
            flags.extend(["-mllvm", "-wasm-enable-sjlj"]);
        }
        if self.cxx || self.setjmp {
            flags.extend(["-mllvm", "-wasm-use-legacy-eh=false"]);
        }
        flags
    }

    /// A main program's extra link inputs and exports.
    fn link_args(self, tc: &Toolchain) -> Vec<OsString> {
        let mut args = Vec::new();
        if let Some(setjmp) = tc.setjmp_archive().filter(|_| self.setjmp) {
            args.push(setjmp.into_os_string());
            args.extend(
                SETJMP_EXPORTS
                    .iter()
                    .map(|n| format!("-Wl,--export={n}").into()),
            );
        }
        if self.cxx_runtime {
            // clang++ links libc++ and libc++abi; the unwinder they need is ours to add.
            args.push("-lunwind".into());
            args.extend(
                CXX_EH_EXPORTS
                    .iter()
                    .map(|n| format!("-Wl,--export={n}").into()),
            );
        }
        args
    }
}

/// What a program linked against side modules needs at link time.
struct StartupFiles {
    /// The side modules' functions, one per line: wasm-ld may leave them undefined (the
    /// program imports them from `env`; the host binds them when the modules are loaded).
    functions: PathBuf,
    /// C source of `__wasi_dl_needed`, the NULL-ended list of libraries the start-up code
    /// (`crt1-wasi-dl.o`) opens before the program's constructors run.
    needed_list: PathBuf,
    /// What the side modules export (functions and data).
    defined: BTreeSet<String>,
}

fn startup_files(
    side_modules: &[PathBuf],
    needed: &[String],
    rpaths: &[String],
    cache_dir: &Path,
) -> Result<StartupFiles> {
    let mut functions = BTreeSet::new();
    let mut defined = BTreeSet::new();
    for path in side_modules {
        let bytes = std::fs::read(path)
            .with_context(|| format!("reading side module {}", path.display()))?;
        let info = crate::side_modules::read_side_module(&bytes)
            .with_context(|| format!("{}", path.display()))?;
        functions.extend(info.functions);
        defined.extend(info.exports);
    }
    let mut list = String::new();
    for name in functions {
        list.push_str(&name);
        list.push('\n');
    }
    let mut source = String::from(
        "/* Written by wasi-dl cc: the libraries this program was linked against, and its\n\
         \x20* RUNPATH (-rpath). */\n",
    );
    if !needed.is_empty() {
        source.push_str(
            "__attribute__((visibility(\"hidden\"))) const char *const __wasi_dl_needed[] = {",
        );
        for name in needed {
            source.push_str(&c_string(name));
            source.push_str(", ");
        }
        source.push_str("0};\n");
    }
    // With side modules the program is linked with --unresolved-symbols=import-dynamic, and
    // wasm-ld then refuses the start-up code's weak reference to an undefined list: always
    // define it (empty: no RUNPATH).
    if !rpaths.is_empty() || !needed.is_empty() {
        source.push_str(&format!(
            "__attribute__((visibility(\"hidden\"))) const char __wasi_dl_rpath_list[] = {};\n",
            c_string(&rpaths.join(":"))
        ));
    }
    std::fs::create_dir_all(cache_dir)
        .with_context(|| format!("creating the cache directory {}", cache_dir.display()))?;
    let key = {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        (&list, &source).hash(&mut h);
        h.finish()
    };
    let functions = cache_dir.join(format!("startup-{key:016x}.undefined"));
    let needed_list = cache_dir.join(format!("startup-{key:016x}.c"));
    // Written to a temporary name first: another build may be reading the same file.
    for (path, text) in [(&functions, &list), (&needed_list, &source)] {
        if !path.is_file() {
            let tmp = path.with_extension(format!("tmp{}", std::process::id()));
            std::fs::write(&tmp, text).with_context(|| format!("writing {}", tmp.display()))?;
            std::fs::rename(&tmp, path).with_context(|| format!("writing {}", path.display()))?;
        }
    }
    Ok(StartupFiles {
        functions,
        needed_list,
        defined,
    })
}

/// An assembly file holding a side module's `wasi_dl_meta` custom section: `soname=NAME` and
/// `nodelete` lines (the loader reads them; wasm-ld copies the section into the module).
fn meta_section(soname: Option<&str>, nodelete: bool, cache_dir: &Path) -> Result<PathBuf> {
    let mut text = String::new();
    if let Some(name) = soname {
        text.push_str(&format!("soname={name}\n"));
    }
    if nodelete {
        text.push_str("nodelete\n");
    }
    let source = format!(
        "\t.section\t.custom_section.wasi_dl_meta,\"\",@\n\t.ascii\t{}\n",
        c_string(&text)
    );
    std::fs::create_dir_all(cache_dir)
        .with_context(|| format!("creating the cache directory {}", cache_dir.display()))?;
    let key = {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        source.hash(&mut h);
        h.finish()
    };
    let path = cache_dir.join(format!("meta-{key:016x}.s"));
    if !path.is_file() {
        let tmp = path.with_extension(format!("tmp{}", std::process::id()));
        std::fs::write(&tmp, &source).with_context(|| format!("writing {}", tmp.display()))?;
        std::fs::rename(&tmp, &path).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(path)
}

/// A symbolic link named `soname` to the side module `target`, in a directory of the cache
/// of its own for that target (the same SONAME may name different files in different builds).
fn soname_link(target: &Path, soname: &str, cache_dir: &Path) -> Result<PathBuf> {
    let target = target
        .canonicalize()
        .with_context(|| format!("reading side module {}", target.display()))?;
    let key = {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        target.hash(&mut h);
        h.finish()
    };
    let dir = cache_dir.join(format!("soname-{key:016x}"));
    std::fs::create_dir_all(&dir)
        .with_context(|| format!("creating the cache directory {}", dir.display()))?;
    let link = dir.join(soname);
    if std::fs::read_link(&link).is_ok_and(|to| to == target) {
        return Ok(link);
    }
    // Made under a temporary name and renamed over: another build may be using the link.
    let tmp = dir.join(format!(".{soname}.tmp{}", std::process::id()));
    let _ = std::fs::remove_file(&tmp);
    #[cfg(unix)]
    std::os::unix::fs::symlink(&target, &tmp)
        .with_context(|| format!("creating the link {}", tmp.display()))?;
    #[cfg(not(unix))]
    std::fs::copy(&target, &tmp).with_context(|| format!("copying to {}", tmp.display()))?;
    std::fs::rename(&tmp, &link)
        .with_context(|| format!("creating the link {}", link.display()))?;
    Ok(link)
}

/// `text` as a C string literal.
fn c_string(text: &str) -> String {
    let mut out = String::from('"');
    for c in text.chars() {
        match c {
            '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_ascii_graphic() || c == ' ' => out.push(c),
            c => {
                let mut buf = [0u8; 4];
                for byte in c.encode_utf8(&mut buf).bytes() {
                    out.push_str(&format!("\\{byte:03o}"));
                }
            }
        }
    }
    out.push('"');
    out
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

fn verbose() -> bool {
    std::env::var_os("WASI_DL_VERBOSE").is_some_and(|v| !v.is_empty() && v != "0")
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

/// One user argument (or option + value), kept in order.
#[derive(Debug)]
enum Item {
    /// Passed through as is.
    Args(Vec<OsString>),
    /// A positional input file.
    Input(PathBuf),
    /// `-lname` / `-l name`.
    Lib {
        name: String,
        spelled: Vec<OsString>,
    },
}

impl Item {
    fn into_args(self) -> Vec<OsString> {
        match self {
            Item::Args(a) => a,
            Item::Input(p) => vec![p.into_os_string()],
            Item::Lib { spelled, .. } => spelled,
        }
    }
}

#[derive(Default, Debug)]
struct Parsed {
    items: Vec<Item>,
    shared: bool,
    link: bool,
    inputs: usize,
    user_target: bool,
    user_sysroot: bool,
    user_fuse_ld: bool,
    user_nostartfiles: bool,
    user_nostdlib: bool,
    user_nostdlibxx: bool,
    /// `-nostdinc` / `-nostdlibinc`: the user chose the system header directories.
    user_nostdinc: bool,
    /// `-o FILE`.
    output: Option<PathBuf>,
    /// `-fno-exceptions`: no C++ exceptions, whatever the runtime supports.
    user_no_exceptions: bool,
    wants_rpath: bool,
    /// The user set the stack size (`-Wl,-z,stack-size=N`, `-z stack-size=N`, ...).
    user_stack_size: bool,
    /// The user chose the memory layout (`--stack-first`, `--global-base=`).
    user_layout: bool,
    /// `-Wl,-soname,NAME` and `-Wl,-z,nodelete` of a side module: kept in a custom section
    /// (`wasi_dl_meta`, see docs/DESIGN.md), since dylink.0 has no field for them.
    soname: Option<String>,
    nodelete: bool,
    /// The `-rpath` directories, in order (for a main program: its RUNPATH, see `startup`).
    rpaths: Vec<String>,
    /// A `-Xlinker -rpath` waiting for its `-Xlinker DIR`.
    xlinker_rpath_pending: bool,
    mode: ExportMode,
    /// `-mdl-exports-for=PATH`: side modules the program will dlopen, named for slim mode.
    exports_for: Vec<PathBuf>,
    lib_dirs: Vec<PathBuf>,
    warnings: Vec<String>,
    notes: Vec<String>,
}

/// Options whose value is the next argument (when not joined).
const TAKES_VALUE: &[&str] = &[
    "-o",
    "-I",
    "-L",
    "-l",
    "-D",
    "-U",
    "-include",
    "-imacros",
    "-isystem",
    "-idirafter",
    "-iquote",
    "-iprefix",
    "-iwithprefix",
    "-iwithprefixbefore",
    "-isysroot",
    "-cxx-isystem",
    "-MF",
    "-MT",
    "-MQ",
    "-MJ",
    "-x",
    "-Xlinker",
    "-Xclang",
    "-Xpreprocessor",
    "-Xassembler",
    "-target",
    "--target",
    "--sysroot",
    "-arch",
    "-u",
    "-z",
    "-T",
    "-e",
    "-B",
    "-mllvm",
    "-F",
    "-rpath",
    "-working-directory",
    "-resource-dir",
    "-ivfsoverlay",
    "-dependency-file",
    "-serialize-diagnostics",
    "--param",
];

/// `DIR` of `-rpath=DIR` / `--rpath=DIR`.
fn rpath_value(linker_arg: &str) -> Option<&str> {
    linker_arg
        .strip_prefix("-rpath=")
        .or_else(|| linker_arg.strip_prefix("--rpath="))
}

fn is_rpath_flag(linker_arg: &str) -> bool {
    matches!(linker_arg, "-rpath" | "--rpath")
        || linker_arg.starts_with("-rpath=")
        || linker_arg.starts_with("--rpath=")
}

fn parse(args: &[OsString]) -> Result<Parsed> {
    let mut p = Parsed {
        link: true,
        ..Parsed::default()
    };
    let mut i = 0;
    while i < args.len() {
        let raw = &args[i];
        i += 1;
        let Some(a) = raw.to_str() else {
            // Not UTF-8: cannot be one of our options; an input file name.
            p.inputs += 1;
            p.items.push(Item::Input(PathBuf::from(raw)));
            continue;
        };
        // An option whose value is the next argument.
        if TAKES_VALUE.contains(&a) {
            let value = args
                .get(i)
                .cloned()
                .with_context(|| format!("{a} needs a value"))?;
            i += 1;
            let v = value.to_string_lossy().into_owned();
            match a {
                "-l" => {
                    lib(&mut p, &v, vec![raw.clone(), value]);
                    continue;
                }
                "-L" => p.lib_dirs.push(PathBuf::from(&value)),
                "-o" => p.output = Some(PathBuf::from(&value)),
                "-target" | "--target" => p.user_target = true,
                "--sysroot" => p.user_sysroot = true,
                "-z" => note_linker_layout(&mut p, &v),
                "-rpath" => {
                    p.wants_rpath = true;
                    p.rpaths.push(v.clone());
                }
                "-Xlinker" => {
                    note_linker_layout(&mut p, &v);
                    if std::mem::take(&mut p.xlinker_rpath_pending) {
                        p.rpaths.push(v.clone());
                    } else if matches!(v.as_str(), "-rpath" | "--rpath") {
                        p.xlinker_rpath_pending = true;
                    } else if let Some(dir) = rpath_value(&v) {
                        p.rpaths.push(dir.to_string());
                    }
                    if filter_linker_args(&mut p, &v).is_none() {
                        continue;
                    }
                    p.wants_rpath |= is_rpath_flag(&v);
                }
                _ => {}
            }
            p.items.push(Item::Args(vec![raw.clone(), value]));
            continue;
        }
        match a {
            "-shared" => {
                p.shared = true;
                continue;
            }
            "-rdynamic" => {
                p.notes.push(
                    "-rdynamic: implied for main programs, not needed for side modules".into(),
                );
                continue;
            }
            "-pthread" | "-pthreads" => {
                p.warnings
                    .push(format!("{a} ignored: wasi-dl programs are single-threaded"));
                continue;
            }
            "-c" | "-S" | "-E" | "-M" | "-MM" | "-fsyntax-only" | "--precompile" => p.link = false,
            "-nostartfiles" => p.user_nostartfiles = true,
            "-nostdlib" | "-nodefaultlibs" | "-nolibc" => p.user_nostdlib = true,
            "-nostdlib++" => p.user_nostdlibxx = true,
            "-nostdinc" | "-nostdlibinc" => p.user_nostdinc = true,
            "-fno-exceptions" | "-fno-cxx-exceptions" => p.user_no_exceptions = true,
            "-fexceptions" | "-fcxx-exceptions" => p.user_no_exceptions = false,
            "-" => p.inputs += 1,
            _ => {}
        }
        if let Some(tool) = a.strip_prefix("-print-prog-name=") {
            let wasm_tool = wasm_prog_name(tool);
            if wasm_tool != tool {
                p.notes.push(format!(
                    "-print-prog-name={tool}: the wasm tool is {wasm_tool}"
                ));
            }
            p.items.push(Item::Args(vec![
                format!("-print-prog-name={wasm_tool}").into()
            ]));
            continue;
        }
        if let Some(path) = a.strip_prefix("-mdl-exports-for=") {
            p.exports_for.push(PathBuf::from(path));
            continue;
        }
        if let Some(mode) = a.strip_prefix("-mdl-exports=") {
            p.mode = match mode {
                "full" => ExportMode::Full,
                "slim" => ExportMode::Slim,
                other => bail!("-mdl-exports= takes full or slim, not {other:?}"),
            };
            continue;
        }
        if let Some(name) = a.strip_prefix("-l") {
            lib(&mut p, name, vec![raw.clone()]);
            continue;
        }
        if let Some(dir) = a.strip_prefix("-L") {
            p.lib_dirs.push(PathBuf::from(dir));
        } else if a.starts_with("--target=") {
            p.user_target = true;
        } else if a.starts_with("--sysroot=") {
            p.user_sysroot = true;
        } else if a.starts_with("-fuse-ld=") || a.starts_with("--ld-path=") {
            p.user_fuse_ld = true;
        } else if let Some(list) = a.strip_prefix("-Wl,") {
            for part in list.split(',') {
                note_linker_layout(&mut p, part);
            }
            let mut parts = list.split(',');
            while let Some(part) = parts.next() {
                if matches!(part, "-soname" | "--soname" | "-h") {
                    p.soname = parts.next().map(str::to_string);
                } else if let Some(name) = part
                    .strip_prefix("-soname=")
                    .or_else(|| part.strip_prefix("--soname="))
                {
                    p.soname = Some(name.to_string());
                } else if part == "-z" && parts.clone().next() == Some("nodelete") {
                    parts.next();
                    p.nodelete = true;
                } else if matches!(part, "-rpath" | "--rpath") {
                    if let Some(dir) = parts.next() {
                        p.rpaths.push(dir.to_string());
                    }
                } else if let Some(dir) = rpath_value(part) {
                    p.rpaths.push(dir.to_string());
                }
            }
            match filter_linker_args(&mut p, list) {
                None => continue,
                Some(kept) if kept != list => {
                    p.wants_rpath |= kept.split(',').any(is_rpath_flag);
                    p.items.push(Item::Args(vec![format!("-Wl,{kept}").into()]));
                    continue;
                }
                Some(_) => p.wants_rpath |= list.split(',').any(is_rpath_flag),
            }
        } else if a.starts_with('@') {
            p.inputs += 1; // a response file: may hold inputs
        } else if !a.starts_with('-') {
            p.inputs += 1;
            p.items.push(Item::Input(PathBuf::from(raw)));
            continue;
        }
        p.items.push(Item::Args(vec![raw.clone()]));
    }
    Ok(p)
}

/// The wasm tool that does the job of the GNU tool `name`, for `-print-prog-name=`:
/// clang answers `ld` or `ar` with the host's GNU binutils, which cannot handle wasm
/// objects; build systems then use them for wasm. Other names are unchanged.
fn wasm_prog_name(name: &str) -> &str {
    match name {
        "ld" | "ld.lld" | "lld" | "ld.bfd" | "ld.gold" => "wasm-ld",
        "ar" => "llvm-ar",
        "ranlib" => "llvm-ranlib",
        "nm" => "llvm-nm",
        "strip" => "llvm-strip",
        "objcopy" => "llvm-objcopy",
        "objdump" => "llvm-objdump",
        "readelf" => "llvm-readelf",
        "size" => "llvm-size",
        "strings" => "llvm-strings",
        "addr2line" => "llvm-addr2line",
        // clang assembles wasm itself (its integrated assembler).
        "as" => "clang",
        other => other,
    }
}

/// Notes a linker argument that sets the program's memory layout, so that the driver's
/// defaults (see [`STACK_SIZE`]) stay out of its way. `-z stack-size=N` reaches here
/// as its value `stack-size=N` (after `-z`, `-Xlinker` or in a `-Wl,` list).
fn note_linker_layout(p: &mut Parsed, linker_arg: &str) {
    let bare = linker_arg.trim_start_matches('-');
    if bare.starts_with("stack-size=") {
        p.user_stack_size = true;
    } else if bare == "stack-first" || bare == "no-stack-first" || bare.starts_with("global-base") {
        p.user_layout = true;
    }
}

/// GNU ld options that wasm-ld rejects and that mean nothing for wasm
/// (NEEDED always lists every library given, as with `--no-as-needed`;
/// undefined symbols of a side module are resolved at load time).
const LINKER_NOOPS: &[&str] = &[
    "as-needed",
    "no-as-needed",
    "eh-frame-hdr",
    "enable-new-dtags",
    "disable-new-dtags",
    "no-undefined",
    "sort-common",
    "copy-dt-needed-entries",
    "no-copy-dt-needed-entries",
    "warn-common",
];

/// Drops the GNU-ld-only options from a comma-separated `-Wl,` list (or one
/// `-Xlinker` value); `None` when nothing is left.
fn filter_linker_args(p: &mut Parsed, list: &str) -> Option<String> {
    let mut kept = Vec::new();
    let mut tokens = list.split(',');
    while let Some(token) = tokens.next() {
        let bare = token.trim_start_matches('-');
        if token == "-z" && tokens.clone().next() == Some("nodelete") {
            tokens.next();
            p.notes
                .push("linker option -z nodelete: recorded in the wasi_dl_meta section".into());
            continue;
        }
        if token.starts_with('-')
            && (LINKER_NOOPS.contains(&bare) || bare.starts_with("hash-style="))
        {
            p.notes.push(format!("linker option {token} ignored: wasm-ld has no such option and wasm no such concept"));
        } else if token.starts_with('-')
            && (bare == "version-script" || bare.starts_with("version-script="))
        {
            if bare == "version-script" {
                tokens.next();
            }
            p.warnings.push(format!(
                "linker option {token} ignored: wasm-ld has no version scripts (every default-visibility symbol is exported)"
            ));
        } else {
            kept.push(token);
        }
    }
    (!kept.is_empty()).then(|| kept.join(","))
}

fn lib(p: &mut Parsed, name: &str, spelled: Vec<OsString>) {
    if matches!(name, "dl" | "pthread") {
        p.notes.push(format!(
            "-l{name} ignored: dlopen lives in the wasi-dl guest library"
        ));
        return;
    }
    p.items.push(Item::Lib {
        name: name.to_string(),
        spelled,
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A module of nothing but an export section (`parse_all` does not validate indices).
    fn exporting(exports: &[(&str, u8)]) -> Vec<u8> {
        let mut body = vec![exports.len() as u8];
        for (name, kind) in exports {
            body.push(name.len() as u8);
            body.extend_from_slice(name.as_bytes());
            body.extend([*kind, 0]);
        }
        let mut bytes = b"\0asm\x01\0\0\0".to_vec();
        assert!(body.len() < 1 << 14);
        bytes.extend([7, body.len() as u8 | 0x80, (body.len() >> 7) as u8]);
        bytes.extend(body);
        bytes
    }

    #[test]
    fn own_exports_leave_out_the_runtime_and_plumbing() {
        let bytes = exporting(&[
            ("memory", 2),
            ("__indirect_function_table", 1),
            ("__stack_pointer", 3),
            ("_start", 0),
            ("__wasi_dl_alloc", 0),
            ("__wasm_call_ctors", 0),
            ("malloc", 0),
            ("main", 0),
            ("prog_fn", 0),
            ("prog_data", 3),
        ]);
        let runtime: BTreeSet<String> = ["malloc".to_string()].into();
        let own = own_exports(&bytes, &runtime).unwrap();
        assert_eq!(own, ["main", "prog_data", "prog_fn"]);

        let mut module = bytes.clone();
        append_custom_section(&mut module, OWN_SECTION, own.join("\n").as_bytes());
        let mut found = None;
        for payload in wasmparser::Parser::new(0).parse_all(&module) {
            if let wasmparser::Payload::CustomSection(c) = payload.unwrap() {
                found = Some((c.name().to_string(), c.data().to_vec()));
            }
        }
        assert_eq!(
            found,
            Some((
                OWN_SECTION.to_string(),
                b"main\nprog_data\nprog_fn".to_vec()
            ))
        );
        // The module before the section is unchanged.
        assert_eq!(&module[..bytes.len()], &bytes[..]);
    }

    fn os(args: &[&str]) -> Vec<OsString> {
        args.iter().map(OsString::from).collect()
    }

    #[test]
    fn classifies_stages_and_flags() {
        let p = parse(&os(&["-O2", "-c", "a.c", "-o", "a.o"])).unwrap();
        assert!(!p.link);
        assert_eq!(p.inputs, 1);
        let p = parse(&os(&[
            "a.c",
            "-shared",
            "-L",
            "dir",
            "-lfoo",
            "-Wl,-rpath,$ORIGIN",
        ]))
        .unwrap();
        assert!(p.link && p.shared && p.wants_rpath);
        assert_eq!(p.lib_dirs, vec![PathBuf::from("dir")]);
        let p = parse(&os(&["--version"])).unwrap();
        assert_eq!(p.inputs, 0);
        let p = parse(&os(&["-Xlinker", "--rpath=x", "-o", "out.so"])).unwrap();
        assert!(p.wants_rpath);
        assert_eq!(p.inputs, 0, "-o's value is not an input");
    }

    #[test]
    fn ignored_and_own_flags() {
        let p = parse(&os(&[
            "m.c",
            "-ldl",
            "-lpthread",
            "-pthread",
            "-rdynamic",
            "-mdl-exports=slim",
        ]))
        .unwrap();
        assert_eq!(p.mode, ExportMode::Slim);
        assert_eq!(p.items.len(), 1);
        assert_eq!(p.warnings.len(), 1);
        assert!(parse(&os(&["-mdl-exports=tiny"]))
            .unwrap_err()
            .to_string()
            .contains("full or slim"));
        assert!(parse(&os(&["-o"])).is_err());
    }

    #[test]
    fn gnu_only_linker_options_are_dropped() {
        let p = parse(&os(&[
            "a.c",
            "-Wl,--no-as-needed",
            "-Wl,--as-needed,-soname,libx.so,--hash-style=gnu",
            "-Xlinker",
            "--eh-frame-hdr",
            "-Wl,--version-script,x.map",
            "-Wl,-z,now",
        ]))
        .unwrap();
        let args: Vec<OsString> = p.items.into_iter().flat_map(Item::into_args).collect();
        assert_eq!(args, os(&["a.c", "-Wl,-soname,libx.so", "-Wl,-z,now"]));
        assert_eq!(p.warnings.len(), 1, "the version script is worth a warning");
        assert_eq!(p.notes.len(), 4);
    }

    #[test]
    fn soname_and_nodelete_are_recorded() {
        let p = parse(&os(&[
            "-shared",
            "a.c",
            "-Wl,-soname,libx.so.1",
            "-Wl,-z,nodelete,-z,now",
        ]))
        .unwrap();
        assert_eq!(p.soname.as_deref(), Some("libx.so.1"));
        assert!(p.nodelete);
        let args: Vec<OsString> = p.items.into_iter().flat_map(Item::into_args).collect();
        assert_eq!(
            args,
            os(&["a.c", "-Wl,-soname,libx.so.1", "-Wl,-z,now"]),
            "-z nodelete does not reach wasm-ld, which would warn"
        );
        let dir = std::env::temp_dir().join(format!("wasi-dl-meta-test-{}", std::process::id()));
        let path = meta_section(Some("libx.so.1"), true, &dir).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains(".custom_section.wasi_dl_meta") && text.contains("soname=libx.so.1"));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn quoting() {
        assert_eq!(quote(OsStr::new("-Wl,--export=x")), "-Wl,--export=x");
        assert_eq!(quote(OsStr::new("$ORIGIN")), "'$ORIGIN'");
        assert_eq!(quote(OsStr::new("it's")), r"'it'\''s'");
    }
}
