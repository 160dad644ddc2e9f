#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

/* The library walks environ after the program's setenv, reads getenv, and parses options with
 * getopt through libc's optind/optarg (one libc, the program's). */
int main(void)
{
    setenv("LEG_A", "alpha", 1);
    setenv("LEG_B", "beta", 1);
    void *h = dlopen("libleg.so", RTLD_NOW);
    if (!h) {
        printf("dlopen failed\n");
        return 1;
    }
    int (*count)(void) = (int (*)(void))dlsym(h, "env_count");
    const char *(*get)(void) = (const char *(*)(void))dlsym(h, "env_get");
    int (*opts)(int, char **) = (int (*)(int, char **))dlsym(h, "env_opts");
    int n = count();
    printf("LEG_ variables seen by the library: %d, LEG_A = %s\n", n, get());
    char *args[] = {"x", "-a", "-b", "41", "rest", NULL};
    int r = opts(5, args);
    printf("options: sum %d, optind %d\n", r / 100, r % 100);
    dlclose(h);
    return 0;
}
