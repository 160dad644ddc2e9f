#include <stdio.h>
static int ctor_runs;
__attribute__((constructor)) static void init(void) { ctor_runs++; printf("libnamed ctor\n"); }
__attribute__((destructor)) static void fini(void) { printf("libnamed dtor\n"); }
int named_ctor_runs(void) { return ctor_runs; }
