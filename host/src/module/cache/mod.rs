//! Compiled side modules, by content hash.
//!
//! Compiling is by far the most expensive step of a `dlopen`, and the same library is often
//! opened by many programs (a server running many guests) or many times by one. A
//! [`ModuleCache`] compiles each distinct module once per engine and hands every store the same
//! compiled code; with an on-disk directory, a second process skips compilation too.
//!
//! ## What the disk cache trusts
//!
//! Compiled code read back from disk runs as native code in the host, so the disk cache never
//! takes a file on its word:
//! - the directory must be owned by the host's user and not writable by group or others (as
//!   ssh requires of its keys); a missing one is created with mode 0700;
//! - it may not lie inside, nor contain, a directory granted to the guest
//!   ([`crate::WasiDlCtxBuilder`] refuses the combination with
//!   [`crate::BuildError::CacheOverlapsGrant`]);
//! - an entry is opened without following symlinks, and used only if it is a regular file owned
//!   by the host's user, not writable by others, whose header names the expected module and
//!   engine and whose checksum (CRC-32) matches its payload: all checked (over a read-only
//!   mapping of the file) before wasmtime sees a byte. Anything else is recompiled and
//!   rewritten;
//! - the checksum is verified over every byte the first time a process of this boot loads an
//!   entry. The cache's index (`index.rs`) then records the entry's file identity (device,
//!   inode, size, modification and change times), and later loads in this boot whose file
//!   still has that identity read only its header, metadata and trailer: reading all of a
//!   ~0.5 MB entry is most of a cached `dlopen` in a new process. Any write to the file since
//!   (truncated, extended, overwritten in place, replaced by another file) changes its
//!   identity: the change time is set by the kernel on every write and no call can set it
//!   back, and an identity is recorded only once that time is `disk::SETTLE` old, so a write
//!   within the same timestamp tick cannot keep it. A new boot checks every entry in full
//!   again: after a crash, a recorded entry's data may never have reached the disk;
//! - entries are written to exclusively created temporary files, then renamed into place, so
//!   concurrent processes never see half an entry and a planted symlink is never followed;
//! - the directory's total size is capped (least recently used entries are evicted).
//!
//! What remains trusted: files the host's own user writes into the directory (an entry, once
//! checked, is mapped by wasmtime from the same open file; entries are replaced by renaming,
//! never rewritten in place).
//!
//! ## Keys
//!
//! Modules are keyed by the BLAKE3 hash of their bytes. A library read from a file also has
//! that file's identity (device, inode, size, modification and change times): a cache
//! remembers which content hash each identity had, so a file seen before is not hashed again,
//! and with a disk cache it keeps that map in the directory too (`index.rs`), so that a new
//! process that finds the module cached reads no more of a known file than its first bytes.
//! (A file rewritten in place with the same size within one timestamp tick would keep its old
//! hash: the loader then gets the module the file held before, compiled and checked as any
//! other, never a mix of the two.)

mod disk;
mod index;

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use rustc_hash::{FxHashMap, FxHashSet};
use wasmtime::{Engine, EngineWeak, Module};

use crate::error::BuildError;
use crate::error::{one_line, DlError, DlResult};
use crate::module::dylink;
use crate::module::image::{reset_image, ResetImage};
use crate::module::libmeta::{LibraryMeta, LinkInfo};
use crate::module::selfbind;
use crate::module::source::{Body, FileIdentity};

pub(crate) use disk::check_overlap;
use disk::{check_private_dir, Counters, Disk, EntryKey};

/// A compiled side module and what the loader needs of its metadata.
pub(crate) struct CompiledLibrary {
    pub(crate) module: Module,
    pub(crate) info: LinkInfo,
    /// How to reset its data block when a parked instance is revived, or why it cannot be.
    pub(crate) reset: Result<ResetImage, &'static str>,
    /// Table offsets (from `__table_base`) of the functions clang made of its
    /// `__attribute__((destructor))` functions (see `dylink::late_destructor_offsets`).
    pub(crate) late_destructors: Vec<u32>,
    /// The functions and imports the module file declares (checked against
    /// `Limits::max_module_functions` and `max_module_imports`): those of the file, not of the
    /// module compiled from it (`selfbind` removes imports and adds a function).
    pub(crate) counts: dylink::ModuleCounts,
}

