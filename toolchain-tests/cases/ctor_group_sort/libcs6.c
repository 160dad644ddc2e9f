#include <stdio.h>
__attribute__((constructor)) static void init(void) { printf("  construct libcs6\n"); }
__attribute__((destructor)) static void fini(void) { printf("  destroy libcs6\n"); }
int cs6_value(void) { return 6; }
