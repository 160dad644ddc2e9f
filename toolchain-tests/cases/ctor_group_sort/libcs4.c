#include <stdio.h>
__attribute__((constructor)) static void init(void) { printf("  construct libcs4\n"); }
__attribute__((destructor)) static void fini(void) { printf("  destroy libcs4\n"); }
int cs4_value(void) { return 4; }