impl CompiledLibrary {
    /// Whether the module file exports `name` (plumbing included).
    pub(crate) fn exports_name(&self, name: &str) -> bool {
        if crate::module::libmeta::is_plumbing(name) {
            return self.info.exports.iter().any(|export| export == name);
        }
        self.info.exports.position(name.as_bytes()).is_some()
    }
}

type Hash256 = [u8; 32];

/// The disk cache's size cap when none is given ([`ModuleCache::with_disk_cache`]): 1 GiB.
pub const DEFAULT_DISK_CACHE_BYTES: u64 = 1 << 30;

/// A thread-safe cache of compiled side modules, shared by cloning.
///
/// ```
/// let cache = wasi_dl::ModuleCache::new();
/// // every store of the engine gets a clone:
/// let ctx = wasi_dl::WasiDlCtx::builder().cache(cache.clone())?.build();
/// assert_eq!(cache.len(), 0);
/// # drop(ctx);
/// # Ok::<(), wasi_dl::BuildError>(())
/// ```
#[derive(Clone, Default)]
pub struct ModuleCache {
    inner: Arc<Inner>,
}

/// Compiled libraries by content hash, one map per engine: compiled code belongs to the engine
/// that compiled it.
type PerEngine = Vec<EngineModules>;

struct EngineModules {
    /// Weak: an engine for which nothing is cached must not be kept alive by the cache (its
    /// compiled modules, while cached, do keep it).
    engine: EngineWeak,
    /// The engine's compatibility hash (part of every disk entry's name), computed once.
    compat: u64,
    modules: HashMap<Hash256, Arc<CompiledLibrary>>,
    /// Modules being compiled right now: a second load of the same module waits on the first
    /// one's gate instead of compiling it again (single flight).
    compiling: HashMap<Hash256, Arc<Mutex<()>>>,
}

#[derive(Default)]
struct Inner {
    engines: Mutex<PerEngine>,
    /// Modules compiled (not found in memory or on disk).
    compiles: AtomicU64,
    /// Loads answered from memory.
    hits: AtomicU64,
    /// The content hash of each file identity seen (see the module docs, "Keys").
    identities: Mutex<FxHashMap<FileIdentity, Hash256>>,
    /// Disk entries, by their file's identity, whose checksum was verified in full during this
    /// boot (see the module docs, "What the disk cache trusts").
    verified: Mutex<FxHashSet<FileIdentity>>,
    /// This boot's id, once the disk cache's index was read into `identities` and `verified`.
    index_loaded: OnceLock<Option<index::BootId>>,
    disk: Option<Disk>,
}

/// The identity map starts over when it holds this many files (a guest chooses how many files
/// it opens).
const MAX_IDENTITIES: usize = 1 << 16;

/// What the disk cache did since it was made (this process only), from
/// [`ModuleCache::disk_stats`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct DiskStats {
    /// Compiled code loaded from disk instead of compiling.
    pub hits: u64,
    /// Lookups that found no usable entry (absent or rejected): each one compiled.
    pub misses: u64,
    /// Entries written.
    pub stores: u64,
    /// Entries found but refused (not a regular file, wrong owner or mode, bad header,
    /// checksum mismatch, or refused by wasmtime); they were recompiled and rewritten.
    pub rejected: u64,
    /// Entries removed to keep the directory under its size cap.
    pub evicted: u64,
    /// Of the hits, entries whose checksum was verified over every byte.
    pub checksummed: u64,
    /// Of the hits, entries not read in full: their file is as it was when its checksum was
    /// verified in full, earlier in this boot (by this process or another; see "What the disk
    /// cache trusts" in the [module documentation](self)).
    pub known_sound: u64,
}

/// What a cache did since it was made, from [`ModuleCache::stats`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct CacheStats {
    /// Modules compiled (found neither in memory nor on disk).
    pub compiles: u64,
    /// Loads answered with a module already in memory.
    pub hits: u64,
}

