//! Side modules built by the driver: dylink.0, exports, imports, NEEDED,
//! RUNTIME_PATH, dlfcn.h in a library, C++.

mod common;

use common::*;
use wasi_dl_toolchain::{Build, Driver, SideOptions};

const LIB_C: &str = r#"
#include <stdio.h>
#include <string.h>
int counter = 7;
const char *greeting = "hi";
int foo(const char *s) { printf("foo %s\n", s); return (int)strlen(s) + counter; }
"#;

#[test]
fn side_module_has_dylink_exports_and_env_imports() {
    let Some(tc) = toolchain("side_module_has_dylink_exports_and_env_imports") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "lib.c", LIB_C);
    cc_in(
        &Driver::new(tc),
        d,
        &["-O2", "-shared", "lib.c", "-o", "libfoo.so"],
    );
    let info = inspect(&d.join("libfoo.so"));
    assert_eq!(
        info.dylink_position,
        Some(0),
        "dylink.0 must be the first section"
    );
    for e in [
        "foo",
        "counter",
        "greeting",
        "__wasm_call_ctors",
        "__wasm_apply_data_relocs",
    ] {
        assert!(
            info.exports.contains(e),
            "libfoo.so does not export {e}: {:?}",
            info.exports
        );
    }
    for i in [
        "env.memory",
        "env.__indirect_function_table",
        "env.__stack_pointer",
        "env.__memory_base",
        "env.printf",
        "env.strlen",
    ] {
        if i == "env.__indirect_function_table" && !info.imports.contains(i) {
            continue; // only imported when the module takes function addresses
        }
        assert!(
            info.imports.contains(i),
            "libfoo.so does not import {i}: {:?}",
            info.imports
        );
    }
    assert!(
        info.imports
            .iter()
            .all(|i| !i.starts_with("wasi_snapshot_preview1.")),
        "libc was linked in"
    );
}

/// `libbar.so` built in `d`, and `baz.c` (which calls its `bar`) next to it, for the NEEDED
/// tests to link against it.
fn bar_and_baz(driver: &Driver, d: &std::path::Path) {
    write(d, "bar.c", "int bar(int x) { return x + 1; }\n");
    write(
        d,
        "baz.c",
        "int bar(int);\nint baz(int x) { return bar(x) * 2; }\n",
    );
    cc_in(driver, d, &["-shared", "bar.c", "-o", "libbar.so"]);
}

#[test]
fn needed_from_l_flags_and_from_build_api() {
    let Some(tc) = toolchain("needed_from_l_flags_and_from_build_api") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let driver = Driver::new(tc.clone());
    bar_and_baz(&driver, d);
    // -ldl and -lpthread are accepted (and ignored) next to the real -lbar.
    cc_in(
        &driver,
        d,
        &[
            "-shared",
            "baz.c",
            "-L.",
            "-lbar",
            "-ldl",
            "-lpthread",
            "-o",
            "libbaz.so",
        ],
    );
    let info = inspect(&d.join("libbaz.so"));
    assert_eq!(info.needed, vec!["libbar.so".to_string()]);
    assert!(info.imports.contains("env.bar"));

    let build = Build::with_toolchain(tc);
    let opts = SideOptions {
        needs: vec![d.join("libbar.so")],
        ..Default::default()
    };
    build
        .side_module(&[&d.join("baz.c")], &d.join("libbaz2.so"), &opts)
        .unwrap();
    assert_eq!(
        inspect(&d.join("libbaz2.so")).needed,
        vec!["libbar.so".to_string()]
    );
}

#[test]
fn rpath_becomes_runtime_path() {
    let Some(tc) = toolchain("rpath_becomes_runtime_path") else {
        return;
    };
    if let Err(e) = tc.rpath_linker() {
        eprintln!("SKIPPED rpath_becomes_runtime_path: {e:#}");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let driver = Driver::new(tc.clone());
    bar_and_baz(&driver, d);
    cc_in(
        &driver,
        d,
        &[
            "-shared",
            "baz.c",
            "-L.",
            "-lbar",
            "-Wl,-rpath,$ORIGIN",
            "-Wl,-rpath,$ORIGIN/../lib",
            "-o",
            "libbaz.so",
        ],
    );
    let info = inspect(&d.join("libbaz.so"));
    assert_eq!(
        info.runtime_path,
        vec!["$ORIGIN".to_string(), "$ORIGIN/../lib".to_string()]
    );
    assert_eq!(info.needed, vec!["libbar.so".to_string()]);

    // clang's own spelling, and the Build API.
    cc_in(
        &driver,
        d,
        &[
            "-shared",
            "baz.c",
            "-rpath",
            "/opt/libs",
            "-o",
            "libbaz2.so",
        ],
    );
    assert_eq!(
        inspect(&d.join("libbaz2.so")).runtime_path,
        vec!["/opt/libs".to_string()]
    );
    let opts = SideOptions {
        rpath: vec!["$ORIGIN/plugins".into()],
        ..Default::default()
    };
    Build::with_toolchain(tc)
        .side_module(&[&d.join("baz.c")], &d.join("libbaz3.so"), &opts)
        .unwrap();
    assert_eq!(
        inspect(&d.join("libbaz3.so")).runtime_path,
        vec!["$ORIGIN/plugins".to_string()]
    );
}

#[test]
fn side_module_can_use_dlfcn_h() {
    let Some(tc) = toolchain("side_module_can_use_dlfcn_h") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "plug.c",
        "#include <dlfcn.h>\n#include <stdio.h>\nvoid *load(const char *n) {\n  void *h = dlopen(n, RTLD_NOW);\n  if (!h) printf(\"%s\\n\", dlerror());\n  return h ? dlsym(h, \"f\") : 0;\n}\n",
    );
    // -lc is ignored for a side module (linking wasi-libc's non-PIC objects fails).
    cc_in(
        &Driver::new(tc),
        d,
        &["-shared", "plug.c", "-lc", "-o", "libplug.so"],
    );
    let info = inspect(&d.join("libplug.so"));
    assert!(
        info.imports.contains("env.__wasi_dl_open_from"),
        "{:?}",
        info.imports
    );
    assert!(
        info.imports.contains("env.__wasi_dl_sym_from"),
        "{:?}",
        info.imports
    );
    assert!(info.exports.contains("load"));
}

