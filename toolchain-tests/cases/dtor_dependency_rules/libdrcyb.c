#include <stdio.h>
__attribute__((constructor)) static void init(void) { printf("  construct libdrcyb\n"); }
__attribute__((destructor)) static void fini(void) { printf("  destroy libdrcyb\n"); }
int dr_a(int n);
int dr_d(void);
int dr_b(void) { return dr_d(); }
int dr_b_calls_a(void) { return dr_a(1); }
