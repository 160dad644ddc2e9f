//! `dlopen`, `dlsym`, `dlclose` and `dladdr`.
//!
//! Opening one library (and the dependencies it brings) happens in phases, all or nothing:
//! 1. **map**: find and fetch each new library, compile it (cached), reserve its data block
//!    (from the program's allocator, zero-filled) and table slots, depth first through NEEDED;
//! 2. **link**: in dependency order, build each library's imports from the scope and
//!    instantiate it (its start function applies global relocations);
//! 3. **bind**: fill every `GOT.mem`/`GOT.func` entry, now that all new libraries' symbols
//!    are known (this is what makes dependency cycles work);
//! 4. **construct**: `__wasm_apply_data_relocs`, then `__wasm_call_ctors`, dependencies first.
//!
//! A failure in any phase rolls the whole group back: blocks go back to the allocator, slots
//! are cleared and reused later, scopes are as before. Closing runs the destructors the
//! library registered (via the program's `__wasi_dl_finalize`) and then releases the same way.
//!
//! The context lives inside the store's data, so state and store are borrowed in turn, never
//! both across a call into wasm: the guest may call back into the loader at any of those
//! points (a constructor that calls `dlopen`), and finds the state consistent.

use std::sync::{Arc, OnceLock};

use wasmtime::{
    Caller, Extern, ExternType, Func, FuncType, Global, GlobalType, Instance, Mutability, Ref, Val,
    ValType,
};

use crate::ctx::WasiDlCtx;
use crate::error::{one_line, DlError, DlResult};
use crate::foreign;
use crate::program::{self, Program};
use crate::reuse::Parked;
use crate::scope::{
    GotEntry, LibId, LibState, Library, LoadedBy, ScopeEntry, Symbol, HANDLE_DEFAULT, HANDLE_NEXT,
    PROGRAM_HANDLE,
};
use crate::source::{expand_runtime_path, Requester};
use crate::trace;
use crate::witx::types::{OpenFlags, SymbolKind};
use crate::witx::Glue;

/// One import call: the caller (its store and exports) and the glue shared by all calls.
pub(crate) struct Session<'c, 'a, T: 'static> {
    pub(crate) caller: &'c mut Caller<'a, T>,
    pub(crate) glue: &'c Arc<Glue<T>>,
}

impl<T: 'static> Session<'_, '_, T> {
    pub(crate) fn cx(&mut self) -> &mut WasiDlCtx {
        (self.glue.get_cx)(self.caller.data_mut())
    }

    /// The program's contract exports, bound on first use.
    pub(crate) fn program(&mut self) -> DlResult<&mut Program> {
        if self.cx().program.is_none() {
            let program = Program::bind(self.caller)?;
            // Functions the program already put in its table keep their slot: a pointer the
            // program holds must equal what `dlsym` returns for the same function.
            let table = program.table;
            let size = table.size(&mut *self.caller);
            let mut found = Vec::new();
            for i in 0..size {
                if let Some(Ref::Func(Some(f))) = table.get(&mut *self.caller, i) {
                    found.push((f.to_raw(&mut *self.caller) as usize, i as u32));
                }
            }
            let cx = self.cx();
            for (key, slot) in found {
                cx.space.record(key, slot);
            }
            cx.program = Some(program);
        }
        self.cx()
            .program
            .as_mut()
            .ok_or_else(|| DlError::Program("internal: no program".into()))
    }
}

/// Describes a failure of guest code the loader ran (the allocator, a start function, a
/// constructor or destructor). The program exiting there, or the embedder interrupting it, is
/// not a failed `dlopen`: the error is kept and raised again when the import returns.
fn guest_failure<T: 'static>(s: &mut Session<'_, '_, T>, err: wasmtime::Error) -> String {
    let text = one_line(&err);
    if crate::error::is_fatal(&err) {
        s.cx().fatal.get_or_insert(err);
    }
    text
}

/// Names that belong to the linker's plumbing, never resolved as symbols between modules.
/// wasi-libc's setjmp/longjmp helpers and libunwind's landing-pad context share the `__wasm_`
/// prefix but are ordinary symbols that the code clang generates for exceptions uses in every
/// module.
fn is_plumbing(name: &str) -> bool {
    (name.starts_with("__wasm_")
        && !matches!(
            name,
            "__wasm_setjmp" | "__wasm_setjmp_test" | "__wasm_longjmp" | "__wasm_lpad_context"
        ))
        || matches!(
            name,
            "memory"
                | "__indirect_function_table"
                | "__stack_pointer"
                | "__memory_base"
                | "__table_base"
                | "__heap_base"
                | "__data_end"
                | "__global_base"
                | "__dso_handle"
                | "__tls_base"
                | "__tls_size"
                | "__tls_align"
                | "_start"
        )
}

// ---------------------------------------------------------------------------------------------
// dlopen

pub(crate) fn open<T: 'static>(
    s: &mut Session<'_, '_, T>,
    name: &str,
    flags: OpenFlags,
    caller_addr: u32,
) -> DlResult<u32> {
    s.program()?;
    if name.is_empty() {
        return Ok(PROGRAM_HANDLE);
    }
    let expanded = expand_origin(s.cx(), name, caller_addr)?;
    let name = expanded.as_deref().unwrap_or(name);
    let global = flags.contains(OpenFlags::GLOBAL);
    let nodelete = flags.contains(OpenFlags::NODELETE);
    let lazy = !flags.contains(OpenFlags::NOW);

    if let Some(id) = s.cx().scope.find_by_name(name) {
        return reopen(s, id, global, nodelete);
    }
    let requester = s.cx().scope.lib_at(caller_addr);
    if flags.contains(OpenFlags::NOLOAD) {
        return open_loaded(s, name, requester, global, nodelete);
    }
    // A trap in guest code (a start function, a constructor) leaves the shadow stack pointer
    // where the trapping frames had moved it: put it back if this dlopen fails.
    let stack_pointer = s.program()?.stack_pointer;
    let stack_at_entry = stack_pointer.get(&mut *s.caller);
    let _nested = Nesting::enter(s, name, &stack_at_entry)?;
    let mut group = Group::default();
    let result = map_tree(s, name, requester, &mut group)
        .and_then(|root| {
            s.cx().scope.add_root_scope(root);
            // RTLD_NODELETE counts from relocation on (glibc's `l_nodelete_pending`): binding
            // to the root then makes no dependency. A failed dlopen removes the root anyway.
            if nodelete {
                s.cx().scope.lib_mut(root)?.nodelete = true;
            }
            let initfini = s.cx().scope.sort_for_init(root);
            s.cx().scope.lib_mut(root)?.initfini = initfini;
            let roots: &[LibId] = if global { &[root] } else { &[] };
            link_group(s, &mut group, lazy, roots).map(|()| root)
        })
        .and_then(|root| {
            // glibc's order (`Scope::sort_for_init`), constructors from the back; only the
            // libraries this dlopen loaded run theirs.
            let mut order = s.cx().scope.lib(root)?.initfini.clone();
            order.reverse();
            order.retain(|id| group.registered.contains(id));
            construct_group(s, &order).map(|()| root)
        });
    match result {
        Ok(root) => {
            let cx = s.cx();
            for &id in &group.post_order {
                if let Some(lib) = cx.scope.get_mut(id) {
                    lib.state = LibState::Ready;
                }
            }
            add_reference(cx, root, global, nodelete)
        }
        Err(err) => {
            undo_failed_open(s, &mut group, stack_at_entry);
            Err(err)
        }
    }
}

/// How deep `dlopen`s nest: a constructor that loads a library whose constructor loads
/// another, and so on. Each level costs the host's native stack (which wasmtime's
/// `max_wasm_stack`, 512 KiB by default, bounds together with the wasm frames) and the
/// program's shadow stack. Left to run out, either one traps at an arbitrary point of the
/// deepest level, possibly inside the guest library while it holds a lock or inside the
/// allocator, and every level above then fails in turn. So a nested load is refused, with
/// a `dlerror()` that says why, while the level that asks still has room to report it.
pub(crate) const MAX_NESTED_OPENS: u32 = 64;
/// The host stack nested loads may use below the outermost one (half of wasmtime's default
/// `max_wasm_stack`; the rest is for the constructors of the deepest level).
pub(crate) const NESTED_HOST_STACK: usize = 256 * 1024;
/// The program's shadow stack a `dlopen` leaves for the constructors it runs: 64 KiB, or a
/// quarter of a smaller stack.
pub(crate) const SHADOW_STACK_RESERVE: u32 = 64 * 1024;

thread_local! {
    /// (depth, host stack address of the outermost load). Loads nest only within one
    /// synchronous host call, so one thread's count is one store's.
    static NESTING: std::cell::Cell<(u32, usize)> = const { std::cell::Cell::new((0, 0)) };
}

/// One level of nested loading, left when dropped (on every path out of the load).
struct Nesting;

impl Nesting {
    fn enter<T: 'static>(
        s: &mut Session<'_, '_, T>,
        name: &str,
        stack_at_entry: &Val,
    ) -> DlResult<Nesting> {
        let here = std::hint::black_box(0u8);
        let host_sp = std::ptr::addr_of!(here) as usize;
        let (depth, top) = NESTING.with(|n| n.get());
        let top = if depth == 0 { host_sp } else { top };
        let refuse = |detail: String| DlError::Limit {
            name: name.to_string(),
            what: "nested dlopen",
            detail,
        };
        if depth >= MAX_NESTED_OPENS {
            return Err(refuse(format!(
                "a constructor's dlopen {depth} levels deep; at most {MAX_NESTED_OPENS} nest"
            )));
        }
        let used = top.saturating_sub(host_sp);
        if depth > 0 && used > NESTED_HOST_STACK {
            return Err(refuse(format!(
                "a constructor's dlopen {depth} levels deep has used {} KiB of the host's stack, at most {} KiB allowed",
                used / 1024,
                NESTED_HOST_STACK / 1024
            )));
        }
        // With the stack first in memory (`wasi-dl cc` links so), it runs from address 0
        // up to the data at `__global_base`: what is left is the stack pointer itself.
        let data_start = s.program()?.data_start;
        let sp = stack_at_entry.i32().map(|v| v as u32);
        if let Some(sp) = sp.filter(|&sp| sp <= data_start && data_start > 0) {
            let reserve = SHADOW_STACK_RESERVE.min(data_start / 4);
            if sp < reserve {
                return Err(refuse(format!(
                    "the program's stack has {sp} of {data_start} bytes left, {reserve} are \
                     kept for constructors"
                )));
            }
        }
        NESTING.with(|n| n.set((depth + 1, top)));
        Ok(Nesting)
    }
}

