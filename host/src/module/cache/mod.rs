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
//! other, never a mix of the two; compiled code is always filed under the hash of the bytes
//! compiled.)

use std::collections::HashMap;
use std::fs::File;
use std::hash::{Hash, Hasher};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, SystemTime};

use rustc_hash::FxHashMap;
use wasmtime::{Engine, Module};

use crate::error::BuildError;
use crate::error::{one_line, DlError, DlResult};
use crate::module::dylink;
use crate::module::image::{reset_image, ResetImage};
use crate::module::libmeta::{LibraryMeta, LinkInfo};
use crate::module::source::{Body, FileIdentity};

mod index;

/// A compiled side module and what the loader needs of its metadata.
pub(crate) struct CompiledLibrary {
    pub(crate) module: Module,
    pub(crate) info: LinkInfo,
    /// How to reset its data block when a parked instance is revived, or why it cannot be.
    pub(crate) reset: Result<ResetImage, &'static str>,
    /// Table offsets (from `__table_base`) of the functions clang made of its
    /// `__attribute__((destructor))` functions (see `dylink::late_destructor_offsets`).
    pub(crate) late_destructors: Vec<u32>,
    /// How many functions it defines (checked against `Limits::max_module_functions`).
    pub(crate) functions: u32,
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
    engine: Engine,
    /// The engine's compatibility hash (part of every disk entry's name), computed once.
    compat: u64,
    modules: HashMap<Hash256, Arc<CompiledLibrary>>,
}

#[derive(Default)]
struct Inner {
    engines: Mutex<PerEngine>,
    /// The content hash of each file identity seen (see the module docs, "Keys").
    identities: Mutex<FxHashMap<FileIdentity, Hash256>>,
    /// Whether the disk cache's identity index was read into `identities`.
    index_loaded: OnceLock<()>,
    disk: Option<Disk>,
}

/// The identity map starts over when it holds this many files (a guest chooses how many files
/// it opens).
const MAX_IDENTITIES: usize = 1 << 16;

/// The on-disk part of a cache.
struct Disk {
    /// Canonical path, checked when the cache was made (see [`check_private_dir`]).
    dir: PathBuf,
    max_bytes: u64,
    stats: Counters,
    /// Entries wasmtime maps from their files (each keeps its file open).
    mapped: std::sync::atomic::AtomicUsize,
}

/// At most this many entries are mapped by wasmtime (one open file each, for as long as the
/// cache keeps the module); later ones are copied.
const MAX_MAPPED_ENTRIES: usize = 256;

