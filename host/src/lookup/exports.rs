//! A loaded library's symbols by name.
//!
//! Most of a library's names are its module file's export names, which its link metadata
//! already holds in one string (`module::libmeta::Names`). The table keeps their positions in
//! that list under a hash of the name, not a copy of each: a library with hundreds of exports
//! costs no allocation per name when it loads (a cached cold `dlopen` is mostly such work).
//! Names that are not in the list (the C name `main` given to clang's `__main_argc_argv`),
//! and any name whose hash another name already has, are kept by value beside them.

use std::hash::Hasher;
use std::sync::Arc;

use rustc_hash::{FxHashMap, FxHasher};

use crate::lookup::scope::{Symbol, SymbolTable};
use crate::module::cache::CompiledLibrary;

#[derive(Default)]
pub(crate) struct ExportTable {
    /// Where the names of `entries` are (`info.exports`).
    names: Option<Arc<CompiledLibrary>>,
    /// A name's hash → its index in `entries`.
    by_hash: FxHashMap<u64, u32>,
    /// (position in the file's export names, symbol).
    entries: Vec<(u32, Symbol)>,
    /// Names kept by value; one here hides the same name in `entries`.
    other: SymbolTable,
}

/// The hash the loader's name sets and indexes use (Fx over the name's bytes).
pub(crate) fn name_hash(name: &[u8]) -> u64 {
    let mut hasher = FxHasher::default();
    hasher.write(name);
    hasher.finish()
}

impl ExportTable {
    /// An empty table for the exports of `compiled`, with room for `capacity` of them.
    pub(crate) fn for_library(compiled: Arc<CompiledLibrary>, capacity: usize) -> Self {
        let mut by_hash = FxHashMap::default();
        by_hash.reserve(capacity);
        ExportTable {
            names: Some(compiled),
            by_hash,
            entries: Vec::with_capacity(capacity),
            other: SymbolTable::default(),
        }
    }

    fn file_name(&self, at: u32) -> Option<&[u8]> {
        let names = self.names.as_ref()?;
        names.info.exports.get(at as usize).map(str::as_bytes)
    }

    /// Adds export `at` of the library's file (by its position in the export names).
    pub(crate) fn insert_export(&mut self, at: u32, sym: Symbol) {
        let Some(name) = self.file_name(at) else {
            return;
        };
        let hash = name_hash(name);
        match self.by_hash.get(&hash) {
            // Two names with one hash (or one name twice): the later one by value.
            Some(_) => {
                let name: Box<[u8]> = name.into();
                self.other.insert(name, sym);
            }
            None => {
                self.by_hash.insert(hash, self.entries.len() as u32);
                self.entries.push((at, sym));
            }
        }
    }

    /// Adds `name`, kept by value; it hides an export of the same name.
    pub(crate) fn insert(&mut self, name: &[u8], sym: Symbol) {
        self.other.insert(name.into(), sym);
    }

    fn index_of(&self, name: &[u8]) -> Option<usize> {
        let &index = self.by_hash.get(&name_hash(name))?;
        let (at, _) = self.entries.get(index as usize)?;
        (self.file_name(*at)? == name).then_some(index as usize)
    }

    pub(crate) fn get(&self, name: &[u8]) -> Option<&Symbol> {
        if !self.other.is_empty() {
            if let Some(sym) = self.other.get(name) {
                return Some(sym);
            }
        }
        let index = self.index_of(name)?;
        self.entries.get(index).map(|(_, sym)| sym)
    }

    pub(crate) fn get_mut(&mut self, name: &[u8]) -> Option<&mut Symbol> {
        if self.other.contains_key(name) {
            return self.other.get_mut(name);
        }
        let index = self.index_of(name)?;
        self.entries.get_mut(index).map(|(_, sym)| sym)
    }

    pub(crate) fn contains_key(&self, name: &[u8]) -> bool {
        self.get(name).is_some()
    }

    /// Every name and symbol (a name kept by value may also appear with the export it hides).
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&[u8], &Symbol)> + '_ {
        let file = self
            .entries
            .iter()
            .filter_map(|(at, sym)| Some((self.file_name(*at)?, sym)));
        file.chain(self.other.iter().map(|(name, sym)| (&**name, sym)))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::OnceLock;

    use super::*;
    use crate::module::libmeta::LinkInfo;

    fn library(names: &[&str]) -> Arc<CompiledLibrary> {
        let engine = wasmtime::Engine::default();
        let module = wasmtime::Module::new(&engine, wat::parse_str("(module)").unwrap()).unwrap();
        Arc::new(CompiledLibrary {
            module,
            info: LinkInfo {
                exports: names.iter().copied().collect(),
                ..LinkInfo::default()
            },
            reset: Err("test"),
            late_destructors: Vec::new(),
            counts: Default::default(),
            export_set: OnceLock::new(),
        })
    }

    #[test]
    fn names_stay_in_the_metadata_and_by_value_ones_come_first() {
        let mut table = ExportTable::for_library(library(&["f", "g", "main", "f"]), 4);
        table.insert_export(0, Symbol::Data { addr: 1 });
        table.insert_export(1, Symbol::Own { slot: 2 });
        table.insert_export(2, Symbol::Data { addr: 3 });
        // The same name twice (or two names with one hash): the later one by value.
        table.insert_export(3, Symbol::Data { addr: 4 });
        assert!(matches!(table.get(b"f"), Some(Symbol::Data { addr: 4 })));
        assert!(matches!(table.get(b"g"), Some(Symbol::Own { slot: 2 })));
        assert!(table.get(b"h").is_none());
        assert!(table.get(b"").is_none());
        // A name kept by value hides the export of that name.
        table.insert(b"main", Symbol::Data { addr: 9 });
        assert!(matches!(table.get(b"main"), Some(Symbol::Data { addr: 9 })));
        if let Some(sym) = table.get_mut(b"g") {
            *sym = Symbol::Data { addr: 5 };
        }
        assert!(matches!(table.get(b"g"), Some(Symbol::Data { addr: 5 })));
        assert!(table.contains_key(b"main") && !table.contains_key(b"ma"));
        let mut names: Vec<&[u8]> = table.iter().map(|(n, _)| n).collect();
        names.sort();
        assert_eq!(names, [&b"f"[..], b"f", b"g", b"main", b"main"]);
        // A position past the names adds nothing.
        table.insert_export(7, Symbol::Data { addr: 6 });
        assert_eq!(table.iter().count(), 5);
    }
}
