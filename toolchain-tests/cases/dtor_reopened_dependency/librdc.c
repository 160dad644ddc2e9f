#include <stdio.h>
__attribute__((constructor)) static void init(void) { printf("ctor rdc\n"); }
__attribute__((destructor)) static void fini(void) { printf("dtor rdc\n"); }
int rdc_id(void) { return 1; }
