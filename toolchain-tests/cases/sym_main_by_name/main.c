#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>

typedef int (*mainfn)(int, char **);
static int depth;

int main(int argc, char **argv)
{
    if (depth++ > 0) {
        printf("main called again with argc %d, argv[1] %s\n", argc, argv[1]);
        return 42;
    }
    void *self = dlopen(NULL, RTLD_NOW);
    void *lib = dlopen("libsmlook.so", RTLD_NOW);
    if (!self || !lib)
        return 1;
    void *by_default = dlsym(RTLD_DEFAULT, "main");
    void *by_handle = dlsym(self, "main");
    void *(*from_lib)(const char *) = (void *(*)(const char *))dlsym(lib, "sm_default");
    printf("dlsym(RTLD_DEFAULT, main) is main: %s\n", by_default == (void *)main ? "yes" : "no");
    printf("dlsym(dlopen(NULL), main) is main: %s\n", by_handle == (void *)main ? "yes" : "no");
    printf("from a library, RTLD_DEFAULT main is main: %s\n", from_lib("main") == (void *)main ? "yes" : "no");
    char *args[] = {argv[0], "again", NULL};
    printf("call through it: %d\n", ((mainfn)by_default)(2, args));
    dlclose(lib);
    return 0;
}