/// Why a directory cannot hold a disk cache.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CacheDirError {
    /// Creating, resolving or reading the directory failed.
    #[error("cache directory {}: {source}", dir.display())]
    Io {
        dir: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The path exists but is not a directory.
    #[error("cache directory {}: not a directory", dir.display())]
    NotADirectory { dir: PathBuf },
    /// Another user owns the directory: they could plant compiled code in it.
    #[error(
        "cache directory {} is owned by uid {owner}, not by this user (uid {uid}): refusing to run compiled code from it",
        dir.display()
    )]
    NotOwned { dir: PathBuf, owner: u32, uid: u32 },
    /// Group or others may write into the directory: they could plant compiled code in it.
    #[error(
        "cache directory {} is writable by group or others (mode {mode:03o}): refusing to run compiled code from it (chmod go-w it)",
        dir.display()
    )]
    WritableByOthers { dir: PathBuf, mode: u32 },
}

impl ModuleCache {
    /// An empty in-memory cache.
    pub fn new() -> Self {
        Self::default()
    }

    /// A cache that also keeps compiled code in `dir`, so that another process with a
    /// compatible engine loads it instead of compiling; at most
    /// [`DEFAULT_DISK_CACHE_BYTES`] of it (see [`ModuleCache::with_disk_cache_limit`]).
    ///
    /// `dir` is created with mode 0700 when missing. It is refused when another user owns it
    /// or when group or others may write into it (compiled code read from it runs as native
    /// code in the host), and a [`crate::WasiDlCtxBuilder`] refuses it when it overlaps a
    /// directory granted to the guest. Every entry is checked (owner, checksum, which module
    /// and engine it is for) before it is used; see the [module documentation](self).
    pub fn with_disk_cache(dir: impl AsRef<Path>) -> Result<Self, CacheDirError> {
        Self::with_disk_cache_limit(dir, DEFAULT_DISK_CACHE_BYTES)
    }

    /// [`ModuleCache::with_disk_cache`] with a cap on the directory's total size: after
    /// writing an entry, least recently used entries are removed until the directory holds at
    /// most `max_bytes` (the entry just written is kept even if it alone is larger).
    pub fn with_disk_cache_limit(
        dir: impl AsRef<Path>,
        max_bytes: u64,
    ) -> Result<Self, CacheDirError> {
        let dir = check_private_dir(dir.as_ref())?;
        Ok(ModuleCache {
            inner: Arc::new(Inner {
                engines: Mutex::default(),
                compiles: AtomicU64::new(0),
                hits: AtomicU64::new(0),
                identities: Mutex::default(),
                verified: Mutex::default(),
                index_loaded: OnceLock::new(),
                disk: Some(Disk {
                    dir,
                    max_bytes,
                    stats: Counters::default(),
                    mapped: Default::default(),
                    settle: disk::SETTLE,
                }),
            }),
        })
    }

    /// The cache every context uses unless given another: one per engine, shared by every
    /// linker and store of that engine, and dropped with the last of them. The process-wide
    /// registry holds it weakly, so it never keeps an engine (and, with the pooling allocator,
    /// the engine's reserved address space) alive.
    pub(crate) fn for_engine(engine: &Engine) -> Self {
        type Registry = Mutex<Vec<(EngineWeak, std::sync::Weak<Inner>)>>;
        static REGISTRY: OnceLock<Registry> = OnceLock::new();
        let mut registry = REGISTRY
            .get_or_init(Default::default)
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        // Entries of dropped caches (and so of dropped engines) go first.
        registry.retain(|(_, cache)| cache.strong_count() > 0);
        let found = registry.iter().find_map(|(weak, cache)| {
            let same = weak.upgrade().is_some_and(|e| Engine::same(&e, engine));
            same.then(|| cache.upgrade()).flatten()
        });
        if let Some(inner) = found {
            return ModuleCache { inner };
        }
        let cache = ModuleCache::new();
        registry.push((engine.weak(), Arc::downgrade(&cache.inner)));
        cache
    }

    /// What the cache did so far (all engines; see also [`ModuleCache::disk_stats`]).
    pub fn stats(&self) -> CacheStats {
        CacheStats {
            compiles: self.inner.compiles.load(Ordering::Relaxed),
            hits: self.inner.hits.load(Ordering::Relaxed),
        }
    }

