//! One error type for everything the guest can be told. Its `Display` is the
//! `dlerror()` text, so messages follow glibc's wording where glibc has one
//! (people grep for "cannot open shared object file" and "undefined symbol").

use std::path::PathBuf;

/// Why a `dlopen`, `dlsym`, `dlclose` or `dladdr` failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DlError {
    /// No allowed location holds a library of that name.
    #[error("{name}: cannot open shared object file: No such file or directory")]
    NotFound { name: String },

    /// A name without a `/`, and no directory to search it in: the guest's `LD_LIBRARY_PATH`,
    /// the RUNTIME_PATH and the embedder's search path
    /// ([`crate::WasiDlCtxBuilder::search_path`]) are all empty.
    #[error("{name}: cannot open shared object file: No such file or directory (no directory was searched: the library search path is empty; `wasi-dl run --lib-path DIR` grants and searches DIR)")]
    NotSearched { name: String },

    /// The path leaves the directories the embedder allows (a `..` or a symlink escape, an
    /// absolute path outside every preopen, ...).
    #[error("{name}: cannot open shared object file: Permission denied (outside the directories this program may load from)")]
    Denied { name: String },

    /// `$ORIGIN` in a `dlopen` file name, from a module that has no directory (it came from
    /// memory or an embedder's source).
    #[error("{name}: cannot expand $ORIGIN: the calling module has no file name")]
    NoOrigin { name: String },

    /// The name ends in `/` (or `/.`, `/..`), so it asks for a directory, but a file is there
    /// (the kernel's ENOTDIR, which glibc reports).
    #[error("{name}: cannot open shared object file: Not a directory")]
    NotDirectory { name: String },

    /// The name is a directory, not a file.
    #[error("{name}: cannot read file data: Is a directory")]
    IsDirectory { name: String },

    /// Reading the library's bytes failed.
    #[error("{name}: cannot read file data: {reason}")]
    Io { name: String, reason: String },

    /// The library was linked with `-z nodlopen` (ELF's DF_1_NOOPEN): only a program's start-up
    /// may load it, never a `dlopen` (neither by name nor as a dependency).
    #[error("{name}: shared object cannot be dlopen()ed")]
    NoDlopen { name: String },

    /// The file is not a usable side module.
    #[error("{name}: {source}")]
    NotSideModule { name: String, source: DylinkError },

    /// wasmtime refused to compile the module.
    #[error("{name}: invalid WebAssembly module: {reason}")]
    Compile { name: String, reason: String },

    /// The module uses a feature the loader does not support.
    #[error("{name}: unsupported side module: {reason}")]
    Unsupported { name: String, reason: String },

    /// A symbol the library needs is defined nowhere in its scope.
    #[error("{library}: undefined symbol: {symbol}")]
    UndefinedSymbol { library: String, symbol: String },

    /// An import exists in the scope but with another type, or from a module the loader does
    /// not provide.
    #[error("{library}: cannot link {import}: {reason}")]
    Link {
        library: String,
        import: String,
        reason: String,
    },

    /// A symbol looked up with `dlsym` is not in the searched scope.
    #[error("{scope}: undefined symbol: {symbol}")]
    NoSymbol { scope: String, symbol: String },

    /// A handle that never existed, or that was already closed.
    #[error("invalid handle {handle:#x}: {reason}")]
    BadHandle { handle: u32, reason: &'static str },

    /// A configured limit would be exceeded.
    #[error("{name}: {what} limit exceeded ({detail})")]
    Limit {
        name: String,
        what: &'static str,
        detail: String,
    },

    /// NEEDED libraries nest deeper than allowed.
    #[error("{name}: dependency chain deeper than {max} libraries")]
    TooDeep { name: String, max: usize },

    /// The guest's allocator could not give the library its data block.
    #[error("{name}: cannot allocate {size} bytes of data memory (the program's allocator returned NULL)")]
    OutOfMemory { name: String, size: u32 },

    /// Instantiation, relocation or a constructor trapped. The library was rolled back.
    #[error("{name}: {phase} failed: {reason}")]
    Init {
        name: String,
        phase: &'static str,
        reason: String,
    },

    /// The calling program does not follow the main-program contract (missing exports).
    #[error("the program cannot load libraries: {0}")]
    Program(String),

    /// A pointer, length or string from the guest was invalid.
    #[error("invalid argument from the program: {0}")]
    Fault(String),

    /// Unknown flag bits or another invalid argument.
    #[error("invalid argument: {0}")]
    Invalid(String),

    /// A `dlopen` mode with neither RTLD_LAZY nor RTLD_NOW (glibc's words).
    #[error("{}invalid mode for dlopen(): Invalid argument", if name.is_empty() { String::new() } else { format!("{name}: ") })]
    InvalidMode { name: String },

    /// `fini` (the libraries' destructors at exit) called again while it runs: from one of
    /// those destructors, or from the program's `__wasi_dl_finalize` itself. The destructors run
    /// once; a second round from inside the first would recurse through the host without end.
    #[error("the libraries' destructors are already running (fini called again from one of them); they run once")]
    FiniRunning,

    /// `dladdr` found nothing at that address.
    #[error("address {address:#x} is not inside any loaded module")]
    NoAddress { address: u32 },
}

pub(crate) type DlResult<T> = Result<T, DlError>;

