#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>

/* glibc's dlopen("") is dlopen(NULL): the program itself (its link map's name is empty). */
int prog_value = 9;
int prog_fn(void) { return 9; }

int main(void)
{
    void *empty = dlopen("", RTLD_NOW);
    void *self = dlopen(NULL, RTLD_LAZY);
    printf("dlopen(\"\"): %s, the same as dlopen(NULL): %s\n", empty ? "handle" : "NULL",
           empty == self ? "yes" : "no");
    if (!empty)
        return 1;
    printf("dlsym prog_value: %s\n", dlsym(empty, "prog_value") == &prog_value ? "the program's" : "other");
    printf("dlsym prog_fn: %s\n", dlsym(empty, "prog_fn") == (void *)prog_fn ? "the program's" : "other");
    void *lib = dlopen("libemp.so", RTLD_NOW | RTLD_GLOBAL);
    printf("a GLOBAL library's symbol through it: %s\n",
           lib && dlsym(empty, "emp_value") == dlsym(lib, "emp_value") ? "found" : "missing");
    printf("dlclose(\"\" handle): %d, dlclose(NULL handle): %d\n", dlclose(empty), dlclose(self));
    printf("dlerror: %s\n", dlerror() ? "set" : "NULL");
    dlclose(lib);
    return 0;
}
