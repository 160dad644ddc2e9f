#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

/* A plugin that pins itself from its own constructor, as modules do to stay resident:
 * it finds its file name with dladdr and reopens itself RTLD_NOLOAD | RTLD_NODELETE. */
static int state;
void *pin_self_handle;

int pin_bump(void) { return ++state; }

__attribute__((constructor)) static void init(void)
{
    Dl_info info;
    if (!dladdr((void *)pin_bump, &info) || info.dli_fname == NULL) {
        printf("libpin ctor: dladdr failed\n");
        return;
    }
    const char *slash = strrchr(info.dli_fname, '/');
    printf("libpin ctor: my file is %s\n", slash ? slash + 1 : info.dli_fname);
    /* Being constructed, it is already loaded: NOLOAD finds it, by path and by name. */
    void *by_path = dlopen(info.dli_fname, RTLD_NOW | RTLD_NOLOAD | RTLD_NODELETE);
    void *by_name = dlopen("libpin.so", RTLD_NOW | RTLD_NOLOAD);
    printf("libpin ctor: NOLOAD by path %s, by name %s, %s\n", by_path ? "found" : "NULL",
           by_name ? "found" : "NULL", by_path == by_name ? "same" : "different");
    /* A plain dlopen of itself gives the same handle and runs no second constructor. */
    void *again = dlopen("libpin.so", RTLD_LAZY);
    printf("libpin ctor: plain dlopen %s\n", again == by_path ? "same handle" : "different");
    pin_self_handle = by_path;
    dlclose(by_name);
    dlclose(again);
    state = 100;
}

__attribute__((destructor)) static void fini(void) { printf("libpin dtor, state %d\n", state); }
