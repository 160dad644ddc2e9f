//! Programs linked against side modules: `wasi-dl cc main.c -L. -lfoo` with a wasm `libfoo.so`.
//!
//! Such a program imports the library's functions from `env`, but the library can only be
//! placed in the program's memory and table once the program exists. So [`instantiate`] gives
//! the program a stub for each of those imports: a tiny generated module whose function *i*
//! is a `call_indirect` through entry *i* of its own table. The program's start-up code then
//! opens the libraries it was linked against (`RTLD_GLOBAL`, before its constructors, as the
//! dynamic linker does with NEEDED entries), and the loader, while linking the first library
//! that defines an imported name, points entry *i* at the definition. A call from the program
//! costs one direct call and one indirect call more than a call inside it.
//!
//! Data: the driver compiles such a program position-independently and links it with
//! `--unresolved-symbols=import-dynamic`, so its references to a library's data objects (and
//! the addresses it takes of the library's functions) go through `GOT.mem.NAME` /
//! `GOT.func.NAME` global imports. [`instantiate`] gives it a mutable global for each, and the
//! loader fills them, like the libraries' own GOT entries, when it links the first library of
//! a start-up load that defines the name; one the start-up load leaves undefined fails it (as
//! glibc's loader does), since the program would otherwise read through address 0.
//!
//! Function-pointer identity: a program that takes the address of such a function holds the
//! table slot wasm-ld gave the *import*. When the embedder handed over the program's bytes
//! ([`crate::WasiDlCtxBuilder::program_bytes`]), the loader knows those slots from the
//! element segments, stores the library's function in the slot and makes it that function's
//! one slot: the program's pointer, `dlsym` and the libraries' pointers then agree.

use rustc_hash::FxHashMap;
use wasmtime::{
    ExternType, Func, FuncType, Global, GlobalType, Instance, Linker, Module, Mutability, Ref,
    Store, Val, ValType,
};

use super::exec::{self, Mode};
use super::Session;
use crate::ctx::program_imports::{GotImport, Pending, ProgramImports};
use crate::ctx::WasiDlCtx;
use crate::error::{DlError, DlResult};
use crate::lookup::program::ExportNames;
use crate::lookup::scope::{LibId, ScopeEntry, Symbol};

/// An import bound by a `dlopen` in progress, with what to restore if it fails.
pub(crate) enum Bound {
    Func {
        name: Box<str>,
        pending: Pending,
        /// The program's table slot for the import and what it held before.
        program_slot: Option<(u32, Option<Func>)>,
    },
    /// A GOT entry, 0 until bound.
    Got { name: Box<str>, import: GotImport },
}

/// `linker.instantiate` for [`crate::instantiate`] and [`crate::instantiate_async`], plus stubs
/// for functions the program imports from `env` that nothing in `linker` defines (the functions
/// of side modules it was linked against; see the module docs).
pub(crate) async fn instantiate_in<T: Send + 'static>(
    mode: Mode,
    linker: &Linker<T>,
    store: &mut Store<T>,
    module: &Module,
    get_cx: impl Fn(&mut T) -> &mut WasiDlCtx,
) -> wasmtime::Result<Instance> {
    // Side modules see this linker's host functions, whenever they were defined.
    let cx = get_cx(store.data_mut());
    cx.linker = Some(std::sync::Arc::new(linker.clone()));
    cx.memory_export = module.get_export_index("memory");
    cx.export_names = ExportNames::of(module);
    let mut missing: Vec<(String, FuncType)> = Vec::new();
    let mut got_imports: Vec<(String, String)> = Vec::new();
    for import in module.imports() {
        let defined = |store: &mut Store<T>| {
            linker
                .get(&mut *store, import.module(), import.name())
                .is_ok()
        };
        match (import.module(), import.ty()) {
            ("env", ExternType::Func(ty)) if !defined(&mut *store) => {
                missing.push((import.name().to_string(), ty));
            }
            ("GOT.mem" | "GOT.func", ExternType::Global(g))
                if !defined(&mut *store)
                    && matches!(g.content(), ValType::I32)
                    && g.mutability() == Mutability::Var =>
            {
                got_imports.push((import.module().to_string(), import.name().to_string()));
            }
            _ => {}
        }
    }
    if missing.is_empty() && got_imports.is_empty() {
        return exec::link(linker, store, mode, module).await;
    }
    let Some(bytes) = stub_module(missing.iter().map(|(_, ty)| ty)) else {
        // A signature with reference types: no C library has one. Let instantiation say what
        // is missing.
        return exec::link(linker, store, mode, module).await;
    };
    let stubs_module = Module::new(store.engine(), bytes)?;
    let stubs = exec::instantiate(&mut *store, mode, &stubs_module, &[]).await?;
    let table = stubs
        .get_table(&mut *store, "table")
        .ok_or_else(|| wasmtime::Error::msg("the import stubs have no table"))?;
    let mut linker = linker.clone();
    let mut pending = FxHashMap::default();
    for (index, (name, ty)) in missing.into_iter().enumerate() {
        let index = u32::try_from(index).map_err(|_| wasmtime::Error::msg("too many imports"))?;
        let message = format!(
            "symbol lookup error: undefined symbol: {name} (the program was linked against a \
             library that should define it, and none loaded did)"
        );
        let unbound = Func::new(&mut *store, ty, move |_, _, _| {
            Err(crate::error::GuestTrap(message.clone()).into())
        });
        table.set(&mut *store, u64::from(index), Ref::Func(Some(unbound)))?;
        let stub = stubs
            .get_func(&mut *store, &format!("f{index}"))
            .ok_or_else(|| wasmtime::Error::msg("an import stub is missing"))?;
        linker.define(&mut *store, "env", &name, stub)?;
        pending.insert(name.into_boxed_str(), Pending { index, unbound });
    }
    let mut got = FxHashMap::default();
    for (got_module, name) in got_imports {
        let global = Global::new(
            &mut *store,
            GlobalType::new(ValType::I32, Mutability::Var),
            Val::I32(0),
        )?;
        linker.define(&mut *store, &got_module, &name, global)?;
        let import = GotImport {
            global,
            func: got_module == "GOT.func",
        };
        got.insert(name.into_boxed_str(), import);
    }
    get_cx(store.data_mut()).program_imports = Some(ProgramImports {
        table,
        pending,
        got,
        got_bound: 0,
    });
    exec::link(&linker, store, mode, module).await
}

