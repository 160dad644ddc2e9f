/* The constructor runs during dlopen, the destructor during dlclose; both can use the program. */
#include <stdio.h>

void prog_note(const char *what, int value); /* defined by the program */

int life_state = 1;
static int initialised;

__attribute__((constructor)) static void life_init(void)
{
    initialised = 1;
    life_state *= 10;
    prog_note("ctor: life_state", life_state);
}

__attribute__((destructor)) static void life_fini(void)
{
    prog_note("dtor: life_state", life_state);
    printf("dtor: initialised = %d\n", initialised);
}

int life_initialised(void) { return initialised; }
