#include <stdio.h>
__attribute__((constructor)) static void init(void) { printf("libsecond: constructor\n"); }
__attribute__((destructor)) static void fini(void) { printf("libsecond: destructor\n"); }
int second_value(void) { return 1; }
