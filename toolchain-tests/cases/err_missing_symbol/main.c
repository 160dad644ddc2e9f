#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

static const char *yes_no(int b) { return b ? "yes" : "no"; }

int main(void)
{
    void *h = dlopen("libhas.so", RTLD_NOW);
    if (!h)
        return 1;
    void *p = dlsym(h, "has_not");
    char *err = dlerror();
    printf("dlsym(libhas, has_not): %s\n", p ? "found" : "NULL");
    printf("  dlerror: %s, mentions symbol: %s, mentions library: %s\n", err ? "non-NULL" : "NULL",
           yes_no(err && strstr(err, "has_not")), yes_no(err && strstr(err, "libhas.so")));
    printf("  dlerror again: %s\n", dlerror() ? "non-NULL" : "NULL");
    printf("handle still works: has_fn() = %d\n", ((int (*)(void))dlsym(h, "has_fn"))());
    printf("  dlerror after a successful dlsym: %s\n", dlerror() ? "non-NULL" : "NULL");
    p = dlsym(RTLD_DEFAULT, "nowhere_symbol");
    err = dlerror();
    printf("dlsym(RTLD_DEFAULT, nowhere_symbol): %s, dlerror %s, mentions symbol: %s\n", p ? "found" : "NULL",
           err ? "non-NULL" : "NULL", yes_no(err && strstr(err, "nowhere_symbol")));
    /* glibc's wording: "<object>: undefined symbol: <name>", the object being the library
     * searched, or for RTLD_DEFAULT the caller (the program: its argv[0]). */
    p = dlsym(h, "has_not");
    err = dlerror();
    size_t n = err ? strlen(err) : 0;
    const char *tail = ": undefined symbol: has_not";
    printf("by handle, ends with \"%s\": %s\n", tail,
           yes_no(n >= strlen(tail) && strcmp(err + n - strlen(tail), tail) == 0));
    dlsym(RTLD_DEFAULT, "nowhere_symbol");
    err = dlerror();
    n = err ? strlen(err) : 0;
    tail = ": undefined symbol: nowhere_symbol";
    printf("RTLD_DEFAULT, ends with \"%s\": %s\n", tail,
           yes_no(n >= strlen(tail) && strcmp(err + n - strlen(tail), tail) == 0));
    printf("RTLD_DEFAULT, names the program: %s\n", yes_no(err && strncmp(err, "RTLD", 4) != 0));
    dlclose(h);
    return 0;
}
