//! Where library bytes may come from, and how a name is searched.
//!
//! A guest can load only what its embedder allows: files under directories granted with
//! [`crate::WasiDlCtxBuilder::preopened_dir`] / `library_dir` (opened with `cap-std`, so `..` and
//! symlinks cannot lead outside), modules registered from memory, and sources of the
//! embedder's own ([`ModuleSource`]).
//!
//! A name containing `/` is a path. Any other name is searched, like glibc's loader does:
//! the guest's `LD_LIBRARY_PATH` (when the embedder passes it on), the requesting library's
//! RUNTIME_PATH (`$ORIGIN` = its directory), the embedder's search path, then registered and
//! custom sources.

use std::collections::HashMap;
use std::future::Future;
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;

use cap_std::ambient_authority;
use cap_std::fs::Dir;

use crate::error::{DlError, DlResult};

mod body;
mod file;
pub(crate) use body::{Body, Found};
pub(crate) use file::FileIdentity;
use file::{file_key, read_head, read_rest};
pub use file::{read_module_file, ReadError};

/// A library's bytes and how to name it.
#[derive(Clone)]
pub struct Fetched {
    /// The module.
    pub bytes: Arc<[u8]>,
    /// What identifies this library: two requests that fetch the same key get one instance.
    pub key: String,
    /// The guest-visible path (used for `$ORIGIN` and reported by `dladdr`), if it has one.
    pub path: Option<String>,
}

impl std::fmt::Debug for Fetched {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fetched")
            .field("bytes", &format_args!("{} bytes", self.bytes.len()))
            .field("key", &self.key)
            .field("path", &self.path)
            .finish()
    }
}

/// A place libraries come from, consulted for names without a `/`.
///
/// An embedder can fetch modules from anywhere it trusts: a database, a package store, an
/// allow-listed HTTP origin (`host/examples/http_source.rs` is one). The source decides what
/// exists; a guest can reach nothing else.
///
/// ```
/// use std::sync::Arc;
/// use wasi_dl::{Fetched, ModuleSource};
///
/// /// Serves `libhello.so` from a table the embedder filled in.
/// struct Builtins(Vec<(&'static str, Arc<[u8]>)>);
///
/// impl ModuleSource for Builtins {
///     fn fetch(&self, name: &str, _max_bytes: usize) -> wasmtime::Result<Option<Fetched>> {
///         Ok(self.0.iter().find(|(n, _)| *n == name).map(|(n, bytes)| Fetched {
///             bytes: bytes.clone(),
///             key: format!("builtin:{n}"),
///             path: None,
///         }))
///     }
/// }
///
/// let ctx = wasi_dl::WasiDlCtx::builder().source(Builtins(vec![])).build();
/// # drop(ctx);
/// ```
pub trait ModuleSource: Send + Sync {
    /// Returns the module called `name`, `Ok(None)` if this source does not have it, or an
    /// error (reported to the guest as an I/O failure for `name`).
    ///
    /// `max_bytes` is the loader's `Limits::max_module_bytes`: a longer module is refused
    /// with the size-limit error, so read at most `max_bytes + 1` bytes of it (or refuse it
    /// earlier with an error of your own); never buffer an unbounded answer.
    fn fetch(&self, name: &str, max_bytes: usize) -> wasmtime::Result<Option<Fetched>>;

    /// [`ModuleSource::fetch`] for a store added with `add_to_linker_async`: the loader of an
    /// async store calls this one and awaits it (a sync store's loader calls `fetch`). The
    /// default calls `fetch`; a source that reads over the network or from an async database
    /// overrides it to await its I/O instead of blocking the executor's thread.
    fn fetch_async<'a>(
        &'a self,
        name: &'a str,
        max_bytes: usize,
    ) -> Pin<Box<dyn Future<Output = wasmtime::Result<Option<Fetched>>> + Send + 'a>> {
        Box::pin(std::future::ready(self.fetch(name, max_bytes)))
    }
}

/// A host directory mounted at a guest path.
pub(crate) struct DirSource {
    /// Normalised guest path as granted, for the paths the guest is told (`dladdr`,
    /// `$ORIGIN`): `.` for the working directory, else without a trailing `/` (`plugins` for
    /// `--dir plugins`, `/plugins` for `--dir HOST::/plugins`).
    guest_path: String,
    /// What the mount matches, as wasi-libc matches preopens: without leading `/` or `./`,
    /// so `plugins`, `./plugins` and `/plugins` are one directory, and `.` and `/` (empty)
    /// match every path.
    prefix: String,
    dir: Dir,
}