    /// The disk cache's directory (canonical), if the cache has one.
    pub fn disk_dir(&self) -> Option<&Path> {
        self.inner.disk.as_ref().map(|d| d.dir.as_path())
    }

    /// What the disk cache did so far; all zero without a disk cache.
    pub fn disk_stats(&self) -> DiskStats {
        let Some(disk) = &self.inner.disk else {
            return DiskStats::default();
        };
        let c = &disk.stats;
        DiskStats {
            hits: c.hits.load(Ordering::Relaxed),
            misses: c.misses.load(Ordering::Relaxed),
            stores: c.stores.load(Ordering::Relaxed),
            rejected: c.rejected.load(Ordering::Relaxed),
            evicted: c.evicted.load(Ordering::Relaxed),
            checksummed: c.checksummed.load(Ordering::Relaxed),
            known_sound: c.known_sound.load(Ordering::Relaxed),
        }
    }

    /// Whether the guest may be granted `dir` (to write into, or to load from) while this cache
    /// is used: `Err(BuildError::CacheOverlapsGrant)` when the disk cache's directory lies
    /// inside `dir` or contains it, `Err(BuildError::Grant)` when `dir` cannot be resolved.
    /// [`crate::WasiDlCtxBuilder`] checks its own grants; call this for directories you give
    /// the guest otherwise (a WASI preopen the loader does not know about), or to decide
    /// before building whether to use the disk cache at all.
    pub fn check_grant(&self, dir: &Path) -> Result<(), BuildError> {
        let Some(cache) = self.disk_dir() else {
            return Ok(());
        };
        let grant = std::fs::canonicalize(dir).map_err(|source| BuildError::Grant {
            dir: dir.to_path_buf(),
            source,
        })?;
        check_overlap(cache, &grant)
    }

    /// How many compiled modules the cache holds (all engines).
    pub fn len(&self) -> usize {
        self.lock().iter().map(|e| e.modules.len()).sum()
    }

    /// Whether the cache is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, PerEngine> {
        // A panic while holding the lock cannot leave the map half-updated (inserts are single
        // calls), so a poisoned lock is still usable.
        self.inner.engines.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The engine's compatibility hash, and the compiled module for `hash` if there is one.
    fn lookup(&self, engine: &Engine, hash: &Hash256) -> (u64, Option<Arc<CompiledLibrary>>) {
        let mut engines = self.lock();
        let at = engine_index(&mut engines, engine);
        let entry = &engines[at];
        (entry.compat, entry.modules.get(hash).cloned())
    }

    fn insert(
        &self,
        engine: &Engine,
        hash: Hash256,
        lib: Arc<CompiledLibrary>,
    ) -> Arc<CompiledLibrary> {
        let mut engines = self.lock();
        let at = engine_index(&mut engines, engine);
        // Another thread may have compiled the same module meanwhile: keep the first.
        engines[at].modules.entry(hash).or_insert(lib).clone()
    }

    /// The gate for compiling `hash`: whoever holds it compiles, later loads wait for it.
    fn gate(&self, engine: &Engine, hash: Hash256) -> Arc<Mutex<()>> {
        let mut engines = self.lock();
        let at = engine_index(&mut engines, engine);
        engines[at].compiling.entry(hash).or_default().clone()
    }

    /// Drops the gate of `hash` once its compile is over (cached or failed).
    fn open_gate(&self, engine: &Engine, hash: &Hash256) {
        let mut engines = self.lock();
        let at = engine_index(&mut engines, engine);
        engines[at].compiling.remove(hash);
    }

