//! Files that are not regular files, and reading no more than needed: a FIFO or a device in a
//! granted directory is refused from its opened handle (the open itself does not block), a
//! file's first bytes are checked before the rest is read, and
//! `wasi_dl::source::read_module_file` (what `wasi-dl inspect` reads with) does the same for
//! host paths.

use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use wasi_dl::source::{read_module_file, ReadError};
use wasi_dl::Limits;

use crate::common::*;

fn plain() -> Vec<u8> {
    side_module(
        &Dylink::new(),
        &format!("(module {PROLOGUE} (func (export \"f\") (result i32) (i32.const 1)))"),
    )
}

pub fn mkfifo(path: &Path) {
    let c_path = CString::new(path.as_os_str().as_bytes()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    let rc = unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) };
    assert_eq!(rc, 0, "mkfifo {}", path.display());
}

/// Should a blocking open of the FIFO at `path` ever be attempted (the bug these tests guard
/// against), this writer lets it through and closes at once: the test then fails on its
/// message instead of hanging. With the fix it may wait forever, harmlessly (a detached thread
/// ends with the test process).
pub fn unblock_readers_of(path: &Path) {
    let path = path.to_path_buf();
    std::thread::spawn(move || drop(std::fs::OpenOptions::new().write(true).open(path)));
}

/// The error of a read that must fail (never the bytes: they may be many).
fn failed(result: Result<Vec<u8>, ReadError>) -> ReadError {
    match result {
        Ok(bytes) => panic!("read {} bytes where an error was expected", bytes.len()),
        Err(e) => e,
    }
}

fn lines(out: &Output) -> Vec<&str> {
    out.stdout.lines().collect()
}

#[test]
fn a_fifo_is_refused_without_blocking() {
    let tmp = temp_dir();
    let fifo = tmp.path().join("pipe.so");
    mkfifo(&fifo);
    std::fs::write(tmp.path().join("good.so"), plain()).unwrap();
    unblock_readers_of(&fifo);
    let program = script_program();
    let out = run(Run::new(&program)
        .args(["o:/lib/pipe.so", "o:/lib/good.so"])
        .dir(tmp.path(), "/lib"))
    .success();
    let lines = lines(&out);
    assert_eq!(
        lines[0],
        "open /lib/pipe.so NULL /lib/pipe.so: cannot read file data: not a regular file (a FIFO)"
    );
    assert!(lines[1].starts_with("open /lib/good.so ok"), "{lines:?}");
}

#[test]
fn devices_are_refused_before_reading() {
    let program = script_program();
    let out = run(Run::new(&program)
        .args(["o:/dev/zero", "o:/dev/null"])
        .dir(Path::new("/dev"), "/dev"))
    .success();
    assert_eq!(
        lines(&out),
        [
            "open /dev/zero NULL /dev/zero: cannot read file data: not a regular file (a character device)",
            "open /dev/null NULL /dev/null: cannot read file data: not a regular file (a character device)",
        ]
    );
}

/// The bytes this thread has read so far (Linux's per-thread I/O accounting), if available.
fn bytes_read_by_this_thread() -> Option<u64> {
    let io = std::fs::read_to_string("/proc/thread-self/io").ok()?;
    io.lines()
        .find_map(|l| l.strip_prefix("rchar:"))?
        .trim()
        .parse()
        .ok()
}

