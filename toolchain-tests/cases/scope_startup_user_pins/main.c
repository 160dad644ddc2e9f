/* A library the program is linked against (never unloaded) that finds a symbol of a
 * dlopen'ed library with dlsym(RTLD_DEFAULT) makes that library NODELETE (glibc's
 * add_dependency), rather than a dependency of its own: it survives its dlclose, and later
 * bindings to it record nothing, so exit order stays load order (libsup before libsuq, which
 * uses it). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>

int sus_call(void);

int main(void)
{
    void *p = dlopen("libsup.so", RTLD_LAZY | RTLD_GLOBAL);
    if (!p) {
        printf("dlopen libsup failed\n");
        return 1;
    }
    int value = sus_call();
    printf("sus_call() = %d\n", value);
    void *q = dlopen("libsuq.so", RTLD_NOW);
    int (*suq_call)(void) = q ? (int (*)(void))dlsym(q, "suq_call") : NULL;
    value = suq_call ? suq_call() : -1;
    printf("suq_call() = %d\n", value);
    printf("close sup\n");
    dlclose(p);
    void *again = dlopen("libsup.so", RTLD_LAZY | RTLD_NOLOAD);
    printf("sup still loaded: %s\n", again ? "yes" : "no");
    printf("exit\n");
    return 0;
}
