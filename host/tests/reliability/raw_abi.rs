//! The raw `wasi_dl` imports (`wasi_dl/wasi_dl.h`) called by a C program with everything a
//! buggy or malicious guest can pass: pointers and lengths outside its memory, misaligned
//! output pointers, forged, closed and special handles, bytes that are not UTF-8, unknown flag
//! bits. Each call must return the right errno with a sensible `last_error` text, never trap,
//! and leave nothing behind.

use crate::both_modes;
use crate::common::*;

const PROGRAM: &str = r#"
#include <wasi_dl/wasi_dl.h>

static char text[300];
static uint32_t text_len;

/* Prints the call's errno and the host's message. */
static void show(const char *what, __wasi_dl_errno_t e) {
    uint32_t len = 0;
    __wasi_dl_errno_t rc = __wasi_dl_last_error((uint8_t *)text, sizeof text, &len);
    text_len = len;
    if (len > sizeof text) len = sizeof text;
    printf("%s errno=%u rc=%u loaded=%d text=%.*s\n", what, e, rc, host_loaded(), (int)len, text);
}

#define BAD ((void *)0xfffffff0u)

int main(int argc, char **argv) {
    const char *lib = argv[1];
    size_t lib_len = strlen(lib);
    __wasi_dl_handle_t h = 0, h2 = 0;
    __wasi_dl_symbol_kind_t kind = 0;
    uint32_t value = 0;
    static uint32_t words[4];
    uint8_t *unaligned = (uint8_t *)words + 1;
    char state0[64], state1[64];
    heap_probe(state0, sizeof state0);

    /* watch: where the host keeps the loader generation (checked at the end) */
    static uint64_t generation = 12345;
    show("watch-oob", __wasi_dl_watch(BAD));
    show("watch-unaligned", __wasi_dl_watch((void *)unaligned));
    show("watch-ok", __wasi_dl_watch(&generation));
    show("runpath-oob", __wasi_dl_program_runpath(BAD, 20));
    show("runpath-ok", __wasi_dl_program_runpath("/nowhere", 8));
    printf("watch-stored %d\n", generation != 12345);

    /* open */
    show("open-path-oob", __wasi_dl_open(BAD, 100, 2, 0, &h));
    show("open-path-wraps", __wasi_dl_open((void *)0xffffff00u, 0x200, 2, 0, &h));
    show("open-len-huge", __wasi_dl_open(lib, 0x7fffffff, 2, 0, &h));
    show("open-len-max", __wasi_dl_open(lib, 0xffffffff, 2, 0, &h));
    show("open-out-oob", __wasi_dl_open(lib, lib_len, 2, 0, BAD));
    show("open-out-unaligned", __wasi_dl_open(lib, lib_len, 2, 0, (void *)unaligned));
    show("open-not-utf8", __wasi_dl_open("/lib/\xff\xfe.so", 9, 2, 0, &h));
    show("open-nul", __wasi_dl_open("/lib/a\0b.so", 11, 2, 0, &h));
    show("open-flags", __wasi_dl_open(lib, lib_len, 0x80000000u, 0, &h));
    show("open-flags-2000", __wasi_dl_open(lib, lib_len, 0x2002, 0, &h));
    show("open-caller-oob", __wasi_dl_open(lib, lib_len, 2, 0xfffffff0u, &h));
    show("close-caller-oob", __wasi_dl_close(h));
    show("open-dir", __wasi_dl_open("/lib", 4, 2, 0, &h));
    h = 0;
    show("open-ok", __wasi_dl_open(lib, lib_len, 2, 0, &h));
    printf("handle-nonzero %d\n", h != 0 && h != 1 && h != 0xffffffffu);

    /* sym */
    show("sym-name-oob", __wasi_dl_sym(h, BAD, 50, 0, &kind, &value));
    show("sym-name-len", __wasi_dl_sym(h, "good_fn", 0x10000000, 0, &kind, &value));
    show("sym-kind-oob", __wasi_dl_sym(h, "good_fn", 7, 0, BAD, &value));
    show("sym-value-oob", __wasi_dl_sym(h, "good_fn", 7, 0, &kind, BAD));
    show("sym-value-unaligned", __wasi_dl_sym(h, "good_fn", 7, 0, &kind, (void *)unaligned));
    show("sym-not-utf8", __wasi_dl_sym(h, "\xc3\x28", 2, 0, &kind, &value));
    show("sym-forged", __wasi_dl_sym(0x12345, "good_fn", 7, 0, &kind, &value));
    show("sym-handle-2", __wasi_dl_sym(2, "good_fn", 7, 0, &kind, &value));
    show("sym-missing", __wasi_dl_sym(h, "no_such_symbol", 14, 0, &kind, &value));
    show("sym-empty", __wasi_dl_sym(h, "", 0, 0, &kind, &value));
    value = 0;
    show("sym-ok", __wasi_dl_sym(h, "good_fn", 7, 0, &kind, &value));
    printf("sym-ok-value %d kind %u\n", value != 0, kind);
    uint32_t fn_value = value;
    /* The same bad pointers for a symbol the loader now answers without a lookup. */
    show("sym-known-name-oob", __wasi_dl_sym(h, BAD, 50, 0, &kind, &value));
    show("sym-known-kind-oob", __wasi_dl_sym(h, "good_fn", 7, 0, BAD, &value));
    show("sym-known-value-oob", __wasi_dl_sym(h, "good_fn", 7, 0, &kind, BAD));
    show("sym-known-value-unaligned", __wasi_dl_sym(h, "good_fn", 7, 0, &kind, (void *)unaligned));
    show("sym-known-value-at-end", __wasi_dl_sym(h, "good_fn", 7, 0, &kind, (void *)0xfffffffcu));
    show("sym-next-caller-oob", __wasi_dl_sym(0xffffffffu, "good_fn", 7, 0xfffffff0u, &kind, &value));
    show("sym-default", __wasi_dl_sym(0, "good_fn", 7, 0, &kind, &value));

    /* addr */
    __wasi_dl_addr_info_t info;
    uint8_t name[64], sym[64];
    show("addr-zero", __wasi_dl_addr(0, name, sizeof name, sym, sizeof sym, &info));
    show("addr-info-oob", __wasi_dl_addr(fn_value, name, sizeof name, sym, sizeof sym, BAD));
    show("addr-name-oob", __wasi_dl_addr(fn_value, BAD, 64, sym, sizeof sym, &info));
    show("addr-name-len", __wasi_dl_addr(fn_value, name, 0xffffffff, sym, sizeof sym, &info));
    show("addr-nowhere", __wasi_dl_addr(0xfffffff0u, name, sizeof name, sym, sizeof sym, &info));
    show("addr-ok", __wasi_dl_addr(fn_value, name, 0, sym, 0, &info));
    printf("addr-ok-lengths %u %u\n", info.name_len, info.symbol_name_len);

    /* last_error itself */
    __wasi_dl_errno_t e;
    uint32_t len = 0;
    e = __wasi_dl_last_error(BAD, 100, &len);
    show("last-error-buf-oob", e);
    e = __wasi_dl_last_error((uint8_t *)text, sizeof text, BAD);
    show("last-error-len-oob", e);
    len = 12345;
    e = __wasi_dl_last_error((uint8_t *)text, 0, &len);
    printf("last-error-zero-buf errno=%u len-matches=%d\n", e, len == text_len);
    e = __wasi_dl_last_error((uint8_t *)text, 0xffffffffu, &len);
    printf("last-error-huge-buf errno=%u len-matches=%d\n", e, len == text_len);

    /* close */
    show("close-forged", __wasi_dl_close(0x12345));
    show("close-default", __wasi_dl_close(0));
    show("close-next", __wasi_dl_close(0xffffffffu));
    show("close-program", __wasi_dl_close(1));
    show("open-again", __wasi_dl_open(lib, lib_len, 2, 0, &h2));
    printf("same-handle %d\n", h2 == h);
    show("close-1", __wasi_dl_close(h));
    show("close-2", __wasi_dl_close(h));
    show("close-3", __wasi_dl_close(h));
    show("sym-closed", __wasi_dl_sym(h, "good_fn", 7, 0, &kind, &value));
    uint64_t g_before = generation;
    show("open-3", __wasi_dl_open(lib, lib_len, 2, 0, &h2));
    printf("new-handle %d\n", h2 != h);
    uint64_t g_opened = generation;
    __wasi_dl_sym(h2, "good_fn", 7, 0, &kind, &value);
    __wasi_dl_sym(h2, "no_such_symbol", 14, 0, &kind, &value);
    uint64_t g_looked_up = generation;
    show("close-new", __wasi_dl_close(h2));
    printf("generation open-moves %d sym-keeps %d close-moves %d\n", g_opened > g_before,
           g_looked_up == g_opened, generation > g_looked_up);
    heap_probe(state1, sizeof state1);
    printf("heap-same %d\n", strcmp(state0, state1) == 0);
    return 0;
}
"#;

