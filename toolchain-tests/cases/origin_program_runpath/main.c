#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>

/* A program's own RUNPATH (-Wl,-rpath,$ORIGIN/plugins) is searched for the bare names it
 * dlopens, after LD_LIBRARY_PATH: a plugin moved into plugins/ is found by name. */
int main(void)
{
    if ((mkdir("plugins", 0755) != 0 && errno != EEXIST) ||
        rename("libplug.so", "plugins/libplug.so") != 0) {
        printf("cannot move libplug.so\n");
        return 1;
    }
    void *h = dlopen("libplug.so", RTLD_NOW);
    if (!h) {
        printf("dlopen libplug.so: NULL\n");
        return 1;
    }
    printf("plug_value() = %d\n", ((int (*)(void))dlsym(h, "plug_value"))());
    Dl_info info;
    int (*f)(void) = (int (*)(void))dlsym(h, "plug_value");
    printf("found under plugins/: %s\n", dladdr((void *)f, &info) && info.dli_fname &&
                                                 (info.dli_fname[0] == '/' || info.dli_fname[0] == '.') ? "yes" : "no");
    void *missing = dlopen("libnowhere.so", RTLD_NOW);
    printf("a name in no directory: %s\n", missing ? "found" : "NULL");
    dlclose(h);
    return 0;
}
