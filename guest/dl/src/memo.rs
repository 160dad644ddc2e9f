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

/// Name bytes kept inside an entry; a longer name is kept in [`LONG_NAMES`].
/// Most names dlsym sees are short: a reopened library's first lookups then
/// allocate nothing.
const INLINE: usize = 40;

/// One remembered answer. All zeros is an empty slot (so the table is .bss).
/// Plain data, so that remembering an answer only stores: the first lookup
/// after a dlopen or dlclose finds its entry out of the CPU's caches (the
/// loader's work in between evicted it), and a store does not wait for it.
#[derive(Clone, Copy)]
struct Entry {
    generation: u64,
    handle: u32,
    caller: u32,
    value: u32,
    /// `__wasi_dl_symbol_kind_t`.
    kind: u8,
    /// Whether the slot holds an answer.
    full: bool,
    /// The name's length; its bytes are in `inline` when it fits, else in
    /// the slot's place in [`LONG_NAMES`].
    len: u16,
    inline: [u8; INLINE],
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
    };
}

static TABLE: Mutex<[Entry; SLOTS]> = Mutex::new([Entry::EMPTY; SLOTS]);

/// The names longer than [`INLINE`], by slot: empty until the first one is
/// remembered. A slot's name here is current only while its entry's `len`
/// says it is long (a short name that takes the slot over leaves the old
/// one here until a long one replaces it: at most `SLOTS` x `MAX_NAME`).
static LONG_NAMES: Mutex<Vec<Option<Box<[u8]>>>> = Mutex::new(Vec::new());

/// The generation of the latest answer remembered. Every entry was given
/// under it or an earlier one, and generations only grow: while the current
/// generation differs, no entry can answer, and a lookup does not read the
/// table (whose entries a dlopen or dlclose has just pushed out of the
/// caches).
static LATEST_PUT: AtomicU64 = AtomicU64::new(u64::MAX);

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
    if LATEST_PUT.load(Ordering::Relaxed) != generation {
        return None;
    }
    let table = TABLE.lock().unwrap_or_else(PoisonError::into_inner);
    let at = slot(handle, name, caller);
    let entry = &table[at];
    if !(entry.full
        && entry.generation == generation
        && entry.handle == handle
        && entry.caller == caller
        && usize::from(entry.len) == name.len())
    {
        return None;
    }
    let same_name = if name.len() <= INLINE {
        entry.inline[..name.len()] == *name
    } else {
        let long = LONG_NAMES.lock().unwrap_or_else(PoisonError::into_inner);
        long.get(at).and_then(Option::as_deref) == Some(name)
    };
    same_name.then(|| (SymbolKind::from_raw(entry.kind), entry.value))
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
    let at = slot(handle, name, caller);
    let mut entry = Entry {
        generation,
        handle,
        caller,
        value,
        kind: kind.to_raw(),
        full: true,
        // MAX_NAME fits in u16.
        len: name.len() as u16,
        inline: [0; INLINE],
    };
    if name.len() <= INLINE {
        entry.inline[..name.len()].copy_from_slice(name);
    } else {
        let mut long = LONG_NAMES.lock().unwrap_or_else(PoisonError::into_inner);
        if long.is_empty() {
            long.resize(SLOTS, None);
        }
        if long[at].as_deref() != Some(name) {
            long[at] = Some(name.into());
        }
    }
    TABLE.lock().unwrap_or_else(PoisonError::into_inner)[at] = entry;
    LATEST_PUT.store(generation, Ordering::Relaxed);
}
