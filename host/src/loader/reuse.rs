//! Reusing the instance of a closed library.
//!
//! wasmtime frees an instance only when its store is dropped. A program that opens and closes
//! libraries for its whole life (a plugin host, a request handler loading per request) would
//! otherwise grow host memory with every `dlopen`: the instance, its `GOT` globals, its host
//! stubs. So a library that unloads is *parked* instead: its instance keeps its data block and
//! table slots (its `__memory_base` and `__table_base` are immutable imports, so an instance
//! cannot move), and the next `dlopen` of the same module takes it back. Reviving resets what a
//! fresh instantiation would have set (the data block to the module's data segments, the
//! table range to its element segments), re-binds every `GOT` entry and runs the constructors
//! again: to the program the library is as new.
//!
//! A parked instance can only be revived if its direct function imports would resolve to the
//! same functions as before (the instance captured them); otherwise it is replaced by a fresh
//! one in the same block and slots. Modules whose state a fresh instantiation would set in a
//! way the host cannot redo (their own memory or table, passive data or element segments,
//! segments outside their block, their own mutable globals changed after their start
//! function) are never parked.
//!
//! The pool is bounded ([`crate::Limits::max_parked_libraries`] and `max_parked_bytes`): a
//! parked library holds guest memory and slots that the program does not see as free. When
//! the pool is full, or the program's memory or the table limit runs short, the oldest parked
//! libraries are released for real (their instances then stay in the store until it drops).
//!
//! This file parks and revives; the data (`Parked`, the pool) is `lookup::parked`, the image a
//! revived instance is reset to is `module::image`.

use wasmtime::Ref;

use crate::error::{one_line, DlError, DlResult};
use crate::lookup::parked::Parked;
use crate::lookup::scope::{LibId, ScopeEntry, Symbol};
use crate::trace;

use super::link::{defined_by_pending, materialise, resolve_in};
use super::map::{release_memory, release_slots};
use super::Session;

/// Brings a parked instance back for library `id` (which has its block and slots), as a fresh
/// instantiation would leave it. Returns false if its direct imports would now bind to other
/// functions: then the block is zeroed and the caller instantiates anew in the same place.
pub(super) fn revive<T: Send + 'static>(
    s: &mut Session<'_, '_, T>,
    id: LibId,
    parked: Parked,
) -> DlResult<bool> {
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
        let import_name = compiled.info.import_name(index as usize);
        let found = match defined_by_pending(s, &order, import_name)? {
            Some(_) => None,
            None => resolve_in(s, id, &order, import_name, false)
                .and_then(|found| materialise(s, import_name, found)),
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
        .data_mut(&mut s.caller)
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
            .set(&mut s.caller, u64::from(slot), Ref::Func(Some(*func)))
            .map_err(|e| {
                DlError::Program(format!("internal: table update failed: {}", one_line(&e)))
            })?;
        let key = func.to_raw(&mut s.caller) as usize;
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

/// Puts a closed library in the pool, releasing for real whatever the pool has no room for.
pub(super) async fn park<T: Send + 'static>(s: &mut Session<'_, '_, T>, parked: Parked) {
    let limits = s.cx().config.limits;
    let evicted = s
        .cx()
        .parked
        .admit(parked, limits.max_parked_libraries, limits.max_parked_bytes);
    for parked in evicted {
        release_parked(s, parked).await;
    }
}

/// Gives a parked library's block and slots back to the program; its instance is abandoned
/// (wasmtime frees it with the store).
async fn release_parked<T: Send + 'static>(s: &mut Session<'_, '_, T>, parked: Parked) {
    for &(slot, _) in &parked.extra {
        release_slots(s, slot, 1);
    }
    release_slots(s, parked.table_base, parked.table_size);
    release_memory(s, parked.mem_base, parked.mem_size).await;
}

pub(super) async fn release_all_parked<T: Send + 'static>(s: &mut Session<'_, '_, T>) {
    for parked in s.cx().parked.drain() {
        release_parked(s, parked).await;
    }
}
