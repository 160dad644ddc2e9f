/* Never closed: its atexit handler runs at exit. */
#include <stdio.h>
#include <stdlib.h>
static void handler(void) { printf("libkept: handler at exit\n"); }
void kept_register(void) { atexit(handler); }
