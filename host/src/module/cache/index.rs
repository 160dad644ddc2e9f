//! The disk cache's identity index: which content hash each library file had, so that a new
//! process that opens a file seen before neither reads nor hashes it when its compiled code is
//! cached (see the cache's module docs, "Keys").
//!
//! The index only ever saves a hash. It is trusted as the entries are (a regular file in the
//! private cache directory, owned by the host's user, not writable by others) and carries its
//! own BLAKE3 checksum: a missing, foreign, truncated or corrupt index reads as empty, so the
//! files are hashed again. A file that changed has another identity (its size, modification or
//! change time differ), so a stale index entry is never used for it; compiled code is always
//! stored under the hash of the bytes compiled.
//!
//! Layout: `MAGIC`, format version (u32 LE), entry count (u32 LE), the entries (`ENTRY_LEN`
//! bytes each: device, inode, size, mtime seconds and nanoseconds, ctime seconds and
//! nanoseconds, all 64-bit LE, then the 32-byte content hash), and the BLAKE3 hash of all that.

use std::io::{Read, Write};
use std::path::Path;

use super::disk::{current_uid, open_for_reading, TEMP_PREFIX};
use super::Hash256;
use crate::module::source::FileIdentity;

/// The index's file name in the cache directory (not a `.cwasm` entry: never evicted).
pub(super) const FILE_NAME: &str = "identities.idx";
/// At most this many files are indexed (the files most recently hashed first).
pub(super) const MAX_ENTRIES: usize = 1024;

const MAGIC: &[u8; 8] = b"wasidlix";
const VERSION: u32 = 1;
const HEADER_LEN: usize = 8 + 4 + 4;
const ENTRY_LEN: usize = 7 * 8 + 32;
const SUM_LEN: usize = 32;

/// The index in `dir`; empty when there is none or it is not sound.
pub(super) fn read(dir: &Path) -> Vec<(FileIdentity, Hash256)> {
    read_checked(&dir.join(FILE_NAME)).unwrap_or_default()
}

fn read_checked(path: &Path) -> Option<Vec<(FileIdentity, Hash256)>> {
    let file = open_for_reading(path).ok()?;
    let meta = file.metadata().ok()?;
    if !meta.is_file() {
        return None;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if meta.uid() != current_uid() || meta.mode() & 0o022 != 0 {
            return None;
        }
    }
    let max_len = (HEADER_LEN + MAX_ENTRIES * ENTRY_LEN + SUM_LEN) as u64;
    if meta.len() > max_len {
        return None;
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(max_len).read_to_end(&mut bytes).ok()?;
    decode(&bytes)
}

/// The entries of an index file's bytes; `None` unless they are exactly a sound index.
fn decode(bytes: &[u8]) -> Option<Vec<(FileIdentity, Hash256)>> {
    let body_len = bytes.len().checked_sub(SUM_LEN)?;
    let (body, sum) = bytes.split_at(body_len);
    if body.get(..8)? != MAGIC || le_u32(body, 8)? != VERSION {
        return None;
    }
    let count = le_u32(body, 12)? as usize;
    if count > MAX_ENTRIES || body.len() != HEADER_LEN + count * ENTRY_LEN {
        return None;
    }
    if blake3::hash(body).as_bytes() != sum {
        return None;
    }
    body[HEADER_LEN..]
        .as_chunks::<ENTRY_LEN>()
        .0
        .iter()
        .map(|e| {
            let field = |i: usize| le_u64(e, i * 8);
            let identity = FileIdentity {
                dev: field(0)?,
                ino: field(1)?,
                size: field(2)?,
                mtime: (field(3)? as i64, field(4)? as i64),
                ctime: (field(5)? as i64, field(6)? as i64),
            };
            Some((identity, e.get(56..88)?.try_into().ok()?))
        })
        .collect()
}

fn le_u32(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
}

fn le_u64(bytes: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(bytes.get(at..at + 8)?.try_into().ok()?))
}

fn encode(entries: &[(FileIdentity, Hash256)]) -> Vec<u8> {
    let entries = &entries[..entries.len().min(MAX_ENTRIES)];
    let mut out = Vec::with_capacity(HEADER_LEN + entries.len() * ENTRY_LEN + SUM_LEN);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&VERSION.to_le_bytes());
    out.extend_from_slice(&(entries.len() as u32).to_le_bytes());
    for (id, hash) in entries {
        for v in [
            id.dev,
            id.ino,
            id.size,
            id.mtime.0 as u64,
            id.mtime.1 as u64,
            id.ctime.0 as u64,
            id.ctime.1 as u64,
        ] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        out.extend_from_slice(hash);
    }
    let sum = blake3::hash(&out);
    out.extend_from_slice(sum.as_bytes());
    out
}

/// Writes the index of `dir`: `entries` first (this process's, newest first), then those of
/// the index on disk that they do not replace (another process may have added some), at most
/// `MAX_ENTRIES` in all. Written to an exclusively created temporary file and renamed into
/// place, as entries are: readers see the old index or the new one, whole.
pub(super) fn write(dir: &Path, mut entries: Vec<(FileIdentity, Hash256)>) -> std::io::Result<()> {
    if entries.len() < MAX_ENTRIES {
        let mine: std::collections::HashSet<FileIdentity> =
            entries.iter().map(|(id, _)| *id).collect();
        let room = MAX_ENTRIES - entries.len();
        let theirs = read(dir).into_iter().filter(|(id, _)| !mine.contains(id));
        entries.extend(theirs.take(room));
    }
    let mut temp = tempfile::Builder::new()
        .prefix(TEMP_PREFIX)
        .tempfile_in(dir)?;
    temp.write_all(&encode(&entries))?;
    temp.persist(dir.join(FILE_NAME)).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(n: u64) -> (FileIdentity, Hash256) {
        let id = FileIdentity {
            dev: n,
            ino: n + 1,
            size: n + 2,
            mtime: (-3, 4),
            ctime: (n as i64, 999_999_999),
        };
        (id, [n as u8; 32])
    }

    #[test]
    fn an_index_round_trips_and_any_damage_empties_it() {
        let entries: Vec<_> = (0..3).map(entry).collect();
        let bytes = encode(&entries);
        assert_eq!(decode(&bytes), Some(entries));
        for len in 0..bytes.len() {
            assert_eq!(decode(&bytes[..len]), None, "cut at {len}");
        }
        for at in 0..bytes.len() {
            let mut flipped = bytes.clone();
            flipped[at] ^= 0x10;
            assert_eq!(decode(&flipped), None, "bit flipped at {at}");
        }
        assert_eq!(decode(&[bytes.clone(), vec![0]].concat()), None);
    }

    #[test]
    fn writing_keeps_other_processes_entries_up_to_the_cap() {
        let tmp = tempfile::tempdir().unwrap();
        write(tmp.path(), vec![entry(1), entry(2)]).unwrap();
        // Another process learns entry 3 and a new hash for entry 1's file.
        let mut newer = entry(1);
        newer.1 = [0xaa; 32];
        write(tmp.path(), vec![entry(3), newer]).unwrap();
        assert_eq!(read(tmp.path()), vec![entry(3), newer, entry(2)]);
        let many: Vec<_> = (10..10 + MAX_ENTRIES as u64).map(entry).collect();
        write(tmp.path(), many.clone()).unwrap();
        assert_eq!(read(tmp.path()), many);
    }
}
