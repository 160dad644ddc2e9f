//! The loaded libraries, their symbols, and the order symbols are looked up in.
//!
//! glibc's rules, which C programs rely on:
//! - a library's undefined symbols resolve in the *global scope* (the program, then
//!   `RTLD_GLOBAL` libraries), then in the *local scope* (itself and its dependencies, breadth
//!   first) of the `dlopen` root that brought it in, and of every later root that needs it;
//! - `dlsym(handle)` searches the handle's local scope; `dlsym(RTLD_DEFAULT)` the global scope
//!   and then the caller's lookup scopes; `dlsym(RTLD_NEXT)` the objects after the caller in
//!   its root's scope.
//!
//! Everything here is plain data; looking into the main program is the loader's job (it needs
//! the store), so scopes hand back [`ScopeEntry::Program`] where the program comes in order.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use rustc_hash::FxHashMap;

use wasmtime::{Func, Global, Instance};

use crate::error::{DlError, DlResult};
use crate::lookup::exports::ExportTable;
use crate::lookup::parked::{DirectImport, Parked};
use crate::lookup::space::FuncKey;
use crate::lookup::unique;
use crate::module::cache::CompiledLibrary;

/// Index of a library in the scope's table; reused after unload (handles are not).
pub(crate) type LibId = usize;

/// The handle `dlopen(NULL)` returns.
pub(crate) const PROGRAM_HANDLE: u32 = 1;
/// `RTLD_DEFAULT` and `RTLD_NEXT` as the guest passes them.
pub(crate) const HANDLE_DEFAULT: u32 = 0;
pub(crate) const HANDLE_NEXT: u32 = u32::MAX;
const FIRST_LIBRARY_HANDLE: u32 = 0x10;

/// Symbols by name. Keyed by the name's bytes, so that `dlsym` looks up a guest's name without
/// validating it as UTF-8 first (an invalid name matches nothing, and the slow path reports it).
pub(crate) type SymbolTable = FxHashMap<Box<[u8]>, Symbol>;

