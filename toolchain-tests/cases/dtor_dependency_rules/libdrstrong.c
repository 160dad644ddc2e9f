#include <stdio.h>
__attribute__((constructor)) static void init(void) { printf("  construct libdrstrong\n"); }
__attribute__((destructor)) static void fini(void) { printf("  destroy libdrstrong\n"); }
int dr_shared(void) { return 1; }
