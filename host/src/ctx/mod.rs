//! The per-program context and its builder: what the embedder decides (where libraries may
//! come from, limits, the compile cache) and what the loader keeps (loaded libraries, the
//! program's memory blocks and table slots, the last error).

mod backtrace;
mod events;
pub(crate) mod program_imports;

pub use crate::error::BuildError;
pub use events::{DlEvent, LibraryInfo};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::lookup::parked::Pool;
use crate::lookup::program::Program;
use crate::lookup::scope::Scope;
use crate::lookup::space::Space;
use crate::module::cache::ModuleCache;
use crate::module::source::{DirSource, MemorySource, ModuleSource, Sources};

/// Resource limits for one program. Exceeding one makes `dlopen` fail with a `dlerror()` that
/// names the limit; nothing already loaded is affected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Libraries loaded at the same time (dependencies included).
    pub max_libraries: usize,
    /// Bytes of linear memory all loaded libraries' data blocks may occupy together.
    pub max_data_bytes: u64,
    /// Function-table slots the loader may add to the program's table.
    pub max_table_slots: u32,
    /// Size of one side module file, in bytes. Checked from the file's metadata before
    /// anything is read, and bounds the compile cost together with `max_module_functions`.
    pub max_module_bytes: usize,
    /// Functions one side module may define, counted from its function section's header
    /// before it is compiled. Compiling costs time and host memory per function (about
    /// 0.2 ms and 12 KB for a tiny one), uninterruptible by epochs or fuel.
    pub max_module_functions: u32,
    /// Imports one side module may have, counted from its import section before it is
    /// compiled or linked. Linking costs host memory per import (a global, a name, a binding:
    /// a few hundred bytes each), at every load.
    pub max_module_imports: u32,
    /// Depth of a chain of NEEDED dependencies.
    pub max_dependency_depth: usize,
    /// Largest data or table alignment a side module may ask for, in bytes/slots (log2).
    pub max_align_log2: u32,
    /// Closed libraries kept for reuse. wasmtime frees instances only with their store, so
    /// without this every `dlopen` costs host memory until the program ends; a parked
    /// library holds its data block and table slots instead, until the same module is opened
    /// again or room is needed. 0 turns reuse off.
    pub max_parked_libraries: usize,
    /// Guest memory (data blocks) parked libraries may hold together, in bytes.
    pub max_parked_bytes: u64,
    /// How deep `dlopen`s may nest (a constructor that loads a library whose constructor
    /// loads another, ...). A load past it fails with a `dlerror()` that says so, while the
    /// level that asks still has room to report it.
    pub max_nested_opens: u32,
    /// Host stack, in bytes, nested loads may use below the outermost one in a sync store
    /// (where every level runs on one native stack; keep it below wasmtime's
    /// `max_wasm_stack`, whose rest is for the deepest level's constructors). An async store
    /// runs each level's guest code on a fiber of its own, bounded by wasmtime.
    pub nested_host_stack: usize,
    /// Bytes of the program's shadow stack a `dlopen` leaves for the constructors it runs (at
    /// most a quarter of the stack is kept).
    pub shadow_stack_reserve: u32,
}

impl Limits {
    /// `max_module_functions` and `max_module_imports` for a module with `counts` (from its
    /// section headers, or the compile cache's record of them): checked before a module is
    /// compiled or taken from the cache (not when it is only looked at, as by `RTLD_NOLOAD`).
    pub(crate) fn check_counts(
        &self,
        name: &str,
        counts: crate::module::dylink::ModuleCounts,
    ) -> crate::error::DlResult<()> {
        if counts.functions > self.max_module_functions {
            return Err(crate::DlError::Limit {
                name: name.to_string(),
                what: "function count",
                detail: format!(
                    "{} functions defined, at most {} allowed",
                    counts.functions, self.max_module_functions
                ),
            });
        }
        if counts.imports > self.max_module_imports {
            return Err(crate::DlError::Limit {
                name: name.to_string(),
                what: "import count",
                detail: format!(
                    "{} imports, at most {} allowed",
                    counts.imports, self.max_module_imports
                ),
            });
        }
        Ok(())
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_libraries: 4096,
            max_data_bytes: 1 << 30,
            max_table_slots: 1 << 20,
            // Even large real libraries are a few MiB of wasm; 64 MiB leaves a wide margin.
            max_module_bytes: 64 << 20,
            // Big real C and C++ libraries define thousands to some tens of thousands of
            // functions; 100,000 admits them while bounding what a hostile module can make
            // the host compile (100,000 tiny functions: ~18 s and ~1.2 GB in release).
            max_module_functions: 100_000,
            // Real libraries import up to some thousands of symbols (a GOT entry each);
            // 100,000 bounds a hostile module's link at some tens of MB of host memory.
            max_module_imports: 100_000,
            max_dependency_depth: 256,
            max_align_log2: 16,
            max_parked_libraries: 16,
            max_parked_bytes: 4 << 20,
            max_nested_opens: 64,
            // Half of wasmtime's default `max_wasm_stack` (512 KiB).
            nested_host_stack: 256 * 1024,
            shadow_stack_reserve: 64 * 1024,
        }
    }
}

