/* Found only through dlopen(NULL), its own handle and RTLD_NEXT: none of them pins it. */
#include <stdio.h>

int free_fn(void) { return 3; }

__attribute__((destructor)) static void fini(void) { printf("libfree: destructor\n"); }
