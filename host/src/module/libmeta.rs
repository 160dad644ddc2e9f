//! What the loader keeps of a side module beside its compiled code, and its encoding in a
//! disk cache entry.
//!
//! Linking needs a little of the module's metadata (MEM_INFO, NEEDED, RUNTIME_PATH, each
//! import's name and weak flag, the export names), how to reset its data block, and where its
//! late destructors are. Reading them means parsing the module; a disk cache hit would pay
//! that on every new process. So an entry stores them beside the compiled code, under the same
//! checksum, and a hit decodes them instead of parsing the wasm.
//!
//! The decoder never trusts a length: every read is bounds-checked, no allocation is sized by
//! a count before the bytes for it were seen, and any inconsistency makes the whole entry
//! unusable (it is then recompiled), never a panic.

use crate::module::dylink::{ExportKind, MemInfo, ModuleCounts, SideModuleInfo};
use crate::module::image::ResetImage;
use crate::module::selfbind::{SelfBound, SETTER_EXPORT};

/// The part of a module's `dylink.0` metadata and import/export lists the loader links with.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct LinkInfo {
    pub(crate) mem: MemInfo,
    pub(crate) needed: Vec<String>,
    pub(crate) runtime_paths: Vec<String>,
    /// Every import, in module order (as `Module::imports` lists them).
    pub(crate) imports: Vec<LinkImport>,
    /// Their field names, in the same order (one string for all: a cached `dlopen` decodes
    /// them without an allocation per import).
    pub(crate) import_names: Names,
    /// Every export's name, with an index of those that are symbols.
    pub(crate) exports: IndexedNames,
    /// The exported functions as (function index, position in `exports`), in export order:
    /// names for backtrace frames of a module whose name section was stripped.
    pub(crate) function_exports: Vec<(u32, u32)>,
    /// The exported data symbols (immutable i32 globals) as (position in `exports`, offset from
    /// `__memory_base`), in export order. The offset is `None` for an initialiser other than
    /// `i32.const`: the instance is asked for its value.
    pub(crate) data_exports: Vec<(u32, Option<u32>)>,
    /// `-Wl,-z,nodlopen` (the `wasi_dl_meta` section): start-up may load it, `dlopen` may not.
    pub(crate) nodlopen: bool,
    /// `-Wl,-soname,NAME` (the `wasi_dl_meta` section): a later request for NAME is this library.
    pub(crate) soname: Option<String>,
    /// `-Wl,-z,nodelete`: never unloaded.
    pub(crate) nodelete: bool,
    /// Functions the module places in its own added table slots (`module::selfbind`): (function
    /// index, slot offset from `__table_base`), by function index. Their slots are the last
    /// `own_slots.len()` of `mem.table_size`.
    pub(crate) own_slots: Vec<(u32, u32)>,
    /// Its `GOT.func` entries bound at compile time, by the index its setter function
    /// (`selfbind::SETTER_EXPORT`) takes: their symbols (each an export of the module, by its
    /// position in `exports`), and the slot offset each holds unless the symbol is
    /// interposed.
    pub(crate) self_got_exports: Vec<u32>,
    pub(crate) self_got: Vec<u32>,
}

/// Names that belong to the linker's plumbing, never resolved as symbols between modules.
/// wasi-libc's setjmp/longjmp helpers and libunwind's landing-pad context share the `__wasm_`
/// prefix but are ordinary symbols that the code clang generates for exceptions uses in every
/// module.
pub(crate) fn is_plumbing(name: &str) -> bool {
    // Most names are a program's own symbols: decided by their first byte.
    if !name.starts_with('_') && name != "memory" {
        return false;
    }
    (name.starts_with("__wasm_")
        && !matches!(
            name,
            "__wasm_setjmp" | "__wasm_setjmp_test" | "__wasm_longjmp" | "__wasm_lpad_context"
        ))
        || matches!(
            name,
            "memory"
                | "__indirect_function_table"
                | "__stack_pointer"
                | "__memory_base"
                | "__table_base"
                | "__heap_base"
                | "__data_end"
                | "__global_base"
                | "__dso_handle"
                | "__tls_base"
                | "__tls_size"
                | "__tls_align"
                | "_start"
        )
}

