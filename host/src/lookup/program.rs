//! The main program, as the loader sees it: the exports the main-program contract asks for
//! (see docs/DESIGN.md), found once through the caller at its first `wasi_dl` call (or the
//! host's first preload), and its symbols, looked up by name on demand.

use std::collections::HashMap;

use wasmtime::{
    AsContext, AsContextMut, Caller, Engine, Extern, Func, Global, Instance, Memory, ModuleExport,
    Mutability, StoreContext, StoreContextMut, Table, TypedFunc, ValType,
};

use crate::error::{DlError, DlResult};
use crate::lookup::scope::Symbol;

/// How the loader reaches the program: through the `Caller` of a `wasi_dl` import (the
/// guest's own `dlopen`), or through the store and the program's instance (a load the host
/// asks for, [`crate::preload`]). Both are a store context with the program's exports.
pub(crate) enum Guest<'c, 'a, T: 'static> {
    Call(&'c mut Caller<'a, T>),
    Host {
        store: StoreContextMut<'c, T>,
        instance: Instance,
    },
}

impl<T: 'static> Guest<'_, '_, T> {
    /// The export `name` of the calling instance (for a side module's call through a
    /// trampoline, only `memory`), or of the program's instance.
    pub(crate) fn get_export(&mut self, name: &str) -> Option<Extern> {
        match self {
            Guest::Call(caller) => caller.get_export(name),
            Guest::Host { store, instance } => instance.get_export(&mut *store, name),
        }
    }

    /// [`Guest::get_export`] by a module's export index: no lookup by name. `None` also when
    /// the instance is not of that module.
    pub(crate) fn get_module_export(&mut self, export: &ModuleExport) -> Option<Extern> {
        match self {
            Guest::Call(caller) => caller.get_module_export(export),
            Guest::Host { store, instance } => instance.get_module_export(&mut *store, export),
        }
    }

    pub(crate) fn engine(&self) -> &Engine {
        match self {
            Guest::Call(caller) => caller.engine(),
            Guest::Host { store, .. } => store.engine(),
        }
    }

    pub(crate) fn data_mut(&mut self) -> &mut T {
        match self {
            Guest::Call(caller) => caller.data_mut(),
            Guest::Host { store, .. } => store.data_mut(),
        }
    }
}

impl<T: 'static> AsContext for Guest<'_, '_, T> {
    type Data = T;

    fn as_context(&self) -> StoreContext<'_, T> {
        match self {
            Guest::Call(caller) => caller.as_context(),
            Guest::Host { store, .. } => store.as_context(),
        }
    }
}

impl<T: 'static> AsContextMut for Guest<'_, '_, T> {
    fn as_context_mut(&mut self) -> StoreContextMut<'_, T> {
        match self {
            Guest::Call(caller) => caller.as_context_mut(),
            Guest::Host { store, .. } => store.as_context_mut(),
        }
    }
}

pub(crate) struct Program {
    pub(crate) memory: Memory,
    pub(crate) table: Table,
    pub(crate) stack_pointer: Global,
    /// `__wasi_dl_alloc(size, align) -> ptr`: the program's allocator.
    pub(crate) alloc: TypedFunc<(u32, u32), u32>,
    /// `__wasi_dl_free(ptr)`.
    pub(crate) free: TypedFunc<u32, ()>,
    /// `__wasi_dl_cxa_atexit`: what side modules' `__cxa_atexit` resolves to.
    pub(crate) cxa_atexit: Option<Func>,
    /// `__wasi_dl_atexit(fn, dso)`: what a side module's `atexit` resolves to (through a
    /// per-library stub that supplies the library's data block as `dso`).
    pub(crate) atexit: Option<TypedFunc<(u32, u32), i32>>,
    /// `__wasi_dl_finalize(base, end)`: runs the destructors registered from a data block.
    pub(crate) finalize: Option<TypedFunc<(u32, u32), ()>>,
    /// `__wasi_dl_late_destructor(base, end, slot)`: tells the program that the function in
    /// `slot`, registered from the data block `[base, end)`, is a library's
    /// `__attribute__((destructor))` functions (see `dylink::late_destructor_offsets`).
    pub(crate) late_destructor: Option<TypedFunc<(u32, u32, u32), ()>>,
    /// `__wasi_dl_table_grow(delta) -> previous size or -1`: grows the program's table with
    /// wasm's own `table.grow` (optional: without it the host grows the table itself, one
    /// element at a time).
    pub(crate) table_grow: Option<TypedFunc<u32, i32>>,
    /// Start of the program's static data (`__global_base`, 0 if not exported).
    pub(crate) data_start: u32,
    /// End of the program's static data (`__data_end`, else `__heap_base`), when exported:
    /// `dladdr` attributes addresses from `data_start` to it to the program.
    pub(crate) data_end: Option<u32>,
    /// Symbols already looked up. The program's exports never change, so both answers can be
    /// kept; misses are bounded, since a guest chooses the names it asks for.
    pub(crate) symbols: crate::lookup::scope::SymbolTable,
    pub(crate) missing: rustc_hash::FxHashSet<Box<[u8]>>,
    /// For `dladdr`: the program's named functions and data, built on first use.
    pub(crate) names: Option<ProgramNames>,
}