/// A defined symbol.
#[derive(Clone, Copy)]
pub(crate) enum Symbol {
    /// A function, and its table slot once it has one.
    Func {
        func: Func,
        key: FuncKey,
        slot: Option<u32>,
    },
    /// The absolute address of a data object.
    Data { addr: u32 },
    /// A library's function not yet needed as a `Func`, in one of the library's own added
    /// slots (`module::selfbind`): that slot is its address. Whatever could give it another
    /// address (the program's slot, at start-up) makes it a `Func` first (`loader::link::
    /// materialise`), so a library's hundreds of exports cost nothing until one is used.
    Own { slot: u32 },
    /// A library's exported function not yet needed, without an own slot: made a `Func` from
    /// the instance's export `at` (its position in the module's export list; `main` is found
    /// under clang's name for it) when first needed.
    Export { at: u32 },
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum LibState {
    /// Instantiated (or being instantiated) as part of a `dlopen` still in progress.
    Loading,
    Ready,
    /// Destructors are running; the library is about to go.
    Closing,
}

pub(crate) struct Library {
    /// The name it was first asked for (a NEEDED entry or the `dlopen` argument).
    pub(crate) name: String,
    /// Its guest path, when it came from a file.
    pub(crate) path: Option<String>,
    pub(crate) key: String,
    pub(crate) handle: u32,
    pub(crate) compiled: Arc<CompiledLibrary>,
    pub(crate) instance: Option<Instance>,
    pub(crate) mem_base: u32,
    pub(crate) mem_size: u32,
    pub(crate) table_base: u32,
    pub(crate) table_size: u32,
    /// Single slots given to this library's functions outside its own table range.
    pub(crate) extra_slots: Vec<u32>,
    pub(crate) exports: ExportTable,
    /// Its GOT entries, bound after every new library of its `dlopen` is instantiated.
    pub(crate) got: Vec<GotEntry>,
    /// Late-binding stubs for calls into libraries of its group instantiated after it: their
    /// targets are set once the whole group is instantiated.
    /// The flag: whether the library's code uses the import (see [`PendingStub`]).
    pub(crate) pending_stubs: Vec<PendingStub>,
    /// Its direct function imports as bound, to tell whether a parked instance still fits.
    pub(crate) direct: Vec<DirectImport>,
    /// Whether its instance may be parked when it unloads (see `reuse`).
    pub(crate) reusable: bool,
    /// A parked instance of the same module, taken for this load (until linking decides).
    pub(crate) parked: Option<Box<Parked>>,
    /// Direct dependencies (NEEDED), resolved.
    pub(crate) deps: Vec<LibId>,
    /// For a library opened by `dlopen` itself: its search list in constructor sort order
    /// (glibc's `l_initfini` of a `dlopen`ed object; a dependency's is itself and its NEEDED
    /// list). Empty until then.
    pub(crate) initfini: Vec<LibId>,
    /// Whether it has a local scope of its own, as glibc's `l_searchlist`: it was opened by
    /// `dlopen` by name, or a `dlclose` removed a scope it was looked up in (see
    /// [`Scope::remove`]). A `dlopen` by name of such a library only adds a reference.
    pub(crate) own_scope: bool,
    /// Who brought it in: the library whose NEEDED entry first loaded it, the program (one
    /// of the program's own NEEDED libraries, or theirs), or a `dlopen` (glibc's `l_loader`
    /// chain, which `RTLD_NEXT` follows to its root).
    pub(crate) loaded_by: LoadedBy,
    /// Libraries outside its local scope that it took a symbol from (glibc's "reldeps"):
    /// they stay loaded as long as it does.
    pub(crate) bound: Vec<LibId>,
    /// Its local scope: itself, then its dependencies breadth first.
    pub(crate) search_list: Vec<LibId>,
    /// The `dlopen` roots whose local scopes its own undefined symbols are looked up in, after
    /// the global scope (glibc's `l_scope`): the root that brought it in, then every later
    /// `dlopen` root whose dependencies include it (so its lazy references see more). Empty
    /// for the program's own libraries, which use the global scope (and their own).
    pub(crate) scopes: Vec<LibId>,
    /// RUNTIME_PATH with `$ORIGIN` expanded.
    pub(crate) runtime_path: Vec<String>,
    /// `dlopen` calls not yet matched by `dlclose`.
    pub(crate) open_count: u32,
    pub(crate) global: bool,
    pub(crate) nodelete: bool,
    pub(crate) state: LibState,
    /// Increases with every load: RTLD_NEXT and the global scope follow it.
    pub(crate) load_seq: u64,
    /// Increases as constructors run (dependencies first); destructors run in reverse.
    pub(crate) init_seq: u64,
}

impl Library {
    /// The slots its compile-time rewrite added (`module::selfbind`), the last of its table
    /// slots: they hold its own functions from instantiation on, before anyone asks.
    pub(crate) fn own_slot_range(&self) -> std::ops::Range<u32> {
        let end = self.table_base.saturating_add(self.table_size);
        let added = self.compiled.info.own_slots.len() as u32;
        end.saturating_sub(added)..end
    }

    /// A library about to be linked: registered, not yet instantiated or referenced.
    pub(crate) fn new(
        name: &str,
        path: Option<String>,
        key: String,
        compiled: Arc<CompiledLibrary>,
        (mem_base, mem_size): (u32, u32),
        (table_base, table_size): (u32, u32),
    ) -> Library {
        Library {
            name: name.to_string(),
            path,
            key,
            handle: 0,
            compiled,
            instance: None,
            mem_base,
            mem_size,
            table_base,
            table_size,
            extra_slots: Vec::new(),
            exports: ExportTable::default(),
            got: Vec::new(),
            pending_stubs: Vec::new(),
            direct: Vec::new(),
            reusable: false,
            parked: None,
            deps: Vec::new(),
            initfini: Vec::new(),
            own_scope: false,
            loaded_by: LoadedBy::Dlopen,
            bound: Vec::new(),
            search_list: Vec::new(),
            scopes: Vec::new(),
            runtime_path: Vec::new(),
            open_count: 0,
            global: false,
            nodelete: false,
            state: LibState::Loading,
            load_seq: 0,
            init_seq: 0,
        }
    }

