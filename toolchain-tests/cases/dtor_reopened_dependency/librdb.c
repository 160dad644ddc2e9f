#include <stdio.h>
__attribute__((constructor)) static void init(void) { printf("ctor rdb\n"); }
__attribute__((destructor)) static void fini(void) { printf("dtor rdb\n"); }
int rdb_id(void) { return 1; }
