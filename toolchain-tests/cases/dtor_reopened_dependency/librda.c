#include <stdio.h>
__attribute__((constructor)) static void init(void) { printf("ctor rda\n"); }
__attribute__((destructor)) static void fini(void) { printf("dtor rda\n"); }
int rda_id(void) { return 1; }