impl DirSource {
    pub(crate) fn open(host_dir: &Path, guest_path: &str) -> std::io::Result<Self> {
        let dir = Dir::open_ambient_dir(host_dir, ambient_authority())?;
        let guest_path = match normalize(guest_path) {
            Some(p) if p.is_empty() => ".".to_string(),
            Some(p) => p,
            None => "/".to_string(),
        };
        let prefix = match guest_path.as_str() {
            "." => String::new(),
            p => p.trim_start_matches('/').to_string(),
        };
        Ok(DirSource {
            guest_path,
            prefix,
            dir,
        })
    }
}

/// Modules registered from memory, by exact name.
#[derive(Default)]
pub(crate) struct MemorySource {
    modules: HashMap<String, Arc<[u8]>>,
}

impl MemorySource {
    pub(crate) fn insert(&mut self, name: &str, bytes: Arc<[u8]>) {
        self.modules.insert(name.to_string(), bytes);
    }
}

/// Everything the embedder granted, in search order.
#[derive(Default)]
pub(crate) struct Sources {
    pub(crate) dirs: Vec<DirSource>,
    pub(crate) guest_library_path: Vec<String>,
    pub(crate) search_path: Vec<String>,
    pub(crate) memory: Option<MemorySource>,
    pub(crate) custom: Vec<Box<dyn ModuleSource>>,
}

/// What [`Sources::fetch_own`] came to.
enum Own {
    Found(Found),
    /// Not in a granted directory nor registered; `searched`: some directory was searched.
    Missing {
        searched: bool,
    },
}

/// The answer of the embedder's source number `i` for `name`, size-checked and keyed by the
/// source (two sources may both have a `libfoo.so`).
fn custom_answer(
    i: usize,
    name: &str,
    answer: wasmtime::Result<Option<Fetched>>,
    max_bytes: usize,
) -> DlResult<Option<Fetched>> {
    match answer {
        Ok(Some(mut found)) => {
            crate::trace::source(name, &format!("source {i}"));
            check_size(name, found.bytes.len(), max_bytes)?;
            found.key = format!("source{i}:{}", found.key);
            Ok(Some(found))
        }
        Ok(None) => Ok(None),
        Err(e) => Err(DlError::Io {
            name: name.to_string(),
            reason: format!("{e:#}"),
        }),
    }
}

/// How the embedder's sources ([`ModuleSource`]) are asked for a library.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Asking {
    /// With [`ModuleSource::fetch`]: a sync store's loader, or no store at all.
    Blocking,
    /// With [`ModuleSource::fetch_async`], awaited: an async store's loader.
    Async,
}

/// Who asks, for the search: the requesting library's expanded RUNTIME_PATH.
pub(crate) struct Requester<'a> {
    pub(crate) runtime_path: &'a [String],
}

impl Sources {
    pub(crate) fn add_dir(&mut self, dir: DirSource) {
        self.dirs.push(dir);
    }

    /// Finds and reads the library `name` as requested by `requester`, outside any store (the
    /// embedder's sources are asked with [`ModuleSource::fetch`]).
    pub(crate) fn fetch(
        &self,
        name: &str,
        requester: &Requester<'_>,
        max_bytes: usize,
    ) -> DlResult<Fetched> {
        let found = self.fetch_file(name, requester, max_bytes, Asking::Blocking);
        // Asked with `fetch`, nothing here waits: `WouldBlock` cannot happen.
        let mut found = crate::drive::now(found).map_err(|e| DlError::Io {
            name: name.to_string(),
            reason: e.to_string(),
        })??;
        Ok(Fetched {
            bytes: found.body.bytes()?,
            key: found.key,
            path: found.path,
        })
    }

    /// Finds the library `name` as [`Sources::fetch`] does, with the identity of the file
    /// when it came from a granted directory (the compile cache's key for it). A file's checks
    /// are made and its first bytes read; the rest is read only when the bytes are needed.
    /// Directories and registered modules are searched alike in both modes; `asking` says how
    /// the embedder's sources are asked.
    pub(crate) async fn fetch_file(
        &self,
        name: &str,
        requester: &Requester<'_>,
        max_bytes: usize,
        asking: Asking,
    ) -> DlResult<Found> {
        let searched = match self.fetch_own(name, requester, max_bytes)? {
            Own::Found(found) => return Ok(found),
            Own::Missing { searched } => searched,
        };
        for (i, source) in self.custom.iter().enumerate() {
            let answer = match asking {
                Asking::Blocking => source.fetch(name, max_bytes),
                Asking::Async => source.fetch_async(name, max_bytes).await,
            };
            if let Some(found) = custom_answer(i, name, answer, max_bytes)? {
                return Ok(Found::read(found));
            }
        }
        Err(self.not_found(name, searched))
    }

