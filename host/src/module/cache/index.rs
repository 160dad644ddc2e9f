//! The disk cache's index, a small file beside the entries that saves a new process work:
//! - which content hash each library file had, so that a process that opens a file seen
//!   before neither reads nor hashes it when its compiled code is cached (see the cache's
//!   module docs, "Keys");
//! - which entries had their checksum verified in full during this boot, by their own file
//!   identity, so that a process loads such an entry without reading all of it (see the
//!   cache's module docs, "What the disk cache trusts").
//!
//! The index only ever saves work. It is trusted as the entries are (a regular file in the
//! private cache directory, owned by the host's user, not writable by others) and carries its
//! own BLAKE3 checksum: a missing, foreign, truncated or corrupt index reads as empty, so the
//! files are hashed and the entries checksummed again. A file that changed has another
//! identity (its size, modification or change time differ), so a stale record is never used
//! for it; compiled code is always stored under the hash of the bytes compiled. Records of
//! verified entries hold only within the boot that made them: after a crash, data a record
//! vouched for may never have reached the disk.
//!
//! Layout: `MAGIC`, format version (u32 LE), the counts of identities and of verified
//! entries (u32 LE each), the boot the verified entries belong to (16 bytes, zero when
//! unknown), the identities (`IDENTITY_LEN` bytes each: a [`FileIdentity`] as seven 64-bit LE
//! numbers, device, inode, size, mtime seconds and nanoseconds, ctime seconds and
//! nanoseconds, then the 32-byte content hash), the verified entries (a `FileIdentity` each,
//! `VERIFIED_LEN` bytes), and the BLAKE3 hash of all that.

use std::collections::HashSet;
use std::io::{Read, Write};
use std::path::Path;

use super::disk::{current_uid, open_for_reading, TEMP_PREFIX};
use super::Hash256;
use crate::module::source::FileIdentity;

/// The index's file name in the cache directory (not a `.cwasm` entry: never evicted).
pub(super) const FILE_NAME: &str = "identities.idx";
/// At most this many files, and this many verified entries, are indexed (the most recent
/// first).
pub(super) const MAX_ENTRIES: usize = 1024;

const MAGIC: &[u8; 8] = b"wasidlix";
const VERSION: u32 = 2;
pub(super) const HEADER_LEN: usize = 8 + 4 + 4 + 4 + 16;
const VERIFIED_LEN: usize = 7 * 8;
const IDENTITY_LEN: usize = VERIFIED_LEN + 32;
const SUM_LEN: usize = 32;

/// Which boot of the machine: records of verified entries hold within one.
pub(super) type BootId = [u8; 16];

/// What an index holds.
#[derive(Debug, Default, PartialEq)]
pub(super) struct Index {
    /// Library files and the content hash each had.
    pub(super) identities: Vec<(FileIdentity, Hash256)>,
    /// Cache entries whose checksum was verified in full during this boot, by their own
    /// file's identity.
    pub(super) verified: Vec<FileIdentity>,
}

/// This boot's identity (Linux's `boot_id`); `None` where there is none, and then no entry is
/// ever taken as verified.
pub(super) fn boot_id() -> Option<BootId> {
    // Read once per process: a process does not outlive its boot.
    static BOOT: std::sync::OnceLock<Option<BootId>> = std::sync::OnceLock::new();
    *BOOT.get_or_init(read_boot_id)
}

fn read_boot_id() -> Option<BootId> {
    #[cfg(target_os = "linux")]
    {
        use std::io::Read;
        // One read into a small buffer (the file is 37 bytes): this runs in every process
        // that loads from the cache.
        let mut buf = [0u8; 64];
        let len = std::fs::File::open("/proc/sys/kernel/random/boot_id")
            .and_then(|mut file| file.read(&mut buf))
            .ok()?;
        let text = buf.get(..len)?.trim_ascii();
        let hex: Vec<u8> = text.iter().copied().filter(|&b| b != b'-').collect();
        if hex.len() != 32 {
            return None;
        }
        let mut id = [0u8; 16];
        for (byte, pair) in id.iter_mut().zip(hex.as_chunks::<2>().0) {
            *byte = u8::from_str_radix(std::str::from_utf8(pair).ok()?, 16).ok()?;
        }
        (id != [0; 16]).then_some(id)
    }
    #[cfg(not(target_os = "linux"))]
    None
}

