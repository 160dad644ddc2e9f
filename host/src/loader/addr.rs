//! `dladdr`: which library, and which symbol of it, an address belongs to.

use crate::ctx::WasiDlCtx;
use crate::error::{DlError, DlResult};
use crate::lookup::program;
use crate::lookup::scope::{Symbol, PROGRAM_HANDLE};

use super::Session;

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

pub(crate) fn addr<T: Send + 'static>(
    s: &mut Session<'_, '_, T>,
    address: u32,
) -> DlResult<AddrFound> {
    s.program_slots()?;
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
        let names = program::ProgramNames::build(&mut s.caller, &exports);
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
    // A function made a `Func` has its slot noted; one in its library's own added slots may
    // not be made yet (`Symbol::Own`): its slot is its address.
    let key = cx.space.func_in.get(&address).copied();
    for &id in cx.scope.order() {
        let lib = cx.scope.lib(id)?;
        // A library's `main` is also exported under clang's name for it: `dladdr` says `main`.
        let named = lib.exports.iter().find_map(|(n, sym)| {
            let here = match *sym {
                Symbol::Func { key: k, .. } => Some(k) == key,
                Symbol::Own { slot } => slot == address,
                _ => false,
            };
            let alias = program::main_aliases("main")
                .iter()
                .any(|a| a.as_bytes() == n);
            (here && !alias).then(|| String::from_utf8_lossy(n).into_owned())
        });
        let end = lib.table_base.saturating_add(lib.table_size);
        let in_range = match key {
            Some(_) => address >= lib.table_base && address < end,
            // Not noted: only the own added slots may hold a function nobody asked for yet.
            None => lib.own_slot_range().contains(&address),
        };
        if named.is_some() || in_range || (key.is_some() && lib.extra_slots.contains(&address)) {
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