/// What the embedder decided; shared, never changed after `build`.
pub(crate) struct Config {
    pub(crate) sources: Sources,
    pub(crate) limits: Limits,
    /// The embedder's cache; `None`: the engine's default one (see `loader::Glue`).
    pub(crate) cache: Option<ModuleCache>,
    pub(crate) program_name: String,
    /// The program's export names, when the embedder told us its module (for `dladdr`).
    pub(crate) program_exports: Option<Vec<String>>,
    /// The table slots of the program's `env` function imports, when the embedder gave its
    /// bytes (see `startup`).
    pub(crate) import_slots: rustc_hash::FxHashMap<Box<str>, u32>,
    /// The program's own exports (its `wasi_dl_own` section), when the embedder gave its bytes
    /// and `wasi-dl cc` linked it: `dlsym(RTLD_NEXT)` from a library skips them.
    pub(crate) program_own: Option<rustc_hash::FxHashSet<Box<str>>>,
    /// The embedder's hook for loads, unloads and failures.
    pub(crate) hook: Option<events::Hook>,
}

/// The wasi-dl state of one program (one store). Put it in your store data and hand
/// [`crate::add_to_linker`] a function that finds it.
pub struct WasiDlCtx {
    pub(crate) config: Arc<Config>,
    /// The calling program's exports, bound at its first `wasi_dl` call.
    pub(crate) program: Option<Program>,
    /// Where the program's module exports its memory, when the loader saw the module
    /// ([`crate::instantiate`], [`crate::preload`]): each call tells a second instance by its
    /// memory, found through this index without a lookup by name (see `Session::other_instance`).
    pub(crate) memory_export: Option<wasmtime::ModuleExport>,
    /// The export names of the program's module, when the loader saw it (as `memory_export`,
    /// or [`WasiDlCtxBuilder::program_module`]): names it does not export are answered
    /// without asking the instance.
    pub(crate) export_names: Option<crate::lookup::program::ExportNames>,
    /// The imports the program calls, when they were defined for it alone (the `instance` of
    /// their `loader::Glue`, see [`crate::instantiate`]): a call through them is the program's
    /// without asking the store.
    pub(crate) program_imports_of: Option<u64>,
    pub(crate) scope: Scope,
    pub(crate) space: Space,
    /// Closed libraries kept for reuse.
    pub(crate) parked: Pool,
    /// Imports from the program's linker as side modules get them (see `foreign`).
    pub(crate) foreign: rustc_hash::FxHashMap<(Box<str>, Box<str>), wasmtime::Extern>,
    pub(crate) last_error: Option<String>,
    /// Advanced at the start and at the end of every `open` and `close`: while it stays the
    /// same, an earlier `sym` answer still holds (the program may keep a copy, see `watch`).
    pub(crate) generation: u64,
    /// Where in the program's memory it keeps its copy of `generation`, once it asked.
    pub(crate) generation_at: Option<u32>,
    /// Whether a `dlclose` is running destructors (a nested one then only drops its reference).
    pub(crate) unloading: bool,
    /// Whether `fini` is running the destructors at exit (a nested `fini` is refused).
    pub(crate) finishing: bool,
    /// Calls through the loader's late-binding and `atexit` stubs in progress, counted in an
    /// async store only (see `loader::exec::MAX_NESTED_FORWARDS`).
    pub(crate) forwarding: std::sync::Arc<std::sync::atomic::AtomicU32>,
    /// The program's own RUNPATH (`-rpath` at its link), `$ORIGIN` expanded.
    pub(crate) program_runpath: Vec<String>,
    /// Stubs for functions the program imports from libraries it was linked against.
    pub(crate) program_imports: Option<program_imports::ProgramImports>,
    /// An exit or interruption raised while the loader ran guest code, raised again when the
    /// import returns.
    pub(crate) fatal: Option<wasmtime::Error>,
    /// The `Linker<T>` the program was instantiated with by [`crate::instantiate`]: side
    /// modules' host imports come from it (with definitions made after `add_to_linker`). Kept
    /// here, in the store, not in the linker's own closures (that would be a cycle).
    pub(crate) linker: Option<Arc<dyn std::any::Any + Send + Sync>>,
    /// How deep `dlopen`s nest right now (per store: an async store's loader may move between
    /// threads).
    pub(crate) nesting: Nesting,
}

