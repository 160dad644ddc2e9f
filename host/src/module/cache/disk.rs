//! The disk half of a [`ModuleCache`]: the private directory and its checks, the entry format
//! (payload, metadata, checksummed trailer), reading entries back over a read-only mapping,
//! writing them through exclusive temporary files, and eviction by size. See the parent
//! module's docs for what it trusts and why.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use wasmtime::{Engine, Module};

use crate::error::one_line;
use crate::error::BuildError;
use crate::module::libmeta::LibraryMeta;
use crate::module::source::FileIdentity;

use super::{CacheDirError, Hash256, ModuleCache};

/// The on-disk part of a cache.
pub(super) struct Disk {
    /// Canonical path, checked when the cache was made (see [`check_private_dir`]).
    pub(super) dir: PathBuf,
    pub(super) max_bytes: u64,
    pub(super) stats: Counters,
    /// Entries wasmtime maps from their files (each keeps its file open).
    pub(super) mapped: std::sync::atomic::AtomicUsize,
    /// `SETTLE`, except in tests.
    pub(super) settle: Duration,
}

/// An entry is recorded as verified only once its file's change time is at least this old:
/// any later write then gives it another change time, even on a file system whose timestamps
/// have a granularity of one second.
pub(super) const SETTLE: Duration = Duration::from_secs(2);

/// At most this many entries are mapped by wasmtime (one open file each, for as long as the
/// cache keeps the module); later ones are copied.
pub(super) const MAX_MAPPED_ENTRIES: usize = 256;

#[derive(Default)]
pub(super) struct Counters {
    pub(super) hits: AtomicU64,
    pub(super) misses: AtomicU64,
    pub(super) stores: AtomicU64,
    pub(super) rejected: AtomicU64,
    pub(super) evicted: AtomicU64,
    pub(super) checksummed: AtomicU64,
    pub(super) known_sound: AtomicU64,
}

impl ModuleCache {
    /// Compiled code from the disk cache, if it holds a sound entry for this module and engine,
    /// with the library metadata stored beside it (`with_meta`: a library's entry must have it).
    pub(super) fn load_from_disk(
        &self,
        engine: &Engine,
        key: &EntryKey,
        name: &str,
        with_meta: bool,
    ) -> Option<(Module, Option<LibraryMeta>)> {
        let disk = self.inner.disk.as_ref()?;
        let refused = |why: String| {
            disk.stats.rejected.fetch_add(1, Ordering::Relaxed);
            disk.stats.misses.fetch_add(1, Ordering::Relaxed);
            crate::trace::cache(name, &format!("disk entry refused ({why}), compiling"));
            None
        };
        let known_sound = |identity: &FileIdentity| self.known_sound(disk, identity);
        let (file, entry) = match open_entry(&disk.dir.join(key.file_name()), key, known_sound) {
            Ok(Some(entry)) => entry,
            Ok(None) => {
                disk.stats.misses.fetch_add(1, Ordering::Relaxed);
                return None;
            }
            Err(why) => return refused(why),
        };
        let meta = if with_meta {
            match LibraryMeta::decode(entry.meta()) {
                Some(meta) => Some(meta),
                None => return refused("its library metadata is unreadable".into()),
            }
        } else {
            None
        };
        // SAFETY: deserialising runs no code, but the result is native code the host will run.
        // These bytes come from a directory only the host's user can write (checked when the
        // cache was made), from a regular file that user owns, and match the checksum in the
        // entry's trailer, which also names this module's hash and this engine's compatibility
        // hash; wasmtime also refuses artifacts of an incompatible engine.
        //
        // wasmtime maps the same open file (the artifact starts it; the trailer after it is not
        // looked at), which is faster than a copy, but keeps the file open as long as the
        // module lives (for the process's life, in a cache): past `MAX_MAPPED_ENTRIES` such
        // files, or where executable mappings are refused, it copies from the checked mapping.
        let mapped = if disk.mapped.fetch_add(1, Ordering::Relaxed) < MAX_MAPPED_ENTRIES {
            match file.try_clone() {
                Ok(dup) => unsafe { Module::deserialize_open_file(engine, dup) }.ok(),
                Err(_) => None,
            }
        } else {
            None
        };
        let module = match mapped {
            Some(module) => Ok(module),
            None => {
                disk.mapped.fetch_sub(1, Ordering::Relaxed);
                unsafe { Module::deserialize(engine, entry.payload()) }
            }
        };
        let (last_use, identity, checked) = (entry.modified, entry.identity, entry.checked);
        drop(entry);
        match module {
            Ok(module) => {
                disk.stats.hits.fetch_add(1, Ordering::Relaxed);
                let (counter, how) = match checked {
                    Checked::InFull => (&disk.stats.checksummed, "checksum verified in full"),
                    Checked::KnownSound => (
                        &disk.stats.known_sound,
                        "entry unchanged since its checksum was verified in full this boot",
                    ),
                };
                counter.fetch_add(1, Ordering::Relaxed);
                crate::trace::cache(name, how);
                // The file's mtime is its last use, for eviction, kept to within
                // `LAST_USE_GRAIN`: most loads then write nothing. A failure only makes it an
                // earlier candidate. Marking a use changes the file's identity, so only an
                // entry left as it is can be recorded as verified.
                let now = SystemTime::now();
                let stale = last_use.is_none_or(|used| {
                    now.duration_since(used)
                        .map_or(true, |age| age > LAST_USE_GRAIN)
                });
                if stale {
                    let _ = file.set_modified(now);
                } else if let (Checked::InFull, Some(identity)) = (checked, identity) {
                    // (A file system that keeps no change time, reporting 0, cannot tell
                    // writes apart: nothing on it is recorded.)
                    let settled = identity
                        .changed()
                        .filter(|&changed| changed > SystemTime::UNIX_EPOCH)
                        .and_then(|changed| now.duration_since(changed).ok())
                        .is_some_and(|age| age >= disk.settle);
                    if settled {
                        self.remember_sound(disk, &identity);
                    }
                }
                Some((module, meta))
            }
            Err(e) => refused(format!("wasmtime refused it: {}", one_line(&e))),
        }
    }

