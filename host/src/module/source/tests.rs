use super::*;

#[test]
fn normalize_resolves_dots_and_refuses_escapes() {
    assert_eq!(normalize("./a/../b/libx.so").as_deref(), Some("b/libx.so"));
    assert_eq!(
        normalize("/lib//x/./libx.so").as_deref(),
        Some("/lib/x/libx.so")
    );
    assert_eq!(normalize("../libx.so"), None);
    assert_eq!(normalize("/a/../../libx.so"), None);
}

#[test]
fn origin_expands_to_the_library_directory() {
    let entries = vec![
        "$ORIGIN/deps".to_string(),
        "/lib".to_string(),
        "${ORIGIN}".to_string(),
    ];
    assert_eq!(
        expand_runtime_path(&entries, Some("/plugins/libx.so")),
        vec!["/plugins/deps", "/lib", "/plugins"]
    );
    assert_eq!(expand_runtime_path(&entries, None), vec!["/lib"]);
    assert_eq!(
        expand_runtime_path(&entries, Some("libx.so")),
        vec!["./deps", "/lib", "."]
    );
}

/// The smallest file that passes the checks made before reading it all: the wasm header
/// and a `dylink.0` section holding `tag`.
fn lib(tag: u8) -> Vec<u8> {
    let mut bytes = b"\0asm\x01\0\0\0\0\x0a\x08dylink.0".to_vec();
    bytes.push(tag);
    bytes
}

fn tree() -> (tempfile::TempDir, Sources) {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(tmp.path().join("plugins/sub")).unwrap();
    std::fs::write(tmp.path().join("plugins/liba.so"), lib(b'A')).unwrap();
    std::fs::write(tmp.path().join("plugins/sub/libb.so"), lib(b'B')).unwrap();
    std::fs::write(tmp.path().join("secret.so"), lib(b'S')).unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(
        tmp.path().join("secret.so"),
        tmp.path().join("plugins/link.so"),
    )
    .unwrap();
    let mut sources = Sources::default();
    sources.add_dir(DirSource::open(&tmp.path().join("plugins"), "/plugins").unwrap());
    (tmp, sources)
}

const NOBODY: Requester<'static> = Requester { runtime_path: &[] };

#[test]
fn paths_resolve_inside_their_mount_only() {
    let (_tmp, sources) = tree();
    let found = sources.fetch("/plugins/liba.so", &NOBODY, 1 << 20).unwrap();
    assert_eq!(*found.bytes, *lib(b'A'));
    assert_eq!(found.path.as_deref(), Some("/plugins/liba.so"));
    let found = sources
        .fetch("/plugins/sub/../sub/libb.so", &NOBODY, 1 << 20)
        .unwrap();
    assert_eq!(found.path.as_deref(), Some("/plugins/sub/libb.so"));
    let again = sources
        .fetch("/plugins/sub/libb.so", &NOBODY, 1 << 20)
        .unwrap();
    assert_eq!(found.key, again.key, "one file, one key");
    assert_ne!(
        found.key,
        sources
            .fetch("/plugins/liba.so", &NOBODY, 1 << 20)
            .unwrap()
            .key
    );

    let err = sources
        .fetch("/plugins/../secret.so", &NOBODY, 1 << 20)
        .unwrap_err();
    assert!(matches!(err, DlError::Denied { .. }), "{err}");
    let err = sources
        .fetch("/elsewhere/liba.so", &NOBODY, 1 << 20)
        .unwrap_err();
    assert!(matches!(err, DlError::Denied { .. }), "{err}");
    let err = sources
        .fetch("/plugins/link.so", &NOBODY, 1 << 20)
        .unwrap_err();
    assert!(
        matches!(err, DlError::Denied { .. }),
        "symlink escape: {err}"
    );
    let err = sources.fetch("/plugins/sub", &NOBODY, 1 << 20).unwrap_err();
    assert_eq!(
        err.to_string(),
        "/plugins/sub: cannot read file data: Is a directory"
    );
    let err = sources
        .fetch("/plugins/none.so", &NOBODY, 1 << 20)
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "/plugins/none.so: cannot open shared object file: No such file or directory"
    );
}

