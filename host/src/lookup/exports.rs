//! A loaded library's symbols by name.
//!
//! Most of a library's names are its module file's export names, which its link metadata
//! already holds in one string, with an index from each name to its position
//! (`module::libmeta::IndexedNames`, built once per module). The table keeps only each
//! export's symbol, by that position: a library with hundreds of exports costs neither an
//! allocation nor a hashed name per export when it loads (a cached cold `dlopen` is mostly
//! such work). Names that are not in the list (the C name `main` given to clang's
//! `__main_argc_argv`) are kept by value beside them.

use std::sync::Arc;

use crate::lookup::scope::{Symbol, SymbolTable};
use crate::module::cache::CompiledLibrary;
use crate::module::libmeta::is_plumbing;

#[derive(Default)]
pub(crate) struct ExportTable {
    /// Where the names of `entries` are, and their index (`info.exports`).
    names: Option<Arc<CompiledLibrary>>,
    /// Each export's symbol, by its position in the file's export names; `None` for an
    /// export that is no symbol (plumbing, or a function nothing defines).
    entries: Vec<Option<Symbol>>,
    /// Names kept by value; one here hides the same name in `entries`.
    other: SymbolTable,
}

impl ExportTable {
    /// An empty table for the exports of `compiled`.
    pub(crate) fn for_library(compiled: Arc<CompiledLibrary>) -> Self {
        let entries = vec![None; compiled.info.exports.len()];
        ExportTable {
            names: Some(compiled),
            entries,
            other: SymbolTable::default(),
        }
    }

    fn file_name(&self, at: usize) -> Option<&str> {
        self.names.as_ref()?.info.exports.get(at)
    }

    /// Sets export `at` of the library's file (by its position in the export names). A name
    /// that is plumbing is never found (the index leaves it out).
    pub(crate) fn insert_export(&mut self, at: u32, sym: Symbol) {
        if let Some(entry) = self.entries.get_mut(at as usize) {
            *entry = Some(sym);
        }
    }

    /// Adds `name`, kept by value; it hides an export of the same name.
    pub(crate) fn insert(&mut self, name: &[u8], sym: Symbol) {
        self.other.insert(name.into(), sym);
    }

    fn index_of(&self, name: &[u8]) -> Option<usize> {
        let at = self.names.as_ref()?.info.exports.position(name)?;
        Some(at as usize)
    }

    pub(crate) fn get(&self, name: &[u8]) -> Option<&Symbol> {
        if !self.other.is_empty() {
            if let Some(sym) = self.other.get(name) {
                return Some(sym);
            }
        }
        self.entries.get(self.index_of(name)?)?.as_ref()
    }

    pub(crate) fn get_mut(&mut self, name: &[u8]) -> Option<&mut Symbol> {
        if self.other.contains_key(name) {
            return self.other.get_mut(name);
        }
        let index = self.index_of(name)?;
        self.entries.get_mut(index)?.as_mut()
    }

    pub(crate) fn contains_key(&self, name: &[u8]) -> bool {
        self.get(name).is_some()
    }

    /// [`ExportTable::contains_key`] for a name whose `libmeta::name_hash` is `hash`.
    pub(crate) fn contains_key_hashed(&self, name: &[u8], hash: u64) -> bool {
        if !self.other.is_empty() && self.other.contains_key(name) {
            return true;
        }
        let Some(names) = &self.names else {
            return false;
        };
        names
            .info
            .exports
            .position_hashed(name, hash)
            .and_then(|at| self.entries.get(at as usize)?.as_ref())
            .is_some()
    }

    /// Every name and symbol (a name kept by value may also appear with the export it hides).
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&[u8], &Symbol)> + '_ {
        let file = self.entries.iter().enumerate().filter_map(|(at, sym)| {
            let name = self.file_name(at)?;
            (!is_plumbing(name)).then_some((name.as_bytes(), sym.as_ref()?))
        });
        file.chain(self.other.iter().map(|(name, sym)| (&**name, sym)))
    }
}

#[cfg(test)]
mod tests {

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
        })
    }

    #[test]
    fn names_stay_in_the_metadata_and_by_value_ones_come_first() {
        let mut table = ExportTable::for_library(library(&["f", "g", "main", "__wasm_x"]));
        table.insert_export(0, Symbol::Data { addr: 1 });
        table.insert_export(1, Symbol::Own { slot: 2 });
        table.insert_export(2, Symbol::Data { addr: 3 });
        // Plumbing is never a symbol, whatever was set for it.
        table.insert_export(3, Symbol::Data { addr: 4 });
        assert!(table.get(b"__wasm_x").is_none());
        assert!(matches!(table.get(b"f"), Some(Symbol::Data { addr: 1 })));
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
        assert_eq!(names, [&b"f"[..], b"g", b"main", b"main"]);
        // A position past the names adds nothing.
        table.insert_export(7, Symbol::Data { addr: 6 });
        assert_eq!(table.iter().count(), 4);
    }

    #[test]
    fn an_export_not_set_is_not_found() {
        let table = ExportTable::for_library(library(&["f", "g"]));
        assert!(table.get(b"f").is_none());
        assert_eq!(table.iter().count(), 0);
    }

    #[test]
    fn every_name_of_a_large_list_is_found_at_its_position() {
        let names: Vec<String> = (0..2000).map(|i| format!("sym_{i}")).collect();
        let lib = library(&names.iter().map(String::as_str).collect::<Vec<_>>());
        let mut table = ExportTable::for_library(lib);
        for at in 0..2000 {
            table.insert_export(at, Symbol::Data { addr: at });
        }
        for (at, name) in names.iter().enumerate() {
            assert!(
                matches!(table.get(name.as_bytes()), Some(Symbol::Data { addr }) if *addr == at as u32),
                "{name}"
            );
        }
        assert!(table.get(b"sym_2000").is_none());
    }
}
