//! `wasi-dl inspect` on NEEDED graphs it must survive (a 20,000-deep chain, a diamond),
//! files it must refuse without blocking (a FIFO, `/dev/zero`), and resolution exactly as
//! the runtime's grants allow. The side modules are nothing but a `dylink.0` section: only it
//! matters here.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::{ok, scratch, text, wasi_dl};
use wasm_encoder::{CustomSection, Encode, Module};

/// A side module with nothing but its `dylink.0` section: MEM_INFO (all zero), NEEDED and
/// RUNTIME_PATH.
fn side_module(needed: &[&str], runtime_path: &[&str]) -> Vec<u8> {
    // A vector of names: their count, then each name's length and bytes.
    let names = |list: &[&str]| {
        let mut payload = Vec::new();
        list.len().encode(&mut payload);
        list.iter().for_each(|name| name.encode(&mut payload));
        payload
    };
    let mut data = Vec::new();
    let mut sub = |id: u8, payload: Vec<u8>| {
        data.push(id);
        payload.len().encode(&mut data);
        data.extend(payload);
    };
    sub(1, vec![0, 0, 0, 0]);
    if !needed.is_empty() {
        sub(2, names(needed));
    }
    if !runtime_path.is_empty() {
        sub(5, names(runtime_path));
    }
    let mut module = Module::new();
    module.section(&CustomSection {
        name: "dylink.0".into(),
        data: data.into(),
    });
    module.finish()
}

/// Runs `wasi-dl inspect ARGS` in `dir`; a run that has not ended after ten minutes is killed
/// (a guard against a hang, not a measurement: a loaded CI machine must never come near it).
fn inspect(dir: &Path, args: &[&str]) -> Output {
    let mut child = wasi_dl()
        .current_dir(dir)
        .arg("inspect")
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    // Drain stdout on a thread so a large output cannot stall the child.
    let mut stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = std::io::Read::read_to_end(&mut stdout, &mut buf);
        buf
    });
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if start.elapsed() > Duration::from_secs(600) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("wasi-dl inspect {args:?} did not end (blocked?)");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let mut output = child.wait_with_output().unwrap();
    output.stdout = reader.join().unwrap();
    output
}

