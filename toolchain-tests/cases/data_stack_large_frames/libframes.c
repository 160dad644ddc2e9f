#include <string.h>

int prog_big_frame(int fill);
int prog_sum(volatile char *p, int n);

static int lib_table[1024];
static int lib_ready = 0;

__attribute__((constructor)) static void init(void) {
    for (int i = 0; i < 1024; i++) lib_table[i] = i + 7;
    lib_ready = 1;
}

int lib_data_ok(void) {
    for (int i = 0; i < 1024; i++)
        if (lib_table[i] != i + 7) return 0;
    return lib_ready;
}

/* 100 KiB of locals: fine natively, and on a 1 MiB wasm stack. */
__attribute__((noinline)) int lib_big_frame(int fill) {
    volatile char buf[100 * 1024];
    memset((char *)buf, fill, sizeof buf);
    return prog_sum(buf, sizeof buf);
}

/* A big frame of the library, then one of the program on top of it. */
__attribute__((noinline)) int lib_nested(int fill) {
    volatile char buf[100 * 1024];
    memset((char *)buf, fill, sizeof buf);
    return prog_sum(buf, sizeof buf) + prog_big_frame(fill + 1);
}

/* 40 levels of 8 KiB frames: 320 KiB of stack in all. */
__attribute__((noinline)) int lib_recurse(int depth) {
    volatile char buf[8 * 1024];
    memset((char *)buf, depth & 0x7f, sizeof buf);
    if (depth == 0) return 0;
    return buf[depth] + lib_recurse(depth - 1);
}
