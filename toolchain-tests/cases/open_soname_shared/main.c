#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>

/* glibc matches a name against the SONAMEs of loaded libraries before it looks for a file:
 * with libsx1.so (SONAME libsx.so.9) loaded, dlopen("libsx.so.9") is libsx1.so even though a
 * file of that name (a link to libsx3.so) exists. Two files with one SONAME, opened by their
 * file names, are two libraries; the SONAME answers for the first loaded. Unloaded, the name is
 * the file again. */

static int which(void *h)
{
    return h ? ((int (*)(void))dlsym(h, "sx_which"))() : 0;
}

int main(void)
{
    void *one = dlopen("libsx1.so", RTLD_NOW);
    void *two = dlopen("libsx2.so", RTLD_NOW);
    if (!one || !two)
        return 1;
    printf("libsx1.so: %d, libsx2.so: %d, two libraries: %s\n", which(one), which(two), one != two ? "yes" : "no");
    void *by_soname = dlopen("libsx.so.9", RTLD_NOW);
    printf("dlopen(libsx.so.9): %d, libsx1's handle: %s\n", which(by_soname), by_soname == one ? "yes" : "no");
    if (by_soname)
        dlclose(by_soname);
    void *noload = dlopen("libsx.so.9", RTLD_NOW | RTLD_NOLOAD);
    printf("NOLOAD libsx.so.9: %d\n", which(noload));
    if (noload)
        dlclose(noload);

    dlclose(one);
    by_soname = dlopen("libsx.so.9", RTLD_NOW);
    printf("libsx1 closed, dlopen(libsx.so.9): %d, libsx2's handle: %s\n", which(by_soname), by_soname == two ? "yes" : "no");
    if (by_soname)
        dlclose(by_soname);
    dlclose(two);

    void *file = dlopen("libsx.so.9", RTLD_NOW);
    printf("none loaded, dlopen(libsx.so.9): %d\n", which(file));
    void *three = dlopen("libsx3.so", RTLD_NOW | RTLD_NOLOAD);
    printf("the same library as libsx3.so: %s\n", three && three == file ? "yes" : "no");
    if (three)
        dlclose(three);
    if (file)
        dlclose(file);
    return 0;
}
