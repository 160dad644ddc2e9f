#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

/* bionic's dlsym tests on undefined and weak symbols: dlsym on a library's handle finds what
 * the library or its dependencies define (a weak definition too), never a name the library only
 * refers to (defined by the program, or weak and undefined), which glibc skips as undefined. */

int prog_fn(void) { return 1; }
int prog_data = 10;
int weak_present(void) { return 100; }

static void lookup(void *handle, const char *what, const char *name)
{
    void *p = dlsym(handle, name);
    const char *err = dlerror();
    printf("dlsym(%s, %s): %s", what, name, p ? "found" : "NULL");
    if (!p)
        printf(", dlerror names it: %s", err && strstr(err, name) ? "yes" : "no");
    printf("\n");
}

int main(void)
{
    void *h = dlopen("libsu.so", RTLD_NOW);
    if (!h)
        return 1;
    /* 1 + 10 + 7 + 8 + 0 + 100 + 0 + 3 */
    printf("su_call() = %d\n", ((int (*)(void))dlsym(h, "su_call"))());
    lookup(h, "libsu", "su_call");
    lookup(h, "libsu", "su_weak_def");
    lookup(h, "libsu", "suv_fn");
    lookup(h, "libsu", "suv_data");
    lookup(h, "libsu", "prog_fn");
    lookup(h, "libsu", "prog_data");
    lookup(h, "libsu", "weak_missing");
    lookup(h, "libsu", "weak_present");
    lookup(h, "libsu", "weak_missing_data");
    lookup(RTLD_DEFAULT, "RTLD_DEFAULT", "weak_missing");
    lookup(RTLD_DEFAULT, "RTLD_DEFAULT", "weak_missing_data");
    void *self = dlopen(NULL, RTLD_NOW);
    lookup(self, "dlopen(NULL)", "prog_fn");
    lookup(self, "dlopen(NULL)", "su_call");
    printf("dlsym(RTLD_DEFAULT, weak_present) is the program's: %s\n",
           dlsym(RTLD_DEFAULT, "weak_present") == (void *)weak_present ? "yes" : "no");
    dlclose(h);
    return 0;
}
