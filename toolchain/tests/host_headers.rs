//! `wasi-dl cc` never sees the host's headers (issue 14, item 1): only the wasm sysroot's,
//! clang's own, the guest library's and the user's `-I`/`-isystem` directories; and
//! `-print-prog-name=ld` and friends name wasm tools, not the host's GNU binutils.

mod common;

use common::*;
use std::path::Path;
use std::process::Output;
use wasi_dl_toolchain::Driver;

fn cc(driver: &Driver, dir: &Path, args: &[&str]) -> Output {
    let inv = driver.clone().current_dir(dir).plan(&os(args)).unwrap();
    inv.command().output().unwrap()
}

/// Headers that glibc's development package (always there: gcc builds the native side of
/// the tests) installs in `/usr/include` and wasi-libc does not have; zlib's when installed.
const HOST_ONLY: &[&str] = &["argp.h", "error.h", "zlib.h"];

#[test]
fn host_headers_do_not_compile_for_wasm() {
    let Some(tc) = toolchain("host_headers_do_not_compile_for_wasm") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let tc = with_standin(tc, dir.path());
    let driver = Driver::new(tc);
    let mut probed = 0;
    for header in HOST_ONLY {
        if !Path::new("/usr/include").join(header).is_file() {
            continue;
        }
        probed += 1;
        let src = format!("probe_{}.c", header.replace('.', "_"));
        write(dir.path(), &src, &format!("#include <{header}>\nint x;\n"));
        let out = cc(&driver, dir.path(), &["-c", &src, "-o", "probe.o"]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            !out.status.success() && stderr.contains(&format!("'{header}' file not found")),
            "the host's /usr/include/{header} compiled for wasm: {stderr}"
        );
    }
    assert!(
        probed > 0,
        "no host-only header in /usr/include to probe with"
    );

    // What must still be found: libc (C and, through clang++, C++), clang's own
    // headers, the guest library's, and the user's -I / -isystem.
    std::fs::create_dir_all(dir.path().join("inc")).unwrap();
    std::fs::create_dir_all(dir.path().join("sys")).unwrap();
    write(&dir.path().join("inc"), "mine.h", "#define MINE 1\n");
    write(&dir.path().join("sys"), "theirs.h", "#define THEIRS 2\n");
    write(
        dir.path(),
        "ok.c",
        "#include <stdio.h>\n#include <stdint.h>\n#include <stdarg.h>\n#include <dlfcn.h>\n\
         #include <mine.h>\n#include <theirs.h>\nint x = MINE + THEIRS;\n",
    );
    let out = cc(
        &driver,
        dir.path(),
        &["-c", "ok.c", "-Iinc", "-isystem", "sys", "-o", "ok.o"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let cxx = Driver::new(driver.toolchain().clone()).cxx(true);
    if !driver.toolchain().cxx_archives().is_empty() {
        write(
            dir.path(),
            "ok.cpp",
            "#include <cstring>\n#include <string>\nint n = 1;\n",
        );
        let out = cc(&cxx, dir.path(), &["-c", "ok.cpp", "-o", "okcpp.o"]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    // The search list itself: no /usr/include, no /usr/local/include.
    let out = cc(
        &driver,
        dir.path(),
        &[
            "-E",
            "-v",
            "ok.c",
            "-Iinc",
            "-isystem",
            "sys",
            "-o",
            "/dev/null",
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    let list: Vec<&str> = stderr
        .lines()
        .skip_while(|l| !l.starts_with("#include \"...\""))
        .take_while(|l| !l.starts_with("End of search list."))
        .filter(|l| l.starts_with(' '))
        .map(str::trim)
        .collect();
    assert!(!list.is_empty(), "{stderr}");
    for host in ["/usr/include", "/usr/local/include"] {
        assert!(!list.contains(&host), "{host} searched: {list:?}");
    }
    assert!(list.iter().any(|d| d.ends_with("inc")), "{list:?}");
    assert!(list.iter().any(|d| d.ends_with("sys")), "{list:?}");
}

#[test]
fn print_prog_name_names_the_wasm_tools() {
    let Some(tc) = toolchain("print_prog_name_names_the_wasm_tools") else {
        return;
    };
    let driver = Driver::new(tc);
    let dir = std::env::temp_dir();
    for (tool, want) in [
        ("ld", "wasm-ld"),
        ("ar", "llvm-ar"),
        ("nm", "llvm-nm"),
        ("ranlib", "llvm-ranlib"),
    ] {
        let flag = format!("-print-prog-name={tool}");
        let out = cc(&driver, &dir, &[&flag]);
        assert!(out.status.success());
        let answer = String::from_utf8_lossy(&out.stdout).trim().to_string();
        let name = Path::new(&answer)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        assert!(
            name.starts_with(want),
            "{flag} answered {answer}, not a {want}"
        );
    }
}
