#include <stdio.h>
__attribute__((constructor)) static void init(void) { printf("  construct libcs7\n"); }
__attribute__((destructor)) static void fini(void) { printf("  destroy libcs7\n"); }
int cs7_value(void) { return 7; }
