#include <stdio.h>
/* Needs libsoa, recorded by its SONAME libsoalias.so.2 (no file of that name exists). */
int soa_use(void);
__attribute__((constructor)) static void up(void) { printf("libsou: constructor\n"); }
__attribute__((destructor)) static void down(void) { printf("libsou: destructor\n"); }
int sou_use(void) { return soa_use() * 10; }
