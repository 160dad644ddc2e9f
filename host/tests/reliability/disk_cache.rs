//! The compile cache on disk is never a way into the host: compiled code read back from it runs
//! as native code, so the directory must be private, entries are checked before wasmtime sees
//! them, temporary files never follow a symlink, the cache may not overlap a directory the guest
//! can write or load from, and its size is capped.
//!
//! Each test uses fresh `ModuleCache`s on one directory (a fresh cache has nothing in memory,
//! so every compile consults the disk, as a new process would), and `disk_stats` to tell a hit
//! from a compile.

use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use wasi_dl::{BuildError, CacheDirError, ModuleCache, WasiDlCtx};

use crate::common::*;
use crate::files::mkfifo;

/// A module whose `f` returns `value` (compiled with `compile_program`: no dylink.0 needed).
fn module(value: i32) -> Vec<u8> {
    wat::parse_str(format!(
        "(module (func (export \"f\") (result i32) (i32.const {value})))"
    ))
    .unwrap()
}

/// Runs `f`: what the compiled code really does.
fn call_f(m: &wasmtime::Module) -> i32 {
    let mut store = wasmtime::Store::new(engine(), ());
    store.set_epoch_deadline(HANG_GUARD_TICKS);
    let instance = wasmtime::Instance::new(&mut store, m, &[]).unwrap();
    instance
        .get_typed_func::<(), i32>(&mut store, "f")
        .unwrap()
        .call(&mut store, ())
        .unwrap()
}

fn fresh(dir: &Path) -> ModuleCache {
    ModuleCache::with_disk_cache(dir).unwrap()
}

/// (hits, misses, stores, rejected, evicted)
fn stats(cache: &ModuleCache) -> (u64, u64, u64, u64, u64) {
    let s = cache.disk_stats();
    (s.hits, s.misses, s.stores, s.rejected, s.evicted)
}

/// Compiles `value`'s module with a fresh cache on `dir`, checks what the code does, and returns
/// the cache's counters.
fn compile_fresh(dir: &Path, value: i32) -> (u64, u64, u64, u64, u64) {
    let cache = fresh(dir);
    let m = cache.compile_program(engine(), &module(value)).unwrap();
    assert_eq!(call_f(&m), value, "the code run is the module's own");
    stats(&cache)
}

/// The cache's index: a file of its own in the directory, never evicted.
const INDEX: &str = "identities.idx";

/// The directory's files but the cache's index, sorted by name.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().is_some_and(|n| n != INDEX))
        .collect();
    v.sort();
    v
}

/// The one entry a module leaves in an empty directory, and a copy of its bytes.
fn entry_of(value: i32) -> (String, Vec<u8>) {
    let tmp = temp_dir();
    compile_fresh(tmp.path(), value);
    let [path] = files(tmp.path()).try_into().unwrap();
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    (name, std::fs::read(path).unwrap())
}

fn mode_of(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o7777
}

fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn is_root() -> bool {
    // SAFETY: no preconditions.
    unsafe { libc::geteuid() == 0 }
}

#[test]
fn a_missing_directory_is_created_private() {
    let tmp = temp_dir();
    let dir = tmp.path().join("a/b/cache");
    let cache = fresh(&dir);
    assert_eq!(mode_of(&dir), 0o700);
    assert_eq!(
        cache.disk_dir(),
        Some(dir.canonicalize().unwrap().as_path())
    );
}

#[test]
fn directories_others_can_write_or_own_are_refused() {
    let tmp = temp_dir();
    let dir = tmp.path().join("cache");
    std::fs::create_dir(&dir).unwrap();
    for mode in [0o777, 0o770, 0o722, 0o702, 0o1777] {
        chmod(&dir, mode);
        let err = ModuleCache::with_disk_cache(&dir).err().unwrap();
        assert!(
            matches!(err, CacheDirError::WritableByOthers { mode: m, .. } if m == mode),
            "{mode:o}: {err:?}"
        );
        assert!(
            err.to_string().contains("is writable by group or others"),
            "{err}"
        );
    }
    for mode in [0o700, 0o755, 0o750] {
        chmod(&dir, mode);
        ModuleCache::with_disk_cache(&dir).unwrap();
    }
    let file = tmp.path().join("file");
    std::fs::write(&file, b"").unwrap();
    let err = ModuleCache::with_disk_cache(&file).err().unwrap();
    assert!(
        matches!(err, CacheDirError::NotADirectory { .. }),
        "{err:?}"
    );
    if is_root() {
        // Another user's directory, however strict its mode.
        chmod(&dir, 0o700);
        std::os::unix::fs::chown(&dir, Some(12345), Some(12345)).unwrap();
        let err = ModuleCache::with_disk_cache(&dir).err().unwrap();
        assert!(
            matches!(err, CacheDirError::NotOwned { owner: 12345, .. }),
            "{err:?}"
        );
        assert!(err.to_string().contains("owned by uid 12345"), "{err}");
    }
}