    fn identities(&self) -> std::sync::MutexGuard<'_, FxHashMap<FileIdentity, Hash256>> {
        self.inner
            .identities
            .lock()
            .unwrap_or_else(|p| p.into_inner())
    }

    fn verified(&self) -> std::sync::MutexGuard<'_, FxHashSet<FileIdentity>> {
        self.inner
            .verified
            .lock()
            .unwrap_or_else(|p| p.into_inner())
    }

    /// Reads the disk cache's index, once; returns this boot's id.
    fn load_index(&self, disk: &Disk) -> Option<&index::BootId> {
        self.inner
            .index_loaded
            .get_or_init(|| {
                let boot = index::boot_id();
                let stored = index::read(&disk.dir, boot.as_ref());
                let mut identities = self.identities();
                for (id, hash) in stored.identities {
                    if identities.len() >= MAX_IDENTITIES {
                        break;
                    }
                    identities.entry(id).or_insert(hash);
                }
                drop(identities);
                self.verified().extend(stored.verified);
                boot
            })
            .as_ref()
    }

    /// The content hash the file `identity` had when it was seen before, by this process or
    /// (through the disk cache's index) another.
    fn known_hash(&self, identity: &FileIdentity) -> Option<Hash256> {
        if let Some(disk) = &self.inner.disk {
            self.load_index(disk);
        }
        self.identities().get(identity).copied()
    }

    /// Whether the disk entry whose file has `identity` was verified in full during this boot,
    /// by this process or another.
    fn known_sound(&self, disk: &Disk, identity: &FileIdentity) -> bool {
        self.load_index(disk).is_some() && self.verified().contains(identity)
    }

    /// Remembers that the file `identity` holds the module `hash`, in the disk cache's
    /// index too.
    fn remember(&self, identity: &FileIdentity, hash: Hash256) {
        {
            let mut identities = self.identities();
            if identities.len() >= MAX_IDENTITIES {
                identities.clear();
            }
            identities.insert(*identity, hash);
        }
        self.write_index(Some(identity), None);
    }

    /// Remembers that the disk entry whose file has `identity` was verified in full, in the
    /// disk cache's index too.
    fn remember_sound(&self, disk: &Disk, identity: &FileIdentity) {
        if self.load_index(disk).is_none() {
            return; // no boot to tie the record to
        }
        {
            let mut verified = self.verified();
            if verified.len() >= MAX_IDENTITIES {
                verified.clear();
            }
            verified.insert(*identity);
        }
        self.write_index(None, Some(identity));
    }

    /// Writes what this process knows into the disk cache's index, the record just learnt
    /// first (the index keeps the most recent when full).
    fn write_index(&self, new_file: Option<&FileIdentity>, new_entry: Option<&FileIdentity>) {
        let Some(disk) = &self.inner.disk else {
            return;
        };
        let boot = self.load_index(disk).copied();
        let mut ours = index::Index::default();
        {
            let identities = self.identities();
            let first = new_file.and_then(|id| identities.get_key_value(id));
            ours.identities.extend(
                first
                    .into_iter()
                    .chain(identities.iter().filter(|(id, _)| Some(*id) != new_file))
                    .take(index::MAX_ENTRIES)
                    .map(|(id, hash)| (*id, *hash)),
            );
        }
        if boot.is_some() {
            let verified = self.verified();
            ours.verified.extend(
                new_entry
                    .into_iter()
                    .chain(verified.iter().filter(|id| Some(*id) != new_entry))
                    .take(index::MAX_ENTRIES)
                    .copied(),
            );
        }
        // A failure only costs the next process a read and a hash, or a checksum.
        if let Err(e) = index::write(&disk.dir, boot.as_ref(), ours) {
            crate::trace::cache("(index)", &format!("cannot write it: {e}"));
        }
    }

    /// Returns the compiled module for `bytes`, compiling (and validating) it on a miss.
    /// `identity` is the file the bytes were read from, if any (see the module docs, "Keys").
    #[cfg(test)]
    pub(crate) fn get_or_compile(
        &self,
        engine: &Engine,
        name: &str,
        bytes: &[u8],
        identity: Option<&FileIdentity>,
    ) -> DlResult<Arc<CompiledLibrary>> {
        let mut body = Body::from_bytes(bytes.into());
        self.get_or_compile_found(engine, name, &mut body, identity, &|_| Ok(()))
    }

    /// Returns the compiled module of `body`, compiling (and validating) it on a miss.
    /// `identity` is the file the body is read from, if any: when its content hash is known
    /// (see the module docs, "Keys") and the module is cached, the body is not read at all.
    /// `check_counts` is given the module's function and import counts before it is
    /// compiled or returned from the cache.
    pub(crate) fn get_or_compile_found(
        &self,
        engine: &Engine,
        name: &str,
        body: &mut Body,
        identity: Option<&FileIdentity>,
        check_counts: &dyn Fn(dylink::ModuleCounts) -> DlResult<()>,
    ) -> DlResult<Arc<CompiledLibrary>> {
        let known = identity.and_then(|id| self.known_hash(id));
        let hash = match known {
            Some(hash) => hash,
            None => {
                let hash = *blake3::hash(&body.bytes()?).as_bytes();
                if let Some(identity) = identity {
                    self.remember(identity, hash);
                }
                hash
            }
        };
        let (_, hit) = self.lookup(engine, &hash);
        if let Some(hit) = hit {
            check_counts(hit.counts)?;
            self.inner.hits.fetch_add(1, Ordering::Relaxed);
            crate::trace::cache(name, "hit");
            return Ok(hit);
        }
        // Single flight: one load compiles, concurrent loads of the same module wait for it
        // and take its result (or, if it failed, try in turn).
        let gate = self.gate(engine, hash);
        let result = {
            let _compiling = gate.lock().unwrap_or_else(|p| p.into_inner());
            self.compile_locked(engine, name, body, identity, known, hash, check_counts)
        };
        self.open_gate(engine, &hash);
        result
    }

    /// `get_or_compile_found` holding the module's gate: looks again, then loads from disk or
    /// compiles.
    #[allow(clippy::too_many_arguments)]
    fn compile_locked(
        &self,
        engine: &Engine,
        name: &str,
        body: &mut Body,
        identity: Option<&FileIdentity>,
        known: Option<Hash256>,
        hash: Hash256,
        check_counts: &dyn Fn(dylink::ModuleCounts) -> DlResult<()>,
    ) -> DlResult<Arc<CompiledLibrary>> {
        let (compat, hit) = self.lookup(engine, &hash);
        if let Some(hit) = hit {
            check_counts(hit.counts)?;
            self.inner.hits.fetch_add(1, Ordering::Relaxed);
            crate::trace::cache(name, "hit, compiled by a concurrent load");
            return Ok(hit);
        }
        let key = EntryKey { hash, compat };
        // A disk entry carries the metadata: no need to read or parse the module at all.
        if let Some((module, Some(meta))) = self.load_from_disk(engine, &key, name, true) {
            check_counts(meta.counts)?;
            crate::trace::cache(name, "disk hit");
            let compiled = CompiledLibrary {
                module,
                info: meta.info,
                reset: meta.reset,
                late_destructors: meta.late_destructors,
                counts: meta.counts,
            };
            return Ok(self.insert(engine, hash, Arc::new(compiled)));
        }
        let bytes = body.bytes()?;
        if let (Some(identity), Some(_)) = (identity, known) {
            // Compiled code is stored under the hash of the bytes compiled, never under one
            // remembered for a file (which could have changed within a timestamp tick).
            let actual = *blake3::hash(&bytes).as_bytes();
            if actual != hash {
                self.remember(identity, actual);
                return self.get_or_compile_found(engine, name, body, Some(identity), check_counts);
            }
        }
        let counts = dylink::module_counts(&bytes);
        check_counts(counts)?;
        // Read the metadata first: it gives the precise error for files that are not side
        // modules, and is cheap next to compiling.
        let info = dylink::read(&bytes).map_err(|source| DlError::NotSideModule {
            name: name.to_string(),
            source,
        })?;
        let late_destructors = dylink::late_destructor_offsets(&bytes);
        // Of the file as read, also for a rewritten module: the rewrite leaves the data alone,
        // and the globals it adds are set only by its setter, which the loader calls again
        // whenever it revives the instance (so they are no state of an earlier life that
        // would keep the module from being parked).
        let reset = reset_image(&bytes, &info.mem);
        crate::trace::cache(name, "compile");
        self.inner.compiles.fetch_add(1, Ordering::Relaxed);
        // The library's own `GOT.func` entries bound once, here (see `selfbind`); any doubt,
        // including a rewritten module that does not compile, and the bytes are compiled as
        // they are (with their own error, if any).
        let extended_const = engine
            .get_wasm_features()
            .contains(wasmparser::WasmFeatures::EXTENDED_CONST);
        let table_size = info.mem.table_size;
        let info = LinkInfo::new(info);
        let rewritten = selfbind::self_bind(&bytes, table_size, extended_const).and_then(|bound| {
            let read = dylink::read(&bound.bytes).ok()?;
            let link = LinkInfo::self_bound(&info, read, &bound)?;
            let module = Module::new(engine, &bound.bytes).ok()?;
            Some((module, link))
        });
        let (module, meta) = match rewritten {
            Some((module, info)) => {
                crate::trace::cache(name, "own GOT.func entries bound at compile time");
                let meta = LibraryMeta {
                    reset,
                    late_destructors,
                    info,
                    counts,
                };
                (module, meta)
            }
            None => {
                let meta = LibraryMeta {
                    reset,
                    late_destructors,
                    info,
                    counts,
                };
                let module = Module::new(engine, &bytes).map_err(|e| DlError::Compile {
                    name: name.to_string(),
                    reason: one_line(&e),
                })?;
                (module, meta)
            }
        };
        self.store_on_disk(&key, &module, &meta.encode(), name);
        let compiled = CompiledLibrary {
            module,
            info: meta.info,
            reset: meta.reset,
            late_destructors: meta.late_destructors,
            counts: meta.counts,
        };
        Ok(self.insert(engine, hash, Arc::new(compiled)))
    }

    /// Compiles a main program (no `dylink.0` needed), using the on-disk cache when there is
    /// one (with the same checks as for libraries), so that starting a program twice compiles
    /// it once.
    pub fn compile_program(&self, engine: &Engine, bytes: &[u8]) -> wasmtime::Result<Module> {
        let hash = *blake3::hash(bytes).as_bytes();
        let (compat, _) = self.lookup(engine, &hash);
        let key = EntryKey { hash, compat };
        if let Some((module, _)) = self.load_from_disk(engine, &key, "(program)", false) {
            crate::trace::cache("(program)", "disk hit");
            return Ok(module);
        }
        let module =
            Module::new(engine, bytes).map_err(|e| wasmtime::format_err!("{}", one_line(&e)))?;
        self.store_on_disk(&key, &module, &[], "(program)");
        Ok(module)
    }
}

