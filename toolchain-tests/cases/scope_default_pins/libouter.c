/* Opens libinner.so in its constructor and closes it in its destructor. The dlclose inside the
 * destructor only drops the reference: libinner.so is unloaded (its destructor runs) after this
 * destructor has returned, once the outer dlclose is done with libouter.so. */
#include <dlfcn.h>
#include <stdio.h>

static void *inner;

__attribute__((constructor)) static void init(void)
{
    inner = dlopen("libinner.so", RTLD_NOW);
    printf("libouter: constructor, libinner.so %s\n", inner ? "opened" : "missing");
}

__attribute__((destructor)) static void fini(void)
{
    printf("libouter: destructor begins\n");
    if (inner)
        printf("libouter: dlclose(libinner.so) = %d\n", dlclose(inner));
    printf("libouter: destructor ends\n");
}
