#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

/* 256 KiB of program data with a known pattern, and a few scalars. A side module's
 * 100 KiB frame, then a 100 KiB frame of the program called from inside it, must leave
 * them alone (wasm-ld's default layout puts a 64 KiB stack right after the data, growing
 * down into it). */
#define N 65536
int table[N];
int counter = 12345;
double ratio = 0.25;
char name[16] = "program";

__attribute__((noinline)) int prog_sum(volatile char *p, int n) {
    int s = 0;
    for (int i = 0; i < n; i += 1024) s += p[i];
    return s;
}

/* Called back by the library while its own big frame is live. */
__attribute__((noinline)) int prog_big_frame(int fill) {
    volatile char buf[100 * 1024];
    memset((char *)buf, fill, sizeof buf);
    return prog_sum(buf, sizeof buf);
}

static int intact(void) {
    for (int i = 0; i < N; i++)
        if (table[i] != i * 3) return 0;
    return counter == 12345 && ratio == 0.25 && strcmp(name, "program") == 0;
}

int main(void) {
    for (int i = 0; i < N; i++) table[i] = i * 3;
    void *h = dlopen("./libframes.so", RTLD_NOW);
    if (!h) {
        printf("dlopen failed\n");
        return 1;
    }
    int (*lib_big_frame)(int) = (int (*)(int))dlsym(h, "lib_big_frame");
    int (*lib_nested)(int) = (int (*)(int))dlsym(h, "lib_nested");
    int (*lib_recurse)(int) = (int (*)(int))dlsym(h, "lib_recurse");
    if (!lib_big_frame || !lib_nested || !lib_recurse) {
        printf("dlsym failed\n");
        return 1;
    }
    int a = lib_big_frame(1);
    printf("library frame: %d, program data %s\n", a, intact() ? "intact" : "CORRUPTED");
    int b = lib_nested(2);
    printf("nested frames: %d, program data %s\n", b, intact() ? "intact" : "CORRUPTED");
    int c = lib_recurse(40);
    printf("recursion: %d, program data %s\n", c, intact() ? "intact" : "CORRUPTED");
    int d = lib_big_frame(3);
    printf("again: %d, library data %s\n", d, dlsym(h, "lib_data_ok") && ((int (*)(void))dlsym(h, "lib_data_ok"))() ? "intact" : "CORRUPTED");
    dlclose(h);
    return 0;
}