    pub(crate) fn mem_end(&self) -> u32 {
        self.mem_base.saturating_add(self.mem_size.max(1))
    }

    /// The name `dladdr` reports.
    pub(crate) fn display_name(&self) -> &str {
        self.path.as_deref().unwrap_or(&self.name)
    }
}

/// Where a late-binding stub's target goes once known.
pub(crate) type PendingTarget = Arc<std::sync::OnceLock<Func>>;

/// A late-binding stub waiting for its group: the symbol, its type, where its target goes,
/// and whether the library's code calls it (only then is the provider a dependency: wasm-ld
/// also imports a library's own weak definitions that nothing calls).
pub(crate) type PendingStub = (Box<str>, wasmtime::FuncType, PendingTarget, bool);

/// A `GOT.mem` or `GOT.func` import: the global the library reads the symbol's address or
/// slot from.
pub(crate) struct GotEntry {
    /// None for an entry bound at compile time (`own`): the library's own global, set through
    /// its setter function.
    pub(crate) global: Option<Global>,
    /// The import it is (module order): its name is the library's `info.import_name(import)`.
    /// For an entry bound at compile time (`own`), its index instead
    /// (`info.self_got_name(import)`, the setter's argument).
    pub(crate) import: u32,
    /// `GOT.func` (a table slot) rather than `GOT.mem` (an address).
    pub(crate) func: bool,
    pub(crate) weak: bool,
    /// A `GOT.func` entry for the library's own function, bound at compile time: the slot its
    /// global holds from instantiation (`module::selfbind`).
    pub(crate) own: Option<u32>,
    /// Its global holds another slot (the symbol was interposed when last bound).
    pub(crate) moved: bool,
}

/// What brought a library in (see [`Library::loaded_by`]).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum LoadedBy {
    /// The root of a `dlopen`.
    Dlopen,
    /// The program's start-up code (a library the program was linked against).
    Program,
    /// A NEEDED entry of this library.
    Lib(LibId),
}

/// Where a symbol search goes next.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum ScopeEntry {
    Program,
    Lib(LibId),
}

#[derive(Default)]
pub(crate) struct Scope {
    libs: Vec<Option<Library>>,
    free_ids: Vec<LibId>,
    by_handle: FxHashMap<u32, LibId>,
    by_key: HashMap<String, LibId>,
    /// Names a library answers to (as requested, and its file name), like a soname.
    by_name: HashMap<String, LibId>,
    /// Data blocks: base -> library, for address lookups.
    blocks: BTreeMap<u32, LibId>,
    /// Loaded libraries in load order.
    order: Vec<LibId>,
    /// The `RTLD_GLOBAL` libraries in the order they joined the global scope (glibc appends a
    /// promoted library's search list at the end, whenever it was loaded).
    global_order: Vec<LibId>,
    /// Unique C++ objects (see [`crate::lookup::unique`]): the library whose definition every
    /// reference binds to, entered by the first binding.
    unique: FxHashMap<Box<[u8]>, LibId>,
    next_handle: Option<u32>,
    next_seq: u64,
    next_init_seq: u64,
}

impl Scope {
    pub(crate) fn len(&self) -> usize {
        self.order.len()
    }

    pub(crate) fn get(&self, id: LibId) -> Option<&Library> {
        self.libs.get(id).and_then(Option::as_ref)
    }

    pub(crate) fn get_mut(&mut self, id: LibId) -> Option<&mut Library> {
        self.libs.get_mut(id).and_then(Option::as_mut)
    }

    /// A library known to exist (ids in scopes always refer to loaded libraries).
    pub(crate) fn lib(&self, id: LibId) -> DlResult<&Library> {
        self.get(id)
            .ok_or_else(|| DlError::Program(format!("internal: library #{id} is gone")))
    }

    pub(crate) fn lib_mut(&mut self, id: LibId) -> DlResult<&mut Library> {
        self.get_mut(id)
            .ok_or_else(|| DlError::Program(format!("internal: library #{id} is gone")))
    }

    /// Loaded libraries in load order.
    /// Marks a library as constructed now (destructors run in the reverse of this order).
    pub(crate) fn mark_initialized(&mut self, id: LibId) {
        self.next_init_seq += 1;
        let seq = self.next_init_seq;
        if let Some(lib) = self.get_mut(id) {
            lib.init_seq = seq;
        }
    }