/// The index in `dir` (its verified entries only if they belong to `boot`); empty when there
/// is none or it is not sound.
pub(super) fn read(dir: &Path, boot: Option<&BootId>) -> Index {
    read_checked(&dir.join(FILE_NAME), boot).unwrap_or_default()
}

fn read_checked(path: &Path, boot: Option<&BootId>) -> Option<Index> {
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
    let max_len = (HEADER_LEN + MAX_ENTRIES * (IDENTITY_LEN + VERIFIED_LEN) + SUM_LEN) as u64;
    if meta.len() > max_len {
        return None;
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(max_len).read_to_end(&mut bytes).ok()?;
    decode(&bytes, boot)
}

/// The index of an index file's bytes; `None` unless they are exactly a sound index.
fn decode(bytes: &[u8], boot: Option<&BootId>) -> Option<Index> {
    let body_len = bytes.len().checked_sub(SUM_LEN)?;
    let (body, sum) = bytes.split_at(body_len);
    if body.get(..8)? != MAGIC || le_u32(body, 8)? != VERSION {
        return None;
    }
    let identities = le_u32(body, 12)? as usize;
    let verified = le_u32(body, 16)? as usize;
    if identities > MAX_ENTRIES
        || verified > MAX_ENTRIES
        || body.len() != HEADER_LEN + identities * IDENTITY_LEN + verified * VERIFIED_LEN
    {
        return None;
    }
    if blake3::hash(body).as_bytes() != sum {
        return None;
    }
    let (identity_bytes, verified_bytes) = body[HEADER_LEN..].split_at(identities * IDENTITY_LEN);
    let identities = identity_bytes
        .as_chunks::<IDENTITY_LEN>()
        .0
        .iter()
        .map(|e| Some((file_identity(e)?, e.get(VERIFIED_LEN..)?.try_into().ok()?)))
        .collect::<Option<_>>()?;
    let same_boot = boot.is_some_and(|boot| body.get(20..36) == Some(boot.as_slice()));
    let verified = if same_boot {
        verified_bytes
            .as_chunks::<VERIFIED_LEN>()
            .0
            .iter()
            .map(|e| file_identity(e))
            .collect::<Option<_>>()?
    } else {
        Vec::new()
    };
    Some(Index {
        identities,
        verified,
    })
}

fn file_identity(bytes: &[u8]) -> Option<FileIdentity> {
    let field = |i: usize| le_u64(bytes, i * 8);
    Some(FileIdentity {
        dev: field(0)?,
        ino: field(1)?,
        size: field(2)?,
        mtime: (field(3)? as i64, field(4)? as i64),
        ctime: (field(5)? as i64, field(6)? as i64),
    })
}

fn le_u32(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
}

fn le_u64(bytes: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(bytes.get(at..at + 8)?.try_into().ok()?))
}

fn put_identity(out: &mut Vec<u8>, id: &FileIdentity) {
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
}

fn encode(index: &Index, boot: Option<&BootId>) -> Vec<u8> {
    let identities = &index.identities[..index.identities.len().min(MAX_ENTRIES)];
    // Without a boot to name, no record of a verified entry could be told valid.
    let verified = match boot {
        Some(_) => &index.verified[..index.verified.len().min(MAX_ENTRIES)],
        None => &[],
    };
    let mut out = Vec::with_capacity(
        HEADER_LEN + identities.len() * IDENTITY_LEN + verified.len() * VERIFIED_LEN + SUM_LEN,
    );
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&VERSION.to_le_bytes());
    out.extend_from_slice(&(identities.len() as u32).to_le_bytes());
    out.extend_from_slice(&(verified.len() as u32).to_le_bytes());
    out.extend_from_slice(boot.unwrap_or(&[0; 16]));
    for (id, hash) in identities {
        put_identity(&mut out, id);
        out.extend_from_slice(hash);
    }
    for id in verified {
        put_identity(&mut out, id);
    }
    let sum = blake3::hash(&out);
    out.extend_from_slice(sum.as_bytes());
    out
}

