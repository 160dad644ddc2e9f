#include <stdio.h>
int gone_fn(void);
__attribute__((constructor)) static void init(void) { printf("libneedy ctor (must not run)\n"); }
int needy_fn(void) { return gone_fn() + 1; }
