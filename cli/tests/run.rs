//! `wasi-dl run` as an operator and a newcomer use it: traps are never lost, limits and
//! interruptions, argv, the default compile cache, a native loader's statuses and messages.

mod common;

use common::{cc, run, scratch, text};

/// A library destructor that traps while the program exits ends the run as the trap it is
/// (natively: killed by the signal), not with the program's exit status 0.
#[test]
fn a_destructor_trapping_at_exit_fails_the_run() {
    let dir = scratch("dtor-trap");
    cc(
        &dir,
        "libboom.c",
        "__attribute__((destructor)) static void boom(void) { __builtin_trap(); }\n\
         int answer(void) { return 42; }\n",
        &["-shared", "-fPIC", "-o", "libboom.so"],
    );
    cc(
        &dir,
        "main.c",
        "#include <dlfcn.h>\n#include <stdio.h>\n\
         int main(void) {\n\
           void *h = dlopen(\"./libboom.so\", RTLD_NOW);\n\
           if (!h) { printf(\"%s\\n\", dlerror()); return 3; }\n\
           printf(\"%d\\n\", ((int (*)(void))dlsym(h, \"answer\"))());\n\
           return 0;\n\
         }\n",
        &["-o", "main.wasm"],
    );
    let out = run(&dir, &["--dir", ".", "main.wasm"]);
    assert_eq!(text(&out.stdout), "42\n");
    assert_eq!(out.status.code(), Some(134), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("unreachable"), "the trap is printed: {stderr}");
}
