//! Linking: each new library's imports built from the scope (symbols, late-binding stubs,
//! foreign imports through `foreign`'s trampolines), then its instantiation.

use std::sync::{Arc, OnceLock};

use wasmtime::{
    Caller, Extern, ExternType, Func, FuncType, Global, GlobalType, Linker, Mutability, Ref, Val,
    ValType,
};

use crate::error::{one_line, DlError, DlResult};
use crate::lookup::program;
use crate::lookup::scope::{GotEntry, LibId, ScopeEntry, Symbol};
use crate::trace;

use super::bind::bind_got;
use super::exec;
use super::foreign;
use super::map::reserve_slots;
use super::open::Group;
use super::reuse::revive;
use super::{guest_failure, is_plumbing, Session};

/// Phase 2: instantiate every new library, dependencies first; then phase 3, fill the GOTs.
/// `global_roots`: the libraries an RTLD_GLOBAL `dlopen` asked for (they may define functions
/// the program imports, see `startup`).
pub(super) async fn link_group<T: Send + 'static>(
    s: &mut Session<'_, '_, T>,
    group: &mut Group,
    lazy: bool,
    global_roots: &[LibId],
) -> DlResult<()> {
    {
        let cx = s.cx();
        for &id in &group.registered {
            let list = cx.scope.breadth_first(id);
            cx.scope.lib_mut(id)?.search_list = list;
        }
    }
    for &id in &group.post_order {
        instantiate(s, id, lazy).await?;
    }
    // Calls into a library of the group that was instantiated after the caller bind now, to
    // the definition the scope gives at load (as a relocation does), not at the first call.
    for &id in &group.post_order {
        let stubs = std::mem::take(&mut s.cx().scope.lib_mut(id)?.pending_stubs);
        let order = if stubs.is_empty() {
            Vec::new()
        } else {
            s.cx().scope.lookup_order_for(id)
        };
        for (symbol, ty, target, referenced) in stubs {
            let found = resolve_in(s, id, &order, &symbol, referenced)
                .and_then(|found| materialise(s, &symbol, found));
            if let Some((_, Symbol::Func { func, .. })) = found {
                if func.matches_ty(&s.caller, &ty) {
                    let _ = target.set(func);
                }
            }
        }
    }
    for &root in global_roots {
        super::startup::bind_pending(s, root, &mut group.bound_imports).await?;
    }
    // Every new library's symbols are known now (this is what makes cycles work).
    for &id in &group.post_order {
        let mut got = std::mem::take(&mut s.cx().scope.lib_mut(id)?.got);
        let bound = bind_got(s, id, &mut got).await;
        s.cx().scope.lib_mut(id)?.got = got;
        bound?;
    }
    Ok(())
}

