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
//!
//! One file per phase, in the order a `dlopen` meets them: [`open`](mod@open) (entry, the
//! group), [`fetch`](mod@fetch), [`map`], [`link`] (with [`foreign`]'s trampolines), [`bind`],
//! [`construct`]; [`close`](mod@close) (dlclose, roll back, release), [`reuse`] (park and
//! revive); [`sym`](mod@sym) and [`addr`](mod@addr) (`dlsym`, `dladdr`); [`startup`] (the
//! libraries a program was linked against). This file
//! holds what they share: the [`Session`] of one import call and the [`Glue`] of all of them.
//!
//! The phases are `async fn`s, one implementation for sync and async stores: every entry into
//! the store that may run guest code or ask a resource limiter goes through [`exec`], which
//! uses wasmtime's sync or `_async` API by the store's mode. A sync store's import drives the
//! loader's future to its end at once; an async store's import awaits it.

mod addr;
mod bind;
mod close;
mod construct;
pub(crate) mod exec;
mod fetch;
pub(crate) mod foreign;
mod link;
mod map;
mod open;
mod reuse;
pub(crate) mod startup;
mod sym;

use std::sync::Arc;

use wasmtime::{Extern, Linker, Ref};

use crate::ctx::WasiDlCtx;
use crate::error::{one_line, DlError, DlResult};
use crate::lookup::program::{Guest, Program};
use crate::module::cache::ModuleCache;

use exec::Mode;

pub(crate) use addr::addr;
pub(crate) use close::{close, fini};
pub(crate) use link::slot_for;
pub(crate) use open::{open, open_needed, OpenMode};
pub(crate) use sym::{sym, sym_cached, SymbolKind};

/// How the host finds its context in the store's data.
pub(crate) type GetCx<T> = dyn Fn(&mut T) -> &mut WasiDlCtx + Send + Sync;

/// What every import closure shares: how to find the context, the program's linker as it
/// was when wasi-dl was added (side modules' non-`env` imports come from it and nowhere else),
/// and the engine's default compile cache (held here, by the linker, so that it lives as long
/// as the linker and no longer: the linker holds the engine anyway).
pub(crate) struct Glue<T: 'static> {
    pub(crate) get_cx: Arc<GetCx<T>>,
    pub(crate) linker: Linker<T>,
    pub(crate) cache: ModuleCache,
    /// Which wasmtime API the loader enters the store with (see [`exec`]), fixed by the
    /// function that added wasi-dl to the linker.
    pub(crate) mode: Mode,
    /// Set when these imports were defined for one instance only ([`crate::instantiate`]
    /// gives each program its own): a number no other `Glue` has.
    pub(crate) instance: Option<u64>,
}

/// One import call (or one host preload): the program's store and exports, and the glue
/// shared by all calls.
pub(crate) struct Session<'c, 'a, T: 'static> {
    pub(crate) caller: Guest<'c, 'a, T>,
    pub(crate) glue: &'c Arc<Glue<T>>,
}

impl<T: Send + 'static> Session<'_, '_, T> {
    pub(crate) fn cx(&mut self) -> &mut WasiDlCtx {
        (self.glue.get_cx)(self.caller.data_mut())
    }

    /// Whether the caller is an instance other than the program this context is bound to: a
    /// second instance of a program in the same store, which shares the store's `WasiDlCtx`.
    /// Told by the imports it calls through when they were defined for one instance (see
    /// [`crate::instantiate`]), else by its memory (a side module reaches the loader through a
    /// trampoline that exports the program's memory; a call without a calling instance exports
    /// none): an instance of the program's module is asked by export index, any other caller
    /// by name.
    pub(crate) fn other_instance(&mut self) -> bool {
        let mine = self.glue.instance;
        let cx = self.cx();
        let Some(bound) = cx.program.as_ref().map(|p| p.memory) else {
            return false;
        };
        // Imports defined for one instance: the program's own, or another's.
        if let (Some(mine), Some(program)) = (mine, cx.program_imports_of) {
            return mine != program;
        }
        let indexed = cx.memory_export;
        let own = indexed
            .and_then(|export| self.caller.get_module_export(&export))
            .or_else(|| self.caller.get_export("memory"));
        let other = match own {
            Some(Extern::Memory(own)) => own.data_ptr(&self.caller) != bound.data_ptr(&self.caller),
            _ => false,
        };
        // The program calls through imports of its own (it was bound by a call through other
        // ones, or from the host): later calls through them need not ask again.
        if !other && mine.is_some() {
            self.cx().program_imports_of = mine;
        }
        other
    }

    /// Whether the store is entered with wasmtime's sync or async API.
    pub(crate) fn mode(&self) -> Mode {
        self.glue.mode
    }

    /// The program's contract exports, bound on first use.
    pub(crate) fn program(&mut self) -> DlResult<&mut Program> {
        if self.cx().program.is_none() {
            let program = Program::bind(&mut self.caller)?;
            let imports_of = self.glue.instance;
            let table_len = program.table.size(&mut self.caller);
            let cx = self.cx();
            cx.space.program_table_len = table_len;
            cx.program = Some(program);
            cx.program_imports_of = imports_of;
        }
        self.cx()
            .program
            .as_mut()
            .ok_or_else(|| DlError::Program("internal: no program".into()))
    }

    /// Notes, once, which function each slot of the program's own table holds: those keep
    /// their slot, since a pointer the program holds must equal what `dlsym` returns for the
    /// same function. Called before anything asks which slot a function has (a function
    /// given a slot, `dladdr`, start-up linking); a `dlopen` that gives no function a slot
    /// never reads the table (each first read of a slot makes wasmtime build a function
    /// reference, and touches the program's code metadata).
    pub(crate) fn program_slots(&mut self) -> DlResult<()> {
        if self.cx().space.program_noted {
            return Ok(());
        }
        let table = self.program()?.table;
        // The slots the program had when the loader first saw it: those the loader added
        // since are noted as it fills them.
        let size = self.cx().space.program_table_len;
        let mut found = Vec::new();
        for slot in 0..size as u32 {
            if let Some(f) = func_in_slot(&mut self.caller, table, slot) {
                found.push((f.to_raw(&mut self.caller) as usize, slot));
            }
        }
        let cx = self.cx();
        cx.space.reserve(found.len());
        for (key, slot) in found {
            cx.space.record(key, slot);
        }
        cx.space.program_noted = true;
        Ok(())
    }
}

/// The function in slot `slot` of `table`; `None` for an empty slot or one past the end.
pub(crate) fn func_in_slot(
    store: impl wasmtime::AsContextMut,
    table: wasmtime::Table,
    slot: u32,
) -> Option<wasmtime::Func> {
    match table.get(store, u64::from(slot))? {
        Ref::Func(func) => func,
        _ => None,
    }
}

/// Describes a failure of guest code the loader ran (the allocator, a start function, a
/// constructor or destructor). The program exiting there, or the embedder interrupting it, is
/// not a failed `dlopen`: the error is kept and raised again when the import returns.
fn guest_failure<T: Send + 'static>(s: &mut Session<'_, '_, T>, err: wasmtime::Error) -> String {
    let text = one_line(&err);
    if crate::error::is_fatal(&err) {
        s.cx().fatal.get_or_insert(err);
    }
    text
}

/// Names that belong to the linker's plumbing, never resolved as symbols between modules (one
/// list, which the module room's self-binding needs too).
use crate::module::libmeta::is_plumbing;
