#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

/* bionic's dlopen-by-soname: a library opened by its path answers to its SONAME, also for a
 * plain dlopen (not only RTLD_NOLOAD) and for another library's NEEDED entry, though no file
 * of that name exists anywhere; once it is unloaded, the SONAME finds nothing. */

/* RTLD_NOLOAD counts as a reference: give it back at once. */
static const char *loaded(const char *name)
{
    void *h = dlopen(name, RTLD_NOW | RTLD_NOLOAD);
    if (!h)
        return "no";
    dlclose(h);
    return "yes";
}

static int call(void *h, const char *name)
{
    return ((int (*)(void))dlsym(h, name))();
}

int main(void)
{
    if (rename("libsoa.so", "sub/libsoa.so") != 0) {
        printf("cannot move libsoa.so\n");
        return 1;
    }
    void *early = dlopen("libsoalias.so.2", RTLD_NOW);
    const char *err = dlerror();
    printf("by SONAME before: %s, dlerror names it: %s\n", early ? "loaded" : "NULL",
           err && strstr(err, "libsoalias.so.2") ? "yes" : "no");
    void *u = dlopen("libsou.so", RTLD_NOW);
    err = dlerror();
    printf("libsou before: %s, dlerror names libsoalias.so.2: %s\n", u ? "loaded" : "NULL",
           err && strstr(err, "libsoalias.so.2") ? "yes" : "no");

    void *a = dlopen("sub/libsoa.so", RTLD_NOW);
    if (!a)
        return 1;
    printf("soa_use() = %d\n", call(a, "soa_use"));
    void *by_soname = dlopen("libsoalias.so.2", RTLD_NOW);
    printf("by SONAME: %s\n", by_soname == a ? "same handle" : by_soname ? "other handle" : "NULL");
    if (by_soname)
        printf("soa_use() through it = %d\n", call(by_soname, "soa_use"));
    u = dlopen("libsou.so", RTLD_NOW);
    if (!u) {
        printf("libsou: %s\n", dlerror() ? "NULL" : "NULL without error");
        return 1;
    }
    printf("sou_use() = %d\n", call(u, "sou_use"));
    void *dep = dlsym(u, "soa_use");
    printf("libsou's soa_use is libsoa's: %s\n", dep == dlsym(a, "soa_use") ? "yes" : "no");

    printf("dlclose(path handle)\n");
    dlclose(a);
    printf("dlclose(SONAME handle)\n");
    dlclose(by_soname);
    printf("still loaded by SONAME: %s\n", loaded("libsoalias.so.2"));
    printf("dlclose(libsou)\n");
    dlclose(u);
    printf("still loaded by SONAME: %s\n", loaded("libsoalias.so.2"));
    dlerror();
    void *late = dlopen("libsoalias.so.2", RTLD_NOW);
    err = dlerror();
    printf("by SONAME after: %s, dlerror names it: %s\n", late ? "loaded" : "NULL",
           err && strstr(err, "libsoalias.so.2") ? "yes" : "no");
    return 0;
}
