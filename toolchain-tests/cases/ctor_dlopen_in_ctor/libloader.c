/* A constructor that calls dlopen/dlsym, and a destructor that calls dlclose. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>

static void *helper;
static int (*helper_value)(void);

__attribute__((constructor)) static void init(void)
{
    printf("loader ctor: begin\n");
    helper = dlopen("libhelper.so", RTLD_NOW);
    helper_value = helper ? (int (*)(void))dlsym(helper, "helper_value") : 0;
    printf("loader ctor: end (helper %s)\n", helper_value ? "found" : "missing");
}

__attribute__((destructor)) static void fini(void)
{
    printf("loader dtor: closing helper\n");
    dlclose(helper);
}

int loader_value(void) { return helper_value ? helper_value() + 1 : -1; }
void *loader_helper_handle(void) { return helper; }
