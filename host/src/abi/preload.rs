//! Loads the host asks for: [`preload`] and [`preload_async`] put a library into a running
//! program exactly as the program's own `dlopen` would (the same search and grants,
//! reference counts, constructors, and rollback on failure), so that the program's later
//! `dlopen` of the same name and its `dlsym(RTLD_DEFAULT, ..)` (for `RTLD_GLOBAL`) find it.
//!
//! The loader's [`Session`] reaches the program through the store and the program's
//! instance here, where a guest's `dlopen` reaches it through the import's `Caller`.

use std::sync::Arc;

use wasmtime::{AsContext, AsContextMut, Extern, Instance, Linker};

use super::witx::{open_mode, types::OpenFlags};
use crate::ctx::WasiDlCtx;
use crate::error::DlError;
use crate::loader::exec::{self, Mode};
use crate::loader::{self, Glue, Session};
use crate::lookup::program::{ExportNames, Guest};

/// Loads the library `name` into the program `instance` from the host, as the program's own
/// `dlopen(name, flags)` would, and returns its handle (the value that `dlopen` returns to
/// the program for the same library; the program's `dlclose` of it drops this reference).
/// For a store whose linker got wasi-dl from [`crate::add_to_linker_sync`] (or
/// [`crate::add_to_linker`]); [`preload_async`] is the async twin.
///
/// `linker` is the program's linker (side modules' host imports come from it, unless the
/// program was instantiated with [`crate::instantiate`], whose linker counts), `get_cx` finds
/// the [`WasiDlCtx`] as for [`crate::add_to_linker`]. Call it before `_start` (like
/// `LD_PRELOAD`), or later from a host function with its `Caller` as `store`. With
/// `OpenFlags::GLOBAL` the library's symbols join the global scope, where the program's
/// `dlsym(RTLD_DEFAULT, ..)` and libraries loaded later find them.
///
/// Fails, leaving the program as it was (the library and what it brought rolled back, the
/// program's `dlerror()` text untouched), with the [`DlError`] the guest's `dlopen` would get
/// (downcast the error to it); the embedder's hook sees it as [`crate::DlEvent::Failed`]. An
/// exit or interruption in a constructor comes back as that error itself. `instance` must be
/// the program this context serves (the first one that used it).
///
/// ```no_run
/// # use wasmtime::{Linker, Module, Store};
/// # struct State { dl: wasi_dl::WasiDlCtx }
/// # fn run(linker: &Linker<State>, mut store: Store<State>, module: &Module)
/// #     -> wasmtime::Result<()> {
/// use wasi_dl::OpenFlags;
///
/// fn dl(s: &mut State) -> &mut wasi_dl::WasiDlCtx {
///     &mut s.dl
/// }
///
/// let instance = wasi_dl::instantiate(linker, &mut store, module, dl)?;
/// let flags = OpenFlags::NOW | OpenFlags::GLOBAL;
/// wasi_dl::preload(linker, &mut store, &instance, dl, "libplugin.so", flags)?;
/// instance.get_typed_func::<(), ()>(&mut store, "_start")?.call(&mut store, ())?;
/// # Ok(())
/// # }
/// ```
pub fn preload<T: Send + 'static>(
    linker: &Linker<T>,
    store: impl AsContextMut<Data = T>,
    instance: &Instance,
    get_cx: impl Fn(&mut T) -> &mut WasiDlCtx + Send + Sync + 'static,
    name: &str,
    flags: OpenFlags,
) -> wasmtime::Result<u32> {
    let future = Box::pin(preload_in(
        Mode::Sync,
        linker,
        store,
        instance,
        get_cx,
        name,
        flags,
    ));
    exec::now(future)?
}