/// How deep `dlopen`s nest in one store right now (see `Limits::max_nested_opens`).
#[derive(Default)]
pub(crate) struct Nesting {
    pub(crate) depth: u32,
    /// Host stack address of the outermost load (sync stores only).
    pub(crate) host_top: usize,
}

impl WasiDlCtx {
    /// Starts describing a context.
    pub fn builder() -> WasiDlCtxBuilder {
        WasiDlCtxBuilder::new()
    }

    /// How many libraries are loaded right now.
    pub fn loaded_libraries(&self) -> usize {
        self.scope.len()
    }

    /// How many closed libraries are kept for reuse right now (see
    /// [`Limits::max_parked_libraries`]).
    pub fn parked_libraries(&self) -> usize {
        self.parked.len()
    }

    /// The text `dlerror()` would return for the last failure, if any.
    pub fn last_error(&self) -> Option<&str> {
        self.last_error.as_deref()
    }
}

/// Builds a [`WasiDlCtx`]. By default a guest may load nothing: grant directories (or register
/// modules) explicitly.
pub struct WasiDlCtxBuilder {
    sources: Sources,
    limits: Limits,
    cache: Option<ModuleCache>,
    /// Canonical host paths of the granted directories, checked against the cache's.
    grants: Vec<PathBuf>,
    program_name: String,
    program_exports: Option<Vec<String>>,
    memory_export: Option<wasmtime::ModuleExport>,
    export_names: Option<crate::lookup::program::ExportNames>,
    import_slots: rustc_hash::FxHashMap<Box<str>, u32>,
    program_own: Option<rustc_hash::FxHashSet<Box<str>>>,
    hook: Option<events::Hook>,
}

impl Default for WasiDlCtxBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl WasiDlCtxBuilder {
    /// An empty description: no sources, default limits, the engine's default compile cache.
    pub fn new() -> Self {
        WasiDlCtxBuilder {
            sources: Sources::default(),
            limits: Limits::default(),
            cache: None,
            grants: Vec::new(),
            program_name: "main".to_string(),
            program_exports: None,
            memory_export: None,
            export_names: None,
            import_slots: Default::default(),
            program_own: None,
            hook: None,
        }
    }

    /// Lets the guest load libraries from a directory it can already see through a WASI
    /// preopen: pass the same host directory and guest path you gave
    /// `WasiCtxBuilder::preopened_dir`. Paths resolve with WASI's rules: no escape through `..`
    /// or symlinks.
    ///
    /// Refused with [`BuildError::CacheOverlapsGrant`] when the compile cache given to
    /// [`WasiDlCtxBuilder::cache`] keeps compiled code inside `host_dir`, or in a directory
    /// containing it.
    pub fn preopened_dir(
        mut self,
        host_dir: impl AsRef<Path>,
        guest_path: &str,
    ) -> Result<Self, BuildError> {
        let host_dir = host_dir.as_ref();
        let grant_error = |source| BuildError::Grant {
            dir: host_dir.to_path_buf(),
            source,
        };
        let source = DirSource::open(host_dir, guest_path).map_err(grant_error)?;
        let canonical = std::fs::canonicalize(host_dir).map_err(grant_error)?;
        if let Some(cache_dir) = self.cache.as_ref().and_then(ModuleCache::disk_dir) {
            crate::module::cache::check_overlap(cache_dir, &canonical)?;
        }
        self.sources.add_dir(source);
        self.grants.push(canonical);
        Ok(self)
    }

    /// Grants a directory for loading libraries only (the guest's file APIs don't see it),
    /// mounted at `guest_path` for library paths and the search path.
    pub fn library_dir(
        self,
        host_dir: impl AsRef<Path>,
        guest_path: &str,
    ) -> Result<Self, BuildError> {
        self.preopened_dir(host_dir, guest_path)
    }

    /// Adds a guest directory to the search path for names without a `/` (like
    /// `LD_LIBRARY_PATH`, searched after the requesting library's RUNTIME_PATH).
    pub fn search_path(mut self, guest_dir: &str) -> Self {
        self.sources.search_path.push(guest_dir.to_string());
        self
    }

    /// Also searches the directories of a guest-visible `LD_LIBRARY_PATH` value (pass the
    /// value you put in the guest's environment), before the embedder's search path.
    pub fn guest_library_path(mut self, value: &str) -> Self {
        // As in glibc, an empty entry (`a::b`, a leading or trailing `:`) is the current
        // directory: what `LD_LIBRARY_PATH=/x:$LD_LIBRARY_PATH` gives when it was unset.
        // An empty value is no path at all.
        self.sources.guest_library_path = value
            .split(':')
            .filter(|_| !value.is_empty())
            .map(|d| if d.is_empty() { "." } else { d })
            .map(str::to_string)
            .collect();
        self
    }

