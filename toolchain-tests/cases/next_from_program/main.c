#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

typedef const char *(*strfn)(void);
static char buf[64];

/* The program interposes nx_greet of a library loaded later and forwards to it. */
const char *nx_greet(void)
{
    strfn next = (strfn)dlsym(RTLD_NEXT, "nx_greet");
    snprintf(buf, sizeof buf, "program -> %s", next ? next() : "nothing");
    return buf;
}

int main(void)
{
    void *local = dlopen("liblocalgreet.so", RTLD_NOW | RTLD_LOCAL);
    printf("before libgreet: %s\n", nx_greet());
    dlerror();
    void *g = dlopen("libgreet.so", RTLD_NOW | RTLD_GLOBAL);
    void *c = dlopen("libcaller.so", RTLD_NOW);
    if (!local || !g || !c)
        return 1;
    printf("direct call: %s\n", nx_greet());
    printf("via libcaller: %s\n", ((strfn)dlsym(c, "caller_greet"))());
    printf("RTLD_NEXT from the program is libgreet's: %s\n", dlsym(RTLD_NEXT, "nx_greet") == dlsym(g, "nx_greet") ? "yes" : "no");
    printf("RTLD_DEFAULT is the program's: %s\n", dlsym(RTLD_DEFAULT, "nx_greet") == (void *)nx_greet ? "yes" : "no");
    void *missing = dlsym(RTLD_NEXT, "nx_nobody_defines_this");
    char *err = dlerror();
    printf("RTLD_NEXT for an unknown name: %s, dlerror mentions it: %s\n", missing ? "found" : "NULL",
           err && strstr(err, "nx_nobody_defines_this") ? "yes" : "no");
    dlclose(c);
    dlclose(g);
    dlclose(local);
    return 0;
}
