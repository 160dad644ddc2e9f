//! Reading a library file with the loader's checks (a regular file, within the size limit,
//! a side module from its first bytes), and what identifies the file.

use std::io::Read;
use std::path::Path;

use crate::error::DlError;

/// Why a module file cannot be read ([`read_module_file`]). `Display` says which file and
/// why, in `dlerror()`'s words.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReadError {
    /// Opening the file failed.
    #[error("{}: cannot open shared object file: {error}", path.display())]
    Open {
        path: std::path::PathBuf,
        error: std::io::Error,
    },
    /// A directory.
    #[error("{}: cannot read file data: Is a directory", path.display())]
    IsDirectory { path: std::path::PathBuf },
    /// A FIFO, a device, a socket: refused without reading (reading one could block forever
    /// or never end).
    #[error("{}: cannot read file data: not a regular file ({kind})", path.display())]
    NotRegularFile {
        path: std::path::PathBuf,
        kind: &'static str,
    },
    /// Larger than allowed (from the file's metadata before reading, or as read).
    #[error("{}: module size limit exceeded ({len} bytes, at most {max} allowed)", path.display())]
    TooLarge {
        path: std::path::PathBuf,
        len: u64,
        max: u64,
    },
    /// The first bytes show it is not a side module (not wasm, or not `dylink.0` first).
    #[error("{}: {error}", path.display())]
    NotSideModule {
        path: std::path::PathBuf,
        error: crate::module::dylink::DylinkError,
    },
    /// Reading failed.
    #[error("{}: cannot read file data: {error}", path.display())]
    Read {
        path: std::path::PathBuf,
        error: std::io::Error,
    },
}

impl ReadError {
    /// The same failure as `dlopen` reports it (the path is the guest's).
    pub(super) fn into_dl_error(self) -> DlError {
        let name = |path: std::path::PathBuf| path.to_string_lossy().into_owned();
        match self {
            ReadError::Open { path, error } | ReadError::Read { path, error } => DlError::Io {
                name: name(path),
                reason: error.to_string(),
            },
            ReadError::IsDirectory { path } => DlError::IsDirectory { name: name(path) },
            ReadError::NotRegularFile { path, kind } => DlError::Io {
                name: name(path),
                reason: format!("not a regular file ({kind})"),
            },
            ReadError::TooLarge { path, len, max } => DlError::Limit {
                name: name(path),
                what: "module size",
                detail: format!("{len} bytes, at most {max} allowed"),
            },
            ReadError::NotSideModule { path, error } => DlError::NotSideModule {
                name: name(path),
                source: error,
            },
        }
    }
}

/// Reads a side module from a host path with the loader's checks: only a regular file
/// (checked on the opened handle; the open itself does not block on a FIFO), at most
/// `max_bytes` (checked from its metadata before reading), the wasm header and a first
/// `dylink.0` section checked from its first bytes before the rest is read, and the file read
/// once. The whole module is not validated (see [`crate::dylink::read`]).
pub fn read_module_file(path: &Path, max_bytes: u64) -> Result<Vec<u8>, ReadError> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(&mut options, libc::O_NONBLOCK);
    let file = options.open(path).map_err(|error| ReadError::Open {
        path: path.to_path_buf(),
        error,
    })?;
    let meta = file.metadata().map_err(|error| ReadError::Read {
        path: path.to_path_buf(),
        error,
    })?;
    read_opened(&file, &meta, path, max_bytes)
}

/// The checks and the read shared by `dlopen` and [`read_module_file`]; `meta` is the opened
/// handle's (fstat, not a second lookup of the path).
fn read_opened(
    file: &std::fs::File,
    meta: &std::fs::Metadata,
    path: &Path,
    max_bytes: u64,
) -> Result<Vec<u8>, ReadError> {
    let head = read_head(file, meta, path, max_bytes)?;
    read_rest(file, head, path, max_bytes)
}