#[test]
fn bare_names_follow_the_search_order() {
    let (_tmp, mut sources) = tree();
    sources.search_path.push("/plugins".into());
    let err = sources.fetch("libb.so", &NOBODY, 1 << 20).unwrap_err();
    assert!(matches!(err, DlError::NotFound { .. }));
    let runpath = vec!["/plugins/sub".to_string()];
    let found = sources
        .fetch(
            "libb.so",
            &Requester {
                runtime_path: &runpath,
            },
            1 << 20,
        )
        .unwrap();
    assert_eq!(*found.bytes, *lib(b'B'));
    assert_eq!(
        *sources.fetch("liba.so", &NOBODY, 1 << 20).unwrap().bytes,
        *lib(b'A')
    );

    let mut memory = MemorySource::default();
    memory.insert("libm.so", Arc::from(&b"M"[..]));
    sources.memory = Some(memory);
    let found = sources.fetch("libm.so", &NOBODY, 1 << 20).unwrap();
    assert_eq!((found.key.as_str(), found.path), ("memory:libm.so", None));
}

#[test]
fn relative_grants_match_as_wasi_libc_preopens_do() {
    // `--dir plugins`: wasmtime preopens "plugins", which wasi-libc matches for both
    // "plugins/x" and "/plugins/x"; a search path "plugins" finds bare names there.
    let (tmp, _) = tree();
    let mut sources = Sources::default();
    sources.add_dir(DirSource::open(&tmp.path().join("plugins"), "plugins").unwrap());
    for path in [
        "plugins/liba.so",
        "/plugins/liba.so",
        "./plugins/sub/../liba.so",
    ] {
        let found = sources.fetch(path, &NOBODY, 1 << 20).unwrap();
        assert_eq!(*found.bytes, *lib(b'A'), "{path}");
        assert_eq!(found.path.as_deref(), Some("plugins/liba.so"), "{path}");
    }
    sources.search_path.push("plugins/sub".into());
    let found = sources.fetch("libb.so", &NOBODY, 1 << 20).unwrap();
    assert_eq!(found.path.as_deref(), Some("plugins/sub/libb.so"));
    let err = sources
        .fetch("other/liba.so", &NOBODY, 1 << 20)
        .unwrap_err();
    assert!(matches!(err, DlError::Denied { .. }), "{err}");

    // The longest grant wins over ".", as in wasi-libc, for relative paths too.
    let mut sources = Sources::default();
    sources.add_dir(DirSource::open(tmp.path(), ".").unwrap());
    sources.add_dir(DirSource::open(&tmp.path().join("plugins/sub"), "plugins").unwrap());
    let found = sources.fetch("plugins/libb.so", &NOBODY, 1 << 20).unwrap();
    assert_eq!(*found.bytes, *lib(b'B'));
}

#[test]
fn size_limit_is_enforced_before_reading() {
    let (_tmp, sources) = tree();
    let err = sources.fetch("/plugins/liba.so", &NOBODY, 0).unwrap_err();
    assert_eq!(
        err.to_string(),
        "/plugins/liba.so: module size limit exceeded (20 bytes, at most 0 allowed)"
    );
}

#[test]
fn a_trailing_slash_or_dot_component_names_a_directory() {
    for path in ["libx.so/", "./libx.so/", "libx.so/.", "sub/libx.so/..", "/"] {
        assert!(names_directory(path), "{path}");
    }
    for path in [
        "libx.so",
        "./libx.so",
        "sub/./libx.so",
        "lib..so",
        "sub/.libx.so",
    ] {
        assert!(!names_directory(path), "{path}");
    }
}

#[test]
fn a_path_with_dot_dot_is_kept_as_written_below_its_mount() {
    assert_eq!(
        written_below("./l/../libx.so", "").as_deref(),
        Some("l/../libx.so")
    );
    assert_eq!(
        written_below("/plugins/sub/../libx.so", "plugins").as_deref(),
        Some("sub/../libx.so")
    );
    // Nothing to resolve, or another mount's path: the lexical form serves.
    assert_eq!(written_below("./sub/libx.so", ""), None);
    assert_eq!(written_below("other/../libx.so", "plugins"), None);
    assert_eq!(written_below("pluginsx/../libx.so", "plugins"), None);
}