impl Drop for Nesting {
    fn drop(&mut self) {
        NESTING.with(|n| {
            let (depth, top) = n.get();
            n.set((depth.saturating_sub(1), top));
        });
    }
}

/// `$ORIGIN` / `${ORIGIN}` in a `dlopen` file name, as glibc expands it: the directory of the
/// calling module (a library's file, or the program's). `None`: nothing to expand.
fn expand_origin(cx: &WasiDlCtx, name: &str, caller_addr: u32) -> DlResult<Option<String>> {
    if !name.contains("$ORIGIN") && !name.contains("${ORIGIN}") {
        return Ok(None);
    }
    let caller_path = match cx.scope.lib_at(caller_addr) {
        Some(id) => cx.scope.lib(id)?.path.clone(),
        // As for the program's RUNPATH: its name as run (a bare name is in ".").
        None => Some(cx.config.program_name.clone()),
    };
    let expanded = crate::source::expand_runtime_path(&[name.to_string()], caller_path.as_deref());
    match expanded.into_iter().next() {
        Some(path) => Ok(Some(path)),
        None => Err(DlError::NoOrigin {
            name: name.to_string(),
        }),
    }
}

/// The libraries a program was linked against (its NEEDED list), at start-up: loaded as one
/// group the way glibc's loader does, all named libraries first and then their dependencies,
/// in the global scope for good; constructed dependencies first and otherwise last-named
/// first (the reverse of `Scope::fini_order`).
pub(crate) fn open_needed<T: 'static>(s: &mut Session<'_, '_, T>, names: &[&str]) -> DlResult<()> {
    s.program()?;
    let stack_pointer = s.program()?.stack_pointer;
    let stack_at_entry = stack_pointer.get(&mut *s.caller);
    let _nested = Nesting::enter(
        s,
        names.first().copied().unwrap_or_default(),
        &stack_at_entry,
    )?;
    let mut group = Group::default();
    let mut roots = Vec::new();
    let result = load_needed_group(s, names, &mut group, &mut roots);
    match result {
        Ok(()) => {
            let cx = s.cx();
            for &id in &group.post_order {
                if let Some(lib) = cx.scope.get_mut(id) {
                    lib.state = LibState::Ready;
                }
            }
            // The program's search list: breadth first over all its libraries at once.
            for &id in &group.registered {
                cx.scope.make_global(id);
            }
            for root in roots {
                add_reference(cx, root, true, true)?;
            }
            Ok(())
        }
        Err(err) => {
            undo_failed_open(s, &mut group, stack_at_entry);
            // Guest code that traps here (a start function, relocations, a constructor) kills
            // the process natively before main runs: the trap ends the program, rather than a
            // load error the start-up code would report with status 127.
            if let DlError::Init { .. } = err {
                s.cx().fatal.get_or_insert_with(|| {
                    wasmtime::Error::msg(format!("error while loading shared libraries: {err}"))
                });
            }
            Err(err)
        }
    }
}

fn load_needed_group<T: 'static>(
    s: &mut Session<'_, '_, T>,
    names: &[&str],
    group: &mut Group,
    roots: &mut Vec<LibId>,
) -> DlResult<()> {
    let mut below = Vec::new();
    for name in names {
        let (root, needed) = map_one(s, name, None, 0, group)?;
        if needed.is_some() {
            s.cx().scope.lib_mut(root)?.loaded_by = LoadedBy::Program;
        }
        roots.push(root);
        below.push((root, needed));
    }
    map_below(s, below, group)?;
    link_group(s, group, true, &roots.clone())?;
    crate::startup::check_program_got(s)?;
    crate::startup::apply_program_data_relocs(s)?;
    // The program's search list: its libraries, then theirs, breadth first (load order).
    let mut order = s.cx().scope.sort_maps(&group.registered, false);
    order.reverse();
    construct_group(s, &order)
}

/// RTLD_NOLOAD of a name not opened before: the library if the name leads to a file that is
/// loaded under another name (glibc compares files, not names); else NULL with nothing for
/// dlerror to report, unless there is no such file at all (then glibc reports that).
fn open_loaded<T: 'static>(
    s: &mut Session<'_, '_, T>,
    name: &str,
    requester: Option<LibId>,
    global: bool,
    nodelete: bool,
) -> DlResult<u32> {
    let (fetched, _) = fetch(s, name, requester)?;
    match s.cx().scope.find_by_key(&fetched.key) {
        Some(id) => {
            s.cx().scope.add_name(name, id);
            reopen(s, id, global, nodelete)
        }
        None => Ok(HANDLE_DEFAULT),
    }
}

/// Finds and reads `name` for `requester` (a library, whose RUNTIME_PATH is searched, or the
/// program, whose RUNPATH is); with the file's identity when it was read from a directory.
fn fetch<T: 'static>(
    s: &mut Session<'_, '_, T>,
    name: &str,
    requester: Option<LibId>,
) -> DlResult<(crate::source::Fetched, Option<crate::source::FileIdentity>)> {
    let config = s.cx().config.clone();
    let runtime_path = match requester {
        Some(id) => s.cx().scope.lib(id)?.runtime_path.clone(),
        None => s.cx().program_runpath.clone(),
    };
    config.sources.fetch_file(
        name,
        &Requester {
            runtime_path: &runtime_path,
        },
        config.limits.max_module_bytes,
    )
}

/// `dlopen` of a library that is already loaded: one more reference, maybe promoted.
fn reopen<T: 'static>(
    s: &mut Session<'_, '_, T>,
    id: LibId,
    global: bool,
    nodelete: bool,
) -> DlResult<u32> {
    let cx = s.cx();
    let lib = cx.scope.lib(id)?;
    if lib.state == LibState::Closing {
        return Err(DlError::Init {
            name: lib.name.clone(),
            phase: "dlopen",
            reason: "the library is being unloaded (dlopen from one of its destructors)".into(),
        });
    }
    cx.scope.add_root_scope(id);
    // Opened by name for the first time (it was only a dependency): glibc gives it a sorted
    // dependency list now.
    if cx.scope.lib(id)?.initfini.is_empty() {
        let initfini = cx.scope.sort_for_init(id);
        cx.scope.lib_mut(id)?.initfini = initfini;
    }
    add_reference(cx, id, global, nodelete)
}

/// One more `dlopen` reference to `id`; RTLD_GLOBAL puts it and its dependencies in the global
/// scope, RTLD_NODELETE pins it. Returns its handle.
fn add_reference(cx: &mut WasiDlCtx, id: LibId, global: bool, nodelete: bool) -> DlResult<u32> {
    let list = if global {
        cx.scope.breadth_first(id)
    } else {
        Vec::new()
    };
    let lib = cx.scope.lib_mut(id)?;
    lib.open_count += 1;
    lib.nodelete |= nodelete;
    let handle = lib.handle;
    for id in list {
        cx.scope.make_global(id);
    }
    Ok(handle)
}

/// The libraries one `dlopen` adds, in the order they must be linked and constructed.
#[derive(Default)]
struct Group {
    /// Every library registered so far (for roll-back), in registration order.
    registered: Vec<LibId>,
    /// Dependencies before dependents.
    post_order: Vec<LibId>,
    /// Program imports this `dlopen` pointed at its libraries (see `startup`).
    bound_imports: Vec<crate::startup::Bound>,
}

/// Phase 1: find, fetch, compile and reserve `name` and its dependencies.
fn map_tree<T: 'static>(
    s: &mut Session<'_, '_, T>,
    name: &str,
    requester: Option<LibId>,
    group: &mut Group,
) -> DlResult<LibId> {
    let (root, needed) = map_one(s, name, requester, 0, group)?;
    map_below(s, vec![(root, needed)], group)?;
    Ok(root)
}

/// The dependencies of `roots` (just mapped, each with its NEEDED names), breadth first as
/// glibc's `_dl_map_object_deps` loads them: every NEEDED entry of one library before those of
/// the libraries it brought in. That is the load order (exit order and the global scope follow
/// it). Then the group's post-order (dependencies before dependents), for instantiation.
fn map_below<T: 'static>(
    s: &mut Session<'_, '_, T>,
    roots: Vec<(LibId, Option<Vec<String>>)>,
    group: &mut Group,
) -> DlResult<()> {
    // Libraries whose NEEDED names are still to map, with their depth.
    let mut queue: std::collections::VecDeque<(LibId, Vec<String>, usize)> = roots
        .into_iter()
        .filter_map(|(id, needed)| Some((id, needed?, 0)))
        .collect();
    while let Some((id, needed, depth)) = queue.pop_front() {
        for dep_name in needed {
            let (dep, dep_needed) = map_one(s, &dep_name, Some(id), depth + 1, group)?;
            if dep_needed.is_some() {
                s.cx().scope.lib_mut(dep)?.loaded_by = LoadedBy::Lib(id);
            }
            let lib = s.cx().scope.lib_mut(id)?;
            if !lib.deps.contains(&dep) {
                lib.deps.push(dep);
            }
            if let Some(dep_needed) = dep_needed {
                queue.push_back((dep, dep_needed, depth + 1));
            }
        }
    }
    group.post_order = post_order(&s.cx().scope, &group.registered);
    Ok(())
}