/// Builds one library's imports and instantiates it (or revives its parked instance); its GOT
/// entries are left for [`bind_got`].
pub(super) async fn instantiate<T: Send + 'static>(
    s: &mut Session<'_, '_, T>,
    id: LibId,
    lazy: bool,
) -> DlResult<()> {
    if let Some(parked) = s.cx().scope.lib_mut(id)?.parked.take() {
        if revive(s, id, *parked)? {
            return Ok(());
        }
    }
    let (compiled, name, mem_base, table_base) = {
        let lib = s.cx().scope.lib(id)?;
        (
            lib.compiled.clone(),
            lib.display_name().to_string(),
            lib.mem_base,
            lib.table_base,
        )
    };
    let program = s.program()?;
    let (memory, table, stack_pointer, cxa_atexit, atexit) = (
        program.memory,
        program.table,
        program.stack_pointer,
        program.cxa_atexit,
        program.atexit.clone(),
    );
    // `module.field`, spelt out only for an error.
    let link_err = |module: &str, field: &str, reason: String| DlError::Link {
        library: name.clone(),
        import: format!("{module}.{field}"),
        reason,
    };
    // The same for every import of the library.
    let order = s.cx().scope.lookup_order_for(id);
    let mut imports = Vec::with_capacity(compiled.info.imports.len());
    let mut got = Vec::new();
    let mut direct = Vec::new();
    // A late-binding stub knows the library by handle, which a revived instance would not have.
    let mut has_stubs = false;
    // Function imports (by their index in the function index space) that got a late-binding
    // stub: a module that exports one of them exports no definition (see the exports below).
    let mut stubbed: Vec<u32> = Vec::new();
    let mut func_imports: u32 = 0;
    let got_type = GlobalType::new(ValType::I32, Mutability::Var);
    // The reader lists imports in module order; its `weak` also covers GOT entries, whose
    // IMPORT_INFO flags clang records under `env`.
    for (index, (import, described)) in compiled
        .module
        .imports()
        .zip(compiled.info.imports.iter())
        .enumerate()
    {
        let (module, field) = (import.module(), import.name());
        let weak = described.weak;
        let ty = import.ty();
        let func_index = func_imports;
        if matches!(ty, ExternType::Func(_)) {
            func_imports += 1;
        }
        let ext: Extern = match (module, field, &ty) {
            ("env", "memory", ExternType::Memory(_)) => memory.into(),
            ("env", "__indirect_function_table", ExternType::Table(_)) => table.into(),
            ("env", "__stack_pointer", ExternType::Global(_)) => stack_pointer.into(),
            ("env", "__memory_base", ExternType::Global(_)) => const_i32(s, mem_base)?.into(),
            ("env", "__table_base", ExternType::Global(_)) => const_i32(s, table_base)?.into(),
            // The same names with another kind of import (`env.memory` as a global, ...).
            ("env", "memory" | "__indirect_function_table" | "__stack_pointer" | "__memory_base" | "__table_base", _) => {
                let want = match field {
                    "memory" => "memory",
                    "__indirect_function_table" => "table",
                    _ => "global",
                };
                let have = match &ty {
                    ExternType::Func(_) => "function",
                    ExternType::Global(_) => "global",
                    ExternType::Table(_) => "table",
                    ExternType::Memory(_) => "memory",
                    _ => "tag",
                };
                return Err(link_err(module, field, format!("it must be imported as a {want}, not as a {have}")));
            }
            ("GOT.mem" | "GOT.func", _, ExternType::Global(g)) => {
                if !matches!(g.content(), ValType::I32) || g.mutability() != Mutability::Var {
                    return Err(link_err(module, field, "a GOT entry must be a mutable i32".into()));
                }
                let global = Global::new(&mut s.caller, got_type.clone(), Val::I32(0))
                    .map_err(|e| link_err(module, field, one_line(&e)))?;
                got.push(GotEntry {
                    global: Some(global),
                    // The name stays in the metadata (no copy per entry).
                    import: index as u32,
                    func: module == "GOT.func",
                    weak,
                    own: None,
                    moved: false,
                });
                global.into()
            }
            ("env", "__cxa_atexit", ExternType::Func(_)) if cxa_atexit.is_some() => {
                let func = cxa_atexit.ok_or_else(|| link_err(module, field, "missing".into()))?;
                func.into()
            }
            ("env", "atexit", ExternType::Func(ft)) if atexit.is_some() => {
                atexit_stub(s, atexit.clone(), mem_base, ft.clone()).into()
            }
            ("env", symbol, ExternType::Func(ft)) => {
                // An import nothing in the module uses (wasm-ld imports a library's own weak
                // definitions) binds without making its provider a dependency.
                // The first definition in scope order may be a library of this group that is
                // instantiated later (a cycle, or a sibling after this one): a late-binding
                // stub then finds it at the first call.
                let pending = defined_by_pending(s, &order, symbol)?;
                let found = match pending {
                    Some(_) => None,
                    None => resolve_in(s, id, &order, symbol, described.referenced)
                        .and_then(|found| materialise(s, symbol, found)),
                };
                // Defined by no module: a host function the embedder put under `env` in the
                // program's linker.
                if found.is_none() && pending.is_none() {
                    if let Ok(Extern::Func(func)) = foreign_import(s, module, symbol).await {
                        if !func.matches_ty(&s.caller, ft) {
                            let have = func.ty(&s.caller);
                            return Err(link_err(
                                module,
                                field,
                                format!("the host function has type {have}, the import expects {ft}"),
                            ));
                        }
                        trace::bind(&name, symbol, "host function");
                        imports.push(func.into());
                        continue;
                    }
                }
                match found {
                    Some((_, Symbol::Func { func, key, .. })) => {
                        if !func.matches_ty(&s.caller, ft) {
                            let have = func.ty(&s.caller);
                            return Err(link_err(
                                module,
                                field,
                                format!("the definition has type {have}, the import expects {ft}"),
                            ));
                        }
                        trace::bind(&name, symbol, "defined");
                        direct.push((index as u32, key));
                        func.into()
                    }
                    Some((_, Symbol::Data { .. })) => {
                        return Err(link_err(module, field, "it is a data symbol, called as a function".into()))
                    }
                    Some((_, Symbol::Own { .. } | Symbol::Export { .. })) => {
                        return Err(DlError::Program(format!("internal: {symbol} lost its function")))
                    }
                    None => {
                        if pending.is_none() && !weak && !lazy {
                            return Err(DlError::UndefinedSymbol { library: name.clone(), symbol: symbol.to_string() });
                        }
                        trace::bind(&name, symbol, if weak && pending.is_none() { "weak, undefined" } else { "lazy" });
                        has_stubs = true;
                        stubbed.push(func_index);
                        let (stub, target) = late_binding_stub(s, id, symbol, ft.clone())?;
                        if pending.is_some() {
                            // Bound as soon as the group is instantiated (`link_group`).
                            s.cx().scope.lib_mut(id)?.pending_stubs.push((
                                symbol.into(),
                                ft.clone(),
                                target,
                                described.referenced,
                            ));
                        }
                        stub.into()
                    }
                }
            }
            ("env", _, ExternType::Global(_)) => {
                return Err(DlError::Unsupported {
                    name: name.clone(),
                    reason: format!("it imports the global {module}.{field} (thread-local storage and other linker globals are not supported)"),
                })
            }
            // An exception tag (`__c_longjmp` for longjmp, `__cpp_exception` for C++): one
            // per program, shared like its memory, so a throw in any module reaches a catch in
            // any other.
            ("env", field, ExternType::Tag(want)) => {
                let tag = s.caller.get_export(field).and_then(Extern::into_tag).ok_or_else(|| {
                    link_err(module, field, "the program exports no such tag (build it with `wasi-dl cc`)".into())
                })?;
                let have = tag.ty(&s.caller);
                if !FuncType::eq(have.ty(), want.ty()) {
                    return Err(link_err(
                        module,
                        field,
                        format!("the program's tag has type {}, the import expects {}", have.ty(), want.ty()),
                    ));
                }
                tag.into()
            }
            ("env", _, _) => {
                return Err(link_err(module, field, "no such memory, table or tag in the program".into()))
            }
            (module, field, _) => foreign_import(s, module, field).await.map_err(|reason| link_err(module, field, reason))?,
        };
        imports.push(ext);
    }
    let mode = s.mode();
    let instance = exec::instantiate(&mut s.caller, mode, &compiled.module, &imports)
        .await
        .map_err(|e| DlError::Init {
            name: name.clone(),
            phase: "instantiation",
            reason: guest_failure(s, e),
        })?;

    // The `GOT.func` entries bound at compile time: the library's own globals, which
    // already hold its own slots; `bind_got` only moves those of interposed symbols.
    for (index, &offset) in (0u32..).zip(&compiled.info.self_got) {
        got.push(GotEntry {
            global: None,
            import: index,
            func: true,
            weak: false,
            own: Some(table_base.wrapping_add(offset)),
            moved: false,
        });
    }
    // Its exports, from the metadata: no `Func` is made until one is needed (`materialise`),
    // and a data symbol's address is its constant offset from the block.
    // (Plumbing names are never found in the table: the names' index leaves them out.)
    let info = &compiled.info;
    let mut exports = crate::lookup::exports::ExportTable::for_library(compiled.clone());
    for (func_index, at, own_slot) in info.function_exports_with_slots() {
        // An export of a function the module imports and nothing defined is no definition
        // (an undefined symbol, in ELF's terms): the late-binding stub behind it would find
        // itself when called and forward to itself without end, on the host's stack.
        if stubbed.binary_search(&func_index).is_ok() {
            continue;
        }
        let sym = match own_slot {
            Some(offset) => Symbol::Own {
                slot: table_base.wrapping_add(offset),
            },
            None => Symbol::Export { at },
        };
        exports.insert_export(at, sym);
    }
    for &(at, offset) in &info.data_exports {
        let offset = match offset {
            Some(offset) => Some(offset),
            // An initialiser the metadata could not evaluate: the instance's value.
            None => info
                .exports
                .get(at as usize)
                .filter(|name| !is_plumbing(name))
                .and_then(|name| instance.get_global(&mut s.caller, name))
                .and_then(|g| g.get(&mut s.caller).i32())
                .map(|v| v as u32),
        };
        if let Some(offset) = offset {
            let addr = mem_base.wrapping_add(offset);
            exports.insert_export(at, Symbol::Data { addr });
        }
    }
    // clang exports a C `main` as `__main_argc_argv`, or a `main(void)` as `__original_main`
    // beside a `main` wrapper of another type: the C name finds the function the source
    // defines, as it does in the program.
    let main = program::main_aliases("main")
        .iter()
        .find_map(|alias| exports.get(alias.as_bytes()).copied());
    if let Some(main) = main {
        exports.insert(b"main", main);
    }
    // The module's own element segments, read back (the added slots are known already).
    let table_size = compiled.info.mem.table_size;
    let added = compiled.info.own_slots.len() as u32;
    let mut slots = Vec::new();
    for slot in table_base..table_base.saturating_add(table_size.saturating_sub(added)) {
        if let Some(f) = super::func_in_slot(&mut s.caller, table, slot) {
            slots.push((f.to_raw(&mut s.caller) as usize, slot));
        }
    }
    let cx = s.cx();
    cx.space.reserve(slots.len());
    for (key, slot) in slots {
        cx.space.record(key, slot);
    }
    let lib = cx.scope.lib_mut(id)?;
    lib.instance = Some(instance);
    lib.exports = exports;
    lib.got = got;
    lib.direct = direct;
    lib.reusable = compiled.reset.is_ok() && !has_stubs;
    Ok(())
}