/// The program's exports by address, for `dladdr`.
#[derive(Default)]
pub(crate) struct ProgramNames {
    pub(crate) functions: HashMap<crate::lookup::space::FuncKey, String>,
    pub(crate) data: std::collections::BTreeMap<u32, String>,
}

impl ProgramNames {
    pub(crate) fn build<T: 'static>(
        caller: &mut Guest<'_, '_, T>,
        exports: &[String],
    ) -> ProgramNames {
        let mut names = ProgramNames::default();
        for name in exports {
            // clang's names for the C `main` (with and without argc/argv): `dladdr` of `main`
            // names it `main`, as `dlsym` finds it by that name.
            if main_aliases("main").contains(&name.as_str()) {
                if let Some(Symbol::Func { key, .. }) = find_export(caller, name) {
                    names.functions.insert(key, "main".to_string());
                }
                continue;
            }
            if name.starts_with("__") || name == "memory" || name == "_start" {
                continue;
            }
            match find_export(caller, name) {
                Some(Symbol::Func { key, .. }) => {
                    names.functions.entry(key).or_insert_with(|| name.clone());
                }
                Some(Symbol::Data { addr }) => {
                    names.data.entry(addr).or_insert_with(|| name.clone());
                }
                // (Only libraries' symbols are made lazily.)
                Some(Symbol::Own { .. } | Symbol::Export { .. }) | None => {}
            }
        }
        names
    }
}

fn missing(what: &str, hint: &str) -> DlError {
    DlError::Program(format!(
        "it does not export {what} ({hint}; build it with `wasi-dl cc`)"
    ))
}

impl Program {
    /// Finds the contract's exports in the calling instance.
    pub(crate) fn bind<T: 'static>(caller: &mut Guest<'_, '_, T>) -> DlResult<Program> {
        let memory = match caller.get_export("memory") {
            Some(Extern::Memory(m)) => m,
            Some(Extern::SharedMemory(_)) => {
                return Err(DlError::Program(
                    "shared memories are not supported yet".into(),
                ))
            }
            _ => return Err(missing("its memory", "the default for wasm-ld")),
        };
        let table = caller
            .get_export("__indirect_function_table")
            .and_then(Extern::into_table)
            .ok_or_else(|| missing("__indirect_function_table", "link with -Wl,--export-table"))?;
        let stack_pointer = caller
            .get_export("__stack_pointer")
            .and_then(Extern::into_global)
            .filter(|g| {
                let ty = g.ty(&mut *caller);
                ty.mutability() == Mutability::Var && matches!(ty.content(), ValType::I32)
            })
            .ok_or_else(|| missing("__stack_pointer", "link with -Wl,--export=__stack_pointer"))?;
        let alloc = typed::<T, (u32, u32), u32>(caller, "__wasi_dl_alloc")?
            .ok_or_else(|| missing("__wasi_dl_alloc", "link the wasi-dl guest library"))?;
        let free = typed::<T, u32, ()>(caller, "__wasi_dl_free")?
            .ok_or_else(|| missing("__wasi_dl_free", "link the wasi-dl guest library"))?;
        let finalize = typed::<T, (u32, u32), ()>(caller, "__wasi_dl_finalize")?;
        let late_destructor = typed::<T, (u32, u32, u32), ()>(caller, "__wasi_dl_late_destructor")?;
        let table_grow = typed::<T, u32, i32>(caller, TABLE_GROW_EXPORT)?;
        let cxa_atexit = caller
            .get_export("__wasi_dl_cxa_atexit")
            .and_then(Extern::into_func);
        let atexit = typed::<T, (u32, u32), i32>(caller, "__wasi_dl_atexit")?;
        let mut address_of = |name: &str| {
            caller
                .get_export(name)
                .and_then(Extern::into_global)
                .and_then(|g| g.get(&mut *caller).i32())
                .map(|v| v as u32)
        };
        // The static data only: not the stack, which wasm-ld puts after the data (or before
        // it, with --stack-first), nor the heap.
        let data_end = address_of("__data_end").or_else(|| address_of("__heap_base"));
        let data_start = address_of("__global_base").unwrap_or(0);
        Ok(Program {
            memory,
            table,
            stack_pointer,
            alloc,
            free,
            cxa_atexit,
            atexit,
            finalize,
            late_destructor,
            table_grow,
            data_start,
            data_end,
            symbols: rustc_hash::FxHashMap::default(),
            missing: Default::default(),
            names: None,
        })
    }
}