    pub(super) fn store_on_disk(&self, key: &EntryKey, module: &Module, meta: &[u8], name: &str) {
        let Some(disk) = &self.inner.disk else {
            return;
        };
        let Ok(payload) = module.serialize() else {
            return;
        };
        let path = disk.dir.join(key.file_name());
        // A failure only costs the next process a compile.
        match write_entry(&disk.dir, &path, key, &payload, meta) {
            Ok(()) => {
                disk.stats.stores.fetch_add(1, Ordering::Relaxed);
                disk.evict(&path);
            }
            Err(e) => crate::trace::cache(name, &format!("cannot write the disk entry: {e}")),
        }
    }
}

/// `Err(CacheOverlapsGrant)` when one of two canonical paths lies inside the other.
pub(crate) fn check_overlap(cache: &Path, grant: &Path) -> Result<(), BuildError> {
    if cache.starts_with(grant) || grant.starts_with(cache) {
        return Err(BuildError::CacheOverlapsGrant {
            cache: cache.to_path_buf(),
            grant: grant.to_path_buf(),
        });
    }
    Ok(())
}

/// Creates `dir` (mode 0700) when missing, and checks that only this user can write into it.
/// Returns its canonical path.
pub(super) fn check_private_dir(dir: &Path) -> Result<PathBuf, CacheDirError> {
    let io = |source| CacheDirError::Io {
        dir: dir.to_path_buf(),
        source,
    };
    match std::fs::symlink_metadata(dir) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            create_private_dir(dir).map_err(io)?
        }
        Err(e) => return Err(io(e)),
        Ok(_) => {}
    }
    let canonical = std::fs::canonicalize(dir).map_err(io)?;
    let meta = std::fs::metadata(&canonical).map_err(io)?;
    if !meta.is_dir() {
        return Err(CacheDirError::NotADirectory { dir: canonical });
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let uid = current_uid();
        if meta.uid() != uid {
            return Err(CacheDirError::NotOwned {
                dir: canonical,
                owner: meta.uid(),
                uid,
            });
        }
        if meta.mode() & 0o022 != 0 {
            return Err(CacheDirError::WritableByOthers {
                dir: canonical,
                mode: meta.mode() & 0o7777,
            });
        }
    }
    Ok(canonical)
}

fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)?;
    }
    let mut builder = std::fs::DirBuilder::new();
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    match builder.create(dir) {
        // Another process made it meanwhile: it is checked like any existing directory.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        other => other,
    }
}

