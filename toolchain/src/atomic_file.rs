//! Files the toolchain writes where another build may be reading them (its cache directory,
//! a linked output it completes): written under a temporary name and renamed into place, so a
//! reader sees the old file or the new one, whole.
//!
//! The temporary name is unique to the process *and* the call. One unique to the process only
//! is shared by its threads (the test harnesses build in parallel): two threads writing one
//! cache file at once wrote and renamed one temporary file, and the later rename found none.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::{Context, Result};

/// A name beside `path` no other writer of this process or another uses.
pub fn temp_path(path: &Path) -> PathBuf {
    static CALLS: AtomicU64 = AtomicU64::new(0);
    let n = CALLS.fetch_add(1, Ordering::Relaxed);
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".tmp{}-{n}", std::process::id()));
    path.with_file_name(name)
}

/// Writes `bytes` to `path` through a temporary file (removed again if the rename fails).
pub fn write(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = temp_path(path);
    std::fs::write(&tmp, bytes).with_context(|| format!("writing {}", tmp.display()))?;
    rename(&tmp, path)
}

/// Renames the temporary file `tmp` over `path`, removing it if that fails.
pub fn rename(tmp: &Path, path: &Path) -> Result<()> {
    std::fs::rename(tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(tmp);
        anyhow::Error::new(e).context(format!("writing {}", path.display()))
    })
}