fn const_i32<T: Send + 'static>(s: &mut Session<'_, '_, T>, value: u32) -> DlResult<Global> {
    Global::new(
        &mut s.caller,
        GlobalType::new(ValType::I32, Mutability::Const),
        Val::I32(value as i32),
    )
    .map_err(|e| DlError::Program(format!("internal: {}", one_line(&e))))
}

/// An import from outside `env`/`GOT.*` (say `wasi_snapshot_preview1.fd_write`): only what the
/// program's own linker offers; functions behind a trampoline that shows them the program's
/// memory (see `foreign`), made once per program.
async fn foreign_import<T: Send + 'static>(
    s: &mut Session<'_, '_, T>,
    module: &str,
    field: &str,
) -> Result<Extern, String> {
    let key = (Box::<str>::from(module), Box::<str>::from(field));
    if let Some(ext) = s.cx().foreign.get(&key) {
        return Ok(ext.clone());
    }
    // The linker the program was instantiated with (`crate::instantiate`), else the one
    // wasi-dl was added to, as it was then.
    let refreshed = s.cx().linker.clone();
    let linker = refreshed
        .as_ref()
        .and_then(|l| l.downcast_ref::<Linker<T>>())
        .unwrap_or(&s.glue.linker);
    let ext = linker
        .get(&mut s.caller, module, field)
        .map_err(|_| "the program's linker does not provide it".to_string())?;
    let ext = match ext {
        Extern::Func(func) => {
            let memory = s.program().map_err(|e| e.to_string())?.memory;
            foreign::with_memory(&mut s.caller, s.glue.mode, memory, func)
                .await?
                .into()
        }
        other => other,
    };
    s.cx().foreign.insert(key, ext.clone());
    Ok(ext)
}

