//! Remembered `sym` answers: asking again for a symbol is a hash lookup in the
//! program, not a call to the host.
//!
//! The host keeps a *generation* in [`GENERATION`] (the `watch` import): it
//! stores a new value at the start and at the end of every `open` and `close`,
//! the only calls that change what `sym` answers. An answer is used again only
//! while the generation it was given under is still current, and only for the
//! same handle, caller and name. Failures are never remembered: each goes to
//! the host, which keeps its `dlerror` text.
//!
//! The memo is a direct-mapped table of [`SLOTS`] entries: a name that collides
//! with another just asks the host again. Its memory is bounded (names longer
//! than [`MAX_NAME`] are not remembered).

use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use std::sync::{Mutex, PoisonError};

use crate::imp::SymbolKind;
use crate::sys;

/// Entries in the table (a power of two).
const SLOTS: usize = 256;

/// Longest name remembered, in bytes.
const MAX_NAME: usize = 512;

/// The loader's generation, as the host last stored it. Its address is handed
/// to the host once; the host writes it between our calls, never during our
/// reads (the program has one thread).
static GENERATION: AtomicU64 = AtomicU64::new(0);

/// Whether the host keeps [`GENERATION`].
static WATCHING: AtomicU8 = AtomicU8::new(NOT_ASKED);
const NOT_ASKED: u8 = 0;
const YES: u8 = 1;
const NO: u8 = 2;

/// Name bytes kept inside an entry; a longer name is kept on the heap. Most
/// names dlsym sees are short: a reopened library's first lookups then
/// allocate nothing.
const INLINE: usize = 40;

/// One remembered answer. All zeros is an empty slot (so the table is .bss).
struct Entry {
    generation: u64,
    handle: u32,
    caller: u32,
    value: u32,
    /// `__wasi_dl_symbol_kind_t`.
    kind: u8,
    /// Whether the slot holds an answer.
    full: bool,
    /// The name's length, its bytes in `inline` when it fits, else in `heap`.
    len: u16,
    inline: [u8; INLINE],
    heap: Option<Box<[u8]>>,
}

impl Entry {
    const EMPTY: Entry = Entry {
        generation: 0,
        handle: 0,
        caller: 0,
        value: 0,
        kind: 0,
        full: false,
        len: 0,
        inline: [0; INLINE],
        heap: None,
    };

    fn name(&self) -> &[u8] {
        match &self.heap {
            Some(name) => name,
            None => &self.inline[..usize::from(self.len).min(INLINE)],
        }
    }

    fn set_name(&mut self, name: &[u8]) {
        // MAX_NAME fits in u16.
        self.len = name.len() as u16;
        if name.len() <= INLINE {
            self.heap = None;
            self.inline[..name.len()].copy_from_slice(name);
        } else if self.heap.as_deref() != Some(name) {
            self.heap = Some(name.into());
        }
    }
}

static TABLE: Mutex<[Entry; SLOTS]> = Mutex::new([Entry::EMPTY; SLOTS]);

/// The current generation, or None if the host does not keep one (then
/// nothing is remembered). Asks the host to keep it on first use.
pub(crate) fn generation() -> Option<u64> {
    match WATCHING.load(Ordering::Relaxed) {
        YES => return Some(GENERATION.load(Ordering::Relaxed)),
        NO => return None,
        _ => {}
    }
    // SAFETY: GENERATION is a static: the host may store to it for the rest
    // of the program, and nothing else in the program does.
    let rc = unsafe { sys::watch(GENERATION.as_ptr()) };
    let watching = rc == sys::__WASI_DL_ERRNO_SUCCESS;
    WATCHING.store(if watching { YES } else { NO }, Ordering::Relaxed);
    watching.then(|| GENERATION.load(Ordering::Relaxed))
}

/// Where `(handle, name, caller)` lives in the table.
fn slot(handle: u32, name: &[u8], caller: u32) -> usize {
    // FNV-1a over the name, then the two numbers mixed in: cheap for the
    // short names dlsym sees, and spreads similar names apart.
    let mut h: u32 = 0x811c_9dc5;
    for &b in name {
        h = (h ^ u32::from(b)).wrapping_mul(0x0100_0193);
    }
    h ^= handle.wrapping_mul(0x9e37_79b9) ^ caller.rotate_left(16);
    h = h.wrapping_mul(0x9e37_79b9);
    (h >> (32 - SLOTS.trailing_zeros())) as usize
}

/// The remembered answer for `(handle, name, caller)`, if it was given under
/// `generation`.
pub(crate) fn get(
    generation: u64,
    handle: u32,
    name: &[u8],
    caller: u32,
) -> Option<(SymbolKind, u32)> {
    let table = TABLE.lock().unwrap_or_else(PoisonError::into_inner);
    let entry = &table[slot(handle, name, caller)];
    (entry.full
        && entry.generation == generation
        && entry.handle == handle
        && entry.caller == caller
        && entry.name() == name)
        .then(|| (SymbolKind::from_raw(entry.kind), entry.value))
}

/// Remembers a successful answer given under `generation`.
pub(crate) fn put(
    generation: u64,
    handle: u32,
    name: &[u8],
    caller: u32,
    (kind, value): (SymbolKind, u32),
) {
    if name.len() > MAX_NAME {
        return;
    }
    let mut table = TABLE.lock().unwrap_or_else(PoisonError::into_inner);
    let entry = &mut table[slot(handle, name, caller)];
    entry.generation = generation;
    entry.handle = handle;
    entry.caller = caller;
    entry.value = value;
    entry.kind = kind.to_raw();
    entry.full = true;
    entry.set_name(name);
}