/// Writes the index of `dir`: `ours` first (this process's, newest first), then the records
/// of the index on disk that they do not replace (another process may have added some), at
/// most `MAX_ENTRIES` of each kind. Written to an exclusively created temporary file and
/// renamed into place, as entries are: readers see the old index or the new one, whole.
pub(super) fn write(dir: &Path, boot: Option<&BootId>, mut ours: Index) -> std::io::Result<()> {
    let theirs = read(dir, boot);
    let mine: HashSet<FileIdentity> = ours.identities.iter().map(|(id, _)| *id).collect();
    let room = MAX_ENTRIES.saturating_sub(ours.identities.len());
    ours.identities.extend(
        theirs
            .identities
            .into_iter()
            .filter(|(id, _)| !mine.contains(id))
            .take(room),
    );
    let mine: HashSet<FileIdentity> = ours.verified.iter().copied().collect();
    let room = MAX_ENTRIES.saturating_sub(ours.verified.len());
    ours.verified.extend(
        theirs
            .verified
            .into_iter()
            .filter(|id| !mine.contains(id))
            .take(room),
    );
    let mut temp = tempfile::Builder::new()
        .prefix(TEMP_PREFIX)
        .tempfile_in(dir)?;
    temp.write_all(&encode(&ours, boot))?;
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

    fn verified(n: u64) -> FileIdentity {
        let mut id = entry(n).0;
        id.dev = 1 << 40;
        id
    }

    const BOOT: BootId = [7; 16];

    fn index(identities: impl IntoIterator<Item = u64>, checked: &[u64]) -> Index {
        Index {
            identities: identities.into_iter().map(entry).collect(),
            verified: checked.iter().map(|&n| verified(n)).collect(),
        }
    }

    #[test]
    fn an_index_round_trips_and_any_damage_empties_it() {
        let whole = index(0..3, &[5, 6]);
        let bytes = encode(&whole, Some(&BOOT));
        assert_eq!(decode(&bytes, Some(&BOOT)), Some(index(0..3, &[5, 6])));
        for len in 0..bytes.len() {
            assert_eq!(decode(&bytes[..len], Some(&BOOT)), None, "cut at {len}");
        }
        for at in 0..bytes.len() {
            let mut flipped = bytes.clone();
            flipped[at] ^= 0x10;
            assert_eq!(decode(&flipped, Some(&BOOT)), None, "bit flipped at {at}");
        }
        assert_eq!(
            decode(&[bytes.clone(), vec![0]].concat(), Some(&BOOT)),
            None
        );
    }

    #[test]
    fn verified_entries_hold_only_within_their_boot() {
        let bytes = encode(&index(0..2, &[5]), Some(&BOOT));
        let other_boot = [8; 16];
        assert_eq!(decode(&bytes, Some(&other_boot)), Some(index(0..2, &[])));
        assert_eq!(decode(&bytes, None), Some(index(0..2, &[])));
        // Without a boot, none are written at all.
        let bytes = encode(&index(0..2, &[5]), None);
        assert_eq!(decode(&bytes, Some(&[0; 16])), Some(index(0..2, &[])));
    }

    #[test]
    #[cfg(target_os = "linux")]
    fn this_boot_has_an_id() {
        let id = boot_id().expect("Linux names its boot");
        assert_eq!(read_boot_id(), Some(id), "read again");
    }

    #[test]
    fn writing_keeps_other_processes_entries_up_to_the_cap() {
        let tmp = tempfile::tempdir().unwrap();
        let boot = Some(&BOOT);
        write(tmp.path(), boot, index([1, 2], &[1])).unwrap();
        // Another process learns entry 3, a new hash for entry 1's file, and verifies 2.
        let mut newer = entry(1);
        newer.1 = [0xaa; 32];
        let mut theirs = index([3], &[2]);
        theirs.identities.push(newer);
        write(tmp.path(), boot, theirs).unwrap();
        let read_back = read(tmp.path(), boot);
        assert_eq!(read_back.identities, vec![entry(3), newer, entry(2)]);
        assert_eq!(read_back.verified, vec![verified(2), verified(1)]);
        let many = index(10..10 + MAX_ENTRIES as u64, &[]);
        write(tmp.path(), boot, index(10..10 + MAX_ENTRIES as u64, &[])).unwrap();
        assert_eq!(read(tmp.path(), boot).identities, many.identities);
        // A process of another boot drops this boot's verified entries.
        write(tmp.path(), Some(&[9; 16]), Index::default()).unwrap();
        assert_eq!(read(tmp.path(), boot).verified, vec![]);
        assert_eq!(read(tmp.path(), Some(&[9; 16])).verified, vec![]);
    }
}
