#include <stdio.h>

static int count;

int foo_inc(void) { return ++count; }

__attribute__((constructor)) static void init(void) { printf("libfoo: constructor\n"); }
__attribute__((destructor)) static void fini(void) { printf("libfoo: destructor, count %d\n", count); }
