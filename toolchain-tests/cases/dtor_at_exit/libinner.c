#include <stdio.h>
__attribute__((constructor)) static void init(void) { printf("ctor inner\n"); }
__attribute__((destructor)) static void fini(void) { printf("dtor inner\n"); }
int inner_id(void) { return 1; }
