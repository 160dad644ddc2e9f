//! What the embedder can see of the loader from the host: the loaded libraries, and a hook
//! told of every load, unload and failure (the `WASI_DL_DEBUG` trace only goes to stderr).

use std::ops::Range;
use std::sync::Arc;

use crate::error::DlError;
use crate::lookup::scope::{LibState, Library};

/// One loaded library, as [`crate::WasiDlCtx::libraries`] lists it and [`DlEvent`] reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct LibraryInfo {
    /// The name it was first asked for (a `dlopen` argument or a NEEDED entry).
    pub name: String,
    /// Its guest path, when it came from a file.
    pub path: Option<String>,
    /// The handle `dlopen` returns for it.
    pub handle: u32,
    /// Its data block in the program's linear memory (byte addresses).
    pub data: Range<u32>,
    /// Its slots in the program's function table (its own table part; may be empty).
    pub table: Range<u32>,
    /// Single table slots given to its functions outside `table` (a function whose address
    /// is taken through the GOT gets one when it is first needed).
    pub function_slots: Vec<u32>,
    /// `dlopen` calls not yet matched by `dlclose`. A library only loaded as a dependency has
    /// none; it stays as long as a library that needs it does.
    pub references: u32,
    /// Whether it is in the global scope (`RTLD_GLOBAL`, or one of the program's own
    /// libraries).
    pub global: bool,
    /// Whether it can no longer be unloaded (`RTLD_NODELETE`, or pinned by a lookup).
    pub nodelete: bool,
}

impl LibraryInfo {
    pub(crate) fn of(lib: &Library) -> Self {
        LibraryInfo {
            name: lib.name.clone(),
            path: lib.path.clone(),
            handle: lib.handle,
            data: lib.mem_base..lib.mem_base.saturating_add(lib.mem_size),
            table: lib.table_base..lib.table_base.saturating_add(lib.table_size),
            function_slots: lib.extra_slots.clone(),
            references: lib.open_count,
            global: lib.global,
            nodelete: lib.nodelete,
        }
    }
}

/// Something the loader did, for the hook given to [`crate::WasiDlCtxBuilder::on_event`].
#[derive(Debug)]
#[non_exhaustive]
pub enum DlEvent<'a> {
    /// A library was loaded and its constructors ran (by a `dlopen`, as a dependency, or at
    /// start-up for a program linked against it). Once per library, dependencies first.
    Loaded(&'a LibraryInfo),
    /// A library was unloaded: its destructors ran, its memory and slots were given back (or
    /// kept with its instance for reuse). Libraries of a failed `dlopen` that never finished
    /// loading are not reported.
    Unloaded(&'a LibraryInfo),
    /// A `dlopen`, `dlsym`, `dlclose` or `dladdr` failed; `error` is what `dlerror()` says.
    Failed(&'a DlError),
}

/// The embedder's hook.
pub(crate) type Hook = Arc<dyn Fn(&DlEvent<'_>) + Send + Sync>;

impl crate::ctx::WasiDlCtx {
    /// The loaded libraries, in load order (dependencies before the libraries that needed
    /// them). Libraries still loading (inside a `dlopen` in progress) are not listed.
    pub fn libraries(&self) -> Vec<LibraryInfo> {
        self.scope
            .order()
            .iter()
            .filter_map(|&id| self.scope.get(id))
            .filter(|lib| lib.state != LibState::Loading)
            .map(LibraryInfo::of)
            .collect()
    }

    /// Tells the embedder's hook, if there is one.
    pub(crate) fn emit(&self, event: impl FnOnce(&dyn Fn(&DlEvent<'_>))) {
        if let Some(hook) = &self.config.hook {
            event(&**hook);
        }
    }

    /// Reports a library that just finished loading.
    pub(crate) fn emit_loaded(&self, lib: &Library) {
        self.emit(|hook| hook(&DlEvent::Loaded(&LibraryInfo::of(lib))));
    }

    /// Reports a library just removed from the scope, unless it never finished loading.
    pub(crate) fn emit_unloaded(&self, lib: &Library) {
        if lib.state != LibState::Loading {
            self.emit(|hook| hook(&DlEvent::Unloaded(&LibraryInfo::of(lib))));
        }
    }
}
