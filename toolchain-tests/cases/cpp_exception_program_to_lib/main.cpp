#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>

#include <stdexcept>
#include <string>

// Exceptions thrown in the program travel through a side module's frames: the library
// catches some by type, rethrows one, and lets others through to the program.
static int callback(int kind)
{
    switch (kind) {
    case 0: throw std::invalid_argument("thrown by the program");
    case 1: throw 7;
    case 2: throw std::string("passes through");
    }
    return kind * 10;
}

int main()
{
    void *h = dlopen("libguard.so", RTLD_NOW);
    if (!h) {
        printf("dlopen failed\n");
        return 1;
    }
    auto guard = (int (*)(int (*)(int), int))dlsym(h, "lib_guard");
    for (int kind = 0; kind <= 3; kind++) {
        printf("kind %d:\n", kind);
        try {
            printf("  returned %d\n", guard(callback, kind));
        } catch (int v) {
            printf("  program caught int %d\n", v);
        } catch (const std::string &s) {
            printf("  program caught std::string: %s\n", s.c_str());
        }
    }
    dlclose(h);
    return 0;
}
