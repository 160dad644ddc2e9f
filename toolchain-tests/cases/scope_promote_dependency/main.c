#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>

/* libpdr (LOCAL) needs libpdd, which needs libpde. Promoting the dependency libpdd with
 * RTLD_NOLOAD | RTLD_GLOBAL puts it and its own dependencies in the global scope (glibc builds
 * its search list then), not the root that brought it in; closing both takes them out. */
static const char *look(void *self, const char *name)
{
    void *p = dlsym(self, name);
    dlerror();
    return p ? "found" : "NULL";
}

static void show(void *self, const char *when)
{
    const char *r = look(self, "pdr_sym");
    const char *d = look(self, "pdd_sym");
    const char *e = look(self, "pde_sym");
    printf("%s: libpdr %s, libpdd %s, libpde %s\n", when, r, d, e);
}

int main(void)
{
    void *self = dlopen(NULL, RTLD_NOW);
    void *r = dlopen("libpdr.so", RTLD_NOW);
    if (!r)
        return 1;
    show(self, "root LOCAL");
    void *d = dlopen("libpdd.so", RTLD_NOW | RTLD_NOLOAD | RTLD_GLOBAL);
    printf("NOLOAD|GLOBAL libpdd: %s\n", d ? "handle" : "NULL");
    if (!d)
        return 1;
    show(self, "dependency promoted");
    printf("dlsym(libpdd handle, pde_sym): %s, pdr_sym: %s\n", look(d, "pde_sym"), look(d, "pdr_sym"));
    dlclose(d);
    show(self, "promotion's reference closed");
    dlclose(r);
    show(self, "root closed");
    return 0;
}
