#include <stdio.h>
__attribute__((constructor)) static void init(void) { printf("ctor snq\n"); }
__attribute__((destructor)) static void fini(void) { printf("dtor snq\n"); }
int snq_value(void) { return 7; }
