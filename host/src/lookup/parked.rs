//! Closed libraries kept for reuse, as data: what a parked instance holds and the pool that
//! keeps them (oldest first, within the embedder's limits). Parking and reviving are the
//! loader's (`loader::reuse`); scopes and the context only hold these types.

use std::collections::VecDeque;
use std::sync::Arc;

use wasmtime::{Func, Instance};

use crate::lookup::exports::ExportTable;
use crate::lookup::scope::GotEntry;
use crate::lookup::space::FuncKey;
use crate::module::cache::CompiledLibrary;

/// A direct function import as it was bound: its index in the module's imports and the
/// function it got.
pub(crate) type DirectImport = (u32, FuncKey);

/// A closed library kept for reuse.
pub(crate) struct Parked {
    pub(crate) compiled: Arc<CompiledLibrary>,
    pub(crate) instance: Instance,
    pub(crate) mem_base: u32,
    pub(crate) mem_size: u32,
    pub(crate) table_base: u32,
    pub(crate) table_size: u32,
    /// What its table range held (element segments), cleared while parked.
    pub(crate) table: Vec<Option<Func>>,
    /// Single slots given to its functions outside that range, and what they held.
    pub(crate) extra: Vec<(u32, Option<Func>)>,
    pub(crate) exports: ExportTable,
    pub(crate) got: Vec<GotEntry>,
    pub(crate) direct: Vec<DirectImport>,
}

/// Parked libraries, oldest first.
#[derive(Default)]
pub(crate) struct Pool {
    parked: VecDeque<Parked>,
    /// Guest memory the parked libraries hold.
    bytes: u64,
}

impl Pool {
    /// Takes the parked instance of `compiled`, if any.
    pub(crate) fn take(&mut self, compiled: &Arc<CompiledLibrary>) -> Option<Parked> {
        let i = self
            .parked
            .iter()
            .position(|p| Arc::ptr_eq(&p.compiled, compiled))?;
        let parked = self.parked.remove(i)?;
        self.bytes -= u64::from(parked.mem_size.max(1));
        Some(parked)
    }

    /// Parks `parked` if it fits at all; returns what must be released for real (the oldest
    /// parked libraries it pushes out, or itself).
    pub(crate) fn admit(
        &mut self,
        parked: Parked,
        max_libraries: usize,
        max_bytes: u64,
    ) -> Vec<Parked> {
        let size = u64::from(parked.mem_size.max(1));
        if max_libraries == 0 || size > max_bytes {
            return vec![parked];
        }
        let mut out = Vec::new();
        while self.parked.len() >= max_libraries || self.bytes + size > max_bytes {
            match self.parked.pop_front() {
                Some(old) => {
                    self.bytes -= u64::from(old.mem_size.max(1));
                    out.push(old);
                }
                None => break,
            }
        }
        self.bytes += size;
        self.parked.push_back(parked);
        out
    }

    /// Everything parked, for release (memory or slots ran short).
    pub(crate) fn drain(&mut self) -> Vec<Parked> {
        self.bytes = 0;
        self.parked.drain(..).collect()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.parked.is_empty()
    }

    pub(crate) fn len(&self) -> usize {
        self.parked.len()
    }
}