#[cfg(unix)]
pub(super) fn current_uid() -> u32 {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() }
}

/// An entry's file: the payload (wasmtime's serialized module, an ELF image that must start
/// the file so that wasmtime can map it in place), the library metadata
/// ([`LibraryMeta::encode`], empty for a program), then a trailer of `TRAILER_LEN` bytes:
/// `MAGIC`, format version (u32 LE), reserved (u32), the module's BLAKE3 hash, the engine's
/// compatibility hash (u64 LE), the payload's and the metadata's lengths (u64 LE each), and
/// the CRC-32 of payload and metadata together (u32 LE).
///
/// The checksum catches damage: a truncated, extended or partly overwritten entry, a flipped
/// bit. CRC-32 does that at a tenth of BLAKE3's cost over the ~0.5 MB that the first load of
/// an entry in a boot checks (later ones need not: see `Checked`), and a cryptographic hash
/// would add nothing here: whoever can write an entry (the
/// host's own user, see [`check_private_dir`]) can also write its checksum, so forging is kept
/// out by the directory's ownership and mode checks, not by the checksum.
const MAGIC: &[u8; 8] = b"wasidlc\0";
const FORMAT_VERSION: u32 = 10;
pub(super) const TRAILER_LEN: usize = 8 + 4 + 4 + 32 + 8 + 8 + 8 + 4;
/// No entry is larger (compiled code of a module within any sane size limit is far smaller):
/// a bigger file is refused before it is mapped.
const MAX_ENTRY_BYTES: u64 = 4 << 30;
/// Temporary files start with this; older ones than `STALE_TEMP` were left by a crash.
pub(super) const TEMP_PREFIX: &str = ".wasi-dl-tmp-";
const STALE_TEMP: Duration = Duration::from_secs(3600);
/// How precisely an entry's mtime tells its last use (eviction removes the least recently
/// used first): a load within this time of the last one leaves the file alone.
const LAST_USE_GRAIN: Duration = Duration::from_secs(600);

/// Which entry: the module's content hash and the engine's compatibility hash.
pub(super) struct EntryKey {
    pub(super) hash: Hash256,
    pub(super) compat: u64,
}

impl EntryKey {
    fn file_name(&self) -> String {
        use std::fmt::Write as _;
        let mut name = String::with_capacity(64 + 1 + 16 + 6);
        for b in self.hash {
            let _ = write!(name, "{b:02x}");
        }
        let _ = write!(name, "-{:016x}.cwasm", self.compat);
        name
    }

    fn trailer(&self, payload: &[u8], meta: &[u8]) -> Vec<u8> {
        let mut sum = crc32fast::Hasher::new();
        sum.update(payload);
        sum.update(meta);
        let mut trailer = Vec::with_capacity(TRAILER_LEN);
        trailer.extend_from_slice(MAGIC);
        trailer.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        trailer.extend_from_slice(&0u32.to_le_bytes());
        trailer.extend_from_slice(&self.hash);
        trailer.extend_from_slice(&self.compat.to_le_bytes());
        trailer.extend_from_slice(&(payload.len() as u64).to_le_bytes());
        trailer.extend_from_slice(&(meta.len() as u64).to_le_bytes());
        trailer.extend_from_slice(&sum.finalize().to_le_bytes());
        trailer
    }

    /// Whether `entry` (the whole file) is this key's, whole and unaltered (its checksum
    /// verified over every byte unless `known_sound`); why not. Returns the payload's and the
    /// metadata's lengths.
    fn verify(&self, entry: &[u8], known_sound: bool) -> Result<(usize, usize), String> {
        if entry.len() < TRAILER_LEN {
            return Err("not a wasi-dl cache entry".into());
        }
        let body_len = entry.len() - TRAILER_LEN;
        let (body, trailer) = entry.split_at(body_len);
        let field = |at: usize, len: usize| trailer.get(at..at + len).unwrap_or_default();
        let le_u64 =
            |at: usize| <[u8; 8]>::try_from(field(at, 8)).map_or(u64::MAX, u64::from_le_bytes);
        if field(0, 8) != MAGIC {
            return Err("not a wasi-dl cache entry".into());
        }
        let version = <[u8; 4]>::try_from(field(8, 4)).map_or(0, u32::from_le_bytes);
        if version != FORMAT_VERSION {
            return Err(format!("entry format {version}, expected {FORMAT_VERSION}"));
        }
        if field(16, 32) != self.hash || le_u64(48) != self.compat {
            return Err("the entry is for another module or engine".into());
        }
        let (payload_len, meta_len) = (le_u64(56), le_u64(64));
        if payload_len.checked_add(meta_len) != Some(body_len as u64) {
            return Err(format!(
                "truncated or extended: the trailer says {payload_len} + {meta_len} bytes of compiled code and metadata, the file holds {body_len}"
            ));
        }
        if !known_sound && field(72, 4) != crc32fast::hash(body).to_le_bytes() {
            return Err("checksum mismatch".into());
        }
        Ok((payload_len as usize, meta_len as usize))
    }
}