/// The optional contract export that grows the program's table (see [`Program::table_grow`]).
pub(crate) const TABLE_GROW_EXPORT: &str = "__wasi_dl_table_grow";

/// How many names a program's miss cache holds before it starts over.
pub(crate) const MISSING_CACHE_LIMIT: usize = 4096;

/// The longest name the miss cache keeps (C++ names included); so it holds at most 4 MiB.
pub(crate) const MISSING_NAME_MAX: usize = 1024;

fn typed<T: 'static, P: wasmtime::WasmParams, R: wasmtime::WasmResults>(
    caller: &mut Guest<'_, '_, T>,
    name: &str,
) -> DlResult<Option<TypedFunc<P, R>>> {
    let Some(func) = caller.get_export(name).and_then(Extern::into_func) else {
        return Ok(None);
    };
    func.typed::<P, R>(&*caller)
        .map(Some)
        .map_err(|e| DlError::Program(format!("its export {name} has the wrong type: {e}")))
}

/// The export names the program's C `main` goes by, for a lookup of `main`: clang calls a
/// `main(argc, argv)` `__main_argc_argv` on wasm, and a `main(void)` `__original_main` (its
/// `main` export is then libc's shim, which a program's `&main` is not).
pub(crate) fn main_aliases(name: &str) -> &'static [&'static str] {
    if name == "main" {
        &["__main_argc_argv", "__original_main"]
    } else {
        &[]
    }
}

/// The custom section in which `wasi-dl cc` lists the program's own exports, one name per
/// line (the toolchain's `OWN_SECTION`): the rest of its exports are libc's and the runtime's.
pub(crate) const OWN_SECTION: &str = "wasi_dl_own";

/// The names in the program's [`OWN_SECTION`] sections, or `None` when it has none (a program
/// not linked by `wasi-dl cc`, or unreadable bytes): then nothing is known to be the
/// program's own. Names that are not UTF-8 are skipped.
pub(crate) fn own_names(bytes: &[u8]) -> Option<rustc_hash::FxHashSet<Box<str>>> {
    use wasmparser::{Parser, Payload};
    let mut names: Option<rustc_hash::FxHashSet<Box<str>>> = None;
    for payload in Parser::new(0).parse_all(bytes) {
        let Payload::CustomSection(section) = payload.ok()? else {
            continue;
        };
        if section.name() != OWN_SECTION {
            continue;
        }
        let set = names.get_or_insert_with(Default::default);
        for line in section.data().split(|&b| b == b'\n') {
            if let Ok(name) = std::str::from_utf8(line) {
                if !name.is_empty() {
                    set.insert(name.into());
                }
            }
        }
    }
    names
}

/// Whether `name` is one of the program's own definitions (`own`: its [`OWN_SECTION`]),
/// under its name or, for `main`, the names clang gives it.
pub(crate) fn is_own(own: &rustc_hash::FxHashSet<Box<str>>, name: &str) -> bool {
    own.contains(name) || main_aliases(name).iter().any(|alias| own.contains(*alias))
}

/// The names a program's module exports, as 64-bit hashes: built once from the module, it
/// answers "not exported" for most names without asking wasmtime (whose lookup by name hashes
/// with SipHash in its string pool). A hash that matches is only a "maybe": the instance is
/// asked as before, so a collision costs a lookup, never a wrong answer.
#[derive(Clone)]
pub(crate) struct ExportNames {
    hashes: rustc_hash::FxHashSet<u64>,
    /// An export of the same module: an instance answers it by index only if it is an instance
    /// of that module, the only one the set speaks for.
    probe: ModuleExport,
    /// A caller answered `probe`: the set is the program's (every later caller is the program
    /// or a side module's trampoline, which exports nothing but the program's memory).
    checked: bool,
}

impl ExportNames {
    /// The export names of `module`; `None` for a module without exports.
    pub(crate) fn of(module: &wasmtime::Module) -> Option<ExportNames> {
        let mut exports = module.exports();
        let probe = module.get_export_index(exports.next()?.name())?;
        let mut hashes = rustc_hash::FxHashSet::default();
        hashes.reserve(module.exports().len());
        hashes.extend(module.exports().map(|e| name_hash(e.name())));
        Some(ExportNames {
            hashes,
            probe,
            checked: false,
        })
    }