/// `(module (table (export "table") N funcref) (func (export "f<i>") <ty_i>
///   local.get 0 .. i32.const i call_indirect <ty_i>) ...)`
fn stub_module<'a>(types: impl Iterator<Item = &'a FuncType>) -> Option<Vec<u8>> {
    use wasm_encoder::{
        CodeSection, ExportKind, ExportSection, Function, FunctionSection, Module, TableSection,
        TableType, TypeSection,
    };
    let mut type_section = TypeSection::new();
    let mut functions = FunctionSection::new();
    let mut exports = ExportSection::new();
    let mut codes = CodeSection::new();
    let mut count = 0u32;
    for (index, ty) in types.enumerate() {
        let index = u32::try_from(index).ok()?;
        let params: Vec<_> = ty
            .params()
            .map(|t| super::foreign::encoder_type(&t))
            .collect::<Option<_>>()?;
        let results: Vec<_> = ty
            .results()
            .map(|t| super::foreign::encoder_type(&t))
            .collect::<Option<_>>()?;
        // One type per function keeps the indices trivial; the engine deduplicates them.
        type_section
            .ty()
            .function(params.iter().copied(), results.iter().copied());
        functions.function(index);
        exports.export(&format!("f{index}"), ExportKind::Func, index);
        let mut body = Function::new([]);
        let mut code = body.instructions();
        for param in 0..params.len() as u32 {
            code.local_get(param);
        }
        code.i32_const(index as i32);
        code.call_indirect(0, index);
        code.end();
        codes.function(&body);
        count = index + 1;
    }
    let mut tables = TableSection::new();
    tables.table(TableType {
        element_type: wasm_encoder::RefType::FUNCREF,
        table64: false,
        minimum: u64::from(count),
        maximum: Some(u64::from(count)),
        shared: false,
    });
    exports.export("table", ExportKind::Table, 0);
    let mut module = Module::new();
    module
        .section(&type_section)
        .section(&functions)
        .section(&tables)
        .section(&exports)
        .section(&codes);
    Some(module.finish())
}

