#include <stdio.h>
__attribute__((constructor)) static void init(void) { printf("  construct libdrprov\n"); }
__attribute__((destructor)) static void fini(void) { printf("  destroy libdrprov\n"); }
int dr_prov(void) { return 4; }