/// `ids` with every library after the ones it needs (a cycle in NEEDED order), for
/// instantiation: then most imports find their definitions directly.
fn post_order(scope: &crate::scope::Scope, ids: &[LibId]) -> Vec<LibId> {
    let mut out: Vec<LibId> = Vec::with_capacity(ids.len());
    let mut seen: Vec<LibId> = Vec::with_capacity(ids.len());
    for &start in ids {
        if seen.contains(&start) {
            continue;
        }
        seen.push(start);
        let deps_of = |id: LibId| scope.get(id).map(|l| l.deps.clone()).unwrap_or_default();
        let mut stack = vec![(start, deps_of(start), 0usize)];
        while let Some((id, deps, at)) = stack.last_mut() {
            match deps.get(*at).copied() {
                Some(dep) => {
                    *at += 1;
                    if ids.contains(&dep) && !seen.contains(&dep) {
                        seen.push(dep);
                        stack.push((dep, deps_of(dep), 0));
                    }
                }
                None => {
                    out.push(*id);
                    stack.pop();
                }
            }
        }
    }
    out
}

/// Finds, fetches, compiles and reserves one library: a new one comes with its NEEDED names,
/// one already loaded (or registered by this `dlopen`) without.
fn map_one<T: 'static>(
    s: &mut Session<'_, '_, T>,
    name: &str,
    requester: Option<LibId>,
    depth: usize,
    group: &mut Group,
) -> DlResult<(LibId, Option<Vec<String>>)> {
    let config = s.cx().config.clone();
    let limits = config.limits;
    if depth > limits.max_dependency_depth {
        return Err(DlError::TooDeep {
            name: name.to_string(),
            max: limits.max_dependency_depth,
        });
    }
    if let Some(id) = s.cx().scope.find_by_name(name) {
        return Ok((id, None));
    }
    let (fetched, identity) = fetch(s, name, requester)?;
    if let Some(id) = s.cx().scope.find_by_key(&fetched.key) {
        s.cx().scope.add_name(name, id);
        return Ok((id, None));
    }
    if s.cx().scope.len() >= limits.max_libraries {
        return Err(DlError::Limit {
            name: name.to_string(),
            what: "library count",
            detail: format!(
                "{} libraries are loaded, at most {} allowed",
                s.cx().scope.len(),
                limits.max_libraries
            ),
        });
    }
    let engine = s.caller.engine().clone();
    limits.check_functions(name, &fetched.bytes)?;
    let compiled = config
        .cache
        .get_or_compile(&engine, name, &fetched.bytes, identity.as_ref())?;
    let mem = compiled.info.mem;
    if mem.memory_align_log2 > limits.max_align_log2 || mem.table_align_log2 > limits.max_align_log2
    {
        return Err(DlError::Limit {
            name: name.to_string(),
            what: "alignment",
            detail: format!(
                "asks for 2^{} byte / 2^{} slot alignment, at most 2^{} allowed",
                mem.memory_align_log2, mem.table_align_log2, limits.max_align_log2
            ),
        });
    }
    // A parked instance of the same module comes with its block and slots.
    let parked = s.cx().parked.take(&compiled);
    let (mem_base, mem_size, table_base) = match &parked {
        Some(p) => (p.mem_base, p.mem_size, p.table_base),
        None => {
            let (mem_base, mem_size) =
                reserve_memory(s, name, mem.memory_size, mem.memory_align_log2)?;
            match reserve_slots(s, name, mem.table_size, 1 << mem.table_align_log2) {
                Ok(table_base) => (mem_base, mem_size, table_base),
                Err(e) => {
                    release_memory(s, mem_base, mem_size);
                    return Err(e);
                }
            }
        }
    };
    let needed = compiled.info.needed.clone();
    let mut lib = Library::new(
        name,
        fetched.path.clone(),
        fetched.key.clone(),
        compiled.clone(),
        (mem_base, mem_size),
        (table_base, mem.table_size),
    );
    lib.runtime_path = expand_runtime_path(&compiled.info.runtime_paths, fetched.path.as_deref());
    lib.parked = parked.map(Box::new);
    let id = match s.cx().scope.insert(lib) {
        Ok(id) => id,
        Err(e) => {
            // (The library, parked instance included, was dropped by `insert`.)
            release_memory(s, mem_base, mem_size);
            release_slots(s, table_base, mem.table_size);
            return Err(e);
        }
    };
    group.registered.push(id);
    // A loaded library also answers to its SONAME; `-z nodelete` pins it from the start.
    if let Some(soname) = &compiled.info.soname {
        s.cx().scope.add_name(soname, id);
    }
    if compiled.info.nodelete {
        s.cx().scope.lib_mut(id)?.nodelete = true;
    }
    {
        let cx = s.cx();
        let handle = cx.scope.lib(id)?.handle;
        trace::load(name, handle, mem_base, mem_size, table_base, mem.table_size);
    }
    Ok((id, Some(needed)))
}

/// A zero-filled block of `size` bytes from the program's allocator. When memory runs short,
/// parked libraries give theirs back first.
fn reserve_memory<T: 'static>(
    s: &mut Session<'_, '_, T>,
    name: &str,
    size: u32,
    align_log2: u32,
) -> DlResult<(u32, u32)> {
    match try_reserve_memory(s, name, size, align_log2) {
        Err(DlError::Limit { .. } | DlError::OutOfMemory { .. }) if !s.cx().parked.is_empty() => {
            release_all_parked(s);
            try_reserve_memory(s, name, size, align_log2)
        }
        result => result,
    }
}

fn try_reserve_memory<T: 'static>(
    s: &mut Session<'_, '_, T>,
    name: &str,
    size: u32,
    align_log2: u32,
) -> DlResult<(u32, u32)> {
    let limits = s.cx().config.limits;
    // Every library gets at least one byte, so that each has an address range of its own
    // (its `__dso_handle` lives there).
    let size = size.max(1);
    let used = s.cx().space.data_bytes;
    if used + u64::from(size) > limits.max_data_bytes {
        return Err(DlError::Limit {
            name: name.to_string(),
            what: "data memory",
            detail: format!(
                "needs {size} bytes, {used} of {} in use by other libraries",
                limits.max_data_bytes
            ),
        });
    }
    let program = s.program()?;
    let (alloc, memory) = (program.alloc.clone(), program.memory);
    let align = 1u32 << align_log2.min(31);
    let base = alloc
        .call(&mut *s.caller, (size, align))
        .map_err(|e| DlError::Init {
            name: name.to_string(),
            phase: "allocating data",
            reason: guest_failure(s, e),
        })?;
    if base == 0 {
        return Err(DlError::OutOfMemory {
            name: name.to_string(),
            size,
        });
    }
    let data = memory.data_mut(&mut *s.caller);
    let end = base as usize + size as usize;
    if end > data.len() || base % align != 0 {
        return Err(DlError::Program(format!(
            "its allocator returned an unusable block {base:#x}+{size} (align {align}) for {name}"
        )));
    }
    data[base as usize..end].fill(0);
    s.cx().space.data_bytes += u64::from(size);
    Ok((base, size))
}

fn release_memory<T: 'static>(s: &mut Session<'_, '_, T>, base: u32, size: u32) {
    let Some(free) = s.cx().program.as_ref().map(|p| p.free.clone()) else {
        return;
    };
    s.cx().space.data_bytes -= u64::from(size.max(1)).min(s.cx().space.data_bytes);
    // A trapping free() leaves the block leaked, not the loader broken.
    let _ = free.call(&mut *s.caller, base);
}

/// `len` table slots (aligned), reusing freed ones before growing the table. When the table
/// limit is reached, parked libraries give theirs back first.
fn reserve_slots<T: 'static>(
    s: &mut Session<'_, '_, T>,
    name: &str,
    len: u32,
    align: u32,
) -> DlResult<u32> {
    match try_reserve_slots(s, name, len, align) {
        Err(DlError::Limit { .. }) if !s.cx().parked.is_empty() => {
            release_all_parked(s);
            try_reserve_slots(s, name, len, align)
        }
        result => result,
    }
}

fn try_reserve_slots<T: 'static>(
    s: &mut Session<'_, '_, T>,
    name: &str,
    len: u32,
    align: u32,
) -> DlResult<u32> {
    if len == 0 {
        return Ok(0);
    }
    if let Some(start) = s.cx().space.take_slots(len, align) {
        return Ok(start);
    }
    let max = s.cx().config.limits.max_table_slots;
    let table = s.program()?.table;
    let size = table.size(&mut *s.caller);
    let start = size.next_multiple_of(u64::from(align.max(1)));
    let grow = start - size + u64::from(len);
    let added = u64::from(s.cx().space.slots_added);
    if added + grow > u64::from(max) {
        return Err(DlError::Limit {
            name: name.to_string(),
            what: "table slots",
            detail: format!("needs {len} slots, {added} of {max} already added"),
        });
    }
    table
        .grow(&mut *s.caller, grow, Ref::Func(None))
        .map_err(|e| DlError::Limit {
            name: name.to_string(),
            what: "table size",
            detail: format!(
                "cannot grow the program's table by {grow}: {}",
                one_line(&e)
            ),
        })?;
    let cx = s.cx();
    cx.space.slots_added += grow as u32;
    // Alignment padding is free for later single-slot use.
    cx.space.release_slots(size as u32, (start - size) as u32);
    Ok(start as u32)
}

/// Clears `len` slots from `start` and gives them back.
fn release_slots<T: 'static>(s: &mut Session<'_, '_, T>, start: u32, len: u32) {
    if len == 0 {
        return;
    }
    if let Some(table) = s.cx().program.as_ref().map(|p| p.table) {
        for slot in start..start.saturating_add(len) {
            let _ = table.set(&mut *s.caller, u64::from(slot), Ref::Func(None));
            s.cx().space.forget(slot);
        }
    }
    s.cx().space.release_slots(start, len);
}

