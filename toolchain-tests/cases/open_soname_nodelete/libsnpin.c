#include <stdio.h>
static int calls;
__attribute__((constructor)) static void init(void) { printf("  construct libsnpin\n"); }
__attribute__((destructor)) static void fini(void) { printf("  destroy libsnpin\n"); }
int snpin_count(void) { return ++calls; }
