/* atexit() called inside a library registers for that library: the handlers run when the library
 * is unloaded by dlclose (in reverse order of registration), not at program exit. */
#include <stdio.h>
#include <stdlib.h>

static int value = 5;
static void handler_from_ctor(void) { printf("libreg: handler registered by the constructor (value %d)\n", value); }
static void handler_later(void) { printf("libreg: handler registered later\n"); }

__attribute__((constructor)) static void init(void) { atexit(handler_from_ctor); }

void reg_later(void)
{
    value = 6;
    atexit(handler_later);
}
