#include <stdio.h>
__attribute__((constructor)) static void init(void) { printf("ctor rdf\n"); }
__attribute__((destructor)) static void fini(void) { printf("dtor rdf\n"); }
int rdf_id(void) { return 1; }
