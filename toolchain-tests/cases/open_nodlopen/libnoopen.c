#include <stdio.h>
/* Linked -z nodlopen (case.toml): no dlopen may load it. */
__attribute__((constructor)) static void up(void) { printf("libnoopen: constructor\n"); }
int noopen_value(void) { return 1; }
