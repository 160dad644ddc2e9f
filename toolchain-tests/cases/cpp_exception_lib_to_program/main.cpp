#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>

#include <stdexcept>
#include <string>

#include "errors.h"

// Exceptions thrown in a side module (by the library's code and by libc++ inside it) are
// caught in the program, by type; the library's objects are destroyed on the way.
int main()
{
    void *h = dlopen("libthrow.so", RTLD_NOW);
    if (!h) {
        printf("dlopen failed\n");
        return 1;
    }
    auto work = (int (*)(int))dlsym(h, "lib_work");
    for (int kind = 0; kind <= 5; kind++) {
        printf("kind %d:\n", kind);
        try {
            printf("  returned %d\n", work(kind));
        } catch (const ParseError &e) {
            printf("  caught ParseError: %s at line %d\n", e.what(), e.line);
        } catch (const std::out_of_range &) {
            printf("  caught std::out_of_range\n");
        } catch (const std::exception &e) {
            printf("  caught std::exception: %s\n", e.what());
        } catch (int v) {
            printf("  caught int %d\n", v);
        } catch (...) {
            printf("  caught something else\n");
        }
    }
    dlclose(h);
    return 0;
}
