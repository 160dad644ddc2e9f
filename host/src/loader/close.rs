//! Closing and releasing: a failed open rolled back, `dlclose` and the reachability pass that
//! unloads what nothing holds, destructors, and the block and slots given back.

use wasmtime::Val;

use crate::error::{DlError, DlResult};
use crate::lookup::parked::Parked;
use crate::lookup::scope::{LibId, LibState, PROGRAM_HANDLE};
use crate::trace;

use super::exec;
use super::map::{release_memory, release_slots, take_slots_contents};
use super::open::Group;
use super::reuse::park;
use super::{guest_failure, Session};

/// After a failed `dlopen`: the shadow stack pointer as it was when the import was called (a
/// trap in guest code leaves it where the trapping frames had moved it), the program's imports
/// it bound unbound, and everything it registered rolled back.
pub(super) async fn undo_failed_open<T: Send + 'static>(
    s: &mut Session<'_, '_, T>,
    group: &mut Group,
    stack_at_entry: Val,
) {
    if let Some(stack_pointer) = s.cx().program.as_ref().map(|p| p.stack_pointer) {
        let _ = stack_pointer.set(&mut s.caller, stack_at_entry);
    }
    super::startup::unbind(s, std::mem::take(&mut group.bound_imports));
    roll_back(s, group).await;
}

/// Undoes a failed `dlopen`: every library it registered goes, with its memory and slots.
///
/// A constructor of the group may have loaded another library (a nested `dlopen`) that needs
/// one of the group's: it cannot outlive what it needs, so it is unloaded first (destructors
/// included, while the group's libraries still exist), whatever references it holds.
async fn roll_back<T: Send + 'static>(s: &mut Session<'_, '_, T>, group: &Group) {
    let dependents = s.cx().scope.dependents_of(&group.registered);
    if !dependents.is_empty() {
        for &id in &dependents {
            if let Some(lib) = s.cx().scope.get_mut(id) {
                lib.open_count = 0;
                lib.nodelete = false;
            }
        }
        // The group's libraries are still `Loading`, hence kept; only the dependents go.
        let _ = unload_unreachable(s).await;
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
        let stack_at_entry = stack_pointer.get(&mut s.caller);
        for (_, base, end) in constructed {
            if s.cx().fatal.is_some() {
                break;
            }
            let mode = s.mode();
            if let Err(e) = exec::call(&mut s.caller, mode, &finalize, (base, end)).await {
                let _ = stack_pointer.set(&mut s.caller, stack_at_entry);
                guest_failure(s, e);
            }
        }
    }
    for &id in group.registered.iter().rev() {
        release_library(s, id).await;
    }
}

/// Forgets a library. Its instance is parked for reuse when it can be (holding its data block
/// and table slots); otherwise block and slots go back to the program.
async fn release_library<T: Send + 'static>(s: &mut Session<'_, '_, T>, id: LibId) {
    let Some(mut lib) = s.cx().scope.remove(id) else {
        return;
    };
    trace::unload(&lib.name);
    s.cx().emit_unloaded(&lib);
    let extra_slots = std::mem::take(&mut lib.extra_slots);
    // Taken from the pool but never linked: it goes back as it was.
    if let Some(parked) = lib.parked.take() {
        for slot in extra_slots {
            release_slots(s, slot, 1);
        }
        park(s, *parked).await;
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
            )
            .await;
        }
        _ => {
            for slot in extra_slots {
                release_slots(s, slot, 1);
            }
            release_slots(s, lib.table_base, lib.table_size);
            release_memory(s, lib.mem_base, lib.mem_size).await;
        }
    }
}

// ---------------------------------------------------------------------------------------------
// dlclose

pub(crate) async fn close<T: Send + 'static>(
    s: &mut Session<'_, '_, T>,
    handle: u32,
) -> DlResult<()> {
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
    unload_unreachable(s).await
}

