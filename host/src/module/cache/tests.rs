//! Tests of the compile cache (memory and disk).

use super::disk::{MAX_MAPPED_ENTRIES, TRAILER_LEN};
use super::*;
use crate::module::dylink::build::{side, Dylink};

/// A side module with one import and one export, `needed` in its NEEDED list.
fn side_module(needed: &str) -> Vec<u8> {
    side(
        Dylink::default().mem_info(16, 2, 0, 0).needed(&[needed]),
        r#"(module (import "env" "g" (func)) (func (export "f")))"#,
    )
}

/// A fresh directory with a disk cache under it, at `cache`.
fn cache_dir() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("cache");
    (tmp, dir)
}

/// A cache over the disk cache in `dir`, as a new process opens it.
fn disk(dir: &Path) -> ModuleCache {
    ModuleCache::with_disk_cache(dir).unwrap()
}

/// The one entry of the disk cache in `dir` (not its index).
fn only_entry(dir: &Path) -> PathBuf {
    let entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "cwasm"))
        .collect();
    let [entry] = entries.try_into().expect("one entry");
    entry
}

fn identity(size: usize, mtime: i64) -> FileIdentity {
    FileIdentity {
        dev: 1,
        ino: 2,
        size: size as u64,
        mtime: (mtime, 0),
        ctime: (mtime, 0),
    }
}

#[test]
fn a_known_file_identity_is_not_hashed_again() {
    let engine = Engine::default();
    let cache = ModuleCache::new();
    let a = side_module("liba.so");
    let b = side_module("libb.so");
    assert_eq!(a.len(), b.len());
    let first = cache
        .get_or_compile(&engine, "x", &a, Some(&identity(a.len(), 10)))
        .unwrap();
    // Same identity: the content hash is the one remembered, whatever the bytes.
    let same = cache
        .get_or_compile(&engine, "x", &b, Some(&identity(b.len(), 10)))
        .unwrap();
    assert!(Arc::ptr_eq(&first, &same));
    // A new identity (the file changed): hashed, so another module.
    let changed = cache
        .get_or_compile(&engine, "x", &b, Some(&identity(b.len(), 11)))
        .unwrap();
    assert_eq!(changed.info.needed, ["libb.so"]);
    // No identity: always hashed.
    let plain = cache.get_or_compile(&engine, "x", &a, None).unwrap();
    assert!(Arc::ptr_eq(&first, &plain));
}

#[test]
fn a_disk_hit_takes_the_metadata_from_the_entry() {
    let (_tmp, dir) = cache_dir();
    let engine = Engine::default();
    let bytes = side_module("libneeded.so");
    let compiled = disk(&dir)
        .get_or_compile(&engine, "x", &bytes, None)
        .unwrap();
    assert_eq!(compiled.info.needed, ["libneeded.so"]);
    // Another process knows the file (its identity) but reads garbage of the same length:
    // the entry alone makes the library, the bytes are not parsed.
    let next = disk(&dir);
    let id = identity(bytes.len(), 1);
    next.inner
        .identities
        .lock()
        .unwrap()
        .insert(id, *blake3::hash(&bytes).as_bytes());
    let garbage = vec![0xee; bytes.len()];
    let hit = next
        .get_or_compile(&engine, "x", &garbage, Some(&id))
        .unwrap();
    assert_eq!(next.disk_stats().hits, 1);
    assert_eq!(hit.info, compiled.info);
    assert_eq!(hit.reset, compiled.reset);
    assert_eq!(hit.late_destructors, compiled.late_destructors);
}

/// Files this process holds open whose path is `path`.
#[cfg(target_os = "linux")]
fn open_files_of(path: &Path) -> usize {
    std::fs::read_dir("/proc/self/fd")
        .unwrap()
        .filter_map(|fd| std::fs::read_link(fd.ok()?.path()).ok())
        .filter(|target| target == path)
        .count()
}

