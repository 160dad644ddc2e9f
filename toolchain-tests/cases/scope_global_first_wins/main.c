#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>

typedef const char *(*strfn)(void);

static const char *client(void)
{
    void *c = dlopen("libclient.so", RTLD_NOW);
    if (!c)
        return "client failed to load";
    const char *r = ((strfn)dlsym(c, "client_call"))();
    dlclose(c);
    return r;
}

int main(void)
{
    void *first = dlopen("libfirstdef.so", RTLD_NOW | RTLD_GLOBAL);
    void *second = dlopen("libseconddef.so", RTLD_NOW | RTLD_GLOBAL);
    void *self = dlopen(NULL, RTLD_NOW);
    if (!first || !second || !self)
        return 1;
    printf("global scope dup_name: %s\n", ((strfn)dlsym(self, "dup_name"))());
    printf("second's handle dup_name: %s\n", ((strfn)dlsym(second, "dup_name"))());
    printf("client binds to: %s\n", client());
    /* Unloading the first definition takes it out of the global scope. */
    dlclose(first);
    printf("first still loaded: %s\n", dlopen("libfirstdef.so", RTLD_NOW | RTLD_NOLOAD) ? "yes" : "no");
    printf("global scope dup_name: %s\n", ((strfn)dlsym(self, "dup_name"))());
    printf("client binds to: %s\n", client());
    /* Loading it again puts it at the end of the global scope. */
    first = dlopen("libfirstdef.so", RTLD_NOW | RTLD_GLOBAL);
    printf("after reloading first, global scope dup_name: %s\n", ((strfn)dlsym(self, "dup_name"))());
    printf("client binds to: %s\n", client());
    dlclose(first);
    dlclose(second);
    dlclose(self);
    return 0;
}