/// Unloads every library nothing needs any more: destructors first (dependents before their
/// dependencies), then memory and slots. The outermost call repeats that until nothing more is
/// unneeded: destructors may have closed handles (see `close`).
async fn unload_unreachable<T: Send + 'static>(s: &mut Session<'_, '_, T>) -> DlResult<()> {
    let outermost = !std::mem::replace(&mut s.cx().unloading, true);
    let mut result = Ok(());
    loop {
        match unload_pass(s).await {
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
async fn unload_pass<T: Send + 'static>(s: &mut Session<'_, '_, T>) -> DlResult<bool> {
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
    let stack_at_entry = stack_pointer.get(&mut s.caller);
    let mut failure = None;
    for &id in &victims {
        let (base, end, name) = {
            let lib = s.cx().scope.lib(id)?;
            (lib.mem_base, lib.mem_end(), lib.display_name().to_string())
        };
        if let Some(finalize) = &finalize {
            if let Some(err) =
                finalize_library(s, finalize, (base, end, name), stack_at_entry).await
            {
                failure.get_or_insert(err);
            }
        }
    }
    for &id in &victims {
        release_library(s, id).await;
    }
    failure.map_or(Ok(true), Err)
}

/// Runs the destructors registered from the data block `[base, end)` of library `name`; if one
/// traps, puts the shadow stack pointer back (the trapping frames moved it) and says why.
async fn finalize_library<T: Send + 'static>(
    s: &mut Session<'_, '_, T>,
    finalize: &wasmtime::TypedFunc<(u32, u32), ()>,
    (base, end, name): (u32, u32, String),
    stack_at_entry: Val,
) -> Option<DlError> {
    let mode = s.mode();
    let e = exec::call(&mut s.caller, mode, finalize, (base, end))
        .await
        .err()?;
    if let Some(stack_pointer) = s.cx().program.as_ref().map(|p| p.stack_pointer) {
        let _ = stack_pointer.set(&mut s.caller, stack_at_entry);
    }
    Some(DlError::Init {
        name,
        phase: "running destructors",
        reason: guest_failure(s, e),
    })
}

/// At exit: every loaded library's pending destructors, in `_dl_fini` order (see
/// `Scope::fini_order`). Nothing is unloaded: the program is ending.
pub(crate) async fn fini<T: Send + 'static>(s: &mut Session<'_, '_, T>) -> DlResult<()> {
    let finalize = s.program()?.finalize.clone();
    let Some(finalize) = finalize else {
        return Ok(());
    };
    // Each nested round would run on a new fiber in an async store, which no stack limit
    // bounds: refused at once (a sync store would trap only once the host's stack ran out).
    if s.cx().finishing {
        return Err(DlError::FiniRunning);
    }
    s.cx().finishing = true;
    // glibc's _dl_fini takes a reference to every object it is going to finalize: a dlclose
    // from one of these destructors only drops a reference (that library is finalized in its
    // turn below), while a library such a destructor loads is closed, destructors included,
    // as at any other time.
    let order = s.cx().scope.fini_order();
    for &id in &order {
        if let Some(lib) = s.cx().scope.get_mut(id) {
            lib.open_count = lib.open_count.saturating_add(1);
        }
    }
    for &id in &order {
        if s.cx().fatal.is_some() {
            break;
        }
        let Some((base, end)) = s.cx().scope.get(id).map(|l| (l.mem_base, l.mem_end())) else {
            continue;
        };
        // A destructor that traps at exit ends the program as that trap (natively the process
        // dies of the signal): kept as fatal, it is raised again when the import returns,
        // instead of becoming an error code the exiting program would ignore.
        let mode = s.mode();
        if let Err(e) = exec::call(&mut s.caller, mode, &finalize, (base, end)).await {
            s.cx().fatal.get_or_insert(e);
        }
    }
    for &id in &order {
        if let Some(lib) = s.cx().scope.get_mut(id) {
            lib.open_count = lib.open_count.saturating_sub(1);
        }
    }
    s.cx().finishing = false;
    Ok(())
}