    /// What the loader finds without the embedder's sources: a path in a granted directory,
    /// or a bare name along the search path or among the registered modules.
    fn fetch_own(&self, name: &str, requester: &Requester<'_>, max_bytes: usize) -> DlResult<Own> {
        if name.is_empty() {
            return Err(DlError::Invalid("empty library name".into()));
        }
        if name.contains('\0') {
            return Err(DlError::Invalid(format!(
                "library name {name:?} contains a NUL byte"
            )));
        }
        if name.contains('/') {
            let result = self.read_path(name, max_bytes);
            if crate::trace::enabled() {
                crate::trace::open_path(name, &self.outcome(name, &result));
            }
            return match result? {
                Some(found) => Ok(Own::Found(found)),
                None => Err(DlError::NotFound {
                    name: name.to_string(),
                }),
            };
        }
        let steps = [
            ("LD_LIBRARY_PATH", &self.guest_library_path[..]),
            ("RUNTIME_PATH", requester.runtime_path),
            ("search path", &self.search_path[..]),
        ];
        let mut searched = false;
        for (list, dirs) in steps {
            for dir in dirs {
                searched = true;
                let candidate = format!("{}/{name}", dir.trim_end_matches('/'));
                let result = self.read_path(&candidate, max_bytes);
                if crate::trace::enabled() {
                    let outcome = self.outcome(&candidate, &result);
                    crate::trace::search(name, &candidate, list, &outcome);
                }
                match result {
                    Ok(Some(found)) => return Ok(Own::Found(found)),
                    // As glibc does, a directory the library is not in (or may not be read
                    // from) is passed over, and the next one tried.
                    Ok(None) | Err(DlError::Denied { .. }) => {}
                    Err(e) => return Err(e),
                }
            }
        }
        if !searched {
            crate::trace::no_search(name);
        }
        if let Some(bytes) = self.memory.as_ref().and_then(|m| m.modules.get(name)) {
            crate::trace::source(name, "registered module");
            check_size(name, bytes.len(), max_bytes)?;
            return Ok(Own::Found(Found::read(Fetched {
                bytes: bytes.clone(),
                key: format!("memory:{name}"),
                path: None,
            })));
        }
        Ok(Own::Missing { searched })
    }

    /// The error for a bare name no source had.
    fn not_found(&self, name: &str, searched: bool) -> DlError {
        if !searched && self.custom.is_empty() {
            return DlError::NotSearched {
                name: name.to_string(),
            };
        }
        DlError::NotFound {
            name: name.to_string(),
        }
    }

    /// What one step of a search came to, for the trace: found, absent, or refused and why.
    fn outcome<F>(&self, path: &str, result: &DlResult<Option<F>>) -> String {
        match result {
            Ok(Some(_)) => "found".to_string(),
            Ok(None) => "no such file".to_string(),
            Err(DlError::Denied { .. }) => match self.mount_for(path) {
                None if self.dirs.is_empty() => {
                    "refused: no directory is granted for loading".to_string()
                }
                None => {
                    let granted: Vec<&str> =
                        self.dirs.iter().map(|d| d.guest_path.as_str()).collect();
                    format!(
                        "refused: outside the granted directories ({})",
                        granted.join(", ")
                    )
                }
                Some((mount, _)) => format!(
                    "refused: leaves the granted directory {} (through `..` or a symlink), \
                     or the host denied access",
                    mount.guest_path
                ),
            },
            Err(e) => format!("failed: {e}"),
        }
    }