    /// Whether `id` came in with the program's start-up load (glibc: not `lt_loaded`), which
    /// is never undone.
    fn loaded_at_startup(&self, id: LibId) -> bool {
        let mut at = id;
        // Bounded: a chain visits each library at most once.
        for _ in 0..=self.libs.len() {
            match self.get(at).map(|l| l.loaded_by) {
                Some(LoadedBy::Lib(up)) => at = up,
                Some(LoadedBy::Program) => return true,
                _ => return false,
            }
        }
        false
    }

    /// Records that `user` took a symbol from `provider`; outside `user`'s own dependencies
    /// this keeps `provider` loaded while `user` is. As in glibc, a provider that can never be
    /// unloaded (NODELETE, or loaded with the program) gets no such dependency: nothing to
    /// keep, and exit order stays. A
    /// user loaded with the program, which is never unloaded, makes the provider NODELETE
    /// instead (glibc's `add_dependency`).
    pub(crate) fn note_binding(&mut self, user: LibId, provider: LibId) {
        // glibc records nothing for a provider that is never unloaded (NODELETE, or loaded
        // with the program).
        if self.get(provider).is_some_and(|p| p.nodelete) || self.loaded_at_startup(provider) {
            return;
        }
        let pinned_user = self.loaded_at_startup(user);
        let Some(lib) = self.get_mut(user) else {
            return;
        };
        // glibc's `add_dependency`: unless the provider is already among the user's own
        // dependencies (its `l_initfini`).
        let known = if lib.initfini.is_empty() {
            lib.deps.contains(&provider)
        } else {
            lib.initfini.contains(&provider)
        };
        if user == provider || known || lib.bound.contains(&provider) {
            return;
        }
        if pinned_user {
            if let Some(p) = self.get_mut(provider) {
                p.nodelete = true;
            }
        } else {
            lib.bound.push(provider);
        }
    }

    /// glibc's rule for a symbol `dlsym(RTLD_DEFAULT)` finds in a loaded library: the caller
    /// now depends on that library. Asked by the program, it can never be unloaded; asked by
    /// a library, it stays loaded while that one does, as a binding dependency (also for a
    /// NODELETE library: glibc's `add_dependency` tests the provider where its comment speaks
    /// of the user, so such a caller records the dependency, which orders exit too).
    pub(crate) fn note_default_lookup(&mut self, caller: Option<LibId>, provider: LibId) {
        match caller.filter(|&id| self.get(id).is_some()) {
            Some(caller) => self.note_binding(caller, provider),
            None => {
                if let Some(lib) = self.get_mut(provider) {
                    lib.nodelete = true;
                }
            }
        }
    }

    /// The order glibc's `_dl_fini` finalizes loaded libraries in at exit: [`Self::sort_maps`]
    /// of every loaded library in load order.
    pub(crate) fn fini_order(&self) -> Vec<LibId> {
        let live: Vec<LibId> = self
            .order
            .iter()
            .copied()
            // As glibc, also a library whose constructors started (exit() inside one of
            // them) or whose destructors were running (exit() inside one of those).
            .filter(|&id| {
                self.get(id).is_some_and(|l| match l.state {
                    LibState::Ready | LibState::Closing => true,
                    LibState::Loading => l.init_seq != 0,
                })
            })
            .collect();
        self.sort_maps(&live, true)
    }

    /// glibc's `_dl_sort_maps` (its default "dfs" algorithm): `maps` (in load order, or a
    /// root's breadth-first search list) ordered so that a library comes before the ones it
    /// depends on. A depth-first walk starts from each library, last first, follows NEEDED
    /// edges in order (and, `for_fini`, symbol bindings, newest first), and places a library
    /// in front once everything it reaches is placed. When bindings took part, a second walk
    /// over that result with NEEDED edges only gives the answer, so that NEEDED edges win in a
    /// cycle. Constructors run in the reverse of this order; destructors in it.
    pub(crate) fn sort_maps(&self, maps: &[LibId], for_fini: bool) -> Vec<LibId> {
        let (first, saw_bindings) = self.dfs_pass(maps, for_fini, None);
        if !saw_bindings {
            return first;
        }
        self.dfs_pass(&first, false, None).0
    }