    /// Registers a library from memory, found by this exact name (`libfoo.so`), as if it were
    /// a file in the search path.
    pub fn module_bytes(mut self, name: &str, bytes: impl Into<Arc<[u8]>>) -> Self {
        self.sources
            .memory
            .get_or_insert_with(MemorySource::default)
            .insert(name, bytes.into());
        self
    }

    /// Adds a source of your own (consulted for names without a `/`, after the directories).
    pub fn source(mut self, source: impl ModuleSource + 'static) -> Self {
        self.sources.custom.push(Box::new(source));
        self
    }

    /// Sets the limits.
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Uses this compile cache (clone one [`ModuleCache`] into every store of an engine, or
    /// give it an on-disk directory). Without it, the engine's default in-memory cache is used:
    /// one per engine, shared by every linker and store of that engine, and dropped with the
    /// last of them (it never keeps an engine alive). A cache you give keeps the compiled
    /// code, and so the engines it compiled for, as long as you keep the cache.
    ///
    /// Refused with [`BuildError::CacheOverlapsGrant`] when the cache's disk directory lies
    /// inside, or contains, a directory granted with `preopened_dir`/`library_dir` (before or
    /// after this call): the guest could write compiled code the host would run.
    pub fn cache(mut self, cache: ModuleCache) -> Result<Self, BuildError> {
        if let Some(cache_dir) = cache.disk_dir() {
            for grant in &self.grants {
                crate::module::cache::check_overlap(cache_dir, grant)?;
            }
        }
        self.cache = Some(cache);
        Ok(self)
    }

    /// The name `dladdr` reports for addresses inside the main program.
    pub fn program_name(mut self, name: &str) -> Self {
        self.program_name = name.to_string();
        self
    }

    /// Tells the loader which module the program is, so that `dladdr` can name the
    /// program's own functions and data (a running instance cannot list its exports), and
    /// each call can tell the program from another instance by export index instead of by
    /// name (which [`crate::instantiate`] does by itself), and names the program does not
    /// export are answered without asking its instance.
    pub fn program_module(mut self, module: &wasmtime::Module) -> Self {
        self.program_exports = Some(module.exports().map(|e| e.name().to_string()).collect());
        self.memory_export = module.get_export_index("memory");
        self.export_names = crate::lookup::program::ExportNames::of(module);
        self
    }

    /// Gives the loader the program's bytes, for a program linked against side modules
    /// (`-lfoo` on its link line, see [`crate::instantiate`]): the loader reads which table
    /// slots hold its imported functions, so that a function pointer the program takes to one
    /// of them equals what `dlsym` and the libraries give. Without it calls still work, but
    /// such pointers differ. It also reads which exports are the program's own (the
    /// `wasi_dl_own` section `wasi-dl cc` writes), which `dlsym(RTLD_NEXT)` from a library
    /// does not find, as with glibc; without it that search ends with all of the program's
    /// exports.
    pub fn program_bytes(mut self, bytes: &[u8]) -> Self {
        self.import_slots = crate::module::import_slots::import_slots(bytes);
        self.program_own = crate::lookup::program::own_names(bytes);
        self
    }

    /// Calls `hook` on every library loaded and unloaded and on every failed call (see
    /// [`DlEvent`]), in the thread running the guest, while the loader is busy: keep it short,
    /// and do not call back into the store from it.
    pub fn on_event(mut self, hook: impl Fn(&DlEvent<'_>) + Send + Sync + 'static) -> Self {
        self.hook = Some(Arc::new(hook));
        self
    }

    /// Finishes the context.
    pub fn build(self) -> WasiDlCtx {
        let config = Config {
            sources: self.sources,
            limits: self.limits,
            cache: self.cache,
            program_name: self.program_name,
            program_exports: self.program_exports,
            import_slots: self.import_slots,
            program_own: self.program_own,
            hook: self.hook,
        };
        WasiDlCtx {
            config: Arc::new(config),
            program: None,
            scope: Scope::default(),
            space: Space::default(),
            parked: Pool::default(),
            foreign: Default::default(),
            last_error: None,
            generation: 0,
            generation_at: None,
            memory_export: self.memory_export,
            export_names: self.export_names,
            program_imports_of: None,
            unloading: false,
            finishing: false,
            forwarding: Default::default(),
            program_imports: None,
            program_runpath: Vec::new(),
            fatal: None,
            linker: None,
            nesting: Nesting::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_library_path_entries_are_the_current_directory() {
        let b = WasiDlCtxBuilder::new().guest_library_path("/lib::/usr/lib:");
        assert_eq!(
            b.sources.guest_library_path,
            vec!["/lib", ".", "/usr/lib", "."]
        );
        let b = WasiDlCtxBuilder::new().guest_library_path("");
        assert!(
            b.sources.guest_library_path.is_empty(),
            "unset or empty: no path"
        );
    }
}
