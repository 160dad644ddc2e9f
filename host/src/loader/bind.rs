//! Binding: every `GOT.mem` / `GOT.func` entry of a new library filled, once the whole
//! group's symbols are known (what makes dependency cycles work).

use wasmtime::Val;

use crate::error::{one_line, DlError, DlResult};
use crate::lookup::program::ExportNames;
use crate::lookup::scope::{GotEntry, LibId, ScopeEntry, Symbol};
use crate::module::libmeta::{name_hash, LinkInfo};
use crate::module::selfbind;

use super::exec;
use super::link::{program_symbol, resolve_in, slot_from};
use super::map::{release_slots, reserve_slots};
use super::{guest_failure, Session};

/// Fills a library's GOT entries from the scope.
pub(super) async fn bind_got<T: Send + 'static>(
    s: &mut Session<'_, '_, T>,
    id: LibId,
    got: &mut [GotEntry],
) -> DlResult<()> {
    let order = s.cx().scope.lookup_order_for(id);
    // The entries' names are the library's import names.
    let compiled = s.cx().scope.lib(id)?.compiled.clone();
    let info = &compiled.info;
    // The modules before the library itself in its lookup order: only they can interpose.
    let before = order
        .iter()
        .position(|&e| e == ScopeEntry::Lib(id))
        .unwrap_or(order.len());
    // An entry bound at compile time keeps the library's own function unless an earlier
    // module defines the name, or the function was given another address (the program's
    // slot, at start-up): hundreds of them, so they are checked without a full lookup, and
    // those that stand are left out of the work below.
    // The program's export names are taken out for the loop (and put back after it): asked
    // once per entry, hundreds of times.
    let mut program_names = s.cx().export_names.take();
    let mut found: Vec<(usize, Option<(ScopeEntry, Symbol)>)> = Vec::new();
    for (at, entry) in got.iter().enumerate() {
        let name = entry_name(info, entry);
        if let Some(own) = entry.own {
            if !entry.moved
                && own_address_stands(&s.cx().space, own)
                && !defined_before(s, &mut program_names, &order[..before], name)
            {
                continue;
            }
        }
        // The full lookup asks them too.
        s.cx().export_names = program_names;
        found.push((at, resolve_in(s, id, &order, name, true)));
        program_names = s.cx().export_names.take();
    }
    s.cx().export_names = program_names;
    // Functions without a slot yet get one each, from one reservation (one table growth, not
    // one per entry); what is left of it is given back. Which have one: the program's own
    // slots count.
    if found
        .iter()
        .any(|(_, f)| matches!(f, Some((_, Symbol::Func { slot: None, .. }))))
    {
        s.program_slots()?;
    }
    let space = &s.cx().space;
    let want = found
        .iter()
        .filter(|(_, f)| {
            matches!(f, Some((_, Symbol::Func { slot: None, key, .. }))
                if !space.slot_of.contains_key(key))
                // (It may have a slot already: then the reservation's rest is given back.)
                || matches!(f, Some((_, Symbol::Export { .. })))
        })
        .count() as u32;
    let mut pool = 0..0;
    if want > 0 {
        let space = &mut s.cx().space;
        space.slot_of.reserve(want as usize);
        space.func_in.reserve(want as usize);
        let library = s.cx().scope.lib(id)?.name.clone();
        let start = reserve_slots(s, &library, want, 1).await?;
        pool = start..start + want;
    }
    let bound = bind_got_entries(s, id, info, got, found, &mut pool).await;
    release_slots(s, pool.start, pool.end - pool.start);
    bound
}

async fn bind_got_entries<T: Send + 'static>(
    s: &mut Session<'_, '_, T>,
    id: LibId,
    info: &LinkInfo,
    got: &mut [GotEntry],
    found: Vec<(usize, Option<(ScopeEntry, Symbol)>)>,
    pool: &mut std::ops::Range<u32>,
) -> DlResult<()> {
    for (at, found) in found {
        let Some(entry) = got.get_mut(at) else {
            continue;
        };
        let name = entry_name(info, entry);
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
            Some((
                owner,
                sym @ (Symbol::Func { .. } | Symbol::Own { .. } | Symbol::Export { .. }),
            )) => slot_from(s, owner, sym, name, pool).await?,
            None if entry.weak => 0,
            None => return Err(undefined(s, id, name)),
        };
        // An entry bound at compile time is set only when interposed, or when it was.
        if let Some(own) = entry.own {
            if value == own && !entry.moved {
                continue;
            }
            entry.moved = value != own;
        }
        let reason = match entry.global {
            Some(global) => global
                .set(&mut s.caller, Val::I32(value as i32))
                .map_err(|e| one_line(&e)),
            // Guest code (the module's setter): an interrupt or exit there is kept as such.
            None => match set_own(s, id, entry.import, value).await {
                Ok(()) => Ok(()),
                Err(e) => Err(guest_failure(s, e)),
            },
        };
        reason
            .map_err(|reason| DlError::Program(format!("internal: GOT update failed: {reason}")))?;
    }
    Ok(())
}

/// Sets the library's own `GOT.func` entry `index` (bound at compile time) to `slot`, through
/// the function `selfbind` added for it (only for interposed symbols: rare).
async fn set_own<T: Send + 'static>(
    s: &mut Session<'_, '_, T>,
    id: LibId,
    index: u32,
    slot: u32,
) -> wasmtime::Result<()> {
    let instance = s
        .cx()
        .scope
        .lib(id)
        .ok()
        .and_then(|lib| lib.instance)
        .ok_or_else(|| wasmtime::format_err!("the library has no instance"))?;
    let setter =
        instance.get_typed_func::<(u32, u32), ()>(&mut s.caller, selfbind::SETTER_EXPORT)?;
    let mode = s.mode();
    exec::call(&mut s.caller, mode, &setter, (index, slot)).await
}

/// The symbol a GOT entry stands for.
/// Whether the function in own slot `own` still has that slot as its address: nothing made
/// it a `Func` yet (`Symbol::Own`), or it was, and no other slot became its address.
fn own_address_stands(space: &crate::lookup::space::Space, own: u32) -> bool {
    match space.func_in.get(&own) {
        None => true,
        Some(key) => space.slot_of.get(key) == Some(&own),
    }
}

/// Whether a module of `order` (those before the library) defines `name`, a name that is no
/// plumbing (the self-binding never binds one). `program_names`: the program's export names,
/// taken out of the context by the caller (`None` if it has none, or they are in the
/// context).
fn defined_before<T: Send + 'static>(
    s: &mut Session<'_, '_, T>,
    program_names: &mut Option<ExportNames>,
    order: &[ScopeEntry],
    name: &str,
) -> bool {
    // One hash of the name for every module asked.
    let hash = name_hash(name.as_bytes());
    order.iter().any(|&entry| match entry {
        ScopeEntry::Program => {
            let lacks = program_names
                .as_mut()
                .is_some_and(|names| names.lacks_hashed(&mut s.caller, name, hash));
            !lacks && program_symbol(s, name, false).is_some()
        }
        ScopeEntry::Lib(other) => s
            .cx()
            .scope
            .get(other)
            .is_some_and(|l| l.exports.contains_key_hashed(name.as_bytes(), hash)),
    })
}

fn entry_name<'a>(info: &'a LinkInfo, entry: &GotEntry) -> &'a str {
    match entry.own {
        Some(_) => info.self_got_name(entry.import as usize),
        None => info.import_name(entry.import as usize),
    }
}

pub(super) fn undefined<T: Send + 'static>(
    s: &mut Session<'_, '_, T>,
    id: LibId,
    symbol: &str,
) -> DlError {
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
