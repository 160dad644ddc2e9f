#include <stdio.h>
__attribute__((constructor)) static void init(void) { printf("  construct libdrcyd\n"); }
__attribute__((destructor)) static void fini(void) { printf("  destroy libdrcyd\n"); }
int dr_d(void) { return 10; }
