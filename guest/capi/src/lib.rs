//! `libwasi_dl.a`: wasi-dl's guest library for C main programs.
//!
//! All the code is in `wasi-dl-guest`; this staticlib only links it in, so its
//! `#[no_mangle]` functions (`dlopen`, `dlsym`, `dlclose`, `dlerror`, `dladdr`,
//! `__wasi_dl_open_from`, `__wasi_dl_sym_from`, and the main-program contract
//! `__wasi_dl_alloc`, `__wasi_dl_free`, `__wasi_dl_cxa_atexit`,
//! `__wasi_dl_finalize`) end up in the archive. A separate crate because a
//! crate that is both `rlib` and `staticlib` cannot serve as a dependency of a
//! Rust binary (see /work/shared/TOOLCHAIN.md).

pub use wasi_dl_guest;