/// Names kept in one string (one allocation, not one per name).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Names {
    text: String,
    /// Where each name ends in `text`.
    ends: Vec<u32>,
}

impl Names {
    fn push(&mut self, name: &str) {
        self.text.push_str(name);
        self.ends.push(self.text.len() as u32);
    }

    pub(crate) fn iter(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        (0..self.ends.len()).map(|i| {
            let start = if i == 0 { 0 } else { self.ends[i - 1] };
            self.text
                .get(start as usize..self.ends[i] as usize)
                .unwrap_or("")
        })
    }

    /// The name at `index`, if there is one.
    pub(crate) fn get(&self, index: usize) -> Option<&str> {
        let end = *self.ends.get(index)?;
        let start = match index.checked_sub(1) {
            Some(before) => *self.ends.get(before)?,
            None => 0,
        };
        self.text.get(start as usize..end as usize)
    }

    pub(crate) fn len(&self) -> usize {
        self.ends.len()
    }
}

/// The hash the loader's name sets and indexes use (Fx over the name's bytes; never stored).
pub(crate) fn name_hash(name: &[u8]) -> u64 {
    use std::hash::Hasher;
    let mut hasher = rustc_hash::FxHasher::default();
    hasher.write(name);
    hasher.finish()
}

/// A module's export names, and an index from each name that is a symbol (not plumbing) to
/// its position: open addressing over a power-of-two table, built once per module when its
/// metadata is made or read, so a library's symbol table costs no hashing of names per load.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct IndexedNames {
    names: Names,
    /// (the name's hash, low half; its position + 1), or (0, 0) for an empty slot. Always
    /// larger than the names (an empty slot ends every search).
    slots: Box<[(u32, u32)]>,
}

impl IndexedNames {
    fn new(names: Names) -> Self {
        let mut slots = vec![(0u32, 0u32); (names.len() * 2).next_power_of_two().max(2)];
        let mask = slots.len() - 1;
        for (at, name) in names.iter().enumerate() {
            if is_plumbing(name) {
                continue;
            }
            let hash = name_hash(name.as_bytes());
            let mut i = (hash >> 32) as usize & mask;
            while slots[i].1 != 0 {
                i = (i + 1) & mask;
            }
            slots[i] = (hash as u32, at as u32 + 1);
        }
        IndexedNames {
            names,
            slots: slots.into(),
        }
    }

    /// The position of export `name`, if it is a symbol (plumbing names are not indexed).
    pub(crate) fn position(&self, name: &[u8]) -> Option<u32> {
        self.position_hashed(name, name_hash(name))
    }

    /// [`IndexedNames::position`] of a name whose [`name_hash`] is `hash`.
    pub(crate) fn position_hashed(&self, name: &[u8], hash: u64) -> Option<u32> {
        let mask = self.slots.len().checked_sub(1)?;
        let mut i = (hash >> 32) as usize & mask;
        for _ in 0..self.slots.len() {
            let (tag, at) = *self.slots.get(i)?;
            let at = at.checked_sub(1)?;
            if tag == hash as u32 && self.names.get(at as usize).map(str::as_bytes) == Some(name) {
                return Some(at);
            }
            i = (i + 1) & mask;
        }
        None
    }
}

impl std::ops::Deref for IndexedNames {
    type Target = Names;

    fn deref(&self) -> &Names {
        &self.names
    }
}

impl<'a> FromIterator<&'a str> for IndexedNames {
    fn from_iter<I: IntoIterator<Item = &'a str>>(items: I) -> Self {
        IndexedNames::new(items.into_iter().collect())
    }
}

/// [`Names`] read from bytes: the text is checked to be UTF-8 once, at the end, instead of
/// name by name (a load of a large library reads a thousand of them). The whole being UTF-8
/// and every name ending on a character boundary is the same as every name being UTF-8.
#[derive(Default)]
struct NamesReader {
    text: Vec<u8>,
    ends: Vec<u32>,
}

impl NamesReader {
    fn push(&mut self, name: &[u8]) -> Option<()> {
        self.text.extend_from_slice(name);
        self.ends.push(u32::try_from(self.text.len()).ok()?);
        Some(())
    }

