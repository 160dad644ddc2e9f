#include <stdio.h>
__attribute__((constructor)) static void init(void) { printf("  construct libdruser\n"); }
__attribute__((destructor)) static void fini(void) { printf("  destroy libdruser\n"); }
int dr_prov(void);
int dr_use(void) { return dr_prov() + 1; }
