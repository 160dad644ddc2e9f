#include <stdio.h>
int snm_value(void);
__attribute__((constructor)) static void init(void) { printf("ctor snu\n"); }
int snu_value(void) { return snm_value() + 1; }
