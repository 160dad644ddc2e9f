//! The guest ABI edge: the wiggle bindings generated from `witx/wasi_dl.witx`, the host-call
//! glue that puts them in a linker and validates every guest pointer, and the errno each
//! failure carries; beside it, the host's own loads (`preload`), which enter the loader the
//! same way. It converts and hands off to `loader` (and, for the fast `dlsym`, reads
//! `loader`'s cached answer); nothing below imports it.

mod errno;
pub(crate) mod instantiate;
pub(crate) mod preload;
pub mod witx;
