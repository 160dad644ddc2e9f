#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#define N 20

static void *h[N];

static int check(int i)
{
    char file[16], fn[16], expect[8];
    snprintf(file, sizeof file, "lib%02d.so", i);
    snprintf(fn, sizeof fn, "lib%02d_id", i);
    snprintf(expect, sizeof expect, "lib%02d", i);
    int (*id)(void) = (int (*)(void))dlsym(h[i], fn);
    const char *(*name)(void) = (const char *(*)(void))dlsym(h[i], "many_name");
    int *value = (int *)dlsym(h[i], "many_value");
    return id && name && value && id() == i && strcmp(name(), expect) == 0 && *value == i * 100;
}

static int loaded(int i)
{
    char file[16];
    snprintf(file, sizeof file, "lib%02d.so", i);
    void *x = dlopen(file, RTLD_NOW | RTLD_NOLOAD);
    if (x)
        dlclose(x);
    return x != NULL;
}

static void open_lib(int i, int mode)
{
    char file[16];
    snprintf(file, sizeof file, "lib%02d.so", i);
    h[i] = dlopen(file, mode);
}

int main(void)
{
    int ok = 1;
    for (int i = 0; i < N; i++) {
        open_lib(i, RTLD_NOW);
        if (!h[i] || !check(i))
            ok = 0;
    }
    printf("opened %d libraries, each sees its own symbols: %s\n", N, ok ? "yes" : "no");
    int distinct = 1;
    for (int i = 0; i < N; i++)
        for (int j = i + 1; j < N; j++)
            if (h[i] == h[j] || dlsym(h[i], "many_name") == dlsym(h[j], "many_name"))
                distinct = 0;
    printf("handles and functions distinct: %s\n", distinct ? "yes" : "no");
    printf("all LOCAL, so RTLD_DEFAULT finds many_name: %s\n", dlsym(RTLD_DEFAULT, "many_name") ? "yes" : "no");
    dlerror();

    /* Close the even ones, check the odd ones, reopen the even ones. */
    for (int i = 0; i < N; i += 2)
        dlclose(h[i]);
    int even_gone = 1, odd_ok = 1;
    for (int i = 0; i < N; i++) {
        if (i % 2 == 0 && loaded(i))
            even_gone = 0;
        if (i % 2 == 1 && !check(i))
            odd_ok = 0;
    }
    printf("even ones unloaded: %s, odd ones intact: %s\n", even_gone ? "yes" : "no", odd_ok ? "yes" : "no");
    for (int i = 0; i < N; i += 2)
        open_lib(i, RTLD_NOW);
    ok = 1;
    for (int i = 0; i < N; i++)
        if (!h[i] || !check(i))
            ok = 0;
    printf("after reopening: all intact: %s\n", ok ? "yes" : "no");

    /* Counters are per library. */
    int (*calls3)(void) = (int (*)(void))dlsym(h[3], "many_calls");
    int (*calls4)(void) = (int (*)(void))dlsym(h[4], "many_calls");
    calls3();
    calls3();
    printf("lib03 calls %d, lib04 calls %d\n", calls3(), calls4());

    /* Promote lib07 to GLOBAL: now the global scope finds its many_name. (Looked up through
     * dlopen(NULL) and not RTLD_DEFAULT: glibc's RTLD_DEFAULT lookup would pin lib07 as a
     * dependency of the program, and the end of this test checks that everything unloads.) */
    void *g = dlopen("lib07.so", RTLD_NOW | RTLD_NOLOAD | RTLD_GLOBAL);
    void *self = dlopen(NULL, RTLD_NOW);
    const char *(*name)(void) = (const char *(*)(void))dlsym(self, "many_name");
    printf("after promoting lib07: global many_name() = %s\n", name ? name() : "NULL");
    dlclose(self);
    dlclose(g);

    for (int i = N - 1; i >= 0; i--)
        dlclose(h[i]);
    int any = 0;
    for (int i = 0; i < N; i++)
        any |= loaded(i);
    printf("after closing all: any loaded: %s\n", any ? "yes" : "no");
    return 0;
}
