#include <stdio.h>
/* Linked with -soname libsoalias.so.2 (case.toml); main.c moves the file into sub/. */
static int uses;
__attribute__((constructor)) static void up(void) { printf("libsoa: constructor\n"); }
__attribute__((destructor)) static void down(void) { printf("libsoa: destructor\n"); }
int soa_use(void) { return ++uses; }
