#include <stdio.h>
__attribute__((constructor)) static void init(void) { printf("ctor wdc\n"); }
__attribute__((destructor)) static void fini(void) { printf("dtor wdc\n"); }
int wdb_value(void);
int wdc_value(void) { return wdb_value() + 1; }