#[test]
fn a_sound_entry_is_a_hit() {
    let tmp = temp_dir();
    assert_eq!(compile_fresh(tmp.path(), 1), (0, 1, 1, 0, 0));
    assert_eq!(compile_fresh(tmp.path(), 1), (1, 0, 0, 0, 0));
    let [entry] = files(tmp.path()).try_into().unwrap();
    assert_eq!(mode_of(&entry) & 0o077, 0, "entries are private");
}

/// Every kind of bad entry is refused before it is deserialised, recompiled, and rewritten
/// (the next fresh cache then hits); the code run is always the module's own.
#[test]
fn bad_entries_are_recompiled_never_run() {
    let (name, sound) = entry_of(1);
    let (_, other) = entry_of(2);
    // An entry is wasmtime's artifact, the metadata (none for a program), then a trailer.
    let trailer = 76; // the entry trailer's size
    let sound_body = sound.len() - trailer;
    let other_body = other.len() - trailer;
    /// Damages the entry file at the path.
    type Damage = Box<dyn Fn(&Path)>;
    let mut cases: Vec<(&str, Damage)> = Vec::new();
    {
        let sound = sound.clone();
        cases.push((
            "a flipped payload byte",
            Box::new(move |p: &Path| {
                let mut b = sound.clone();
                b[sound_body / 2] ^= 1;
                std::fs::write(p, b).unwrap();
            }),
        ));
    }
    {
        let sound = sound.clone();
        cases.push((
            "a truncated entry",
            Box::new(move |p: &Path| std::fs::write(p, &sound[..sound.len() - 100]).unwrap()),
        ));
    }
    {
        let sound = sound.clone();
        cases.push((
            "a payload cut short under a whole trailer",
            Box::new(move |p: &Path| {
                let cut = [&sound[..sound_body - 100], &sound[sound_body..]].concat();
                std::fs::write(p, cut).unwrap()
            }),
        ));
    }
    {
        let sound = sound.clone();
        cases.push((
            "a header cut short",
            Box::new(move |p: &Path| std::fs::write(p, &sound[..50]).unwrap()),
        ));
    }
    {
        let other = other.clone();
        cases.push((
            "another module's entry under this name",
            Box::new(move |p: &Path| std::fs::write(p, &other).unwrap()),
        ));
    }
    {
        let (sound, other) = (sound.clone(), other.clone());
        cases.push((
            "another module's code under this trailer",
            Box::new(move |p: &Path| {
                std::fs::write(p, [&other[..other_body], &sound[sound_body..]].concat()).unwrap()
            }),
        ));
    }
    {
        let other = other.clone();
        cases.push((
            "wasmtime's bare artifact (no trailer)",
            Box::new(move |p: &Path| std::fs::write(p, &other[..other_body]).unwrap()),
        ));
    }
    {
        let sound = sound.clone();
        cases.push((
            "a symlink to a sound entry",
            Box::new(move |p: &Path| {
                let target = p.with_file_name("elsewhere");
                std::fs::write(&target, &sound).unwrap();
                chmod(&target, 0o600);
                symlink(&target, p).unwrap();
            }),
        ));
    }
    {
        let sound = sound.clone();
        cases.push((
            "a sound entry others may write",
            Box::new(move |p: &Path| {
                std::fs::write(p, &sound).unwrap();
                chmod(p, 0o666);
            }),
        ));
    }
    cases.push((
        "a FIFO",
        Box::new(|p: &Path| {
            mkfifo(p);
            crate::files::unblock_readers_of(p);
        }),
    ));
    if is_root() {
        let sound = sound.clone();
        cases.push((
            "a sound entry owned by another user",
            Box::new(move |p: &Path| {
                std::fs::write(p, &sound).unwrap();
                chmod(p, 0o600);
                std::os::unix::fs::chown(p, Some(12345), Some(12345)).unwrap();
            }),
        ));
    }
    for (what, plant) in cases {
        let tmp = temp_dir();
        let entry = tmp.path().join(&name);
        plant(&entry);
        assert_eq!(
            compile_fresh(tmp.path(), 1),
            (0, 1, 1, 1, 0),
            "{what}: refused, compiled, stored"
        );
        assert!(
            std::fs::symlink_metadata(&entry).unwrap().is_file(),
            "{what}: rewritten as a regular file"
        );
        assert_eq!(
            compile_fresh(tmp.path(), 1),
            (1, 0, 0, 0, 0),
            "{what}: then a hit"
        );
    }
}

