//! # wasi-dl: `dlopen` for WebAssembly guests on wasmtime
//!
//! A WebAssembly module cannot map another one into its address space; its host has to. This
//! crate is that host side. A guest program linked with the wasi-dl guest library calls
//! `dlopen("libfoo.so", RTLD_NOW)`; the guest library turns it into the `wasi_dl.open` import,
//! and this crate finds the side module (only where the embedder allows), compiles it once
//! (cached), and splices it into the *calling program*: its data goes into the program's own
//! linear memory (a block from the program's own allocator), its functions into the program's
//! own function table, following LLVM's `dylink.0` convention. Pointers and function pointers
//! are then valid across modules, as with native shared objects.
//!
//! ## Adding it to an embedding
//!
//! wasi-dl sits beside `wasmtime-wasi` the way any WASI extension does: a context in your store
//! data, and one call to add its imports to your linker.
//!
//! ```
//! use wasmtime::{Engine, Linker, Module, Store};
//! use wasmtime_wasi::{p1::WasiP1Ctx, WasiCtxBuilder};
//! use wasi_dl::WasiDlCtx;
//!
//! struct State {
//!     wasi: WasiP1Ctx,
//!     dl: WasiDlCtx,
//! }
//!
//! # fn main() -> wasmtime::Result<()> {
//! let engine = Engine::default();
//! let mut linker: Linker<State> = Linker::new(&engine);
//! wasmtime_wasi::p1::add_to_linker_sync(&mut linker, |s| &mut s.wasi)?;
//! // Add wasi-dl after WASI: side modules may use exactly what the program's linker offers.
//! wasi_dl::add_to_linker(&mut linker, |s: &mut State| &mut s.dl)?;
//!
//! let dir = std::env::temp_dir();
//! let state = State {
//!     wasi: WasiCtxBuilder::new().inherit_stdio().build_p1(),
//!     // Libraries may come from this directory, seen by the guest as /plugins.
//!     dl: WasiDlCtx::builder().library_dir(&dir, "/plugins")?.search_path("/plugins").build(),
//! };
//! let mut store = Store::new(&engine, state);
//! # let _ = &mut store;
//! // let module = Module::from_file(&engine, "program.wasm")?;
//! // let instance = linker.instantiate(&mut store, &module)?;
//! // instance.get_typed_func::<(), ()>(&mut store, "_start")?.call(&mut store, ())?;
//! # Ok(())
//! # }
//! ```
//!
//! ## wasmtime version and errors
//!
//! This release is built on wasmtime 50 and re-exports it ([`wasmtime`], with the matching
//! [`wasmtime_wasi`]): wasmtime types are part of this API, so an embedder uses the same
//! wasmtime major. Fallible functions return `wasmtime::Result` or an error type of their own
//! (such as [`BuildError`]) that converts into `wasmtime::Error`, so `?` works in an embedder's
//! `wasmtime::Result` function without conversions:
//!
//! ```
//! use wasi_dl::wasmtime::{Engine, Module, Result};
//!
//! fn compile(engine: &Engine, cache_dir: &std::path::Path, bytes: &[u8]) -> Result<Module> {
//!     let cache = wasi_dl::ModuleCache::with_disk_cache(cache_dir)?; // a CacheDirError
//!     cache.compile_program(engine, bytes) // a wasmtime::Result
//! }
//! # let dir = tempfile::tempdir()?;
//! # compile(&Engine::default(), dir.path(), b"\0asm\x01\0\0\0")?;
//! # Ok::<(), wasi_dl::wasmtime::Error>(())
//! ```
//!
//! ## The rooms of the crate
//!
//! The source is laid out in rooms whose imports run one way, top to bottom: a room uses the
//! rooms below it and never one above or beside it (`host/tests/layering.rs` checks this, and
//! that no source file passes 1,000 lines).
//!
//! ```text
//! abi/      the guest ABI edge: wiggle bindings from witx/wasi_dl.witx (public as `witx`),
//!           the host-call glue, the errno of each failure; validates, converts, hands off
//!  ↓
//! loader/   one file per phase of a dlopen / dlclose: open, fetch, map, link (+ foreign
//!           trampolines), bind, construct, close, reuse (park/revive), sym, addr, startup
//!  ↓
//! ctx/      state only: WasiDlCtx, its builder, Limits, the program's start-up stubs
//!  ↓
//! lookup/   what is loaded and how names resolve: scope (glibc's rules), space (memory
//!           blocks, table slots), the program's symbols, parked libraries
//!  ↓
//! module/   knowledge of modules, no loading: dylink (the dylink.0 reader), libmeta, source
//!           (where bytes come from), cache (compiled once), image (what an instance resets)
//!  ↓
//! error.rs, trace.rs,  the ground: import nothing of the crate (drive.rs runs a future that
//! drive.rs             must not wait: a sync store's loader, the search outside a store)
//! ```
//!
//! One `dlopen`, file by file: `abi/witx.rs` (read the path, check the mode) →
//! `loader/open.rs` (flags, `$ORIGIN`, already loaded?) → `loader/map.rs` →
//! `loader/fetch.rs` (`module/source.rs`: search path, grants) → `module/cache` (compile once;
//! `module/dylink` metadata) → back in `loader/map.rs` (data block, table slots in
//! `lookup/space.rs`) → `loader/link.rs` (imports resolved by `lookup/scope.rs`, instantiate) →
//! `loader/bind.rs` (GOT) → `loader/construct.rs` (data relocations, constructors) → the handle
//! back through `abi`. A failure anywhere goes to `loader/close.rs`, which rolls the group back.
//! `dlsym` is `abi` → `loader/sym.rs` → `lookup`; `dlclose` is `abi` → `loader/close.rs`.
//!
//! Public modules: [`dylink`], [`source`], [`cache`] (from `module/`) and [`witx`] (from `abi/`).

mod abi;
mod ctx;
mod drive;
mod error;
mod loader;
mod lookup;
mod module;
mod trace;

/// The wasmtime this crate is built against (50.x). wasmtime types are part of this API: an
/// embedder uses this one (or the same version from crates.io) so that both sides agree.
pub use wasmtime;
/// The `wasmtime-wasi` matching [`wasmtime`], for embedders that add WASI beside wasi-dl.
pub use wasmtime_wasi;

pub use crate::abi::preload::{preload, preload_async};
pub use crate::abi::witx;
pub use crate::module::{cache, dylink, source};

pub use abi::instantiate::{instantiate, instantiate_async};
pub use cache::{CacheDirError, CacheStats, DiskStats, ModuleCache};
pub use ctx::{BuildError, DlEvent, LibraryInfo, Limits, WasiDlCtx, WasiDlCtxBuilder};
pub use error::DlError;
pub use source::{Fetched, ModuleSource};
pub use witx::types::OpenFlags;
pub use witx::{add_to_linker, add_to_linker_async, add_to_linker_sync};

/// The README's Rust examples, compiled as doc tests so that they stay true.
#[doc = include_str!("../../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
