#include <stdio.h>
__attribute__((constructor)) static void init(void) { printf("  construct libdrcyz\n"); }
__attribute__((destructor)) static void fini(void) { printf("  destroy libdrcyz\n"); }
int dr_z(void) { return 26; }