/// Whether a library of the group that is not instantiated yet defines `symbol` (a
/// dependency cycle): then calls go through a late-binding stub.
pub(super) fn defined_by_pending<T: Send + 'static>(
    s: &mut Session<'_, '_, T>,
    order: &[ScopeEntry],
    symbol: &str,
) -> DlResult<Option<LibId>> {
    for &entry in order {
        match entry {
            // A definition already known comes first: bind to it.
            ScopeEntry::Program => {
                if !is_plumbing(symbol) && program_symbol(s, symbol, false).is_some() {
                    return Ok(None);
                }
            }
            ScopeEntry::Lib(other) => {
                let lib = s.cx().scope.lib(other)?;
                if lib.instance.is_some() {
                    if lib.exports.contains_key(symbol.as_bytes()) {
                        return Ok(None);
                    }
                // A set of the file's export names (a hash lookup): a scan of the names,
                // once per import, is quadratic in a module with many of both (test attacks::
                // linking_many_imports_against_many_exports_is_not_quadratic).
                } else if lib.compiled.exports_name(symbol) {
                    return Ok(Some(other));
                }
            }
        }
    }
    Ok(None)
}

/// A function that finds its target when first called: for calls into a library of the same
/// group that is instantiated later (cycles), for RTLD_LAZY's deferred binding, and for weak
/// undefined functions (which trap if called).
fn late_binding_stub<T: Send + 'static>(
    s: &mut Session<'_, '_, T>,
    id: LibId,
    symbol: &str,
    ty: FuncType,
) -> DlResult<(Func, Arc<OnceLock<Func>>)> {
    let handle = s.cx().scope.lib(id)?.handle;
    let glue = s.glue.clone();
    let symbol = symbol.to_string();
    let target: Arc<OnceLock<Func>> = Arc::new(OnceLock::new());
    let bound = target.clone();
    let pick = move |caller: &mut Caller<'_, T>, _: &[Val]| -> wasmtime::Result<exec::Forward> {
        if let Some(func) = target.get() {
            return Ok((*func, None));
        }
        let cx = (glue.get_cx)(caller.data_mut());
        let table = cx.program.as_ref().map(|p| p.table);
        let found = cx.scope.by_handle(handle).ok().and_then(|id| {
            let order = cx.scope.lookup_order_for(id);
            let (provider, sym) = order.into_iter().find_map(|entry| match entry {
                // The program's exports were looked at when the library was linked.
                ScopeEntry::Program => None,
                ScopeEntry::Lib(other) => {
                    let lib = cx.scope.get(other)?;
                    let found = match *lib.exports.get(symbol.as_bytes())? {
                        Symbol::Data { .. } => return None,
                        Symbol::Export { at } => {
                            let export = lib.compiled.info.exports.get(at as usize)?;
                            (
                                Symbol::Export { at },
                                lib.instance.zip(Some(export.to_string())),
                            )
                        }
                        sym => (sym, None),
                    };
                    Some((other, found))
                }
            })?;
            cx.scope.note_binding(id, provider);
            Some(sym)
        });
        // A function not made yet is taken from its slot or its instance; the library's
        // symbol table is left as it is (the stub keeps what it found).
        let found = match found {
            Some((Symbol::Func { func, .. }, _)) => Some(func),
            Some((Symbol::Own { slot }, _)) => {
                table.and_then(|table| super::func_in_slot(&mut *caller, table, slot))
            }
            Some((Symbol::Export { .. }, Some((instance, export)))) => {
                instance.get_func(&mut *caller, &export)
            }
            _ => None,
        };
        let Some(func) = found else {
            let cx = (glue.get_cx)(caller.data_mut());
            let library = cx
                .scope
                .by_handle(handle)
                .ok()
                .and_then(|id| cx.scope.get(id))
                .map(|l| l.display_name().to_string())
                .unwrap_or_else(|| format!("library {handle:#x}"));
            return Err(crate::error::GuestTrap(format!(
                "symbol lookup error: {library}: undefined symbol: {symbol}"
            ))
            .into());
        };
        let _ = target.set(func);
        Ok((func, None))
    };
    let mode = s.mode();
    let depth = s.cx().forwarding.clone();
    let func = exec::forwarder(&mut s.caller, mode, ty, depth, pick);
    Ok((func, bound))
}

