#include <stdio.h>
__attribute__((constructor)) static void init(void) { printf("  construct libcs3\n"); }
__attribute__((destructor)) static void fini(void) { printf("  destroy libcs3\n"); }
int cs3_value(void) { return 3; }
