#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

/* glibc's global scope is the program, then libc and the rest of what it was linked with,
 * then RTLD_GLOBAL libraries: a dlopen'ed library that defines a libc name does not take it
 * over, neither for later libraries nor for RTLD_DEFAULT; its handle still gives its own. */
int main(void)
{
    void *own = dlopen("liblcown.so", RTLD_NOW | RTLD_GLOBAL);
    void *user = dlopen("liblcuser.so", RTLD_NOW);
    if (!own || !user) {
        printf("dlopen failed\n");
        return 1;
    }
    int (*user_atoi)(const char *) = (int (*)(const char *))dlsym(user, "lcuser_atoi");
    printf("a later library's atoi(\"7\") = %d\n", user_atoi("7"));
    int (*def)(const char *) = (int (*)(const char *))dlsym(RTLD_DEFAULT, "atoi");
    printf("RTLD_DEFAULT atoi(\"8\") = %d\n", def("8"));
    int (*mine)(const char *) = (int (*)(const char *))dlsym(own, "atoi");
    printf("the library's handle: atoi(\"9\") = %d\n", mine("9"));
    printf("the program's own call: atoi(\"10\") = %d\n", atoi("10"));
    dlclose(user);
    dlclose(own);
    return 0;
}
