//! `dlsym`: the cached answer that touches nothing, and the full lookup (which may give a
//! function its table slot).

use crate::ctx::WasiDlCtx;
use crate::error::{DlError, DlResult};
use crate::lookup::program;
use crate::lookup::scope::{
    LibId, ScopeEntry, Symbol, HANDLE_DEFAULT, HANDLE_NEXT, PROGRAM_HANDLE,
};

use super::link::{lookup, slot_for};
use super::Session;

// ---------------------------------------------------------------------------------------------
// dlsym

/// What a symbol is, as `dlsym` reports it (the ABI maps it to its own enum).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SymbolKind {
    Data,
    Function,
}

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
    let found = (provider.map_or(ScopeEntry::Program, ScopeEntry::Lib), sym);
    let (provider, sym) = match scope.unique_or(name, found) {
        (ScopeEntry::Lib(id), sym) => (Some(id), sym),
        (ScopeEntry::Program, sym) => (None, sym),
    };
    let answer = match sym {
        Symbol::Data { addr } => (SymbolKind::Data, addr),
        Symbol::Func { key, slot, .. } => {
            // (Until the program's own slots are noted, the full lookup notes them.)
            let noted = || {
                cx.space
                    .program_noted
                    .then(|| cx.space.slot_of.get(&key))
                    .flatten()
            };
            let slot = slot.or_else(|| noted().copied())?;
            (SymbolKind::Function, slot)
        }
        Symbol::Own { slot } => (SymbolKind::Function, slot),
        // It needs a slot: the full lookup gives it one.
        Symbol::Export { .. } => return None,
    };
    if let (HANDLE_DEFAULT, Some(provider)) = (handle, provider) {
        let caller = cx.scope.lib_at(caller_addr);
        cx.scope.note_default_lookup(caller, provider);
    }
    Some(answer)
}

pub(crate) async fn sym<T: Send + 'static>(
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
            HANDLE_NEXT => {
                let caller = scope.lib_at(caller_addr);
                let mut order = scope.next_after(caller);
                // glibc's search from a library reaches libc.so, not the program (which comes
                // before the library): of the program, where libc lives on wasm, only what
                // it exports for libc is "next".
                let own = cx.config.program_own.as_ref();
                if caller.is_some() && own.is_some_and(|own| program::is_own(own, name)) {
                    order.retain(|&e| e != ScopeEntry::Program);
                }
                (order, caller_name(cx, caller_addr))
            }
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
    let found = lookup(s, &order, name, true).map(|f| s.cx().scope.unique_or(name.as_bytes(), f));
    if let (HANDLE_DEFAULT, Some((ScopeEntry::Lib(provider), _))) = (handle, &found) {
        let scope = &mut s.cx().scope;
        let caller = scope.lib_at(caller_addr);
        scope.note_default_lookup(caller, *provider);
    }
    match found {
        Some((_, Symbol::Data { addr })) => Ok((SymbolKind::Data, addr)),
        Some((owner, sym @ (Symbol::Func { .. } | Symbol::Own { .. } | Symbol::Export { .. }))) => {
            Ok((SymbolKind::Function, slot_for(s, owner, sym, name).await?))
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
