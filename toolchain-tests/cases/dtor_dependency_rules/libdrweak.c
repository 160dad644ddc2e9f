#include <stdio.h>
__attribute__((constructor)) static void init(void) { printf("  construct libdrweak\n"); }
__attribute__((destructor)) static void fini(void) { printf("  destroy libdrweak\n"); }
/* A weak definition nothing here calls: no reference to another library's dr_shared. */
__attribute__((weak)) int dr_shared(void) { return 2; }
int dr_weak_other(void) { return 3; }
