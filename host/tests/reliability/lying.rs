//! Side modules that lie about their layout.
//!
//! - A `dylink.0` MEM_INFO smaller than the data or element segments it comes with, or segments
//!   at fixed addresses: instantiating such a module wrote over the program's heap (a 4-byte
//!   block with 4 KiB of data: the allocator's next `free` faulted at 0x41414149) or over
//!   another library's table slots, and `dlopen` succeeded. Each is now refused from its bytes,
//!   before anything is allocated, with the segment and the block it leaves named.

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