/// The old code wrote `<entry>.tmp<pid>` with `fs::write`, which follows a symlink planted
/// under that name. Temporary files are now created exclusively (and under random names).
#[test]
fn temporary_files_never_follow_a_symlink() {
    let (name, _) = entry_of(3);
    let tmp = temp_dir();
    let cache_dir = tmp.path().join("cache");
    std::fs::create_dir(&cache_dir).unwrap();
    chmod(&cache_dir, 0o700);
    let victim = tmp.path().join("victim");
    std::fs::write(&victim, b"precious").unwrap();
    let stem = name.trim_end_matches(".cwasm");
    symlink(
        &victim,
        cache_dir.join(format!("{stem}.tmp{}", std::process::id())),
    )
    .unwrap();
    symlink(&victim, cache_dir.join(&name)).unwrap();
    assert_eq!(compile_fresh(&cache_dir, 3).2, 1, "stored");
    assert!(
        std::fs::read(&victim).unwrap() == b"precious",
        "the file a planted symlink points to was overwritten"
    );
    assert!(std::fs::symlink_metadata(cache_dir.join(&name))
        .unwrap()
        .is_file());
    // Nothing left behind but the entry and the planted link.
    assert_eq!(files(&cache_dir).len(), 2, "{:?}", files(&cache_dir));
}

#[test]
fn the_cache_may_not_overlap_a_grant() {
    let tmp = temp_dir();
    let root = tmp.path().join("root");
    let grant = root.join("plugins");
    std::fs::create_dir_all(&grant).unwrap();
    chmod(&root, 0o755);
    let inside = fresh(&grant.join("cache"));
    let around = fresh(&root);
    let apart = fresh(&tmp.path().join("apart"));
    let alias = tmp.path().join("alias");
    symlink(&grant, &alias).unwrap();
    let canonical = grant.canonicalize().unwrap();

    let overlap = |r: Result<wasi_dl::WasiDlCtxBuilder, BuildError>| match r {
        Err(e @ BuildError::CacheOverlapsGrant { .. }) => e,
        Err(e) => panic!("another error: {e}"),
        Ok(_) => panic!("accepted"),
    };
    // The cache inside the grant, set after the grant and before it; the grant's alias too.
    let e = overlap(
        WasiDlCtx::builder()
            .preopened_dir(&grant, "/plugins")
            .unwrap()
            .cache(inside.clone()),
    );
    assert!(
        matches!(&e, BuildError::CacheOverlapsGrant { grant: g, .. } if *g == canonical),
        "{e:?}"
    );
    assert!(e.to_string().contains("lies inside"), "{e}");
    overlap(
        WasiDlCtx::builder()
            .cache(inside.clone())
            .unwrap()
            .library_dir(&alias, "/plugins"),
    );
    overlap(
        WasiDlCtx::builder()
            .library_dir(&alias, "/plugins")
            .unwrap()
            .cache(inside.clone()),
    );
    // The cache around the grant.
    let e = overlap(
        WasiDlCtx::builder()
            .cache(around.clone())
            .unwrap()
            .preopened_dir(&grant, "/plugins"),
    );
    assert!(e.to_string().contains("contains"), "{e}");
    // Apart: fine, in either order; and an in-memory cache never overlaps.
    WasiDlCtx::builder()
        .cache(apart.clone())
        .unwrap()
        .preopened_dir(&grant, "/plugins")
        .unwrap()
        .build();
    WasiDlCtx::builder()
        .preopened_dir(&grant, "/plugins")
        .unwrap()
        .cache(ModuleCache::new())
        .unwrap()
        .build();
    // The same check for grants the builder does not see (a WASI-only preopen).
    assert!(matches!(
        inside.check_grant(&alias),
        Err(BuildError::CacheOverlapsGrant { .. })
    ));
    assert!(apart.check_grant(&grant).is_ok());
    assert!(ModuleCache::new().check_grant(&grant).is_ok());
    assert!(matches!(
        apart.check_grant(&tmp.path().join("none")),
        Err(BuildError::Grant { .. })
    ));
}

