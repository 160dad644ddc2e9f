#include <stdio.h>
static int state;
__attribute__((constructor)) static void init(void)
{
    state = 41;
    printf("helper ctor\n");
}
int helper_value(void) { return state; }
