#include <stdio.h>
__attribute__((constructor)) static void init(void) { printf("libthird: constructor\n"); }
__attribute__((destructor)) static void fini(void) { printf("libthird: destructor\n"); }
int third_value(void) { return 1; }