/// (line, errno, words the message must contain, libraries loaded after the call).
/// Errnos: 1 FAULT, 2 INVAL, 5 BADF, 6 NOSYM, 12 IO.
const EXPECT: &[(&str, u32, &[&str], u32)] = &[
    ("watch-oob", 1, &["generation pointer"], 0),
    ("watch-unaligned", 1, &["generation pointer", "align"], 0),
    ("watch-ok", 0, &[], 0),
    (
        "runpath-oob",
        1,
        &["invalid argument from the program: run path"],
        0,
    ),
    ("runpath-ok", 0, &[], 0),
    (
        "open-path-oob",
        1,
        &["invalid argument from the program: library name"],
        0,
    ),
    ("open-path-wraps", 1, &["library name"], 0),
    ("open-len-huge", 1, &["library name"], 0),
    ("open-len-max", 1, &["library name"], 0),
    ("open-out-oob", 1, &["handle pointer"], 0),
    ("open-out-unaligned", 1, &["handle pointer", "align"], 0),
    ("open-not-utf8", 1, &["library name", "UTF-8"], 0),
    ("open-nul", 2, &["contains a NUL byte"], 0),
    ("open-flags", 2, &["unknown flag bits"], 0),
    ("open-flags-2000", 2, &["unknown flag bits"], 0),
    ("open-caller-oob", 0, &[], 1),
    ("close-caller-oob", 0, &[], 0),
    (
        "open-dir",
        12,
        &["/lib: cannot read file data: Is a directory"],
        0,
    ),
    ("open-ok", 0, &[], 1),
    ("sym-name-oob", 1, &["symbol name"], 1),
    ("sym-name-len", 1, &["symbol name"], 1),
    ("sym-kind-oob", 1, &["symbol kind pointer"], 1),
    ("sym-value-oob", 1, &["symbol value pointer"], 1),
    (
        "sym-value-unaligned",
        1,
        &["symbol value pointer", "align"],
        1,
    ),
    ("sym-not-utf8", 1, &["symbol name", "UTF-8"], 1),
    (
        "sym-forged",
        5,
        &["invalid handle 0x12345: not a handle returned by dlopen"],
        1,
    ),
    (
        "sym-handle-2",
        5,
        &["invalid handle 0x2: not a handle returned by dlopen"],
        1,
    ),
    ("sym-missing", 6, &["undefined symbol: no_such_symbol"], 1),
    ("sym-empty", 6, &["undefined symbol: "], 1),
    ("sym-ok", 0, &[], 1),
    ("sym-known-name-oob", 1, &["symbol name"], 1),
    ("sym-known-kind-oob", 1, &["symbol kind pointer"], 1),
    ("sym-known-value-oob", 1, &["symbol value pointer"], 1),
    (
        "sym-known-value-unaligned",
        1,
        &["symbol value pointer", "align"],
        1,
    ),
    ("sym-known-value-at-end", 1, &["symbol value pointer"], 1),
    (
        "sym-next-caller-oob",
        6,
        &["main: undefined symbol: good_fn"],
        1,
    ),
    ("sym-default", 6, &["main: undefined symbol: good_fn"], 1),
    (
        "addr-zero",
        6,
        &["address 0x0 is not inside any loaded module"],
        1,
    ),
    ("addr-info-oob", 1, &["info pointer"], 1),
    ("addr-name-oob", 1, &["name buffer"], 1),
    ("addr-name-len", 0, &[], 1),
    (
        "addr-nowhere",
        6,
        &["0xfffffff0 is not inside any loaded module"],
        1,
    ),
    ("addr-ok", 0, &[], 1),
    ("last-error-buf-oob", 1, &["error buffer"], 1),
    ("last-error-len-oob", 1, &["error length pointer"], 1),
    (
        "close-forged",
        5,
        &["invalid handle 0x12345: not a handle returned by dlopen"],
        1,
    ),
    ("close-default", 5, &["invalid handle 0x0"], 1),
    ("close-next", 5, &["invalid handle 0xffffffff"], 1),
    ("close-program", 0, &[], 1),
    ("open-again", 0, &[], 1),
    ("close-1", 0, &[], 1),
    ("close-2", 0, &[], 0),
    ("close-3", 5, &["already closed"], 0),
    ("sym-closed", 5, &["already closed"], 0),
    ("open-3", 0, &[], 1),
    ("close-new", 0, &[], 0),
];