/// Clears `len` slots from `start` (they stay reserved) and returns what they held.
fn take_slots_contents<T: 'static>(
    s: &mut Session<'_, '_, T>,
    start: u32,
    len: u32,
) -> Vec<Option<Func>> {
    let Some(table) = s.cx().program.as_ref().map(|p| p.table) else {
        return Vec::new();
    };
    let mut held = Vec::with_capacity(len as usize);
    for slot in start..start.saturating_add(len) {
        let func = match table.get(&mut *s.caller, u64::from(slot)) {
            Some(Ref::Func(f)) => f,
            _ => None,
        };
        if func.is_some() {
            let _ = table.set(&mut *s.caller, u64::from(slot), Ref::Func(None));
        }
        held.push(func);
        s.cx().space.forget(slot);
    }
    held
}

/// Phase 2: instantiate every new library, dependencies first; then phase 3, fill the GOTs.
/// `global_roots`: the libraries an RTLD_GLOBAL `dlopen` asked for (they may define functions
/// the program imports, see `startup`).
fn link_group<T: 'static>(
    s: &mut Session<'_, '_, T>,
    group: &mut Group,
    lazy: bool,
    global_roots: &[LibId],
) -> DlResult<()> {
    {
        let cx = s.cx();
        for &id in &group.registered {
            let list = cx.scope.breadth_first(id);
            cx.scope.lib_mut(id)?.search_list = list;
        }
    }
    for &id in &group.post_order {
        instantiate(s, id, lazy)?;
    }
    // Calls into a library of the group that was instantiated after the caller bind now, to
    // the definition the scope gives at load (as a relocation does), not at the first call.
    for &id in &group.post_order {
        let stubs = std::mem::take(&mut s.cx().scope.lib_mut(id)?.pending_stubs);
        for (symbol, ty, target) in stubs {
            if let Some((_, Symbol::Func { func, .. })) = resolve(s, id, &symbol) {
                if func.matches_ty(&*s.caller, &ty) {
                    let _ = target.set(func);
                }
            }
        }
    }
    for &root in global_roots {
        crate::startup::bind_pending(s, root, &mut group.bound_imports)?;
    }
    // Every new library's symbols are known now (this is what makes cycles work).
    for &id in &group.post_order {
        let got = std::mem::take(&mut s.cx().scope.lib_mut(id)?.got);
        let bound = bind_got(s, id, &got);
        s.cx().scope.lib_mut(id)?.got = got;
        bound?;
    }
    Ok(())
}

/// Fills a library's GOT entries from the scope.
fn bind_got<T: 'static>(s: &mut Session<'_, '_, T>, id: LibId, got: &[GotEntry]) -> DlResult<()> {
    let order = s.cx().scope.lookup_order_for(id);
    let found: Vec<_> = got
        .iter()
        .map(|entry| resolve_in(s, id, &order, &entry.symbol, true))
        .collect();
    // Functions without a slot yet get one each, from one reservation (one table growth, not
    // one per entry); what is left of it is given back.
    let space = &s.cx().space;
    let want = found
        .iter()
        .filter(|f| {
            matches!(f, Some((_, Symbol::Func { slot: None, key, .. }))
                if !space.slot_of.contains_key(key))
        })
        .count() as u32;
    let mut pool = 0..0;
    if want > 0 {
        let space = &mut s.cx().space;
        space.slot_of.reserve(want as usize);
        space.func_in.reserve(want as usize);
        let library = s.cx().scope.lib(id)?.name.clone();
        let start = reserve_slots(s, &library, want, 1)?;
        pool = start..start + want;
    }
    let bound = bind_got_entries(s, id, got, found, &mut pool);
    release_slots(s, pool.start, pool.end - pool.start);
    bound
}

fn bind_got_entries<T: 'static>(
    s: &mut Session<'_, '_, T>,
    id: LibId,
    got: &[GotEntry],
    found: Vec<Option<(ScopeEntry, Symbol)>>,
    pool: &mut std::ops::Range<u32>,
) -> DlResult<()> {
    for (entry, found) in got.iter().zip(found) {
        let name = &*entry.symbol;
        let value = match found {
            Some((_, Symbol::Data { addr })) if !entry.func => addr,
            Some((_, Symbol::Data { .. })) => {
                return Err(DlError::Link {
                    library: s.cx().scope.lib(id)?.name.clone(),
                    import: format!("GOT.func.{name}"),
                    reason: "it is a data symbol, used as a function".into(),
                })
            }
            // A function's address (also when code takes it as data): its slot.
            Some((owner, sym @ Symbol::Func { .. })) => slot_from(s, owner, sym, name, pool)?,
            None if entry.weak => 0,
            None => return Err(undefined(s, id, name)),
        };
        entry
            .global
            .set(&mut *s.caller, Val::I32(value as i32))
            .map_err(|e| {
                DlError::Program(format!("internal: GOT update failed: {}", one_line(&e)))
            })?;
    }
    Ok(())
}

fn undefined<T: 'static>(s: &mut Session<'_, '_, T>, id: LibId, symbol: &str) -> DlError {
    let library = s
        .cx()
        .scope
        .get(id)
        .map(|l| l.display_name().to_string())
        .unwrap_or_default();
    DlError::UndefinedSymbol {
        library,
        symbol: symbol.to_string(),
    }
}

/// Builds one library's imports and instantiates it (or revives its parked instance); its GOT
/// entries are left for [`bind_got`].
fn instantiate<T: 'static>(s: &mut Session<'_, '_, T>, id: LibId, lazy: bool) -> DlResult<()> {
    if let Some(parked) = s.cx().scope.lib_mut(id)?.parked.take() {
        if revive(s, id, *parked)? {
            return Ok(());
        }
    }
    let (compiled, name, mem_base, table_base) = {
        let lib = s.cx().scope.lib(id)?;
        (
            lib.compiled.clone(),
            lib.display_name().to_string(),
            lib.mem_base,
            lib.table_base,
        )
    };
    let program = s.program()?;
    let (memory, table, stack_pointer, cxa_atexit, atexit) = (
        program.memory,
        program.table,
        program.stack_pointer,
        program.cxa_atexit,
        program.atexit.clone(),
    );
    // `module.field`, spelt out only for an error.
    let link_err = |module: &str, field: &str, reason: String| DlError::Link {
        library: name.clone(),
        import: format!("{module}.{field}"),
        reason,
    };
    // The same for every import of the library.
    let order = s.cx().scope.lookup_order_for(id);
    let mut imports = Vec::with_capacity(compiled.info.imports.len());
    let mut got = Vec::new();
    let mut direct = Vec::new();
    // A late-binding stub knows the library by handle, which a revived instance would not have.
    let mut has_stubs = false;
    let got_type = GlobalType::new(ValType::I32, Mutability::Var);
    // The reader lists imports in module order; its `weak` also covers GOT entries, whose
    // IMPORT_INFO flags clang records under `env`.
    for (index, (import, described)) in compiled
        .module
        .imports()
        .zip(compiled.info.imports.iter())
        .enumerate()
    {
        let (module, field) = (import.module(), import.name());
        let weak = described.weak;
        let ty = import.ty();
        let ext: Extern = match (module, field, &ty) {
            ("env", "memory", ExternType::Memory(_)) => memory.into(),
            ("env", "__indirect_function_table", ExternType::Table(_)) => table.into(),
            ("env", "__stack_pointer", ExternType::Global(_)) => stack_pointer.into(),
            ("env", "__memory_base", ExternType::Global(_)) => const_i32(s, mem_base)?.into(),
            ("env", "__table_base", ExternType::Global(_)) => const_i32(s, table_base)?.into(),
            // The same names with another kind of import (`env.memory` as a global, ...).
            ("env", "memory" | "__indirect_function_table" | "__stack_pointer" | "__memory_base" | "__table_base", _) => {
                let want = match field {
                    "memory" => "memory",
                    "__indirect_function_table" => "table",
                    _ => "global",
                };
                let have = match &ty {
                    ExternType::Func(_) => "function",
                    ExternType::Global(_) => "global",
                    ExternType::Table(_) => "table",
                    ExternType::Memory(_) => "memory",
                    _ => "tag",
                };
                return Err(link_err(module, field, format!("it must be imported as a {want}, not as a {have}")));
            }
            ("GOT.mem" | "GOT.func", _, ExternType::Global(g)) => {
                if !matches!(g.content(), ValType::I32) || g.mutability() != Mutability::Var {
                    return Err(link_err(module, field, "a GOT entry must be a mutable i32".into()));
                }
                let global = Global::new(&mut *s.caller, got_type.clone(), Val::I32(0))
                    .map_err(|e| link_err(module, field, one_line(&e)))?;
                got.push(GotEntry {
                    global,
                    // The metadata's copy of the name, shared (no allocation per entry).
                    symbol: described.name.clone(),
                    func: module == "GOT.func",
                    weak,
                });
                global.into()
            }
            ("env", "__cxa_atexit", ExternType::Func(_)) if cxa_atexit.is_some() => {
                let func = cxa_atexit.ok_or_else(|| link_err(module, field, "missing".into()))?;
                func.into()
            }
            ("env", "atexit", ExternType::Func(ft)) if atexit.is_some() => {
                atexit_stub(s, atexit.clone(), mem_base, ft.clone()).into()
            }
            ("env", symbol, ExternType::Func(ft)) => {
                // An import nothing in the module uses (wasm-ld imports a library's own weak
                // definitions) binds without making its provider a dependency.
                // The first definition in scope order may be a library of this group that is
                // instantiated later (a cycle, or a sibling after this one): a late-binding
                // stub then finds it at the first call.
                let pending = defined_by_pending(s, &order, symbol)?;
                let found = match pending {
                    Some(_) => None,
                    None => resolve_in(s, id, &order, symbol, described.referenced),
                };
                match found {
                    Some((_, Symbol::Func { func, key, .. })) => {
                        if !func.matches_ty(&*s.caller, ft) {
                            let have = func.ty(&*s.caller);
                            return Err(link_err(
                                module,
                                field,
                                format!("the definition has type {have}, the import expects {ft}"),
                            ));
                        }
                        trace::bind(&name, symbol, "defined");
                        direct.push((index as u32, key));
                        func.into()
                    }
                    Some((_, Symbol::Data { .. })) => {
                        return Err(link_err(module, field, "it is a data symbol, called as a function".into()))
                    }
                    None => {
                        if pending.is_none() && !weak && !lazy {
                            return Err(DlError::UndefinedSymbol { library: name.clone(), symbol: symbol.to_string() });
                        }
                        trace::bind(&name, symbol, if weak && pending.is_none() { "weak, undefined" } else { "lazy" });
                        has_stubs = true;
                        let (stub, target) = late_binding_stub(s, id, symbol, ft.clone())?;
                        if pending.is_some() {
                            // Bound as soon as the group is instantiated (`link_group`).
                            s.cx().scope.lib_mut(id)?.pending_stubs.push((symbol.into(), ft.clone(), target));
                        }
                        stub.into()
                    }
                }
            }
            ("env", _, ExternType::Global(_)) => {
                return Err(DlError::Unsupported {
                    name: name.clone(),
                    reason: format!("it imports the global {module}.{field} (thread-local storage and other linker globals are not supported)"),
                })
            }
            // An exception tag (`__c_longjmp` for longjmp, `__cpp_exception` for C++): one
            // per program, shared like its memory, so a throw in any module reaches a catch in
            // any other.
            ("env", field, ExternType::Tag(want)) => {
                let tag = s.caller.get_export(field).and_then(Extern::into_tag).ok_or_else(|| {
                    link_err(module, field, "the program exports no such tag (build it with `wasi-dl cc`)".into())
                })?;
                let have = tag.ty(&*s.caller);
                if !FuncType::eq(have.ty(), want.ty()) {
                    return Err(link_err(
                        module,
                        field,
                        format!("the program's tag has type {}, the import expects {}", have.ty(), want.ty()),
                    ));
                }
                tag.into()
            }
            ("env", _, _) => {
                return Err(link_err(module, field, "no such memory, table or tag in the program".into()))
            }
            (module, field, _) => foreign_import(s, module, field).map_err(|reason| link_err(module, field, reason))?,
        };
        imports.push(ext);
    }
    let instance =
        Instance::new(&mut *s.caller, &compiled.module, &imports).map_err(|e| DlError::Init {
            name: name.clone(),
            phase: "instantiation",
            reason: guest_failure(s, e),
        })?;

    // Its exports and the slots its own functions occupy. The instance lists its exports in
    // the module's order: no lookup by name for each.
    let externs: Vec<Extern> = instance
        .exports(&mut *s.caller)
        .map(wasmtime::Export::into_extern)
        .collect();
    let mut exports = crate::scope::SymbolTable::default();
    exports.reserve(externs.len());
    for (export, ext) in compiled.module.exports().zip(externs) {
        let export_name = export.name();
        if is_plumbing(export_name) {
            continue;
        }
        match Some(ext) {
            Some(Extern::Func(func)) => {
                let key = func.to_raw(&mut *s.caller) as usize;
                exports.insert(
                    export_name.as_bytes().into(),
                    Symbol::Func {
                        func,
                        key,
                        slot: None,
                    },
                );
            }
            Some(Extern::Global(global)) => {
                let ty = global.ty(&*s.caller);
                if ty.mutability() == Mutability::Const {
                    if let Some(offset) = global.get(&mut *s.caller).i32() {
                        let addr = mem_base.wrapping_add(offset as u32);
                        exports.insert(export_name.as_bytes().into(), Symbol::Data { addr });
                    }
                }
            }
            _ => {}
        }
    }
    let table_size = compiled.info.mem.table_size;
    let mut slots = Vec::new();
    for slot in table_base..table_base.saturating_add(table_size) {
        if let Some(Ref::Func(Some(f))) = table.get(&mut *s.caller, u64::from(slot)) {
            slots.push((f.to_raw(&mut *s.caller) as usize, slot));
        }
    }
    let cx = s.cx();
    for (key, slot) in slots {
        cx.space.record(key, slot);
    }
    let lib = cx.scope.lib_mut(id)?;
    lib.instance = Some(instance);
    lib.exports = exports;
    lib.got = got;
    lib.direct = direct;
    lib.reusable = compiled.reset.is_ok() && !has_stubs;
    Ok(())
}

