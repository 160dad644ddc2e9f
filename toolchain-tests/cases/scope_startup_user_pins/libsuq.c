#include <stdio.h>
__attribute__((destructor)) static void fini(void) { printf("dtor suq\n"); }
int sup_value(void);
int suq_call(void) { return sup_value() + 1; }
