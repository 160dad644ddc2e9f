#include <stdio.h>
/* Needs nd_provided, which only libndprov defines. */
int nd_provided(void);
__attribute__((constructor)) static void init(void) { printf("libndbad ctor\n"); }
__attribute__((destructor)) static void fini(void) { printf("libndbad dtor\n"); }
int ndbad_call(void) { return nd_provided() + 1; }
