#include <stdio.h>
static int calls;
__attribute__((constructor)) static void init(void) { printf("  libdodhelper ctor\n"); }
__attribute__((destructor)) static void fini(void) { printf("  libdodhelper dtor after %d calls\n", calls); }
int dodhelper_call(int x) { return ++calls * 100 + x; }
