#include <stdio.h>
/* Needs libnoopen: a dlopen would have to load it too. */
int noopen_value(void);
__attribute__((constructor)) static void up(void) { printf("libnoneeds: constructor\n"); }
int noneeds_value(void) { return noopen_value() + 10; }
