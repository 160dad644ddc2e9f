#include <stdio.h>
__attribute__((constructor)) static void init(void) { printf("  construct libcs5\n"); }
__attribute__((destructor)) static void fini(void) { printf("  destroy libcs5\n"); }
int cs5_value(void) { return 5; }
