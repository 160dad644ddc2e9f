/* Linked into the program at build time (main_needs): loaded and constructed before main runs. */
#include <stdio.h>
static int ready;
__attribute__((constructor)) static void init(void)
{
    ready = 1;
    printf("liblinked ctor\n");
}
int linked_ready(void) { return ready; }
int linked_add(int a, int b) { return a + b; }