/// While an `RTLD_GLOBAL` `dlopen` links: points every pending program import that a library
/// of the group defines (first in the group's breadth-first order, the dynamic linker's
/// global order) at that definition. Runs after the group is instantiated and before its GOT
/// is bound, so the libraries take the program's slot as the function's one slot too. The
/// program now depends on those libraries: they are never unloaded.
/// What it bound goes to `bound`, for [`unbind`].
pub(crate) async fn bind_pending<T: Send + 'static>(
    s: &mut Session<'_, '_, T>,
    root: LibId,
    bound: &mut Vec<Bound>,
) -> DlResult<()> {
    let Some(imports) = s.cx().program_imports.as_ref() else {
        return Ok(());
    };
    if imports.pending.is_empty() && imports.got.is_empty() {
        return Ok(());
    }
    let stub_table = imports.table;
    // The program's slots change owner below: what they held is noted first.
    s.program_slots()?;
    let order = s.cx().scope.lib(root)?.search_list.clone();
    let mut definitions: Vec<(Box<str>, LibId, Symbol)> = Vec::new();
    {
        let cx = s.cx();
        let Some(imports) = cx.program_imports.as_ref() else {
            return Ok(());
        };
        for name in imports.pending.keys() {
            let definition = order.iter().find_map(|&id| {
                let sym = *cx.scope.get(id)?.exports.get(name.as_bytes())?;
                Some((id, sym))
            });
            if let Some((id, sym)) = definition {
                definitions.push((name.clone(), id, sym));
            }
        }
    }
    // The program's slot becomes their address: each is made a `Func` first.
    let mut found: Vec<(Box<str>, LibId, Func, usize)> = Vec::new();
    for (name, id, sym) in definitions {
        if let Some((_, Symbol::Func { func, key, .. })) =
            super::link::materialise(s, &name, (ScopeEntry::Lib(id), sym))
        {
            found.push((name, id, func, key));
        }
    }
    let program_table = s.program()?.table;
    for (name, provider, func, key) in found {
        let Some(pending) = s
            .cx()
            .program_imports
            .as_mut()
            .and_then(|i| i.pending.remove(&name))
        else {
            continue;
        };
        let table_error =
            |e: wasmtime::Error| DlError::Program(format!("internal: table update failed: {e}"));
        stub_table
            .set(
                &mut s.caller,
                u64::from(pending.index),
                Ref::Func(Some(func)),
            )
            .map_err(table_error)?;
        let slot = s.cx().config.import_slots.get(&name).copied();
        let program_slot = match slot {
            Some(slot) if u64::from(slot) < program_table.size(&s.caller) => {
                let before = super::func_in_slot(&mut s.caller, program_table, slot);
                program_table
                    .set(&mut s.caller, u64::from(slot), Ref::Func(Some(func)))
                    .map_err(table_error)?;
                let cx = s.cx();
                cx.space.forget(slot);
                // A function in its library's slots added at compile time takes the
                // program's slot as its address, as it does without them.
                let added = cx.scope.get(provider).is_some_and(|lib| {
                    let own = lib.own_slot_range();
                    cx.space
                        .slot_of
                        .get(&key)
                        .is_some_and(|at| own.contains(at))
                });
                if added {
                    cx.space.slot_of.insert(key, slot);
                    cx.space.func_in.insert(slot, key);
                } else {
                    cx.space.record(key, slot);
                }
                Some((slot, before))
            }
            _ => None,
        };
        let cx = s.cx();
        if let Some(lib) = cx.scope.get_mut(provider) {
            lib.nodelete = true;
            crate::trace::bind(&cx.config.program_name, &name, &lib.name);
        }
        bound.push(Bound::Func {
            name,
            pending,
            program_slot,
        });
    }
    bind_got(s, &order, bound).await
}

/// The program's GOT entries that a library of `order` defines (the first one, in order).
async fn bind_got<T: Send + 'static>(
    s: &mut Session<'_, '_, T>,
    order: &[LibId],
    bound: &mut Vec<Bound>,
) -> DlResult<()> {
    let mut found: Vec<(Box<str>, GotImport, LibId, Symbol)> = Vec::new();
    {
        let cx = s.cx();
        let Some(imports) = cx.program_imports.as_ref() else {
            return Ok(());
        };
        for (name, import) in &imports.got {
            let definition = order.iter().find_map(|&id| {
                let sym = *cx.scope.get(id)?.exports.get(name.as_bytes())?;
                Some((id, sym))
            });
            if let Some((id, sym)) = definition {
                found.push((name.clone(), *import, id, sym));
            }
        }
    }
    for (name, import, provider, sym) in found {
        let value = match sym {
            Symbol::Data { addr } if !import.func => addr,
            Symbol::Data { .. } => {
                return Err(DlError::Link {
                    library: s.cx().config.program_name.clone(),
                    import: format!("GOT.func.{name}"),
                    reason: "it is a data symbol, used as a function".into(),
                })
            }
            func @ (Symbol::Func { .. } | Symbol::Own { .. } | Symbol::Export { .. }) => {
                super::slot_for(s, ScopeEntry::Lib(provider), func, &name).await?
            }
        };
        import
            .global
            .set(&mut s.caller, Val::I32(value as i32))
            .map_err(|e| DlError::Program(format!("internal: GOT update failed: {e}")))?;
        let cx = s.cx();
        if let Some(imports) = cx.program_imports.as_mut() {
            imports.got.remove(&name);
            imports.got_bound += 1;
        }
        if let Some(lib) = cx.scope.get_mut(provider) {
            lib.nodelete = true;
            crate::trace::bind(&cx.config.program_name, &name, &lib.name);
        }
        bound.push(Bound::Got { name, import });
    }
    Ok(())
}

