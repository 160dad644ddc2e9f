//! The room libraries occupy in the program: table slots and function identity.
//!
//! Memory blocks come from the program's own allocator (see `loader`); this module keeps the
//! bookkeeping that needs no store: which table slots are free for reuse, and which slot holds
//! which function. One function has one slot in the whole program, so a function pointer taken
//! in a library, returned by `dlsym` or held by the program compares equal.

use std::collections::BTreeMap;

use rustc_hash::FxHashMap;

/// A function's identity in the store (`Func::to_raw`), stable for the store's life.
pub(crate) type FuncKey = usize;

#[derive(Default)]
pub(crate) struct Space {
    /// Free runs of table slots the loader added earlier and got back: start -> length.
    free_slots: BTreeMap<u32, u32>,
    /// The slot holding each function that has one.
    pub(crate) slot_of: FxHashMap<FuncKey, u32>,
    /// The reverse, for clearing slots and for `dladdr`.
    pub(crate) func_in: FxHashMap<u32, FuncKey>,
    /// Slots the loader has added to the table so far (the limit counts these).
    pub(crate) slots_added: u32,
    /// Bytes of data memory reserved by loaded libraries.
    pub(crate) data_bytes: u64,
    /// Whether the slots the program's own table held when first seen are noted (see
    /// `loader::Session::program_slots`): until something needs them, they are not read.
    pub(crate) program_noted: bool,
    /// The program's table size when the loader first saw the program: the slots to note.
    pub(crate) program_table_len: u64,
}

impl Space {
    /// Takes `len` free slots starting at a multiple of `align`, reusing freed slots first.
    pub(crate) fn take_slots(&mut self, len: u32, align: u32) -> Option<u32> {
        if len == 0 {
            return None;
        }
        let align = align.max(1);
        let (start, run) = self.free_slots.iter().find_map(|(&start, &run)| {
            let aligned = start.checked_next_multiple_of(align)?;
            (aligned.checked_add(len)? <= start.checked_add(run)?).then_some((start, run))
        })?;
        self.free_slots.remove(&start);
        let aligned = start.next_multiple_of(align);
        if aligned > start {
            self.free_slots.insert(start, aligned - start);
        }
        let end = aligned + len;
        if end < start + run {
            self.free_slots.insert(end, start + run - end);
        }
        Some(aligned)
    }

    /// Gives slots back for reuse, merging with free neighbours.
    pub(crate) fn release_slots(&mut self, start: u32, len: u32) {
        if len == 0 {
            return;
        }
        let (mut start, mut len) = (start, len);
        if let Some((&prev, &prev_len)) = self.free_slots.range(..start).next_back() {
            if prev + prev_len == start {
                self.free_slots.remove(&prev);
                start = prev;
                len += prev_len;
            }
        }
        if let Some(next_len) = self.free_slots.remove(&(start + len)) {
            len += next_len;
        }
        self.free_slots.insert(start, len);
    }

    /// Makes room for `additional` records at once (a library brings hundreds: one growth of
    /// each map instead of one per doubling).
    pub(crate) fn reserve(&mut self, additional: usize) {
        self.slot_of.reserve(additional);
        self.func_in.reserve(additional);
    }

    /// Records that `slot` holds `key` (the first slot found for a function wins).
    pub(crate) fn record(&mut self, key: FuncKey, slot: u32) {
        self.slot_of.entry(key).or_insert(slot);
        self.func_in.insert(slot, key);
    }

    /// Forgets what `slot` held.
    pub(crate) fn forget(&mut self, slot: u32) {
        if let Some(key) = self.func_in.remove(&slot) {
            if self.slot_of.get(&key) == Some(&slot) {
                self.slot_of.remove(&key);
            }
        }
    }

    /// Slots currently free for reuse.
    #[cfg(test)]
    fn free_count(&self) -> u32 {
        self.free_slots.values().sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn freed_slots_are_reused_and_merged() {
        let mut space = Space::default();
        assert_eq!(space.take_slots(4, 1), None, "nothing free yet");
        space.release_slots(10, 4);
        space.release_slots(14, 2);
        space.release_slots(20, 3);
        assert_eq!(space.free_count(), 9);
        assert_eq!(
            space.take_slots(6, 1),
            Some(10),
            "10..14 and 14..16 merged into one run"
        );
        assert_eq!(space.take_slots(6, 1), None);
        assert_eq!(space.take_slots(2, 1), Some(20));
        assert_eq!(space.free_count(), 1);
        space.release_slots(20, 2);
        space.release_slots(10, 6);
        assert_eq!(space.free_count(), 9);
    }

    #[test]
    fn alignment_leaves_the_padding_free() {
        let mut space = Space::default();
        space.release_slots(5, 10);
        assert_eq!(space.take_slots(4, 8), Some(8));
        assert_eq!(space.free_count(), 6);
        assert_eq!(space.take_slots(3, 1), Some(5));
        assert_eq!(space.take_slots(3, 1), Some(12));
        assert_eq!(space.free_count(), 0);
    }

    #[test]
    fn one_slot_per_function() {
        let mut space = Space::default();
        space.record(0xabc, 3);
        space.record(0xabc, 9);
        assert_eq!(space.slot_of[&0xabc], 3);
        space.forget(9);
        assert_eq!(
            space.slot_of[&0xabc], 3,
            "forgetting a duplicate keeps the first"
        );
        space.forget(3);
        assert!(!space.slot_of.contains_key(&0xabc));
    }
}