    /// The constructor sort of a `dlopen` of `root` ([`Self::sort_maps`] of its search list,
    /// `for_fini` false), the root kept first. glibc sorts before it replaces the root's
    /// dependency list: a new root has none yet, so the walk does not follow its edges; one
    /// loaded before as a dependency (`reopened`) still has its NEEDED list, which the walk
    /// follows.
    pub(crate) fn sort_for_init(&self, root: LibId, reopened: bool) -> Vec<LibId> {
        let no_edges = (!reopened).then_some(root);
        let (mut order, _) = self.dfs_pass(&self.breadth_first(root), false, no_edges);
        order.retain(|&id| id != root);
        order.insert(0, root);
        order
    }

    /// One depth-first pass of [`Self::sort_maps`]: the order, and whether a binding edge
    /// was seen. Iterative (load chains can be long); edges leading out of `maps` are ignored.
    fn dfs_pass(
        &self,
        maps: &[LibId],
        with_bindings: bool,
        no_edges: Option<LibId>,
    ) -> (Vec<LibId>, bool) {
        let size = maps.iter().max().map_or(0, |&m| m + 1);
        let mut member = vec![false; size];
        for &m in maps {
            member[m] = true;
        }
        let mut visited = vec![false; size];
        let mut saw_bindings = false;
        // Post-order of the walk; reversed at the end (glibc fills its array from the back).
        let mut placed = Vec::with_capacity(maps.len());
        let edges = |id: LibId, saw: &mut bool| -> Vec<LibId> {
            let Some(lib) = self.get(id).filter(|_| Some(id) != no_edges) else {
                return Vec::new();
            };
            let mut out = if lib.initfini.is_empty() {
                lib.deps.clone()
            } else {
                lib.initfini.clone()
            };
            if with_bindings && !lib.bound.is_empty() {
                *saw = true;
                out.extend(lib.bound.iter().rev());
            }
            out
        };
        for &start in maps.iter().rev() {
            if visited[start] {
                continue;
            }
            visited[start] = true;
            let mut stack = vec![(start, edges(start, &mut saw_bindings), 0usize)];
            while let Some((id, next, at)) = stack.last_mut() {
                match next.get(*at).copied() {
                    Some(dep) => {
                        *at += 1;
                        if dep < size && member[dep] && !visited[dep] {
                            visited[dep] = true;
                            let e = edges(dep, &mut saw_bindings);
                            stack.push((dep, e, 0));
                        }
                    }
                    None => {
                        placed.push(*id);
                        stack.pop();
                    }
                }
            }
        }
        placed.reverse();
        (placed, saw_bindings)
    }

    pub(crate) fn order(&self) -> &[LibId] {
        &self.order
    }

    pub(crate) fn find_by_name(&self, name: &str) -> Option<LibId> {
        self.by_name.get(name).copied()
    }

    pub(crate) fn find_by_key(&self, key: &str) -> Option<LibId> {
        self.by_key.get(key).copied()
    }

    pub(crate) fn add_name(&mut self, name: &str, id: LibId) {
        self.by_name.entry(name.to_string()).or_insert(id);
    }

    /// The library a handle from the guest refers to.
    /// The library a handle names, if it is loaded (no error to build: the `dlsym` fast path).
    pub(crate) fn id_of_handle(&self, handle: u32) -> Option<LibId> {
        self.by_handle.get(&handle).copied()
    }

    pub(crate) fn by_handle(&self, handle: u32) -> DlResult<LibId> {
        if let Some(&id) = self.by_handle.get(&handle) {
            return Ok(id);
        }
        let issued = self.next_handle.unwrap_or(FIRST_LIBRARY_HANDLE);
        let reason = if (FIRST_LIBRARY_HANDLE..issued).contains(&handle) {
            "the library was already closed"
        } else {
            "not a handle returned by dlopen"
        };
        Err(DlError::BadHandle { handle, reason })
    }

