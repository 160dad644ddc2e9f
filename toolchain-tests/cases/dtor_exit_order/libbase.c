/* Opened before libuser, which needs it: still destroyed after libuser. */
#include <stdio.h>

int base_value(void) { return 5; }

__attribute__((destructor)) static void fini(void) { printf("libbase: destructor\n"); }
