//! Side modules that lie about their layout, or keep state a revived instance would bring back.
//!
//! - A `dylink.0` MEM_INFO smaller than the data or element segments it comes with, or segments
//!   at fixed addresses: instantiating such a module wrote over the program's heap (a 4-byte
//!   block with 4 KiB of data: the allocator's next `free` faulted at 0x41414149) or over
//!   another library's table slots, and `dlopen` succeeded. Each is now refused from its bytes,
//!   before anything is allocated, with the segment and the block it leaves named.
//! - A closed library is parked and revived on the next `dlopen` of the same module (see
//!   `loader::reuse`); a module whose functions change its own mutable globals, or that drops a
//!   passive element segment, came back with its earlier life's state (a constructor's counter
//!   kept counting; `table.init` of a dropped segment trapped). Such modules are now never
//!   parked: each `dlopen` gets a fresh instance, as natively.

use std::path::PathBuf;

use crate::both_modes;
use crate::common::*;
use crate::hostile::GOOD_C;

fn module(body: &str) -> String {
    format!("(module {PROLOGUE}\n{body})")
}

/// `lying GOOD PATH...`: loads GOOD, then each PATH twice, printing the result, the program's
/// state before and after, and whether GOOD's data is intact.
fn probe_program() -> PathBuf {
    build_program(
        "lying_probe",
        &format!(
            "{PROLOGUE_C}{}",
            r#"
int main(int argc, char **argv) {
    void *good = dlopen(argv[1], RTLD_NOW);
    if (!good) {
        printf("good library: %s\n", dlerror());
        return 1;
    }
    int (*good_check)(void) = (int (*)(void))dlsym(good, "good_check");
    for (int i = 2; i < argc; i++) {
        printf("case %s\n", argv[i]);
        state("before");
        for (int attempt = 0; attempt < 2; attempt++) {
            void *h = dlopen(argv[i], RTLD_NOW);
            if (h) {
                printf("result %s\n", dlclose(h) == 0 ? "ok" : dlerror());
            } else {
                const char *e = dlerror();
                printf("result NULL %s\n", e ? e : "(no dlerror)");
                dlerror(); /* frees the text */
            }
            state("after");
        }
        printf("good %d\n", good_check());
    }
    return 0;
}
"#
        ),
    )
}