#[test]
#[cfg(target_os = "linux")]
fn past_the_mapping_cap_entries_are_copied_and_no_file_stays_open() {
    let (_tmp, dir) = cache_dir();
    let engine = Engine::default();
    let bytes = side_module("liba.so");
    disk(&dir)
        .get_or_compile(&engine, "x", &bytes, None)
        .unwrap();
    let entry = only_entry(&dir);
    let entry = std::fs::canonicalize(entry).unwrap();
    // Under the cap: wasmtime maps the entry, which keeps it open.
    let mapped = disk(&dir);
    let kept = mapped.get_or_compile(&engine, "x", &bytes, None).unwrap();
    assert_eq!(mapped.disk_stats().hits, 1);
    assert_eq!(open_files_of(&entry), 1);
    drop(kept);
    drop(mapped);
    assert_eq!(open_files_of(&entry), 0);
    // At the cap: a copy, nothing left open.
    let full = disk(&dir);
    if let Some(disk) = &full.inner.disk {
        disk.mapped.store(MAX_MAPPED_ENTRIES, Ordering::Relaxed);
    }
    let copied = full.get_or_compile(&engine, "x", &bytes, None).unwrap();
    assert_eq!(full.disk_stats().hits, 1);
    assert_eq!(open_files_of(&entry), 0, "no descriptor kept past the cap");
    assert_eq!(copied.info.needed, ["liba.so"]);
}

#[test]
fn altered_metadata_is_refused() {
    let (_tmp, dir) = cache_dir();
    let engine = Engine::default();
    let bytes = side_module("liba.so");
    let cache = disk(&dir);
    cache.get_or_compile(&engine, "x", &bytes, None).unwrap();
    let entry = only_entry(&dir);
    let mut file = std::fs::read(&entry).unwrap();
    // Change the NEEDED name stored in the metadata (before the trailer).
    let body = &file[..file.len() - TRAILER_LEN];
    let at = body.windows(7).rposition(|w| w == b"liba.so").unwrap();
    file[at + 3] = b'b';
    std::fs::write(&entry, file).unwrap();
    let next = disk(&dir);
    let again = next.get_or_compile(&engine, "x", &bytes, None).unwrap();
    assert_eq!(next.disk_stats().rejected, 1, "checksum mismatch");
    assert_eq!(again.info.needed, ["liba.so"]);
}

/// Loads the library file at `path` as the loader does (no function limit); whether its bytes
/// were read.
fn load_file(cache: &ModuleCache, path: &Path) -> (Arc<CompiledLibrary>, bool) {
    let (mut body, identity) = Body::open_file(path);
    let lib = cache
        .get_or_compile_found(
            &Engine::default(),
            "x",
            &mut body,
            identity.as_ref(),
            &|_| Ok(()),
        )
        .unwrap();
    (lib, body.is_read())
}

/// Writes `bytes` to `path` as a new file (a new inode, so a new identity).
fn replace_file(path: &Path, bytes: &[u8]) {
    let next = path.with_extension("new");
    std::fs::write(&next, bytes).unwrap();
    std::fs::rename(&next, path).unwrap();
}

#[test]
#[cfg(unix)]
fn a_new_process_loads_a_known_file_without_reading_it() {
    let (tmp, dir) = cache_dir();
    let lib = tmp.path().join("liba.so");
    replace_file(&lib, &side_module("liba.so"));
    let (first, read) = load_file(&disk(&dir), &lib);
    assert!(read);
    assert_eq!(first.counts.functions, 1);
    // Another process (a new cache over the same directory): the identity index names the
    // module, the entry holds it, the file is not read.
    let next = disk(&dir);
    let (hit, read) = load_file(&next, &lib);
    assert!(!read, "a known file was read again");
    assert_eq!(next.disk_stats().hits, 1);
    assert_eq!(hit.info, first.info);
    // The function and import limits hold on such a hit too (from the counts the entry
    // stores).
    let (mut body, identity) = Body::open_file(&lib);
    let limited = disk(&dir).get_or_compile_found(
        &Engine::default(),
        "x",
        &mut body,
        identity.as_ref(),
        &|counts| {
            Err(DlError::Invalid(format!(
                "{} functions, {} imports",
                counts.functions, counts.imports
            )))
        },
    );
    // `side_module` defines `f` and imports `env.g`.
    assert_eq!(
        limited.err(),
        Some(DlError::Invalid("1 functions, 1 imports".into()))
    );
    assert!(!body.is_read());
    // A file replaced has a new identity: read, hashed, the new module.
    replace_file(&lib, &side_module("libb.so"));
    let (changed, read) = load_file(&disk(&dir), &lib);
    assert!(read);
    assert_eq!(changed.info.needed, ["libb.so"]);
}