    fn finish(self) -> Option<Names> {
        let text = String::from_utf8(self.text).ok()?;
        self.ends
            .iter()
            .all(|&end| text.is_char_boundary(end as usize))
            .then_some(Names {
                text,
                ends: self.ends,
            })
    }
}

impl<'a> FromIterator<&'a str> for Names {
    fn from_iter<I: IntoIterator<Item = &'a str>>(items: I) -> Self {
        let mut names = Names::default();
        for name in items {
            names.push(name);
        }
        names
    }
}

/// One import (its field name is in [`LinkInfo::import_names`]): its weak flag, and whether
/// the module's code really refers to it (see `dylink::Import::referenced`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LinkImport {
    pub(crate) weak: bool,
    pub(crate) referenced: bool,
}

impl LinkInfo {
    /// The exported name of the function at `func_index` (the module's function index space,
    /// imports included), the first in export order if it has several.
    pub(crate) fn function_name(&self, func_index: u32) -> Option<&str> {
        let &(_, at) = self
            .function_exports
            .iter()
            .find(|&&(index, _)| index == func_index)?;
        self.exports.get(at as usize)
    }

    /// The field name of import `index` (module order); `""` past the end.
    pub(crate) fn import_name(&self, index: usize) -> &str {
        self.import_names.get(index).unwrap_or("")
    }

    pub(crate) fn new(info: SideModuleInfo) -> Self {
        LinkInfo {
            mem: info.mem,
            needed: info.needed,
            runtime_paths: info.runtime_paths,
            imports: info
                .imports
                .iter()
                .map(|i| LinkImport {
                    weak: i.weak,
                    referenced: i.referenced,
                })
                .collect(),
            import_names: info.imports.iter().map(|i| i.name.as_str()).collect(),
            exports: info.exports.iter().map(|e| e.name.as_str()).collect(),
            function_exports: info
                .exports
                .iter()
                .enumerate()
                .filter_map(|(at, e)| match e.kind {
                    ExportKind::Function { func_index } => {
                        Some((func_index, u32::try_from(at).ok()?))
                    }
                    _ => None,
                })
                .collect(),
            data_exports: info
                .exports
                .iter()
                .enumerate()
                .filter_map(|(at, e)| match e.kind {
                    ExportKind::Data { offset, .. } => Some((u32::try_from(at).ok()?, offset)),
                    _ => None,
                })
                .collect(),
            nodlopen: info.nodlopen,
            soname: info.soname,
            nodelete: info.nodelete,
            own_slots: Vec::new(),
            self_got_exports: Vec::new(),
            self_got: Vec::new(),
        }
    }

    /// The link metadata of a module rewritten by `selfbind::self_bind`: `file`'s (the module
    /// as read) exports, since the rewrite drops those the metadata answers, and the rest from
    /// `info`, read from the rewritten bytes; `None` if the two do not agree.
    pub(crate) fn self_bound(
        file: &LinkInfo,
        info: SideModuleInfo,
        bound: &SelfBound,
    ) -> Option<Self> {
        // The rewritten `dylink.0` declares the added slots.
        if info.mem.table_size != bound.table_size
            || !info.exports.iter().any(|e| e.name == SETTER_EXPORT)
        {
            return None;
        }
        let mut link = LinkInfo::new(info);
        link.exports = file.exports.clone();
        link.function_exports = file.function_exports.clone();
        link.data_exports = file.data_exports.clone();
        link.own_slots = bound.own_slots.clone();
        // Each bound entry's symbol is a function the module defines and exports.
        link.self_got_exports = bound
            .entries
            .iter()
            .map(|(name, _)| {
                file.exports.position(name.as_bytes()).or_else(|| {
                    let at = file.exports.iter().position(|export| export == name)?;
                    u32::try_from(at).ok()
                })
            })
            .collect::<Option<_>>()?;
        link.self_got = bound.entries.iter().map(|&(_, slot)| slot).collect();
        Some(link)
    }

    /// The slot offset (from `__table_base`) of the function at `func_index` if it is one of
    /// the module's own added slots.
    pub(crate) fn own_slot(&self, func_index: u32) -> Option<u32> {
        let at = self
            .own_slots
            .binary_search_by_key(&func_index, |&(func, _)| func)
            .ok()?;
        self.own_slots.get(at).map(|&(_, slot)| slot)
    }

