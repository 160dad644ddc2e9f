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
//!
//! This file holds the driver's public face (the [`Driver`], its constants and
//! [`ExportMode`]); its parts live next to it, one idea a file: `args.rs` reads the user's
//! arguments, `plan.rs` turns them into the compiler command, `exceptions.rs` picks the
//! exception flags, `needed.rs` writes the files for the libraries a build is linked against
//! (NEEDED, SONAME, RUNPATH), `invocation.rs` is the planned run and its after-link step, and
//! `own_exports.rs` rewrites the linked program (its own-exports section, its `dylink.0`).

mod args;
mod exceptions;
mod invocation;
mod needed;
mod own_exports;
mod plan;

use args::parse;

pub use invocation::Invocation;
pub use own_exports::OWN_SECTION;

use crate::detect::Toolchain;
use anyhow::{Context, Result};
use std::ffi::OsString;
use std::path::PathBuf;
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
}

fn verbose() -> bool {
    std::env::var_os("WASI_DL_VERBOSE").is_some_and(|v| !v.is_empty() && v != "0")
}
