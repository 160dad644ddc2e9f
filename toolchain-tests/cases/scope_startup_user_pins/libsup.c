#include <stdio.h>
__attribute__((destructor)) static void fini(void) { printf("dtor sup\n"); }
int sup_value(void) { return 3; }