fn set_mtime(path: &Path, t: SystemTime) {
    std::fs::File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(t)
        .unwrap();
}

#[test]
fn the_least_recently_used_entries_are_evicted() {
    let (names, sizes): (Vec<String>, Vec<u64>) = (10..13)
        .map(|v| {
            let (name, bytes) = entry_of(v);
            (name, bytes.len() as u64)
        })
        .unzip();
    let tmp = temp_dir();
    let dir = tmp.path();
    compile_fresh(dir, 10);
    compile_fresh(dir, 11);
    let now = SystemTime::now();
    // Last used longer ago than the cache's grain (ten minutes) for noting a use.
    set_mtime(&dir.join(&names[0]), now - Duration::from_secs(2000));
    set_mtime(&dir.join(&names[1]), now - Duration::from_secs(1000));
    // A hit makes the older entry the most recently used.
    assert_eq!(compile_fresh(dir, 10).0, 1);
    // Room for two of the three: the least recently used one goes.
    let limited = ModuleCache::with_disk_cache_limit(dir, sizes[0] + sizes[2]).unwrap();
    let m = limited.compile_program(engine(), &module(12)).unwrap();
    assert_eq!(call_f(&m), 12);
    assert_eq!(stats(&limited), (0, 1, 1, 0, 1));
    assert_eq!(
        files(dir),
        {
            let mut v = vec![dir.join(&names[0]), dir.join(&names[2])];
            v.sort();
            v
        },
        "entry 11 was the least recently used"
    );
    // A cap below one entry keeps the entry just written.
    let tiny = ModuleCache::with_disk_cache_limit(dir, 1).unwrap();
    tiny.compile_program(engine(), &module(11)).unwrap();
    assert_eq!(stats(&tiny), (0, 1, 1, 0, 2));
    assert_eq!(files(dir), vec![dir.join(&names[1])]);
}

/// A hit on an entry used a moment ago writes nothing (its mtime already says "recently"): a
/// cached load costs no write to the file system.
#[test]
fn a_hit_on_a_recently_used_entry_leaves_its_file_alone() {
    let (name, _) = entry_of(14);
    let tmp = temp_dir();
    let dir = tmp.path();
    compile_fresh(dir, 14);
    let path = dir.join(&name);
    let recent = SystemTime::now() - Duration::from_secs(60);
    set_mtime(&path, recent);
    assert_eq!(compile_fresh(dir, 14).0, 1, "a disk hit");
    let mtime = |p: &Path| std::fs::metadata(p).unwrap().modified().unwrap();
    assert_eq!(mtime(&path), recent);
    // An hour ago is beyond the grain: the hit notes the use.
    let old = SystemTime::now() - Duration::from_secs(3600);
    set_mtime(&path, old);
    assert_eq!(compile_fresh(dir, 14).0, 1, "a disk hit");
    assert!(mtime(&path) > old + Duration::from_secs(3000));
}