/// After the start-up load has filled the program's GOT: runs the program's
/// `__wasm_apply_data_relocs`, which wasm-ld writes for static data holding a library
/// object's address (`int *p = &foo_count;`), before any constructor can read it.
pub(crate) async fn apply_program_data_relocs<T: Send + 'static>(
    s: &mut Session<'_, '_, T>,
) -> DlResult<()> {
    if s.cx()
        .program_imports
        .as_ref()
        .is_none_or(|i| i.got_bound == 0)
    {
        return Ok(());
    }
    let Some(func) = s
        .caller
        .get_export("__wasm_apply_data_relocs")
        .and_then(wasmtime::Extern::into_func)
    else {
        return Ok(());
    };
    let name = s.cx().config.program_name.clone();
    let init = |reason: String| DlError::Init {
        name: name.clone(),
        phase: "applying the program's data relocations",
        reason,
    };
    let typed = func
        .typed::<(), ()>(&s.caller)
        .map_err(|e| init(format!("it has the wrong type: {e}")))?;
    let mode = s.mode();
    exec::call(&mut s.caller, mode, &typed, ())
        .await
        .map_err(|e| init(super::guest_failure(s, e)))
}

/// After the start-up load has linked: a data object (or function address) the program refers
/// to that none of its libraries defines fails the load, naming it, as glibc's loader does for
/// an undefined symbol of the executable.
pub(crate) fn check_program_got<T: Send + 'static>(s: &mut Session<'_, '_, T>) -> DlResult<()> {
    let cx = s.cx();
    let Some(imports) = cx.program_imports.as_ref() else {
        return Ok(());
    };
    match imports.got.keys().min() {
        Some(name) => Err(DlError::UndefinedSymbol {
            library: cx.config.program_name.clone(),
            symbol: name.to_string(),
        }),
        None => Ok(()),
    }
}

/// Undoes what a failed `dlopen` bound (its libraries are about to go).
pub(crate) fn unbind<T: Send + 'static>(s: &mut Session<'_, '_, T>, bound: Vec<Bound>) {
    let Some(stub_table) = s.cx().program_imports.as_ref().map(|i| i.table) else {
        return;
    };
    let program_table = s.cx().program.as_ref().map(|p| p.table);
    for bound in bound {
        let (name, pending, program_slot) = match bound {
            Bound::Func {
                name,
                pending,
                program_slot,
            } => (name, pending, program_slot),
            Bound::Got { name, import } => {
                let _ = import.global.set(&mut s.caller, Val::I32(0));
                if let Some(imports) = s.cx().program_imports.as_mut() {
                    imports.got.insert(name, import);
                    imports.got_bound = imports.got_bound.saturating_sub(1);
                }
                continue;
            }
        };
        let _ = stub_table.set(
            &mut s.caller,
            u64::from(pending.index),
            Ref::Func(Some(pending.unbound)),
        );
        if let (Some((slot, before)), Some(table)) = (program_slot, program_table) {
            let _ = table.set(&mut s.caller, u64::from(slot), Ref::Func(before));
            let key = before.map(|f| f.to_raw(&mut s.caller) as usize);
            let cx = s.cx();
            cx.space.forget(slot);
            if let Some(key) = key {
                cx.space.record(key, slot);
            }
        }
        if let Some(imports) = s.cx().program_imports.as_mut() {
            imports.pending.insert(name, pending);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasmtime::ValType;

    #[test]
    fn stubs_call_through_their_table() {
        let engine = wasmtime::Engine::default();
        let mut store = Store::new(&engine, ());
        let i32_to_i32 = FuncType::new(&engine, [ValType::I32], [ValType::I32]);
        let unit = FuncType::new(&engine, [], []);
        let bytes = stub_module([&unit, &i32_to_i32].into_iter()).unwrap();
        let module = Module::new(&engine, bytes).unwrap();
        let instance = Instance::new(&mut store, &module, &[]).unwrap();
        let table = instance.get_table(&mut store, "table").unwrap();
        let double = Func::wrap(&mut store, |x: i32| x * 2);
        table.set(&mut store, 1, Ref::Func(Some(double))).unwrap();
        let f1 = instance
            .get_typed_func::<i32, i32>(&mut store, "f1")
            .unwrap();
        assert_eq!(f1.call(&mut store, 21).unwrap(), 42);
        let f0 = instance.get_typed_func::<(), ()>(&mut store, "f0").unwrap();
        assert!(f0.call(&mut store, ()).is_err(), "an empty entry traps");
    }
}