    /// Each exported function as (function index, position in `exports`, own slot offset if
    /// it has one), in export order. Exports usually come in function order: then one walk
    /// along `own_slots` finds the slots, with a bisection for any that does not.
    pub(crate) fn function_exports_with_slots(
        &self,
    ) -> impl Iterator<Item = (u32, u32, Option<u32>)> + '_ {
        let mut next = 0usize;
        self.function_exports.iter().map(move |&(func, at)| {
            let behind = next > 0
                && self
                    .own_slots
                    .get(next - 1)
                    .is_some_and(|&(f, _)| f >= func);
            let slot = if behind {
                self.own_slot(func)
            } else {
                while self.own_slots.get(next).is_some_and(|&(f, _)| f < func) {
                    next += 1;
                }
                match self.own_slots.get(next) {
                    Some(&(f, slot)) if f == func => {
                        next += 1;
                        Some(slot)
                    }
                    _ => None,
                }
            };
            (func, at, slot)
        })
    }

    /// The symbol of `GOT.func` entry `index` bound at compile time; `""` past the end.
    pub(crate) fn self_got_name(&self, index: usize) -> &str {
        self.self_got_exports
            .get(index)
            .and_then(|&at| self.exports.get(at as usize))
            .unwrap_or("")
    }
}

/// Everything kept with a compiled side module besides the code.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct LibraryMeta {
    pub(crate) info: LinkInfo,
    pub(crate) reset: Result<ResetImage, &'static str>,
    pub(crate) late_destructors: Vec<u32>,
    /// The functions and imports the module file declares (`Limits::max_module_functions` and
    /// `max_module_imports` are checked on them on a cache hit, where the module's bytes may
    /// not be read). Those of the file as read, before `selfbind`: a rewrite that removes
    /// imports never lets a module past the import bound.
    pub(crate) counts: ModuleCounts,
}

/// Why a module cannot be reset, as stored (an index into this list; the text is only ever
/// used to tell the cases apart).
const RESET_REASONS: &[&str] = &[
    "unreadable",
    "unreadable imports",
    "it defines its own memory",
    "it defines its own table",
    "unreadable data",
    "it has passive data segments",
    "a data segment is not placed at __memory_base",
    "a data segment lies outside its block",
    "unreadable elements",
    "an element segment fills another table",
    "an element segment is not placed at __table_base",
    "an element segment lies outside its table slots",
    "it has passive element segments",
    "unreadable globals",
    "unreadable code",
    "it sets its own mutable globals after its start function",
];
const OTHER_REASON: &str = "not resettable";

impl LibraryMeta {
    /// The encoding stored in a disk cache entry (little-endian; strings as length + UTF-8).
    pub(crate) fn encode(&self) -> Vec<u8> {
        let mut w = Writer(Vec::new());
        let m = &self.info.mem;
        for v in [
            m.memory_size,
            m.memory_align_log2,
            m.table_size,
            m.table_align_log2,
        ] {
            w.u32(v);
        }
        w.strings(self.info.needed.iter().map(String::as_str));
        w.strings(self.info.runtime_paths.iter().map(String::as_str));
        w.len(self.info.imports.len());
        for (import, name) in self.info.imports.iter().zip(self.info.import_names.iter()) {
            w.str(name);
            w.0.push(u8::from(import.weak) | u8::from(import.referenced) << 1);
        }
        w.strings(self.info.exports.iter());
        w.len(self.info.function_exports.len());
        for &(func_index, at) in &self.info.function_exports {
            w.u32(func_index);
            w.u32(at);
        }
        w.len(self.info.data_exports.len());
        for &(at, offset) in &self.info.data_exports {
            w.u32(at);
            w.0.push(u8::from(offset.is_some()));
            w.u32(offset.unwrap_or(0));
        }
        w.strings(self.info.soname.iter().map(String::as_str));
        // One byte of flags: entries written before `nodlopen` existed decode unchanged.
        w.0.push(u8::from(self.info.nodelete) | u8::from(self.info.nodlopen) << 1);
        match &self.reset {
            Ok(image) => {
                w.0.push(1);
                w.len(image.segments.len());
                for (offset, bytes) in &image.segments {
                    w.u32(*offset);
                    w.bytes(bytes);
                }
            }
            Err(why) => {
                w.0.push(0);
                let index = RESET_REASONS.iter().position(|r| r == why);
                w.u32(index.map_or(u32::MAX, |i| i as u32));
            }
        }
        w.len(self.late_destructors.len());
        for &offset in &self.late_destructors {
            w.u32(offset);
        }
        w.u32(self.counts.functions);
        w.u32(self.counts.imports);
        w.len(self.info.own_slots.len());
        for &(func, slot) in &self.info.own_slots {
            w.u32(func);
            w.u32(slot);
        }
        w.len(self.info.self_got.len());
        for (&at, &slot) in self.info.self_got_exports.iter().zip(&self.info.self_got) {
            w.u32(at);
            w.u32(slot);
        }
        w.0
    }