/// Large files (sparse: no disk space) that are not side modules, read up to their first
/// section's name only: not wasm at all, and a wasm module whose first section is not
/// `dylink.0`.
#[test]
fn only_the_first_bytes_of_a_file_that_is_no_side_module_are_read() {
    if bytes_read_by_this_thread().is_none() {
        eprintln!("no /proc/thread-self/io: skipped");
        return;
    }
    let tmp = temp_dir();
    let size: u64 = 100 << 20;
    let zeros = tmp.path().join("zeros.so");
    std::fs::File::create(&zeros)
        .unwrap()
        .set_len(size)
        .unwrap();
    // A type section, then a custom section whose (zero) contents fill the file.
    let mut module = b"\0asm\x01\0\0\0\x01\x01\x00".to_vec();
    module.push(0);
    let body_len = size - module.len() as u64 - 5;
    let mut leb = body_len;
    for _ in 0..5 {
        let more = if leb >> 7 != 0 { 0x80 } else { 0 };
        module.push((leb & 0x7f) as u8 | more);
        leb >>= 7;
    }
    let late = tmp.path().join("late.so");
    std::fs::write(&late, &module).unwrap();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&late)
        .unwrap()
        .set_len(size)
        .unwrap();

    for (path, words) in [
        (&zeros, "not a WebAssembly module (bad magic number)"),
        (
            &late,
            "no dylink.0 section at the start of the file (the first section is the type section",
        ),
    ] {
        let before = bytes_read_by_this_thread().unwrap();
        let err = failed(read_module_file(path, 1 << 30));
        let read = bytes_read_by_this_thread().unwrap() - before;
        assert!(err.to_string().contains(words), "{err}");
        assert!(read < 4096, "{}: {read} bytes read", path.display());
    }

    // dlopen: the runner reads the program (well under 10 MiB); the loader the first bytes.
    let program = script_program();
    let before = bytes_read_by_this_thread().unwrap();
    let out = run(Run::new(&program)
        .args(["o:/lib/zeros.so", "o:/lib/late.so"])
        .dir(tmp.path(), "/lib")
        .dl(|b| {
            b.limits(Limits {
                max_module_bytes: 1 << 30,
                ..Limits::default()
            })
        }))
    .success();
    let read = bytes_read_by_this_thread().unwrap() - before;
    let lines = lines(&out);
    assert!(lines[0].contains("bad magic number"), "{lines:?}");
    assert!(
        lines[1].contains("no dylink.0 section at the start"),
        "{lines:?}"
    );
    assert!(read < 10 << 20, "{read} bytes read for two 100 MiB files");
}

#[test]
fn read_module_file_checks_as_dlopen_does() {
    let tmp = temp_dir();
    let good = plain();
    let good_path = tmp.path().join("good.so");
    std::fs::write(&good_path, &good).unwrap();
    assert!(read_module_file(&good_path, 1 << 20).unwrap() == good);

    let err = failed(read_module_file(&good_path, 10));
    assert!(
        matches!(err, ReadError::TooLarge { len, max: 10, .. } if len == good.len() as u64),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        format!(
            "{}: module size limit exceeded ({} bytes, at most 10 allowed)",
            good_path.display(),
            good.len()
        )
    );

    let fifo = tmp.path().join("pipe.so");
    mkfifo(&fifo);
    unblock_readers_of(&fifo);
    let err = failed(read_module_file(&fifo, 1 << 20));
    assert!(
        matches!(err, ReadError::NotRegularFile { kind: "a FIFO", .. }),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        format!(
            "{}: cannot read file data: not a regular file (a FIFO)",
            fifo.display()
        )
    );

    let err = failed(read_module_file(Path::new("/dev/zero"), 1 << 20));
    assert_eq!(
        err.to_string(),
        "/dev/zero: cannot read file data: not a regular file (a character device)"
    );
    let err = failed(read_module_file(tmp.path(), 1 << 20));
    assert!(matches!(err, ReadError::IsDirectory { .. }), "{err:?}");
    let err = failed(read_module_file(&tmp.path().join("none.so"), 1 << 20));
    assert!(matches!(err, ReadError::Open { .. }), "{err:?}");
    assert!(err.to_string().contains("No such file"), "{err}");

    let script = tmp.path().join("script.so");
    std::fs::write(&script, b"#!/bin/sh\necho hello\n").unwrap();
    let err = failed(read_module_file(&script, 1 << 20));
    assert_eq!(
        err.to_string(),
        format!(
            "{}: not a WebAssembly module (bad magic number)",
            script.display()
        )
    );
    let program = tmp.path().join("program.wasm");
    std::fs::write(&program, wat::parse_str("(module (func))").unwrap()).unwrap();
    let err = failed(read_module_file(&program, 1 << 20));
    assert!(matches!(err, ReadError::NotSideModule { .. }), "{err:?}");
    assert!(err.to_string().contains("no dylink.0 section"), "{err}");
}
