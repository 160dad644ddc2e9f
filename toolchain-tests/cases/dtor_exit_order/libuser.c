#include <stdio.h>

int base_value(void);

int user_value(void) { return base_value() + 1; }

__attribute__((destructor)) static void fini(void) { printf("libuser: destructor, base_value() = %d\n", base_value()); }
