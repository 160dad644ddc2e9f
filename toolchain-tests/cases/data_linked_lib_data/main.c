#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

/* Data objects of libfoo.so, which the program is linked against (-L. -lfoo), used by name
 * as with any library: read, written, their addresses taken. */
extern int foo_count;
extern int foo_table[4];
extern char foo_name[16];
extern const char *foo_greeting;
extern struct foo_point { int x, y; } foo_origin;
extern int foo_bss[1000];
int foo_get(void);
int *foo_count_address(void);
int foo_table_sum(void);
int foo_bss_sum(void);
const char *foo_name_now(void);

/* Program data initialised with addresses of the library's data (applied by the start-up
 * load, before any constructor), and one set at run time. */
static int *initial_pointer = &foo_count;
int *table_end = &foo_table[4];
static int *count_pointer;

__attribute__((constructor)) static void early(void) {
    printf("constructor: %d %s\n", *initial_pointer, table_end == foo_table + 4 ? "end ok" : "end wrong");
}

int main(void) {
    printf("read: foo_count=%d table[2]=%d name=%s greeting=%s origin=%d,%d\n", foo_count,
           foo_table[2], foo_name, foo_greeting, foo_origin.x, foo_origin.y);
    foo_count += 1;
    foo_table[0] = 15;
    strcpy(foo_name, "bar");
    foo_origin.y = 40;
    foo_bss[999] = 7;
    printf("the library sees: count=%d sum=%d name=%s bss=%d\n", foo_get(), foo_table_sum(),
           foo_name_now(), foo_bss_sum());
    count_pointer = &foo_count;
    *count_pointer = 100;
    printf("address: %s, through it: %d\n", count_pointer == foo_count_address() ? "same" : "different",
           foo_get());
    printf("dlsym: %s\n", dlsym(RTLD_DEFAULT, "foo_count") == (void *)&foo_count ? "same" : "different");
    printf("function pointer: %s\n", (void *)foo_get == dlsym(RTLD_DEFAULT, "foo_get") ? "same" : "different");
    int *element = &foo_table[3];
    *element += 2;
    printf("element: %d %d\n", foo_table[3], foo_table_sum());
    return 0;
}
