//! Instantiating the program: with its own copy of wasi-dl's imports, and stubs for the
//! functions of side modules it was linked against (see `loader::startup`).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use wasmtime::{Instance, Linker, Module, Store};

use crate::ctx::WasiDlCtx;
use crate::loader::exec::{self, Mode};
use crate::loader::startup;
use crate::loader::GetCx;

/// Instantiates the program: `linker.instantiate`, plus stubs for functions it imports from
/// `env` that nothing in `linker` defines (the functions of side modules it was linked
/// against; see the module docs). `get_cx` finds the [`WasiDlCtx`], as for
/// [`crate::add_to_linker`].
///
/// Use it instead of `linker.instantiate(&mut store, &module)`; for a program with no such
/// imports it is that, with wasi-dl's imports defined for this instance alone (so that each
/// call is known to be the program's without a lookup in the store).
///
/// ```no_run
/// # use wasmtime::{Engine, Linker, Module, Store};
/// # struct State { dl: wasi_dl::WasiDlCtx }
/// # fn run(engine: &Engine, linker: &Linker<State>, mut store: Store<State>, module: &Module)
/// #     -> wasmtime::Result<()> {
/// let instance = wasi_dl::instantiate(linker, &mut store, module, |s: &mut State| &mut s.dl)?;
/// instance.get_typed_func::<(), ()>(&mut store, "_start")?.call(&mut store, ())?;
/// # Ok(())
/// # }
/// ```
pub fn instantiate<T: Send + 'static>(
    linker: &Linker<T>,
    store: &mut Store<T>,
    module: &Module,
    get_cx: impl Fn(&mut T) -> &mut WasiDlCtx + Send + Sync + 'static,
) -> wasmtime::Result<Instance> {
    let (linker, get_cx) = own_imports(Mode::Sync, linker, store, get_cx)?;
    exec::now(startup::instantiate_in(
        Mode::Sync,
        &linker,
        store,
        module,
        |t: &mut T| get_cx(t),
    ))?
}

/// [`instantiate`] for an async store (one whose linker got wasi-dl from
/// [`crate::add_to_linker_async`]): `linker.instantiate_async`, plus the same stubs.
///
/// ```no_run
/// # use wasmtime::{Engine, Linker, Module, Store};
/// # struct State { dl: wasi_dl::WasiDlCtx }
/// # async fn run(linker: &Linker<State>, mut store: Store<State>, module: &Module)
/// #     -> wasmtime::Result<()> {
/// let instance =
///     wasi_dl::instantiate_async(linker, &mut store, module, |s: &mut State| &mut s.dl).await?;
/// let start = instance.get_typed_func::<(), ()>(&mut store, "_start")?;
/// start.call_async(&mut store, ()).await?;
/// # Ok(())
/// # }
/// ```
pub async fn instantiate_async<T: Send + 'static>(
    linker: &Linker<T>,
    store: &mut Store<T>,
    module: &Module,
    get_cx: impl Fn(&mut T) -> &mut WasiDlCtx + Send + Sync + 'static,
) -> wasmtime::Result<Instance> {
    let (linker, get_cx) = own_imports(Mode::Async, linker, store, get_cx)?;
    startup::instantiate_in(Mode::Async, &linker, store, module, |t: &mut T| get_cx(t)).await
}

/// The context finder, shared by the program's imports and its instantiation.
type SharedGetCx<T> = Arc<GetCx<T>>;

/// `linker` with wasi-dl's imports defined again for one instance (when it has them): calls
/// through them are then told to be the program's by a number they carry, instead of by
/// looking up the caller's memory in the store on every call (a third of a `dlsym` that the
/// program has not asked before). Side modules and their trampolines, which the loader links
/// from the same linker, share the program's number, as they share its memory.
fn own_imports<T: Send + 'static>(
    mode: Mode,
    linker: &Linker<T>,
    store: &mut Store<T>,
    get_cx: impl Fn(&mut T) -> &mut WasiDlCtx + Send + Sync + 'static,
) -> wasmtime::Result<(Linker<T>, SharedGetCx<T>)> {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    let get_cx: SharedGetCx<T> = Arc::new(get_cx);
    let mut own = linker.clone();
    if linker.get(&mut *store, "wasi_dl", "sym").is_ok() {
        own.allow_shadowing(true);
        let instance = NEXT.fetch_add(1, Ordering::Relaxed);
        super::witx::add_for_instance(&mut own, linker, get_cx.clone(), mode, instance)?;
        own.allow_shadowing(false);
    }
    Ok((own, get_cx))
}
