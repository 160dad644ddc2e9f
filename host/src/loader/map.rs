//! Mapping: the new libraries of a group, depth first through NEEDED, each compiled (cached)
//! and given its data block (from the program's allocator) and table slots.

use wasmtime::{Func, Ref, Table};

use crate::error::{one_line, DlError, DlResult};
use crate::lookup::program::TABLE_GROW_EXPORT;
use crate::lookup::scope::{LibId, Library, LoadedBy};
use crate::module::source::expand_runtime_path;
use crate::trace;

use super::exec;
use super::fetch::fetch;
use super::open::Group;
use super::reuse::release_all_parked;
use super::{guest_failure, Session};

/// Phase 1: find, fetch, compile and reserve `name` and its dependencies.
pub(super) async fn map_tree<T: Send + 'static>(
    s: &mut Session<'_, '_, T>,
    name: &str,
    requester: Option<LibId>,
    group: &mut Group,
) -> DlResult<LibId> {
    let (root, needed) = map_one(s, name, requester, 0, group).await?;
    map_below(s, vec![(root, needed)], group).await?;
    Ok(root)
}

/// The dependencies of `roots` (just mapped, each with its NEEDED names), breadth first as
/// glibc's `_dl_map_object_deps` loads them: every NEEDED entry of one library before those of
/// the libraries it brought in. That is the load order (exit order and the global scope follow
/// it). Then the group's post-order (dependencies before dependents), for instantiation.
pub(super) async fn map_below<T: Send + 'static>(
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
            let (dep, dep_needed) = map_one(s, &dep_name, Some(id), depth + 1, group).await?;
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
pub(super) fn post_order(scope: &crate::lookup::scope::Scope, ids: &[LibId]) -> Vec<LibId> {
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
pub(super) async fn map_one<T: Send + 'static>(
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
    let mut fetched = fetch(s, name, requester).await?;
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
    let cache = config.cache.as_ref().unwrap_or(&s.glue.cache);
    let compiled = cache.get_or_compile_found(
        &engine,
        name,
        &mut fetched.body,
        fetched.identity.as_ref(),
        &|counts| limits.check_counts(name, counts),
    )?;
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
                reserve_memory(s, name, mem.memory_size, mem.memory_align_log2).await?;
            match reserve_slots(s, name, mem.table_size, 1 << mem.table_align_log2).await {
                Ok(table_base) => (mem_base, mem_size, table_base),
                Err(e) => {
                    release_memory(s, mem_base, mem_size).await;
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
            release_memory(s, mem_base, mem_size).await;
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
async fn reserve_memory<T: Send + 'static>(
    s: &mut Session<'_, '_, T>,
    name: &str,
    size: u32,
    align_log2: u32,
) -> DlResult<(u32, u32)> {
    unparking_when_short(s, name, Reserve::Memory { size, align_log2 }).await
}

/// What a library reserves for itself.
#[derive(Clone, Copy)]
enum Reserve {
    /// A data block of `size` bytes, aligned to `2^align_log2`.
    Memory { size: u32, align_log2: u32 },
    /// `len` table slots, the first aligned to `align`.
    Slots { len: u32, align: u32 },
}

/// Reserves `what` (as `(base, size)` or `(first slot, count)`), and when that comes up short
/// (a limit, or the program's allocator returned NULL) while libraries are parked, releases
/// them all (their blocks and slots go back) and tries once more: a parked library is a
/// cache, never the reason a load fails.
async fn unparking_when_short<T: Send + 'static>(
    s: &mut Session<'_, '_, T>,
    name: &str,
    what: Reserve,
) -> DlResult<(u32, u32)> {
    match try_reserve(s, name, what).await {
        Err(DlError::Limit { .. } | DlError::OutOfMemory { .. }) if !s.cx().parked.is_empty() => {
            release_all_parked(s).await;
            try_reserve(s, name, what).await
        }
        result => result,
    }
}

async fn try_reserve<T: Send + 'static>(
    s: &mut Session<'_, '_, T>,
    name: &str,
    what: Reserve,
) -> DlResult<(u32, u32)> {
    match what {
        Reserve::Memory { size, align_log2 } => try_reserve_memory(s, name, size, align_log2).await,
        Reserve::Slots { len, align } => {
            let start = try_reserve_slots(s, name, len, align).await?;
            Ok((start, len))
        }
    }
}

async fn try_reserve_memory<T: Send + 'static>(
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
    let mode = s.mode();
    let base = exec::call(&mut s.caller, mode, &alloc, (size, align))
        .await
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
    let data = memory.data_mut(&mut s.caller);
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

pub(super) async fn release_memory<T: Send + 'static>(
    s: &mut Session<'_, '_, T>,
    base: u32,
    size: u32,
) {
    let Some(free) = s.cx().program.as_ref().map(|p| p.free.clone()) else {
        return;
    };
    s.cx().space.data_bytes -= u64::from(size.max(1)).min(s.cx().space.data_bytes);
    // A trapping free() leaves the block leaked, not the loader broken.
    let mode = s.mode();
    let _ = exec::call(&mut s.caller, mode, &free, base).await;
}

/// `len` table slots (aligned), reusing freed ones before growing the table. When the table
/// limit is reached, parked libraries give theirs back first.
pub(super) async fn reserve_slots<T: Send + 'static>(
    s: &mut Session<'_, '_, T>,
    name: &str,
    len: u32,
    align: u32,
) -> DlResult<u32> {
    let (start, _) = unparking_when_short(s, name, Reserve::Slots { len, align }).await?;
    Ok(start)
}

