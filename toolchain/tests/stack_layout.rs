//! The shadow stack of a program built by the driver comes first in memory and is 1 MiB
//! by default: a frame too big for it traps (the stack pointer wraps below address 0)
//! instead of growing down into the program's data, and `-Wl,-z,stack-size=N` still sets
//! the size. (Side modules share the program's `__stack_pointer`, so the same holds for
//! their frames: toolchain-tests' `data_stack_large_frames` checks that end to end.)

mod common;

use common::*;
use wasi_dl_toolchain::Driver;

/// 256 KiB of program data with a known pattern, then a call with a 200 KiB frame: with
/// wasm-ld's default layout (64 KiB of stack right after the data, growing down) the
/// frame lands on the data.
const MAIN_C: &str = r#"
#include <stdio.h>
#include <string.h>
#define N 65536
int data[N];
__attribute__((noinline)) int consume(volatile char *p, int n) {
    int s = 0;
    for (int i = 0; i < n; i += 4096) s += p[i];
    return s;
}
__attribute__((noinline)) int big_frame(void) {
    volatile char buf[200 * 1024];
    memset((char *)buf, 0x55, sizeof buf);
    return consume(buf, sizeof buf);
}
int main(void) {
    for (int i = 0; i < N; i++) data[i] = i * 7;
    int s = big_frame();
    int bad = 0;
    for (int i = 0; i < N; i++) bad += data[i] != i * 7;
    printf("sum %d, %s\n", s, bad ? "data corrupted" : "data intact");
    return 0;
}
"#;

#[test]
fn default_stack_holds_a_200_kib_frame_and_overflow_traps_instead_of_corrupting() {
    let Some(tc) = toolchain("default_stack_holds_a_200_kib_frame") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let tc = with_standin(tc, dir.path());
    write(dir.path(), "main.c", MAIN_C);
    let driver = Driver::new(tc);

    // The default: 1 MiB is enough for 200 KiB of locals, and the data is left alone.
    cc_in(&driver, dir.path(), &["-O1", "main.c", "-o", "main.wasm"]);
    let (code, out) =
        try_run_main(&dir.path().join("main.wasm")).expect("the default stack holds the frame");
    assert_eq!((code, out.as_str()), (0, "sum 4250, data intact\n"));

    // The user's stack size wins; the frame no longer fits and the run traps, never
    // carrying on with corrupted data.
    cc_in(
        &driver,
        dir.path(),
        &[
            "-O1",
            "main.c",
            "-Wl,-z,stack-size=131072",
            "-o",
            "small.wasm",
        ],
    );
    match try_run_main(&dir.path().join("small.wasm")) {
        Err(trap) => assert!(trap.contains("out of bounds"), "{trap}"),
        Ok((code, out)) => panic!("a 200 KiB frame on a 128 KiB stack ran: exit {code}, {out}"),
    }
}

#[test]
fn the_stack_comes_first_in_memory() {
    let Some(tc) = toolchain("the_stack_comes_first_in_memory") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let tc = with_standin(tc, dir.path());
    write(
        dir.path(),
        "main.c",
        r#"
#include <stdio.h>
extern char __global_base, __heap_base;
int g = 1;
int main(void) {
    int local = 0;
    printf("%d %d %d\n", (unsigned long)&local < (unsigned long)&__global_base,
           (unsigned long)&__global_base >= (1u << 20), (unsigned long)&g >= (unsigned long)&__global_base);
    return local;
}
"#,
    );
    let driver = Driver::new(tc);
    cc_in(&driver, dir.path(), &["main.c", "-o", "main.wasm"]);
    let (_, out) = run_main(&dir.path().join("main.wasm"));
    assert_eq!(out, "1 1 1\n", "stack below the data, data above 1 MiB");
}
