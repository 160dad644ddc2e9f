//! Reliability and security: a guest cannot hurt the host, and a failure leaves everything as
//! it was. One test binary (one link of wasmtime, one build of each C program):
//! - `hostile`: a corpus of broken and malicious side modules;
//! - `raw_abi`: the raw `wasi_dl` imports called with bad pointers, handles, names and flags;
//! - `limits`: every field of `wasi_dl::Limits`;
//! - `nesting`: constructors that `dlopen` in a chain until a stack or the nesting bound runs out;
//! - `leaks`: long open/close loops, with numbers;
//! - `startup`: programs linked against side modules, when those go missing or change;
//! - `files`: FIFOs, devices and large non-modules, refused before they are read;
//! - `disk_cache`: the on-disk compile cache, which must never be a way into the host.
//! - `embedder_errors`: errors the embedder raises to stop the guest (epoch callback, limiter)
//!   while the loader runs guest code pass through `dlopen` as themselves, in both modes;
//! - `preload`: the host's preloads when a constructor exits or is interrupted, from an async
//!   host function, and the loader generation they move;
//! - `sources`: an embedder's `ModuleSource`, asked with `fetch` or awaited with `fetch_async`;
//! - `attacks`: attacks on the newest parsing (wasi_dl_meta, references scan) and bookkeeping.
//! - `lying`: modules whose segments leave the block their MEM_INFO asks for, and modules
//!   with state of their own that instance reuse must not bring back;
//! - `reentry`: guest code that calls back into the loader while it works (start functions,
//!   stubs, the program's own contract exports), and hostile import types.
//! - `runpath`: run paths too long to search (a library's RUNTIME_PATH, the program's own);
//! - `embedder`: what embedders asked for (#15): per-engine cache, single flight, one program
//!   instance per context, the host-side API, `env` functions, the pooling allocator.
//! - `selfbind`: `GOT.func` entries bound when a library is compiled still interpose.
//! - `table_grow`: the program's table grown through its `__wasi_dl_table_grow` export, and
//!   exports that lie.

#[path = "../../../fuzz/src/lib.rs"]
#[allow(unused)]
mod wasi_dl_fuzz;

mod attacks;
mod common;
mod disk_cache;
mod embedder;
mod embedder_errors;
mod files;
mod hostile;
mod leaks;
mod limits;
mod lying;
mod nesting;
mod preload;
mod raw_abi;
mod reentry;
mod runpath;
mod selfbind;
mod sources;
mod startup;
mod table_grow;
