#include <stdio.h>

int ok_value(void) { return 3; }

__attribute__((constructor)) static void init(void) { printf("libok: constructor\n"); }
