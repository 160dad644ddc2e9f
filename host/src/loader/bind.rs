//! Binding: every `GOT.mem` / `GOT.func` entry of a new library filled, once the whole
//! group's symbols are known (what makes dependency cycles work).

use wasmtime::Val;

use crate::error::{one_line, DlError, DlResult};
use crate::lookup::scope::{GotEntry, LibId, ScopeEntry, Symbol};
use crate::module::libmeta::LinkInfo;

use super::link::{resolve_in, slot_from};
use super::map::{release_slots, reserve_slots};
use super::Session;

/// Fills a library's GOT entries from the scope.
pub(super) async fn bind_got<T: Send + 'static>(
    s: &mut Session<'_, '_, T>,
    id: LibId,
    got: &[GotEntry],
) -> DlResult<()> {
    let order = s.cx().scope.lookup_order_for(id);
    // The entries' names are the library's import names.
    let compiled = s.cx().scope.lib(id)?.compiled.clone();
    let info = &compiled.info;
    let found: Vec<_> = got
        .iter()
        .map(|entry| resolve_in(s, id, &order, info.import_name(entry.import as usize), true))
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
    got: &[GotEntry],
    found: Vec<Option<(ScopeEntry, Symbol)>>,
    pool: &mut std::ops::Range<u32>,
) -> DlResult<()> {
    for (entry, found) in got.iter().zip(found) {
        let name = info.import_name(entry.import as usize);
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
            Some((owner, sym @ Symbol::Func { .. })) => {
                slot_from(s, owner, sym, name, pool).await?
            }
            None if entry.weak => 0,
            None => return Err(undefined(s, id, name)),
        };
        entry
            .global
            .set(&mut s.caller, Val::I32(value as i32))
            .map_err(|e| {
                DlError::Program(format!("internal: GOT update failed: {}", one_line(&e)))
            })?;
    }
    Ok(())
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