/// Brings a parked instance back for library `id` (which has its block and slots), as a fresh
/// instantiation would leave it. Returns false if its direct imports would now bind to other
/// functions: then the block is zeroed and the caller instantiates anew in the same place.
fn revive<T: 'static>(s: &mut Session<'_, '_, T>, id: LibId, parked: Parked) -> DlResult<bool> {
    let (compiled, name) = {
        let lib = s.cx().scope.lib(id)?;
        (lib.compiled.clone(), lib.display_name().to_string())
    };
    let mut fits = true;
    let order = s.cx().scope.lookup_order_for(id);
    let mut providers = Vec::new();
    for &(index, key) in &parked.direct {
        let Some(import) = compiled.info.imports.get(index as usize) else {
            fits = false;
            break;
        };
        // Looked up without recording: a binding counts only once the instance is kept.
        let found = match defined_by_pending(s, &order, &import.name)? {
            Some(_) => None,
            None => resolve_in(s, id, &order, &import.name, false),
        };
        match found {
            Some((owner, Symbol::Func { key: k, .. })) if k == key => {
                if let (true, ScopeEntry::Lib(provider)) = (import.referenced, owner) {
                    providers.push(provider);
                }
            }
            _ => {
                fits = false;
                break;
            }
        }
    }
    if fits {
        for provider in providers {
            s.cx().scope.note_binding(id, provider);
        }
    }
    let program = s.program()?;
    let (memory, table) = (program.memory, program.table);
    let (base, size) = (parked.mem_base as usize, parked.mem_size as usize);
    let block = memory
        .data_mut(&mut *s.caller)
        .get_mut(base..base + size)
        .ok_or_else(|| DlError::Program(format!("internal: {name}'s parked block is gone")))?;
    block.fill(0);
    let image = match &compiled.reset {
        Ok(image) if fits => image,
        _ => {
            trace::revive(&name, false);
            // A fresh instance gets fresh single slots when its functions need them.
            for &(slot, _) in &parked.extra {
                release_slots(s, slot, 1);
            }
            return Ok(false);
        }
    };
    for (offset, bytes) in &image.segments {
        let at = *offset as usize;
        if let Some(dest) = block.get_mut(at..at + bytes.len()) {
            dest.copy_from_slice(bytes);
        }
    }
    let own = (parked.table_base..).zip(&parked.table);
    let extra = parked.extra.iter().map(|(slot, func)| (*slot, func));
    for (slot, func) in own.chain(extra) {
        let Some(func) = func else { continue };
        table
            .set(&mut *s.caller, u64::from(slot), Ref::Func(Some(*func)))
            .map_err(|e| {
                DlError::Program(format!("internal: table update failed: {}", one_line(&e)))
            })?;
        let key = func.to_raw(&mut *s.caller) as usize;
        s.cx().space.record(key, slot);
    }
    trace::revive(&name, true);
    let lib = s.cx().scope.lib_mut(id)?;
    lib.instance = Some(parked.instance);
    lib.exports = parked.exports;
    lib.got = parked.got;
    lib.direct = parked.direct;
    lib.extra_slots = parked.extra.iter().map(|&(slot, _)| slot).collect();
    lib.reusable = true;
    Ok(true)
}

fn const_i32<T: 'static>(s: &mut Session<'_, '_, T>, value: u32) -> DlResult<Global> {
    Global::new(
        &mut *s.caller,
        GlobalType::new(ValType::I32, Mutability::Const),
        Val::I32(value as i32),
    )
    .map_err(|e| DlError::Program(format!("internal: {}", one_line(&e))))
}

/// An import from outside `env`/`GOT.*` (say `wasi_snapshot_preview1.fd_write`): only what the
/// program's own linker offers; functions behind a trampoline that shows them the program's
/// memory (see `foreign`), made once per program.
fn foreign_import<T: 'static>(
    s: &mut Session<'_, '_, T>,
    module: &str,
    field: &str,
) -> Result<Extern, String> {
    let key = (Box::<str>::from(module), Box::<str>::from(field));
    if let Some(ext) = s.cx().foreign.get(&key) {
        return Ok(ext.clone());
    }
    let ext = s
        .glue
        .linker
        .get(&mut *s.caller, module, field)
        .map_err(|_| "the program's linker does not provide it".to_string())?;
    let ext = match ext {
        Extern::Func(func) => {
            let memory = s.program().map_err(|e| e.to_string())?.memory;
            foreign::with_memory(s.caller, memory, func)?.into()
        }
        other => other,
    };
    s.cx().foreign.insert(key, ext.clone());
    Ok(ext)
}

/// Whether a library of the group that is not instantiated yet defines `symbol` (a
/// dependency cycle): then calls go through a late-binding stub.
fn defined_by_pending<T: 'static>(
    s: &mut Session<'_, '_, T>,
    order: &[ScopeEntry],
    symbol: &str,
) -> DlResult<Option<LibId>> {
    for &entry in order {
        match entry {
            // A definition already known comes first: bind to it.
            ScopeEntry::Program => {
                if !is_plumbing(symbol) && program_symbol(s, symbol, false).is_some() {
                    return Ok(None);
                }
            }
            ScopeEntry::Lib(other) => {
                let lib = s.cx().scope.lib(other)?;
                if lib.instance.is_some() {
                    if lib.exports.contains_key(symbol.as_bytes()) {
                        return Ok(None);
                    }
                // The module's export map (a hash lookup): a scan of the names, once per
                // import, is quadratic in a module with many of both (test attacks::
                // linking_many_imports_against_many_exports_is_not_quadratic).
                } else if lib.compiled.module.get_export_index(symbol).is_some() {
                    return Ok(Some(other));
                }
            }
        }
    }
    Ok(None)
}

