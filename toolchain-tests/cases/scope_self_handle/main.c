#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

int self_fn(int v) { return v * 11; }
int self_data = 123;

int main(void)
{
    void *self = dlopen(NULL, RTLD_NOW);
    void *self2 = dlopen(NULL, RTLD_LAZY);
    printf("dlopen(NULL): %s, twice: %s\n", self ? "non-NULL" : "NULL", self == self2 ? "same" : "different");
    if (!self)
        return 1;
    int (*f)(int) = (int (*)(int))dlsym(self, "self_fn");
    printf("dlsym(self, self_fn): %s, call: %d\n", (void *)f == (void *)self_fn ? "same" : "different", f(3));
    printf("dlsym(self, self_data): %s\n", dlsym(self, "self_data") == (void *)&self_data ? "same" : "different");
    printf("dlsym(RTLD_DEFAULT, self_fn): %s\n", dlsym(RTLD_DEFAULT, "self_fn") == (void *)self_fn ? "same" : "different");
    void *none = dlsym(self, "no_such_thing");
    char *err = dlerror();
    printf("dlsym(self, no_such_thing): %s, mentions symbol: %s\n", none ? "found" : "NULL",
           err && strstr(err, "no_such_thing") ? "yes" : "no");

    void *g = dlopen("libglob.so", RTLD_NOW | RTLD_GLOBAL);
    void *l = dlopen("libloc.so", RTLD_NOW | RTLD_LOCAL);
    if (!g || !l)
        return 1;
    printf("dlsym(self, glob_fn) (GLOBAL library): %s\n", dlsym(self, "glob_fn") ? "found" : "NULL");
    printf("dlsym(self, loc_fn) (LOCAL library): %s\n", dlsym(self, "loc_fn") ? "found" : "NULL");
    dlerror();
    printf("dlclose(self): %d %d\n", dlclose(self2), dlclose(self));
    printf("program still works: %d\n", self_fn(2));
    dlclose(l);
    dlclose(g);
    return 0;
}
