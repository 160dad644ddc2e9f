#include <stdio.h>
int undef_nowhere_fn(void); /* defined nowhere */
__attribute__((constructor)) static void init(void) { printf("libundeffn ctor (must not run)\n"); }
int undeffn_user(void) { return undef_nowhere_fn(); }
