//! `dlopen`'s entry: flags, `$ORIGIN`, `RTLD_NOLOAD`, reopening a loaded library, how deep
//! loads nest, and the group of new libraries one call brings (opened in the phases of the
//! sibling files, all or nothing).

use wasmtime::Val;

use crate::ctx::WasiDlCtx;
use crate::error::{DlError, DlResult};
use crate::lookup::scope::{LibId, LibState, LoadedBy, HANDLE_DEFAULT, PROGRAM_HANDLE};

use super::close::undo_failed_open;
use super::construct::construct_group;
use super::exec::Mode;
use super::fetch::fetch;
use super::link::link_group;
use super::map::{map_below, map_one, map_tree};
use super::Session;

// ---------------------------------------------------------------------------------------------
// dlopen

/// The `dlopen` mode bits the loader acts on, decoded from the ABI's flags by `abi`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct OpenMode {
    /// `RTLD_GLOBAL`: the group's symbols join the global scope.
    pub(crate) global: bool,
    /// `RTLD_NODELETE`: never unloaded.
    pub(crate) nodelete: bool,
    /// `RTLD_NOW`: bind every function at load (else lazily).
    pub(crate) now: bool,
    /// `RTLD_NOLOAD`: only a library already loaded.
    pub(crate) noload: bool,
}

pub(crate) async fn open<T: Send + 'static>(
    s: &mut Session<'_, '_, T>,
    name: &str,
    flags: OpenMode,
    caller_addr: u32,
) -> DlResult<u32> {
    s.program()?;
    if name.is_empty() {
        return Ok(PROGRAM_HANDLE);
    }
    let expanded = expand_origin(s.cx(), name, caller_addr)?;
    let name = expanded.as_deref().unwrap_or(name);
    let global = flags.global;
    let nodelete = flags.nodelete;

    if let Some(id) = s.cx().scope.find_by_name(name) {
        return reopen(s, id, global, nodelete);
    }
    let requester = s.cx().scope.lib_at(caller_addr);
    if flags.noload {
        return open_loaded(s, name, requester, global, nodelete).await;
    }
    // A trap in guest code (a start function, a constructor) leaves the shadow stack pointer
    // where the trapping frames had moved it: put it back if this dlopen fails.
    let stack_pointer = s.program()?.stack_pointer;
    let stack_at_entry = stack_pointer.get(&mut s.caller);
    enter_nested(s, name, &stack_at_entry)?;
    let mut group = Group::default();
    let result = load_group(s, name, requester, &mut group, flags).await;
    leave_nested(s);
    match result {
        Ok(root) => {
            let cx = s.cx();
            for &id in &group.post_order {
                if let Some(lib) = cx.scope.get_mut(id) {
                    lib.state = LibState::Ready;
                }
            }
            let result = add_reference(cx, root, global, nodelete);
            for &id in &group.post_order {
                if let Some(lib) = cx.scope.get(id) {
                    cx.emit_loaded(lib);
                }
            }
            result
        }
        Err(err) => {
            undo_failed_open(s, &mut group, stack_at_entry).await;
            Err(err)
        }
    }
}

/// Phases 1 to 4 of one `dlopen` of a library not loaded yet: the group's root.
async fn load_group<T: Send + 'static>(
    s: &mut Session<'_, '_, T>,
    name: &str,
    requester: Option<LibId>,
    group: &mut Group,
    flags: OpenMode,
) -> DlResult<LibId> {
    let (global, nodelete, lazy) = (flags.global, flags.nodelete, !flags.now);
    let root = map_tree(s, name, requester, group).await?;
    refuse_nodlopen(s.cx(), group)?;
    s.cx().scope.add_root_scope(root);
    // RTLD_NODELETE counts from relocation on (glibc's `l_nodelete_pending`): binding
    // to the root then makes no dependency. A failed dlopen removes the root anyway.
    if nodelete {
        s.cx().scope.lib_mut(root)?.nodelete = true;
    }
    let initfini = s.cx().scope.sort_for_init(root, false);
    let lib = s.cx().scope.lib_mut(root)?;
    lib.initfini = initfini;
    lib.own_scope = true;
    let roots: &[LibId] = if global { &[root] } else { &[] };
    link_group(s, group, lazy, roots).await?;
    // glibc's order (`Scope::sort_for_init`), constructors from the back; only the
    // libraries this dlopen loaded run theirs.
    let mut order = s.cx().scope.lib(root)?.initfini.clone();
    order.reverse();
    order.retain(|id| group.registered.contains(id));
    construct_group(s, &order).await?;
    Ok(root)
}