/// A library's `atexit(fn)`: the program's `__wasi_dl_atexit(fn, dso)` with the library's
/// data block as `dso`, so that the handler runs when the library is unloaded (as in glibc),
/// not after it is gone.
fn atexit_stub<T: Send + 'static>(
    s: &mut Session<'_, '_, T>,
    register: Option<wasmtime::TypedFunc<(u32, u32), i32>>,
    dso: u32,
    ty: FuncType,
) -> Func {
    let mode = s.mode();
    let register = register.map(|r| *r.func());
    let depth = s.cx().forwarding.clone();
    exec::forwarder(&mut s.caller, mode, ty, depth, move |_, params| {
        let handler = params.first().and_then(Val::i32).unwrap_or(0);
        match register {
            Some(register) => Ok((
                register,
                Some(vec![Val::I32(handler), Val::I32(dso as i32)]),
            )),
            None => Err(crate::error::GuestTrap(
                "atexit: the program has no __wasi_dl_atexit".into(),
            )
            .into()),
        }
    })
}

/// Finds `symbol` for library `id` along `order`, its lookup order
/// (`Scope::lookup_order_for(id)`), which a caller resolving many symbols computes once.
/// `used`: the library really refers to the symbol, so its provider becomes a dependency
/// (glibc's relocation-based dependencies).
pub(super) fn resolve_in<T: Send + 'static>(
    s: &mut Session<'_, '_, T>,
    id: LibId,
    order: &[ScopeEntry],
    symbol: &str,
    used: bool,
) -> Option<(ScopeEntry, Symbol)> {
    // Linking asks the program for every name a library imports, most of them the library's
    // own or another library's: a miss costs a lookup, not an allocation in the miss memo
    // (which is for `dlsym`'s repeated questions).
    let found =
        lookup(s, order, symbol, false).map(|f| s.cx().scope.bind_unique(symbol.as_bytes(), f));
    if let (true, Some((ScopeEntry::Lib(provider), _))) = (used, found) {
        s.cx().scope.note_binding(id, provider);
    }
    found
}

