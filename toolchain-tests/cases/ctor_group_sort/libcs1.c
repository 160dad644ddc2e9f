#include <stdio.h>
__attribute__((constructor)) static void init(void) { printf("  construct libcs1\n"); }
__attribute__((destructor)) static void fini(void) { printf("  destroy libcs1\n"); }
int cs1_value(void) { return 1; }