    /// Whether `caller`'s instance certainly exports neither `name` nor, for `main`, the names
    /// clang gives it. `false` (ask it) until a caller was seen to be an instance of this set's
    /// module (checked once: asking costs more than the hash).
    pub(crate) fn lacks<T: 'static>(&mut self, caller: &mut Guest<'_, '_, T>, name: &str) -> bool {
        self.lacks_hashed(caller, name, name_hash(name))
    }

    /// [`ExportNames::lacks`] for a name whose [`name_hash`] the caller has already.
    pub(crate) fn lacks_hashed<T: 'static>(
        &mut self,
        caller: &mut Guest<'_, '_, T>,
        name: &str,
        hash: u64,
    ) -> bool {
        let maybe = |n: &str| self.hashes.contains(&name_hash(n));
        if self.hashes.contains(&hash) || main_aliases(name).iter().any(|alias| maybe(alias)) {
            return false;
        }
        if !self.checked {
            self.checked = caller.get_module_export(&self.probe).is_some();
        }
        self.checked
    }
}

fn name_hash(name: &str) -> u64 {
    crate::module::libmeta::name_hash(name.as_bytes())
}

/// Looks `name` up among the program's exports (uncached; the loader caches hits).
pub(crate) fn find_export<T: 'static>(caller: &mut Guest<'_, '_, T>, name: &str) -> Option<Symbol> {
    match caller.get_export(name)? {
        Extern::Func(func) => {
            let key = func.to_raw(caller.as_context_mut()) as usize;
            Some(Symbol::Func {
                func,
                key,
                slot: None,
            })
        }
        // Data symbols of a (non-PIC) program are immutable i32 globals holding the address.
        Extern::Global(global) => {
            let ty = global.ty(&mut *caller);
            if ty.mutability() == Mutability::Const && matches!(ty.content(), ValType::I32) {
                let addr = global.get(&mut *caller).i32()? as u32;
                Some(Symbol::Data { addr })
            } else {
                None
            }
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::{is_own, own_names, ExportNames, Guest, OWN_SECTION};

    #[test]
    fn export_names_answer_only_for_their_own_module() {
        use wasmtime::{Engine, Instance, Module, Store};
        let engine = Engine::default();
        let wat = |text: &str| wat::parse_str(text).unwrap();
        let program = Module::new(
            &engine,
            wat(r#"(module (memory (export "memory") 1) (func (export "f"))
                 (func (export "__main_argc_argv")) (global (export "d") i32 (i32.const 8)))"#),
        )
        .unwrap();
        let mut names = ExportNames::of(&program).expect("it has exports");
        let mut unchecked = names.clone();
        let mut store = Store::new(&engine, ());
        let instance = Instance::new(&mut store, &program, &[]).unwrap();
        let mut guest = Guest::Host {
            store: wasmtime::AsContextMut::as_context_mut(&mut store),
            instance,
        };
        assert!(names.lacks(&mut guest, "g"));
        assert!(names.lacks(&mut guest, ""));
        for exported in ["f", "d", "memory", "__main_argc_argv", "main"] {
            assert!(!names.lacks(&mut guest, exported), "{exported}");
        }
        // An instance of another module is asked as before.
        let other = Module::new(&engine, wat(r#"(module (func (export "h")))"#)).unwrap();
        let instance = Instance::new(&mut store, &other, &[]).unwrap();
        let mut guest = Guest::Host {
            store: wasmtime::AsContextMut::as_context_mut(&mut store),
            instance,
        };
        assert!(!unchecked.lacks(&mut guest, "g"));
        assert!(!unchecked.checked);
        // A module without exports has no set.
        assert!(ExportNames::of(&Module::new(&engine, wat("(module)")).unwrap()).is_none());
    }

    fn custom(name: &str, data: &[u8]) -> Vec<u8> {
        let mut body = vec![name.len() as u8];
        body.extend_from_slice(name.as_bytes());
        body.extend_from_slice(data);
        let mut section = vec![0, body.len() as u8];
        section.extend(body);
        section
    }

    fn module(sections: &[Vec<u8>]) -> Vec<u8> {
        let mut bytes = b"\0asm\x01\0\0\0".to_vec();
        for s in sections {
            bytes.extend_from_slice(s);
        }
        bytes
    }

    #[test]
    fn own_names_come_from_every_own_section() {
        let bytes = module(&[
            custom("producers", b"x"),
            custom(OWN_SECTION, b"nx_only\n\n__original_main"),
            custom(OWN_SECTION, b"data\n\xff\xfe"),
        ]);
        let own = own_names(&bytes).expect("sections present");
        assert_eq!(own.len(), 3, "empty and non-UTF-8 lines are skipped");
        assert!(is_own(&own, "nx_only") && is_own(&own, "data"));
        assert!(is_own(&own, "main"), "main through clang's name for it");
        assert!(!is_own(&own, "malloc"));
    }

    #[test]
    fn no_section_or_bad_bytes_know_nothing() {
        assert!(own_names(&module(&[custom("name", b"")])).is_none());
        assert!(own_names(b"not wasm").is_none());
        // A section whose length runs past the end.
        let mut cut = module(&[custom(OWN_SECTION, b"abc")]);
        cut.truncate(cut.len() - 1);
        assert!(own_names(&cut).is_none());
    }
}