    /// Decodes [`LibraryMeta::encode`]'s output; `None` if it is not exactly that.
    pub(crate) fn decode(bytes: &[u8]) -> Option<LibraryMeta> {
        let mut r = Reader(bytes);
        let mem = MemInfo {
            memory_size: r.u32()?,
            memory_align_log2: r.u32()?,
            table_size: r.u32()?,
            table_align_log2: r.u32()?,
        };
        let needed = r.list(|r| r.string())?;
        let runtime_paths = r.list(|r| r.string())?;
        let mut import_names = NamesReader::default();
        let imports = r.list(|r| {
            import_names.push(r.bytes()?)?;
            let flags = r.u8()?;
            if flags > 3 {
                return None;
            }
            Some(LinkImport {
                weak: flags & 1 != 0,
                referenced: flags & 2 != 0,
            })
        })?;
        let import_names = import_names.finish()?;
        let count = r.u32()? as usize;
        let mut exports = NamesReader::default();
        exports.ends.reserve(count.min(r.0.len()));
        for _ in 0..count {
            exports.push(r.bytes()?)?;
        }
        let exports = IndexedNames::new(exports.finish()?);
        let function_exports = r.pairs(|func, at| {
            // Every position names an export.
            ((at as usize) < exports.len()).then_some((func, at))
        })?;
        let data_exports = r.list(|r| {
            let at = r.u32()?;
            let offset = match (r.u8()?, r.u32()?) {
                (0, _) => None,
                (1, offset) => Some(offset),
                _ => return None,
            };
            ((at as usize) < exports.len()).then_some((at, offset))
        })?;
        let mut sonames = r.list(|r| r.string())?;
        if sonames.len() > 1 {
            return None;
        }
        let soname = sonames.pop();
        let flags = r.u8()?;
        if flags > 3 {
            return None;
        }
        let (nodelete, nodlopen) = (flags & 1 != 0, flags & 2 != 0);
        let reset = match r.u8()? {
            1 => Ok(ResetImage {
                segments: r.list(|r| Some((r.u32()?, Box::from(r.bytes()?))))?,
            }),
            0 => {
                let index = r.u32()?;
                Err(RESET_REASONS
                    .get(index as usize)
                    .copied()
                    .unwrap_or(OTHER_REASON))
            }
            _ => return None,
        };
        let late_destructors = r.list(|r| r.u32())?;
        let counts = ModuleCounts {
            functions: r.u32()?,
            imports: r.u32()?,
        };
        // Every slot lies in the module's table slots, every global is an export; the
        // function indices rise (they are searched by bisection).
        let own_slots = r.pairs(|func, slot| (slot < mem.table_size).then_some((func, slot)))?;
        if own_slots.windows(2).any(|w| w[0].0 >= w[1].0) {
            return None;
        }
        let entries = r.pairs(|at, slot| {
            ((at as usize) < exports.len() && slot < mem.table_size).then_some((at, slot))
        })?;
        let (self_got_exports, self_got) = entries.into_iter().unzip();
        if !r.0.is_empty() {
            return None;
        }
        Some(LibraryMeta {
            info: LinkInfo {
                mem,
                needed,
                runtime_paths,
                imports,
                import_names,
                exports,
                function_exports,
                data_exports,
                nodlopen,
                soname,
                nodelete,
                own_slots,
                self_got_exports,
                self_got,
            },
            reset,
            late_destructors,
            counts,
        })
    }
}