/// A function that finds its target when first called: for calls into a library of the same
/// group that is instantiated later (cycles), for RTLD_LAZY's deferred binding, and for weak
/// undefined functions (which trap if called).
fn late_binding_stub<T: 'static>(
    s: &mut Session<'_, '_, T>,
    id: LibId,
    symbol: &str,
    ty: FuncType,
) -> DlResult<(Func, Arc<OnceLock<Func>>)> {
    let handle = s.cx().scope.lib(id)?.handle;
    let glue = s.glue.clone();
    let symbol = symbol.to_string();
    let target: Arc<OnceLock<Func>> = Arc::new(OnceLock::new());
    let bound = target.clone();
    let func = Func::new(
        &mut *s.caller,
        ty,
        move |mut caller: Caller<'_, T>, params, results| {
            let func = match target.get() {
                Some(f) => *f,
                None => {
                    let cx = (glue.get_cx)(caller.data_mut());
                    let found = cx.scope.by_handle(handle).ok().and_then(|id| {
                        let order = cx.scope.lookup_order_for(id);
                        let (provider, func) = order.into_iter().find_map(|entry| match entry {
                            // The program's exports were looked at when the library was linked.
                            ScopeEntry::Program => None,
                            ScopeEntry::Lib(other) => {
                                match cx.scope.get(other)?.exports.get(symbol.as_bytes()) {
                                    Some(Symbol::Func { func, .. }) => Some((other, *func)),
                                    _ => None,
                                }
                            }
                        })?;
                        cx.scope.note_binding(id, provider);
                        Some(func)
                    });
                    let Some(func) = found else {
                        let library = cx
                            .scope
                            .by_handle(handle)
                            .ok()
                            .and_then(|id| cx.scope.get(id))
                            .map(|l| l.display_name().to_string())
                            .unwrap_or_else(|| format!("library {handle:#x}"));
                        return Err(wasmtime::Error::msg(format!(
                            "symbol lookup error: {library}: undefined symbol: {symbol}"
                        )));
                    };
                    let _ = target.set(func);
                    func
                }
            };
            func.call(&mut caller, params, results)
        },
    );
    Ok((func, bound))
}

/// A library's `atexit(fn)`: the program's `__wasi_dl_atexit(fn, dso)` with the library's
/// data block as `dso`, so that the handler runs when the library is unloaded (as in glibc),
/// not after it is gone.
fn atexit_stub<T: 'static>(
    s: &mut Session<'_, '_, T>,
    register: Option<wasmtime::TypedFunc<(u32, u32), i32>>,
    dso: u32,
    ty: FuncType,
) -> Func {
    Func::new(
        &mut *s.caller,
        ty,
        move |mut caller: Caller<'_, T>, params, results| {
            let handler = params.first().and_then(Val::i32).unwrap_or(0) as u32;
            let status = match &register {
                Some(register) => register.call(&mut caller, (handler, dso))?,
                None => -1,
            };
            if let Some(result) = results.first_mut() {
                *result = Val::I32(status);
            }
            Ok(())
        },
    )
}

/// Finds `symbol` for library `id`: global scope, then its lookup scopes.
fn resolve<T: 'static>(
    s: &mut Session<'_, '_, T>,
    id: LibId,
    symbol: &str,
) -> Option<(ScopeEntry, Symbol)> {
    let order = s.cx().scope.lookup_order_for(id);
    resolve_in(s, id, &order, symbol, true)
}

/// Finds `symbol` for library `id` along `order`, its lookup order
/// (`Scope::lookup_order_for(id)`), which a caller resolving many symbols computes once.
/// `used`: the library really refers to the symbol, so its provider becomes a dependency
/// (glibc's relocation-based dependencies).
fn resolve_in<T: 'static>(
    s: &mut Session<'_, '_, T>,
    id: LibId,
    order: &[ScopeEntry],
    symbol: &str,
    used: bool,
) -> Option<(ScopeEntry, Symbol)> {
    // Linking asks the program for every name a library imports, most of them the library's
    // own or another library's: a miss costs a lookup, not an allocation in the miss memo
    // (which is for `dlsym`'s repeated questions).
    let found = lookup(s, order, symbol, false);
    if let (true, Some((ScopeEntry::Lib(provider), _))) = (used, found) {
        s.cx().scope.note_binding(id, provider);
    }
    found
}

/// The first definition of `name` along `order`. `remember_miss`: note in the program's miss
/// memo that the program does not define `name`.
fn lookup<T: 'static>(
    s: &mut Session<'_, '_, T>,
    order: &[ScopeEntry],
    name: &str,
    remember_miss: bool,
) -> Option<(ScopeEntry, Symbol)> {
    if is_plumbing(name) {
        return None;
    }
    for &entry in order {
        let found = match entry {
            ScopeEntry::Program => program_symbol(s, name, remember_miss),
            ScopeEntry::Lib(id) => s
                .cx()
                .scope
                .get(id)
                .and_then(|l| l.exports.get(name.as_bytes()).copied()),
        };
        if let Some(sym) = found {
            return Some((entry, sym));
        }
    }
    None
}

fn program_symbol<T: 'static>(
    s: &mut Session<'_, '_, T>,
    name: &str,
    remember_miss: bool,
) -> Option<Symbol> {
    let program = s.cx().program.as_ref()?;
    if let Some(sym) = program.symbols.get(name.as_bytes()) {
        return Some(*sym);
    }
    if program.missing.contains(name.as_bytes()) {
        return None;
    }
    let found = program::main_aliases(name)
        .iter()
        .find_map(|alias| program::find_export(s.caller, alias))
        .or_else(|| program::find_export(s.caller, name));
    let program = s.cx().program.as_mut()?;
    match found {
        Some(sym) => {
            program.symbols.insert(name.as_bytes().into(), sym);
        }
        None if !remember_miss => {}
        None => {
            if program.missing.len() >= program::MISSING_CACHE_LIMIT {
                program.missing.clear();
            }
            program.missing.insert(name.as_bytes().into());
        }
    }
    found
}

/// The table slot of a function, giving it one if it has none yet. `owner` is where the
/// symbol was found: a slot given to a library's function is freed with the library; slots of
/// the program's own functions stay for the program's life.
pub(crate) fn slot_for<T: 'static>(
    s: &mut Session<'_, '_, T>,
    owner: ScopeEntry,
    sym: Symbol,
    name: &str,
) -> DlResult<u32> {
    slot_from(s, owner, sym, name, &mut (0..0))
}

/// [`slot_for`], taking a new slot from `pool` (reserved slots) while it lasts.
fn slot_from<T: 'static>(
    s: &mut Session<'_, '_, T>,
    owner: ScopeEntry,
    sym: Symbol,
    name: &str,
    pool: &mut std::ops::Range<u32>,
) -> DlResult<u32> {
    let Symbol::Func { func, key, slot } = sym else {
        return Err(DlError::Program(format!(
            "internal: {name} is not a function"
        )));
    };
    if let Some(slot) = slot {
        return Ok(slot);
    }
    if let Some(&slot) = s.cx().space.slot_of.get(&key) {
        return Ok(slot);
    }
    let slot = match pool.next() {
        Some(slot) => slot,
        None => reserve_slots(s, name, 1, 1)?,
    };
    let table = s.program()?.table;
    table
        .set(&mut *s.caller, u64::from(slot), Ref::Func(Some(func)))
        .map_err(|e| {
            DlError::Program(format!("internal: table update failed: {}", one_line(&e)))
        })?;
    let cx = s.cx();
    cx.space.record(key, slot);
    let cached = match owner {
        ScopeEntry::Lib(id) => cx.scope.get_mut(id).and_then(|lib| {
            lib.extra_slots.push(slot);
            lib.exports.get_mut(name.as_bytes())
        }),
        ScopeEntry::Program => cx
            .program
            .as_mut()
            .and_then(|p| p.symbols.get_mut(name.as_bytes())),
    };
    if let Some(Symbol::Func { slot: cached, .. }) = cached {
        *cached = Some(slot);
    }
    Ok(slot)
}

/// Phase 4: data relocations, then constructors, dependencies first.
/// `order`: dependencies before the libraries that need them.
fn construct_group<T: 'static>(s: &mut Session<'_, '_, T>, order: &[LibId]) -> DlResult<()> {
    for &id in order {
        let (instance, name) = {
            let lib = s.cx().scope.lib(id)?;
            (lib.instance, lib.display_name().to_string())
        };
        let Some(instance) = instance else { continue };
        s.cx().scope.mark_initialized(id);
        tell_late_destructors(s, id)?;
        for (export, phase) in [
            ("__wasm_apply_data_relocs", "applying data relocations"),
            ("__wasm_call_ctors", "running constructors"),
        ] {
            let Some(func) = instance.get_func(&mut *s.caller, export) else {
                continue;
            };
            let func = func
                .typed::<(), ()>(&*s.caller)
                .map_err(|e| DlError::Link {
                    library: name.clone(),
                    import: export.into(),
                    reason: one_line(&e),
                })?;
            func.call(&mut *s.caller, ()).map_err(|e| DlError::Init {
                name: name.clone(),
                phase,
                reason: guest_failure(s, e),
            })?;
        }
    }
    Ok(())
}

