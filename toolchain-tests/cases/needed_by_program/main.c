#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>

int linked_ready(void); /* from liblinked.so, resolved at startup */
int linked_add(int a, int b);

int main(void)
{
    printf("main: liblinked ready: %s\n", linked_ready() ? "yes" : "no");
    printf("linked_add(40, 2) = %d\n", linked_add(40, 2));
    void *h = dlopen("liblinked.so", RTLD_NOW | RTLD_NOLOAD);
    printf("NOLOAD liblinked.so: %s\n", h ? "already loaded" : "NULL");
    if (!h)
        return 1;
    printf("dlsym(handle) == the function the program calls: %s\n", dlsym(h, "linked_add") == (void *)linked_add ? "same" : "different");
    printf("dlsym(RTLD_DEFAULT) too: %s\n", dlsym(RTLD_DEFAULT, "linked_add") == (void *)linked_add ? "same" : "different");
    void *self = dlopen(NULL, RTLD_NOW);
    printf("in the program's global scope: %s\n", dlsym(self, "linked_ready") ? "yes" : "no");
    dlclose(h);
    printf("after dlclose of that handle, still callable: %d\n", linked_add(1, 1));
    return 0;
}
