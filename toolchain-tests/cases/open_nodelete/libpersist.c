#include <stdio.h>
int persist_counter;
static int ctor_runs;
__attribute__((constructor)) static void init(void) { ctor_runs++; printf("libpersist ctor\n"); }
__attribute__((destructor)) static void fini(void) { printf("libpersist dtor (counter %d)\n", persist_counter); }
int persist_ctor_runs(void) { return ctor_runs; }
