#include <stdio.h>
static int opened;
__attribute__((constructor)) static void init(void) { printf("libps ctor\n"); }
__attribute__((destructor)) static void fini(void) { printf("libps dtor\n"); }
int ps_count(void) { return ++opened; }
