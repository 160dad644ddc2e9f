//! A program linked against a side module (`-L. -lfoo`) may use the module's data objects
//! by name (issue 14, item 4): the driver compiles it `-fPIC` and links it with
//! `--unresolved-symbols=import-dynamic`, so they become `GOT.mem` imports; after the link
//! it removes the `dylink.0` section wasm-ld then writes (the output is a program, and
//! `wasi-dl run` tells programs and side modules apart by that section) and warns about
//! imports no side module defines (wasm-ld no longer reports them).

mod common;

use common::*;
use wasi_dl_toolchain::Driver;

const LIB_C: &str = "int foo_count = 41;\nint foo_get(void) { return foo_count; }\n";

const MAIN_C: &str = r#"
extern int foo_count;
int foo_get(void);
int *where = &foo_count;
int main(void) { foo_count++; return foo_get() + *where; }
"#;

const TYPO_C: &str = r#"
extern int foo_count;
extern int foo_cuont;
int foo_gte(void);
int main(void) { return foo_count + foo_cuont + foo_gte(); }
"#;

#[test]
fn a_program_imports_a_linked_librarys_data_and_stays_a_program() {
    let Some(tc) = toolchain("a_program_imports_a_linked_librarys_data_and_stays_a_program") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let tc = with_standin(tc, dir.path());
    let driver = Driver::new(tc);
    write(dir.path(), "libfoo.c", LIB_C);
    write(dir.path(), "main.c", MAIN_C);
    write(dir.path(), "typo.c", TYPO_C);
    cc_in(
        &driver,
        dir.path(),
        &["-shared", "-fPIC", "libfoo.c", "-o", "libfoo.so"],
    );

    let plan = |args: &[&str]| {
        driver
            .clone()
            .current_dir(dir.path())
            .plan(&os(args))
            .unwrap()
    };
    let main = plan(&["main.c", "-L.", "-lfoo", "-o", "main.wasm"]);
    let out = main.command().output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stderr).is_empty(),
        "no warning from wasm-ld: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        inspect(&dir.path().join("main.wasm")).dylink_position,
        Some(0),
        "wasm-ld writes dylink.0 under import-dynamic"
    );
    assert!(main.finish_link().unwrap().is_empty());
    let info = inspect(&dir.path().join("main.wasm"));
    assert_eq!(
        info.dylink_position, None,
        "the program keeps a dylink.0 section"
    );
    assert!(
        info.imports.contains("GOT.mem.foo_count"),
        "{:?}",
        info.imports
    );
    assert!(info.imports.contains("env.foo_get"), "{:?}", info.imports);
    assert!(
        info.exports.contains("__wasm_apply_data_relocs"),
        "{:?}",
        info.exports
    );

    let typo = plan(&["typo.c", "-L.", "-lfoo", "-o", "typo.wasm"]);
    assert!(typo.command().status().unwrap().success());
    let warnings = typo.finish_link().unwrap();
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    assert!(
        warnings[0].contains("undefined symbol: foo_cuont"),
        "{warnings:?}"
    );
    assert!(
        warnings[1].contains("undefined symbol: foo_gte"),
        "{warnings:?}"
    );
}
