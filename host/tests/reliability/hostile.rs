//! The hostile-module corpus: modules a guest might try to load (broken, malicious or merely
//! strange), generated here, loaded one after another by one C program. For each one the
//! program prints its state before and after (table size, memory size, where the allocator
//! puts three blocks, the stack pointer, the loader's count of libraries) and the dlopen
//! result. Every case must give NULL with a precise dlerror (or load, where loading is right),
//! leave the state exactly as it was, and leave a library loaded earlier working.

use std::path::Path;

use crate::both_modes;
use crate::common::*;

/// The program: `probe GOOD [MODE:]PATH...`.
fn probe_program() -> std::path::PathBuf {
    let source = format!(
        "{PROLOGUE_C}{}",
        r#"
int main(int argc, char **argv) {
    printf("start\n");
    void *good = dlopen(argv[1], RTLD_NOW | RTLD_GLOBAL);
    if (!good) {
        printf("good library: %s\n", dlerror());
        return 1;
    }
    int (*good_fn)(int) = (int (*)(int))dlsym(good, "good_fn");
    int (*good_check)(void) = (int (*)(void))dlsym(good, "good_check");
    for (int i = 2; i < argc; i++) {
        const char *path = argv[i];
        int mode = RTLD_NOW;
        if (strncmp(path, "lazy:", 5) == 0) {
            mode = RTLD_LAZY;
            path += 5;
        }
        printf("case %s\n", argv[i]);
        state("before");
        /* Twice: a failure must leave everything as it was, so the second attempt must fail
         * the same way and change nothing further. */
        for (int attempt = 0; attempt < 2; attempt++) {
            void *h = dlopen(path, mode);
            if (h) {
                int closed = dlclose(h);
                printf("result ok%s%s\n", closed ? ", dlclose failed: " : "", closed ? dlerror() : "");
            } else {
                const char *e = dlerror();
                printf("result NULL %s\n", e ? e : "(no dlerror)");
                dlerror(); /* frees the text */
            }
            state("after");
        }
        printf("good %d %d\n", good_fn(i), good_check());
    }
    dlclose(good);
    state("end");
    return 0;
}
"#
    );
    build_program("hostile_probe", &source)
}

/// A healthy library, loaded first; it must keep working whatever happens after.
pub const GOOD_C: &str = r#"
#include <stdio.h>
#include <stdlib.h>
static int pattern[256];
__attribute__((constructor)) static void init(void) {
    for (int i = 0; i < 256; i++) pattern[i] = i * 7 + 1;
}
int good_fn(int x) {
    char buf[32];
    snprintf(buf, sizeof buf, "%d", x * 2);
    return atoi(buf);
}
int good_check(void) {
    for (int i = 0; i < 256; i++)
        if (pattern[i] != i * 7 + 1) return 0;
    return 1;
}
"#;

/// A constructor with a stack frame that traps: the program's stack pointer must be put back.
const CTOR_STACK_TRAP_C: &str = r#"
/* The buffer's address escapes into another function: the frame is on the shadow stack, and
 * the prologue moves __stack_pointer down (the epilogue that moves it back never runs). */
__attribute__((noinline)) void fill(char *p, int n) {
    for (int i = 0; i < n; i++) p[i] = (char)i;
}
__attribute__((constructor)) static void init(void) {
    char buf[512];
    fill(buf, sizeof buf);
    if (buf[3] == 3) __builtin_trap();
}
int never(void) { return 1; }
"#;

enum Expect {
    Ok,
    /// NULL, and dlerror contains every one of these.
    Fail(&'static [&'static str]),
}

struct Case {
    file: String,
    bytes: Option<Vec<u8>>,
    arg: String,
    expect: Expect,
    /// Table slots a failed attempt may add: a wasm table cannot shrink, so slots reserved for
    /// a library that fails after they were added (its instantiation traps) stay in the table,
    /// free; the second attempt must reuse them.
    grow: u64,
}

fn case(file: &str, bytes: Vec<u8>, expect: Expect) -> Case {
    Case {
        file: file.into(),
        bytes: Some(bytes),
        arg: format!("/lib/{file}"),
        expect,
        grow: 0,
    }
}

fn arg_case(arg: &str, expect: Expect) -> Case {
    Case {
        file: String::new(),
        bytes: None,
        arg: arg.into(),
        expect,
        grow: 0,
    }
}