/// Before a library's constructors run: which functions they will register are its
/// `__attribute__((destructor))` functions (glibc runs those after every exit handler).
fn tell_late_destructors<T: 'static>(s: &mut Session<'_, '_, T>, id: LibId) -> DlResult<()> {
    let Some(tell) = s.program()?.late_destructor.clone() else {
        return Ok(());
    };
    let (base, end, table_base, offsets) = {
        let lib = s.cx().scope.lib(id)?;
        (
            lib.mem_base,
            lib.mem_end(),
            lib.table_base,
            lib.compiled.late_destructors.clone(),
        )
    };
    for offset in offsets {
        let slot = table_base.wrapping_add(offset);
        tell.call(&mut *s.caller, (base, end, slot))
            .map_err(|e| DlError::Init {
                name: s
                    .cx()
                    .scope
                    .get(id)
                    .map(|l| l.display_name().to_string())
                    .unwrap_or_default(),
                phase: "registering destructors",
                reason: guest_failure(s, e),
            })?;
    }
    Ok(())
}

/// After a failed `dlopen`: the shadow stack pointer as it was when the import was called (a
/// trap in guest code leaves it where the trapping frames had moved it), the program's imports
/// it bound unbound, and everything it registered rolled back.
fn undo_failed_open<T: 'static>(
    s: &mut Session<'_, '_, T>,
    group: &mut Group,
    stack_at_entry: Val,
) {
    if let Some(stack_pointer) = s.cx().program.as_ref().map(|p| p.stack_pointer) {
        let _ = stack_pointer.set(&mut *s.caller, stack_at_entry);
    }
    crate::startup::unbind(s, std::mem::take(&mut group.bound_imports));
    roll_back(s, group);
}

/// Undoes a failed `dlopen`: every library it registered goes, with its memory and slots.
///
/// A constructor of the group may have loaded another library (a nested `dlopen`) that needs
/// one of the group's: it cannot outlive what it needs, so it is unloaded first (destructors
/// included, while the group's libraries still exist), whatever references it holds.
fn roll_back<T: 'static>(s: &mut Session<'_, '_, T>, group: &Group) {
    let dependents = s.cx().scope.dependents_of(&group.registered);
    if !dependents.is_empty() {
        for &id in &dependents {
            if let Some(lib) = s.cx().scope.get_mut(id) {
                lib.open_count = 0;
                lib.nodelete = false;
            }
        }
        // The group's libraries are still `Loading`, hence kept; only the dependents go.
        let _ = unload_unreachable(s);
    }
    // Destructors that constructors of the group registered before the failure would
    // otherwise stay registered for code that is gone: run them now, newest first (unless
    // the program is exiting).
    let scope = &s.cx().scope;
    let mut constructed: Vec<(u64, u32, u32)> = group
        .registered
        .iter()
        .filter_map(|&id| scope.get(id))
        .filter(|lib| lib.init_seq != 0)
        .map(|lib| (lib.init_seq, lib.mem_base, lib.mem_end()))
        .collect();
    constructed.sort_unstable_by_key(|&(seq, _, _)| std::cmp::Reverse(seq));
    let finalize = s.cx().program.as_ref().and_then(|p| p.finalize.clone());
    let stack_pointer = s.cx().program.as_ref().map(|p| p.stack_pointer);
    if let (Some(finalize), Some(stack_pointer)) = (finalize, stack_pointer) {
        let stack_at_entry = stack_pointer.get(&mut *s.caller);
        for (_, base, end) in constructed {
            if s.cx().fatal.is_some() {
                break;
            }
            if let Err(e) = finalize.call(&mut *s.caller, (base, end)) {
                let _ = stack_pointer.set(&mut *s.caller, stack_at_entry);
                guest_failure(s, e);
            }
        }
    }
    for &id in group.registered.iter().rev() {
        release_library(s, id);
    }
}

/// Forgets a library. Its instance is parked for reuse when it can be (holding its data block
/// and table slots); otherwise block and slots go back to the program.
fn release_library<T: 'static>(s: &mut Session<'_, '_, T>, id: LibId) {
    let Some(mut lib) = s.cx().scope.remove(id) else {
        return;
    };
    trace::unload(&lib.name);
    let extra_slots = std::mem::take(&mut lib.extra_slots);
    // Taken from the pool but never linked: it goes back as it was.
    if let Some(parked) = lib.parked.take() {
        for slot in extra_slots {
            release_slots(s, slot, 1);
        }
        park(s, *parked);
        return;
    }
    match lib.instance {
        Some(instance) if lib.reusable => {
            // Its slots stay reserved, cleared while it is parked; the slots its exports
            // cached stay valid for the revived instance.
            let table = take_slots_contents(s, lib.table_base, lib.table_size);
            let extra = extra_slots
                .into_iter()
                .map(|slot| (slot, take_slots_contents(s, slot, 1).pop().flatten()))
                .collect();
            park(
                s,
                Parked {
                    compiled: lib.compiled,
                    instance,
                    mem_base: lib.mem_base,
                    mem_size: lib.mem_size,
                    table_base: lib.table_base,
                    table_size: lib.table_size,
                    table,
                    extra,
                    exports: lib.exports,
                    got: lib.got,
                    direct: lib.direct,
                },
            );
        }
        _ => {
            for slot in extra_slots {
                release_slots(s, slot, 1);
            }
            release_slots(s, lib.table_base, lib.table_size);
            release_memory(s, lib.mem_base, lib.mem_size);
        }
    }
}

/// Puts a closed library in the pool, releasing for real whatever the pool has no room for.
fn park<T: 'static>(s: &mut Session<'_, '_, T>, parked: Parked) {
    let limits = s.cx().config.limits;
    let evicted = s
        .cx()
        .parked
        .admit(parked, limits.max_parked_libraries, limits.max_parked_bytes);
    for parked in evicted {
        release_parked(s, parked);
    }
}

/// Gives a parked library's block and slots back to the program; its instance is abandoned
/// (wasmtime frees it with the store).
fn release_parked<T: 'static>(s: &mut Session<'_, '_, T>, parked: Parked) {
    for &(slot, _) in &parked.extra {
        release_slots(s, slot, 1);
    }
    release_slots(s, parked.table_base, parked.table_size);
    release_memory(s, parked.mem_base, parked.mem_size);
}

fn release_all_parked<T: 'static>(s: &mut Session<'_, '_, T>) {
    for parked in s.cx().parked.drain() {
        release_parked(s, parked);
    }
}

// ---------------------------------------------------------------------------------------------
// dlclose

pub(crate) fn close<T: 'static>(s: &mut Session<'_, '_, T>, handle: u32) -> DlResult<()> {
    s.program()?;
    if handle == PROGRAM_HANDLE {
        return Ok(());
    }
    let cx = s.cx();
    let id = cx.scope.by_handle(handle)?;
    let lib = cx.scope.lib_mut(id)?;
    // glibc: closing a library that can never be unloaded (RTLD_NODELETE, or pinned by
    // dlsym(RTLD_DEFAULT)) succeeds and changes nothing, however often.
    if lib.nodelete && lib.state != LibState::Closing {
        return Ok(());
    }
    if lib.state == LibState::Closing || lib.open_count == 0 {
        return Err(DlError::BadHandle {
            handle,
            reason: "the library was already closed",
        });
    }
    lib.open_count -= 1;
    // A dlclose from a destructor that an outer dlclose is running only drops the reference,
    // as in glibc: the outer one unloads what became unneeded once its own destructors are done.
    if cx.unloading {
        return Ok(());
    }
    unload_unreachable(s)
}

/// Unloads every library nothing needs any more: destructors first (dependents before their
/// dependencies), then memory and slots. The outermost call repeats that until nothing more is
/// unneeded: destructors may have closed handles (see `close`).
fn unload_unreachable<T: 'static>(s: &mut Session<'_, '_, T>) -> DlResult<()> {
    let outermost = !std::mem::replace(&mut s.cx().unloading, true);
    let mut result = Ok(());
    loop {
        match unload_pass(s) {
            Ok(true) if outermost => continue,
            Ok(_) => break,
            Err(e) => {
                result = result.and(Err(e));
                if !outermost || s.cx().fatal.is_some() {
                    break;
                }
            }
        }
    }
    if outermost {
        s.cx().unloading = false;
    }
    result
}

/// One round of `unload_unreachable`: whether it unloaded anything.
fn unload_pass<T: 'static>(s: &mut Session<'_, '_, T>) -> DlResult<bool> {
    // Destructors in glibc's `_dl_close` order: every loaded library sorted (`sort_maps`),
    // dependents before their dependencies, and of those the ones that go.
    let victims: Vec<LibId> = {
        let scope = &s.cx().scope;
        let doomed: Vec<LibId> = scope
            .unreachable()
            .into_iter()
            .filter(|&id| scope.get(id).is_some_and(|l| l.state != LibState::Closing))
            .collect();
        if doomed.is_empty() {
            return Ok(false);
        }
        scope
            .sort_maps(scope.order(), true)
            .into_iter()
            .filter(|id| doomed.contains(id))
            .collect()
    };
    for &id in &victims {
        s.cx().scope.lib_mut(id)?.state = LibState::Closing;
    }
    let finalize = s.program()?.finalize.clone();
    let stack_pointer = s.program()?.stack_pointer;
    let stack_at_entry = stack_pointer.get(&mut *s.caller);
    let mut failure = None;
    for &id in &victims {
        let (base, end, name) = {
            let lib = s.cx().scope.lib(id)?;
            (lib.mem_base, lib.mem_end(), lib.display_name().to_string())
        };
        if let Some(finalize) = &finalize {
            if let Some(err) = finalize_library(s, finalize, (base, end, name), stack_at_entry) {
                failure.get_or_insert(err);
            }
        }
    }
    for &id in &victims {
        release_library(s, id);
    }
    failure.map_or(Ok(true), Err)
}

/// Runs the destructors registered from the data block `[base, end)` of library `name`; if one
/// traps, puts the shadow stack pointer back (the trapping frames moved it) and says why.
fn finalize_library<T: 'static>(
    s: &mut Session<'_, '_, T>,
    finalize: &wasmtime::TypedFunc<(u32, u32), ()>,
    (base, end, name): (u32, u32, String),
    stack_at_entry: Val,
) -> Option<DlError> {
    let e = finalize.call(&mut *s.caller, (base, end)).err()?;
    if let Some(stack_pointer) = s.cx().program.as_ref().map(|p| p.stack_pointer) {
        let _ = stack_pointer.set(&mut *s.caller, stack_at_entry);
    }
    Some(DlError::Init {
        name,
        phase: "running destructors",
        reason: guest_failure(s, e),
    })
}

