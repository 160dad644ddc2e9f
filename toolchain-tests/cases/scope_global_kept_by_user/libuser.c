/* Binds to libprov's prov_value through the global scope (no NEEDED entry): that binding keeps
 * libprov loaded while this library is, even after libprov's own handle is closed. */
#include <stdio.h>
int prov_value(void);
__attribute__((constructor)) static void init(void) { printf("libuser ctor\n"); }
__attribute__((destructor)) static void fini(void) { printf("libuser dtor\n"); }
int user_call(void) { return prov_value() * 2; }
