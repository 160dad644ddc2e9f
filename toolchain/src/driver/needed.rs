//! The files the driver writes to the cache for libraries a build is linked against: a main
//! program's start-up list of side modules to load (NEEDED) and its RUNPATH, a side module's
//! `wasi_dl_meta` section (SONAME, nodelete), and links named after a library's SONAME.

use anyhow::{Context, Result};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// What a program linked against side modules needs at link time.
pub(super) struct StartupFiles {
    /// The side modules' functions, one per line: wasm-ld may leave them undefined (the
    /// program imports them from `env`; the host binds them when the modules are loaded).
    pub(super) functions: PathBuf,
    /// C source of `__wasi_dl_needed`, the NULL-ended list of libraries the start-up code
    /// (`crt1-wasi-dl.o`) opens before the program's constructors run.
    pub(super) needed_list: PathBuf,
    /// What the side modules export (functions and data).
    pub(super) defined: BTreeSet<String>,
}

pub(super) fn startup_files(
    side_modules: &[PathBuf],
    needed: &[String],
    rpaths: &[String],
    cache_dir: &Path,
) -> Result<StartupFiles> {
    let mut functions = BTreeSet::new();
    let mut defined = BTreeSet::new();
    for path in side_modules {
        let bytes = std::fs::read(path)
            .with_context(|| format!("reading side module {}", path.display()))?;
        let info = crate::side_modules::read_side_module(&bytes)
            .with_context(|| format!("{}", path.display()))?;
        functions.extend(info.functions);
        defined.extend(info.exports);
    }
    let mut list = String::new();
    for name in functions {
        list.push_str(&name);
        list.push('\n');
    }
    let mut source = String::from(
        "/* Written by wasi-dl cc: the libraries this program was linked against, and its\n\
         \x20* RUNPATH (-rpath). */\n",
    );
    if !needed.is_empty() {
        source.push_str(
            "__attribute__((visibility(\"hidden\"))) const char *const __wasi_dl_needed[] = {",
        );
        for name in needed {
            source.push_str(&c_string(name));
            source.push_str(", ");
        }
        source.push_str("0};\n");
    }
    // With side modules the program is linked with --unresolved-symbols=import-dynamic, and
    // wasm-ld then refuses the start-up code's weak reference to an undefined list: always
    // define it (empty: no RUNPATH).
    if !rpaths.is_empty() || !needed.is_empty() {
        source.push_str(&format!(
            "__attribute__((visibility(\"hidden\"))) const char __wasi_dl_rpath_list[] = {};\n",
            c_string(&rpaths.join(":"))
        ));
    }
    std::fs::create_dir_all(cache_dir)
        .with_context(|| format!("creating the cache directory {}", cache_dir.display()))?;
    let key = {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        (&list, &source).hash(&mut h);
        h.finish()
    };
    let functions = cache_dir.join(format!("startup-{key:016x}.undefined"));
    let needed_list = cache_dir.join(format!("startup-{key:016x}.c"));
    // Written to a temporary name first: another build may be reading the same file.
    for (path, text) in [(&functions, &list), (&needed_list, &source)] {
        if !path.is_file() {
            crate::atomic_file::write(path, text.as_bytes())?;
        }
    }
    Ok(StartupFiles {
        functions,
        needed_list,
        defined,
    })
}

/// An assembly file holding a side module's `wasi_dl_meta` custom section: `soname=NAME`,
/// `nodelete` and `nodlopen` lines (the loader reads them; wasm-ld copies the section into the
/// module).
pub(super) fn meta_section(
    soname: Option<&str>,
    nodelete: bool,
    nodlopen: bool,
    cache_dir: &Path,
) -> Result<PathBuf> {
    let mut text = String::new();
    if let Some(name) = soname {
        text.push_str(&format!("soname={name}\n"));
    }
    if nodelete {
        text.push_str("nodelete\n");
    }
    if nodlopen {
        text.push_str("nodlopen\n");
    }
    let source = format!(
        "\t.section\t.custom_section.wasi_dl_meta,\"\",@\n\t.ascii\t{}\n",
        c_string(&text)
    );
    std::fs::create_dir_all(cache_dir)
        .with_context(|| format!("creating the cache directory {}", cache_dir.display()))?;
    let key = {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        source.hash(&mut h);
        h.finish()
    };
    let path = cache_dir.join(format!("meta-{key:016x}.s"));
    if !path.is_file() {
        crate::atomic_file::write(&path, source.as_bytes())?;
    }
    Ok(path)
}

/// A symbolic link named `soname` to the side module `target`, in a directory of the cache
/// of its own for that target (the same SONAME may name different files in different builds).
pub(super) fn soname_link(target: &Path, soname: &str, cache_dir: &Path) -> Result<PathBuf> {
    let target = target
        .canonicalize()
        .with_context(|| format!("reading side module {}", target.display()))?;
    let key = {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        target.hash(&mut h);
        h.finish()
    };
    let dir = cache_dir.join(format!("soname-{key:016x}"));
    std::fs::create_dir_all(&dir)
        .with_context(|| format!("creating the cache directory {}", dir.display()))?;
    let link = dir.join(soname);
    if std::fs::read_link(&link).is_ok_and(|to| to == target) {
        return Ok(link);
    }
    // Made under a temporary name and renamed over: another build may be using the link.
    let tmp = crate::atomic_file::temp_path(&dir.join(format!(".{soname}")));
    #[cfg(unix)]
    std::os::unix::fs::symlink(&target, &tmp)
        .with_context(|| format!("creating the link {}", tmp.display()))?;
    #[cfg(not(unix))]
    std::fs::copy(&target, &tmp).with_context(|| format!("copying to {}", tmp.display()))?;
    crate::atomic_file::rename(&tmp, &link)
        .with_context(|| format!("creating the link {}", link.display()))?;
    Ok(link)
}

/// `text` as a C string literal.
fn c_string(text: &str) -> String {
    let mut out = String::from('"');
    for c in text.chars() {
        match c {
            '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_ascii_graphic() || c == ' ' => out.push(c),
            c => {
                let mut buf = [0u8; 4];
                for byte in c.encode_utf8(&mut buf).bytes() {
                    out.push_str(&format!("\\{byte:03o}"));
                }
            }
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Builds on threads of one process (the test harnesses build in parallel) write the same
    /// cache files at the same moment when the cache is new, as on a clean clone: none may
    /// fail. With a temporary name unique only to the process, they wrote and renamed one
    /// temporary file, and the later rename (or symlink) found it gone (or there).
    #[test]
    fn threads_writing_the_same_cache_files_never_fail() {
        for _round in 0..20 {
            let dir = tempfile::tempdir().unwrap();
            let cache = dir.path().join("cache");
            let target = dir.path().join("libx.so");
            std::fs::write(&target, b"").unwrap();
            let barrier = std::sync::Barrier::new(8);
            std::thread::scope(|scope| {
                for _ in 0..8 {
                    scope.spawn(|| {
                        barrier.wait();
                        let meta = meta_section(Some("libx.so.1"), true, false, &cache).unwrap();
                        assert!(std::fs::read_to_string(meta).unwrap().contains("soname="));
                        let startup =
                            startup_files(&[], &["libx.so.1".into()], &[], &cache).unwrap();
                        let list = std::fs::read_to_string(startup.needed_list).unwrap();
                        assert!(list.contains("__wasi_dl_needed"), "{list}");
                        let link = soname_link(&target, "libx.so.1", &cache).unwrap();
                        assert_eq!(
                            std::fs::read_link(link).unwrap(),
                            target.canonicalize().unwrap()
                        );
                    });
                }
            });
        }
    }
}
