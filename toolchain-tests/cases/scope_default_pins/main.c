#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>

/* What keeps a library loaded besides its handles, as glibc does it:
 * - a symbol found by dlsym(RTLD_DEFAULT) from the program pins the library that defines it
 *   (it is unloaded only at exit); dlopen(NULL), the library's own handle and RTLD_NEXT do not;
 * - one found by dlsym(RTLD_DEFAULT) from another library keeps it loaded while that library is;
 * - a dlclose inside a destructor that dlclose runs takes effect after that destructor. */

static const char *loaded(const char *name)
{
    void *h = dlopen(name, RTLD_NOW | RTLD_NOLOAD);
    if (!h) {
        dlerror();
        return "no";
    }
    dlclose(h);
    return "yes";
}

int main(void)
{
    void *p = dlopen("libpinned.so", RTLD_NOW | RTLD_GLOBAL);
    if (!p)
        return 1;
    int (*pinned)(void) = (int (*)(void))dlsym(RTLD_DEFAULT, "pinned");
    printf("pinned() = %d\n", pinned ? pinned() : -1);
    printf("dlclose(libpinned.so) = %d\n", dlclose(p));
    printf("libpinned.so still loaded: %s\n", loaded("libpinned.so"));
    printf("pinned() still works: %d\n", pinned ? pinned() : -1);

    void *fr = dlopen("libfree.so", RTLD_NOW | RTLD_GLOBAL);
    if (!fr)
        return 1;
    int (*by_self)(void) = (int (*)(void))dlsym(dlopen(NULL, RTLD_NOW), "free_fn");
    int (*by_handle)(void) = (int (*)(void))dlsym(fr, "free_fn");
    int (*by_next)(void) = (int (*)(void))dlsym(RTLD_NEXT, "free_fn");
    printf("free_fn by dlopen(NULL) %d, by handle %d, by RTLD_NEXT %d\n",
           by_self ? by_self() : -1, by_handle ? by_handle() : -1, by_next ? by_next() : -1);
    printf("dlclose(libfree.so) = %d\n", dlclose(fr));
    printf("libfree.so still loaded: %s\n", loaded("libfree.so"));

    void *prov = dlopen("libprovider.so", RTLD_NOW | RTLD_GLOBAL);
    void *asker = dlopen("libasker.so", RTLD_NOW);
    if (!prov || !asker)
        return 1;
    int (*ask_provided)(void) = (int (*)(void))dlsym(asker, "ask_provided");
    printf("ask_provided() = %d\n", ask_provided ? ask_provided() : -1);
    printf("dlclose(libprovider.so) = %d\n", dlclose(prov));
    printf("libprovider.so still loaded: %s\n", loaded("libprovider.so"));
    printf("dlclose(libasker.so) = %d\n", dlclose(asker));
    printf("libprovider.so loaded after libasker.so closed: %s\n", loaded("libprovider.so"));

    void *outer = dlopen("libouter.so", RTLD_NOW);
    if (!outer)
        return 1;
    printf("dlclose(libouter.so) = %d\n", dlclose(outer));
    printf("libinner.so loaded after: %s\n", loaded("libinner.so"));
    printf("main returns\n");
    return 0;
}