impl Case {
    fn may_grow_table(mut self, slots: u64) -> Case {
        self.grow = slots;
        self
    }
}

const EMPTY: &str = "(module)";

fn module(body: &str) -> String {
    format!("(module {PROLOGUE}\n{body})")
}

fn plain(d: Dylink) -> Vec<u8> {
    side_module(
        &d,
        &module(r#"(func (export "f") (result i32) (i32.const 1))"#),
    )
}

fn cases(good_so: &[u8]) -> Vec<Case> {
    use Expect::*;
    let valid = plain(Dylink::new().mem_info(16, 2, 0, 0));
    let mut cases = Vec::new();

    // Truncated files, cut inside the header, the dylink.0 section and later sections.
    let sections = section_starts(&valid);
    let cuts: Vec<(usize, &'static [&'static str])> = vec![
        (0, &["not a WebAssembly module (bad magic number)"]),
        (3, &["not a WebAssembly module (bad magic number)"]),
        (7, &["malformed side module", "8-byte module header"]),
        (8, &["not a side module: no dylink.0 section"]),
        (10, &["malformed side module"]),
        (sections[1] - 2, &["malformed side module"]),
        (sections[2] + 1, &["malformed side module"]),
        (valid.len() - 1, &["malformed side module"]),
    ];
    for (cut, words) in cuts {
        cases.push(case(
            &format!("trunc{cut}.so"),
            valid[..cut].to_vec(),
            Fail(words),
        ));
    }
    let good_cut = good_so.len() / 2;
    cases.push(case(
        "good-truncated.so",
        good_so[..good_cut].to_vec(),
        Fail(&["malformed side module"]),
    ));

    // Not wasm at all; not where it may be; not a file.
    cases.push(case(
        "script.so",
        b"#!/bin/sh\necho hello\n".to_vec(),
        Fail(&["not a WebAssembly module"]),
    ));
    cases.push(case(
        "elf.so",
        b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0".to_vec(),
        Fail(&["not a WebAssembly module"]),
    ));
    cases.push(arg_case(
        "/lib/subdir",
        Fail(&["/lib/subdir", "Is a directory"]),
    ));
    cases.push(arg_case(
        "/lib/none.so",
        Fail(&[
            "/lib/none.so",
            "cannot open shared object file: No such file",
        ]),
    ));
    cases.push(arg_case(
        "/lib/../secret.so",
        Fail(&["Permission denied", "outside the directories"]),
    ));
    cases.push(arg_case(
        "/lib/subdir/../../secret.so",
        Fail(&["Permission denied"]),
    ));
    cases.push(arg_case("../secret.so", Fail(&["Permission denied"])));
    cases.push(arg_case("/secret.so", Fail(&["Permission denied"])));
    cases.push(arg_case("/etc/passwd", Fail(&["Permission denied"])));
    cases.push(arg_case(
        "/lib/escape.so",
        Fail(&["/lib/escape.so", "Permission denied"]),
    ));
    cases.push(arg_case(
        "/lib/subdir/escape-dir.so",
        Fail(&["Permission denied"]),
    ));
    cases.push(arg_case("/lib/abs-escape.so", Fail(&["Permission denied"])));
    cases.push(arg_case(
        "escape.so",
        Fail(&["escape.so: cannot open shared object file"]),
    ));

    // The dylink.0 section: missing, misplaced, malformed.
    cases.push(case(
        "nodylink.so",
        wat::parse_str(module("")).unwrap(),
        Fail(&["no dylink.0 section"]),
    ));
    let m = wat::parse_str(module(r#"(func (export "f"))"#)).unwrap();
    let dylink = enc::custom_section("dylink.0", &Dylink::new().mem_info(0, 0, 0, 0).0);
    let after_type = section_starts(&m)[1];
    let misplaced = [&m[..after_type], &dylink, &m[after_type..]].concat();
    cases.push(case(
        "notfirst.so",
        misplaced,
        // Refused from its first bytes, before the rest of the file is read.
        Fail(&[
            "no dylink.0 section at the start of the file (the first section is the type section",
        ]),
    ));
    cases.push(case(
        "oldstyle.so",
        enc::with_first_section(
            &wat::parse_str(EMPTY).unwrap(),
            &enc::custom_section("dylink", &[0, 0, 0, 0]),
        ),
        Fail(&["old-style dylink section"]),
    ));
    cases.push(case(
        "meminfo-short.so",
        plain(Dylink::new().sub(1, &[16, 2])),
        Fail(&["MEM_INFO subsection"]),
    ));
    cases.push(case(
        "sub-overrun.so",
        plain(Dylink::new().raw(&[2, 100, 1])),
        Fail(&["subsection 2 (NEEDED)", "100 bytes long, but only"]),
    ));
    cases.push(case(
        "needed-utf8.so",
        plain(Dylink::new().sub(2, &[1, 3, 0xff, 0xfe, 0xfd])),
        Fail(&["malformed side module", "NEEDED"]),
    ));
    cases.push(case(
        "needed-count.so",
        plain(Dylink::new().sub(2, &[0xff, 0xff, 0xff, 0xff, 0x0f])),
        Fail(&["malformed side module", "NEEDED"]),
    ));
    cases.push(case(
        "meminfo-twice.so",
        plain(Dylink::new().mem_info(0, 0, 0, 0).mem_info(0, 0, 0, 0)),
        Fail(&["second MEM_INFO"]),
    ));
    cases.push(case(
        "trailing.so",
        plain(Dylink::new().sub(1, &[0, 0, 0, 0, 7, 7])),
        Fail(&["MEM_INFO subsection", "unexpected bytes"]),
    ));
    cases.push(case(
        "leb-overlong.so",
        plain(Dylink::new().sub(1, &[0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0, 0, 0])),
        Fail(&["malformed side module", "MEM_INFO"]),
    ));

    // Sizes and alignments.
    cases.push(case(
        "mem4g.so",
        plain(Dylink::new().mem_info(0xffff_fff0, 0, 0, 0)),
        Fail(&["data memory limit exceeded"]),
    ));
    cases.push(case(
        "mem4g-aligned.so",
        plain(Dylink::new().mem_info(u32::MAX, 16, 0, 0)),
        Fail(&["data memory limit exceeded"]),
    ));
    cases.push(case(
        "table5m.so",
        plain(Dylink::new().mem_info(0, 0, 5_000_000, 0)),
        Fail(&["table slots limit exceeded"]),
    ));
    cases.push(case(
        "tablemax.so",
        plain(Dylink::new().mem_info(0, 0, u32::MAX, 0)),
        Fail(&["table slots limit exceeded"]),
    ));
    cases.push(case(
        "align31.so",
        plain(Dylink::new().mem_info(16, 31, 0, 0)),
        Fail(&["alignment limit exceeded", "2^31"]),
    ));
    cases.push(case(
        "talign31.so",
        plain(Dylink::new().mem_info(0, 0, 1, 31)),
        Fail(&["alignment limit exceeded"]),
    ));
    cases.push(case(
        "align32.so",
        plain(Dylink::new().mem_info(16, 32, 0, 0)),
        Fail(&["alignment 2^32 is too large"]),
    ));

    // Dependencies: a cycle (legal), a library that needs itself, a chain too deep, a missing one.
    cases.push(case("cyca.so", cycle_lib("cyca", "cycb"), Ok));
    cases.push(case("cycb.so", cycle_lib("cycb", "cyca"), Ok));
    cases.push(case(
        "needself.so",
        plain(Dylink::new().needed(&["needself.so"])),
        Ok,
    ));
    cases.push(arg_case(
        "chain00000.so",
        Fail(&["dependency chain deeper than 256 libraries"]),
    ));
    cases.push(case(
        "needmissing.so",
        plain(Dylink::new().needed(&["libnowhere.so"])),
        Fail(&["libnowhere.so: cannot open shared object file"]),
    ));
    cases.push(case(
        "needbroken.so",
        plain(Dylink::new().needed(&["script.so"])),
        Fail(&["script.so: not a WebAssembly module"]),
    ));

    // Imports.
    cases.push(case(
        "imports30k.so",
        many_imports(|_| ("env", "good_fn".into(), true)),
        Ok,
    ));
    cases.push(case(
        "imports30k-missing.so",
        many_imports(|i| ("env", format!("missing_{i}"), false)),
        Fail(&["undefined symbol: missing_0"]),
    ));
    cases.push(case(
        "got30k-missing.so",
        many_imports(|i| ("GOT.mem", format!("nothing_{i}"), false)),
        Fail(&["undefined symbol: nothing_"]),
    ));
    cases.push(case(
        "foreign.so",
        side_module(
            &Dylink::new(),
            &module("(import \"nowhere_module\" \"thing\" (func))"),
        ),
        Fail(&["cannot link nowhere_module.thing", "does not provide it"]),
    ));
    cases.push(case(
        "memory-as-global.so",
        side_module(
            &Dylink::new(),
            "(module (import \"env\" \"memory\" (global i32)))",
        ),
        Fail(&["cannot link env.memory: it must be imported as a memory, not as a global"]),
    ));
    // Exception tags are bound to the program's: one it does not export, or of another type.
    cases.push(case(
        "tag-missing.so",
        side_module(
            &Dylink::new(),
            "(module (import \"env\" \"no_such_tag\" (tag (param i32))))",
        ),
        Fail(&["cannot link env.no_such_tag: the program exports no such tag"]),
    ));
    cases.push(case(
        "tag-type.so",
        side_module(
            &Dylink::new(),
            "(module (import \"env\" \"__c_longjmp\" (tag (param i64 i64))))",
        ),
        Fail(&["cannot link env.__c_longjmp: the program's tag has type"]),
    ));
    cases.push(case(
        "memory64.so",
        side_module(
            &Dylink::new(),
            "(module (import \"env\" \"memory\" (memory i64 0)))",
        ),
        Fail(&[
            "instantiation failed",
            "env::memory",
            "expected 64-bit memory",
        ]),
    ));
    cases.push(case(
        "table-externref.so",
        side_module(
            &Dylink::new(),
            "(module (import \"env\" \"__indirect_function_table\" (table 0 externref)))",
        ),
        Fail(&[
            "instantiation failed",
            "env::__indirect_function_table",
            "externref",
        ]),
    ));
    cases.push(case(
        "sp-i64.so",
        side_module(
            &Dylink::new(),
            "(module (import \"env\" \"__stack_pointer\" (global (mut i64))))",
        ),
        Fail(&[
            "instantiation failed",
            "env::__stack_pointer",
            "expected global of type `i64`",
        ]),
    ));
    cases.push(case(
        "sp-const.so",
        side_module(
            &Dylink::new(),
            "(module (import \"env\" \"__stack_pointer\" (global i32)))",
        ),
        Fail(&[
            "instantiation failed",
            "env::__stack_pointer",
            "expected immutable global",
        ]),
    ));
    cases.push(case(
        "membase-func.so",
        side_module(
            &Dylink::new(),
            "(module (import \"env\" \"__memory_base\" (func)))",
        ),
        Fail(&[
            "cannot link env.__memory_base: it must be imported as a global, not as a function",
        ]),
    ));
    cases.push(case(
        "got-i64.so",
        side_module(
            &Dylink::new(),
            "(module (import \"GOT.mem\" \"good_fn\" (global (mut i64))))",
        ),
        Fail(&["cannot link GOT.mem.good_fn", "mutable i32"]),
    ));
    cases.push(case(
        "got-const.so",
        side_module(
            &Dylink::new(),
            "(module (import \"GOT.func\" \"good_fn\" (global i32)))",
        ),
        Fail(&["cannot link GOT.func.good_fn", "mutable i32"]),
    ));
    cases.push(case(
        "got-func-data.so",
        side_module(
            &Dylink::new(),
            "(module (import \"GOT.func\" \"stdout\" (global (mut i32))))",
        ),
        Fail(&["cannot link GOT.func.stdout", "data symbol"]),
    ));
    cases.push(case(
        "func-type.so",
        side_module(
            &Dylink::new(),
            "(module (import \"env\" \"good_fn\" (func (param i64) (result f32))))",
        ),
        Fail(&["cannot link env.good_fn", "type"]),
    ));
    cases.push(case(
        "func-is-data.so",
        side_module(
            &Dylink::new(),
            "(module (import \"env\" \"stdout\" (func)))",
        ),
        Fail(&["cannot link env.stdout", "data symbol"]),
    ));
    cases.push(case(
        "tag.so",
        side_module(
            &Dylink::new(),
            "(module (import \"env\" \"some_tag\" (tag)))",
        ),
        Fail(&["env.some_tag"]),
    ));

    // Module contents.
    cases.push(case(
        "dupexport.so",
        side_module(
            &Dylink::new(),
            "(module (func $f) (export \"f\" (func $f)) (export \"f\" (func $f)))",
        ),
        Fail(&["invalid WebAssembly module", "duplicate export name"]),
    ));
    cases.push(case(
        "invalid-code.so",
        side_module(&Dylink::new(), "(module (func (result i32) (i64.const 1)))"),
        Fail(&["invalid WebAssembly module", "type mismatch"]),
    ));
    cases.push(case(
        "start-trap.so",
        side_module(&Dylink::new(), &module("(func $s unreachable) (start $s)")),
        Fail(&["instantiation failed: wasm trap: wasm `unreachable` instruction executed (in function 0 `s`)"]),
    ));
    cases.push(case(
        "ctor-trap.so",
        side_module(&Dylink::new(), &module("(func (export \"__wasm_call_ctors\") unreachable)")),
        Fail(&["running constructors failed: wasm trap: wasm `unreachable` instruction executed (in function 0)"]),
    ));
    cases.push(case(
        "relocs-trap.so",
        side_module(
            &Dylink::new(),
            &module("(func (export \"__wasm_apply_data_relocs\") unreachable)"),
        ),
        Fail(&["applying data relocations failed"]),
    ));
    cases.push(case(
        "ctor-type.so",
        side_module(
            &Dylink::new(),
            &module("(func (export \"__wasm_call_ctors\") (param i32))"),
        ),
        Fail(&["__wasm_call_ctors"]),
    ));
    cases.push(case(
        "ctor-recurse.so",
        side_module(
            &Dylink::new(),
            &module("(func $r (export \"__wasm_call_ctors\") (call $r))"),
        ),
        Fail(&["running constructors failed: wasm trap: call stack exhausted (in function 0 `r`)"]),
    ));
    cases.push(case(
        "data-oob.so",
        side_module(
            &Dylink::new().mem_info(4, 0, 0, 0),
            &module("(data (i32.const -16) \"0123456789abcdefXYZ\")"),
        ),
        Fail(&["malformed side module: data segment 0 (19 bytes) is not placed at __memory_base"]),
    ));
    cases.push(
        case(
            "elem-oob.so",
            side_module(
                &Dylink::new().mem_info(0, 0, 1, 0),
                &module("(func $f) (elem (i32.const 0x7fffffff) func $f)"),
            ),
            Fail(&["malformed side module: element segment 0 (1 entries) is not placed at __table_base"]),
        )
        .may_grow_table(1),
    );
    cases.push(case(
        "own-memory.so",
        side_module(&Dylink::new(), "(module (memory 65536 65536) (data (i32.const 0) \"x\") (func (export \"__wasm_call_ctors\") unreachable))"),
        Fail(&["running constructors failed"]),
    ));
    cases.push(case(
        "ctor-stack-trap.so",
        Vec::new(),
        Fail(&["running constructors failed: wasm trap: wasm `unreachable` instruction executed (in function", "`init`)"]),
    ));

    // Constructors that call the loader.
    cases.push(case(
        "selfclose.so",
        self_close_lib("/lib/selfclose.so", 1),
        Ok,
    ));
    cases.push(case(
        "selfclose2.so",
        self_close_lib("/lib/selfclose2.so", 2),
        Fail(&["running constructors failed"]),
    ));
    cases.push(arg_case("lazy:/lib/imports30k-missing.so", Ok));
    // A constructor loads a library that needs the library being constructed, then traps: the
    // library it loaded must not outlive the one it depends on.
    cases.push(case(
        "ctorpin.so",
        side_module(
            &Dylink::new().mem_info(32, 0, 0, 0),
            &module(
                r#"(import "env" "dlopen" (func $dlopen (param i32 i32) (result i32)))
                   (data (global.get $mb) "/lib/pinned.so\00")
                   (func (export "pin_f") (result i32) (i32.const 11))
                   (func (export "__wasm_call_ctors")
                     (if (i32.eqz (call $dlopen (global.get $mb) (i32.const 2))) (then unreachable))
                     unreachable)"#,
            ),
        ),
        Fail(&["running constructors failed"]),
    ));
    cases.push(case(
        "pinned.so",
        side_module(
            &Dylink::new().needed(&["ctorpin.so"]),
            &module(r#"(import "env" "pin_f" (func $p (result i32))) (func (export "pinned_f") (result i32) (call $p))"#),
        ),
        Fail(&["ctorpin.so: running constructors failed"]),
    ));
    cases
}

/// A side module with 30,000 imports: functions `(i32) -> i32` (`true`) or `() -> ()`, or
/// GOT entries (module `GOT.mem`). Encoded directly: the text form would take long to parse.
pub fn many_imports(import: impl Fn(usize) -> (&'static str, String, bool)) -> Vec<u8> {
    use wasm_encoder::{EntityType, GlobalType, ImportSection, Module, TypeSection, ValType};
    let mut types = TypeSection::new();
    types.ty().function([ValType::I32], [ValType::I32]);
    types.ty().function([], []);
    let mut imports = ImportSection::new();
    for i in 0..30_000 {
        let (module, name, i32_fn) = import(i);
        let ty = if module == "GOT.mem" {
            EntityType::Global(GlobalType {
                val_type: ValType::I32,
                mutable: true,
                shared: false,
            })
        } else {
            EntityType::Function(if i32_fn { 0 } else { 1 })
        };
        imports.import(module, &name, ty);
    }
    let mut m = Module::new();
    m.section(&types).section(&imports);
    enc::with_first_section(
        &m.finish(),
        &enc::custom_section("dylink.0", &Dylink::new().0),
    )
}

/// Where each section of a module starts (the first is the header's end).
fn section_starts(module: &[u8]) -> Vec<usize> {
    let mut starts = Vec::new();
    let mut at = 8;
    while at < module.len() {
        starts.push(at);
        let mut len = 0usize;
        let mut shift = 0;
        let mut p = at + 1;
        loop {
            let b = module[p];
            len |= usize::from(b & 0x7f) << shift;
            shift += 7;
            p += 1;
            if b & 0x80 == 0 {
                break;
            }
        }
        at = p + len;
    }
    starts
}

fn cycle_lib(me: &str, other: &str) -> Vec<u8> {
    side_module(
        &Dylink::new().needed(&[&format!("{other}.so")]),
        &module(&format!(
            r#"(import "env" "{other}_f" (func $o (result i32)))
               (func (export "{me}_f") (result i32) (i32.const 1))
               (func (export "{me}_g") (result i32) (call $o))"#
        )),
    )
}

/// Its constructor dlopens its own path and dlcloses the handle `closes` times.
fn self_close_lib(path: &str, closes: usize) -> Vec<u8> {
    let close = "(if (call $dlclose (local.get $h)) (then unreachable))\n".repeat(closes);
    side_module(
        &Dylink::new().mem_info(64, 0, 0, 0),
        &module(&format!(
            r#"(import "env" "dlopen" (func $dlopen (param i32 i32) (result i32)))
               (import "env" "dlclose" (func $dlclose (param i32) (result i32)))
               (data (global.get $mb) "{path}\00")
               (func (export "__wasm_call_ctors")
                 (local $h i32)
                 (local.set $h (call $dlopen (global.get $mb) (i32.const 2)))
                 (if (i32.eqz (local.get $h)) (then unreachable))
                 {close})"#
        )),
    )
}

/// Lays out the directories: `root/lib` (granted as /lib) holds the cases, `root/secret.so`
/// (a valid side module) lies outside, reachable only through escapes.
fn layout(root: &Path, cases: &mut [Case], good: &Path) {
    let lib = root.join("lib");
    std::fs::create_dir_all(lib.join("subdir")).unwrap();
    std::fs::copy(good, lib.join("good.so")).unwrap();
    let secret = plain(Dylink::new());
    std::fs::write(root.join("secret.so"), &secret).unwrap();
    std::os::unix::fs::symlink("../secret.so", lib.join("escape.so")).unwrap();
    std::os::unix::fs::symlink(root.join("secret.so"), lib.join("abs-escape.so")).unwrap();
    std::os::unix::fs::symlink("../..", lib.join("subdir/up")).unwrap();
    std::os::unix::fs::symlink("up/secret.so", lib.join("subdir/escape-dir.so")).unwrap();
    let stack_trap = build_library("ctor_stack_trap", CTOR_STACK_TRAP_C);
    for case in cases.iter_mut() {
        if case.file == "ctor-stack-trap.so" {
            case.bytes = Some(std::fs::read(&stack_trap).unwrap());
        }
        if let Some(bytes) = &case.bytes {
            std::fs::write(lib.join(&case.file), bytes).unwrap();
        }
    }
}

/// A chain of NEEDED 10,000 libraries long (chain00000.so needs chain00001.so, ...),
/// registered from memory.
fn chain() -> Vec<(String, Vec<u8>)> {
    let template = plain(Dylink::new().needed(&["chainXXXXX.so"]));
    let at = template.windows(5).position(|w| w == b"XXXXX").unwrap();
    (0..10_000)
        .map(|i| {
            let mut bytes = template.clone();
            bytes[at..at + 5].copy_from_slice(format!("{:05}", i + 1).as_bytes());
            (format!("chain{i:05}.so"), bytes)
        })
        .collect()
}

both_modes! {
/// Every hostile case leaves the program exactly as before (instance reuse off, so that
/// nothing may stay behind).
fn hostile_modules_fail_cleanly() {
    hostile_cases(false);
}
}

/// The same with instance reuse on: a closed or failed library may stay parked (holding its
/// block), but a second attempt gives the same result and leaves the same state as the first.
#[test]
fn hostile_modules_fail_cleanly_with_reuse() {
    hostile_cases(true);
}

fn hostile_cases(reuse: bool) {
    let program = probe_program();
    let good = build_library("good", GOOD_C);
    let good_bytes = std::fs::read(&good).unwrap();
    let tmp = temp_dir();
    let mut cases = cases(&good_bytes);
    layout(tmp.path(), &mut cases, &good);
    let mut args = vec!["/lib/good.so".to_string()];
    args.extend(cases.iter().map(|c| c.arg.clone()));
    let out = run(Run::new(&program)
        .args(args)
        .dir(&tmp.path().join("lib"), "/lib")
        .dl(|mut b| {
            for (name, bytes) in chain() {
                b = b.module_bytes(&name, bytes);
            }
            let b = if reuse { b } else { b.limits(no_reuse()) };
            b.search_path("/lib")
        }));
    // For reading after a failure: every case's output, messages included.
    let suffix = if reuse { "-reuse" } else { "" };
    std::fs::write(
        work_dir().join(format!("hostile-output{suffix}.txt")),
        &out.stdout,
    )
    .unwrap();
    let out = out.success();
    assert_eq!(out.loaded_after, 0, "libraries left loaded at exit");

    let lines: Vec<&str> = out.stdout.lines().collect();
    let mut failures = Vec::new();
    let mut seen = 0;
    for (i, case) in cases.iter().enumerate() {
        let Some(at) = lines
            .iter()
            .position(|l| *l == format!("case {}", case.arg))
        else {
            failures.push(format!("{}: no output", case.arg));
            continue;
        };
        seen += 1;
        let [before, result, after, result2, after2, good] =
            [1, 2, 3, 4, 5, 6].map(|k| lines[at + k]);
        let mut problems = Vec::new();
        match (&case.expect, result.strip_prefix("result ")) {
            (Expect::Ok, Some("ok")) => {}
            (Expect::Fail(words), Some(r)) if r.starts_with("NULL ") => {
                for w in *words {
                    if !r.contains(w) {
                        problems.push(format!("dlerror lacks {w:?}"));
                    }
                }
            }
            _ => problems.push("wrong result".to_string()),
        }
        if result2 != result {
            problems.push(format!("the second attempt differs: {result2}"));
        }
        if after2 != after {
            problems.push(format!(
                "the second attempt changed the state:\n    {after}\n    {after2}"
            ));
        }
        fn without_table(l: &str) -> Vec<&str> {
            l.split(' ')
                .skip(1)
                .filter(|w| !w.starts_with("table="))
                .collect()
        }
        let table = |l: &str| field(l, "table").parse::<u64>().unwrap();
        let changed = if reuse {
            // Parked blocks and slots may stay; the stack and the loaded set may not.
            ["stack", "loaded"]
                .iter()
                .any(|k| field(before, k) != field(after, k))
        } else {
            without_table(before) != without_table(after)
                || table(after) > table(before) + case.grow
        };
        if changed {
            problems.push(format!("state changed:\n    {before}\n    {after}"));
        }
        let n = i + 2;
        if good != format!("good {} 1", 2 * n) {
            problems.push(format!("the good library broke: {good}"));
        }
        if !problems.is_empty() {
            failures.push(format!(
                "{}: {result}\n  {}",
                case.arg,
                problems.join("\n  ")
            ));
        }
    }
    let end = lines.last().unwrap();
    assert!(
        end.starts_with("end ") && field(end, "loaded") == "0",
        "{end}"
    );
    println!("{} hostile cases checked", seen);
    assert!(
        failures.is_empty(),
        "{} of {} cases fail:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

/// A program that dlopens argv[1] and says what it got.
pub fn open_one_program() -> std::path::PathBuf {
    build_program(
        "open_one",
        &format!(
            "{PROLOGUE_C}{}",
            r#"
int main(int argc, char **argv) {
    printf("before\n");
    fflush(stdout);
    void *h = dlopen(argv[1], RTLD_NOW);
    printf("dlopen returned %s: %s\n", h ? "a handle" : "NULL", h ? "" : dlerror());
    return 0;
}
"#
        ),
    )
}

both_modes! {
/// `exit()` in a constructor ends the program, as it does natively: it is not a failed dlopen.
fn exit_in_a_constructor_exits() {
    let program = open_one_program();
    let lib = build_library(
        "ctor_exit",
        r#"
#include <stdlib.h>
__attribute__((constructor)) static void init(void) { exit(3); }
int f(void) { return 1; }
"#,
    );
    let dir = lib.parent().unwrap();
    let name = format!("/lib/{}", lib.file_name().unwrap().to_string_lossy());
    let out = run(Run::new(&program).args([name]).dir(dir, "/lib"));
    assert_eq!(
        (out.code, out.trap.as_deref()),
        (3, None),
        "stdout: {}",
        out.stdout
    );
    assert_eq!(out.stdout, "before\n");
}
}

both_modes! {
/// The embedder's epoch deadline stops a constructor that never returns, and the program with
/// it: an interruption is not a failed dlopen the program could carry on from.
fn interrupt_in_a_constructor_stops_the_program() {
    let program = open_one_program();
    let tmp = temp_dir();
    let lib = side_module(
        &Dylink::new(),
        &module("(func $spin (export \"__wasm_call_ctors\") (loop (br 0)))"),
    );
    std::fs::write(tmp.path().join("loop.so"), lib).unwrap();
    let mut r = Run::new(&program)
        .args(["/lib/loop.so"])
        .dir(tmp.path(), "/lib");
    r.deadline_ticks = 10;
    r.stop_only_in = Some("spin");
    let out = run(r);
    let trap = out.trap.unwrap_or_default();
    assert!(
        trap.contains("interrupt"),
        "trap: {trap:?}, stdout: {}",
        out.stdout
    );
    // The trap is the constructor's own, passed on through dlopen (not a later one, in code
    // the program ran after a failed dlopen).
    let first_frame = trap.lines().nth(1).unwrap_or_default();
    assert!(
        first_frame.contains("spin"),
        "the program went on after the interruption: {trap}"
    );
    assert_eq!(out.stdout, "before\n");
}
}

both_modes! {
/// A constructor that registers destructors (C `atexit`, a C++-style `__cxa_atexit`) and then
/// traps fails the dlopen; what it registered runs then, newest first, while the library still
/// exists. Left registered, it would be called at exit, through a cleared table slot.
fn a_failed_constructor_runs_what_it_registered() {
    let program = open_one_program();
    let lib = build_library(
        "ctor_registers_then_traps",
        r#"
#include <stdio.h>
#include <stdlib.h>
extern void *__dso_handle;
int __cxa_atexit(void (*f)(void *), void *arg, void *dso);
static void first(void) { printf("first registered, run at rollback\n"); }
static void second(void *arg) { printf("second registered (%s), run first\n", (char *)arg); }
__attribute__((constructor)) static void init(void) {
    atexit(first);
    __cxa_atexit(second, "arg", &__dso_handle);
    __builtin_trap();
}
int f(void) { return 1; }
"#,
    );
    let dir = lib.parent().unwrap();
    let name = format!("/lib/{}", lib.file_name().unwrap().to_string_lossy());
    let out = run(Run::new(&program).args([name]).dir(dir, "/lib"));
    assert_eq!(
        (out.code, out.trap.as_deref()),
        (0, None),
        "stdout: {}",
        out.stdout
    );
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines.len(), 4, "{}", out.stdout);
    assert_eq!(lines[0], "before");
    assert_eq!(lines[1], "second registered (arg), run first");
    assert_eq!(lines[2], "first registered, run at rollback");
    assert!(
        lines[3].starts_with("dlopen returned NULL: ")
            && lines[3].contains("running constructors failed"),
        "{}",
        lines[3]
    );
}
}