/// The index of `engine`'s modules, added (with its compatibility hash) on first use. Entries
/// of engines that are gone are dropped.
fn engine_index(engines: &mut PerEngine, engine: &Engine) -> usize {
    let mut found = None;
    let mut i = 0;
    while i < engines.len() {
        match engines[i].engine.upgrade() {
            None => {
                engines.swap_remove(i);
                continue;
            }
            Some(e) if Engine::same(&e, engine) => found = Some(i),
            Some(_) => {}
        }
        i += 1;
    }
    if let Some(at) = found {
        return at;
    }
    engines.push(EngineModules {
        engine: engine.weak(),
        compat: compatibility_hash(engine),
        modules: HashMap::new(),
        compiling: HashMap::new(),
    });
    engines.len() - 1
}

/// `engine`'s compatibility hash (part of every disk entry's name), computed once per engine
/// in the process: it hashes the engine's whole configuration, which costs a cached cold
/// `dlopen` more than finding its entry, and a program's cache and its libraries' cache (or
/// several stores' caches) would each compute it again.
fn compatibility_hash(engine: &Engine) -> u64 {
    static KNOWN: Mutex<Vec<(EngineWeak, u64)>> = Mutex::new(Vec::new());
    let mut known = KNOWN.lock().unwrap_or_else(PoisonError::into_inner);
    // Engines that are gone leave no entry behind (a host may create many in turn).
    known.retain(|(weak, _)| weak.upgrade().is_some());
    let found = known.iter().find_map(|(weak, compat)| {
        let alive = weak.upgrade()?;
        Engine::same(&alive, engine).then_some(*compat)
    });
    if let Some(compat) = found {
        return compat;
    }
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    engine.precompile_compatibility_hash().hash(&mut hasher);
    let compat = hasher.finish();
    known.push((engine.weak(), compat));
    compat
}

#[cfg(test)]
mod tests;
