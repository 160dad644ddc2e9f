#include <stdio.h>
__attribute__((constructor)) static void init(void) { printf("ctor rdd\n"); }
__attribute__((destructor)) static void fini(void) { printf("dtor rdd\n"); }
int rdd_id(void) { return 1; }