both_modes! {
fn raw_imports_reject_bad_arguments() {
    let program = build_program("raw_abi", &format!("{PROLOGUE_C}{PROGRAM}"));
    let good = build_library("good", crate::hostile::GOOD_C);
    let tmp = temp_dir();
    std::fs::copy(&good, tmp.path().join("good.so")).unwrap();
    std::fs::create_dir(tmp.path().join("sub")).unwrap();
    // (Without instance reuse, so that the heap is exactly as before at the end.)
    let out = run(Run::new(&program)
        .args(["/lib/good.so"])
        .dir(tmp.path(), "/lib")
        .dl(|b| b.limits(no_reuse())))
    .success();
    assert_eq!(out.loaded_after, 0, "{}", out.stdout);

    let mut problems = Vec::new();
    let lines: Vec<&str> = out.stdout.lines().collect();
    for &(what, errno, words, loaded) in EXPECT {
        let Some(line) = lines.iter().find(|l| l.split(' ').next() == Some(what)) else {
            problems.push(format!("{what}: no output"));
            continue;
        };
        if field(line, "errno") != errno.to_string() {
            problems.push(format!("{what}: expected errno {errno}: {line}"));
        }
        // last_error itself worked, and a failure has a message that says what was wrong.
        if field(line, "rc") != "0" {
            problems.push(format!("{what}: last_error failed: {line}"));
        }
        let text = line.split_once(" text=").map_or("", |(_, t)| t);
        if errno != 0 && text.is_empty() {
            problems.push(format!("{what}: no message"));
        }
        for w in words {
            if !text.contains(w) {
                problems.push(format!("{what}: message lacks {w:?}: {text}"));
            }
        }
        if field(line, "loaded") != loaded.to_string() {
            problems.push(format!(
                "{what}: expected {loaded} libraries loaded: {line}"
            ));
        }
    }
    for flag in [
        "handle-nonzero 1",
        "sym-ok-value 1 kind 0",
        "same-handle 1",
        "new-handle 1",
        "heap-same 1",
        "watch-stored 1",
        "generation open-moves 1 sym-keeps 1 close-moves 1",
        "last-error-zero-buf errno=0 len-matches=1",
        "last-error-huge-buf errno=0 len-matches=1",
    ] {
        if !lines.contains(&flag) {
            problems.push(format!("missing line {flag:?}"));
        }
    }
    assert!(
        problems.is_empty(),
        "{}\n--- output\n{}",
        problems.join("\n"),
        out.stdout
    );
}
}
