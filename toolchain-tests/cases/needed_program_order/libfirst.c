#include <stdio.h>
__attribute__((constructor)) static void init(void) { printf("libfirst: constructor\n"); }
__attribute__((destructor)) static void fini(void) { printf("libfirst: destructor\n"); }
int first_value(void) { return 1; }
