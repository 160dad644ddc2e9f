/* Found only through the $ORIGIN-relative RUNTIME_PATH of the library that needs it. */
#include <stdio.h>
__attribute__((constructor)) static void init(void) { printf("liborigin_dep ctor\n"); }
int origin_dep_value = 40;
int origin_dep_fn(int v) { return v + origin_dep_value; }
