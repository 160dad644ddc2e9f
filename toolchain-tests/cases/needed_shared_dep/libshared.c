/* Needed by two independently opened libraries: one instance, kept while either needs it. */
#include <stdio.h>
int shared_ctor_runs;
static int counter;
__attribute__((constructor)) static void init(void) { shared_ctor_runs++; printf("libshared ctor\n"); }
__attribute__((destructor)) static void fini(void) { printf("libshared dtor (counter %d)\n", counter); }
int shared_next(void) { return ++counter; }
int *shared_counter_addr(void) { return &counter; }
