#include <stdio.h>
__attribute__((constructor)) static void init(void) { printf("libdep: constructor\n"); }
__attribute__((destructor)) static void fini(void) { printf("libdep: destructor\n"); }
int dep_value(void) { return 1; }
