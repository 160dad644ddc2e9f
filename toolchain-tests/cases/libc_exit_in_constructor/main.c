#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

/* exit() inside a constructor that dlopen runs: the exit handlers run, then the destructors
 * of every library, including the one whose constructor called exit (glibc marks it
 * initialised before running its constructors), in load order. */
static void main_exit_handler(void) { printf("main: exit handler\n"); }

int main(void)
{
    if (!dlopen("libother.so", RTLD_NOW))
        return 1;
    atexit(main_exit_handler);
    dlopen("libquit.so", RTLD_NOW);
    printf("not reached\n");
    return 0;
}
