#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* emscripten's dlfcn alignment-and-zeroing test, in our own words: a library's aligned data
 * is aligned, and its .bss is zero even when the memory it gets was used and dirtied before
 * (by the program's heap, or by an earlier load of the library). */
static int aligned(const void *p, uintptr_t n) { return ((uintptr_t)p & (n - 1)) == 0; }

static int round_trip(int round)
{
    void *h = dlopen("libalz.so", RTLD_NOW);
    if (!h) {
        printf("dlopen failed\n");
        return 1;
    }
    int (*check)(void) = (int (*)(void))dlsym(h, "alz_check");
    void (*dirty)(void) = (void (*)(void))dlsym(h, "alz_dirty");
    int bad = check();
    printf("round %d: library's own checks: %s (0x%x)\n", round, bad ? "FAIL" : "ok", bad);
    int from_program = aligned(dlsym(h, "alz_16"), 16) && aligned(dlsym(h, "alz_64_bss"), 64) &&
                       aligned(dlsym(h, "alz_256"), 256) && aligned(dlsym(h, "alz_page_bss"), 4096);
    printf("round %d: addresses from dlsym aligned: %s\n", round, from_program ? "yes" : "no");
    dirty();
    dlclose(h);
    return 0;
}

int main(void)
{
    /* Dirty a good deal of the heap and give it back before any library is loaded. */
    enum { BLOCKS = 64, SIZE = 16384 };
    char *blocks[BLOCKS];
    for (int i = 0; i < BLOCKS; i++) {
        blocks[i] = malloc(SIZE);
        memset(blocks[i], 0xa5, SIZE);
    }
    for (int i = 0; i < BLOCKS; i++)
        free(blocks[i]);
    for (int round = 1; round <= 3; round++)
        if (round_trip(round))
            return 1;
    /* And with the program holding dirty blocks in between loads. */
    char *held = malloc(3 * SIZE);
    memset(held, 0x3c, 3 * SIZE);
    int r = round_trip(4);
    free(held);
    return r;
}