/// A library linked with `-z nodlopen` (ELF's DF_1_NOOPEN) is for start-up only: glibc
/// refuses to map one for `dlopen`, as its root or as a dependency, so the whole `dlopen`
/// fails and nothing of it stays. One already loaded (by start-up) is found by name before
/// any mapping, so a `dlopen` of it still succeeds.
fn refuse_nodlopen(cx: &WasiDlCtx, group: &Group) -> DlResult<()> {
    for &id in &group.registered {
        let lib = cx.scope.lib(id)?;
        if lib.compiled.info.nodlopen {
            return Err(DlError::NoDlopen {
                name: lib.display_name().to_string(),
            });
        }
    }
    Ok(())
}

/// How deep `dlopen`s nest right now in one store: a constructor that loads a library whose
/// constructor loads another, and so on. Each level costs the host's native stack and the
/// program's shadow stack. Left to run out, either one traps at an arbitrary point of the
/// deepest level, possibly inside the guest library while it holds a lock or inside the
/// allocator, and every level above then fails in turn. So a nested load is refused, with a
/// `dlerror()` that says why, while the level that asks still has room to report it (bounds:
/// `Limits::max_nested_opens`, `nested_host_stack`, `shadow_stack_reserve`).
///
/// Kept in the store's context (`WasiDlCtx::nesting`), not in a thread-local: an async
/// store's loader may move between threads at every await.
/// Enters one level of nested loading, or refuses it. Every path out of the load that
/// entered must call [`leave_nested`].
fn enter_nested<T: Send + 'static>(
    s: &mut Session<'_, '_, T>,
    name: &str,
    stack_at_entry: &Val,
) -> DlResult<()> {
    let limits = s.cx().config.limits;
    let refuse = |detail: String| DlError::Limit {
        name: name.to_string(),
        what: "nested dlopen",
        detail,
    };
    let depth = s.cx().nesting.depth;
    if depth >= limits.max_nested_opens {
        return Err(refuse(format!(
            "a constructor's dlopen {depth} levels deep; at most {} nest",
            limits.max_nested_opens
        )));
    }
    // A sync store runs every level on one native stack, whose use the distance from the
    // outermost level measures. An async store runs the guest code of each level on a fiber
    // of its own (wasmtime bounds each), so addresses of different levels compare nothing.
    let here = std::hint::black_box(0u8);
    let host_sp = std::ptr::addr_of!(here) as usize;
    let sync = s.mode() == Mode::Sync;
    if sync && depth > 0 {
        let used = s.cx().nesting.host_top.saturating_sub(host_sp);
        if used > limits.nested_host_stack {
            return Err(refuse(format!(
                "a constructor's dlopen {depth} levels deep has used {} KiB of the host's stack, at most {} KiB allowed",
                used / 1024,
                limits.nested_host_stack / 1024
            )));
        }
    }
    // With the stack first in memory (`wasi-dl cc` links so), it runs from address 0
    // up to the data at `__global_base`: what is left is the stack pointer itself.
    let data_start = s.program()?.data_start;
    let sp = stack_at_entry.i32().map(|v| v as u32);
    if let Some(sp) = sp.filter(|&sp| sp <= data_start && data_start > 0) {
        let reserve = limits.shadow_stack_reserve.min(data_start / 4);
        if sp < reserve {
            return Err(refuse(format!(
                "the program's stack has {sp} of {data_start} bytes left, {reserve} are \
                 kept for constructors"
            )));
        }
    }
    let nesting = &mut s.cx().nesting;
    if nesting.depth == 0 {
        nesting.host_top = host_sp;
    }
    nesting.depth += 1;
    Ok(())
}

