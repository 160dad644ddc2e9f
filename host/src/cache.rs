//! Compiled side modules, by content hash.
//!
//! Compiling is by far the most expensive step of a `dlopen`, and the same library is often
//! opened by many programs (a server running many guests) or many times by one. A
//! [`ModuleCache`] compiles each distinct module once per engine and hands every store the same
//! compiled code; with an on-disk directory, a second process skips compilation too.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use sha2::{Digest, Sha256};
use wasmtime::{Engine, Module};

use crate::dylink::{self, SideModuleInfo};
use crate::error::{one_line, DlError, DlResult};
use crate::reuse::{reset_image, ResetImage};

/// A compiled side module and its `dylink.0` metadata.
pub(crate) struct CompiledLibrary {
    pub(crate) module: Module,
    pub(crate) info: SideModuleInfo,
    /// How to reset its data block when a parked instance is revived, or why it cannot be.
    pub(crate) reset: Result<ResetImage, &'static str>,
    /// Table offsets (from `__table_base`) of the functions clang made of its
    /// `__attribute__((destructor))` functions (see `dylink::late_destructor_offsets`).
    pub(crate) late_destructors: Vec<u32>,
}

type Hash256 = [u8; 32];

/// A thread-safe cache of compiled side modules, shared by cloning.
///
/// ```
/// let cache = wasi_dl::ModuleCache::new();
/// // every store of the engine gets a clone:
/// let ctx = wasi_dl::WasiDlCtx::builder().cache(cache.clone()).build();
/// assert_eq!(cache.len(), 0);
/// # drop(ctx);
/// ```
#[derive(Clone, Default)]
pub struct ModuleCache {
    inner: Arc<Inner>,
}

/// Compiled libraries by content hash, one map per engine: compiled code belongs to the engine
/// that compiled it.
type PerEngine = Vec<(Engine, HashMap<Hash256, Arc<CompiledLibrary>>)>;

#[derive(Default)]
struct Inner {
    engines: Mutex<PerEngine>,
    disk: Option<PathBuf>,
}

impl ModuleCache {
    /// An empty in-memory cache.
    pub fn new() -> Self {
        Self::default()
    }

    /// A cache that also keeps compiled code in `dir`, so that another process with a
    /// compatible engine loads it instead of compiling.
    ///
    /// The directory must be trusted like the host binary itself: compiled code read from it is
    /// run as is (wasmtime checks it was made by a compatible engine, not that it is benign).
    pub fn with_disk_cache(dir: impl AsRef<Path>) -> std::io::Result<Self> {
        std::fs::create_dir_all(dir.as_ref())?;
        Ok(ModuleCache {
            inner: Arc::new(Inner {
                engines: Mutex::default(),
                disk: Some(dir.as_ref().into()),
            }),
        })
    }

    /// The cache every context uses unless given another.
    pub(crate) fn process_wide() -> Self {
        static CACHE: OnceLock<ModuleCache> = OnceLock::new();
        CACHE.get_or_init(ModuleCache::new).clone()
    }

    /// How many compiled modules the cache holds (all engines).
    pub fn len(&self) -> usize {
        self.lock().iter().map(|(_, m)| m.len()).sum()
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

    fn lookup(&self, engine: &Engine, hash: &Hash256) -> Option<Arc<CompiledLibrary>> {
        let engines = self.lock();
        let (_, map) = engines.iter().find(|(e, _)| Engine::same(e, engine))?;
        map.get(hash).cloned()
    }

    fn insert(
        &self,
        engine: &Engine,
        hash: Hash256,
        lib: Arc<CompiledLibrary>,
    ) -> Arc<CompiledLibrary> {
        let mut engines = self.lock();
        let index = match engines.iter().position(|(e, _)| Engine::same(e, engine)) {
            Some(i) => i,
            None => {
                engines.push((engine.clone(), HashMap::new()));
                engines.len() - 1
            }
        };
        // Another thread may have compiled the same module meanwhile: keep the first.
        engines[index].1.entry(hash).or_insert(lib).clone()
    }

    /// Returns the compiled module for `bytes`, compiling (and validating) it on a miss.
    pub(crate) fn get_or_compile(
        &self,
        engine: &Engine,
        name: &str,
        bytes: &[u8],
    ) -> DlResult<Arc<CompiledLibrary>> {
        let hash: Hash256 = Sha256::digest(bytes).into();
        if let Some(hit) = self.lookup(engine, &hash) {
            crate::trace::cache(name, "hit");
            return Ok(hit);
        }
        // Read the metadata first: it gives the precise error for files that are not side
        // modules, and is cheap next to compiling.
        let info = dylink::read(bytes).map_err(|source| DlError::NotSideModule {
            name: name.to_string(),
            source,
        })?;
        let module = match self.load_from_disk(engine, &hash) {
            Some(module) => {
                crate::trace::cache(name, "disk hit");
                module
            }
            None => {
                crate::trace::cache(name, "compile");
                let module = Module::new(engine, bytes).map_err(|e| DlError::Compile {
                    name: name.to_string(),
                    reason: one_line(&e),
                })?;
                self.store_on_disk(engine, &hash, &module);
                module
            }
        };
        let reset = reset_image(bytes, &info.mem);
        let late_destructors = crate::dylink::late_destructor_offsets(bytes);
        let compiled = CompiledLibrary {
            module,
            info,
            reset,
            late_destructors,
        };
        Ok(self.insert(engine, hash, Arc::new(compiled)))
    }

    /// Compiles a main program (no `dylink.0` needed), using the on-disk cache when there is
    /// one, so that starting a program twice compiles it once.
    pub fn compile_program(&self, engine: &Engine, bytes: &[u8]) -> anyhow::Result<Module> {
        let hash: Hash256 = Sha256::digest(bytes).into();
        if let Some(module) = self.load_from_disk(engine, &hash) {
            return Ok(module);
        }
        let module = Module::new(engine, bytes).map_err(|e| anyhow::anyhow!(one_line(&e)))?;
        self.store_on_disk(engine, &hash, &module);
        Ok(module)
    }

    fn disk_path(&self, engine: &Engine, hash: &Hash256) -> Option<PathBuf> {
        let dir = self.inner.disk.as_ref()?;
        let mut compat = std::collections::hash_map::DefaultHasher::new();
        engine.precompile_compatibility_hash().hash(&mut compat);
        let hex: String = hash.iter().map(|b| format!("{b:02x}")).collect();
        Some(dir.join(format!("{hex}-{:016x}.cwasm", compat.finish())))
    }

    fn load_from_disk(&self, engine: &Engine, hash: &Hash256) -> Option<Module> {
        let path = self.disk_path(engine, hash)?;
        if !path.is_file() {
            return None;
        }
        // SAFETY: the embedder vouched for the cache directory (see `with_disk_cache`), and
        // the file name binds the content hash and the engine's compatibility hash; wasmtime
        // also rejects artifacts from incompatible engines.
        unsafe { Module::deserialize_file(engine, &path) }.ok()
    }

    fn store_on_disk(&self, engine: &Engine, hash: &Hash256, module: &Module) {
        let Some(path) = self.disk_path(engine, hash) else {
            return;
        };
        let Ok(bytes) = module.serialize() else {
            return;
        };
        // Write then rename, so a concurrent reader never sees half a file. A failure only
        // costs the next process a compile.
        let tmp = path.with_extension(format!("tmp{}", std::process::id()));
        if std::fs::write(&tmp, bytes).is_ok() && std::fs::rename(&tmp, &path).is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
    }
}