/// The lines of the NEEDED listing.
fn needed_lines(stdout: &str) -> Vec<&str> {
    stdout
        .lines()
        .skip_while(|l| !l.starts_with("NEEDED"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .collect()
}

#[test]
fn a_deep_chain_is_walked_without_recursion_and_cut_at_the_loaders_depth() {
    const DEPTH: usize = 20_000;
    // 20,000 files take a while to write on a busy disk: generated once, then moved into
    // place whole (a concurrent run sees all of them or none), and kept for the next run.
    let shared = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(format!("../target/cli-tests/inspect-cmd/deep-{DEPTH}"));
    let dir = if shared.join("complete").exists() {
        shared
    } else {
        let fresh = scratch("inspect-cmd/deep");
        for i in 0..DEPTH {
            let next = format!("lib{}.so", i + 1);
            let needed: Vec<&str> = if i + 1 < DEPTH { vec![&next] } else { vec![] };
            std::fs::write(fresh.join(format!("lib{i}.so")), side_module(&needed, &[])).unwrap();
        }
        std::fs::write(fresh.join("complete"), b"").unwrap();
        match std::fs::rename(&fresh, &shared) {
            Ok(()) => shared,
            Err(_) => fresh,
        }
    };
    let out = inspect(&dir, &["--lib-path", ".", "lib0.so"]);
    let stdout = ok(&out);
    let max = wasi_dl::Limits::default().max_dependency_depth;
    let lines = needed_lines(&stdout);
    // lib1 .. lib{max} are mapped (the root is depth 0), lib{max+1} is where dlopen stops.
    assert_eq!(
        lines.len(),
        max + 2,
        "{}",
        &stdout[..stdout.len().min(4000)]
    );
    assert_eq!(lines[0], "  lib1.so => ./lib1.so");
    assert_eq!(lines[1], "  lib2.so => ./lib2.so (needed by lib1.so)");
    assert_eq!(
        lines[max],
        format!(
            "  lib{}.so (needed by lib{max}.so): not loaded: dependency chain deeper than {max} \
             libraries (the loader's limit, Limits::max_dependency_depth); dlopen would fail",
            max + 1
        )
    );
    assert_eq!(
        lines[max + 1],
        "  (1 problem above: dlopen of this library would fail)"
    );
    // One line per library: the output grows with the libraries listed, not their depth.
    assert!(stdout.len() < 64 * 1024, "{} bytes of output", stdout.len());
}

#[test]
fn each_library_is_listed_once() {
    let dir = scratch("inspect-cmd/diamond");
    let modules: [(&str, &[&str]); 4] = [
        ("liba.so", &["libb.so", "libc.so", "libb.so"]),
        ("libb.so", &["libd.so"]),
        ("libc.so", &["libd.so", "liba.so"]),
        ("libd.so", &["libb.so"]),
    ];
    for (name, needed) in modules {
        std::fs::write(dir.join(name), side_module(needed, &["$ORIGIN"])).unwrap();
    }
    let stdout = ok(inspect(&dir, &["liba.so"]));
    assert_eq!(
        needed_lines(&stdout),
        [
            "  libb.so => ./libb.so",
            "  libd.so => ./libd.so (needed by libb.so)",
            "  libc.so => ./libc.so",
        ],
        "{stdout}"
    );
    assert!(stdout.contains("  runtime path: $ORIGIN\n"), "{stdout}");
}

#[test]
fn files_that_are_not_regular_are_refused_without_blocking() {
    let dir = scratch("inspect-cmd/odd");
    let status = Command::new("mkfifo")
        .arg(dir.join("fifo.so"))
        .status()
        .expect("mkfifo");
    assert!(status.success());
    // As NEEDED libraries, through grants: the loader's refusal, nothing read.
    let fifo = dir.join("libfifo.so");
    assert!(Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    std::fs::write(
        dir.join("libtop.so"),
        side_module(&["libfifo.so", "zero"], &["$ORIGIN", "/dev"]),
    )
    .unwrap();
    let stdout = ok(inspect(
        &dir,
        &["--dir", ".", "--dir", "/dev::/dev", "libtop.so"],
    ));
    assert_eq!(
        needed_lines(&stdout),
        [
            "  libfifo.so => cannot be loaded: ./libfifo.so: cannot read file data: not a \
             regular file (a FIFO)",
            "  zero => cannot be loaded: /dev/zero: cannot read file data: not a regular file \
             (a character device)",
            "  (2 problems above: dlopen of this library would fail)",
        ],
        "{stdout}"
    );

    // Nor as the program to check against.
    std::fs::write(dir.join("libplain.so"), side_module(&[], &[])).unwrap();
    for program in [dir.join("fifo.so"), PathBuf::from("/dev/zero")] {
        let program = program.to_str().unwrap();
        let out = inspect(&dir, &["--against", program, "libplain.so"]);
        assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
        assert_eq!(
            text(&out.stderr),
            format!("wasi-dl: error: cannot read {program}: not a regular file\n")
        );
    }

    for path in [dir.join("fifo.so"), PathBuf::from("/dev/zero")] {
        let out = inspect(&dir, &[path.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
        let stderr = text(&out.stderr);
        assert!(
            stderr.starts_with("wasi-dl: error: ") && stderr.contains("not a regular file"),
            "{path:?}: {stderr}"
        );
    }
}

#[test]
fn needed_libraries_resolve_through_the_grants_as_the_runtime_would() {
    let dir = scratch("inspect-cmd/grants");
    let outside = dir.join("outside");
    std::fs::create_dir_all(dir.join("plugins/deps")).unwrap();
    std::fs::create_dir_all(&outside).unwrap();
    let outside_str = outside.to_str().unwrap();
    std::fs::write(
        dir.join("plugins/libtop.so"),
        side_module(
            &["libdep.so", "libout.so", "libsearched.so"],
            &["$ORIGIN/deps", outside_str],
        ),
    )
    .unwrap();
    std::fs::write(dir.join("plugins/deps/libdep.so"), side_module(&[], &[])).unwrap();
    // On the host, but outside every grant: the runtime cannot reach it, nor may inspect.
    std::fs::write(outside.join("libout.so"), side_module(&[], &[])).unwrap();
    std::fs::write(dir.join("libsearched.so"), side_module(&[], &[])).unwrap();

    let stdout = ok(inspect(&dir, &["--dir", "plugins", "plugins/libtop.so"]));
    assert!(
        stdout.contains("  guest path: plugins/libtop.so\n"),
        "{stdout}"
    );
    assert_eq!(
        needed_lines(&stdout),
        [
            "  libdep.so => plugins/deps/libdep.so",
            "  libout.so => not found: libout.so: cannot open shared object file: No such file \
             or directory",
            "  libsearched.so => not found: libsearched.so: cannot open shared object file: No \
             such file or directory",
            "  (2 problems above: dlopen of this library would fail)",
        ],
        "{stdout}"
    );

    // --lib-path grants and searches, as in `wasi-dl run`; a guest path of its own too.
    let stdout = ok(inspect(
        &dir,
        &[
            "--dir",
            "plugins",
            "--lib-path",
            ".::/lib",
            "plugins/libtop.so",
        ],
    ));
    assert_eq!(
        needed_lines(&stdout)[2],
        "  libsearched.so => /lib/libsearched.so",
        "{stdout}"
    );

    // A library outside every grant has no guest path: its $ORIGIN means nothing.
    let stdout = ok(inspect(
        &dir,
        &["--lib-path", "plugins/deps", "plugins/libtop.so"],
    ));
    assert!(
        stdout.contains("  guest path: none (outside every"),
        "{stdout}"
    );
    assert_eq!(
        needed_lines(&stdout)[0],
        "  libdep.so => plugins/deps/libdep.so",
        "{stdout}"
    );
}
