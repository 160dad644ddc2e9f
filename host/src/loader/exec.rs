//! Every entry the loader makes into the store, in the mode the store was set up for.
//!
//! One loader serves sync and async stores: its phases are `async fn`s, and each store
//! operation that may run guest code or consult a resource limiter goes through this module,
//! which calls wasmtime's sync API for a [`Mode::Sync`] store and the `_async` one for a
//! [`Mode::Async`] store. The mode is fixed by the function that added wasi-dl to the linker
//! (`add_to_linker_sync` or `add_to_linker_async`).
//!
//! In sync mode the loader's future is driven by [`now`] (from `crate::drive`) with a no-op
//! waker: every operation here completes at once, so it never pends. Should one pend all the same (an embedder's
//! future-based code reached from a sync store), the import fails with an error that names
//! `add_to_linker_async`, rather than blocking or spinning.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use wasmtime::{
    AsContextMut, Caller, Extern, Func, FuncType, Instance, Linker, Module, Ref, Store, Table,
    TypedFunc, Val, WasmParams, WasmResults,
};

use crate::error::GuestTrap;

/// How a store is entered: wasmtime's plain API, or its `_async` API (a store that is "async
/// required": async host functions, async yielding or an async limiter).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mode {
    Sync,
    Async,
}

pub(crate) use crate::drive::now;

/// `Instance::new` or `Instance::new_async`.
pub(crate) async fn instantiate<T: Send + 'static>(
    mut store: impl AsContextMut<Data = T> + Send,
    mode: Mode,
    module: &Module,
    imports: &[Extern],
) -> wasmtime::Result<Instance> {
    match mode {
        Mode::Sync => Instance::new(store, module, imports),
        Mode::Async => Instance::new_async(store.as_context_mut(), module, imports).await,
    }
}

/// `Linker::instantiate` or `Linker::instantiate_async`.
pub(crate) async fn link<T: Send + 'static>(
    linker: &Linker<T>,
    store: &mut Store<T>,
    mode: Mode,
    module: &Module,
) -> wasmtime::Result<Instance> {
    match mode {
        Mode::Sync => linker.instantiate(store, module),
        Mode::Async => linker.instantiate_async(store, module).await,
    }
}

/// `TypedFunc::call` or `TypedFunc::call_async`.
pub(crate) async fn call<T: Send + 'static, P, R>(
    store: impl AsContextMut<Data = T> + Send,
    mode: Mode,
    func: &TypedFunc<P, R>,
    params: P,
) -> wasmtime::Result<R>
where
    P: WasmParams + Sync,
    R: WasmResults + Sync,
{
    match mode {
        Mode::Sync => func.call(store, params),
        Mode::Async => func.call_async(store, params).await,
    }
}

/// `Table::grow` or `Table::grow_async` (an async resource limiter is asked only by the
/// latter).
pub(crate) async fn grow_table<T: Send + 'static>(
    store: impl AsContextMut<Data = T> + Send,
    mode: Mode,
    table: Table,
    delta: u64,
    init: Ref,
) -> wasmtime::Result<u64> {
    match mode {
        Mode::Sync => table.grow(store, delta, init),
        Mode::Async => table.grow_async(store, delta, init).await,
    }
}

/// What a forwarding function calls: a function, with the caller's arguments or with others.
pub(crate) type Forward = (Func, Option<Vec<Val>>);

/// How many calls through the loader's stubs may nest in an async store. There each one runs
/// on a fiber of its own, whose stack is fresh: wasmtime's stack limit, which stops a runaway
/// recursion in a sync store (after some hundreds of levels through a stub), never trips, and
/// the recursion went on until the process could map no more fiber stacks (about 32,000,
/// `ENOMEM` for every thread of the host).
pub(crate) const MAX_NESTED_FORWARDS: u32 = 1000;

/// One level of [`MAX_NESTED_FORWARDS`], given back when dropped (also when the embedder drops
/// the call's future).
struct ForwardLevel(Arc<AtomicU32>);

impl ForwardLevel {
    fn enter(depth: &Arc<AtomicU32>) -> wasmtime::Result<ForwardLevel> {
        if depth.fetch_add(1, Ordering::Relaxed) >= MAX_NESTED_FORWARDS {
            depth.fetch_sub(1, Ordering::Relaxed);
            return Err(GuestTrap(format!(
                "call stack exhausted: {MAX_NESTED_FORWARDS} calls nested through the loader's \
                 late-binding stubs (in an async store each runs on a fiber of its own)"
            ))
            .into());
        }
        Ok(ForwardLevel(depth.clone()))
    }
}

impl Drop for ForwardLevel {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// A host function of type `ty` that asks `pick` what to call and calls it, with `Func::call`
/// in a sync store and `Func::call_async` in an async one (where a sync call would fail):
/// the loader's late-binding and `atexit` stubs. `depth`: the store's count of such calls in
/// progress (see [`MAX_NESTED_FORWARDS`]).
pub(crate) fn forwarder<T: Send + 'static>(
    store: impl AsContextMut<Data = T>,
    mode: Mode,
    ty: FuncType,
    depth: Arc<AtomicU32>,
    pick: impl Fn(&mut Caller<'_, T>, &[Val]) -> wasmtime::Result<Forward> + Send + Sync + 'static,
) -> Func {
    match mode {
        Mode::Sync => Func::new(store, ty, move |mut caller, params, results| {
            let (func, args) = pick(&mut caller, params)?;
            func.call(&mut caller, args.as_deref().unwrap_or(params), results)
        }),
        Mode::Async => {
            let pick = Arc::new(pick);
            Func::new_async(store, ty, move |mut caller, params, results| {
                let pick = pick.clone();
                let depth = depth.clone();
                Box::new(async move {
                    let (func, args) = pick(&mut caller, params)?;
                    let _level = ForwardLevel::enter(&depth)?;
                    func.call_async(&mut caller, args.as_deref().unwrap_or(params), results)
                        .await
                })
            })
        }
    }
}
