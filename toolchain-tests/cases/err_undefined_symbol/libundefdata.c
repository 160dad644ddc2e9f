#include <stdio.h>
extern int undef_nowhere_data; /* defined nowhere */
__attribute__((constructor)) static void init(void) { printf("libundefdata ctor (must not run)\n"); }
int undefdata_user(void) { return undef_nowhere_data; }