    /// Reads a guest path through the mount that contains it. `Ok(None)`: no such file.
    fn read_path(&self, path: &str, max_bytes: usize) -> DlResult<Option<Found>> {
        let denied = || DlError::Denied {
            name: path.to_string(),
        };
        let Some((mount, rel)) = self.mount_for(path) else {
            return Err(denied());
        };
        if rel.is_empty() {
            return Err(DlError::IsDirectory {
                name: path.to_string(),
            });
        }
        let mut options = cap_std::fs::OpenOptions::new();
        options.read(true);
        // A FIFO must not block the open itself (neither fuel nor epochs could end the wait):
        // what was opened is checked on the handle.
        #[cfg(unix)]
        cap_std::fs::OpenOptionsExt::custom_flags(&mut options, libc::O_NONBLOCK);
        // `..` after a symbolic link or a file means what the file system makes of it (the
        // link target's parent; ENOTDIR), not what the text does: a path with `..` is opened as
        // written first. The lexical form stays the answer where the written one finds
        // nothing or leaves the mount (a `..` across mounts), as before.
        let lexical = rel.clone();
        let (file, mut rel) = match written_below(path, &mount.prefix) {
            Some(written) => match mount.dir.open_with(&written, &options) {
                Ok(f) => (Ok(f), written),
                Err(e) if e.kind() == std::io::ErrorKind::NotADirectory => (Err(e), written),
                Err(_) => (mount.dir.open_with(&rel, &options), rel),
            },
            None => (mount.dir.open_with(&rel, &options), rel),
        };
        let file = match file {
            Ok(f) => f.into_std(),
            Err(e) => {
                return match e.kind() {
                    std::io::ErrorKind::NotFound => Ok(None),
                    std::io::ErrorKind::NotADirectory => Err(DlError::NotDirectory {
                        name: path.to_string(),
                    }),
                    std::io::ErrorKind::PermissionDenied => Err(denied()),
                    // cap-std reports an escape (through a symlink or `..`) as one of these.
                    _ if is_escape(&e) => Err(denied()),
                    _ => Err(DlError::Io {
                        name: path.to_string(),
                        reason: e.to_string(),
                    }),
                };
            }
        };
        let meta = file.metadata().map_err(|e| DlError::Io {
            name: path.to_string(),
            reason: e.to_string(),
        })?;
        // Where the written path reached the same file as its lexical form (no link on the
        // way), the file is named by the lexical form, as every other path is.
        if rel != lexical {
            let lexical_identity = mount
                .dir
                .open_with(&lexical, &options)
                .ok()
                .and_then(|f| f.into_std().metadata().ok())
                .and_then(|m| FileIdentity::of(&m));
            if lexical_identity.is_some() && lexical_identity == FileIdentity::of(&meta) {
                rel = lexical;
            }
        }
        // The lexical normalisation above dropped a trailing `/`, `/.` or `/..`; the kernel
        // would have refused a file there.
        if names_directory(path) && !meta.is_dir() {
            return Err(DlError::NotDirectory {
                name: path.to_string(),
            });
        }
        let head = read_head(&file, &meta, Path::new(path), max_bytes as u64)
            .map_err(ReadError::into_dl_error)?;
        let guest_path = if mount.guest_path == "." {
            format!("./{rel}")
        } else if mount.guest_path == "/" {
            format!("/{rel}")
        } else {
            format!("{}/{rel}", mount.guest_path)
        };
        Ok(Some(Found {
            key: file_key(&meta, &guest_path),
            path: Some(guest_path),
            body: Body::unread(file, head, path.to_string(), max_bytes as u64),
            identity: FileIdentity::of(&meta),
        }))
    }

    /// The mount holding `path` and the path relative to it, chosen as wasi-libc chooses the
    /// preopen for a file: the longest matching prefix, the later grant on a tie. A relative
    /// path is taken from "/" (wasi-libc's working directory until a `chdir`, after which the
    /// guest sends absolute paths), so `--dir plugins` serves `plugins/libx.so` and
    /// `/plugins/libx.so` alike, exactly as it serves `fopen`.
    fn mount_for(&self, path: &str) -> Option<(&DirSource, String)> {
        let normalized = normalize(path)?;
        let key = normalized.trim_start_matches('/');
        let mut best: Option<(&DirSource, String)> = None;
        for mount in &self.dirs {
            let rel = if mount.prefix.is_empty() {
                Some(key.to_string())
            } else {
                strip_mount(key, &mount.prefix)
            };
            if let Some(rel) = rel {
                if best
                    .as_ref()
                    .is_none_or(|(b, _)| mount.prefix.len() >= b.prefix.len())
                {
                    best = Some((mount, rel));
                }
            }
        }
        best
    }
}

fn strip_mount(path: &str, mount: &str) -> Option<String> {
    let rest = path.strip_prefix(mount)?;
    if rest.is_empty() {
        Some(String::new())
    } else {
        rest.strip_prefix('/').map(str::to_string)
    }
}

