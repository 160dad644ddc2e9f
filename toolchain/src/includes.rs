//! The header search path of a wasm build, without the host's headers.
//!
//! Debian's clang for `wasm32-wasi` (no `--sysroot`) searches `/usr/local/include` and
//! `/usr/include` after the wasm sysroot's own directory, so host headers such as `zlib.h`
//! compile for wasm and configure scripts find libraries that do not exist there. The
//! driver therefore passes `-nostdlibinc` (clang keeps only its own resource headers) and
//! adds back the directories of clang's default list that belong to the wasm sysroot:
//! those before clang's resource directory (the C++ library) with `-cxx-isystem`, those
//! after it (libc) with `-idirafter`, which keeps clang's order.
//!
//! A directory belongs to the wasm sysroot when it lies under the toolchain's `--sysroot`,
//! or (Debian's multiarch layout, no sysroot) when one of its components names a wasm
//! triple (`/usr/include/wasm32-wasi`). The list is asked from clang once per toolchain and
//! cached in [`Toolchain::cache_dir`].

use crate::detect::Toolchain;
use anyhow::{bail, Context, Result};
use std::ffi::OsString;
use std::path::{Component, Path, PathBuf};

/// The system include directories a wasm build keeps, in clang's order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IncludeDirs {
    /// Searched before clang's resource headers, for C++ only (libc++'s headers).
    pub cxx: Vec<PathBuf>,
    /// Searched after clang's resource headers (libc's headers).
    pub c: Vec<PathBuf>,
    /// Clang's defaults that are the host's, left out (`/usr/include`, ...).
    pub host: Vec<PathBuf>,
}

impl IncludeDirs {
    /// The compiler arguments: `-nostdlibinc`, then the kept directories.
    pub fn args(&self) -> Vec<OsString> {
        let mut args = vec![OsString::from("-nostdlibinc")];
        for dir in &self.cxx {
            args.push("-cxx-isystem".into());
            args.push(dir.into());
        }
        for dir in &self.c {
            args.push("-idirafter".into());
            args.push(dir.into());
        }
        args
    }
}

/// The include directories of `tc` without the host's (see the module docs).
pub fn include_dirs(tc: &Toolchain) -> Result<IncludeDirs> {
    let cache_dir = tc.cache_dir();
    let cache = cache_dir.join(format!("include-dirs-{:016x}.txt", cache_key(tc)));
    if let Ok(text) = std::fs::read_to_string(&cache) {
        if let Some(dirs) = parse_cache(&text) {
            return Ok(dirs);
        }
    }
    let dirs = match ask_clang(tc) {
        Ok(dirs) => dirs,
        // The compile that follows will say what is wrong with this clang.
        Err(_) => return Ok(layout_guess(tc)),
    };
    let mut text = String::new();
    for (tag, list) in [("cxx", &dirs.cxx), ("c", &dirs.c), ("host", &dirs.host)] {
        for dir in list {
            text.push_str(&format!("{tag}\t{}\n", dir.display()));
        }
    }
    // A cache that cannot be written costs only the clang run next time.
    if std::fs::create_dir_all(&cache_dir).is_ok() {
        let _ = crate::atomic_file::write(&cache, text.as_bytes());
    }
    Ok(dirs)
}

/// Changes when the compiler binary, the target or the sysroot do.
fn cache_key(tc: &Toolchain) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    tc.clang().hash(&mut h);
    if let Ok(meta) = std::fs::metadata(tc.clang()) {
        meta.len().hash(&mut h);
        meta.modified().ok().hash(&mut h);
    }
    tc.target().hash(&mut h);
    tc.sysroot().hash(&mut h);
    h.finish()
}

fn parse_cache(text: &str) -> Option<IncludeDirs> {
    let mut dirs = IncludeDirs::default();
    for line in text.lines() {
        let (tag, path) = line.split_once('\t')?;
        let list = match tag {
            "cxx" => &mut dirs.cxx,
            "c" => &mut dirs.c,
            "host" => &mut dirs.host,
            _ => return None,
        };
        list.push(PathBuf::from(path));
    }
    // Directories removed since (a package uninstalled) make the entry stale.
    dirs.cxx
        .iter()
        .chain(&dirs.c)
        .all(|d| d.is_dir())
        .then_some(dirs)
}

fn ask_clang(tc: &Toolchain) -> Result<IncludeDirs> {
    let out = tc
        .clang_command()
        .args(["-x", "c++", "-E", "-v", "-o", "/dev/null", "/dev/null"])
        .output()
        .with_context(|| format!("running {}", tc.clang().display()))?;
    if !out.status.success() {
        bail!(
            "{} cannot preprocess an empty file for {}: {}",
            tc.clang().display(),
            tc.target(),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    let listed = search_list(&String::from_utf8_lossy(&out.stderr));
    let resource = tc
        .clang_command()
        .arg("-print-resource-dir")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()).join("include"));
    Ok(classify(&listed, resource.as_deref(), tc.sysroot()))
}

