#include <stdio.h>
__attribute__((constructor)) static void init(void) { printf("ctor rde\n"); }
__attribute__((destructor)) static void fini(void) { printf("dtor rde\n"); }
int rde_id(void) { return 1; }
