#include <stdio.h>

__attribute__((destructor)) static void fini(void) { printf("libother: destructor\n"); }
