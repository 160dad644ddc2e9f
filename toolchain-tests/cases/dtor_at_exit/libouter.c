#include <stdio.h>
__attribute__((constructor)) static void init(void) { printf("ctor outer\n"); }
__attribute__((destructor)) static void fini(void) { printf("dtor outer\n"); }
int outer_id(void) { return 1; }
