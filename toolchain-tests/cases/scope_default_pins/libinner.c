#include <stdio.h>

__attribute__((destructor)) static void fini(void) { printf("libinner: destructor\n"); }