#[derive(Default)]
struct Counters {
    hits: AtomicU64,
    misses: AtomicU64,
    stores: AtomicU64,
    rejected: AtomicU64,
    evicted: AtomicU64,
}

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
                identities: Mutex::default(),
                index_loaded: OnceLock::new(),
                disk: Some(Disk {
                    dir,
                    max_bytes,
                    stats: Counters::default(),
                    mapped: Default::default(),
                }),
            }),
        })
    }

    /// The cache every context uses unless given another.
    pub(crate) fn process_wide() -> Self {
        static CACHE: OnceLock<ModuleCache> = OnceLock::new();
        CACHE.get_or_init(ModuleCache::new).clone()
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

    fn identities(&self) -> std::sync::MutexGuard<'_, FxHashMap<FileIdentity, Hash256>> {
        self.inner
            .identities
            .lock()
            .unwrap_or_else(|p| p.into_inner())
    }

    /// The content hash the file `identity` had when it was seen before, by this process or
    /// (through the disk cache's identity index) another.
    fn known_hash(&self, identity: &FileIdentity) -> Option<Hash256> {
        if let Some(disk) = &self.inner.disk {
            self.inner.index_loaded.get_or_init(|| {
                let stored = index::read(&disk.dir);
                let mut identities = self.identities();
                for (id, hash) in stored {
                    if identities.len() >= MAX_IDENTITIES {
                        break;
                    }
                    identities.entry(id).or_insert(hash);
                }
            });
        }
        self.identities().get(identity).copied()
    }

    /// Remembers that the file `identity` holds the module `hash`, in the disk cache's
    /// identity index too.
    fn remember(&self, identity: &FileIdentity, hash: Hash256) {
        let snapshot = {
            let mut identities = self.identities();
            if identities.len() >= MAX_IDENTITIES {
                identities.clear();
            }
            identities.insert(*identity, hash);
            self.inner.disk.as_ref().map(|_| {
                let mut entries = vec![(*identity, hash)];
                entries.extend(
                    identities
                        .iter()
                        .filter(|(id, _)| *id != identity)
                        .take(index::MAX_ENTRIES - 1)
                        .map(|(id, hash)| (*id, *hash)),
                );
                entries
            })
        };
        if let (Some(disk), Some(entries)) = (&self.inner.disk, snapshot) {
            // A failure only costs the next process a read and a hash.
            if let Err(e) = index::write(&disk.dir, entries) {
                crate::trace::cache("(identity index)", &format!("cannot write it: {e}"));
            }
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
    /// `check_functions` is given the number of functions the module defines before it is
    /// compiled or returned from the cache.
    pub(crate) fn get_or_compile_found(
        &self,
        engine: &Engine,
        name: &str,
        body: &mut Body,
        identity: Option<&FileIdentity>,
        check_functions: &dyn Fn(u32) -> DlResult<()>,
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
        let (compat, hit) = self.lookup(engine, &hash);
        if let Some(hit) = hit {
            check_functions(hit.functions)?;
            crate::trace::cache(name, "hit");
            return Ok(hit);
        }
        let key = EntryKey { hash, compat };
        // A disk entry carries the metadata: no need to read or parse the module at all.
        if let Some((module, Some(meta))) = self.load_from_disk(engine, &key, name, true) {
            check_functions(meta.functions)?;
            crate::trace::cache(name, "disk hit");
            let compiled = CompiledLibrary {
                module,
                info: meta.info,
                reset: meta.reset,
                late_destructors: meta.late_destructors,
                functions: meta.functions,
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
                return self.get_or_compile_found(
                    engine,
                    name,
                    body,
                    Some(identity),
                    check_functions,
                );
            }
        }
        let functions = dylink::defined_function_count(&bytes);
        check_functions(functions)?;
        // Read the metadata first: it gives the precise error for files that are not side
        // modules, and is cheap next to compiling.
        let info = dylink::read(&bytes).map_err(|source| DlError::NotSideModule {
            name: name.to_string(),
            source,
        })?;
        let meta = LibraryMeta {
            reset: reset_image(&bytes, &info.mem),
            late_destructors: dylink::late_destructor_offsets(&bytes),
            info: LinkInfo::new(info),
            functions,
        };
        crate::trace::cache(name, "compile");
        let module = Module::new(engine, &bytes).map_err(|e| DlError::Compile {
            name: name.to_string(),
            reason: one_line(&e),
        })?;
        self.store_on_disk(&key, &module, &meta.encode(), name);
        let compiled = CompiledLibrary {
            module,
            info: meta.info,
            reset: meta.reset,
            late_destructors: meta.late_destructors,
            functions: meta.functions,
        };
        Ok(self.insert(engine, hash, Arc::new(compiled)))
    }

    /// Compiles a main program (no `dylink.0` needed), using the on-disk cache when there is
    /// one (with the same checks as for libraries), so that starting a program twice compiles
    /// it once.
    pub fn compile_program(&self, engine: &Engine, bytes: &[u8]) -> anyhow::Result<Module> {
        let hash = *blake3::hash(bytes).as_bytes();
        let (compat, _) = self.lookup(engine, &hash);
        let key = EntryKey { hash, compat };
        if let Some((module, _)) = self.load_from_disk(engine, &key, "(program)", false) {
            crate::trace::cache("(program)", "disk hit");
            return Ok(module);
        }
        let module = Module::new(engine, bytes).map_err(|e| anyhow::anyhow!(one_line(&e)))?;
        self.store_on_disk(&key, &module, &[], "(program)");
        Ok(module)
    }

    /// Compiled code from the disk cache, if it holds a sound entry for this module and engine,
    /// with the library metadata stored beside it (`with_meta`: a library's entry must have it).
    fn load_from_disk(
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
        let (file, entry) = match open_entry(&disk.dir.join(key.file_name()), key) {
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
        drop(entry);
        match module {
            Ok(module) => {
                disk.stats.hits.fetch_add(1, Ordering::Relaxed);
                // The file's mtime is its last use, for eviction. A failure only makes it an
                // earlier candidate.
                let _ = file.set_modified(SystemTime::now());
                Some((module, meta))
            }
            Err(e) => refused(format!("wasmtime refused it: {}", one_line(&e))),
        }
    }

    fn store_on_disk(&self, key: &EntryKey, module: &Module, meta: &[u8], name: &str) {
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
fn check_private_dir(dir: &Path) -> Result<PathBuf, CacheDirError> {
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

/// The index of `engine`'s modules, added (with its compatibility hash) on first use.
fn engine_index(engines: &mut PerEngine, engine: &Engine) -> usize {
    if let Some(at) = engines.iter().position(|e| Engine::same(&e.engine, engine)) {
        return at;
    }
    let mut compat = std::collections::hash_map::DefaultHasher::new();
    engine.precompile_compatibility_hash().hash(&mut compat);
    engines.push(EngineModules {
        engine: engine.clone(),
        compat: compat.finish(),
        modules: HashMap::new(),
    });
    engines.len() - 1
}

/// An entry's file: the payload (wasmtime's serialized module, an ELF image that must start
/// the file so that wasmtime can map it in place), the library metadata
/// ([`LibraryMeta::encode`], empty for a program), then a trailer of `TRAILER_LEN` bytes:
/// `MAGIC`, format version (u32 LE), reserved (u32), the module's BLAKE3 hash, the engine's
/// compatibility hash (u64 LE), the payload's and the metadata's lengths (u64 LE each), and
/// the CRC-32 of payload and metadata together (u32 LE).
///
/// The checksum catches damage: a truncated, extended or partly overwritten entry, a flipped
/// bit. CRC-32 does that at a tenth of BLAKE3's cost over the ~0.5 MB every cached `dlopen`
/// checks, and a cryptographic hash would add nothing here: whoever can write an entry (the
/// host's own user, see [`check_private_dir`]) can also write its checksum, so forging is kept
/// out by the directory's ownership and mode checks, not by the checksum.
const MAGIC: &[u8; 8] = b"wasidlc\0";
const FORMAT_VERSION: u32 = 6;
const TRAILER_LEN: usize = 8 + 4 + 4 + 32 + 8 + 8 + 8 + 4;
/// No entry is larger (compiled code of a module within any sane size limit is far smaller):
/// a bigger file is refused before it is mapped.
const MAX_ENTRY_BYTES: u64 = 4 << 30;
/// Temporary files start with this; older ones than `STALE_TEMP` were left by a crash.
const TEMP_PREFIX: &str = ".wasi-dl-tmp-";
const STALE_TEMP: Duration = Duration::from_secs(3600);

/// Which entry: the module's content hash and the engine's compatibility hash.
struct EntryKey {
    hash: Hash256,
    compat: u64,
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

    /// Whether `entry` (the whole file) is this key's, whole and unaltered; why not. Returns
    /// the payload's and the metadata's lengths.
    fn verify(&self, entry: &[u8]) -> Result<(usize, usize), String> {
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
        if field(72, 4) != crc32fast::hash(body).to_le_bytes() {
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
}

impl Entry {
    fn payload(&self) -> &[u8] {
        &self.map[..self.payload_len]
    }

    fn meta(&self) -> &[u8] {
        &self.map[self.payload_len..self.payload_len + self.meta_len]
    }
}

/// Opens and checks the entry at `path`: `Ok(None)` when there is none, `Err(why)` when the
/// file is not a sound entry for `key`. The bytes checked are the bytes of the open file
/// returned.
fn open_entry(path: &Path, key: &EntryKey) -> Result<Option<(File, Entry)>, String> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    // Never through a symlink; and a FIFO planted under the name must not block the open.
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(
        &mut options,
        libc::O_NOFOLLOW | libc::O_NONBLOCK,
    );
    let file = match options.open(path) {
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
    let map = Mapped::new(&file, len as usize).map_err(|e| format!("cannot read it: {e}"))?;
    let (payload_len, meta_len) = key.verify(&map)?;
    Ok(Some((
        file,
        Entry {
            map,
            payload_len,
            meta_len,
        },
    )))
}

/// A file's first `len` bytes, mapped read-only (read into memory where mapping is not
/// available).
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
    fn new(file: &File, len: usize) -> std::io::Result<Mapped> {
        use std::os::unix::io::AsRawFd;
        if len == 0 {
            return Err(std::io::ErrorKind::InvalidInput.into());
        }
        // SAFETY: a fresh private read-only mapping of an open file; nothing else refers to
        // the address range until `Drop` unmaps it. The file's pages are populated at once:
        // every byte is about to be hashed.
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ,
                libc::MAP_PRIVATE | MAP_POPULATE,
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
    fn new(file: &File, len: usize) -> std::io::Result<Mapped> {
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

#[cfg(test)]
mod tests;