async fn try_reserve_slots<T: Send + 'static>(
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
    let size = table.size(&mut s.caller);
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
    grow_table(s, name, table, size, grow).await?;
    let cx = s.cx();
    cx.space.slots_added += grow as u32;
    // Alignment padding is free for later single-slot use.
    cx.space.release_slots(size as u32, (start - size) as u32);
    Ok(start as u32)
}

/// Grows the program's table from `size` (its size now) by `grow` null entries: through the
/// program's `__wasi_dl_table_grow` when it has one (wasm's `table.grow` fills the new entries
/// at once; wasmtime's host-side `Table::grow` sets them one by one), else from the host.
/// Either way a refusal and the embedder's resource limiter's error give the same error.
async fn grow_table<T: Send + 'static>(
    s: &mut Session<'_, '_, T>,
    name: &str,
    table: Table,
    size: u64,
    grow: u64,
) -> DlResult<()> {
    // (Formatted only on failure: this runs for every library that needs new slots.)
    let detail = || format!("cannot grow the program's table from {size} by {grow}");
    let stopped = || DlError::Limit {
        name: name.to_string(),
        what: "table size",
        detail: format!("{}: the embedder's resource limiter stopped it", detail()),
    };
    let refused = |why: &str| DlError::Limit {
        name: name.to_string(),
        what: "table size",
        // Far below `max_table_slots`, this is the table's own maximum: under the pooling
        // allocator, `table_elements` (20,000 by default) caps every table.
        detail: format!(
            "{}: {why}; its maximum is reached (under wasmtime's pooling allocator, \
             PoolingAllocationConfig::table_elements caps every table)",
            detail()
        ),
    };
    let mode = s.mode();
    let Some(export) = s.program()?.table_grow.clone() else {
        return match exec::grow_table(&mut s.caller, mode, table, grow, Ref::Func(None)).await {
            Ok(_) => Ok(()),
            Err(e) if is_refusal(&e) => Err(refused(&one_line(&e))),
            Err(e) => {
                // The embedder's resource limiter raised an error (`trap_on_grow_failure`, or
                // its own): like one raised while guest code runs, it stops the guest as itself.
                s.cx().fatal.get_or_insert(e);
                Err(stopped())
            }
        };
    };
    // The program's code may do anything, the loader's own calls included: what it says is
    // checked against the table and the loader's count of the slots it added.
    let added_before = s.cx().space.slots_added;
    let delta = u32::try_from(grow).map_err(|_| refused("more slots than a table holds"))?;
    let result = exec::call(&mut s.caller, mode, &export, delta).await;
    let after = table.size(&mut s.caller);
    let untouched = s.cx().space.slots_added == added_before;
    match result {
        Ok(previous) if untouched && u64::from(previous as u32) == size && after == size + grow => {
            Ok(())
        }
        // wasm's table.grow answers a refusal (the maximum, or a limiter that said no) with -1.
        Ok(-1) if untouched && after == size => {
            Err(refused(&format!("failed to grow table by `{grow}`")))
        }
        Ok(previous) => Err(DlError::Program(format!(
            "its {TABLE_GROW_EXPORT} broke its contract: asked to grow the table from {size} \
             by {grow}, it returned {previous}{}, and the table has {after} slots (the new \
             slots are left unused)",
            if untouched {
                ""
            } else {
                " after loading libraries itself"
            }
        ))),
        Err(e) => {
            // A limiter's error, the program's exit or an interruption is kept to be raised
            // again (by `guest_failure`): it stops the guest. A trap only fails this `dlopen`.
            let fatal = crate::error::is_fatal(&e);
            let reason = guest_failure(s, e);
            if fatal {
                return Err(stopped());
            }
            Err(DlError::Init {
                name: name.to_string(),
                phase: "growing the program's table",
                reason: format!("its {TABLE_GROW_EXPORT} failed: {reason}"),
            })
        }
    }
}

/// Whether a failed `Table::grow` is wasmtime's plain refusal (the table's maximum, or a
/// resource limiter that answered `Ok(false)`), which fails only this `dlopen`, rather than
/// an error the embedder's limiter returned. wasmtime tells the two apart only by its
/// message; the reliability test `a_limiter_error_on_the_loaders_table_growth_stops_the_guest`
/// notices if that changes.
fn is_refusal(err: &wasmtime::Error) -> bool {
    err.chain().count() == 1 && err.to_string().starts_with("failed to grow table by")
}

/// Clears `len` slots from `start` and gives them back.
pub(super) fn release_slots<T: Send + 'static>(s: &mut Session<'_, '_, T>, start: u32, len: u32) {
    if len == 0 {
        return;
    }
    if let Some(table) = s.cx().program.as_ref().map(|p| p.table) {
        for slot in start..start.saturating_add(len) {
            let _ = table.set(&mut s.caller, u64::from(slot), Ref::Func(None));
            s.cx().space.forget(slot);
        }
    }
    s.cx().space.release_slots(start, len);
}

/// Clears `len` slots from `start` (they stay reserved) and returns what they held.
pub(super) fn take_slots_contents<T: Send + 'static>(
    s: &mut Session<'_, '_, T>,
    start: u32,
    len: u32,
) -> Vec<Option<Func>> {
    let Some(table) = s.cx().program.as_ref().map(|p| p.table) else {
        return Vec::new();
    };
    let mut held = Vec::with_capacity(len as usize);
    for slot in start..start.saturating_add(len) {
        let func = super::func_in_slot(&mut s.caller, table, slot);
        if func.is_some() {
            let _ = table.set(&mut s.caller, u64::from(slot), Ref::Func(None));
        }
        held.push(func);
        s.cx().space.forget(slot);
    }
    held
}
