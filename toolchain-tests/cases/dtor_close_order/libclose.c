/* At dlclose glibc runs the library's destructors (.fini_array) first, then what it
 * registered with atexit, newest first. */
#include <stdio.h>
#include <stdlib.h>

static void first_handler(void) { printf("libclose: exit handler registered first\n"); }
static void second_handler(void) { printf("libclose: exit handler registered second\n"); }

__attribute__((constructor)) static void init(void)
{
    atexit(first_handler);
    atexit(second_handler);
}

__attribute__((destructor)) static void fini(void) { printf("libclose: destructor\n"); }
