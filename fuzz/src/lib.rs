//! The fuzzing harness of wasi-dl: what the cargo-fuzz targets in `fuzz_targets/` run, and what
//! `host/tests/fuzz_corpus.rs` replays on stable Rust for every file of `corpus/<target>/`
//! (it includes this file with `#[path]`, so both use the very same functions).
//!
//! Every entry point takes arbitrary bytes and panics when an invariant breaks:
//! - [`dylink_read()`]: the `dylink.0` reader never panics, and agrees with wasmparser's own
//!   reader whenever it accepts a module;
//! - [`load_module()`]: the bytes, registered as `libfuzz.so`, are dlopened by a tiny main program
//!   (hand-written WAT with a counting allocator): success or a precise error, never a host panic;
//!   after a failure the loader and the program are as before (no library, no data block left);
//!   a second attempt fails the same way; after `dlclose` nothing is left;
//! - [`ops()`]: the bytes are a list of open/sym/close/last_error/addr calls (well-formed and
//!   hostile) on a fixed set of side modules, driven through the raw `wasi_dl` imports; after
//!   every call the program's data blocks match the loaded libraries, every failure has a
//!   message, and closing every handle leaves nothing loaded.
//!
//! The main program and the side modules are generated here (WAT plus a hand-encoded
//! `dylink.0` section, see [`enc`]), so the harness needs no C toolchain. Guest code runs with
//! fuel, so a module that loops forever traps instead of hanging the fuzzer.//!
//! The files, one idea each: `enc.rs` (encoding side modules), `program.rs` (the main program
//! and the flags), `libraries.rs` (the fixed side modules), `session.rs` (the engine and one
//! program run, with its checks), and one file a target (`dylink_read.rs`, `load_module.rs`,
//! `ops.rs`). Paths between them go through `super::`, never `crate::`: the host's test crate
//! includes this file as a module of its own.

#![allow(dead_code)]

pub mod enc;

mod dylink_read;
mod libraries;
mod load_module;
mod ops;
mod program;
mod session;

pub use dylink_read::dylink_read;
pub use libraries::fixed_libraries;
pub use load_module::load_module;
pub use ops::ops;
pub use program::{MAIN_WAT, RTLD_GLOBAL, RTLD_LAZY, RTLD_NODELETE, RTLD_NOLOAD, RTLD_NOW};
pub use session::{fuzz_limits, Session, State};
