#include <stdio.h>
__attribute__((constructor)) static void init(void) { printf("libprov ctor\n"); }
__attribute__((destructor)) static void fini(void) { printf("libprov dtor\n"); }
int prov_value(void) { return 5; }
