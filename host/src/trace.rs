//! `WASI_DL_DEBUG=1`: a trace of every load, search step and symbol binding on stderr, like
//! glibc's `LD_DEBUG`. Costs one cached flag check when off.

use std::sync::OnceLock;

use std::fmt::Display;

pub(crate) fn enabled() -> bool {
    static ON: OnceLock<bool> = OnceLock::new();
    *ON.get_or_init(|| std::env::var_os("WASI_DL_DEBUG").is_some_and(|v| !v.is_empty() && v != "0"))
}

macro_rules! trace_line {
    ($($arg:tt)*) => {
        if enabled() {
            // Its own prefix: a trace line is never mistaken for the runner's own errors.
            // A closed or full stderr must not panic the host (eprintln! would): the line
            // is dropped instead.
            use std::io::Write as _;
            let _ = writeln!(std::io::stderr().lock(), "wasi-dl: debug: {}", format_args!($($arg)*));
        }
    };
}

/// One step of the search for a bare name: the directory tried, which list it came from
/// (LD_LIBRARY_PATH, RUNTIME_PATH, search path) and what came of it.
pub(crate) fn search(name: &str, candidate: &str, list: &str, outcome: &str) {
    trace_line!("search {name}: trying {candidate} ({list}): {outcome}");
}

/// A bare name with no directory to search.
pub(crate) fn no_search(name: &str) {
    trace_line!(
        "search {name}: no directory to search (LD_LIBRARY_PATH, RUNTIME_PATH and the search path are empty)"
    );
}

/// A name with a `/`: opened as a path, not searched.
pub(crate) fn open_path(path: &str, outcome: &str) {
    trace_line!("open {path}: {outcome}");
}

/// A library found in a source of the embedder's (registered modules, custom sources).
pub(crate) fn source(name: &str, source: &str) {
    trace_line!("search {name}: {source}: found");
}

pub(crate) fn cache(name: &str, what: &str) {
    trace_line!("cache {name}: {what}");
}

pub(crate) fn load(
    name: &str,
    handle: u32,
    mem_base: u32,
    mem_size: u32,
    table_base: u32,
    table_size: u32,
) {
    trace_line!(
        "load {name}: handle {handle:#x}, data {mem_base:#x}+{mem_size}, table {table_base}+{table_size}"
    );
}

pub(crate) fn bind(library: &str, symbol: &str, provider: &str) {
    trace_line!("bind {library}: {symbol} -> {provider}");
}

pub(crate) fn revive(name: &str, revived: bool) {
    if revived {
        trace_line!("reuse {name}: parked instance revived");
    } else {
        trace_line!("reuse {name}: parked instance no longer fits its imports, instantiating anew");
    }
}

pub(crate) fn unload(name: &str) {
    trace_line!("unload {name}");
}

pub(crate) fn error(err: &dyn Display) {
    trace_line!("failed: {err}");
}
