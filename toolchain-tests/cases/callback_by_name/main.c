#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>

static int (*lib_bias)(void);
static int combine_calls;

void prog_log(const char *msg) { printf("[program] %s\n", msg); }

/* Called by the library; calls back into the library in turn. */
int prog_combine(int acc, int v)
{
    combine_calls++;
    return acc * 2 + v + (v == 3 ? lib_bias() : 0);
}

int main(void)
{
    void *h = dlopen("libcb.so", RTLD_NOW);
    if (!h) {
        printf("dlopen failed\n");
        return 1;
    }
    lib_bias = (int (*)(void))dlsym(h, "cb_bias");
    int (*run)(int) = (int (*)(int))dlsym(h, "cb_run");
    int r = run(4);
    printf("cb_run(4) = %d after %d callbacks\n", r, combine_calls);
    dlclose(h);
    return 0;
}
