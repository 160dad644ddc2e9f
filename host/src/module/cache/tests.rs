//! Tests of the compile cache (memory and disk).

use super::disk::{MAX_MAPPED_ENTRIES, TRAILER_LEN};
use super::*;

/// A side module with one import and one export, `needed` in its NEEDED list.
fn side_module(needed: &str) -> Vec<u8> {
    let mut dylink = vec![1u8, 4, 16, 2, 0, 0]; // MEM_INFO: 16 bytes, align 4, no slots
    let name = needed.as_bytes();
    dylink.extend([2, (name.len() + 2) as u8, 1, name.len() as u8]);
    dylink.extend(name);
    let escaped: String = dylink.iter().map(|b| format!("\\{b:02x}")).collect();
    wat::parse_str(format!(
        r#"(module (@custom "dylink.0" (before first) "{escaped}")
             (import "env" "g" (func))
             (func (export "f")))"#
    ))
    .expect("valid wat")
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
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("cache");
    let engine = Engine::default();
    let bytes = side_module("libneeded.so");
    let compiled = ModuleCache::with_disk_cache(&dir)
        .unwrap()
        .get_or_compile(&engine, "x", &bytes, None)
        .unwrap();
    assert_eq!(compiled.info.needed, ["libneeded.so"]);
    // Another process knows the file (its identity) but reads garbage of the same length:
    // the entry alone makes the library, the bytes are not parsed.
    let next = ModuleCache::with_disk_cache(&dir).unwrap();
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
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("cache");
    let engine = Engine::default();
    let bytes = side_module("liba.so");
    ModuleCache::with_disk_cache(&dir)
        .unwrap()
        .get_or_compile(&engine, "x", &bytes, None)
        .unwrap();
    let entry = std::fs::read_dir(&dir)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let entry = std::fs::canonicalize(entry).unwrap();
    // Under the cap: wasmtime maps the entry, which keeps it open.
    let mapped = ModuleCache::with_disk_cache(&dir).unwrap();
    let kept = mapped.get_or_compile(&engine, "x", &bytes, None).unwrap();
    assert_eq!(mapped.disk_stats().hits, 1);
    assert_eq!(open_files_of(&entry), 1);
    drop(kept);
    drop(mapped);
    assert_eq!(open_files_of(&entry), 0);
    // At the cap: a copy, nothing left open.
    let full = ModuleCache::with_disk_cache(&dir).unwrap();
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
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("cache");
    let engine = Engine::default();
    let bytes = side_module("liba.so");
    let cache = ModuleCache::with_disk_cache(&dir).unwrap();
    cache.get_or_compile(&engine, "x", &bytes, None).unwrap();
    let entry = std::fs::read_dir(&dir)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let mut file = std::fs::read(&entry).unwrap();
    // Change the NEEDED name stored in the metadata (before the trailer).
    let body = &file[..file.len() - TRAILER_LEN];
    let at = body.windows(7).rposition(|w| w == b"liba.so").unwrap();
    file[at + 3] = b'b';
    std::fs::write(&entry, file).unwrap();
    let next = ModuleCache::with_disk_cache(&dir).unwrap();
    let again = next.get_or_compile(&engine, "x", &bytes, None).unwrap();
    assert_eq!(next.disk_stats().rejected, 1, "checksum mismatch");
    assert_eq!(again.info.needed, ["liba.so"]);
}
