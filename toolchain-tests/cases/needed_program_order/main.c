#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>

/* The libraries a program is linked against are loaded as one group before it starts: all
 * named ones, then their dependencies; constructed dependencies first, otherwise last-named
 * first; destroyed at exit after the program, in load order (a library before those it needs). */
int first_value(void), second_value(void), third_value(void);

__attribute__((constructor)) static void init(void) { printf("main: constructor\n"); }
__attribute__((destructor)) static void fini(void) { printf("main: destructor\n"); }

int main(void)
{
    printf("main: %d\n", first_value() + second_value() + third_value());
    return 0;
}