    /// Registers a new library (not yet in any scope's order until [`Scope::publish`]).
    pub(crate) fn insert(&mut self, mut lib: Library) -> DlResult<LibId> {
        let handle = self.next_handle.unwrap_or(FIRST_LIBRARY_HANDLE);
        if handle >= HANDLE_NEXT - 1 {
            return Err(DlError::Limit {
                name: lib.name.clone(),
                what: "handle",
                detail: "this program has used up its 2^32 library handles".into(),
            });
        }
        self.next_handle = Some(handle + 1);
        lib.handle = handle;
        lib.load_seq = self.next_seq;
        self.next_seq += 1;
        let id = match self.free_ids.pop() {
            Some(id) => id,
            None => {
                self.libs.push(None);
                self.libs.len() - 1
            }
        };
        self.by_handle.insert(handle, id);
        self.by_key.insert(lib.key.clone(), id);
        // The name it was asked for only: glibc does not answer to a library's bare file name
        // when it was opened by a path (a later name that leads to the same file finds it by
        // identity).
        self.add_name(&lib.name.clone(), id);
        self.blocks.insert(lib.mem_base, id);
        self.order.push(id);
        self.libs[id] = Some(lib);
        Ok(id)
    }

    /// Removes a library from every index. Its handle is never issued again.
    pub(crate) fn remove(&mut self, id: LibId) -> Option<Library> {
        let lib = self.libs.get_mut(id)?.take()?;
        self.by_handle.remove(&lib.handle);
        self.by_key.remove(&lib.key);
        self.by_name.retain(|_, v| *v != id);
        // A SONAME it held passes to the next library loaded with the same one: glibc compares
        // a name with every loaded library's SONAME, in load order.
        if let Some(soname) = &lib.compiled.info.soname {
            let heir = self.order.iter().copied().find(|&o| {
                o != id
                    && self
                        .get(o)
                        .is_some_and(|l| l.compiled.info.soname.as_ref() == Some(soname))
            });
            if let Some(heir) = heir {
                self.add_name(soname, heir);
            }
        }
        if self.blocks.get(&lib.mem_base) == Some(&id) {
            self.blocks.remove(&lib.mem_base);
        }
        self.order.retain(|&o| o != id);
        self.global_order.retain(|&o| o != id);
        // Only a failed dlopen removes a definer (it is NODELETE once entered).
        self.unique.retain(|_, definer| *definer != id);
        self.free_ids.push(id);
        // Its id will be reused: whoever it brought in now counts as its own root, and its
        // local scope leaves every library's lookup scope (as glibc's dlclose removes it).
        // glibc's `_dl_close` gives a library that was looked up in that scope and has no
        // local scope of its own one now: itself and its direct NEEDED libraries (not their
        // dependencies), in place of the removed scope. It is then also what `dlsym` on a
        // later handle of it searches.
        // A dlopen that failed never made its scope visible in glibc (scopes are updated
        // once nothing can fail): removing it changes no other library's own scope.
        let was_loaded = lib.state != LibState::Loading;
        let inherited = lib.loaded_by;
        for (other_id, slot) in self.libs.iter_mut().enumerate() {
            let Some(other) = slot else { continue };
            if other.loaded_by == LoadedBy::Lib(id) {
                other.loaded_by = inherited;
            }
            if let Some(at) = other.scopes.iter().position(|&r| r == id) {
                if other.own_scope || !was_loaded {
                    other.scopes.remove(at);
                } else {
                    other.own_scope = true;
                    other.search_list = std::iter::once(other_id)
                        .chain(other.deps.iter().copied().filter(|&d| d != other_id))
                        .collect();
                    other.search_list.dedup();
                    other.scopes[at] = other_id;
                }
            }
            other.initfini.retain(|&r| r != id);
        }
        Some(lib)
    }

    /// glibc's binding of a unique C++ object: a data definition `found` by the scope rules
    /// gives way to the one entered first, wherever that is; with none entered yet, a
    /// library's definition is entered and its library becomes NODELETE, as glibc's
    /// `do_lookup_unique` makes it (the program's needs neither: it comes first everywhere).
    pub(crate) fn bind_unique(
        &mut self,
        name: &[u8],
        found: (ScopeEntry, Symbol),
    ) -> (ScopeEntry, Symbol) {
        if !matches!(found.1, Symbol::Data { .. }) || !unique::is_unique_object(name) {
            return found;
        }
        if let Some(entered) = self.entered_unique(name) {
            return entered;
        }
        if let ScopeEntry::Lib(definer) = found.0 {
            if let Some(lib) = self.get_mut(definer) {
                lib.nodelete = true;
                self.unique.insert(name.into(), definer);
            }
        }
        found
    }

