#include <stdio.h>
__attribute__((constructor)) static void init(void) { printf("  construct libdrcya\n"); }
__attribute__((destructor)) static void fini(void) { printf("  destroy libdrcya\n"); }
int dr_b(void);
int dr_a(int n) { return n <= 0 ? 0 : 1 + dr_b(); }
