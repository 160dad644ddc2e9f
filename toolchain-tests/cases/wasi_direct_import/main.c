#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>

int main(void)
{
    void *h = dlopen("libdirect.so", RTLD_NOW);
    if (!h) {
        printf("dlopen failed\n");
        return 1;
    }
    int (*direct_puts)(const char *) = (int (*)(const char *))dlsym(h, "direct_puts");
    int (*direct_report)(const char *, int) = (int (*)(const char *, int))dlsym(h, "direct_report");
    int (*direct_bad_fd)(void) = (int (*)(void))dlsym(h, "direct_bad_fd");

    printf("before the library writes (from printf)\n");
    /* The library bypasses stdio: flush the program's buffer before each direct write. */
    fflush(stdout);
    int n = direct_puts("hello through fd_write");
    printf("direct_puts returned %d\n", n);
    fflush(stdout);
    n = direct_report("answer", 42);
    printf("direct_report returned %d\n", n);
    fflush(stdout);
    n = direct_report("negative", -7);
    printf("direct_report returned %d\n", n);
    printf("direct_bad_fd returned %d\n", direct_bad_fd());
    printf("after (from printf)\n");
    dlclose(h);
    return 0;
}