struct Writer(Vec<u8>);

impl Writer {
    fn u32(&mut self, v: u32) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }

    fn len(&mut self, n: usize) {
        self.u32(u32::try_from(n).unwrap_or(u32::MAX));
    }

    fn bytes(&mut self, b: &[u8]) {
        self.len(b.len());
        self.0.extend_from_slice(b);
    }

    fn str(&mut self, s: &str) {
        self.bytes(s.as_bytes());
    }

    fn strings<'a>(&mut self, items: impl ExactSizeIterator<Item = &'a str>) {
        self.len(items.len());
        for s in items {
            self.str(s);
        }
    }
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if n > self.0.len() {
            return None;
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Some(head)
    }

    fn u8(&mut self) -> Option<u8> {
        self.take(1).map(|b| b[0])
    }

    fn u32(&mut self) -> Option<u32> {
        self.take(4)
            .and_then(|b| <[u8; 4]>::try_from(b).ok())
            .map(u32::from_le_bytes)
    }

    fn bytes(&mut self) -> Option<&'a [u8]> {
        let n = self.u32()? as usize;
        self.take(n)
    }

    fn str(&mut self) -> Option<&'a str> {
        std::str::from_utf8(self.bytes()?).ok()
    }

    fn string(&mut self) -> Option<String> {
        self.str().map(str::to_owned)
    }

    /// A count, then that many pairs of u32 (LE), taken as one slice: the lists of a library
    /// with hundreds of functions are read without a bounds check per number.
    fn pairs<T>(&mut self, mut entry: impl FnMut(u32, u32) -> Option<T>) -> Option<Vec<T>> {
        let count = self.u32()? as usize;
        let bytes = self.take(count.checked_mul(8)?)?;
        bytes
            .as_chunks::<8>()
            .0
            .iter()
            .map(|pair| {
                let (a, b) = pair.split_at(4);
                entry(
                    u32::from_le_bytes(a.try_into().ok()?),
                    u32::from_le_bytes(b.try_into().ok()?),
                )
            })
            .collect()
    }

    /// A count, then that many entries. Every entry takes at least one byte, so the capacity
    /// reserved never exceeds what the input holds.
    fn list<T>(&mut self, mut entry: impl FnMut(&mut Self) -> Option<T>) -> Option<Vec<T>> {
        let count = self.u32()? as usize;
        let mut out = Vec::with_capacity(count.min(self.0.len()));
        for _ in 0..count {
            out.push(entry(self)?);
        }
        Some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> LibraryMeta {
        LibraryMeta {
            info: LinkInfo {
                mem: MemInfo {
                    memory_size: 100,
                    memory_align_log2: 3,
                    table_size: 7,
                    table_align_log2: 0,
                },
                needed: vec!["libb.so".into(), "libc2.so".into()],
                runtime_paths: vec!["$ORIGIN/lib".into()],
                imports: vec![
                    LinkImport {
                        weak: false,
                        referenced: true,
                    },
                    LinkImport {
                        weak: true,
                        referenced: false,
                    },
                ],
                import_names: ["memory", "maybe"].into_iter().collect(),
                exports: ["f", "g", "d", "e"].into_iter().collect(),
                function_exports: vec![(3, 1), (5, 0)],
                data_exports: vec![(2, Some(16)), (3, None)],
                nodlopen: true,
                soname: Some("libb.so.1".into()),
                nodelete: true,
                own_slots: vec![(3, 5), (5, 6)],
                self_got_exports: vec![1],
                self_got: vec![5],
            },
            reset: Ok(ResetImage {
                segments: vec![(0, Box::from(&b"abc"[..])), (16, Box::from(&b""[..]))],
            }),
            late_destructors: vec![4, 2],
            counts: ModuleCounts {
                functions: 12,
                imports: 30,
            },
        }
    }

    #[test]
    fn metadata_round_trips() {
        let meta = sample();
        assert_eq!(LibraryMeta::decode(&meta.encode()), Some(meta));
        let not_resettable = LibraryMeta {
            reset: Err("it has passive data segments"),
            ..sample()
        };
        assert_eq!(
            LibraryMeta::decode(&not_resettable.encode()),
            Some(not_resettable)
        );
    }

    /// Names are checked as UTF-8 once for all of them: a character split between two names
    /// (the text as a whole still UTF-8) is refused as a name that is not UTF-8 would be.
    #[test]
    fn a_character_split_between_two_names_is_refused() {
        let mut meta = sample();
        meta.info.import_names = ["\u{e9}", "y"].into_iter().collect();
        let whole = meta.encode();
        assert_eq!(LibraryMeta::decode(&whole), Some(meta));
        // [2, C3 A9, flags] [1, 'y', flags] becomes [1, C3, flags] [2, A9 'y', flags].
        let at = whole
            .windows(6)
            .position(|w| w == [2, 0, 0, 0, 0xc3, 0xa9])
            .unwrap();
        let flags = (whole[at + 6], whole[at + 12]);
        let mut split = whole.clone();
        split[at..at + 12].copy_from_slice(&[1, 0, 0, 0, 0xc3, flags.0, 2, 0, 0, 0, 0xa9, b'y']);
        split[at + 12] = flags.1;
        assert_eq!(LibraryMeta::decode(&split), None);
    }

    #[test]
    fn every_cut_or_extension_is_refused() {
        let bytes = sample().encode();
        for len in 0..bytes.len() {
            assert_eq!(LibraryMeta::decode(&bytes[..len]), None, "cut at {len}");
        }
        let longer = [&bytes[..], &[0]].concat();
        assert_eq!(LibraryMeta::decode(&longer), None);
        // A count far beyond the input fails without reserving for it.
        let mut huge = bytes.clone();
        huge[16..20].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(LibraryMeta::decode(&huge), None);
    }

    #[test]
    fn each_flag_of_the_flags_byte_round_trips() {
        for (nodelete, nodlopen) in [(false, false), (true, false), (false, true), (true, true)] {
            let mut meta = sample();
            meta.info.nodelete = nodelete;
            meta.info.nodlopen = nodlopen;
            assert_eq!(LibraryMeta::decode(&meta.encode()), Some(meta));
        }
    }

    #[test]
    fn import_names_come_back_in_module_order() {
        let decoded = LibraryMeta::decode(&sample().encode()).expect("decodes");
        assert_eq!(decoded.info.import_name(0), "memory");
        assert_eq!(decoded.info.import_name(1), "maybe");
        assert_eq!(decoded.info.import_name(2), "");
        assert_eq!(
            decoded.info.imports.len(),
            decoded.info.import_names.iter().len()
        );
    }

    #[test]
    fn own_slots_are_found_for_exports_in_any_order() {
        let mut info = sample().info;
        info.own_slots = vec![(2, 4), (3, 5), (5, 6), (9, 7)];
        // In function order, then out of it (a function exported twice, and backwards).
        info.function_exports = vec![(1, 0), (3, 1), (5, 2), (3, 3), (2, 0), (8, 1), (9, 2)];
        let got: Vec<_> = info.function_exports_with_slots().collect();
        let want: Vec<_> = info
            .function_exports
            .iter()
            .map(|&(f, at)| (f, at, info.own_slot(f)))
            .collect();
        assert_eq!(got, want);
        assert_eq!(
            got.iter().map(|g| g.2).collect::<Vec<_>>(),
            [None, Some(5), Some(6), Some(5), Some(4), None, Some(7)]
        );
    }

    #[test]
    fn exported_functions_are_named_by_index_and_positions_are_checked() {
        let meta = sample();
        assert_eq!(meta.info.function_name(3), Some("g"));
        assert_eq!(meta.info.function_name(5), Some("f"));
        assert_eq!(meta.info.function_name(4), None);
        // A position past the export list makes the entry unusable.
        let mut bad = sample();
        bad.info.function_exports.push((9, 4));
        assert_eq!(LibraryMeta::decode(&bad.encode()), None);
        let mut bad = sample();
        bad.info.data_exports.push((4, Some(0)));
        assert_eq!(LibraryMeta::decode(&bad.encode()), None);
    }
}