/// The first definition of `name` along `order`. `remember_miss`: note in the program's miss
/// memo that the program does not define `name`.
pub(super) fn lookup<T: Send + 'static>(
    s: &mut Session<'_, '_, T>,
    order: &[ScopeEntry],
    name: &str,
    remember_miss: bool,
) -> Option<(ScopeEntry, Symbol)> {
    if is_plumbing(name) {
        return None;
    }
    for &entry in order {
        let found = match entry {
            ScopeEntry::Program => program_symbol(s, name, remember_miss),
            ScopeEntry::Lib(id) => s
                .cx()
                .scope
                .get(id)
                .and_then(|l| l.exports.get(name.as_bytes()).copied()),
        };
        if let Some(sym) = found {
            return Some((entry, sym));
        }
    }
    None
}

/// `found` (from [`lookup`] or [`resolve_in`]) with a library's function made a `Func`, for
/// what needs one (an import to pass, a table entry to set, an identity to compare). The
/// library's symbol table keeps the `Func`. `None` if the function is gone from its slot or
/// instance (an internal error the callers report as a missing symbol).
pub(super) fn materialise<T: Send + 'static>(
    s: &mut Session<'_, '_, T>,
    name: &str,
    found: (ScopeEntry, Symbol),
) -> Option<(ScopeEntry, Symbol)> {
    let (ScopeEntry::Lib(id), sym @ (Symbol::Own { .. } | Symbol::Export { .. })) = found else {
        return Some(found);
    };
    let func = match sym {
        Symbol::Own { slot } => {
            let table = s.program().ok()?.table;
            super::func_in_slot(&mut s.caller, table, slot)?
        }
        Symbol::Export { at } => {
            let lib = s.cx().scope.get(id)?;
            let instance = lib.instance?;
            let compiled = lib.compiled.clone();
            let export = compiled.info.exports.get(at as usize)?;
            instance.get_func(&mut s.caller, export)?
        }
        _ => return Some(found),
    };
    let key = func.to_raw(&mut s.caller) as usize;
    let cx = s.cx();
    if let Symbol::Own { slot } = sym {
        cx.space.record(key, slot);
    }
    let made = Symbol::Func {
        func,
        key,
        slot: None,
    };
    if let Some(entry) = cx
        .scope
        .get_mut(id)
        .and_then(|lib| lib.exports.get_mut(name.as_bytes()))
    {
        *entry = made;
    }
    Some((found.0, made))
}

