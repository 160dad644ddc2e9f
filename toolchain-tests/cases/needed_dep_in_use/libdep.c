#include <stdio.h>
static int calls;
__attribute__((constructor)) static void init(void) { printf("libdep ctor\n"); }
__attribute__((destructor)) static void fini(void) { printf("libdep dtor\n"); }
int dep_call(void) { return ++calls; }