#[test]
fn side_module_drops_wasi_emulation_libraries() {
    let Some(tc) = toolchain("side_module_drops_wasi_emulation_libraries") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "emu.c",
        "#define _WASI_EMULATED_MMAN\n#include <sys/mman.h>\nvoid *map(void) {\n  return mmap(0, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);\n}\n",
    );
    // The archive is not PIC: linked in, it would fail; the program exports mmap instead.
    cc_in(
        &Driver::new(tc),
        d,
        &[
            "-shared",
            "-fPIC",
            "emu.c",
            "-lwasi-emulated-mman",
            "-o",
            "libemu.so",
        ],
    );
    let info = inspect(&d.join("libemu.so"));
    assert!(info.imports.contains("env.mmap"), "{:?}", info.imports);
}

#[test]
fn cxx_side_module_with_global_constructor() {
    let Some(tc) = toolchain("cxx_side_module_with_global_constructor") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "g.cpp",
        r#"extern "C" int printf(const char *, ...);
struct Greeter { int v; Greeter() : v(42) { printf("ctor\n"); } ~Greeter() { printf("dtor\n"); } };
static Greeter greeter;
extern "C" int greeter_value() { return greeter.v; }
"#,
    );
    cc_in(
        &Driver::new(tc).cxx(true),
        d,
        &[
            "-O2",
            "-fno-exceptions",
            "-shared",
            "g.cpp",
            "-o",
            "libg.so",
        ],
    );
    let info = inspect(&d.join("libg.so"));
    assert_eq!(info.dylink_position, Some(0));
    assert!(info.exports.contains("greeter_value"));
    assert!(info.exports.contains("__wasm_call_ctors"));
    assert!(
        info.imports.contains("env.__cxa_atexit"),
        "the destructor is registered at load: {:?}",
        info.imports
    );
}

/// A library linked with `-Wl,-soname,NAME` is recorded as NEEDED by NAME, as ELF linkers do
/// (wasm-ld alone records the file name it was given), whether found by `-l` or given as a
/// path (CMake's `sub/libx.so`); a program's start-up list names it so too. Without a SONAME
/// the file name stays.
#[test]
fn soname_is_what_needed_records() {
    let Some(tc) = toolchain("soname_is_what_needed_records") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let driver = Driver::new(with_standin(tc, d));
    write(d, "x.c", "int x(void) { return 1; }\n");
    write(d, "y.c", "int x(void);\nint y(void) { return x(); }\n");
    write(d, "m.c", "int y(void);\nint main(void) { return y(); }\n");
    std::fs::create_dir(d.join("sub")).unwrap();
    cc_in(
        &driver,
        d,
        &["-shared", "x.c", "-Wl,-soname,libx.so.1", "-o", "libx.so"],
    );
    cc_in(
        &driver,
        d,
        &[
            "-shared",
            "x.c",
            "-Wl,-soname,libsx.so.2",
            "-o",
            "sub/libsx.so",
        ],
    );
    cc_in(&driver, d, &["-shared", "x.c", "-o", "libplain.so"]);

    cc_in(
        &driver,
        d,
        &["-shared", "y.c", "-L.", "-lx", "-o", "liby1.so"],
    );
    assert_eq!(inspect(&d.join("liby1.so")).needed, vec!["libx.so.1"]);
    cc_in(
        &driver,
        d,
        &["-shared", "y.c", "sub/libsx.so", "-o", "liby2.so"],
    );
    assert_eq!(inspect(&d.join("liby2.so")).needed, vec!["libsx.so.2"]);
    cc_in(
        &driver,
        d,
        &["-shared", "y.c", "-L.", "-lplain", "-o", "liby3.so"],
    );
    assert_eq!(inspect(&d.join("liby3.so")).needed, vec!["libplain.so"]);

    let inv = driver
        .clone()
        .current_dir(d)
        .plan(&os(&[
            "m.c",
            "sub/libsx.so",
            "-L.",
            "-lx",
            "libplain.so",
            "-o",
            "m.wasm",
        ]))
        .unwrap();
    let list = inv
        .args()
        .iter()
        .map(std::path::PathBuf::from)
        .find(|a| a.extension().is_some_and(|e| e == "c") && a.starts_with(d.join("cache")))
        .expect("the start-up list is on the link line");
    let text = std::fs::read_to_string(list).unwrap();
    assert!(
        text.contains(r#"{"libsx.so.2", "libx.so.1", "libplain.so", 0}"#),
        "{text}"
    );
}