fn leave_nested<T: Send + 'static>(s: &mut Session<'_, '_, T>) {
    let nesting = &mut s.cx().nesting;
    nesting.depth = nesting.depth.saturating_sub(1);
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
    let expanded =
        crate::module::source::expand_runtime_path(&[name.to_string()], caller_path.as_deref());
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
pub(crate) async fn open_needed<T: Send + 'static>(
    s: &mut Session<'_, '_, T>,
    names: &[&str],
) -> DlResult<()> {
    s.program()?;
    let stack_pointer = s.program()?.stack_pointer;
    let stack_at_entry = stack_pointer.get(&mut s.caller);
    enter_nested(
        s,
        names.first().copied().unwrap_or_default(),
        &stack_at_entry,
    )?;
    let mut group = Group::default();
    let mut roots = Vec::new();
    let result = load_needed_group(s, names, &mut group, &mut roots).await;
    leave_nested(s);
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
            for &id in &group.post_order {
                if let Some(lib) = cx.scope.get(id) {
                    cx.emit_loaded(lib);
                }
            }
            Ok(())
        }
        Err(err) => {
            undo_failed_open(s, &mut group, stack_at_entry).await;
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

async fn load_needed_group<T: Send + 'static>(
    s: &mut Session<'_, '_, T>,
    names: &[&str],
    group: &mut Group,
    roots: &mut Vec<LibId>,
) -> DlResult<()> {
    let mut below = Vec::new();
    for name in names {
        let (root, needed) = map_one(s, name, None, 0, group).await?;
        if needed.is_some() {
            s.cx().scope.lib_mut(root)?.loaded_by = LoadedBy::Program;
        }
        roots.push(root);
        below.push((root, needed));
    }
    map_below(s, below, group).await?;
    link_group(s, group, true, &roots.clone()).await?;
    super::startup::check_program_got(s)?;
    super::startup::apply_program_data_relocs(s).await?;
    // The program's search list: its libraries, then theirs, breadth first (load order).
    let mut order = s.cx().scope.sort_maps(&group.registered, false);
    order.reverse();
    construct_group(s, &order).await
}

/// RTLD_NOLOAD of a name not opened before: the library if the name leads to a file that is
/// loaded under another name (glibc compares files, not names); else NULL with nothing for
/// dlerror to report, unless there is no such file at all (then glibc reports that).
async fn open_loaded<T: Send + 'static>(
    s: &mut Session<'_, '_, T>,
    name: &str,
    requester: Option<LibId>,
    global: bool,
    nodelete: bool,
) -> DlResult<u32> {
    let found = fetch(s, name, requester).await?;
    match s.cx().scope.find_by_key(&found.key) {
        Some(id) => {
            s.cx().scope.add_name(name, id);
            reopen(s, id, global, nodelete)
        }
        None => Ok(HANDLE_DEFAULT),
    }
}

/// `dlopen` of a library that is already loaded: one more reference, maybe promoted.
fn reopen<T: Send + 'static>(
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
    // Opened by name for the first time (it was only a dependency): glibc gives it a local
    // scope and a sorted dependency list now, and its members look up in that scope too. One
    // that has a local scope already (opened before, or given one by a dlclose) only gets
    // the reference.
    if !cx.scope.lib(id)?.own_scope {
        cx.scope.add_root_scope(id);
        let initfini = cx.scope.sort_for_init(id, true);
        let lib = cx.scope.lib_mut(id)?;
        lib.initfini = initfini;
        lib.own_scope = true;
    }
    add_reference(cx, id, global, nodelete)
}

/// One more `dlopen` reference to `id`; RTLD_GLOBAL puts it and its dependencies in the global
/// scope, RTLD_NODELETE pins it. Returns its handle.
fn add_reference(cx: &mut WasiDlCtx, id: LibId, global: bool, nodelete: bool) -> DlResult<u32> {
    // Its local scope joins the global one (glibc's `add_to_global`).
    let list = match cx.scope.lib(id)? {
        lib if global && lib.own_scope && !lib.search_list.is_empty() => lib.search_list.clone(),
        _ if global => cx.scope.breadth_first(id),
        _ => Vec::new(),
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
pub(super) struct Group {
    /// Every library registered so far (for roll-back), in registration order.
    pub(super) registered: Vec<LibId>,
    /// Dependencies before dependents.
    pub(super) post_order: Vec<LibId>,
    /// Program imports this `dlopen` pointed at its libraries (see `startup`).
    pub(super) bound_imports: Vec<super::startup::Bound>,
}