    /// `dlsym`'s view of the same rule: the entered definition of a unique object, if any,
    /// instead of `found`. Enters nothing.
    pub(crate) fn unique_or(
        &self,
        name: &[u8],
        found: (ScopeEntry, Symbol),
    ) -> (ScopeEntry, Symbol) {
        match found.1 {
            Symbol::Data { .. } if unique::is_unique_object(name) => {
                self.entered_unique(name).unwrap_or(found)
            }
            _ => found,
        }
    }

    fn entered_unique(&self, name: &[u8]) -> Option<(ScopeEntry, Symbol)> {
        let &definer = self.unique.get(name)?;
        let sym = *self.get(definer)?.exports.get(name)?;
        Some((ScopeEntry::Lib(definer), sym))
    }

    /// The library whose data block contains `addr`.
    pub(crate) fn lib_at(&self, addr: u32) -> Option<LibId> {
        let (_, &id) = self.blocks.range(..=addr).next_back()?;
        let lib = self.get(id)?;
        (addr >= lib.mem_base && addr < lib.mem_end()).then_some(id)
    }

    /// Computes a library's local scope: itself, then its dependencies breadth first.
    pub(crate) fn breadth_first(&self, root: LibId) -> Vec<LibId> {
        let mut list = vec![root];
        let mut i = 0;
        while i < list.len() {
            if let Some(lib) = self.get(list[i]) {
                for &dep in &lib.deps {
                    if !list.contains(&dep) {
                        list.push(dep);
                    }
                }
            }
            i += 1;
        }
        list
    }

    /// A `dlopen` of `root` (new, or already loaded): every library of its local scope looks
    /// up its undefined symbols in that scope too, after those it had (glibc's `dl_open_worker`
    /// extends the `l_scope` of objects loaded before; for a library opened before as a root,
    /// which every member already has, nothing changes).
    pub(crate) fn add_root_scope(&mut self, root: LibId) {
        for member in self.breadth_first(root) {
            if let Some(lib) = self.get_mut(member) {
                if !lib.scopes.contains(&root) {
                    lib.scopes.push(root);
                }
            }
        }
    }