/// A checked entry, mapped read-only.
struct Entry {
    map: Mapped,
    payload_len: usize,
    meta_len: usize,
    /// The file's mtime when it was opened: its last use.
    modified: Option<SystemTime>,
    /// The file's identity when it was opened, before any of it was read.
    identity: Option<FileIdentity>,
    checked: Checked,
}

/// How an entry was found whole and unaltered.
#[derive(Clone, Copy)]
enum Checked {
    /// Its checksum was verified over every byte.
    InFull,
    /// Its file has the identity it had when its checksum was verified in full, earlier in
    /// this boot: every write since would have changed it (size, or change time). Only its
    /// header, trailer and metadata are read.
    KnownSound,
}

impl Entry {
    fn payload(&self) -> &[u8] {
        &self.map[..self.payload_len]
    }

    fn meta(&self) -> &[u8] {
        &self.map[self.payload_len..self.payload_len + self.meta_len]
    }
}

/// Opens a file of the cache directory for reading: never through a symlink, and a FIFO
/// planted under the name does not block the open. The caller checks what it opened.
pub(super) fn open_for_reading(path: &Path) -> std::io::Result<File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(
        &mut options,
        libc::O_NOFOLLOW | libc::O_NONBLOCK,
    );
    options.open(path)
}

/// Opens and checks the entry at `path`: `Ok(None)` when there is none, `Err(why)` when the
/// file is not a sound entry for `key`. The bytes checked are the bytes of the open file
/// returned. `known_sound` tells whether a file of that identity was verified in full before.
fn open_entry(
    path: &Path,
    key: &EntryKey,
    known_sound: impl FnOnce(&FileIdentity) -> bool,
) -> Result<Option<(File, Entry)>, String> {
    let file = match open_for_reading(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("cannot open it without following symlinks: {e}")),
    };
    let meta = file.metadata().map_err(|e| e.to_string())?;
    if !meta.is_file() {
        return Err("not a regular file".into());
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if meta.uid() != current_uid() {
            return Err(format!("owned by uid {}", meta.uid()));
        }
        if meta.mode() & 0o022 != 0 {
            return Err(format!(
                "writable by group or others (mode {:03o})",
                meta.mode() & 0o7777
            ));
        }
    }
    let len = meta.len();
    if len > MAX_ENTRY_BYTES {
        return Err(format!("{len} bytes, larger than any entry"));
    }
    if len < TRAILER_LEN as u64 {
        return Err("not a wasi-dl cache entry".into());
    }
    let identity = FileIdentity::of(&meta);
    let checked = match &identity {
        Some(identity) if known_sound(identity) => Checked::KnownSound,
        _ => Checked::InFull,
    };
    let in_full = matches!(checked, Checked::InFull);
    let map =
        Mapped::new(&file, len as usize, in_full).map_err(|e| format!("cannot read it: {e}"))?;
    let (payload_len, meta_len) = key.verify(&map, !in_full)?;
    Ok(Some((
        file,
        Entry {
            map,
            payload_len,
            meta_len,
            modified: meta.modified().ok(),
            identity,
            checked,
        },
    )))
}

/// A file's first `len` bytes, mapped read-only (read into memory where mapping is not
/// available). `all` when every byte is about to be read: the pages are then populated at
/// once, not one fault at a time.
struct Mapped {
    #[cfg(unix)]
    ptr: std::ptr::NonNull<u8>,
    #[cfg(unix)]
    len: usize,
    #[cfg(not(unix))]
    bytes: Vec<u8>,
}

