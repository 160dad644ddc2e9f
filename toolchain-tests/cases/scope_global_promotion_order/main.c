#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>

typedef const char *(*namefn)(void);

/* glibc appends a library promoted to RTLD_GLOBAL at the end of the global scope, although it
 * was loaded before the libraries already there. */
int main(void)
{
    void *a = dlopen("libpoa.so", RTLD_NOW | RTLD_LOCAL);
    void *b = dlopen("libpob.so", RTLD_NOW | RTLD_GLOBAL);
    void *a2 = dlopen("libpoa.so", RTLD_NOW | RTLD_GLOBAL);
    if (!a || !b || a2 != a)
        return 1;
    printf("RTLD_DEFAULT po_name: %s\n", ((namefn)dlsym(RTLD_DEFAULT, "po_name"))());
    printf("RTLD_NEXT po_name from the program: %s\n", ((namefn)dlsym(RTLD_NEXT, "po_name"))());
    void *u = dlopen("libpouser.so", RTLD_NOW);
    if (!u)
        return 1;
    printf("a later library binds: %s\n", ((namefn)dlsym(u, "po_user"))());
    dlclose(u);
    dlclose(b);
    dlclose(a2);
    dlclose(a);
    return 0;
}