    /// The libraries after the global scope in `lib`'s lookup order: the local scopes of its
    /// roots (see [`Library::scopes`]) in order, or its own when it has none. May repeat one.
    pub(crate) fn local_scopes_of(&self, lib: LibId) -> impl Iterator<Item = LibId> + '_ {
        let (roots, own): (&[LibId], &[LibId]) = match self.get(lib) {
            Some(l) if !l.scopes.is_empty() => (&l.scopes, &[]),
            Some(l) => (&[], &l.search_list),
            None => (&[], &[]),
        };
        roots
            .iter()
            .filter_map(|&r| self.get(r))
            .flat_map(|r| r.search_list.iter().copied())
            .chain(own.iter().copied())
    }

    /// Where an undefined symbol of `lib` is looked for: the global scope, then the local
    /// scopes of its roots.
    pub(crate) fn lookup_order_for(&self, lib: LibId) -> Vec<ScopeEntry> {
        let mut order = self.global_scope();
        for id in self.local_scopes_of(lib) {
            let entry = ScopeEntry::Lib(id);
            if !order.contains(&entry) {
                order.push(entry);
            }
        }
        order
    }

    /// The program, then every `RTLD_GLOBAL` library in the order it became global.
    pub(crate) fn global_scope(&self) -> Vec<ScopeEntry> {
        let mut order = vec![ScopeEntry::Program];
        order.extend(self.global_order.iter().map(|&id| ScopeEntry::Lib(id)));
        order
    }

    /// The `RTLD_GLOBAL` libraries, in global scope order.
    pub(crate) fn globals(&self) -> &[LibId] {
        &self.global_order
    }

    /// Puts a library at the end of the global scope, unless it is in it already.
    pub(crate) fn make_global(&mut self, id: LibId) {
        if let Some(lib) = self.get_mut(id) {
            if !lib.global {
                lib.global = true;
                self.global_order.push(id);
            }
        }
    }

    /// `RTLD_NEXT` from `caller`, as glibc does it: the objects after the caller in the lookup
    /// scope of its root, found by following who loaded whom (glibc's `l_loader`): for a
    /// library a `dlopen` brought in, that `dlopen`'s root's local scope (itself, then its
    /// dependencies breadth first); for the program and the libraries it was linked against,
    /// the global scope. For a library the program comes last, because that is where libc
    /// lives in a wasm program (glibc finds libc.so among the library's dependencies); `dlsym`
    /// searches it there only for names that are not the program's own.
    pub(crate) fn next_after(&self, caller: Option<LibId>) -> Vec<ScopeEntry> {
        let Some(id) = caller.filter(|&id| self.get(id).is_some()) else {
            return self.global_scope().into_iter().skip(1).collect();
        };
        let mut root = id;
        let mut from_program = false;
        // Bounded: a chain visits each library at most once.
        for _ in 0..self.libs.len() {
            match self.get(root).map(|l| l.loaded_by) {
                Some(LoadedBy::Lib(up)) if self.get(up).is_some() => root = up,
                Some(LoadedBy::Program) => {
                    from_program = true;
                    break;
                }
                _ => break,
            }
        }
        let list: Vec<ScopeEntry> = if from_program {
            self.global_scope()
        } else {
            self.get(root)
                .map(|l| l.search_list.iter().map(|&l| ScopeEntry::Lib(l)).collect())
                .unwrap_or_default()
        };
        let mut order: Vec<ScopeEntry> = match list.iter().position(|&e| e == ScopeEntry::Lib(id)) {
            Some(at) => list[at + 1..].to_vec(),
            // Not in its root's scope (cannot happen while the chain is intact): its own.
            None => self
                .get(id)
                .map(|l| {
                    l.search_list
                        .iter()
                        .skip(1)
                        .map(|&l| ScopeEntry::Lib(l))
                        .collect()
                })
                .unwrap_or_default(),
        };
        order.retain(|&e| e != ScopeEntry::Program);
        order.push(ScopeEntry::Program);
        order
    }

    /// The libraries outside `ids` that need one of `ids`, directly or through others (NEEDED
    /// edges and symbol bindings).
    pub(crate) fn dependents_of(&self, ids: &[LibId]) -> Vec<LibId> {
        let mut doomed: Vec<LibId> = ids.to_vec();
        let mut found = Vec::new();
        loop {
            let more: Vec<LibId> = self
                .order
                .iter()
                .copied()
                .filter(|id| !doomed.contains(id))
                .filter(|&id| {
                    self.get(id)
                        .is_some_and(|l| l.deps.iter().chain(&l.bound).any(|d| doomed.contains(d)))
                })
                .collect();
            if more.is_empty() {
                return found;
            }
            doomed.extend(&more);
            found.extend(more);
        }
    }

    /// Libraries still needed: reachable from a library opened and not closed (or NODELETE)
    /// through NEEDED edges and symbol bindings. Cycles are handled by reachability rather than counting.
    pub(crate) fn unreachable(&self) -> Vec<LibId> {
        let mut live = vec![false; self.libs.len()];
        let mut stack: Vec<LibId> = self
            .order
            .iter()
            .copied()
            .filter(|&id| {
                self.get(id)
                    .is_some_and(|l| l.open_count > 0 || l.nodelete || l.state == LibState::Loading)
            })
            .collect();
        while let Some(id) = stack.pop() {
            if std::mem::replace(&mut live[id], true) {
                continue;
            }
            if let Some(lib) = self.get(id) {
                stack.extend(
                    lib.deps
                        .iter()
                        .chain(&lib.bound)
                        .copied()
                        .filter(|&d| !live[d]),
                );
            }
        }
        self.order.iter().copied().filter(|&id| !live[id]).collect()
    }
}

#[cfg(test)]
mod tests;