/// [`preload`] for an async store (one whose linker got wasi-dl from
/// [`crate::add_to_linker_async`]): constructors and the program's allocator run with
/// `call_async`, and a [`crate::ModuleSource`] is awaited.
pub async fn preload_async<T: Send + 'static>(
    linker: &Linker<T>,
    store: impl AsContextMut<Data = T> + Send,
    instance: &Instance,
    get_cx: impl Fn(&mut T) -> &mut WasiDlCtx + Send + Sync + 'static,
    name: &str,
    flags: OpenFlags,
) -> wasmtime::Result<u32> {
    preload_in(Mode::Async, linker, store, instance, get_cx, name, flags).await
}

async fn preload_in<T: Send + 'static>(
    mode: Mode,
    linker: &Linker<T>,
    mut store: impl AsContextMut<Data = T>,
    instance: &Instance,
    get_cx: impl Fn(&mut T) -> &mut WasiDlCtx + Send + Sync + 'static,
    name: &str,
    flags: OpenFlags,
) -> wasmtime::Result<u32> {
    // What an import closure holds, made for this call; the per-engine default cache is the
    // one the imports use.
    let glue = Arc::new(Glue {
        get_cx: Arc::new(get_cx),
        linker: linker.clone(),
        cache: crate::module::cache::ModuleCache::for_engine(linker.engine()),
        mode,
        instance: None,
    });
    let mut s = Session {
        caller: Guest::Host {
            store: store.as_context_mut(),
            instance: *instance,
        },
        glue: &glue,
    };
    let result = if !serves(&mut s) {
        Err(DlError::Program(
            "preload: this instance is not the program this wasi-dl context serves (one \
             WasiDlCtx serves one program instance)"
                .into(),
        ))
    } else if !flags.intersects(OpenFlags::LAZY | OpenFlags::NOW) {
        Err(DlError::InvalidMode {
            name: name.to_string(),
        })
    } else {
        if s.cx().memory_export.is_none() {
            let export = instance
                .module(s.caller.as_context())
                .get_export_index("memory");
            s.cx().memory_export = export;
            let names = ExportNames::of(instance.module(s.caller.as_context()));
            s.cx().export_names = names;
        }
        advance_generation(&mut s);
        let result = loader::open(&mut s, name, open_mode(flags), 0).await;
        advance_generation(&mut s);
        result
    };
    // An exit or interruption in guest code the loader ran is the embedder's own error.
    if let Some(fatal) = s.cx().fatal.take() {
        return Err(fatal);
    }
    result.map_err(|err| {
        crate::trace::error(&err);
        s.cx().emit(|hook| hook(&crate::DlEvent::Failed(&err)));
        wasmtime::Error::new(err)
    })
}

/// Whether the instance is the program the context is bound to (or the context is bound to
/// none yet): told by its memory, as for a guest's call.
fn serves<T: Send + 'static>(s: &mut Session<'_, '_, T>) -> bool {
    let Some(bound) = s.cx().program.as_ref().map(|p| p.memory) else {
        return true;
    };
    match s.caller.get_export("memory") {
        Some(Extern::Memory(own)) => own.data_ptr(&s.caller) == bound.data_ptr(&s.caller),
        _ => false,
    }
}

/// Moves the loader's generation on and stores it where the program keeps its copy, as a
/// guest's `dlopen` does: `dlsym` answers the program remembered must not outlive the load.
fn advance_generation<T: Send + 'static>(s: &mut Session<'_, '_, T>) {
    let cx = s.cx();
    cx.generation = cx.generation.wrapping_add(1);
    let (Some(at), generation) = (cx.generation_at, cx.generation) else {
        return;
    };
    let Some(memory) = cx.program.as_ref().map(|p| p.memory) else {
        return;
    };
    // The program's `watch` stored there, and memory never shrinks; should the write fail
    // all the same, stopping the program beats a stale answer.
    if memory
        .write(&mut s.caller, at as usize, &generation.to_le_bytes())
        .is_err()
    {
        s.cx().fatal = Some(wasmtime::Error::msg(
            "wasi-dl: the program's copy of the loader generation is out of reach",
        ));
    }
}