impl Mapped {
    #[cfg(unix)]
    fn new(file: &File, len: usize, all: bool) -> std::io::Result<Mapped> {
        use std::os::unix::io::AsRawFd;
        if len == 0 {
            return Err(std::io::ErrorKind::InvalidInput.into());
        }
        // SAFETY: a fresh private read-only mapping of an open file; nothing else refers to
        // the address range until `Drop` unmaps it.
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ,
                libc::MAP_PRIVATE | if all { MAP_POPULATE } else { 0 },
                file.as_raw_fd(),
                0,
            )
        };
        if ptr == libc::MAP_FAILED {
            return Err(std::io::Error::last_os_error());
        }
        let ptr = std::ptr::NonNull::new(ptr.cast::<u8>())
            .ok_or_else(|| std::io::Error::from(std::io::ErrorKind::Other))?;
        Ok(Mapped { ptr, len })
    }

    #[cfg(not(unix))]
    fn new(file: &File, len: usize, _all: bool) -> std::io::Result<Mapped> {
        use std::io::Read;
        let mut bytes = Vec::with_capacity(len);
        // `take`: a file that grows while it is read is not read past its size.
        file.take(len as u64).read_to_end(&mut bytes)?;
        Ok(Mapped { bytes })
    }
}

#[cfg(target_os = "linux")]
const MAP_POPULATE: libc::c_int = libc::MAP_POPULATE;
#[cfg(all(unix, not(target_os = "linux")))]
const MAP_POPULATE: libc::c_int = 0;

impl std::ops::Deref for Mapped {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        #[cfg(unix)]
        // SAFETY: `ptr` maps `len` readable bytes until `Drop`. (A file truncated by another
        // process would make reading past its new end fault; entries are replaced by rename,
        // never truncated, and only the host's user can write to the directory.)
        unsafe {
            std::slice::from_raw_parts(self.ptr.as_ptr(), self.len)
        }
        #[cfg(not(unix))]
        &self.bytes
    }
}

#[cfg(unix)]
impl Drop for Mapped {
    fn drop(&mut self) {
        // SAFETY: the mapping made in `new`, unmapped once.
        unsafe {
            libc::munmap(self.ptr.as_ptr().cast(), self.len);
        }
    }
}

/// Writes an entry: to an exclusively created temporary file in `dir` (never through a
/// symlink), renamed onto `path` once complete, so readers see a whole entry or none.
fn write_entry(
    dir: &Path,
    path: &Path,
    key: &EntryKey,
    payload: &[u8],
    meta: &[u8],
) -> std::io::Result<()> {
    let mut temp = tempfile::Builder::new()
        .prefix(TEMP_PREFIX)
        .tempfile_in(dir)?;
    temp.write_all(payload)?;
    temp.write_all(meta)?;
    temp.write_all(&key.trailer(payload, meta))?;
    temp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

impl Disk {
    /// Removes least recently used entries (oldest mtime first) until the directory holds at
    /// most `max_bytes`, never `keep` (the entry just written). Other processes may evict at
    /// the same time: a file that vanished is simply gone.
    fn evict(&self, keep: &Path) {
        let Ok(listing) = std::fs::read_dir(&self.dir) else {
            return;
        };
        let now = SystemTime::now();
        let mut entries = Vec::new();
        let mut total: u64 = 0;
        for item in listing.flatten() {
            // `DirEntry::metadata` does not follow symlinks.
            let Ok(meta) = item.metadata() else {
                continue;
            };
            if !meta.is_file() {
                continue;
            }
            let name = item.file_name();
            let name = name.to_string_lossy();
            let modified = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH);
            if name.starts_with(TEMP_PREFIX) {
                if now.duration_since(modified).unwrap_or_default() > STALE_TEMP {
                    let _ = std::fs::remove_file(item.path());
                }
                continue;
            }
            if !name.ends_with(".cwasm") {
                continue;
            }
            total = total.saturating_add(meta.len());
            entries.push((modified, meta.len(), item.path()));
        }
        if total <= self.max_bytes {
            return;
        }
        entries.sort_by_key(|(modified, _, _)| *modified);
        for (_, len, path) in entries {
            if total <= self.max_bytes {
                break;
            }
            if path == keep {
                continue;
            }
            match std::fs::remove_file(&path) {
                Ok(()) => {
                    self.stats.evicted.fetch_add(1, Ordering::Relaxed);
                    total -= len;
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => total -= len,
                Err(_) => {}
            }
        }
    }
}