/// [`read_opened`]'s checks, and the first bytes: enough to tell whether the file can be a
/// side module at all.
pub(super) fn read_head(
    mut file: &std::fs::File,
    meta: &std::fs::Metadata,
    path: &Path,
    max_bytes: u64,
) -> Result<Vec<u8>, ReadError> {
    let path_buf = || path.to_path_buf();
    if meta.is_dir() {
        return Err(ReadError::IsDirectory { path: path_buf() });
    }
    if !meta.is_file() {
        return Err(ReadError::NotRegularFile {
            path: path_buf(),
            kind: file_kind(&meta.file_type()),
        });
    }
    if meta.len() > max_bytes {
        return Err(ReadError::TooLarge {
            path: path_buf(),
            len: meta.len(),
            max: max_bytes,
        });
    }
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    // The first bytes say whether it can be a side module at all: nothing more is read if not.
    let start = crate::module::dylink::START_LEN as u64;
    file.by_ref()
        .take(start)
        .read_to_end(&mut bytes)
        .map_err(|error| ReadError::Read {
            path: path_buf(),
            error,
        })?;
    crate::module::dylink::check_start(&bytes, (bytes.len() as u64) < start).map_err(|error| {
        ReadError::NotSideModule {
            path: path_buf(),
            error,
        }
    })?;
    Ok(bytes)
}

/// The rest of a file whose first bytes [`read_head`] read into `bytes`.
pub(super) fn read_rest(
    file: &std::fs::File,
    mut bytes: Vec<u8>,
    path: &Path,
    max_bytes: u64,
) -> Result<Vec<u8>, ReadError> {
    // Once. `take`: a file that grew since its size was checked is not read past the limit.
    let rest = max_bytes
        .saturating_add(1)
        .saturating_sub(bytes.len() as u64);
    file.take(rest)
        .read_to_end(&mut bytes)
        .map_err(|error| ReadError::Read {
            path: path.to_path_buf(),
            error,
        })?;
    if bytes.len() as u64 > max_bytes {
        return Err(ReadError::TooLarge {
            path: path.to_path_buf(),
            len: bytes.len() as u64,
            max: max_bytes,
        });
    }
    Ok(bytes)
}

/// What a file that is not a regular file is, for the error.
fn file_kind(file_type: &std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if file_type.is_fifo() {
            return "a FIFO";
        }
        if file_type.is_char_device() {
            return "a character device";
        }
        if file_type.is_block_device() {
            return "a block device";
        }
        if file_type.is_socket() {
            return "a socket";
        }
    }
    let _ = file_type;
    "not a file"
}

/// Which file, in which state: device, inode, size, modification and change times. The same
/// identity means the same bytes (see `cache`, "Keys").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct FileIdentity {
    pub(crate) dev: u64,
    pub(crate) ino: u64,
    pub(crate) size: u64,
    pub(crate) mtime: (i64, i64),
    pub(crate) ctime: (i64, i64),
}

impl FileIdentity {
    #[cfg(unix)]
    pub(crate) fn of(meta: &std::fs::Metadata) -> Option<FileIdentity> {
        use std::os::unix::fs::MetadataExt;
        Some(FileIdentity {
            dev: meta.dev(),
            ino: meta.ino(),
            size: meta.len(),
            mtime: (meta.mtime(), meta.mtime_nsec()),
            ctime: (meta.ctime(), meta.ctime_nsec()),
        })
    }

    #[cfg(not(unix))]
    pub(crate) fn of(_: &std::fs::Metadata) -> Option<FileIdentity> {
        None
    }

    /// When the file last changed (its ctime: contents or metadata; no call can set it).
    pub(crate) fn changed(&self) -> Option<std::time::SystemTime> {
        let (secs, nanos) = self.ctime;
        let since_epoch =
            std::time::Duration::new(u64::try_from(secs).ok()?, u32::try_from(nanos).ok()?);
        std::time::SystemTime::UNIX_EPOCH.checked_add(since_epoch)
    }
}

/// What makes two opened files one library: as in glibc, the file itself (device and inode),
/// so that a symlink, a hard link or another path to a loaded library finds it. Elsewhere, the
/// normalized guest path.
pub(super) fn file_key(meta: &std::fs::Metadata, guest_path: &str) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let _ = guest_path;
        format!("file:{}:{}", meta.dev(), meta.ino())
    }
    #[cfg(not(unix))]
    {
        let _ = meta;
        format!("file:{guest_path}")
    }
}