/// `path` below a mount with `prefix` as written, `.` and empty components dropped but `..`
/// kept, when it has a `..` to resolve and starts with the prefix (component-wise).
fn written_below(path: &str, prefix: &str) -> Option<String> {
    let parts: Vec<&str> = path
        .split('/')
        .filter(|p| !p.is_empty() && *p != ".")
        .collect();
    if !parts.contains(&"..") {
        return None;
    }
    let mut rest = parts.as_slice();
    for want in prefix.split('/').filter(|p| !p.is_empty()) {
        match rest.split_first() {
            Some((first, tail)) if *first == want => rest = tail,
            _ => return None,
        }
    }
    Some(rest.join("/"))
}

/// Whether a path's last component can only be a directory: it ends in `/`, `/.` or `/..`.
fn names_directory(path: &str) -> bool {
    path.ends_with('/') || path.ends_with("/.") || path.ends_with("/..")
}

/// Lexically normalises a guest path: drops `.` and empty components, resolves `..`.
/// Returns `None` when `..` climbs above the start. Keeps a leading `/`.
fn normalize(path: &str) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            p => parts.push(p),
        }
    }
    let joined = parts.join("/");
    Some(if path.starts_with('/') {
        format!("/{joined}")
    } else {
        joined
    })
}

fn is_escape(e: &std::io::Error) -> bool {
    let text = e.to_string();
    text.contains("outside") || text.contains("escape") || e.raw_os_error() == Some(libc_eperm())
}

const fn libc_eperm() -> i32 {
    1
}

fn check_size(name: &str, len: usize, max: usize) -> DlResult<()> {
    if len > max {
        return Err(DlError::Limit {
            name: name.to_string(),
            what: "module size",
            detail: format!("{len} bytes, at most {max} allowed"),
        });
    }
    Ok(())
}

/// Expands `$ORIGIN` / `${ORIGIN}` in a RUNTIME_PATH entry against the library's directory.
/// Entries that need an origin the library does not have (it came from memory) are dropped.
pub fn expand_runtime_path(entries: &[String], library_path: Option<&str>) -> Vec<String> {
    let origin = library_path.map(|p| match p.rfind('/') {
        Some(0) => "/".to_string(),
        Some(i) => p[..i].to_string(),
        None => ".".to_string(),
    });
    entries
        .iter()
        .filter_map(|entry| {
            if entry.contains("$ORIGIN") || entry.contains("${ORIGIN}") {
                let origin = origin.as_deref()?;
                Some(
                    entry
                        .replace("${ORIGIN}", origin)
                        .replace("$ORIGIN", origin),
                )
            } else {
                Some(entry.clone())
            }
        })
        .collect()
}

/// Finds libraries as the loader does, outside a running program: the same grants, search
/// order, `$ORIGIN` expansion and refusals. `wasi-dl inspect` answers with it what `dlopen`
/// would load under given `--dir`/`--lib-path` flags, never reaching the host's file system
/// outside them.
///
/// ```
/// let mut finder = wasi_dl::source::LibraryFinder::new();
/// let err = finder.find("libx.so", &[], 1 << 20).unwrap_err();
/// assert!(err.to_string().contains("no directory was searched"));
/// ```
#[derive(Default)]
pub struct LibraryFinder {
    sources: Sources,
}

impl LibraryFinder {
    /// A finder with nothing granted: like a program given no directory, it finds nothing.
    pub fn new() -> Self {
        LibraryFinder::default()
    }

    /// Grants `host_dir` at `guest_path`, as `WasiDlCtxBuilder::preopened_dir` and
    /// `library_dir` do.
    pub fn grant(&mut self, host_dir: &Path, guest_path: &str) -> std::io::Result<()> {
        self.sources.add_dir(DirSource::open(host_dir, guest_path)?);
        Ok(())
    }

    /// Searches `guest_dir` for names without a `/`, as `WasiDlCtxBuilder::search_path`.
    pub fn search_path(&mut self, guest_dir: &str) {
        self.sources.search_path.push(guest_dir.to_string());
    }

    /// Finds and reads `name` as a library whose expanded RUNTIME_PATH is `runtime_path`
    /// ([`expand_runtime_path`]) would: the error is the `dlerror()` text `dlopen` would give.
    pub fn find(
        &self,
        name: &str,
        runtime_path: &[String],
        max_bytes: usize,
    ) -> Result<Fetched, DlError> {
        self.sources
            .fetch(name, &Requester { runtime_path }, max_bytes)
    }
}

#[cfg(test)]
mod tests;
