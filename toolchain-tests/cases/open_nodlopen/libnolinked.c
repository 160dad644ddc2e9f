#include <stdio.h>
/* Linked -z nodlopen too, but the program is linked against it: loaded at start-up. */
__attribute__((constructor)) static void up(void) { printf("libnolinked: constructor\n"); }
int nolinked_value(void) { return 100; }
