#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>

/* One file under several spellings of its path is one library: glibc compares the file
 * (device and inode), so doubled slashes, "." and ".." components change nothing. */
int main(void)
{
    const char *names[] = {"./libps.so", ".//libps.so", "././libps.so", "sub/../libps.so",
                           "./sub/./../libps.so", "libps.so"};
    enum { N = sizeof names / sizeof names[0] };
    void *first = dlopen(names[0], RTLD_NOW);
    if (!first) {
        printf("dlopen failed: %s\n", dlerror());
        return 1;
    }
    for (int i = 1; i < N; i++) {
        void *noload = dlopen(names[i], RTLD_NOW | RTLD_NOLOAD);
        void *h = dlopen(names[i], RTLD_LAZY);
        printf("%-22s NOLOAD %s, dlopen %s\n", names[i], noload == first ? "same" : "other",
               h == first ? "same" : "other");
    }
    int (*count)(void) = (int (*)(void))dlsym(first, "ps_count");
    printf("one state: %d\n", count());
    /* 1 + 2 references per other spelling. */
    for (int i = 0; i < 2 * (N - 1); i++)
        dlclose(first);
    printf("still loaded before the last dlclose: %s\n",
           dlopen("libps.so", RTLD_NOW | RTLD_NOLOAD) ? "yes" : "no");
    dlclose(first);
    printf("last dlclose\n");
    dlclose(first);
    return 0;
}