#[test]
#[cfg(unix)]
fn a_damaged_or_foreign_identity_index_only_costs_a_read() {
    let (tmp, dir) = cache_dir();
    let lib = tmp.path().join("liba.so");
    replace_file(&lib, &side_module("liba.so"));
    load_file(&disk(&dir), &lib);
    let index = dir.join(index::FILE_NAME);
    let good = std::fs::read(&index).unwrap();
    // One bit of the hash it records flipped: refused as a whole, the file read and hashed.
    let mut bad = good.clone();
    bad[index::HEADER_LEN + 60] ^= 1;
    std::fs::write(&index, &bad).unwrap();
    let (lib_again, read) = load_file(&disk(&dir), &lib);
    assert!(read);
    assert_eq!(lib_again.info.needed, ["liba.so"]);
    // Rewritten by that load; writable by others: not trusted.
    assert_eq!(std::fs::read(&index).unwrap(), good);
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&index, std::fs::Permissions::from_mode(0o666)).unwrap();
    let (_, read) = load_file(&disk(&dir), &lib);
    assert!(read);
}

#[test]
fn compiled_code_is_stored_under_the_hash_of_the_bytes_compiled() {
    let engine = Engine::default();
    let (_tmp, dir) = cache_dir();
    let cache = disk(&dir);
    let a = side_module("liba.so");
    let b = side_module("libb.so");
    // The identity was remembered with a's hash, but the file now holds b (rewritten within
    // one timestamp tick) and nothing is cached: b is compiled, and filed as b.
    let id = identity(b.len(), 1);
    cache.known_hash(&id);
    cache
        .inner
        .identities
        .lock()
        .unwrap()
        .insert(id, *blake3::hash(&a).as_bytes());
    let got = cache.get_or_compile(&engine, "x", &b, Some(&id)).unwrap();
    assert_eq!(got.info.needed, ["libb.so"]);
    let fresh = disk(&dir);
    let a_lib = fresh.get_or_compile(&engine, "x", &a, None).unwrap();
    assert_eq!(a_lib.info.needed, ["liba.so"]);
}

/// The bounds are checked on what the module file declares, also once `selfbind` took its own
/// `GOT.func` imports away: on a memory hit and on a disk hit in a new process.
#[test]
fn a_rewritten_module_is_counted_as_the_file_declares() {
    let (_tmp, dir) = cache_dir();
    let bytes = side(
        Dylink::default().mem_info(0, 0, 0, 0),
        r#"(module
             (import "env" "__indirect_function_table" (table 0 funcref))
             (import "env" "__table_base" (global i32))
             (import "GOT.func" "f" (global $f (mut i32)))
             (import "GOT.func" "g" (global $g (mut i32)))
             (func (export "f") (result i32) global.get $f)
             (func (export "g") (result i32) global.get $g))"#,
    );
    let file = dylink::ModuleCounts {
        functions: 2,
        imports: 4,
    };
    let seen = std::sync::Mutex::new(Vec::new());
    let record = |counts| {
        seen.lock().unwrap().push(counts);
        Ok(())
    };
    let engine = Engine::default();
    for cache in [disk(&dir), disk(&dir)] {
        for _ in 0..2 {
            let mut body = Body::from_bytes(bytes.clone().into());
            let lib = cache
                .get_or_compile_found(&engine, "x", &mut body, None, &record)
                .unwrap();
            // Rewritten: the two imports are gone from the compiled module.
            assert_eq!(lib.info.self_got.len(), 2);
            assert_eq!(lib.module.imports().len(), 2);
        }
    }
    // Compiled, memory hit; disk hit, memory hit.
    assert_eq!(*seen.lock().unwrap(), [file; 4]);
}

/// A cache over the disk cache in `dir` that records an entry as verified once its file is
/// `settle` old.
fn disk_settling(dir: &Path, settle: std::time::Duration) -> ModuleCache {
    let mut cache = disk(dir);
    let inner = Arc::get_mut(&mut cache.inner).unwrap();
    inner.disk.as_mut().unwrap().settle = settle;
    cache
}