/// The sysroot's directories where clang puts them (a wasi-sdk's `--sysroot`, or Debian's
/// `/usr/include/<triple>`), for a clang that cannot be asked.
fn layout_guess(tc: &Toolchain) -> IncludeDirs {
    let roots = match tc.sysroot() {
        Some(root) => vec![root.join("include").join(tc.target()), root.join("include")],
        None => vec![Path::new("/usr/include").join(tc.target())],
    };
    IncludeDirs {
        cxx: roots.iter().map(|r| r.join("c++").join("v1")).collect(),
        c: roots,
        host: Vec::new(),
    }
}

/// The `#include <...>` directories of `clang -v` output, in order.
fn search_list(stderr: &str) -> Vec<PathBuf> {
    stderr
        .lines()
        .skip_while(|l| !l.starts_with("#include <...> search starts here:"))
        .skip(1)
        .take_while(|l| !l.starts_with("End of search list."))
        .map(|l| l.trim().trim_end_matches(" (framework directory)"))
        .filter(|l| !l.is_empty())
        .map(PathBuf::from)
        .collect()
}

fn same_dir(a: &Path, b: &Path) -> bool {
    a == b
        || matches!(
            (a.canonicalize(), b.canonicalize()),
            (Ok(x), Ok(y)) if x == y
        )
}

fn is_wasm_dir(dir: &Path, sysroot: Option<&Path>) -> bool {
    match sysroot {
        Some(root) => {
            let root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
            dir.canonicalize()
                .unwrap_or_else(|_| dir.to_path_buf())
                .starts_with(root)
        }
        None => dir.components().any(|c| match c {
            Component::Normal(name) => {
                let name = name.to_string_lossy();
                name.starts_with("wasm32") || name.starts_with("wasm64")
            }
            _ => false,
        }),
    }
}

/// Splits clang's list around its resource directory and keeps the wasm sysroot's.
fn classify(listed: &[PathBuf], resource: Option<&Path>, sysroot: Option<&Path>) -> IncludeDirs {
    let resource_at = resource.and_then(|r| listed.iter().position(|d| same_dir(d, r)));
    let mut dirs = IncludeDirs::default();
    for (i, dir) in listed.iter().enumerate() {
        if Some(i) == resource_at {
            continue; // -nostdlibinc keeps it
        }
        if !is_wasm_dir(dir, sysroot) {
            dirs.host.push(dir.clone());
            continue;
        }
        let before_resource = match resource_at {
            Some(at) => i < at,
            None => dir.components().any(|c| c.as_os_str() == "c++"),
        };
        if before_resource {
            dirs.cxx.push(dir.clone());
        } else {
            dirs.c.push(dir.clone());
        }
    }
    dirs
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEBIAN: &str = "clang version 19\n#include \"...\" search starts here:\n\
        #include <...> search starts here:\n /usr/include/wasm32-wasi/c++/v1\n \
        /usr/lib/llvm-19/lib/clang/19/include\n /usr/local/include\n /usr/include/wasm32-wasi\n \
        /usr/include\nEnd of search list.\n";

    #[test]
    fn debian_layout_drops_the_host_directories() {
        let listed = search_list(DEBIAN);
        assert_eq!(listed.len(), 5);
        let dirs = classify(
            &listed,
            Some(Path::new("/usr/lib/llvm-19/lib/clang/19/include")),
            None,
        );
        assert_eq!(
            dirs.cxx,
            vec![PathBuf::from("/usr/include/wasm32-wasi/c++/v1")]
        );
        assert_eq!(dirs.c, vec![PathBuf::from("/usr/include/wasm32-wasi")]);
        assert_eq!(
            dirs.host,
            vec![
                PathBuf::from("/usr/local/include"),
                PathBuf::from("/usr/include")
            ]
        );
        let text = "cxx\t/a\nc\t/b\nhost\t/usr/include\n";
        assert!(
            parse_cache(text).is_none(),
            "missing directories make the cache stale"
        );
        assert!(parse_cache("what\t/x\n").is_none());
    }

    #[test]
    fn a_sysroot_keeps_only_what_lies_under_it() {
        let listed: Vec<PathBuf> = [
            "/sdk/share/wasi-sysroot/include/wasm32-wasip1/c++/v1",
            "/sdk/lib/clang/19/include",
            "/sdk/share/wasi-sysroot/include/wasm32-wasip1",
            "/sdk/share/wasi-sysroot/include",
            "/usr/include/wasm32-wasi",
        ]
        .iter()
        .map(PathBuf::from)
        .collect();
        let dirs = classify(
            &listed,
            Some(Path::new("/sdk/lib/clang/19/include")),
            Some(Path::new("/sdk/share/wasi-sysroot")),
        );
        assert_eq!(dirs.cxx.len(), 1);
        assert_eq!(dirs.c.len(), 2);
        assert_eq!(dirs.host, vec![PathBuf::from("/usr/include/wasm32-wasi")]);
    }
}