/// Errors from guest code the loader must pass on rather than report as a failed call.
///
/// Fatal: the program's exit (`exit()` in a constructor), the embedder's interruptions (epoch
/// deadline, fuel), and any other error raised while guest code ran (it carries a wasm
/// backtrace): what an embedder raises to stop the guest (an `epoch_deadline_callback` or a
/// resource limiter returning `Err`, a failed async yield, a host function's error).
/// Not fatal, failing only the `dlopen` (or `dlclose`) that ran the code: the guest's own
/// faults (a wasm trap such as `unreachable`, an out-of-bounds access or a stack overflow, an
/// uncaught exception, and a [`GuestTrap`] of the loader's stubs), and errors wasmtime raises before any guest
/// code runs (an instantiation's link errors, the store's instance limit).
pub(crate) fn is_fatal(err: &wasmtime::Error) -> bool {
    if err.downcast_ref::<wasmtime_wasi::I32Exit>().is_some() {
        return true;
    }
    match err.downcast_ref::<wasmtime::Trap>() {
        Some(trap) => matches!(trap, wasmtime::Trap::Interrupt | wasmtime::Trap::OutOfFuel),
        None => {
            err.downcast_ref::<GuestTrap>().is_none()
                // An exception no handler caught (a constructor's C++ throw or longjmp).
                && err.downcast_ref::<wasmtime::ThrownException>().is_none()
                && err.downcast_ref::<wasmtime::WasmBacktrace>().is_some()
        }
    }
}

/// A trap raised by the loader's own stubs on the guest's behalf (a call to a symbol no
/// library defines): like a wasm trap, it fails only the load whose code made the call.
#[derive(Debug)]
pub(crate) struct GuestTrap(pub(crate) String);

impl std::fmt::Display for GuestTrap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for GuestTrap {}

/// Shortens a wasmtime error chain to one line for a guest-visible message.
/// A trap's wasm backtrace (one line per frame, thousands for a stack overflow) is replaced by
/// the function the trap happened in.
pub(crate) fn one_line(err: &wasmtime::Error) -> String {
    let backtrace = err.downcast_ref::<wasmtime::WasmBacktrace>();
    let backtrace_text = backtrace.map(|bt| bt.to_string());
    let mut text = String::new();
    for cause in err.chain() {
        let cause = cause.to_string();
        if backtrace_text.as_ref() == Some(&cause) {
            continue;
        }
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(&cause);
    }
    if let Some(frame) = backtrace.and_then(|bt| bt.frames().first()) {
        match frame.func_name() {
            Some(name) => text.push_str(&format!(" (in function {} `{name}`)", frame.func_index())),
            None => text.push_str(&format!(" (in function {})", frame.func_index())),
        }
    }
    text.replace('\n', " ")
}

/// Why some bytes are not a usable side module. `Display` is user-facing (it reaches `dlerror`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DylinkError {
    /// The file does not start with the wasm magic number.
    #[error("not a WebAssembly module (bad magic number)")]
    NotWasm,
    /// Wasm magic, but a binary version other than 1.
    #[error("unsupported WebAssembly binary version {0:#x} (expected 1)")]
    UnsupportedVersion(u32),
    /// A component, not a core module.
    #[error(
        "not a side module: this is a WebAssembly component, not a core module (build it with \
         --target=wasm32-wasi -fPIC -shared)"
    )]
    Component,
    /// A valid module without `dylink.0`.
    #[error("not a side module: no dylink.0 section (build it with -fPIC -shared)")]
    NoDylinkSection,
    /// A file whose first section is not `dylink.0`, refused from its first bytes (see
    /// [`crate::dylink::check_start`]) before the rest is read: either a module without `dylink.0` or one
    /// where it comes later. The text names the first section.
    #[error("not a side module: no dylink.0 section at the start of the file (the first section is {0}; build it with -fPIC -shared)")]
    FirstSectionNotDylink(String),
    /// `dylink.0` exists but another section precedes it.
    #[error("malformed side module: the dylink.0 section is not the first section of the module")]
    DylinkNotFirst,
    /// The pre-LLVM-12 `dylink` section.
    #[error("old-style dylink section (rebuild with LLVM 12 or later)")]
    OldDylinkSection,
    /// Truncated or inconsistent data; the text says what and at which byte offset.
    #[error("malformed side module: {0}")]
    Malformed(String),
    /// A RUNTIME_PATH longer than a search may probe (see
    /// [`crate::dylink::MAX_RUNTIME_PATH`]).
    #[error("unsupported side module: its RUNTIME_PATH lists {count} directories, more than the {max} a search may probe")]
    TooManyRuntimePaths { count: usize, max: usize },
}

/// Why a [`crate::WasiDlCtxBuilder`] refused a setting.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// A directory to grant cannot be opened or resolved.
    #[error("cannot grant {}: {source}", dir.display())]
    Grant {
        dir: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The compile cache's disk directory lies inside a directory granted to the guest, or
    /// contains one (canonical paths are compared): the guest could plant compiled code there
    /// that the host would run. Use another cache directory, or no disk cache.
    #[error(
        "the compile cache directory {} {} {}, a directory granted to the guest: a guest could plant compiled code there (use a cache directory outside every granted directory, or no disk cache)",
        cache.display(),
        if cache.starts_with(grant) { "lies inside" } else { "contains" },
        grant.display()
    )]
    CacheOverlapsGrant { cache: PathBuf, grant: PathBuf },
}

impl From<BuildError> for std::io::Error {
    fn from(e: BuildError) -> Self {
        match &e {
            BuildError::Grant { source, .. } => std::io::Error::new(source.kind(), e),
            BuildError::CacheOverlapsGrant { .. } => {
                std::io::Error::new(std::io::ErrorKind::PermissionDenied, e)
            }
        }
    }
}