/// The cases: file, module, and the start of the expected `dlerror()` text (`None`: it loads).
/// The texts end before the byte offset, which depends on the encoding.
fn layout_cases() -> Vec<(&'static str, Vec<u8>, Option<&'static str>)> {
    let a4k = "A".repeat(4096);
    vec![
        (
            "data-past-block.so",
            side_module(
                &Dylink::new().mem_info(4, 0, 0, 0),
                &module(&format!(r#"(data (global.get $mb) "{a4k}")"#)),
            ),
            Some(
                "/lib/data-past-block.so: malformed side module: data segment 0 (4096 bytes at \
                 __memory_base + 0) runs past the 4-byte data block its dylink.0 MEM_INFO asks \
                 for (at byte offset ",
            ),
        ),
        (
            "data-no-meminfo.so",
            side_module(
                &Dylink::new(),
                &module(r#"(data (i32.add (global.get $mb) (i32.const 16)) "12345678")"#),
            ),
            Some(
                "/lib/data-no-meminfo.so: malformed side module: data segment 0 (8 bytes at \
                 __memory_base + 16) runs past the 0-byte data block",
            ),
        ),
        (
            "data-second-segment.so",
            side_module(
                &Dylink::new().mem_info(16, 0, 0, 0),
                &module(
                    r#"(data (global.get $mb) "ok")
                       (data (i32.add (global.get $mb) (i32.const 12)) "12345678")"#,
                ),
            ),
            Some(
                "/lib/data-second-segment.so: malformed side module: data segment 1 (8 bytes at \
                 __memory_base + 12) runs past the 16-byte data block",
            ),
        ),
        (
            "data-fixed.so",
            side_module(
                &Dylink::new().mem_info(64, 0, 0, 0),
                &module(r#"(data (i32.const 1024) "AAAA")"#),
            ),
            Some(
                "/lib/data-fixed.so: malformed side module: data segment 0 (4 bytes) is not \
                 placed at __memory_base: a side module may only write its own data block",
            ),
        ),
        (
            "elem-past-slots.so",
            side_module(
                &Dylink::new().mem_info(0, 0, 1, 0),
                &module("(func $f) (elem (global.get $tb) func $f $f $f $f)"),
            ),
            Some(
                "/lib/elem-past-slots.so: malformed side module: element segment 0 (4 entries \
                 at __table_base + 0) runs past the 1 table slots its dylink.0 MEM_INFO asks for",
            ),
        ),
        (
            "elem-fixed.so",
            side_module(
                &Dylink::new().mem_info(0, 0, 1, 0),
                &module("(func $f) (elem (i32.const 1) func $f)"),
            ),
            Some(
                "/lib/elem-fixed.so: malformed side module: element segment 0 (1 entries) is \
                 not placed at __table_base: a side module may only fill its own table slots",
            ),
        ),
        // The program's memory or table imported a second time: the first import still counts.
        (
            "data-second-import.so",
            side_module(
                &Dylink::new().mem_info(64, 0, 0, 0),
                &module(
                    r#"(import "env" "memory" (memory $again 0))
                       (data (memory 0) (i32.const 1024) "AAAA")"#,
                ),
            ),
            Some(
                "/lib/data-second-import.so: malformed side module: data segment 0 (4 bytes) is \
                 not placed at __memory_base",
            ),
        ),
        (
            "elem-second-import.so",
            side_module(
                &Dylink::new().mem_info(0, 0, 1, 0),
                &module(
                    r#"(import "env" "__indirect_function_table" (table $again 0 funcref))
                       (func $f) (elem (table 0) (i32.const 1) func $f)"#,
                ),
            ),
            Some(
                "/lib/elem-second-import.so: malformed side module: element segment 0 (1 \
                 entries) is not placed at __table_base",
            ),
        ),
        // Segments of a memory the module defines itself are its own business.
        (
            "own-memory-data.so",
            side_module(
                &Dylink::new().mem_info(4, 0, 1, 0),
                &module(
                    r#"(memory $own 1) (data (memory $own) (i32.const 100) "anywhere")
                       (data (global.get $mb) "four")
                       (func $f) (elem (global.get $tb) func $f)"#,
                ),
            ),
            None,
        ),
    ]
}

both_modes! {
/// Segments outside the block MEM_INFO asks for are refused, and nothing is written.
fn segments_outside_their_block_are_refused() {
    let good = build_library("lying_good", GOOD_C);
    let dir = temp_dir();
    std::fs::copy(&good, dir.path().join("good.so")).unwrap();
    let cases = layout_cases();
    let mut args = vec!["/lib/good.so".to_string()];
    for (file, bytes, _) in &cases {
        std::fs::write(dir.path().join(file), bytes).unwrap();
        args.push(format!("/lib/{file}"));
    }
    let out = run(Run::new(&probe_program())
        .args(args)
        .dir(dir.path(), "/lib")
        .dl(|b| b.limits(no_reuse())))
    .success();
    let lines: Vec<&str> = out.stdout.lines().collect();
    for (file, _, expect) in &cases {
        let at = lines
            .iter()
            .position(|l| *l == format!("case /lib/{file}"))
            .unwrap_or_else(|| panic!("{file}: no output\n{}", out.stdout));
        let before = state_of(lines[at + 1]);
        for attempt in 0..2 {
            let result = lines[at + 2 + 2 * attempt];
            match expect {
                Some(text) => assert!(
                    result.starts_with(&format!("result NULL {text}")),
                    "{file}: {result}\nexpected: {text}"
                ),
                None => assert_eq!(result, "result ok", "{file}"),
            }
            let after = state_of(lines[at + 3 + 2 * attempt]);
            // A library that loads keeps the table slot it added (a table never shrinks): its
            // second load must change nothing more.
            let before = match (expect, attempt) {
                (None, 1) => state_of(lines[at + 3]),
                (None, _) => after,
                _ => before,
            };
            assert_eq!(after, before, "{file}: state changed");
        }
        assert_eq!(lines[at + 6], "good 1", "{file}: the good library's data changed");
    }
}
}

/// What wasm-ld writes for a library with GOT entries of its own symbols: mutable globals set
/// by `__wasm_apply_global_relocs`, which the start function calls. Reviving keeps them right.
fn relocs_global_lib() -> Vec<u8> {
    side_module(
        &Dylink::new().mem_info(4, 0, 0, 0),
        &module(
            r#"(global $got (mut i32) (i32.const 0))
               (func $relocs (global.set $got (global.get $mb)))
               (func $start (call $relocs))
               (start $start)
               (func (export "work") (param i32) (result i32)
                 (i32.add (local.get 0) (i32.eq (global.get $got) (global.get $mb))))"#,
        ),
    )
}

both_modes! {
/// A revived library is as new, or it is not revived: each `work(j)` must return `j + 1` in
/// every one of the three cycles.
fn a_library_with_state_of_its_own_is_never_revived() {
    let dir = temp_dir();
    let files = [
        // Its constructor counts its runs in a global of its own.
        (
            "counter-global.so",
            side_module(
                &Dylink::new(),
                &module(
                    r#"(global $runs (mut i32) (i32.const 0))
                       (func (export "__wasm_call_ctors")
                         (global.set $runs (i32.add (global.get $runs) (i32.const 1))))
                       (func (export "work") (param i32) (result i32)
                         (i32.add (local.get 0) (global.get $runs)))"#,
                ),
            ),
        ),
        // Its constructor fills its slot from a passive segment, then drops the segment.
        (
            "passive-elem.so",
            side_module(
                &Dylink::new().mem_info(0, 0, 1, 0),
                &module(
                    r#"(type $t (func (result i32)))
                       (func $one (result i32) (i32.const 1))
                       (elem $e func $one)
                       (func (export "__wasm_call_ctors")
                         (table.init $e (global.get $tb) (i32.const 0) (i32.const 1))
                         (elem.drop $e))
                       (func (export "work") (param i32) (result i32)
                         (i32.add (local.get 0) (call_indirect (type $t) (global.get $tb))))"#,
                ),
            ),
        ),
        ("relocs-global.so", relocs_global_lib()),
    ];
    let mut args = Vec::new();
    for (file, bytes) in &files {
        std::fs::write(dir.path().join(file), bytes).unwrap();
        args.push(format!("l:3:3:/lib/{file}"));
    }
    args.push("s".to_string());
    let out = run(Run::new(&script_program()).args(args).dir(dir.path(), "/lib")).success();
    let loops: Vec<&str> = out.stdout.lines().filter(|l| l.starts_with("loop ")).collect();
    assert_eq!(loops.len(), files.len(), "{}", out.stdout);
    for ((file, _), line) in files.iter().zip(&loops) {
        assert!(
            line.starts_with("loop ok=3 failed=0 calls=3 "),
            "{file}: {line}\n{}",
            out.stdout
        );
    }
    // Only the wasm-ld-like library was parked (reuse still works for it).
    let last = out.stdout.lines().last().unwrap_or_default();
    assert_eq!(field(last, "parked"), "1", "{}", out.stdout);
}
}
