//! The stubs of a program linked against side modules, as state kept in its context: which
//! imports still wait for a library. `loader::startup` makes and binds them.

use rustc_hash::FxHashMap;
use wasmtime::{Func, Global, Table};

/// The stubs of one program, kept in its context.
pub(crate) struct ProgramImports {
    /// The stub module's table: entry *i* is what stub *i* calls.
    pub(crate) table: Table,
    /// Imports no library has defined yet, by name.
    pub(crate) pending: FxHashMap<Box<str>, Pending>,
    /// The program's `GOT.mem` / `GOT.func` imports no library has defined yet, by name.
    pub(crate) got: FxHashMap<Box<str>, GotImport>,
    /// How many of them are bound.
    pub(crate) got_bound: usize,
}

/// A `GOT.mem.NAME` or `GOT.func.NAME` import of the program: the address of a library's
/// data object, or the table slot of its function.
#[derive(Clone, Copy)]
pub(crate) struct GotImport {
    pub(crate) global: Global,
    pub(crate) func: bool,
}

/// An import waiting for its library.
#[derive(Clone)]
pub(crate) struct Pending {
    /// Its entry in the stub module's table.
    pub(crate) index: u32,
    /// What the entry holds until then: a function that fails with a message.
    pub(crate) unbound: Func,
}
