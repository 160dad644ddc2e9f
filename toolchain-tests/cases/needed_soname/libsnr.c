#include <stdio.h>
int snq_value(void);
__attribute__((constructor)) static void init(void) { printf("ctor snr\n"); }
__attribute__((destructor)) static void fini(void) { printf("dtor snr\n"); }
int snr_value(void) { return snq_value() * 2; }
