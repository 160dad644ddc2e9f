#include <stdio.h>
int dep_call(void);
__attribute__((constructor)) static void init(void) { printf("libdependent ctor\n"); }
__attribute__((destructor)) static void fini(void) { printf("libdependent dtor\n"); }
int dependent_call(void) { return dep_call() * 10; }
