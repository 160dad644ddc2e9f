#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

/* dlopen of a directory fails (glibc: "cannot read file data: Is a directory") with a message
 * that names it, loads nothing, and leaves a good library loadable. An empty symbol name is
 * not found. */
static void try_open(const char *name, const char *mention)
{
    void *h = dlopen(name, RTLD_NOW);
    const char *e = dlerror();
    printf("dlopen(\"%s\"): %s, message names it: %s\n", name, h ? "handle" : "NULL",
           e && strstr(e, mention) ? "yes" : "no");
}

int main(void)
{
    try_open("./plugins", "plugins");
    try_open("plugins/", "plugins");
    try_open("./libdirlike.so", "libdirlike.so");
    try_open(".", ".");
    void *h = dlopen("libdirok.so", RTLD_NOW);
    printf("a good library afterwards: %s\n", h ? "loaded" : "failed");
    if (!h)
        return 1;
    void *empty = dlsym(h, "");
    printf("dlsym(\"\"): %s, dlerror %s\n", empty ? "found" : "NULL", dlerror() ? "set" : "NULL");
    printf("dirok_value() = %d\n", ((int (*)(void))dlsym(h, "dirok_value"))());
    dlclose(h);
    return 0;
}
