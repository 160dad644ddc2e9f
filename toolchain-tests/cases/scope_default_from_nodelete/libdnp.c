#include <stdio.h>
__attribute__((destructor)) static void fini(void) { printf("dtor dnp\n"); }
int dnp_value(void) { return 5; }
