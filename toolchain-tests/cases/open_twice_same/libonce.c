#include <stdio.h>
static int ctor_runs;
static int counter;
__attribute__((constructor)) static void init(void) { ctor_runs++; printf("libonce ctor\n"); }
__attribute__((destructor)) static void fini(void) { printf("libonce dtor (counter %d)\n", counter); }
int once_ctor_runs(void) { return ctor_runs; }
int once_next(void) { return ++counter; }
