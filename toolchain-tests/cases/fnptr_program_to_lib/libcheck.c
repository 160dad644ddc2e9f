#define _GNU_SOURCE
#include <dlfcn.h>

/* Defined by the program (exported with -rdynamic); unresolved when this library is linked. */
int prog_twice(int x);

typedef int (*intfn)(int);

/* The pointer the program passes in vs. the one the dynamic linker gives for the name. */
int check_against_default(intfn f) { return (void *)f == dlsym(RTLD_DEFAULT, "prog_twice"); }
/* ... vs. this library's own reference to the program's function. */
int check_against_extern(intfn f) { return f == prog_twice; }
intfn check_get_prog_twice(void) { return prog_twice; }
int check_apply(intfn f, int v) { return f(v); }

static intfn remembered;
void check_remember(intfn f) { remembered = f; }
int check_remembered_is(intfn f) { return remembered == f; }
int check_call_remembered(int v) { return remembered(v); }