/// Processes sharing a directory (threads with caches of their own here) store and evict at
/// the same time: nobody fails, every entry left is sound, and no temporary file remains.
#[test]
fn caches_sharing_a_directory_store_and_evict_concurrently() {
    let one = entry_of(100).1.len() as u64;
    let tmp = temp_dir();
    let dir = tmp.path().to_path_buf();
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let dir = dir.clone();
            std::thread::spawn(move || {
                for round in 0..2 {
                    let cache = ModuleCache::with_disk_cache_limit(&dir, one * 3).unwrap();
                    for k in 0..4 {
                        let value = 100 + (t * 4 + k + round) % 6;
                        let m = cache.compile_program(engine(), &module(value)).unwrap();
                        assert_eq!(call_f(&m), value);
                    }
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let left = files(&dir);
    assert!(left.len() <= 4, "{left:?}");
    for path in &left {
        assert!(
            path.extension().is_some_and(|e| e == "cwasm"),
            "left behind: {}",
            path.display()
        );
    }
    for value in 100..106 {
        assert_eq!(compile_fresh(&dir, value).3, 0, "no entry is unsound");
    }
}

/// A library loaded by a guest: compiled once, then loaded from disk by the next "process";
/// a corrupted entry is recompiled and the program runs as before.
#[test]
fn libraries_are_cached_on_disk_under_the_same_rules() {
    let tmp = temp_dir();
    let lib_dir = tmp.path().join("lib");
    let cache_dir = tmp.path().join("cache");
    std::fs::create_dir(&lib_dir).unwrap();
    let wat = format!("(module {PROLOGUE} (func (export \"f\") (result i32) (i32.const 1)))");
    std::fs::write(lib_dir.join("x.so"), side_module(&Dylink::new(), &wat)).unwrap();
    let program = script_program();
    let run_once = || {
        let cache = fresh(&cache_dir);
        let for_run = cache.clone();
        let out = run(Run::new(&program)
            .args(["o:/lib/x.so"])
            .dir(&lib_dir, "/lib")
            .dl(move |b| b.cache(for_run).unwrap()))
        .success();
        assert!(
            out.stdout.starts_with("open /lib/x.so ok"),
            "{}",
            out.stdout
        );
        stats(&cache)
    };
    assert_eq!(run_once(), (0, 1, 1, 0, 0));
    assert_eq!(run_once(), (1, 0, 0, 0, 0));
    // The entry, and the index of the library file's content hash.
    let [entry] = files(&cache_dir).try_into().unwrap();
    assert!(cache_dir.join(INDEX).is_file());
    let mut bytes = std::fs::read(&entry).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0xff;
    std::fs::write(&entry, bytes).unwrap();
    assert_eq!(run_once(), (0, 1, 1, 1, 0));
    assert_eq!(run_once(), (1, 0, 0, 0, 0));
}

/// A fresh cache's (checksummed, known sound) counts after loading `value`'s module.
fn checks_fresh(dir: &Path, value: i32) -> (u64, u64) {
    let cache = fresh(dir);
    let m = cache.compile_program(engine(), &module(value)).unwrap();
    assert_eq!(call_f(&m), value, "the code run is the module's own");
    let s = cache.disk_stats();
    assert_eq!(s.hits, 1);
    (s.checksummed, s.known_sound)
}

/// An entry is checked in full until its file has been left alone for two seconds; the load
/// that then checks it records it, and later loads of this boot read only its header, metadata
/// and trailer, until the file changes: a byte flipped in place is caught by the checksum.
#[test]
#[cfg(target_os = "linux")]
fn an_entry_left_alone_is_checked_in_full_once_per_boot_until_it_changes() {
    use std::io::{Read, Seek, SeekFrom, Write};
    let (name, _) = entry_of(30);
    let tmp = temp_dir();
    let dir = tmp.path();
    compile_fresh(dir, 30);
    // The settling time (the file changed less than two seconds ago): nothing recorded.
    std::thread::sleep(Duration::from_millis(2100));
    assert_eq!(checks_fresh(dir, 30), (1, 0), "checked in full, recorded");
    assert_eq!(checks_fresh(dir, 30), (0, 1), "known sound");
    assert_eq!(checks_fresh(dir, 30), (0, 1), "known sound");
    // A payload byte flipped in place: same size, same name, same inode.
    let path = dir.join(&name);
    let mut file = std::fs::File::options()
        .read(true)
        .write(true)
        .open(&path)
        .unwrap();
    let middle = file.metadata().unwrap().len() / 3;
    let mut byte = [0u8];
    file.seek(SeekFrom::Start(middle)).unwrap();
    file.read_exact(&mut byte).unwrap();
    file.seek(SeekFrom::Start(middle)).unwrap();
    file.write_all(&[byte[0] ^ 0x08]).unwrap();
    drop(file);
    assert_eq!(
        compile_fresh(dir, 30),
        (0, 1, 1, 1, 0),
        "refused, compiled, stored"
    );
    assert_eq!(
        checks_fresh(dir, 30),
        (1, 0),
        "the new entry is checked in full"
    );
}
