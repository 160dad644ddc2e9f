#include <stdio.h>
__attribute__((constructor)) static void init(void) { printf("ctor snm\n"); }
int snm_value(void) { return 42; }