/// At exit: every loaded library's pending destructors, in `_dl_fini` order (see
/// `Scope::fini_order`). Nothing is unloaded: the program is ending.
pub(crate) fn fini<T: 'static>(s: &mut Session<'_, '_, T>) -> DlResult<()> {
    let finalize = s.program()?.finalize.clone();
    let Some(finalize) = finalize else {
        return Ok(());
    };
    // A dlclose from one of these destructors only drops its reference (glibc keeps every
    // object during _dl_fini): the library is finalized in its turn below.
    s.cx().unloading = true;
    for id in s.cx().scope.fini_order() {
        if s.cx().fatal.is_some() {
            break;
        }
        let Some((base, end)) = s.cx().scope.get(id).map(|l| (l.mem_base, l.mem_end())) else {
            continue;
        };
        // A destructor that traps at exit ends the program as that trap (natively the process
        // dies of the signal): kept as fatal, it is raised again when the import returns,
        // instead of becoming an error code the exiting program would ignore.
        if let Err(e) = finalize.call(&mut *s.caller, (base, end)) {
            s.cx().fatal.get_or_insert(e);
        }
    }
    s.cx().unloading = false;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// dlsym

/// `dlsym` answered from what is already known, without touching the store or allocating:
/// the common case of a symbol looked up before, or defined by a library. `None` means "ask
/// [`sym`]" (which is always right, only slower), never "not found".
pub(crate) fn sym_cached(
    cx: &mut WasiDlCtx,
    handle: u32,
    name: &[u8],
    caller_addr: u32,
) -> Option<(SymbolKind, u32)> {
    let scope = &cx.scope;
    let in_lib = |id: LibId| {
        let sym = scope.get(id).and_then(|l| l.exports.get(name))?;
        Some((Some(id), *sym))
    };
    let (provider, sym) = match handle {
        HANDLE_NEXT => return None,
        HANDLE_DEFAULT | PROGRAM_HANDLE => {
            // Plumbing names are never in either memo (`lookup` refuses them before asking the
            // program), so they take the slow path below without a check here.
            let program = cx.program.as_ref()?;
            match program.symbols.get(name) {
                Some(sym) => (None, *sym),
                None if program.missing.contains(name) => {
                    let globals = scope.globals().iter().copied();
                    let local = match (handle, scope.lib_at(caller_addr)) {
                        (HANDLE_DEFAULT, Some(caller)) => Some(scope.local_scopes_of(caller)),
                        _ => None,
                    };
                    globals
                        .chain(local.into_iter().flatten())
                        .find_map(in_lib)?
                }
                None => return None,
            }
        }
        _ => {
            let lib = scope.get(scope.id_of_handle(handle)?)?;
            lib.search_list.iter().copied().find_map(in_lib)?
        }
    };
    let answer = match sym {
        Symbol::Data { addr } => (SymbolKind::Data, addr),
        Symbol::Func { key, slot, .. } => {
            let slot = slot.or_else(|| cx.space.slot_of.get(&key).copied())?;
            (SymbolKind::Function, slot)
        }
    };
    if let (HANDLE_DEFAULT, Some(provider)) = (handle, provider) {
        let caller = cx.scope.lib_at(caller_addr);
        cx.scope.note_default_lookup(caller, provider);
    }
    Some(answer)
}

pub(crate) fn sym<T: 'static>(
    s: &mut Session<'_, '_, T>,
    handle: u32,
    name: &str,
    caller_addr: u32,
) -> DlResult<(SymbolKind, u32)> {
    s.program()?;
    let (order, scope_name) = {
        let cx = s.cx();
        let scope = &cx.scope;
        match handle {
            HANDLE_DEFAULT => {
                let mut order = scope.global_scope();
                if let Some(caller) = scope.lib_at(caller_addr) {
                    for entry in scope.lookup_order_for(caller) {
                        if !order.contains(&entry) {
                            order.push(entry);
                        }
                    }
                }
                (order, caller_name(cx, caller_addr))
            }
            HANDLE_NEXT => (
                scope.next_after(scope.lib_at(caller_addr)),
                caller_name(cx, caller_addr),
            ),
            PROGRAM_HANDLE => (scope.global_scope(), cx.config.program_name.clone()),
            _ => {
                let id = scope.by_handle(handle)?;
                let lib = scope.lib(id)?;
                (
                    lib.search_list
                        .iter()
                        .map(|&l| ScopeEntry::Lib(l))
                        .collect(),
                    lib.display_name().to_string(),
                )
            }
        }
    };
    let found = lookup(s, &order, name, true);
    if let (HANDLE_DEFAULT, Some((ScopeEntry::Lib(provider), _))) = (handle, &found) {
        let scope = &mut s.cx().scope;
        let caller = scope.lib_at(caller_addr);
        scope.note_default_lookup(caller, *provider);
    }
    match found {
        Some((_, Symbol::Data { addr })) => Ok((SymbolKind::Data, addr)),
        Some((owner, sym @ Symbol::Func { .. })) => {
            Ok((SymbolKind::Function, slot_for(s, owner, sym, name)?))
        }
        None => Err(DlError::NoSymbol {
            scope: scope_name,
            symbol: name.to_string(),
        }),
    }
}

/// Whom an RTLD_DEFAULT or RTLD_NEXT failure names: as in glibc, the calling module (the
/// library, or the program by its name, which is its `argv[0]` under `wasi-dl run`).
fn caller_name(cx: &WasiDlCtx, caller_addr: u32) -> String {
    match cx.scope.lib_at(caller_addr).and_then(|id| cx.scope.get(id)) {
        Some(lib) => lib.display_name().to_string(),
        None => cx.config.program_name.clone(),
    }
}

// ---------------------------------------------------------------------------------------------
// dladdr

/// What `dladdr` reports.
pub(crate) struct AddrFound {
    pub(crate) handle: u32,
    pub(crate) base: u32,
    pub(crate) name: String,
    pub(crate) symbol: Option<String>,
    pub(crate) symbol_value: u32,
}

pub(crate) fn addr<T: 'static>(s: &mut Session<'_, '_, T>, address: u32) -> DlResult<AddrFound> {
    s.program()?;
    if address == 0 {
        return Err(DlError::NoAddress { address });
    }
    let program_name = s.cx().config.program_name.clone();
    if let Some(found) = addr_in_library(s.cx(), address)? {
        return Ok(found);
    }
    // The program: name its functions and data if the embedder told us its module.
    if s.cx().program.as_ref().is_some_and(|p| p.names.is_none()) {
        let exports = s.cx().config.program_exports.clone().unwrap_or_default();
        let names = program::ProgramNames::build(s.caller, &exports);
        if let Some(p) = s.cx().program.as_mut() {
            p.names = Some(names);
        }
    }
    let cx = s.cx();
    let program = cx
        .program
        .as_ref()
        .ok_or_else(|| DlError::Program("internal: no program".into()))?;
    let names = program.names.as_ref();
    if let Some(key) = cx.space.func_in.get(&address) {
        let symbol = names.and_then(|n| n.functions.get(key)).cloned();
        return Ok(AddrFound {
            handle: PROGRAM_HANDLE,
            base: 0,
            name: program_name,
            symbol_value: if symbol.is_some() { address } else { 0 },
            symbol,
        });
    }
    if address >= program.data_start && program.data_end.is_some_and(|end| address < end) {
        let nearest = names.and_then(|n| n.data.range(..=address).next_back());
        return Ok(AddrFound {
            handle: PROGRAM_HANDLE,
            base: 0,
            name: program_name,
            symbol_value: nearest.map_or(0, |(a, _)| *a),
            symbol: nearest.map(|(_, n)| n.clone()),
        });
    }
    Err(DlError::NoAddress { address })
}

/// `dladdr` for an address that belongs to a library: a data address in its block, or a
/// table slot holding one of its functions.
fn addr_in_library(cx: &mut WasiDlCtx, address: u32) -> DlResult<Option<AddrFound>> {
    if let Some(id) = cx.scope.lib_at(address) {
        let lib = cx.scope.lib(id)?;
        let nearest = lib
            .exports
            .iter()
            .filter_map(|(n, sym)| match sym {
                Symbol::Data { addr } if *addr <= address => Some((*addr, n)),
                _ => None,
            })
            .max_by(|a, b| a.0.cmp(&b.0).then_with(|| b.1.cmp(a.1)));
        return Ok(Some(AddrFound {
            handle: lib.handle,
            base: lib.mem_base,
            name: lib.display_name().to_string(),
            symbol: nearest.map(|(_, n)| String::from_utf8_lossy(n).into_owned()),
            symbol_value: nearest.map_or(0, |(a, _)| a),
        }));
    }
    let Some(&key) = cx.space.func_in.get(&address) else {
        return Ok(None);
    };
    for &id in cx.scope.order() {
        let lib = cx.scope.lib(id)?;
        let named = lib.exports.iter().find_map(|(n, sym)| match sym {
            Symbol::Func { key: k, .. } if *k == key => {
                Some(String::from_utf8_lossy(n).into_owned())
            }
            _ => None,
        });
        let in_range =
            address >= lib.table_base && address < lib.table_base.saturating_add(lib.table_size);
        if named.is_some() || in_range || lib.extra_slots.contains(&address) {
            return Ok(Some(AddrFound {
                handle: lib.handle,
                base: lib.mem_base,
                name: lib.display_name().to_string(),
                symbol_value: if named.is_some() { address } else { 0 },
                symbol: named,
            }));
        }
    }
    Ok(None)
}