/// Loads `bytes` with a new cache over `dir` (as a new process); how its entry was checked:
/// (checksummed in full, known sound).
fn checks(dir: &Path, bytes: &[u8], settle: std::time::Duration) -> (u64, u64) {
    let cache = disk_settling(dir, settle);
    let lib = cache
        .get_or_compile(&Engine::default(), "x", bytes, None)
        .unwrap();
    assert_eq!(lib.info.needed, ["liba.so"]);
    let stats = cache.disk_stats();
    assert_eq!(stats.hits, stats.checksummed + stats.known_sound);
    (stats.checksummed, stats.known_sound)
}

/// A side module compiled into the disk cache in `dir`, and its bytes.
fn stored_in(dir: &Path) -> Vec<u8> {
    let bytes = side_module("liba.so");
    disk(dir)
        .get_or_compile(&Engine::default(), "x", &bytes, None)
        .unwrap();
    bytes
}

#[test]
#[cfg(target_os = "linux")]
fn an_entry_verified_in_full_is_trusted_until_its_file_changes() {
    use std::io::{Read, Seek, SeekFrom, Write};
    use std::time::Duration;
    let (_tmp, dir) = cache_dir();
    let bytes = stored_in(&dir);
    // Changed too recently to be recorded: checked in full every time.
    let an_hour = Duration::from_secs(3600);
    assert_eq!(checks(&dir, &bytes, an_hour), (1, 0));
    assert_eq!(checks(&dir, &bytes, an_hour), (1, 0));
    // Settled: checked in full once, then known sound, in any new process of this boot.
    assert_eq!(checks(&dir, &bytes, Duration::ZERO), (1, 0));
    assert_eq!(checks(&dir, &bytes, Duration::ZERO), (0, 1));
    assert_eq!(checks(&dir, &bytes, an_hour), (0, 1));
    // One byte of compiled code overwritten in place (same size): the file's change time
    // moves on, so it is checked in full again, refused and recompiled.
    let entry = only_entry(&dir);
    let changed = |p: &Path| FileIdentity::of(&std::fs::metadata(p).unwrap()).unwrap();
    let before = changed(&entry);
    let mut file = std::fs::File::options()
        .read(true)
        .write(true)
        .open(&entry)
        .unwrap();
    let middle = before.size / 2;
    let mut byte = [0u8];
    file.seek(SeekFrom::Start(middle)).unwrap();
    file.read_exact(&mut byte).unwrap();
    file.seek(SeekFrom::Start(middle)).unwrap();
    file.write_all(&[byte[0] ^ 0x40]).unwrap();
    drop(file);
    assert_ne!(changed(&entry), before, "a write changes the identity");
    let next = disk_settling(&dir, Duration::ZERO);
    next.get_or_compile(&Engine::default(), "x", &bytes, None)
        .unwrap();
    let stats = next.disk_stats();
    assert_eq!(
        (stats.rejected, stats.stores, stats.hits),
        (1, 1, 0),
        "{stats:?}"
    );
    // The rewritten entry is a new file: checked in full once more, then known sound.
    assert_eq!(checks(&dir, &bytes, Duration::ZERO), (1, 0));
    assert_eq!(checks(&dir, &bytes, Duration::ZERO), (0, 1));
}

#[test]
#[cfg(target_os = "linux")]
fn a_record_of_another_boot_is_not_trusted() {
    use std::time::Duration;
    let (_tmp, dir) = cache_dir();
    let bytes = stored_in(&dir);
    assert_eq!(checks(&dir, &bytes, Duration::ZERO), (1, 0));
    assert_eq!(checks(&dir, &bytes, Duration::ZERO), (0, 1));
    // The same records, as a process of another boot wrote them.
    let recorded = index::read(&dir, index::boot_id().as_ref());
    assert_eq!(recorded.verified.len(), 1);
    index::write(&dir, Some(&[0x5a; 16]), recorded).unwrap();
    assert!(index::read(&dir, index::boot_id().as_ref())
        .verified
        .is_empty());
    assert_eq!(checks(&dir, &bytes, Duration::ZERO), (1, 0));
}