pub(super) fn program_symbol<T: Send + 'static>(
    s: &mut Session<'_, '_, T>,
    name: &str,
    remember_miss: bool,
) -> Option<Symbol> {
    s.cx().program.as_ref()?;
    // Most names a library binds are not the program's: answered from its export names first
    // (one hash; nothing to remember, the answer is as quick).
    let mut names = s.cx().export_names.take();
    let known_missing = names.as_mut().is_some_and(|n| n.lacks(&mut s.caller, name));
    s.cx().export_names = names;
    if known_missing {
        return None;
    }
    let program = s.cx().program.as_ref()?;
    if let Some(sym) = program.symbols.get(name.as_bytes()) {
        return Some(*sym);
    }
    if program.missing.contains(name.as_bytes()) {
        return None;
    }
    let found = program::main_aliases(name)
        .iter()
        .find_map(|alias| program::find_export(&mut s.caller, alias))
        .or_else(|| program::find_export(&mut s.caller, name));
    let program = s.cx().program.as_mut()?;
    match found {
        Some(sym) => {
            program.symbols.insert(name.as_bytes().into(), sym);
        }
        None if !remember_miss => {}
        // The memo holds names, not their count only: a long one is not kept (a guest could
        // otherwise make the host keep its limit's worth of names of any length).
        None if name.len() > program::MISSING_NAME_MAX => {}
        None => {
            if program.missing.len() >= program::MISSING_CACHE_LIMIT {
                program.missing.clear();
            }
            program.missing.insert(name.as_bytes().into());
        }
    }
    found
}

/// The table slot of a function, giving it one if it has none yet. `owner` is where the
/// symbol was found: a slot given to a library's function is freed with the library; slots of
/// the program's own functions stay for the program's life.
pub(crate) async fn slot_for<T: Send + 'static>(
    s: &mut Session<'_, '_, T>,
    owner: ScopeEntry,
    sym: Symbol,
    name: &str,
) -> DlResult<u32> {
    slot_from(s, owner, sym, name, &mut (0..0)).await
}

/// [`slot_for`], taking a new slot from `pool` (reserved slots) while it lasts.
pub(super) async fn slot_from<T: Send + 'static>(
    s: &mut Session<'_, '_, T>,
    owner: ScopeEntry,
    sym: Symbol,
    name: &str,
    pool: &mut std::ops::Range<u32>,
) -> DlResult<u32> {
    let sym = match sym {
        // Its own slot is its address (see `Symbol::Own`).
        Symbol::Own { slot } => return Ok(slot),
        Symbol::Export { .. } => materialise(s, name, (owner, sym)).map_or(sym, |(_, made)| made),
        _ => sym,
    };
    let Symbol::Func { func, key, slot } = sym else {
        return Err(DlError::Program(format!(
            "internal: {name} is not a function"
        )));
    };
    if let Some(slot) = slot {
        return Ok(slot);
    }
    s.program_slots()?;
    if let Some(&slot) = s.cx().space.slot_of.get(&key) {
        return Ok(slot);
    }
    let slot = match pool.next() {
        Some(slot) => slot,
        None => reserve_slots(s, name, 1, 1).await?,
    };
    let table = s.program()?.table;
    table
        .set(&mut s.caller, u64::from(slot), Ref::Func(Some(func)))
        .map_err(|e| {
            DlError::Program(format!("internal: table update failed: {}", one_line(&e)))
        })?;
    let cx = s.cx();
    cx.space.record(key, slot);
    let cached = match owner {
        ScopeEntry::Lib(id) => cx.scope.get_mut(id).and_then(|lib| {
            lib.extra_slots.push(slot);
            lib.exports.get_mut(name.as_bytes())
        }),
        ScopeEntry::Program => cx
            .program
            .as_mut()
            .and_then(|p| p.symbols.get_mut(name.as_bytes())),
    };
    if let Some(Symbol::Func { slot: cached, .. }) = cached {
        *cached = Some(slot);
    }
    Ok(slot)
}
